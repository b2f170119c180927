package transports_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ipcbench/ipcbench/transports"
)

// The rpc family (grpc-unix, http-unix), tested in process; the
// conformance suite runs them with a real peer.
var rpcTransportNames = []string{"grpc-unix", "http-unix"}

func rpcForEach(t *testing.T, f func(t *testing.T, name string)) {
	for _, name := range rpcTransportNames {
		t.Run("transport="+name, func(t *testing.T) { f(t, name) })
	}
}

// rpcPair connects a channel of capacity limit (0: the transport's).
func rpcPair(t *testing.T, name string) (parent, peer transports.Conn) {
	t.Helper()
	parent, peer, _ = fdCreateAttach(t, name, transports.Runtime)
	t.Cleanup(func() {
		parent.Close()
		peer.Close()
	})
	return parent, peer
}

// rpcEcho makes peer echo n messages, on a goroutine.
func rpcEcho(peer transports.Conn, n int) <-chan error {
	errc := make(chan error, 1)
	go func() {
		buf := make([]byte, 16<<20)
		for i := range n {
			m, err := peer.Recv(buf)
			if err != nil {
				errc <- fmt.Errorf("peer recv %d: %w", i, err)
				return
			}
			if err := peer.Send(buf[:m]); err != nil {
				errc <- fmt.Errorf("peer send %d: %w", i, err)
				return
			}
		}
		errc <- nil
	}()
	return errc
}

// setFlow sets the parent's flow.
func setFlow(t *testing.T, c transports.Conn, f transports.Flow) {
	t.Helper()
	fs, ok := c.(transports.FlowSetter)
	if !ok {
		t.Fatalf("%T is no FlowSetter", c)
	}
	if err := fs.SetFlow(f); err != nil {
		t.Fatalf("set flow %v: %v", f, err)
	}
}

// TestRPCRoundTrips: every size up to the limit comes back intact, also
// above gRPC's default receive limit of 4 MiB; calls made back to back
// (four in flight) come back in order.
func TestRPCRoundTrips(t *testing.T) {
	rpcForEach(t, func(t *testing.T, name string) {
		parent, peer := rpcPair(t, name)
		sizes := []int{0, 1, 64, 4096, 65536, 4<<20 + 1, 16 << 20}
		const depth = 4
		errc := rpcEcho(peer, len(sizes)+depth)
		buf := make([]byte, 16<<20)
		for i, n := range sizes {
			msg := fdPattern(i, n)
			if err := parent.Send(msg); err != nil {
				t.Fatalf("send %d bytes: %v", n, err)
			}
			got, err := parent.Recv(buf)
			if err != nil {
				t.Fatalf("recv echo of %d bytes: %v", n, err)
			}
			if !bytes.Equal(buf[:got], msg) {
				t.Fatalf("echo of %d bytes: got %d bytes, not the message", n, got)
			}
		}
		for i := range depth {
			if err := parent.Send(fdPattern(100+i, 100+i)); err != nil {
				t.Fatalf("send %d of %d in flight: %v", i, depth, err)
			}
		}
		for i := range depth {
			got, err := parent.Recv(buf)
			if err != nil || !bytes.Equal(buf[:got], fdPattern(100+i, 100+i)) {
				t.Fatalf("echo %d of %d in flight: %d bytes, %v", i, depth, got, err)
			}
		}
		if err := fdWait(t, "peer", errc); err != nil {
			t.Fatal(err)
		}
	})
}

// TestRPCStream: a stream keeps order and boundaries, and the channel
// switches between streams and round trips as often as asked.
func TestRPCStream(t *testing.T) {
	rpcForEach(t, func(t *testing.T, name string) {
		parent, peer := rpcPair(t, name)
		buf := make([]byte, 1<<20)
		for round := range 3 {
			setFlow(t, parent, transports.OneWay)
			const n = 300
			errc := make(chan error, 1)
			go func() {
				pbuf := make([]byte, 1<<20)
				for i := range n {
					m, err := peer.Recv(pbuf)
					if err != nil {
						errc <- fmt.Errorf("peer recv %d: %w", i, err)
						return
					}
					if want := fdPattern(i, (i*977)%70000); !bytes.Equal(pbuf[:m], want) {
						errc <- fmt.Errorf("message %d: %d bytes, want %d, or not the message", i, m, len(want))
						return
					}
				}
				errc <- nil
			}()
			for i := range n {
				if err := parent.Send(fdPattern(i, (i*977)%70000)); err != nil {
					t.Fatalf("round %d: send %d: %v", round, i, err)
				}
			}
			if err := fdWait(t, "peer", errc); err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			if _, err := parent.Recv(buf); err == nil {
				t.Fatalf("round %d: recv on a stream returned a message", round)
			}
			setFlow(t, parent, transports.RoundTrips)
			echo := rpcEcho(peer, 1)
			if err := parent.Send([]byte("after the stream")); err != nil {
				t.Fatal(err)
			}
			if m, err := parent.Recv(buf); err != nil || string(buf[:m]) != "after the stream" {
				t.Fatalf("round %d: echo after the stream: %q, %v", round, buf[:m], err)
			}
			if err := fdWait(t, "peer", echo); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestRPCMisuse: a message over the capacity is refused naming the limit;
// the peer cannot send unasked, the parent cannot receive unasked; a
// message longer than the peer's buffer is refused at both ends and the
// channel goes on.
func TestRPCMisuse(t *testing.T) {
	rpcForEach(t, func(t *testing.T, name string) {
		info, _ := transports.Lookup(name)
		tr := info.New()
		const capacity = 4096
		parent, ep, err := tr.Create(transports.Options{API: transports.Runtime, MaxMessage: capacity})
		if err != nil {
			t.Fatal(err)
		}
		defer parent.Close()
		peer, err := tr.Attach(ep.Spec, ep.Files)
		if err != nil {
			t.Fatal(err)
		}
		defer peer.Close()
		if err := parent.(transports.Connector).Connect(nil); err != nil {
			t.Fatal(err)
		}

		err = parent.Send(make([]byte, capacity+1))
		var le *transports.LimitError
		if !errors.As(err, &le) || le.Max != capacity || !strings.Contains(err.Error(), "4096") || !strings.Contains(le.Source, "Options.MaxMessage") {
			t.Fatalf("send over the capacity: %v, want a *LimitError naming %d and Options.MaxMessage", err, capacity)
		}
		lim := info.Limits(transports.Runtime)
		if !strings.Contains(lim.Source, "limit") || lim.MaxMessage != 16<<20 {
			t.Fatalf("limits %+v", lim)
		}
		if name == "grpc-unix" && !strings.Contains(lim.Source, "4 MiB") {
			t.Fatalf("grpc-unix limit source %q does not name gRPC's default receive limit", lim.Source)
		}

		if err := peer.Send([]byte("unasked")); !errors.Is(err, errors.ErrUnsupported) {
			t.Fatalf("peer send with no call to answer: %v, want ErrUnsupported", err)
		}
		buf := make([]byte, capacity)
		if _, err := parent.Recv(buf); err == nil || !strings.Contains(err.Error(), "no ") {
			t.Fatalf("parent recv with no call: %v, want an error", err)
		}

		// Longer than the peer's buffer: refused there, and the call fails.
		if err := parent.Send(make([]byte, 100)); err != nil {
			t.Fatal(err)
		}
		if _, err := peer.Recv(make([]byte, 10)); !errors.Is(err, io.ErrShortBuffer) {
			t.Fatalf("peer recv into a short buffer: %v, want io.ErrShortBuffer", err)
		}
		if _, err := parent.Recv(buf); err == nil {
			t.Fatal("the call whose message did not fit the peer's buffer succeeded")
		}
		errc := rpcEcho(peer, 1)
		if err := parent.Send([]byte("still works")); err != nil {
			t.Fatal(err)
		}
		if n, err := parent.Recv(buf); err != nil || string(buf[:n]) != "still works" {
			t.Fatalf("after a refused message: %q, %v", buf[:n], err)
		}
		if err := fdWait(t, "peer", errc); err != nil {
			t.Fatal(err)
		}
	})
}

// TestRPCPeerGone: either side closing ends the other's calls with
// ErrPeerGone, in a round trip and in a stream.
func TestRPCPeerGone(t *testing.T) {
	rpcForEach(t, func(t *testing.T, name string) {
		for _, flow := range []transports.Flow{transports.RoundTrips, transports.OneWay} {
			t.Run("flow="+strings.ReplaceAll(flow.String(), " ", "-"), func(t *testing.T) {
				parent, peer := rpcPair(t, name)
				setFlow(t, parent, flow)
				peer.Close()
				errc := make(chan error, 1)
				go func() {
					// A stream's sends are buffered for a while: send until one fails.
					for {
						if err := parent.Send(make([]byte, 1024)); err != nil {
							errc <- err
							return
						}
						if flow == transports.RoundTrips {
							_, err := parent.Recv(make([]byte, 1024))
							errc <- err
							return
						}
					}
				}()
				if err := fdWait(t, "parent", errc); !errors.Is(err, transports.ErrPeerGone) {
					t.Fatalf("parent after the peer closed: %v, want ErrPeerGone", err)
				}
			})
		}
		t.Run("parent-closes", func(t *testing.T) {
			parent, peer := rpcPair(t, name)
			errc := make(chan error, 1)
			go func() {
				_, err := peer.Recv(make([]byte, 64))
				errc <- err
			}()
			time.Sleep(20 * time.Millisecond)
			parent.Close()
			if err := fdWait(t, "peer", errc); !errors.Is(err, transports.ErrPeerGone) {
				t.Fatalf("peer after the parent closed: %v, want ErrPeerGone", err)
			}
		})
	})
}

// TestRPCCleanup: the socket's name and directory go at Connect (or at
// Close without one), and closing both ends leaves no descriptor,
// temporary entry or goroutine.
func TestRPCCleanup(t *testing.T) {
	// Start the poller and the libraries' own goroutines once.
	for _, name := range rpcTransportNames {
		p, q, _ := fdCreateAttach(t, name, transports.Runtime)
		p.Close()
		q.Close()
	}
	rpcForEach(t, func(t *testing.T, name string) {
		fds, tmp, gs := countFDs(t), fdTempEntries(t), runtime.NumGoroutine()
		info, _ := transports.Lookup(name)
		tr := info.New()

		// Create, then Close without a peer.
		c, ep, err := tr.Create(transports.Options{API: transports.Runtime})
		if err != nil {
			t.Fatal(err)
		}
		if fdTempEntries(t) == tmp {
			t.Fatal("Create made no private directory")
		}
		for _, f := range ep.Files {
			f.Close()
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if got := fdTempEntries(t); got != tmp {
			t.Fatalf("after Close without a peer: temporary entries %q, want %q", got, tmp)
		}

		// Connected, used both ways, closed.
		parent, peer, _ := fdCreateAttach(t, name, transports.Runtime)
		if got := fdTempEntries(t); got != tmp {
			t.Fatalf("after Connect: temporary entries %q, want %q (the socket's directory removed)", got, tmp)
		}
		errc := rpcEcho(peer, 1)
		if err := parent.Send([]byte("hello")); err != nil {
			t.Fatal(err)
		}
		if _, err := parent.Recv(make([]byte, 8)); err != nil {
			t.Fatal(err)
		}
		fdWait(t, "peer", errc)
		setFlow(t, parent, transports.OneWay)
		if err := parent.Send([]byte("left in the stream")); err != nil {
			t.Fatal(err)
		}
		if err := parent.Close(); err != nil {
			t.Fatal(err)
		}
		if err := peer.Close(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > gs && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > gs {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines before, %d after Close:\n%s", gs, n, buf[:runtime.Stack(buf, true)])
		}
		if got := countFDs(t); got != fds {
			t.Fatalf("%d descriptors before, %d after Close", fds, got)
		}
		if got := fdTempEntries(t); got != tmp {
			t.Fatalf("temporary entries %q before, %q after Close", tmp, got)
		}
	})
}
