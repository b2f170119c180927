package transports_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ipcbench/ipcbench/transports"
	"github.com/ipcbench/ipcbench/transports/transporttest"
)

// The file-descriptor transports, tested in process with
// transporttest.Pair; the conformance suite runs them with a real peer.
var fdTransportNames = []string{"pipe", "fifo", "unix-stream", "unix-dgram", "unix-seqpacket", "tcp", "udp"}

func fdForEach(t *testing.T, f func(t *testing.T, name string, api transports.API)) {
	fdForEachOf(t, fdTransportNames, f)
}

// fdForEachOf runs f for each of names with each of the APIs Raw and
// Runtime.
func fdForEachOf(t *testing.T, names []string, f func(t *testing.T, name string, api transports.API)) {
	for _, name := range names {
		for _, api := range []transports.API{transports.Raw, transports.Runtime} {
			t.Run(fmt.Sprintf("transport=%s/api=%s", name, api), func(t *testing.T) { f(t, name, api) })
		}
	}
}

func fdLimits(t *testing.T, name string, api transports.API) transports.Limits {
	t.Helper()
	info, err := transports.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	lim := info.Limits(api)
	if lim.MaxMessage <= 0 || lim.Source == "" {
		t.Fatalf("%s: bad limits %+v", name, lim)
	}
	return lim
}

// fdPattern fills a message whose content depends on seq and size.
func fdPattern(seq, size int) []byte {
	b := make([]byte, size)
	x := uint64(seq)*0x9e3779b97f4a7c15 + uint64(size)
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x)
	}
	return b
}

// fdSend sends msgs from a goroutine and returns a channel with its error.
func fdSend(c transports.Conn, msgs ...[]byte) <-chan error {
	errc := make(chan error, 1)
	go func() {
		for _, m := range msgs {
			if err := c.Send(m); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	return errc
}

// fdWait waits for an error from a channel, failing after a timeout.
func fdWait(t *testing.T, what string, errc <-chan error) error {
	t.Helper()
	select {
	case err := <-errc:
		return err
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: still blocked after 20s", what)
		return nil
	}
}

func TestFDDelivery(t *testing.T) {
	fdForEach(t, func(t *testing.T, name string, api transports.API) {
		lim := fdLimits(t, name, api)
		parent, peer := transporttest.Pair(t, name, transports.Options{API: api})
		sizes := []int{1, 64, 4096, lim.MaxMessage}
		if name != "unix-seqpacket" {
			sizes = append([]int{0}, sizes...)
		}
		fdExchange(t, parent, peer, make([]byte, lim.MaxMessage), sizes...)
	})
}

// fdExchange sends one message of each size each way, receiving it into
// buf, and checks it.
func fdExchange(t *testing.T, parent, peer transports.Conn, buf []byte, sizes ...int) {
	t.Helper()
	for _, dir := range []struct {
		name     string
		from, to transports.Conn
	}{{"parent-to-peer", parent, peer}, {"peer-to-parent", peer, parent}} {
		for _, size := range sizes {
			msg := fdPattern(size, size)
			errc := fdSend(dir.from, msg)
			n, err := dir.to.Recv(buf)
			if err != nil {
				t.Fatalf("%s size=%d: recv: %v", dir.name, size, err)
			}
			if err := fdWait(t, "send", errc); err != nil {
				t.Fatalf("%s size=%d: send: %v", dir.name, size, err)
			}
			if n != size || !bytes.Equal(buf[:n], msg) {
				t.Fatalf("%s size=%d: got %d bytes, content equal=%v", dir.name, size, n, bytes.Equal(buf[:n], msg))
			}
		}
	}
}

func TestFDOrdering(t *testing.T) {
	const count, window = 1000, 32
	fdForEach(t, func(t *testing.T, name string, api transports.API) {
		parent, peer := transporttest.Pair(t, name, transports.Options{API: api, MaxMessage: min(70000, fdLimits(t, name, api).MaxMessage)})
		rng := rand.New(rand.NewPCG(7, uint64(len(name))))
		sizes := make([]int, count)
		for i := range sizes {
			switch rng.IntN(10) {
			case 0:
				sizes[i] = rng.IntN(65507)
			case 1:
				sizes[i] = rng.IntN(4)
			default:
				sizes[i] = rng.IntN(2000)
			}
			if sizes[i] == 0 && name == "unix-seqpacket" {
				sizes[i] = 1
			}
		}
		// The receiver acknowledges every window messages, so that a lossy
		// transport (udp) is not overrun: a loss here is a failure.
		errc := make(chan error, 1)
		go func() {
			ack := make([]byte, 8)
			for i, size := range sizes {
				if err := parent.Send(fdPattern(i, size)); err != nil {
					errc <- fmt.Errorf("send %d: %w", i, err)
					return
				}
				if i%window == window-1 {
					if _, err := parent.Recv(ack); err != nil {
						errc <- fmt.Errorf("ack %d: %w", i, err)
						return
					}
				}
			}
			errc <- nil
		}()
		buf := make([]byte, 70000)
		for i, size := range sizes {
			n, err := peer.Recv(buf)
			if err != nil {
				t.Fatalf("message %d: %v", i, err)
			}
			if n != size || !bytes.Equal(buf[:n], fdPattern(i, size)) {
				t.Fatalf("message %d: got %d bytes, want %d (or content differs): boundaries or order lost", i, n, size)
			}
			if i%window == window-1 {
				if err := peer.Send([]byte("ack")); err != nil {
					t.Fatalf("ack %d: %v", i, err)
				}
			}
		}
		if err := fdWait(t, "sender", errc); err != nil {
			t.Fatal(err)
		}
	})
}

func TestFDLimit(t *testing.T) {
	fdForEach(t, func(t *testing.T, name string, api transports.API) {
		lim := fdLimits(t, name, api)
		for _, capacity := range []int{0, 1000} {
			max := lim.MaxMessage
			if capacity > 0 {
				max = capacity
			}
			parent, peer := transporttest.Pair(t, name, transports.Options{API: api, MaxMessage: capacity})
			buf := make([]byte, max+1)
			msg := fdPattern(1, max+1)
			errc := fdSend(parent, msg[:max])
			if n, err := peer.Recv(buf); err != nil || n != max || !bytes.Equal(buf[:n], msg[:max]) {
				t.Fatalf("capacity=%d: exactly %d bytes: n=%d err=%v", capacity, max, n, err)
			}
			if err := fdWait(t, "send", errc); err != nil {
				t.Fatalf("capacity=%d: exactly %d bytes: %v", capacity, max, err)
			}
			err := parent.Send(msg)
			var le *transports.LimitError
			if !errors.Is(err, transports.ErrMessageTooLarge) || !errors.As(err, &le) {
				t.Fatalf("capacity=%d: %d bytes: got %v, want a *LimitError", capacity, max+1, err)
			}
			if le.Max != max || le.Got != max+1 || le.Source == "" {
				t.Fatalf("capacity=%d: LimitError %+v", capacity, le)
			}
			// The channel still works after the refusal.
			errc = fdSend(parent, []byte("after"))
			if n, err := peer.Recv(buf); err != nil || string(buf[:n]) != "after" {
				t.Fatalf("capacity=%d: after a refused send: %q %v", capacity, buf[:n], err)
			}
			fdWait(t, "send", errc)
		}
		info, _ := transports.Lookup(name)
		_, _, err := info.New().Create(transports.Options{API: api, MaxMessage: lim.MaxMessage + 1})
		if !errors.Is(err, transports.ErrMessageTooLarge) {
			t.Fatalf("Create with MaxMessage over the limit: got %v", err)
		}
	})
}

func TestFDShortBuffer(t *testing.T) {
	fdForEach(t, func(t *testing.T, name string, api transports.API) {
		parent, peer := transporttest.Pair(t, name, transports.Options{API: api})
		long, next := fdPattern(1, 5000), fdPattern(2, 10)
		errc := fdSend(parent, long, next)
		buf := make([]byte, 100)
		if n, err := peer.Recv(buf); !errors.Is(err, io.ErrShortBuffer) {
			t.Fatalf("5000 bytes into 100: n=%d err=%v, want io.ErrShortBuffer", n, err)
		}
		// The long message is discarded and the next one arrives whole.
		if n, err := peer.Recv(buf); err != nil || !bytes.Equal(buf[:n], next) {
			t.Fatalf("after a short buffer: n=%d err=%v", n, err)
		}
		if err := fdWait(t, "send", errc); err != nil {
			t.Fatal(err)
		}
	})
}

// noEOF lists the transports whose Recv sees no end of file when the peer
// goes: their Conns are Interrupters.
var noEOF = map[string]bool{"unix-dgram": true, "udp": true}

func TestFDPeerGone(t *testing.T) {
	fdForEach(t, func(t *testing.T, name string, api transports.API) {
		for _, closer := range []string{"peer", "parent"} {
			parent, peer := transporttest.Pair(t, name, transports.Options{API: api})
			gone, left := peer, parent
			if closer == "parent" {
				gone, left = parent, peer
			}
			if err := gone.Close(); err != nil {
				t.Fatalf("close %s: %v", closer, err)
			}
			buf := make([]byte, 64)
			if noEOF[name] {
				in, ok := left.(transports.Interrupter)
				if !ok {
					t.Fatalf("%s: Conn %T is not an Interrupter", name, left)
				}
				errc := make(chan error, 1)
				go func() { _, err := left.Recv(buf); errc <- err }()
				time.Sleep(20 * time.Millisecond)
				in.Interrupt()
				if err := fdWait(t, "recv after interrupt", errc); !errors.Is(err, transports.ErrInterrupted) {
					t.Fatalf("%s closed, recv interrupted: got %v, want ErrInterrupted", closer, err)
				}
			} else if _, err := left.Recv(buf); !errors.Is(err, transports.ErrPeerGone) {
				t.Fatalf("%s closed: recv got %v, want ErrPeerGone", closer, err)
			}
			// Sending to a closed peer fails too, at once (pipes, unix
			// sockets) or once the kernel has learnt it (TCP reset, UDP
			// port unreachable).
			var err error
			for i := 0; i < 50 && err == nil; i++ {
				if err = left.Send([]byte("x")); err == nil {
					time.Sleep(2 * time.Millisecond)
				}
			}
			if !errors.Is(err, transports.ErrPeerGone) && !errors.Is(err, transports.ErrInterrupted) {
				t.Fatalf("%s closed: send got %v, want ErrPeerGone", closer, err)
			}
		}
	})
}

func TestFDClose(t *testing.T) {
	fdForEach(t, func(t *testing.T, name string, api transports.API) {
		parent, peer := transporttest.Pair(t, name, transports.Options{API: api})
		for _, c := range []transports.Conn{parent, peer} {
			if err := c.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			if err := c.Close(); err != nil {
				t.Fatalf("second close: %v", err)
			}
			if err := c.Send([]byte("x")); !errors.Is(err, transports.ErrClosed) {
				t.Fatalf("send after close: %v, want ErrClosed", err)
			}
			if _, err := c.Recv(make([]byte, 8)); !errors.Is(err, transports.ErrClosed) {
				t.Fatalf("recv after close: %v, want ErrClosed", err)
			}
		}
	})
}

// fdCreateAttach does what Pair does, without its cleanups, so that a test
// can check what is left after Close.
func fdCreateAttach(t *testing.T, name string, api transports.API) (parent, peer transports.Conn, spec transports.Spec) {
	t.Helper()
	info, err := transports.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	tr := info.New()
	parent, ep, err := tr.Create(transports.Options{API: api})
	if err != nil {
		t.Fatal(err)
	}
	peer, err = tr.Attach(ep.Spec, ep.Files)
	if err != nil {
		parent.Close()
		t.Fatal(err)
	}
	if cn, ok := parent.(transports.Connector); ok {
		if err := cn.Connect(nil); err != nil {
			parent.Close()
			peer.Close()
			t.Fatal(err)
		}
	}
	return parent, peer, ep.Spec
}

func TestFDNoLeaks(t *testing.T) {
	// The runtime's poller opens its own descriptors once: start it first.
	p, q, _ := fdCreateAttach(t, "unix-stream", transports.Runtime)
	p.Close()
	q.Close()
	fdForEach(t, func(t *testing.T, name string, api transports.API) {
		before, tmpBefore := countFDs(t), fdTempEntries(t)
		parent, peer, _ := fdCreateAttach(t, name, api)
		errc := fdSend(parent, []byte("hello"))
		buf := make([]byte, 16)
		if n, err := peer.Recv(buf); err != nil || string(buf[:n]) != "hello" {
			t.Fatalf("recv: %q %v", buf[:n], err)
		}
		fdWait(t, "send", errc)
		if err := parent.Close(); err != nil {
			t.Fatal(err)
		}
		if err := peer.Close(); err != nil {
			t.Fatal(err)
		}
		if after := countFDs(t); after != before {
			t.Fatalf("%d descriptors before, %d after Close", before, after)
		}
		if tmp := fdTempEntries(t); tmp != tmpBefore {
			t.Fatalf("temporary entries %q before, %q after Close", tmpBefore, tmp)
		}
	})
}

// fdTempEntries lists this process's ipcbench entries in the temporary
// directory. (transporttest.CheckLeaks is not used: it also counts every
// root-owned System V queue on the machine, which other processes make.)
func fdTempEntries(t *testing.T) string {
	ents, err := os.ReadDir(os.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), fmt.Sprintf("ipcbench-%d-", os.Getpid())) {
			s = append(s, e.Name())
		}
	}
	return strings.Join(s, " ")
}

func countFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func TestFIFOCleanup(t *testing.T) {
	for _, api := range []transports.API{transports.Raw, transports.Runtime} {
		t.Run("api="+string(api), func(t *testing.T) {
			fdsBefore, tmpBefore := countFDs(t), fdTempEntries(t)
			defer func() {
				if fdsAfter, tmp := countFDs(t), fdTempEntries(t); fdsAfter != fdsBefore || tmp != tmpBefore {
					t.Errorf("left behind: %d descriptors before, %d after; temporary entries %q before, %q after", fdsBefore, fdsAfter, tmpBefore, tmp)
				}
			}()
			info, _ := transports.Lookup("fifo")
			tr := info.New()

			// Create then Close without a peer: everything removed.
			c, ep, err := tr.Create(transports.Options{API: api})
			if err != nil {
				t.Fatal(err)
			}
			dir := fdFIFODir(t, ep.Spec)
			if _, err := os.Stat(ep.Spec.Params["p2c"]); err != nil {
				t.Fatalf("FIFO missing after Create: %v", err)
			}
			c.Close()
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("directory %s after Close: %v", dir, err)
			}

			// Create, Attach, Connect: the names go at Connect.
			c, ep, err = tr.Create(transports.Options{API: api})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			dir = fdFIFODir(t, ep.Spec)
			peer, err := tr.Attach(ep.Spec, ep.Files)
			if err != nil {
				t.Fatal(err)
			}
			defer peer.Close()
			// The peer's Recv starts before Connect: it must wait for the
			// parent's writer rather than take its absence for end of file.
			got := make(chan error, 1)
			buf := make([]byte, 16)
			go func() {
				n, err := peer.Recv(buf)
				if err == nil && string(buf[:n]) != "first" {
					err = fmt.Errorf("got %q", buf[:n])
				}
				got <- err
			}()
			time.Sleep(30 * time.Millisecond)
			if err := c.(transports.Connector).Connect(nil); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("directory %s after Connect: %v", dir, err)
			}
			if err := c.Send([]byte("first")); err != nil {
				t.Fatal(err)
			}
			if err := fdWait(t, "peer recv", got); err != nil {
				t.Fatalf("peer recv started before Connect: %v", err)
			}
		})
	}
}

func fdFIFODir(t *testing.T, spec transports.Spec) string {
	t.Helper()
	p2c := spec.Params["p2c"]
	if p2c == "" {
		t.Fatalf("spec lacks p2c: %+v", spec)
	}
	dir := p2c[:len(p2c)-len("/p2c")]
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Fatalf("directory mode %v, want 0700", st.Mode().Perm())
	}
	if want := fmt.Sprintf("ipcbench-%d-", os.Getpid()); !bytes.Contains([]byte(dir), []byte(want)) {
		t.Fatalf("directory %s lacks the prefix %s", dir, want)
	}
	fi, err := os.Stat(p2c)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeNamedPipe == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s: mode %v, want a 0600 named pipe", p2c, fi.Mode())
	}
	return dir
}

func TestFDInterrupt(t *testing.T) {
	for _, name := range []string{"unix-dgram", "udp"} {
		for _, api := range []transports.API{transports.Raw, transports.Runtime} {
			t.Run(fmt.Sprintf("transport=%s/api=%s", name, api), func(t *testing.T) {
				parent, _ := transporttest.Pair(t, name, transports.Options{API: api})
				errc := make(chan error, 1)
				go func() { _, err := parent.Recv(make([]byte, 8)); errc <- err }()
				time.Sleep(20 * time.Millisecond)
				start := time.Now()
				parent.(transports.Interrupter).Interrupt()
				if err := fdWait(t, "recv", errc); !errors.Is(err, transports.ErrInterrupted) {
					t.Fatalf("got %v, want ErrInterrupted", err)
				}
				if d := time.Since(start); d > time.Second {
					t.Fatalf("Interrupt took %v", d)
				}
			})
		}
	}
}

func TestFDNoAllocs(t *testing.T) {
	fdForEach(t, func(t *testing.T, name string, api transports.API) {
		parent, peer := transporttest.Pair(t, name, transports.Options{API: api})
		msg, buf := fdPattern(1, 1000), make([]byte, 2000)
		// Warm up: the poller's first use of a descriptor may allocate.
		for i := 0; i < 3; i++ {
			parent.Send(msg)
			peer.Recv(buf)
		}
		allocs := testing.AllocsPerRun(200, func() {
			if err := parent.Send(msg); err != nil {
				t.Fatal(err)
			}
			if n, err := peer.Recv(buf); err != nil || n != len(msg) {
				t.Fatal(n, err)
			}
		})
		if allocs != 0 {
			t.Fatalf("%v allocations per message, want 0", allocs)
		}
	})
}
