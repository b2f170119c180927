package transports_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcbench/ipcbench/transports"
	"github.com/ipcbench/ipcbench/transports/transporttest"
)

// readable polls fd for up to d and reports whether it is readable.
func readable(t *testing.T, fd int, d time.Duration) bool {
	t.Helper()
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, int(d.Milliseconds()))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		return n > 0
	}
}

// TestPollFD checks the readiness a Pollable promises, for every raw fd
// transport that offers one: not readable while nothing was sent;
// readable once a message was; after a Recv of one of two frames sent
// back to back, a framed stream may hold the second in its buffer
// (Buffered) without the descriptor announcing it, and Recv then returns
// it without waiting.
func TestPollFD(t *testing.T) {
	for _, name := range []string{"pipe", "unix-stream", "unix-dgram", "unix-seqpacket", "tcp", "posix-mq"} {
		t.Run("transport="+name, func(t *testing.T) {
			transporttest.CheckLeaks(t)
			parent, peer, _ := fdCreateAttach(t, name, transports.Raw)
			defer parent.Close()
			defer peer.Close()
			p, ok := parent.(transports.Pollable)
			if !ok {
				t.Fatalf("%T is not Pollable", parent)
			}
			fd := p.PollFD()
			if fd < 0 {
				t.Fatalf("PollFD = %d for api=raw", fd)
			}
			if readable(t, fd, 10*time.Millisecond) || p.Buffered() {
				t.Fatal("readable before anything was sent")
			}
			a, b := fdPattern(1, 64), fdPattern(2, 64)
			if err := peer.Send(a); err != nil {
				t.Fatal(err)
			}
			if err := peer.Send(b); err != nil {
				t.Fatal(err)
			}
			if !readable(t, fd, 5*time.Second) {
				t.Fatal("not readable after two sends")
			}
			buf := make([]byte, 128)
			for i, want := range [][]byte{a, b} {
				if i == 1 && !p.Buffered() && !readable(t, fd, 5*time.Second) {
					t.Fatal("second message neither buffered nor announced by the descriptor")
				}
				n, err := parent.Recv(buf)
				if err != nil || string(buf[:n]) != string(want) {
					t.Fatalf("message %d: %d bytes, %v", i, n, err)
				}
			}
			if readable(t, fd, 10*time.Millisecond) || p.Buffered() {
				t.Fatal("readable or buffered after both messages were received")
			}
		})
	}
	t.Run("runtime", func(t *testing.T) {
		parent, peer, _ := fdCreateAttach(t, "unix-stream", transports.Runtime)
		defer parent.Close()
		defer peer.Close()
		if fd := parent.(transports.Pollable).PollFD(); fd != -1 {
			t.Errorf("api=runtime PollFD = %d, want -1", fd)
		}
	})
}

// TestPollFDBufferedFrames sends several small frames in one burst over a
// framed stream: the first Recv reads them all into the Conn's buffer,
// the descriptor is then quiet while Buffered reports the rest.
func TestPollFDBufferedFrames(t *testing.T) {
	parent, peer, _ := fdCreateAttach(t, "unix-stream", transports.Raw)
	defer parent.Close()
	defer peer.Close()
	p := parent.(transports.Pollable)
	const n = 5
	for i := range n {
		if err := peer.Send(fdPattern(i, 16)); err != nil {
			t.Fatal(err)
		}
	}
	buf := make([]byte, 64)
	if _, err := parent.Recv(buf); err != nil {
		t.Fatal(err)
	}
	if !p.Buffered() {
		t.Fatal("after the first of five small frames sent at once: nothing buffered")
	}
	if readable(t, p.PollFD(), 10*time.Millisecond) {
		t.Fatal("descriptor readable with every frame already read into the buffer")
	}
	for i := 1; i < n; i++ {
		if !p.Buffered() {
			t.Fatalf("frame %d: not buffered", i)
		}
		m, err := parent.Recv(buf)
		if err != nil || string(buf[:m]) != string(fdPattern(i, 16)) {
			t.Fatalf("frame %d: %d bytes, %v", i, m, err)
		}
	}
	if p.Buffered() {
		t.Fatal("buffered after the last frame")
	}
}

// TestMultiWait serves three shared-memory channels from one MultiWait,
// each peer sending and awaiting the echo of its messages in turn, for
// each server wait.
func TestMultiWait(t *testing.T) {
	for _, c := range []struct{ transport, kind string }{{"shm-spin", "spin"}, {"shm-futex", "futex"}, {"shm-hybrid", "hybrid"}} {
		t.Run("transport="+c.transport, func(t *testing.T) {
			transporttest.CheckLeaks(t)
			const clients, msgs = 3, 200
			parents := make([]transports.Conn, clients)
			peers := make([]transports.Conn, clients)
			var pw *worker
			for i := range clients {
				var cw *worker
				parents[i], peers[i], pw, cw = shmPair(t, c.transport, transports.Options{API: transports.Raw, MaxMessage: 256})
				peer := peers[i]
				errc := make(chan error, 1)
				cw.start(func() {
					buf := make([]byte, 256)
					for k := range msgs {
						msg := fdPattern(i*1000+k, 64)
						if err := peer.Send(msg); err != nil {
							errc <- err
							return
						}
						n, err := peer.Recv(buf)
						if err != nil || string(buf[:n]) != string(msg) {
							errc <- fmt.Errorf("client %d, echo %d: %d bytes, %v", i, k, n, err)
							return
						}
						if k%17 == 0 {
							time.Sleep(100 * time.Microsecond) // let the server sleep
						}
					}
					errc <- nil
				})
				t.Cleanup(func() {
					if err := <-errc; err != nil {
						t.Error(err)
					}
				})
			}
			_ = pw
			mw, err := transports.NewMultiWait(parents)
			if err != nil {
				t.Fatal(err)
			}
			if mw.Kind() != c.kind {
				t.Errorf("Kind %q, want %q", mw.Kind(), c.kind)
			}
			// The server runs here: each parent side is used by one
			// goroutine at a time, this one, once the workers are done
			// creating them.
			got := make([]int, clients)
			buf := make([]byte, 256)
			done := make(chan error, 1)
			go func() {
				next := 0
				for k := 0; k < clients*msgs; k++ {
					i, err := mw.Wait(next)
					if err != nil {
						done <- err
						return
					}
					n, err := parents[i].Recv(buf)
					if err == nil {
						err = parents[i].Send(buf[:n])
					}
					if err != nil {
						done <- fmt.Errorf("server, client %d: %w", i, err)
						return
					}
					got[i]++
					next = i + 1
				}
				done <- nil
			}()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(30 * time.Second):
				for _, p := range parents {
					p.(transports.Interrupter).Interrupt()
				}
				t.Fatalf("server stuck after %v messages", got)
			}
			for i, g := range got {
				if g != msgs {
					t.Errorf("client %d: %d messages served, want %d", i, g, msgs)
				}
			}
		})
	}
}

// TestMultiWaitInterrupt checks that Interrupt of one Conn ends a server
// asleep on all of them, and that the Conn's Recv then fails.
func TestMultiWaitInterrupt(t *testing.T) {
	var parents []transports.Conn
	for range 2 {
		p, _, _, _ := shmPair(t, "shm-futex", transports.Options{API: transports.Raw, MaxMessage: 64})
		parents = append(parents, p)
	}
	mw, err := transports.NewMultiWait(parents)
	if err != nil {
		t.Fatal(err)
	}
	res := make(chan int, 1)
	go func() {
		i, _ := mw.Wait(0)
		res <- i
	}()
	time.Sleep(20 * time.Millisecond)
	parents[1].(transports.Interrupter).Interrupt()
	select {
	case i := <-res:
		if i != 1 {
			t.Fatalf("Wait returned %d, want 1", i)
		}
		if _, err := parents[1].Recv(make([]byte, 64)); !errors.Is(err, transports.ErrInterrupted) {
			t.Errorf("Recv after Interrupt: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Interrupt did not end the wait")
	}
}

func TestMultiWaitUnsupported(t *testing.T) {
	p, _, _, _ := shmPair(t, "shm-sem", transports.Options{API: transports.Raw, MaxMessage: 64})
	if _, err := transports.NewMultiWait([]transports.Conn{p}); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("shm-sem: %v, want ErrUnsupported", err)
	}
	if _, err := transports.NewMultiWait(nil); err == nil {
		t.Error("no conns: accepted")
	}
}
