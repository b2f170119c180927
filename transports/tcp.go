package transports

// tcp: a TCP connection, in one of two modes (see netpath.go for what
// they share with udp).
//
// Loopback (the default): over 127.0.0.1. The parent listens on an
// ephemeral port, connects to it, accepts, and closes the listener at
// once, so nothing stays bound; the peer inherits the accepted socket
// (Endpoint.Files[0]).
//
// Network path (Options.Net): the parent listens on Net.Addr, an
// ephemeral port, in its network namespace (Net.In), and hands the peer
// no file but the address (Spec.Params["addr"]). The peer, in another
// namespace or on another machine, connects to it from a socket of its
// own and replies with that socket's address ("addr"); the parent's
// Connect accepts connections until one comes from that address, resets
// any other, and closes the listener. Before Connect the parent's Conn
// only fails.
//
// Either way TCP_NODELAY is set on both ends so that small messages are
// not held back (Nagle). Messages are framed (internal/frame) and copied
// into and out of socket buffers, through the whole TCP/IP stack of the
// loopback device or of the path.
//
// Cleanup: the listener is closed before Create returns (loopback), or at
// Connect or Close, whichever comes first (network path: also when
// Connect fails), so nothing bound stays. Closing the descriptors ends
// the connection; the port returns to the system (the side that closes
// first keeps a TIME_WAIT entry, which needs no cleanup).

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

var tcpInfo = Info{
	Name:   "tcp",
	Family: "socket",
	Wait:   WaitSleep,
	Order:  4,
	Doc:    "TCP over loopback 127.0.0.1 with TCP_NODELAY, length-prefixed framing",
	APIs:   []API{Raw, Runtime},
	Net:    true,
	Limits: func(API) Limits {
		return Limits{MaxMessage: pipeInfo.Limits(Raw).MaxMessage, Source: frameLimitSource}
	},
	New: func() Transport { return tcpTransport{} },
}

func init() { Register(tcpInfo) }

type tcpTransport struct{}

var _ Transport = tcpTransport{}

// tcpProto is what tcp does its own way in the code it shares with udp.
var tcpProto = &inetProto{
	info:      &tcpInfo,
	typ:       unix.SOCK_STREAM,
	pair:      tcpLoopbackPair,
	connected: setNoDelay,
	meet:      tcpAcceptPeer,
}

// Create makes the connection. Files: [0] the peer's socket; none on a
// network path (Options.Net), where the parent's Conn is usable after
// Connect.
func (tcpTransport) Create(opts Options) (Conn, Endpoint, error) { return tcpProto.create(opts) }

// Attach takes the inherited socket, or on a network path connects to the
// parent's. It owns (and closes) files.
func (tcpTransport) Attach(spec Spec, files []*os.File) (Conn, error) {
	return tcpProto.attach(spec, files)
}

// tcpLoopbackPair returns the two ends of a loopback TCP connection, both
// with TCP_NODELAY, the listener already closed.
func tcpLoopbackPair() (cfd, afd int, err error) {
	sock := func() (int, error) {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		return fd, os.NewSyscallError("socket", err)
	}
	lfd, err := sock()
	if err != nil {
		return -1, -1, err
	}
	defer unix.Close(lfd)
	loop := &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}
	if err := unix.Bind(lfd, loop); err != nil {
		return -1, -1, os.NewSyscallError("bind", err)
	}
	if err := unix.Listen(lfd, 1); err != nil {
		return -1, -1, os.NewSyscallError("listen", err)
	}
	sa, err := unix.Getsockname(lfd)
	if err != nil {
		return -1, -1, os.NewSyscallError("getsockname", err)
	}
	if cfd, err = sock(); err != nil {
		return -1, -1, err
	}
	// Blocking connect completes against the listen backlog.
	for {
		err = unix.Connect(cfd, sa)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		unix.Close(cfd)
		return -1, -1, os.NewSyscallError("connect", err)
	}
	for {
		afd, _, err = unix.Accept4(lfd, unix.SOCK_CLOEXEC)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		unix.Close(cfd)
		return -1, -1, os.NewSyscallError("accept4", err)
	}
	for _, fd := range []int{cfd, afd} {
		if err := setNoDelay(fd); err != nil {
			closeFDs(cfd, afd)
			return -1, -1, err
		}
	}
	return cfd, afd, nil
}

// setNoDelay sets TCP_NODELAY on fd.
func setNoDelay(fd int) error {
	return closeErr("setsockopt(TCP_NODELAY)", unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1))
}

// tcpAcceptPeer accepts connections on the listener lfd until one comes
// from peer, and closes lfd. Connections from elsewhere are reset
// (SO_LINGER 0) and named in the error if the peer's does not come by
// deadline.
func tcpAcceptPeer(lfd int, peer netip.AddrPort, deadline time.Time, stop func() bool) (int, error) {
	defer unix.Close(lfd)
	var strays []string
	for {
		afd, sa, err := unix.Accept4(lfd, unix.SOCK_CLOEXEC)
		switch {
		case err == nil && addrPortOf(sa) == peer:
			return afd, nil
		case err == nil:
			unix.SetsockoptLinger(afd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
			unix.Close(afd)
			strays = append(strays, addrPortOf(sa).String())
			continue
		case err == unix.EINTR, err == unix.ECONNABORTED:
			continue
		case err != unix.EAGAIN:
			return -1, os.NewSyscallError("accept4", err)
		}
		if err := waitFD(lfd, unix.POLLIN, deadline, stop); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				seen := "none from elsewhere either"
				if len(strays) > 0 {
					seen = fmt.Sprintf("%d from elsewhere refused: %s", len(strays), strings.Join(strays, ", "))
				}
				err = fmt.Errorf("no connection from the peer's address %s within %v (%s): %w", peer, netConnectTimeout, seen, err)
			}
			return -1, err
		}
	}
}
