package transports_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcbench/ipcbench/internal/sig"
	"github.com/ipcbench/ipcbench/transports"
	"github.com/ipcbench/ipcbench/transports/transporttest"
)

// shmNames are the shared-memory transports.
func shmNames(t *testing.T) []string {
	var names []string
	for _, n := range transports.Names() {
		if info, _ := transports.Lookup(n); info.Family == "shm" {
			names = append(names, n)
		}
	}
	want := []string{"mmap-futex", "mmap-spin", "shm-eventfd", "shm-futex", "shm-hybrid", "shm-sem", "shm-signal", "shm-spin", "shm-sysvsem", "sysvshm-futex", "sysvshm-spin"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("shm transports: %v, want %v", names, want)
	}
	return names
}

// A worker runs functions on one goroutine locked to its OS thread, as
// each process of a real channel does (the signal strategy needs it).
type worker struct{ fns chan func() }

func newWorker(t *testing.T) *worker {
	w := &worker{fns: make(chan func())}
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		for f := range w.fns {
			f()
		}
	}()
	t.Cleanup(func() { close(w.fns) })
	return w
}

// start runs f on the worker and returns a channel closed when f is done.
func (w *worker) start(f func()) <-chan struct{} {
	done := make(chan struct{})
	w.fns <- func() { defer close(done); f() }
	return done
}

func (w *worker) do(f func()) { <-w.start(f) }

// shmPair makes a channel whose two ends live on two locked workers, and
// closes them there at the end of the test.
func shmPair(t *testing.T, name string, opts transports.Options) (parent, peer transports.Conn, pw, cw *worker) {
	t.Helper()
	info, err := transports.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	tr := info.New()
	pw, cw = newWorker(t), newWorker(t)
	var ep transports.Endpoint
	pw.do(func() { parent, ep, err = tr.Create(opts) })
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	cw.do(func() { peer, err = tr.Attach(ep.Spec, ep.Files) })
	if err != nil {
		pw.do(func() { parent.Close() })
		t.Fatalf("attach: %v", err)
	}
	pw.do(func() { err = parent.(transports.Connector).Connect(nil) })
	if err != nil {
		t.Errorf("connect: %v", err)
	}
	t.Cleanup(func() {
		cw.do(func() {
			if err := peer.Close(); err != nil {
				t.Errorf("peer close: %v", err)
			}
		})
		pw.do(func() {
			if err := parent.Close(); err != nil {
				t.Errorf("parent close: %v", err)
			}
		})
	})
	return parent, peer, pw, cw
}

// echo makes the peer echo n messages on its worker; the returned channel
// reports its error once it is done.
func echo(cw *worker, peer transports.Conn, n, capacity int) <-chan error {
	errc := make(chan error, 1)
	cw.start(func() {
		buf := make([]byte, capacity)
		for i := range n {
			m, err := peer.Recv(buf)
			if err == nil {
				err = peer.Send(buf[:m])
			}
			if err != nil {
				errc <- fmt.Errorf("peer, message %d: %w", i, err)
				return
			}
		}
		errc <- nil
	})
	return errc
}

func randBytes(r *rand.ChaCha8, n int) []byte {
	b := make([]byte, n)
	r.Read(b)
	return b
}

func TestShmDelivery(t *testing.T) {
	for _, name := range shmNames(t) {
		t.Run("transport="+name, func(t *testing.T) {
			transporttest.CheckLeaks(t)
			info, _ := transports.Lookup(name)
			limit := info.Limits(transports.Raw).MaxMessage
			sizes := []int{0, 1, 64, 4096, 1 << 20, limit}
			if testing.Short() {
				limit = 1 << 20
				sizes = sizes[:5]
			}
			parent, peer, pw, cw := shmPair(t, name, transports.Options{API: transports.Raw, MaxMessage: limit})
			errc := echo(cw, peer, len(sizes), limit)
			r := rand.NewChaCha8([32]byte{1})
			buf := make([]byte, limit)
			for _, n := range sizes {
				msg := randBytes(r, n)
				var got int
				var err error
				pw.do(func() {
					if err = parent.Send(msg); err == nil {
						got, err = parent.Recv(buf)
					}
				})
				if err != nil {
					t.Fatalf("%d bytes: %v", n, err)
				}
				if !bytes.Equal(buf[:got], msg) {
					t.Fatalf("%d bytes: echo of %d bytes differs", n, got)
				}
			}
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestShmOrdering(t *testing.T) {
	for _, name := range shmNames(t) {
		t.Run("transport="+name, func(t *testing.T) {
			transporttest.CheckLeaks(t)
			const capacity, n = 9000, 3000
			parent, peer, pw, cw := shmPair(t, name, transports.Options{MaxMessage: capacity})
			r := rand.New(rand.NewPCG(7, 8))
			msgs := make([][]byte, n)
			for i := range msgs {
				size := r.IntN(700)
				switch i % 97 {
				case 0:
					size = capacity
				case 1:
					size = 0
				}
				msgs[i] = make([]byte, size)
				for j := range msgs[i] {
					msgs[i][j] = byte(i*31 + j)
				}
			}
			errc := echo(cw, peer, n, capacity)
			var err error
			pw.do(func() {
				// Up to 8 messages in flight, so that rings fill, wrap and
				// drain with several records in them.
				buf := make([]byte, capacity)
				sent := 0
				for got := range n {
					for ; sent < n && sent-got < 8; sent++ {
						if err = parent.Send(msgs[sent]); err != nil {
							return
						}
					}
					var m int
					if m, err = parent.Recv(buf); err != nil {
						return
					}
					if !bytes.Equal(buf[:m], msgs[got]) {
						err = fmt.Errorf("message %d: got %d bytes, want %d (content differs or out of order)", got, m, len(msgs[got]))
						return
					}
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestShmLimit(t *testing.T) {
	for _, name := range shmNames(t) {
		t.Run("transport="+name, func(t *testing.T) {
			transporttest.CheckLeaks(t)
			info, _ := transports.Lookup(name)
			lim := info.Limits(transports.Raw)
			if lim.Source == "" || lim.MaxMessage <= 0 {
				t.Fatalf("limits %+v", lim)
			}
			if _, _, err := info.New().Create(transports.Options{API: transports.Runtime}); !errors.Is(err, transports.ErrUnsupportedAPI) {
				t.Errorf("create with api=runtime: %v, want ErrUnsupportedAPI", err)
			}
			var le *transports.LimitError
			if _, _, err := info.New().Create(transports.Options{MaxMessage: lim.MaxMessage + 1}); !errors.As(err, &le) {
				t.Errorf("create over the limit: %v, want a *LimitError", err)
			}
			const capacity = 1000
			parent, peer, pw, cw := shmPair(t, name, transports.Options{MaxMessage: capacity})
			var err error
			pw.do(func() { err = parent.Send(make([]byte, capacity+1)) })
			if !errors.As(err, &le) || le.Max != capacity || !errors.Is(err, transports.ErrMessageTooLarge) {
				t.Fatalf("send over the capacity: %v, want a *LimitError with Max %d", err, capacity)
			}
			// Still usable: exactly the capacity, and a short buffer
			// leaves the message in place.
			msg := bytes.Repeat([]byte{0xa5}, capacity)
			pw.do(func() { err = parent.Send(msg) })
			if err != nil {
				t.Fatal(err)
			}
			var n int
			cw.do(func() { _, err = peer.Recv(make([]byte, 10)) })
			if !errors.Is(err, io.ErrShortBuffer) {
				t.Fatalf("recv into a short buffer: %v, want io.ErrShortBuffer", err)
			}
			buf := make([]byte, capacity)
			cw.do(func() { n, err = peer.Recv(buf) })
			if err != nil || !bytes.Equal(buf[:n], msg) {
				t.Fatalf("recv after a short buffer: %d bytes, %v", n, err)
			}
		})
	}
}

// wait returns f's result within d, or fails.
func waitDone(t *testing.T, done <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: still blocked after 5 s", what)
	}
}

func TestShmInterrupt(t *testing.T) {
	for _, name := range shmNames(t) {
		t.Run("transport="+name, func(t *testing.T) {
			transporttest.CheckLeaks(t)
			parent, peer, pw, cw := shmPair(t, name, transports.Options{MaxMessage: 1000})
			// A blocked Recv.
			var rerr error
			done := pw.start(func() { _, rerr = parent.Recv(make([]byte, 1000)) })
			time.Sleep(20 * time.Millisecond)
			parent.(transports.Interrupter).Interrupt()
			waitDone(t, done, "recv after Interrupt")
			if !errors.Is(rerr, transports.ErrInterrupted) {
				t.Errorf("interrupted recv: %v, want ErrInterrupted", rerr)
			}
			// A blocked Send: fill the peer's outgoing ring.
			var serr error
			done = cw.start(func() {
				msg := make([]byte, 1000)
				for serr == nil {
					serr = peer.Send(msg)
				}
			})
			time.Sleep(20 * time.Millisecond)
			peer.(transports.Interrupter).Interrupt()
			waitDone(t, done, "send after Interrupt")
			if !errors.Is(serr, transports.ErrInterrupted) {
				t.Errorf("interrupted send: %v, want ErrInterrupted", serr)
			}
		})
	}
}

func TestShmPeerClose(t *testing.T) {
	for _, name := range shmNames(t) {
		t.Run("transport="+name, func(t *testing.T) {
			transporttest.CheckLeaks(t)
			parent, peer, pw, cw := shmPair(t, name, transports.Options{MaxMessage: 100})
			var err error
			done := pw.start(func() { _, err = parent.Recv(make([]byte, 100)) })
			time.Sleep(20 * time.Millisecond)
			cw.do(func() {
				if e := peer.Close(); e != nil {
					t.Errorf("peer close: %v", e)
				}
			})
			waitDone(t, done, "recv after the peer's Close")
			if !errors.Is(err, transports.ErrPeerGone) {
				t.Errorf("recv after peer close: %v, want ErrPeerGone", err)
			}
			pw.do(func() { err = parent.Send([]byte("x")) })
			if !errors.Is(err, transports.ErrPeerGone) {
				t.Errorf("send after peer close: %v, want ErrPeerGone", err)
			}
			cw.do(func() { err = peer.Send([]byte("x")) })
			if !errors.Is(err, transports.ErrClosed) {
				t.Errorf("send after own close: %v, want ErrClosed", err)
			}
		})
	}
}

// TestShmCleanup checks what the parent removes, and when: the mmap file
// and the System V segment at Connect, everything at Close even though the
// peer never attached.
func TestShmCleanup(t *testing.T) {
	for _, name := range shmNames(t) {
		t.Run("transport="+name, func(t *testing.T) {
			transporttest.CheckLeaks(t)
			info, _ := transports.Lookup(name)
			parent, ep, err := info.New().Create(transports.Options{MaxMessage: 4096})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range ep.Files {
				f.Close()
			}
			if p := ep.Spec.Params["path"]; p != "" {
				if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
					t.Errorf("mmap file %s: %v, mode %v; want 0600", p, err, fi.Mode())
				}
				if fi, err := os.Stat(strings.TrimSuffix(p, "/ring")); err != nil || fi.Mode().Perm() != 0o700 {
					t.Errorf("mmap dir: %v; want 0700", err)
				}
			}
			if err := parent.Close(); err != nil {
				t.Fatal(err)
			}
			if err := parent.Close(); err != nil {
				t.Errorf("second close: %v", err)
			}
			if err := parent.Send(nil); !errors.Is(err, transports.ErrClosed) {
				t.Errorf("send after close: %v", err)
			}
		})
	}
}

// TestShmSignalMask checks that the signal strategy leaves the waiting
// thread's signal mask as it found it once the channel is closed there.
func TestShmSignalMask(t *testing.T) {
	transporttest.CheckLeaks(t)
	parent, peer, pw, cw := shmPair(t, "shm-signal", transports.Options{MaxMessage: 64})
	blocked := func(w *worker) (b bool) {
		w.do(func() {
			var cur unix.Sigset_t
			if err := unix.PthreadSigmask(unix.SIG_BLOCK, nil, &cur); err != nil {
				t.Fatal(err)
			}
			n := uint(sig.Wake) - 1
			b = cur.Val[n/64]&(1<<(n%64)) != 0
		})
		return b
	}
	if blocked(pw) {
		t.Fatal("wake signal blocked before any wait")
	}
	// Make the parent sleep (and so block the signal) at least once.
	var err, serr error
	done := pw.start(func() { _, err = parent.Recv(make([]byte, 64)) })
	time.Sleep(20 * time.Millisecond)
	cw.do(func() { serr = peer.Send([]byte("wake up")) })
	waitDone(t, done, "recv")
	if err != nil || serr != nil {
		t.Fatal(err, serr)
	}
	if !blocked(pw) {
		t.Error("wake signal not blocked on a thread that slept")
	}
	pw.do(func() { err = parent.Close() })
	if err != nil {
		t.Fatal(err)
	}
	if blocked(pw) {
		t.Error("wake signal still blocked after Close on the waiting thread")
	}
}

// TestShmNoAllocs: sending and receiving a message through any
// shared-memory transport allocates nothing, copying or in place: the
// hot path of every shared-memory figure.
func TestShmNoAllocs(t *testing.T) {
	for _, name := range shmNames(t) {
		t.Run("transport="+name, func(t *testing.T) {
			parent, peer := transporttest.Pair(t, name, transports.Options{MaxMessage: 4096})
			msg, buf := make([]byte, 1000), make([]byte, 4096)
			if a := testing.AllocsPerRun(200, func() {
				if err := parent.Send(msg); err != nil {
					t.Fatal(err)
				}
				if n, err := peer.Recv(buf); err != nil || n != len(msg) {
					t.Fatal(n, err)
				}
			}); a != 0 {
				t.Errorf("api=raw: %v allocations per message, want 0", a)
			}
			zp, zq := zcPair(t, name, 4096)
			if a := testing.AllocsPerRun(200, func() {
				b, err := zp.Borrow(1000)
				if err != nil {
					t.Fatal(err)
				}
				copy(b, msg)
				if err := zp.Commit(1000); err != nil {
					t.Fatal(err)
				}
				if v, err := zq.View(); err != nil || len(v) != 1000 {
					t.Fatal(len(v), err)
				}
				if err := zq.Release(); err != nil {
					t.Fatal(err)
				}
			}); a != 0 {
				t.Errorf("api=zerocopy: %v allocations per message, want 0", a)
			}
		})
	}
}
