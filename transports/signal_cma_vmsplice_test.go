package transports_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcbench/ipcbench/transports"
	"github.com/ipcbench/ipcbench/transports/transporttest"
)

// lockedThread runs functions on one goroutine locked to its OS thread,
// which exits (and the thread with it) on stop. Signal Conns must be used
// on the thread that made them, so transporttest.Pair (whose attaching
// thread exits at once) does not fit them.
type lockedThread struct {
	fns  chan func()
	done chan struct{}
}

func newLockedThread(t *testing.T) *lockedThread {
	l := &lockedThread{fns: make(chan func()), done: make(chan struct{})}
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		defer close(l.done)
		for f := range l.fns {
			f()
		}
	}()
	t.Cleanup(l.stop)
	return l
}

// run runs f on the thread and waits for it.
func (l *lockedThread) run(f func()) {
	d := l.start(f)
	<-d
}

// start runs f on the thread; the channel is closed when f returns.
func (l *lockedThread) start(f func()) <-chan struct{} {
	d := make(chan struct{})
	l.fns <- func() { defer close(d); f() }
	return d
}

func (l *lockedThread) stopped() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

func (l *lockedThread) stop() {
	select {
	case <-l.done:
		return
	default:
	}
	close(l.fns)
	<-l.done
}

// sigBlk reads the calling thread's blocked-signal mask.
func sigBlk(t *testing.T) string {
	b, err := os.ReadFile("/proc/thread-self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "SigBlk:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatal("no SigBlk in /proc/thread-self/status")
	return ""
}

// signalConns creates a raw signal channel between two locked threads and
// checks that both threads' signal masks are restored by Close.
func signalConns(t *testing.T, opts transports.Options) (p, q *lockedThread, parent, peer transports.Conn) {
	t.Helper()
	info, err := transports.Lookup("signal")
	if err != nil {
		t.Fatal(err)
	}
	tr := info.New()
	p, q = newLockedThread(t), newLockedThread(t)
	var ep transports.Endpoint
	var maskP, maskQ string
	p.run(func() {
		maskP = sigBlk(t)
		parent, ep, err = tr.Create(opts)
	})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	q.run(func() {
		maskQ = sigBlk(t)
		peer, err = tr.Attach(ep.Spec, ep.Files)
	})
	if err != nil {
		p.run(func() { parent.Close() })
		t.Fatalf("attach: %v", err)
	}
	if err := parent.(transports.Connector).Connect(peer.(transports.Replier).Reply()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, s := range []struct {
			l    *lockedThread
			c    transports.Conn
			mask string
		}{{p, parent, maskP}, {q, peer, maskQ}} {
			if s.l.stopped() {
				continue // the test ended the thread itself
			}
			s.l.run(func() {
				if err := s.c.Close(); err != nil {
					t.Errorf("close: %v", err)
				}
				if got := sigBlk(t); got != s.mask {
					t.Errorf("SigBlk %s after Close, want %s as before Create/Attach", got, s.mask)
				}
			})
		}
	})
	return p, q, parent, peer
}

func TestSignalDelivery(t *testing.T) {
	p, q, parent, peer := signalConns(t, transports.Options{API: transports.Raw})
	msgs := [][]byte{{}, {0}, {0xff}, {1, 2}, {0, 0, 0}, {0xff, 0xff, 0xff, 0xff}, {1, 2, 3, 4, 5}, {9, 8, 7, 6, 5, 4}, {0, 1, 0, 1, 0, 1, 0}, {0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}
	for n := 0; n <= 8; n++ {
		m := make([]byte, n)
		for i := range m {
			m[i] = byte(rand.IntN(256))
		}
		msgs = append(msgs, m)
	}
	for _, dir := range []struct {
		name     string
		from, to transports.Conn
		rt       *lockedThread
	}{{"parent-to-peer", parent, peer, q}, {"peer-to-parent", peer, parent, p}} {
		for _, m := range msgs {
			if err := dir.from.Send(m); err != nil {
				t.Fatalf("%s: send %x: %v", dir.name, m, err)
			}
			buf := make([]byte, 16)
			var n int
			var err error
			dir.rt.run(func() { n, err = dir.to.Recv(buf) })
			if err != nil || !bytes.Equal(buf[:n], m) {
				t.Fatalf("%s: sent %x, received %x, %v", dir.name, m, buf[:n], err)
			}
		}
	}
	// A buffer too small keeps the message for the next Recv.
	if err := parent.Send([]byte("12345678")); err != nil {
		t.Fatal(err)
	}
	q.run(func() {
		if _, err := peer.Recv(make([]byte, 4)); !errors.Is(err, io.ErrShortBuffer) {
			t.Errorf("Recv of 8 bytes into 4: %v, want io.ErrShortBuffer", err)
		}
		buf := make([]byte, 8)
		if n, err := peer.Recv(buf); err != nil || string(buf[:n]) != "12345678" {
			t.Errorf("Recv after short buffer: %q, %v", buf[:n], err)
		}
	})
}

func TestSignalOrdering(t *testing.T) {
	_, q, parent, peer := signalConns(t, transports.Options{API: transports.Raw})
	const n = 10000
	msg := func(i int) []byte {
		b := []byte(strconv.FormatUint(uint64(i)*2654435761%100000000, 10))
		return b[:i%(len(b)+1)] // every length, content tied to i
	}
	var recvErr error
	done := q.start(func() {
		buf := make([]byte, 8)
		for i := range n {
			k, err := peer.Recv(buf)
			if err != nil {
				recvErr = fmt.Errorf("message %d: %w", i, err)
				return
			}
			if !bytes.Equal(buf[:k], msg(i)) {
				recvErr = fmt.Errorf("message %d: got %q, want %q", i, buf[:k], msg(i))
				return
			}
		}
	})
	for i := range n {
		if err := parent.Send(msg(i)); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	<-done
	if recvErr != nil {
		t.Fatal(recvErr)
	}
}

func TestSignalLimits(t *testing.T) {
	_, _, parent, _ := signalConns(t, transports.Options{API: transports.Raw})
	var le *transports.LimitError
	err := parent.Send(make([]byte, 9))
	if !errors.Is(err, transports.ErrMessageTooLarge) || !errors.As(err, &le) || !strings.Contains(le.Source, "sigqueue") || le.Max != 8 {
		t.Errorf("Send of 9 bytes: %v, want a *LimitError with max 8 naming sigqueue", err)
	}
	info, _ := transports.Lookup("signal")
	if _, _, err := info.New().Create(transports.Options{API: transports.Raw, MaxMessage: 9}); !errors.As(err, &le) {
		t.Errorf("Create with MaxMessage 9: %v, want *LimitError", err)
	}
	// A channel made for 4 bytes refuses 5.
	_, _, small, _ := signalConns(t, transports.Options{API: transports.Raw, MaxMessage: 4})
	if err := small.Send(make([]byte, 5)); !errors.As(err, &le) || le.Max != 4 {
		t.Errorf("Send of 5 bytes on a 4-byte channel: %v", err)
	}
}

// TestSignalQueueFull lowers RLIMIT_SIGPENDING and fills the peer's queue:
// Send must then fail with EAGAIN and name the limit.
func TestSignalQueueFull(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the send timeout")
	}
	_, _, parent, _ := signalConns(t, transports.Options{API: transports.Raw})
	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_SIGPENDING, &old); err != nil {
		t.Fatal(err)
	}
	low := old
	low.Cur = 64
	if err := unix.Setrlimit(unix.RLIMIT_SIGPENDING, &low); err != nil {
		t.Skipf("setrlimit RLIMIT_SIGPENDING: %v", err)
	}
	defer unix.Setrlimit(unix.RLIMIT_SIGPENDING, &old)
	var err error
	for i := 0; i < 100000 && err == nil; i++ {
		err = parent.Send([]byte{byte(i)})
	}
	if !errors.Is(err, unix.EAGAIN) || !strings.Contains(err.Error(), "RLIMIT_SIGPENDING") {
		t.Errorf("Send into a full queue: %v, want EAGAIN naming RLIMIT_SIGPENDING", err)
	}
}

func TestSignalInterruptAndPeerGone(t *testing.T) {
	p, q, parent, peer := signalConns(t, transports.Options{API: transports.Raw})
	var err error
	done := q.start(func() { _, err = peer.Recv(make([]byte, 8)) })
	time.Sleep(20 * time.Millisecond)
	peer.(transports.Interrupter).Interrupt()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Interrupt did not end Recv")
	}
	if !errors.Is(err, transports.ErrInterrupted) {
		t.Errorf("Recv after Interrupt: %v, want ErrInterrupted", err)
	}
	// The peer's thread exits: Send reports the peer gone.
	q.run(func() { peer.Close() })
	q.stop()
	deadline := time.Now().Add(5 * time.Second)
	for {
		err = parent.Send([]byte{1})
		if err != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if !errors.Is(err, transports.ErrPeerGone) {
		t.Errorf("Send to an exited thread: %v, want ErrPeerGone", err)
	}
	p.run(func() {
		parent.Close()
		if err := parent.Send(nil); !errors.Is(err, transports.ErrClosed) {
			t.Errorf("Send after Close: %v, want ErrClosed", err)
		}
		if _, err := parent.Recv(nil); !errors.Is(err, transports.ErrClosed) {
			t.Errorf("Recv after Close: %v, want ErrClosed", err)
		}
	})
}

func TestSignalRuntimeNotify(t *testing.T) {
	parent, peer := transporttest.Pair(t, "signal", transports.Options{API: transports.Runtime})
	for i := range 200 {
		if err := parent.Send(nil); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		if n, err := peer.Recv(nil); n != 0 || err != nil {
			t.Fatalf("round %d: peer recv %d, %v", i, n, err)
		}
		if err := peer.Send(nil); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		if n, err := parent.Recv(nil); n != 0 || err != nil {
			t.Fatalf("round %d: parent recv %d, %v", i, n, err)
		}
	}
	var le *transports.LimitError
	if err := parent.Send([]byte{1}); !errors.As(err, &le) || !strings.Contains(le.Source, "os/signal") {
		t.Errorf("Send of 1 byte with api=runtime: %v, want a *LimitError naming os/signal", err)
	}
	go func() { time.Sleep(20 * time.Millisecond); peer.(transports.Interrupter).Interrupt() }()
	if _, err := peer.Recv(nil); !errors.Is(err, transports.ErrInterrupted) {
		t.Errorf("Recv after Interrupt: %v", err)
	}
}

// pairOrSkip is transporttest.Pair for in-process unit tests, but skips the
// test with the reason when the mechanism is not permitted here.
func pairOrSkip(t *testing.T, name string, opts transports.Options) (parent, peer transports.Conn) {
	t.Helper()
	info, err := transports.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	tr := info.New()
	parent, ep, err := tr.Create(opts)
	if err != nil {
		t.Fatalf("%s: create: %v", name, err)
	}
	t.Cleanup(func() { parent.Close() })
	peer, err = tr.Attach(ep.Spec, ep.Files)
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skipf("%s: %v", name, err)
	}
	if err != nil {
		t.Fatalf("%s: attach: %v", name, err)
	}
	t.Cleanup(func() { peer.Close() })
	var reply map[string]string
	if rp, ok := peer.(transports.Replier); ok {
		reply = rp.Reply()
	}
	if cn, ok := parent.(transports.Connector); ok {
		err := cn.Connect(reply)
		if errors.Is(err, errors.ErrUnsupported) {
			t.Skipf("%s: %v", name, err)
		}
		if err != nil {
			t.Fatalf("%s: connect: %v", name, err)
		}
	}
	return parent, peer
}

func pattern(seq, size int) []byte {
	b := make([]byte, size)
	fillPattern(b, seq)
	return b
}

func fillPattern(b []byte, seq int) {
	x := uint32(seq)*2654435761 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
}

func openFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// stream sends count messages of size from one side and checks each on the
// other, with the receiver running concurrently; the sender rewrites its
// buffer right after every Send.
func stream(t *testing.T, from, to transports.Conn, size, count int) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		buf := make([]byte, size)
		want := make([]byte, size)
		for i := range count {
			n, err := to.Recv(buf)
			if err != nil {
				errc <- fmt.Errorf("recv %d: %w", i, err)
				return
			}
			fillPattern(want, i)
			if n != size || !bytes.Equal(buf[:n], want) {
				errc <- fmt.Errorf("message %d of %d bytes: received %d bytes, content differs", i, size, n)
				return
			}
		}
		errc <- nil
	}()
	msg := make([]byte, size)
	for i := range count {
		fillPattern(msg, i)
		if err := from.Send(msg); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		for j := range msg { // the caller reuses its buffer at once
			msg[j] = 0xEE
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func TestCMAAndVmspliceIntegrity(t *testing.T) {
	for _, name := range []string{"cma", "vmsplice"} {
		for _, size := range []int{1, 64, 4096, 1 << 20} {
			t.Run(fmt.Sprintf("transport=%s/size=%d", name, size), func(t *testing.T) {
				parent, peer := pairOrSkip(t, name, transports.Options{API: transports.Raw, MaxMessage: size})
				count := 2000
				if size >= 1<<20 {
					count = 20
				}
				stream(t, parent, peer, size, count)
				stream(t, peer, parent, size, count)
				// Ping-pong: the peer echoes on its own goroutine (a
				// message above the pipe's capacity needs a reader while
				// it is sent).
				echo := make(chan error, 1)
				go func() {
					buf := make([]byte, size)
					for range 10 {
						n, err := peer.Recv(buf)
						if err == nil {
							err = peer.Send(buf[:n])
						}
						if err != nil {
							echo <- err
							return
						}
					}
					echo <- nil
				}()
				buf := make([]byte, size)
				for i := range 10 {
					if err := parent.Send(pattern(i, size)); err != nil {
						t.Fatal(err)
					}
					if n, err := parent.Recv(buf); err != nil || !bytes.Equal(buf[:n], pattern(i, size)) {
						t.Fatalf("round trip %d: %d bytes, %v", i, n, err)
					}
				}
				if err := <-echo; err != nil {
					t.Fatal(err)
				}
				var le *transports.LimitError
				if err := parent.Send(make([]byte, size+1)); !errors.As(err, &le) || le.Max != size {
					t.Errorf("Send of capacity+1 bytes: %v, want *LimitError with max %d", err, size)
				}
			})
		}
	}
}

// TestVmspliceBufferReuse sends messages of mixed sizes, so that the
// staging ring wraps at many offsets, and rewrites the caller's buffer
// right after each Send, while the reader lags behind: every message must
// arrive as it was when Send was called.
func TestVmspliceBufferReuse(t *testing.T) {
	parent, peer := pairOrSkip(t, "vmsplice", transports.Options{API: transports.Raw, MaxMessage: 200 << 10})
	sizes := make([]int, 3000)
	for i := range sizes {
		switch i % 3 {
		case 0:
			sizes[i] = rand.IntN(100)
		case 1:
			sizes[i] = rand.IntN(8 << 10)
		default:
			sizes[i] = rand.IntN(200 << 10)
		}
	}
	errc := make(chan error, 1)
	go func() {
		buf := make([]byte, 200<<10)
		for i, size := range sizes {
			if i%100 == 0 {
				time.Sleep(time.Millisecond) // let the pipe fill
			}
			n, err := peer.Recv(buf)
			if err != nil {
				errc <- fmt.Errorf("recv %d: %w", i, err)
				return
			}
			if n != size || !bytes.Equal(buf[:n], pattern(i, size)) {
				peer.Close() // unblocks the sender
				errc <- fmt.Errorf("message %d: %d bytes, want %d, or content differs", i, n, size)
				return
			}
		}
		errc <- nil
	}()
	msg := make([]byte, 200<<10)
	for i, size := range sizes {
		fillPattern(msg[:size], i)
		if err := parent.Send(msg[:size]); err != nil {
			t.Fatalf("send %d: %v (receiver: %v)", i, err, <-errc)
		}
		fillPattern(msg[:size], -i-1) // rewritten at once
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func TestCMAShortBufferAndPeerGone(t *testing.T) {
	for _, name := range []string{"cma", "vmsplice"} {
		t.Run("transport="+name, func(t *testing.T) {
			parent, peer := pairOrSkip(t, name, transports.Options{API: transports.Raw, MaxMessage: 100})
			if err := parent.Send(pattern(1, 100)); err != nil {
				t.Fatal(err)
			}
			if _, err := peer.Recv(make([]byte, 10)); !errors.Is(err, io.ErrShortBuffer) {
				t.Errorf("Recv of 100 bytes into 10: %v, want io.ErrShortBuffer", err)
			}
			if name == "cma" { // cma keeps the message for a larger buffer
				buf := make([]byte, 100)
				if n, err := peer.Recv(buf); err != nil || !bytes.Equal(buf[:n], pattern(1, 100)) {
					t.Errorf("Recv after short buffer: %d, %v", n, err)
				}
			}
			peer.Close()
			if err := peer.Send(nil); !errors.Is(err, transports.ErrClosed) {
				t.Errorf("Send after Close: %v", err)
			}
			if _, err := parent.Recv(make([]byte, 100)); !errors.Is(err, transports.ErrPeerGone) {
				t.Errorf("Recv with the peer closed: %v, want ErrPeerGone", err)
			}
			if err := parent.Send([]byte{1}); !errors.Is(err, transports.ErrPeerGone) {
				t.Errorf("Send with the peer closed: %v, want ErrPeerGone", err)
			}
		})
	}
}

func TestCMAVmspliceSignalCleanup(t *testing.T) {
	before := openFDs(t)
	for _, name := range []string{"cma", "vmsplice"} {
		t.Run("transport="+name, func(t *testing.T) {
			parent, peer := pairOrSkip(t, name, transports.Options{API: transports.Raw, MaxMessage: 4096})
			stream(t, parent, peer, 4096, 10)
		})
	}
	t.Run("transport=signal", func(t *testing.T) {
		_, q, parent, peer := signalConns(t, transports.Options{API: transports.Raw})
		if err := parent.Send([]byte{1}); err != nil {
			t.Fatal(err)
		}
		q.run(func() { peer.Recv(make([]byte, 8)) })
	})
	if after := openFDs(t); after != before {
		t.Errorf("%d descriptors open after the tests, %d before", after, before)
	}
}

// TestSignalCMAVmspliceAllocs checks that the hot path does not allocate.
func TestSignalCMAVmspliceAllocs(t *testing.T) {
	msg := pattern(1, 8)
	buf := make([]byte, 64)
	roundTrip := func(t *testing.T, from, to transports.Conn) {
		if err := from.Send(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := to.Recv(buf); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"cma", "vmsplice"} {
		t.Run("transport="+name, func(t *testing.T) {
			parent, peer := pairOrSkip(t, name, transports.Options{API: transports.Raw, MaxMessage: 64})
			if a := testing.AllocsPerRun(200, func() { roundTrip(t, parent, peer) }); a != 0 {
				t.Errorf("Send+Recv allocate %v times", a)
			}
		})
	}
	t.Run("transport=signal", func(t *testing.T) {
		_, q, parent, peer := signalConns(t, transports.Options{API: transports.Raw})
		q.run(func() {
			if a := testing.AllocsPerRun(200, func() { roundTrip(t, parent, peer) }); a != 0 {
				t.Errorf("Send+Recv allocate %v times", a)
			}
		})
	})
}
