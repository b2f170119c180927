package transports_test

// The network mode of tcp and udp (Options.Net), in process: Create, then
// Attach with the Spec as the peer would, then Connect with the peer's
// Reply. Everything is on 127.0.0.1 in this process's namespace, but for
// TestNetPathInNamespace, which makes a namespace of its own to see that
// NetPath.In decides where the parent's socket lives (the veth paths
// themselves are another package's).

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcbench/ipcbench/transports"
)

var netLoopback = netip.MustParseAddr("127.0.0.1")

var netNames = []string{"tcp", "udp"}

func netForEach(t *testing.T, f func(t *testing.T, name string, api transports.API)) {
	fdForEachOf(t, netNames, f)
}

// netCounter is a NetPath.In that counts its calls.
type netCounter struct{ n atomic.Int32 }

func (c *netCounter) path() *transports.NetPath {
	return &transports.NetPath{Addr: netLoopback, In: func(f func() error) error {
		c.n.Add(1)
		return f()
	}}
}

var netWarm sync.Once

// netNoLeaks checks, when the test ends, that it left no descriptor
// open. Call it first, so that its check runs after the other cleanups.
func netNoLeaks(t *testing.T) {
	t.Helper()
	// The runtime's poller opens its own descriptors once: start it first.
	netWarm.Do(func() {
		p, q, _ := fdCreateAttach(t, "unix-stream", transports.Runtime)
		p.Close()
		q.Close()
	})
	before := countFDs(t)
	t.Cleanup(func() {
		if after := countFDs(t); after != before {
			t.Errorf("%d descriptors before, %d after the test", before, after)
		}
	})
}

// netCreate creates a channel of name on the network path and checks its
// Endpoint: no files, the address of a socket on path.Addr. The parent's
// Conn is closed when the test ends.
func netCreate(t *testing.T, name string, api transports.API, path *transports.NetPath) (transports.Transport, transports.Conn, transports.Endpoint) {
	t.Helper()
	info, err := transports.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	tr := info.New()
	parent, ep, err := tr.Create(transports.Options{API: api, Net: path})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { parent.Close() })
	if len(ep.Files) != 0 {
		t.Fatalf("create: %d files for the peer, want none on a network path", len(ep.Files))
	}
	ap, err := netip.ParseAddrPort(ep.Spec.Params["addr"])
	if err != nil || ap.Addr() != path.Addr || ap.Port() == 0 {
		t.Fatalf("create: Spec.Params[addr] = %q (%v), want %s", ep.Spec.Params["addr"], err, netip.AddrPortFrom(path.Addr, 0))
	}
	if _, ok := parent.(transports.Connector); !ok {
		t.Fatalf("create: the parent's %T is not a Connector", parent)
	}
	return tr, parent, ep
}

// netAttach attaches the peer as the harness's peer does (on a locked
// thread) and returns its Conn, closed when the test ends, and its Reply.
func netAttach(t *testing.T, tr transports.Transport, ep transports.Endpoint) (transports.Conn, map[string]string) {
	t.Helper()
	var peer transports.Conn
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		peer, err = tr.Attach(ep.Spec, ep.Files)
	}()
	<-done
	if err != nil {
		t.Fatalf("attach: %v", err)
	}
	t.Cleanup(func() { peer.Close() })
	rp, ok := peer.(transports.Replier)
	if !ok {
		t.Fatalf("attach: the peer's %T is not a Replier", peer)
	}
	return peer, rp.Reply()
}

func netConnect(parent transports.Conn, reply map[string]string) error {
	return parent.(transports.Connector).Connect(reply)
}

// netExchange is fdExchange with a buffer for the largest size.
func netExchange(t *testing.T, parent, peer transports.Conn, sizes ...int) {
	t.Helper()
	fdExchange(t, parent, peer, make([]byte, sizes[len(sizes)-1]), sizes...)
}

// netSizes are the message sizes of the delivery tests.
func netSizes(name string) []int {
	if name == "udp" {
		return []int{64, 1472, 65507} // 65507: the largest IPv4 UDP payload
	}
	return []int{64, 64 << 10, 1 << 20}
}

// netRefused checks that nothing listens on addr any more.
func netRefused(t *testing.T, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err == nil {
		c.Close()
		t.Fatalf("%s: a connection was accepted: the listener is still open", addr)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("%s: dial: %v, want connection refused", addr, err)
	}
	if port := addr[strings.LastIndexByte(addr, ':')+1:]; netListening(t, "/proc/thread-self/net/tcp", port) {
		t.Fatalf("%s: /proc/net/tcp still lists a listener on port %s", addr, port)
	}
}

// netPortFree checks that no UDP socket is bound to addr any more.
func netPortFree(t *testing.T, addr string) {
	t.Helper()
	c, err := net.ListenPacket("udp", addr)
	if err != nil {
		t.Fatalf("%s: bind: %v: the parent's socket is still bound", addr, err)
	}
	c.Close()
}

// netListening reports whether the /proc/net/tcp-like table at path lists
// a socket listening on port (decimal).
func netListening(t *testing.T, path, port string) bool {
	t.Helper()
	yes, err := netListens(path, port)
	if err != nil {
		t.Fatal(err)
	}
	return yes
}

// netListens is netListening for any goroutine.
func netListens(path, port string) (bool, error) {
	p, err := strconv.Atoi(port)
	if err != nil {
		return false, fmt.Errorf("port %q: %w", port, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text()) // sl local_address rem_address st …
		if len(fields) < 4 || fields[3] != "0A" {
			continue
		}
		if i := strings.LastIndexByte(fields[1], ':'); i >= 0 && fields[1][i+1:] == fmt.Sprintf("%04X", p) {
			return true, nil
		}
	}
	return false, sc.Err()
}

func TestNetPathDelivery(t *testing.T) {
	netForEach(t, func(t *testing.T, name string, api transports.API) {
		netNoLeaks(t)
		var ins netCounter
		tr, parent, ep := netCreate(t, name, api, ins.path())
		if n := ins.n.Load(); n != 1 {
			t.Fatalf("Net.In called %d times by Create, want 1", n)
		}
		peer, reply := netAttach(t, tr, ep)
		local, err := netip.ParseAddrPort(reply["addr"])
		if err != nil || local.Addr() != netLoopback || local.String() == ep.Spec.Params["addr"] {
			t.Fatalf("the peer's reply %q: want its own 127.0.0.1:<port> (%v)", reply, err)
		}
		if err := netConnect(parent, reply); err != nil {
			t.Fatalf("connect: %v", err)
		}
		if err := netConnect(parent, reply); err != nil {
			t.Fatalf("second connect: %v", err)
		}
		if n := ins.n.Load(); n != 1 {
			t.Fatalf("Net.In called %d times in all, want 1 (by Create)", n)
		}
		for side, c := range map[string]transports.Conn{"parent": parent, "peer": peer} {
			if _, ok := c.(transports.Interrupter); ok != (name == "udp") {
				t.Errorf("the %s's %T: Interrupter %v, want %v (as in the loopback mode)", side, c, ok, name == "udp")
			}
		}
		netExchange(t, parent, peer, netSizes(name)...)
	})
}

// TestNetPathIPv6: the network mode works on IPv6 too, here on ::1.
func TestNetPathIPv6(t *testing.T) {
	if ln, err := net.Listen("tcp6", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	} else {
		ln.Close()
	}
	netForEach(t, func(t *testing.T, name string, api transports.API) {
		netNoLeaks(t)
		tr, parent, ep := netCreate(t, name, api, &transports.NetPath{Addr: netip.IPv6Loopback()})
		peer, reply := netAttach(t, tr, ep)
		if ap, err := netip.ParseAddrPort(reply["addr"]); err != nil || ap.Addr() != netip.IPv6Loopback() {
			t.Fatalf("the peer's reply %q: want [::1]:<port> (%v)", reply, err)
		}
		if err := netConnect(parent, reply); err != nil {
			t.Fatalf("connect: %v", err)
		}
		netExchange(t, parent, peer, netSizes(name)...)
	})
}

// TestNetPathStray: a connection to the listener from another socket,
// before the peer's, is reset and the peer's accepted; then nothing
// listens any more.
func TestNetPathStray(t *testing.T) {
	for _, api := range []transports.API{transports.Raw, transports.Runtime} {
		t.Run("transport=tcp/api="+string(api), func(t *testing.T) {
			netNoLeaks(t)
			tr, parent, ep := netCreate(t, "tcp", api, &transports.NetPath{Addr: netLoopback})
			addr := ep.Spec.Params["addr"]
			stray, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Fatalf("stray dial: %v", err)
			}
			defer stray.Close()
			peer, reply := netAttach(t, tr, ep)
			if reply["addr"] == stray.LocalAddr().String() {
				t.Fatalf("the peer's reply %q names the stray", reply)
			}
			if err := netConnect(parent, reply); err != nil {
				t.Fatalf("connect: %v", err)
			}
			stray.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := stray.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) && err != io.EOF {
				t.Fatalf("stray read: %v, want connection reset", err)
			}
			netExchange(t, parent, peer, 64)
			netRefused(t, addr)
		})
	}
}

// TestNetPathUDPStray: datagrams from another socket, before Connect or
// after, do not reach the parent; the peer's do.
func TestNetPathUDPStray(t *testing.T) {
	for _, api := range []transports.API{transports.Raw, transports.Runtime} {
		t.Run("transport=udp/api="+string(api), func(t *testing.T) {
			netNoLeaks(t)
			tr, parent, ep := netCreate(t, "udp", api, &transports.NetPath{Addr: netLoopback})
			stray, err := net.Dial("udp", ep.Spec.Params["addr"])
			if err != nil {
				t.Fatal(err)
			}
			defer stray.Close()
			if _, err := stray.Write([]byte("stray before")); err != nil {
				t.Fatal(err)
			}
			time.Sleep(20 * time.Millisecond) // queued at the parent's socket
			peer, reply := netAttach(t, tr, ep)
			if err := netConnect(parent, reply); err != nil {
				t.Fatalf("connect: %v", err)
			}
			stray.Write([]byte("stray after"))
			errc := fdSend(peer, []byte("peer"))
			buf := make([]byte, 64)
			n, err := parent.Recv(buf)
			if err != nil || string(buf[:n]) != "peer" {
				t.Fatalf("parent recv: %q, %v; want %q", buf[:n], err, "peer")
			}
			if err := fdWait(t, "send", errc); err != nil {
				t.Fatal(err)
			}
			netExchange(t, parent, peer, 64)
		})
	}
}

// TestNetPathConnectTimeout: Connect gives up within its deadline when the
// peer it is told of does not connect, and the listener is closed.
func TestNetPathConnectTimeout(t *testing.T) {
	const deadline = 300 * time.Millisecond
	defer transports.SetNetConnectTimeout(deadline)()
	for _, api := range []transports.API{transports.Raw, transports.Runtime} {
		for _, attached := range []bool{false, true} {
			t.Run(fmt.Sprintf("transport=tcp/api=%s/peer-attached=%v", api, attached), func(t *testing.T) {
				netNoLeaks(t)
				tr, parent, ep := netCreate(t, "tcp", api, &transports.NetPath{Addr: netLoopback})
				var peer transports.Conn
				if attached { // the peer connects, but the reply names another address
					peer, _ = netAttach(t, tr, ep)
				}
				start := time.Now()
				err := netConnect(parent, map[string]string{"addr": "127.0.0.1:9"})
				took := time.Since(start)
				if !errors.Is(err, os.ErrDeadlineExceeded) || !strings.Contains(err.Error(), "127.0.0.1:9") {
					t.Fatalf("connect: %v, want a timeout naming 127.0.0.1:9", err)
				}
				if took < deadline-50*time.Millisecond || took > deadline+time.Second {
					t.Fatalf("connect gave up after %v, deadline %v", took, deadline)
				}
				if attached && !strings.Contains(err.Error(), "1 from elsewhere refused") {
					t.Fatalf("connect: %v, want the peer's connection counted as refused", err)
				}
				if attached {
					if _, err := peer.Recv(make([]byte, 8)); !errors.Is(err, transports.ErrPeerGone) {
						t.Fatalf("peer recv after its connection was refused: %v, want ErrPeerGone", err)
					}
				}
				netRefused(t, ep.Spec.Params["addr"])
				if err := parent.Send([]byte("x")); err == nil {
					t.Fatal("send after a failed connect succeeded")
				}
				if err := netConnect(parent, map[string]string{"addr": "127.0.0.1:9"}); err == nil {
					t.Fatal("a second connect after a failed one succeeded")
				}
			})
		}
	}
}

// TestNetPathBadReply: Connect with a reply that names no address fails at
// once and closes the parent's socket.
func TestNetPathBadReply(t *testing.T) {
	replies := []map[string]string{nil, {"addr": ""}, {"addr": "garbled"}, {"addr": "127.0.0.1"}, {"addr": "127.0.0.1:0"}, {"addr": "0.0.0.0:80"}}
	for _, name := range netNames {
		for i, reply := range replies {
			t.Run(fmt.Sprintf("transport=%s/reply=%d", name, i), func(t *testing.T) {
				netNoLeaks(t)
				_, parent, ep := netCreate(t, name, transports.Raw, &transports.NetPath{Addr: netLoopback})
				start := time.Now()
				err := netConnect(parent, reply)
				if err == nil || !strings.Contains(err.Error(), "reply") {
					t.Fatalf("connect(%q): %v, want an error about the reply", reply, err)
				}
				if took := time.Since(start); took > time.Second {
					t.Fatalf("connect(%q) took %v", reply, took)
				}
				if name == "tcp" {
					netRefused(t, ep.Spec.Params["addr"])
				} else {
					netPortFree(t, ep.Spec.Params["addr"])
				}
			})
		}
	}
}

// TestNetPathCloseBeforeConnect: before Connect, Send and Recv fail;
// Close then leaves nothing bound.
func TestNetPathCloseBeforeConnect(t *testing.T) {
	netForEach(t, func(t *testing.T, name string, api transports.API) {
		netNoLeaks(t)
		_, parent, ep := netCreate(t, name, api, &transports.NetPath{Addr: netLoopback})
		if err := parent.Send([]byte("x")); err == nil || errors.Is(err, transports.ErrClosed) || !strings.Contains(err.Error(), "not connected") {
			t.Fatalf("send before connect: %v, want not connected", err)
		}
		if _, err := parent.Recv(make([]byte, 8)); err == nil || !strings.Contains(err.Error(), "not connected") {
			t.Fatalf("recv before connect: %v, want not connected", err)
		}
		if it, ok := parent.(transports.Interrupter); ok {
			it.Interrupt() // nothing to interrupt yet: no panic
		}
		if err := parent.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		if err := parent.Close(); err != nil {
			t.Fatalf("second close: %v", err)
		}
		if err := parent.Send([]byte("x")); !errors.Is(err, transports.ErrClosed) {
			t.Fatalf("send after close: %v, want ErrClosed", err)
		}
		if err := netConnect(parent, map[string]string{"addr": "127.0.0.1:9"}); !errors.Is(err, transports.ErrClosed) {
			t.Fatalf("connect after close: %v, want ErrClosed", err)
		}
		if name == "tcp" {
			netRefused(t, ep.Spec.Params["addr"])
		} else {
			netPortFree(t, ep.Spec.Params["addr"])
		}
	})
}

// TestNetPathCloseDuringConnect: Close ends a Connect that waits for the
// peer, soon, and the listener with it.
func TestNetPathCloseDuringConnect(t *testing.T) {
	netNoLeaks(t)
	_, parent, ep := netCreate(t, "tcp", transports.Raw, &transports.NetPath{Addr: netLoopback})
	errc := make(chan error, 1)
	go func() { errc <- netConnect(parent, map[string]string{"addr": "127.0.0.1:9"}) }()
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	if err := parent.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, transports.ErrClosed) {
			t.Fatalf("connect: %v, want ErrClosed", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("connect still waiting 2s after Close")
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("connect ended %v after Close", took)
	}
	netRefused(t, ep.Spec.Params["addr"])
}

// TestNetPathInterrupt: the udp parent's Conn of the network mode is an
// Interrupter, also when Interrupt comes before Connect.
func TestNetPathInterrupt(t *testing.T) {
	for _, api := range []transports.API{transports.Raw, transports.Runtime} {
		for _, early := range []bool{false, true} {
			t.Run(fmt.Sprintf("transport=udp/api=%s/before-connect=%v", api, early), func(t *testing.T) {
				netNoLeaks(t)
				tr, parent, ep := netCreate(t, "udp", api, &transports.NetPath{Addr: netLoopback})
				if early {
					parent.(transports.Interrupter).Interrupt()
				}
				_, reply := netAttach(t, tr, ep)
				if err := netConnect(parent, reply); err != nil {
					t.Fatal(err)
				}
				errc := make(chan error, 1)
				go func() { _, err := parent.Recv(make([]byte, 8)); errc <- err }()
				if !early {
					time.Sleep(20 * time.Millisecond)
					parent.(transports.Interrupter).Interrupt()
				}
				if err := fdWait(t, "recv", errc); !errors.Is(err, transports.ErrInterrupted) {
					t.Fatalf("recv: %v, want ErrInterrupted", err)
				}
			})
		}
	}
}

// TestNetPathUnsupported: only tcp and udp take Options.Net, and only with
// an address a peer can dial.
func TestNetPathUnsupported(t *testing.T) {
	path := &transports.NetPath{Addr: netLoopback}
	for _, name := range transports.Names() {
		info, _ := transports.Lookup(name)
		want := name == "tcp" || name == "udp"
		if info.Net != want {
			t.Errorf("%s: Info.Net %v, want %v", name, info.Net, want)
		}
		if want {
			continue
		}
		c, _, err := info.New().Create(transports.Options{Net: path})
		if err == nil {
			c.Close()
			t.Errorf("%s: create with Options.Net succeeded", name)
		} else if !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), "tcp, udp") {
			t.Errorf("%s: create with Options.Net: %v, want ErrUnsupported naming tcp, udp", name, err)
		}
	}
	for _, name := range netNames {
		info, _ := transports.Lookup(name)
		for _, addr := range []netip.Addr{{}, netip.IPv4Unspecified(), netip.MustParseAddr("fe80::1%lo")} {
			c, _, err := info.New().Create(transports.Options{Net: &transports.NetPath{Addr: addr}})
			if err == nil {
				c.Close()
				t.Errorf("%s: create with Net.Addr %v succeeded", name, addr)
			}
		}
	}
}

// TestNetPathAttachRefused: Attach refuses a spec with both inherited
// files and an address (and closes the files), and one whose address it
// cannot read or reach.
func TestNetPathAttachRefused(t *testing.T) {
	for _, name := range netNames {
		t.Run("transport="+name, func(t *testing.T) {
			netNoLeaks(t)
			tr, _, ep := netCreate(t, name, transports.Raw, &transports.NetPath{Addr: netLoopback})
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if c, err := tr.Attach(ep.Spec, []*os.File{r}); err == nil || !strings.Contains(err.Error(), "one or the other") {
				if c != nil {
					c.Close()
				}
				t.Fatalf("attach with a file and an address: %v, want refused", err)
			}
			if err := r.Close(); !errors.Is(err, os.ErrClosed) {
				t.Fatalf("attach left its file open (close: %v)", err)
			}
			for _, addr := range []string{"", "garbled", "127.0.0.1", "127.0.0.1:0"} {
				spec := ep.Spec
				spec.Params = map[string]string{"addr": addr}
				if c, err := tr.Attach(spec, nil); err == nil || !strings.Contains(err.Error(), "addr") {
					if c != nil {
						c.Close()
					}
					t.Fatalf("attach to %q: %v, want refused", addr, err)
				}
			}
			if name == "tcp" { // nothing listens there: refused at once
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				spec := ep.Spec
				spec.Params = map[string]string{"addr": ln.Addr().String()}
				ln.Close()
				if c, err := tr.Attach(spec, nil); !errors.Is(err, syscall.ECONNREFUSED) {
					if c != nil {
						c.Close()
					}
					t.Fatalf("attach to a closed port: %v, want connection refused", err)
				}
			}
			spec := ep.Spec
			spec.Params = nil
			if c, err := tr.Attach(spec, nil); err == nil {
				c.Close()
				t.Fatal("attach with neither files nor an address succeeded")
			}
		})
	}
}

// TestNetPathIn: an error of NetPath.In fails Create and leaves nothing
// open, as does an In that does not run its function.
func TestNetPathIn(t *testing.T) {
	errIn := errors.New("no such namespace")
	ins := map[string]func(f func() error) error{
		"fails":         func(func() error) error { return errIn },
		"fails-after-f": func(f func() error) error { f(); return errIn },
		"skips-f":       func(func() error) error { return nil },
	}
	for _, name := range netNames {
		for what, in := range ins {
			t.Run(fmt.Sprintf("transport=%s/in=%s", name, what), func(t *testing.T) {
				netNoLeaks(t)
				info, _ := transports.Lookup(name)
				c, _, err := info.New().Create(transports.Options{Net: &transports.NetPath{Addr: netLoopback, In: in}})
				if err == nil {
					c.Close()
					t.Fatal("create succeeded")
				}
				if what != "skips-f" && !errors.Is(err, errIn) {
					t.Fatalf("create: %v, want In's error", err)
				}
			})
		}
	}
}

// netns is a goroutine on an OS thread of its own in a new network
// namespace, with its loopback device up. The thread returns to the
// test's namespace at the end of the test (it may be the process's main
// thread, whose namespace /proc/self/net shows).
type netns struct {
	fns  chan func()
	done chan struct{}
}

func newNetns(t *testing.T) *netns {
	t.Helper()
	ns := &netns{fns: make(chan func()), done: make(chan struct{})}
	errc := make(chan error)
	go func() {
		defer close(ns.done)
		runtime.LockOSThread()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer unix.Close(orig)
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("unshare(CLONE_NEWNET): %w", err)
			return
		}
		errc <- netLoopbackUp()
		for f := range ns.fns {
			f()
		}
		// Back home, or the thread stays locked and ends with the goroutine.
		if unix.Setns(orig, unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
	}()
	err := <-errc
	if err != nil {
		close(ns.fns)
		<-ns.done
	}
	if errors.Is(err, unix.EPERM) {
		t.Skipf("no network namespace: %v", err)
	} else if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		close(ns.fns)
		<-ns.done
	})
	return ns
}

// in runs f in the namespace (a NetPath.In).
func (ns *netns) in(f func() error) error {
	errc := make(chan error)
	ns.fns <- func() { errc <- f() }
	return <-errc
}

func netLoopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("SIOCGIFFLAGS: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("SIOCSIFFLAGS: %w", err)
	}
	return nil
}

// TestNetPathInNamespace: the parent's socket lives in the namespace
// NetPath.In runs in: a peer in that namespace reaches it, one outside
// does not.
func TestNetPathInNamespace(t *testing.T) {
	netNoLeaks(t)
	ns := newNetns(t)
	for _, name := range netNames {
		t.Run("transport="+name, func(t *testing.T) {
			tr, parent, ep := netCreate(t, name, transports.Raw, &transports.NetPath{Addr: netLoopback, In: ns.in})
			addr := ep.Spec.Params["addr"]
			if name == "tcp" {
				port := addr[strings.LastIndexByte(addr, ':')+1:]
				var inside bool
				err := ns.in(func() (err error) { inside, err = netListens("/proc/thread-self/net/tcp", port); return err })
				if err != nil || !inside {
					t.Fatalf("port %s: no listener in the namespace (%v)", port, err)
				}
				// This goroutine's thread is in the test's namespace.
				if netListening(t, "/proc/thread-self/net/tcp", port) || netListening(t, "/proc/thread-self/net/tcp6", port) {
					t.Skipf("port %s is also in use outside the namespace", port)
				}
				if c, err := tr.Attach(ep.Spec, nil); !errors.Is(err, syscall.ECONNREFUSED) {
					if c != nil {
						c.Close()
					}
					t.Fatalf("attach from outside the namespace: %v, want connection refused", err)
				}
			}
			var peer transports.Conn
			err := ns.in(func() (err error) { peer, err = tr.Attach(ep.Spec, nil); return err })
			if err != nil {
				t.Fatalf("attach in the namespace: %v", err)
			}
			t.Cleanup(func() { peer.Close() })
			if err := netConnect(parent, peer.(transports.Replier).Reply()); err != nil {
				t.Fatalf("connect: %v", err)
			}
			netExchange(t, parent, peer, 64, 4096)
		})
	}
}
