package transports

// What tcp and udp share (inet: internet-domain sockets), in both modes:
//
//   - loopback (Options.Net nil): both sockets are made here on 127.0.0.1
//     and the peer inherits its own (Endpoint.Files[0]), as for the Unix
//     sockets (handOver, attachInherited);
//   - network path (Options.Net set): the parent's socket is bound to
//     Net.Addr, port 0, in the parent's network namespace (Net.In), and its
//     address travels in Spec.Params["addr"]; the Endpoint has no files.
//     The peer's Attach makes a socket of its own, in its own namespace,
//     connects it to that address and tells its own address (getsockname)
//     in its Reply, key "addr". The parent's Connect then meets the peer
//     there: tcp accepts connections until one comes from that address
//     (others are reset) and closes the listener; udp connects its socket
//     to it, so that only the peer's datagrams are received. From then on
//     both sides are the Conns of the loopback mode, over other sockets.
//
// The match is on the address the peer's socket has on the peer's side: a
// NAT between the two hides it, and Connect then times out, naming the
// addresses it saw instead.

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// netParamAddr is the key of an ip:port address in the network mode: in
// Spec.Params the parent's socket, in the peer's Reply the peer's socket
// (as its getsockname says).
const netParamAddr = "addr"

// netConnectTimeout bounds the waits of the network mode: the parent's
// Connect for the peer's connection, the peer's connect in Attach. A
// variable so that tests can shorten it.
var netConnectTimeout = 10 * time.Second

// netPollSlice is how often a waiting Connect looks whether Close was
// called meanwhile.
const netPollSlice = 100 * time.Millisecond

// netListenBacklog is the tcp listener's backlog in the network mode: the
// peer's connection and a few strays.
const netListenBacklog = 4

// errNotConnected is wrapped by Send and Recv on a parent's Conn of the
// network mode that Connect has not connected.
var errNotConnected = errors.New("not connected: on a network path the parent's Conn is usable after Connect")

// inetProto is what differs between tcp and udp in the code they share.
type inetProto struct {
	info *Info
	typ  int // unix.SOCK_STREAM or unix.SOCK_DGRAM
	// pair makes the loopback mode's sockets: the parent's and the peer's.
	pair func() (keep, give int, err error)
	// prepare, if set, is applied to each socket of the network mode
	// before it binds or connects.
	prepare func(fd int)
	// connected, if set, is applied to each connected socket of the
	// network mode.
	connected func(fd int) error
	// meet is the heart of the parent's Connect: from its socket fd (the
	// listener, the bound socket), which it owns, to a socket connected to
	// the peer at addr, by deadline; stop reports that Close was called.
	meet func(fd int, peer netip.AddrPort, deadline time.Time, stop func() bool) (int, error)
}

// create is Create of the transport.
func (p *inetProto) create(opts Options) (Conn, Endpoint, error) {
	cfg, err := resolveCreate(*p.info, opts)
	if err != nil {
		return nil, Endpoint{}, err
	}
	if opts.Net != nil {
		return p.createNet(cfg, opts.Net)
	}
	keep, give, err := p.pair()
	if err != nil {
		return nil, Endpoint{}, fmt.Errorf("%s: create: %w", cfg.name, err)
	}
	return handOver(cfg, p.typ, keep, give)
}

// attach is Attach of the transport: the inherited socket in the loopback
// mode, a socket of its own dialling Spec.Params["addr"] in the network
// mode. It owns (and closes) files.
func (p *inetProto) attach(spec Spec, files []*os.File) (Conn, error) {
	addr, onPath := spec.Params[netParamAddr]
	if !onPath {
		return attachInherited(*p.info, spec, files, p.typ)
	}
	cfg, err := resolveAttach(*p.info, spec)
	if err == nil && len(files) > 0 {
		err = fmt.Errorf("%s: attach: got %d inherited files and a network address (Spec.Params[%q] = %q): a spec has one or the other", cfg.name, len(files), netParamAddr, addr)
	}
	if err != nil {
		closeFiles(files)
		return nil, err
	}
	to, err := parseNetAddr(addr)
	if err != nil {
		return nil, fmt.Errorf("%s: attach: Spec.Params[%q]: %w", cfg.name, netParamAddr, err)
	}
	fd, local, err := p.dial(to)
	if err != nil {
		return nil, fmt.Errorf("%s: attach: %w", cfg.name, err)
	}
	reply := netReply{netParamAddr: local.String()}
	if p.typ == unix.SOCK_STREAM {
		c, err := newStreamConn(cfg, fdSocket, fd, fd)
		if err != nil {
			return nil, err
		}
		return &netStreamPeer{c, reply}, nil
	}
	c, err := newDgramConn(cfg, fd, false)
	if err != nil {
		return nil, err
	}
	return &netDgramPeer{c, reply}, nil
}

// netReply is the peer's Reply in the network mode: its socket's address.
type netReply map[string]string

// Reply implements Replier.
func (r netReply) Reply() map[string]string { return r }

// netStreamPeer is the peer's Conn of tcp in the network mode.
type netStreamPeer struct {
	*streamConn
	netReply
}

// netDgramPeer is the peer's Conn of udp in the network mode.
type netDgramPeer struct {
	*dgramConn
	netReply
}

var (
	_ Replier     = (*netStreamPeer)(nil)
	_ Replier     = (*netDgramPeer)(nil)
	_ Interrupter = (*netDgramPeer)(nil)
)

// createNet makes the parent's socket of the network mode and its Conn,
// usable after Connect.
func (p *inetProto) createNet(cfg fdConfig, net *NetPath) (Conn, Endpoint, error) {
	fd := -1
	var local netip.AddrPort
	err := net.in(func() error {
		var err error
		fd, local, err = p.bind(net.Addr)
		return err
	})
	if err == nil && fd < 0 {
		err = errors.New("Options.Net.In returned without running its function")
	}
	if err != nil {
		closeFDs(fd)
		return nil, Endpoint{}, fmt.Errorf("%s: create: %w", cfg.name, err)
	}
	nc := &netConn{cfg: cfg, proto: p, fd: fd}
	spec := Spec{Transport: cfg.name, API: cfg.api, MaxMessage: cfg.capacity, Params: map[string]string{netParamAddr: local.String()}}
	if p.typ == unix.SOCK_DGRAM {
		return &netDgramConn{nc}, Endpoint{Spec: spec}, nil
	}
	return nc, Endpoint{Spec: spec}, nil
}

// socket makes a non-blocking socket of p's type for addr's family.
func (p *inetProto) socket(addr netip.Addr) (int, error) {
	family := unix.AF_INET6
	if addr.Unmap().Is4() {
		family = unix.AF_INET
	}
	fd, err := unix.Socket(family, p.typ|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	if p.prepare != nil {
		p.prepare(fd)
	}
	return fd, nil
}

// bind makes the parent's socket: bound to addr with a port the kernel
// chooses, listening if a stream.
func (p *inetProto) bind(addr netip.Addr) (fd int, local netip.AddrPort, err error) {
	if fd, err = p.socket(addr); err != nil {
		return -1, local, err
	}
	if err = unix.Bind(fd, sockaddrOf(netip.AddrPortFrom(addr, 0))); err != nil {
		err = os.NewSyscallError("bind", err)
	} else if p.typ == unix.SOCK_STREAM {
		err = closeErr("listen", unix.Listen(fd, netListenBacklog))
	}
	return named(fd, err)
}

// named ends bind and dial: fd with its local address if err is nil, else
// fd closed and err.
func named(fd int, err error) (int, netip.AddrPort, error) {
	var local netip.AddrPort
	if err == nil {
		local, err = sockName(fd)
	}
	if err != nil {
		unix.Close(fd)
		return -1, local, err
	}
	return fd, local, nil
}

// dial makes the peer's socket, connected to the parent's at to (waiting
// at most netConnectTimeout for a stream's handshake).
func (p *inetProto) dial(to netip.AddrPort) (fd int, local netip.AddrPort, err error) {
	if fd, err = p.socket(to.Addr()); err != nil {
		return -1, local, err
	}
	err = unix.Connect(fd, sockaddrOf(to))
	if err == unix.EINPROGRESS || err == unix.EINTR {
		// The handshake goes on; poll says when it ends, SO_ERROR how.
		if err = waitFD(fd, unix.POLLOUT, time.Now().Add(netConnectTimeout), nil); err == nil {
			var soerr int
			if soerr, err = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR); err == nil && soerr != 0 {
				err = unix.Errno(soerr)
			}
		} else if errors.Is(err, os.ErrDeadlineExceeded) {
			err = fmt.Errorf("no answer within %v: %w", netConnectTimeout, err)
		}
	}
	if err != nil {
		err = fmt.Errorf("connect to %s: %w", to, os.NewSyscallError("connect", err))
	} else if p.connected != nil {
		err = p.connected(fd)
	}
	return named(fd, err)
}

// netConn is the parent's Conn of the network mode: until Connect it holds
// the socket made at Create (a listener for tcp), then it passes every
// call to the Conn of the loopback mode made over the socket connected to
// the peer.
type netConn struct {
	cfg   fdConfig
	proto *inetProto

	mu   sync.Mutex
	fd   int   // Create's socket until Connect takes it, then -1
	err  error // why Connect failed
	conn Conn  // the connected Conn, set once before ready

	ready       atomic.Bool
	closed      atomic.Bool
	interrupted atomic.Bool // udp: Interrupt was called
}

var _ Connector = (*netConn)(nil)

// Connect meets the peer whose socket address reply names (key "addr"):
// tcp accepts connections until one comes from there, resetting others,
// and closes the listener; udp connects its socket there. It waits at
// most netConnectTimeout, less if Close is called meanwhile. After an
// error the socket is closed and the Conn is unusable.
func (c *netConn) Connect(reply map[string]string) error {
	c.mu.Lock()
	fd := c.fd
	switch {
	case c.closed.Load():
		c.mu.Unlock()
		return fdError(c.cfg.name, "connect", nil, true, false)
	case c.conn != nil:
		c.mu.Unlock()
		return nil
	case c.err != nil:
		c.mu.Unlock()
		return fmt.Errorf("%s: connect: an earlier Connect failed: %w", c.cfg.name, c.err)
	case fd < 0:
		c.mu.Unlock()
		return fmt.Errorf("%s: connect: another Connect is under way", c.cfg.name)
	}
	c.fd = -1
	c.mu.Unlock()

	conn, err := c.connect(fd, reply)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil && c.closed.Load() {
		conn.Close()
		err = fdError(c.cfg.name, "connect", nil, true, false)
	}
	if err != nil {
		c.err = err
		return err
	}
	c.conn = conn
	c.ready.Store(true)
	if it, ok := conn.(Interrupter); ok && c.interrupted.Load() {
		it.Interrupt()
	}
	return nil
}

// connect makes Create's socket fd, which it owns, into a Conn connected
// to the peer that reply names.
func (c *netConn) connect(fd int, reply map[string]string) (Conn, error) {
	peer, err := parseNetAddr(reply[netParamAddr])
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: connect: the peer's reply[%q]: %w", c.cfg.name, netParamAddr, err)
	}
	cfd, err := c.proto.meet(fd, peer, time.Now().Add(netConnectTimeout), c.closed.Load)
	if err == nil && c.proto.connected != nil {
		if err = c.proto.connected(cfd); err != nil {
			unix.Close(cfd)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: connect: %w", c.cfg.name, err)
	}
	return newSockConn(c.cfg, c.proto.typ, cfd)
}

// notReady is the error of a call before Connect succeeded.
func (c *netConn) notReady(op string) error {
	if c.closed.Load() {
		return fdError(c.cfg.name, op, nil, true, false)
	}
	c.mu.Lock()
	failed := c.err
	c.mu.Unlock()
	if failed != nil {
		return fmt.Errorf("%s: %s: %w (Connect failed: %v)", c.cfg.name, op, errNotConnected, failed)
	}
	return fmt.Errorf("%s: %s: %w", c.cfg.name, op, errNotConnected)
}

// Send sends msg on the connected Conn.
func (c *netConn) Send(msg []byte) error {
	if !c.ready.Load() {
		return c.notReady("send")
	}
	return c.conn.Send(msg)
}

// Recv receives from the connected Conn.
func (c *netConn) Recv(buf []byte) (int, error) {
	if !c.ready.Load() {
		return 0, c.notReady("recv")
	}
	return c.conn.Recv(buf)
}

// Close closes Create's socket if Connect has not taken it (a Connect
// under way closes it within netPollSlice), or the connected Conn.
func (c *netConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed.CompareAndSwap(false, true) {
		return nil
	}
	if c.conn != nil {
		return c.conn.Close()
	}
	if c.fd >= 0 {
		fd := c.fd
		c.fd = -1
		if err := unix.Close(fd); err != nil {
			return fmt.Errorf("%s: close: %w", c.cfg.name, os.NewSyscallError("close", err))
		}
	}
	return nil
}

// netDgramConn is the parent's Conn of udp in the network mode: a netConn
// that is an Interrupter, as the loopback mode's Conn is.
type netDgramConn struct{ *netConn }

var _ Interrupter = netDgramConn{}

// Interrupt interrupts the connected Conn, now or once Connect made it.
func (c netDgramConn) Interrupt() {
	// Connect stores ready before it looks at interrupted, Interrupt the
	// other way round: one of them at least passes it on.
	c.interrupted.Store(true)
	if c.ready.Load() {
		c.conn.(Interrupter).Interrupt()
	}
}

// waitFD waits until fd is ready for events (or in error), until
// deadline (os.ErrDeadlineExceeded), or until stop, looked at every
// netPollSlice, reports true (ErrClosed).
func waitFD(fd int, events int16, deadline time.Time, stop func() bool) error {
	for {
		if stop != nil && stop() {
			return ErrClosed
		}
		left := time.Until(deadline)
		if left <= 0 {
			return os.ErrDeadlineExceeded
		}
		pfd := []unix.PollFd{{Fd: int32(fd), Events: events}}
		n, err := unix.Poll(pfd, int(min(left, netPollSlice).Milliseconds())+1)
		switch {
		case err == unix.EINTR:
		case err != nil:
			return os.NewSyscallError("poll", err)
		case n > 0:
			return nil
		}
	}
}

// parseNetAddr reads an ip:port address of the network mode, which must
// name a port on a host.
func parseNetAddr(s string) (netip.AddrPort, error) {
	if s == "" {
		return netip.AddrPort{}, errors.New("missing address")
	}
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return netip.AddrPort{}, err
	}
	if ap.Port() == 0 || ap.Addr().IsUnspecified() {
		return netip.AddrPort{}, fmt.Errorf("address %q names no socket", s)
	}
	return netip.AddrPortFrom(ap.Addr().Unmap().WithZone(""), ap.Port()), nil
}

// sockaddrOf converts ap (an IPv4-mapped IPv6 address is IPv4).
func sockaddrOf(ap netip.AddrPort) unix.Sockaddr {
	if a := ap.Addr().Unmap(); a.Is4() {
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: a.As4()}
	}
	return &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
}

// addrPortOf converts an internet socket address (the zero AddrPort for
// another kind).
func addrPortOf(sa unix.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), uint16(sa.Port))
	}
	return netip.AddrPort{}
}

// sockName is fd's own address.
func sockName(fd int) (netip.AddrPort, error) {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return netip.AddrPort{}, os.NewSyscallError("getsockname", err)
	}
	return addrPortOf(sa), nil
}
