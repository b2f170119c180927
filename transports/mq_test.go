package transports_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcbench/ipcbench/internal/sys"
	"github.com/ipcbench/ipcbench/transports"
	"github.com/ipcbench/ipcbench/transports/transporttest"
)

// mqCases are the queue transports with each API they support.
var mqCases = []struct {
	name string
	api  transports.API
}{
	{"posix-mq", transports.Raw},
	{"posix-mq", transports.Runtime},
	{"sysv-mq", transports.Raw},
}

func forEachMQ(t *testing.T, f func(t *testing.T, name string, api transports.API)) {
	for _, tc := range mqCases {
		t.Run("transport="+tc.name+"/api="+string(tc.api), func(t *testing.T) { f(t, tc.name, tc.api) })
	}
}

func mqLimits(t *testing.T, name string, api transports.API) transports.Limits {
	t.Helper()
	info, err := transports.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return info.Limits(api)
}

func fill(b []byte, seed uint64) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
}

// roundTrip sends msg from a and checks that b receives it unchanged.
func roundTrip(t *testing.T, a, b transports.Conn, msg, buf []byte) {
	t.Helper()
	if err := a.Send(msg); err != nil {
		t.Fatalf("send %d bytes: %v", len(msg), err)
	}
	n, err := b.Recv(buf)
	if err != nil {
		t.Fatalf("recv %d bytes: %v", len(msg), err)
	}
	if !bytes.Equal(buf[:n], msg) {
		t.Fatalf("received %d bytes that differ from the %d sent", n, len(msg))
	}
}

func TestMQDelivery(t *testing.T) {
	forEachMQ(t, func(t *testing.T, name string, api transports.API) {
		lim := mqLimits(t, name, api)
		parent, peer := transporttest.Pair(t, name, transports.Options{API: api})
		buf := make([]byte, lim.MaxMessage)
		for _, size := range []int{1, 64, 4096, lim.MaxMessage} {
			if size > lim.MaxMessage {
				continue
			}
			msg := make([]byte, size)
			fill(msg, uint64(size))
			roundTrip(t, parent, peer, msg, buf)
			fill(msg, uint64(size)+1)
			roundTrip(t, peer, parent, msg, buf)
		}
		// An empty message is a message too.
		roundTrip(t, parent, peer, nil, buf)
	})
}

func TestMQSmallCapacity(t *testing.T) {
	forEachMQ(t, func(t *testing.T, name string, api transports.API) {
		parent, peer := transporttest.Pair(t, name, transports.Options{API: api, MaxMessage: 64})
		msg := bytes.Repeat([]byte{7}, 64)
		roundTrip(t, parent, peer, msg, make([]byte, 64))
		err := parent.Send(make([]byte, 65))
		var le *transports.LimitError
		if !errors.As(err, &le) || le.Max != 64 || !strings.Contains(le.Source, "Options.MaxMessage") {
			t.Fatalf("send of 65 bytes on a 64-byte channel: %v, want a *LimitError naming the chosen capacity", err)
		}
	})
}

func TestMQOrdering(t *testing.T) {
	forEachMQ(t, func(t *testing.T, name string, api transports.API) {
		const count = 1000
		capacity := min(mqLimits(t, name, api).MaxMessage, 8192)
		parent, peer := transporttest.Pair(t, name, transports.Options{API: api, MaxMessage: capacity})
		sizes := make([]int, count)
		r := rand.New(rand.NewPCG(1, 2))
		for i := range sizes {
			sizes[i] = 8 + r.IntN(capacity-7)
		}
		errc := make(chan error, 1)
		go func() {
			msg := make([]byte, capacity)
			for i, size := range sizes {
				fill(msg[:size], uint64(i))
				if err := parent.Send(msg[:size]); err != nil {
					errc <- fmt.Errorf("send %d: %w", i, err)
					return
				}
			}
			errc <- nil
		}()
		buf := make([]byte, capacity)
		want := make([]byte, capacity)
		for i, size := range sizes {
			n, err := peer.Recv(buf)
			if err != nil {
				t.Fatalf("recv %d: %v", i, err)
			}
			fill(want[:size], uint64(i))
			if !bytes.Equal(buf[:n], want[:size]) {
				t.Fatalf("message %d: got %d bytes, want %d bytes of message %d", i, n, size, i)
			}
		}
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	})
}

func TestMQLimit(t *testing.T) {
	forEachMQ(t, func(t *testing.T, name string, api transports.API) {
		lim := mqLimits(t, name, api)
		wantSource := map[string]string{"posix-mq": "msgsize_max", "sysv-mq": "/proc/sys/kernel/msgm"}[name]
		if !strings.Contains(lim.Source, wantSource) && !strings.Contains(lim.Source, "RLIMIT_MSGQUEUE") &&
			!strings.Contains(lim.Source, "HARD_MSGSIZEMAX") {
			t.Errorf("Limits().Source = %q, does not name the limit", lim.Source)
		}
		parent, peer := transporttest.Pair(t, name, transports.Options{API: api})
		msg := make([]byte, lim.MaxMessage+1)
		fill(msg, 3)
		roundTrip(t, parent, peer, msg[:lim.MaxMessage], make([]byte, lim.MaxMessage))
		err := parent.Send(msg)
		var le *transports.LimitError
		if !errors.Is(err, transports.ErrMessageTooLarge) || !errors.As(err, &le) {
			t.Fatalf("send of limit+1 = %d bytes: %v, want a *LimitError", len(msg), err)
		}
		if le.Got != lim.MaxMessage+1 || le.Max != lim.MaxMessage || le.Source != lim.Source || le.Transport != name {
			t.Fatalf("LimitError = %+v, want Got %d Max %d Source %q", le, lim.MaxMessage+1, lim.MaxMessage, lim.Source)
		}
		// The channel still works after the refused send.
		roundTrip(t, peer, parent, msg[:1], make([]byte, lim.MaxMessage))

		info, _ := transports.Lookup(name)
		_, _, err = info.New().Create(transports.Options{API: api, MaxMessage: lim.MaxMessage + 1})
		if !errors.As(err, &le) || le.Source != lim.Source {
			t.Fatalf("Create with MaxMessage limit+1: %v, want a *LimitError naming %q", err, lim.Source)
		}
	})
}

func TestMQShortBuffer(t *testing.T) {
	forEachMQ(t, func(t *testing.T, name string, api transports.API) {
		parent, peer := transporttest.Pair(t, name, transports.Options{API: api, MaxMessage: 256})
		msg := make([]byte, 100)
		fill(msg, 4)
		if err := parent.Send(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := peer.Recv(make([]byte, 99)); !errors.Is(err, io.ErrShortBuffer) {
			t.Fatalf("recv of 100 bytes into 99: %v, want io.ErrShortBuffer", err)
		}
		if name == "sysv-mq" {
			// System V keeps the message that did not fit.
			buf := make([]byte, 100)
			if n, err := peer.Recv(buf); err != nil || !bytes.Equal(buf[:n], msg) {
				t.Fatalf("recv after short buffer: %d bytes, %v; want the 100 bytes kept", n, err)
			}
		}
		// A message that fits a short buffer is delivered through it.
		roundTrip(t, parent, peer, msg[:10], make([]byte, 10))
	})
}

func TestMQClose(t *testing.T) {
	forEachMQ(t, func(t *testing.T, name string, api transports.API) {
		parent, peer := transporttest.Pair(t, name, transports.Options{API: api, MaxMessage: 64})
		for _, c := range []transports.Conn{peer, parent} {
			if err := c.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			if err := c.Close(); err != nil {
				t.Fatalf("second close: %v", err)
			}
			if err := c.Send([]byte("x")); !errors.Is(err, transports.ErrClosed) {
				t.Fatalf("send after close: %v, want ErrClosed", err)
			}
			if _, err := c.Recv(make([]byte, 64)); !errors.Is(err, transports.ErrClosed) {
				t.Fatalf("recv after close: %v, want ErrClosed", err)
			}
			c.(transports.Interrupter).Interrupt() // harmless after Close
		}
	})
}

// mqExists reports whether the POSIX queue name exists.
func mqExists(t *testing.T, name string) bool {
	t.Helper()
	fd, err := sys.MqOpen(name, unix.O_RDONLY, 0, nil)
	if err == nil {
		unix.Close(fd)
		return true
	}
	if !errors.Is(err, unix.ENOENT) {
		t.Fatalf("mq_open %s: %v", name, err)
	}
	return false
}

// mqListed lists the POSIX queues whose names start with prefix, by
// mounting an mqueue file system on a temporary directory (root only).
func mqListed(t *testing.T, prefix string) ([]string, bool) {
	dir := t.TempDir()
	if err := unix.Mount("mqueue", dir, "mqueue", 0, ""); err != nil {
		return nil, false
	}
	defer unix.Unmount(dir, 0)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) {
			names = append(names, e.Name())
		}
	}
	return names, true
}

func TestPosixMQCleanup(t *testing.T) {
	for _, api := range []transports.API{transports.Raw, transports.Runtime} {
		t.Run("api="+string(api), func(t *testing.T) {
			info, _ := transports.Lookup("posix-mq")
			tr := info.New()
			// Created, never attached: Close unlinks.
			c, ep, err := tr.Create(transports.Options{API: api, MaxMessage: 128})
			if err != nil {
				t.Fatal(err)
			}
			p2c, c2p := ep.Spec.Params["p2c"], ep.Spec.Params["c2p"]
			prefix := fmt.Sprintf("ipcbench-%d-", os.Getpid())
			for _, n := range []string{p2c, c2p} {
				if !strings.HasPrefix(n, prefix) || !mqExists(t, n) {
					t.Fatalf("queue %q: want an existing queue named %s<hex>-...", n, prefix)
				}
			}
			if listed, ok := mqListed(t, strings.TrimSuffix(p2c, "-p2c")); ok && len(listed) != 2 {
				t.Fatalf("mqueue lists %v, want the 2 queues", listed)
			}
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			if mqExists(t, p2c) || mqExists(t, c2p) {
				t.Fatal("queues still exist after Close")
			}
			// Attached: Connect unlinks, and the queues keep working.
			parent, peer := transporttest.Pair(t, "posix-mq", transports.Options{API: api, MaxMessage: 128})
			if listed, ok := mqListed(t, prefix); ok && len(listed) != 0 {
				t.Fatalf("after Connect mqueue still lists %v", listed)
			}
			roundTrip(t, parent, peer, []byte("still here"), make([]byte, 128))
		})
	}
}

// inSysvipcMsg reports whether System V queue id exists.
func inSysvipcMsg(t *testing.T, id int) bool {
	t.Helper()
	b, err := os.ReadFile("/proc/sysvipc/msg")
	if err != nil {
		t.Skip(err)
	}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		if f := strings.Fields(line); len(f) > 1 && f[1] == strconv.Itoa(id) {
			return true
		}
	}
	return false
}

func TestSysvMQCleanup(t *testing.T) {
	info, _ := transports.Lookup("sysv-mq")
	tr := info.New()
	for _, attach := range []bool{false, true} {
		c, ep, err := tr.Create(transports.Options{MaxMessage: 128})
		if err != nil {
			t.Fatal(err)
		}
		var ids []int
		for _, k := range []string{"p2c", "c2p"} {
			id, err := strconv.Atoi(ep.Spec.Params[k])
			if err != nil || !inSysvipcMsg(t, id) {
				t.Fatalf("queue %s = %q not in /proc/sysvipc/msg", k, ep.Spec.Params[k])
			}
			var ds sys.MsqidDs
			if err := sys.Msgctl(id, unix.IPC_STAT, &ds); err != nil || ds.Perm.Mode&0o777 != 0o600 {
				t.Fatalf("queue %d: mode %o, %v; want 0600", id, ds.Perm.Mode&0o777, err)
			}
			ids = append(ids, id)
		}
		if attach {
			peer, err := tr.Attach(ep.Spec, nil)
			if err != nil {
				t.Fatal(err)
			}
			roundTrip(t, c, peer, []byte("x"), make([]byte, 128))
			// The peer's Close leaves the queues to the owner.
			peer.Close()
			if !inSysvipcMsg(t, ids[0]) {
				t.Fatal("the peer's Close removed the queues")
			}
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			if inSysvipcMsg(t, id) {
				t.Fatalf("queue %d still in /proc/sysvipc/msg after Close", id)
			}
		}
	}
}

// waitReturn waits up to a second for a blocked call to return.
func waitReturn(t *testing.T, what string, errc <-chan error) error {
	t.Helper()
	select {
	case err := <-errc:
		return err
	case <-time.After(time.Second):
		t.Fatalf("Interrupt did not wake the blocked %s within 1 s", what)
		return nil
	}
}

func TestMQInterruptRecv(t *testing.T) {
	forEachMQ(t, func(t *testing.T, name string, api transports.API) {
		for _, side := range []string{"parent", "peer"} {
			parent, peer := transporttest.Pair(t, name, transports.Options{API: api, MaxMessage: 64})
			c, other := parent, peer
			if side == "peer" {
				c, other = peer, parent
			}
			errc := make(chan error, 1)
			go func() {
				_, err := c.Recv(make([]byte, 64))
				errc <- err
			}()
			time.Sleep(50 * time.Millisecond)
			c.(transports.Interrupter).Interrupt()
			if err := waitReturn(t, side+" Recv", errc); !errors.Is(err, transports.ErrInterrupted) {
				t.Fatalf("%s: blocked Recv after Interrupt: %v, want ErrInterrupted", side, err)
			}
			if _, err := c.Recv(make([]byte, 64)); !errors.Is(err, transports.ErrInterrupted) {
				t.Fatalf("%s: Recv after Interrupt: %v, want ErrInterrupted", side, err)
			}
			if name == "sysv-mq" {
				// The queues are gone: the other side sees its peer gone.
				if _, err := other.Recv(make([]byte, 64)); !errors.Is(err, transports.ErrPeerGone) {
					t.Fatalf("%s interrupted; other side's Recv: %v, want ErrPeerGone", side, err)
				}
			}
		}
	})
}

func TestMQInterruptSend(t *testing.T) {
	forEachMQ(t, func(t *testing.T, name string, api transports.API) {
		parent, _ := transporttest.Pair(t, name, transports.Options{API: api, MaxMessage: 4096})
		errc := make(chan error, 1)
		sent := make(chan int, 1)
		go func() {
			msg := make([]byte, 4096)
			for i := 0; ; i++ {
				if i == 100_000 {
					errc <- errors.New("never blocked")
					return
				}
				select {
				case sent <- i:
				default:
				}
				if err := parent.Send(msg); err != nil {
					errc <- err
					return
				}
			}
		}()
		time.Sleep(100 * time.Millisecond)
		parent.(transports.Interrupter).Interrupt()
		if err := waitReturn(t, "Send", errc); !errors.Is(err, transports.ErrInterrupted) {
			t.Fatalf("blocked Send after Interrupt: %v, want ErrInterrupted", err)
		}
	})
}

func TestMQNoAllocs(t *testing.T) {
	forEachMQ(t, func(t *testing.T, name string, api transports.API) {
		parent, peer := transporttest.Pair(t, name, transports.Options{API: api, MaxMessage: 1024})
		msg, buf := make([]byte, 512), make([]byte, 1024)
		allocs := testing.AllocsPerRun(200, func() {
			if err := parent.Send(msg); err != nil {
				t.Fatal(err)
			}
			if _, err := peer.Recv(buf); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Fatalf("%v allocations per Send+Recv, want 0", allocs)
		}
	})
}

const unprivEnv = "IPCBENCH_MQTEST_UNPRIVILEGED"

// TestMQUnprivileged runs TestMQUnprivilegedChild as user nobody (65534),
// from a copy of the test binary that user can execute.
func TestMQUnprivileged(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to switch to an ordinary user")
	}
	if os.Getenv(unprivEnv) != "" {
		t.Skip("already the child")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "ipcbench-mqtest-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "mq.test")
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^TestMQUnprivilegedChild$", "-test.v", "-test.count=1")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), unprivEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{}}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestMQUnprivilegedChild") {
		t.Fatalf("child as uid 65534: %v\n%s", err, out)
	}
	t.Logf("child as uid 65534:\n%s", out)
}

// TestMQUnprivilegedChild checks the limits an ordinary user meets. It
// runs only under TestMQUnprivileged.
func TestMQUnprivilegedChild(t *testing.T) {
	if os.Getenv(unprivEnv) == "" {
		t.Skip("run by TestMQUnprivileged")
	}
	if os.Getuid() == 0 {
		t.Fatal("child runs as root")
	}
	readInt := func(path string) int {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		n, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	var le *transports.LimitError

	// posix-mq: msgsize_max binds, and Create raises the soft rlimit.
	lim := mqLimits(t, "posix-mq", transports.Raw)
	if msgsizeMax := readInt("/proc/sys/fs/mqueue/msgsize_max"); lim.MaxMessage != msgsizeMax || !strings.Contains(lim.Source, "msgsize_max") {
		t.Fatalf("posix-mq limits %+v, want msgsize_max = %d", lim, msgsizeMax)
	}
	var rl unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_MSGQUEUE, &rl)
	if err := unix.Setrlimit(unix.RLIMIT_MSGQUEUE, &unix.Rlimit{Cur: 1000, Max: rl.Max}); err != nil {
		t.Fatal(err)
	}
	parent, peer := transporttest.Pair(t, "posix-mq", transports.Options{})
	msg := make([]byte, lim.MaxMessage+1)
	roundTrip(t, parent, peer, msg[:lim.MaxMessage], make([]byte, lim.MaxMessage))
	if err := parent.Send(msg); !errors.As(err, &le) {
		t.Fatalf("posix-mq send of limit+1: %v", err)
	}
	var now unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_MSGQUEUE, &now)
	if now.Cur != rl.Max {
		t.Fatalf("RLIMIT_MSGQUEUE soft limit %d after Create, want raised to the hard limit %d", now.Cur, rl.Max)
	}
	parent.Close()
	peer.Close()

	// A budget spent by other queues of the user: EMFILE, named.
	need := uint64(2 * 10 * (4096 + sys.MqMsgOverhead))
	if err := unix.Setrlimit(unix.RLIMIT_MSGQUEUE, &unix.Rlimit{Cur: need + 100, Max: need + 100}); err != nil {
		t.Fatal(err)
	}
	info, _ := transports.Lookup("posix-mq")
	c1, _, err := info.New().Create(transports.Options{MaxMessage: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	_, _, err = info.New().Create(transports.Options{MaxMessage: 4096})
	if !errors.Is(err, unix.EMFILE) || !strings.Contains(err.Error(), "RLIMIT_MSGQUEUE") {
		t.Fatalf("second channel over the budget: %v, want EMFILE naming RLIMIT_MSGQUEUE", err)
	}
	t.Logf("over the budget: %v", err)
	_, _, err = info.New().Create(transports.Options{MaxMessage: 8192})
	if !errors.As(err, &le) || !strings.Contains(le.Source, "RLIMIT_MSGQUEUE") {
		t.Fatalf("channel over the hard limit: %v, want a *LimitError naming RLIMIT_MSGQUEUE", err)
	}
	t.Logf("over the hard limit: %v", err)

	// sysv-mq: msg_qbytes stays at msgmnb.
	slim := mqLimits(t, "sysv-mq", transports.Raw)
	if want := min(readInt("/proc/sys/kernel/msgmax"), readInt("/proc/sys/kernel/msgmnb")); slim.MaxMessage != want {
		t.Fatalf("sysv-mq limits %+v, want %d", slim, want)
	}
	sinfo, _ := transports.Lookup("sysv-mq")
	tr := sinfo.New()
	sp, sep, err := tr.Create(transports.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	id, _ := strconv.Atoi(sep.Spec.Params["p2c"])
	var ds sys.MsqidDs
	if err := sys.Msgctl(id, unix.IPC_STAT, &ds); err != nil || ds.Qbytes != uint64(readInt("/proc/sys/kernel/msgmnb")) {
		t.Fatalf("msg_qbytes %d, %v; want msgmnb", ds.Qbytes, err)
	}
	speer, err := tr.Attach(sep.Spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer speer.Close()
	roundTrip(t, sp, speer, msg[:slim.MaxMessage], make([]byte, slim.MaxMessage))
}
