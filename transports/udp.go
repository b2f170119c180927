package transports

// udp: two UDP sockets, one datagram per message, in one of two modes
// (see netpath.go for what they share with tcp).
//
// Loopback (the default): both sockets are made here on 127.0.0.1, each
// bound to an ephemeral port and connected to the other, so that a plain
// send reaches the peer and only the peer's datagrams are received. The
// parent keeps one, the peer inherits the other (Endpoint.Files[0]).
//
// Network path (Options.Net): the parent binds its socket to Net.Addr, an
// ephemeral port, in its network namespace (Net.In), and hands the peer
// no file but the address (Spec.Params["addr"]). The peer, in another
// namespace or on another machine, makes a socket of its own, connects it
// to that address (which binds it to an ephemeral port) and replies with
// its address ("addr"); the parent's Connect connects its socket there,
// so that here too only the peer's datagrams are received. Before Connect
// the parent's Conn only fails.
//
// Each message is copied into and out of socket buffers through the IP
// stack of the loopback device or of the path. The buffers are made as
// large as allowed (SO_SNDBUFFORCE and SO_RCVBUFFORCE as root, else capped
// by net.core.wmem_max/rmem_max).
//
// UDP may drop datagrams when the receive buffer is full: Limits.Lossy is
// true, and the harness adds flow control and counts losses; nothing here
// hides them. A UDP socket sees no end of file when its peer dies (a Send
// may fail with ECONNREFUSED after an ICMP port unreachable, reported as
// ErrPeerGone), so its Conn is an Interrupter.
//
// Cleanup: closing the descriptors releases the ports. On a network path
// the parent's socket is bound from Create until Close (or a Connect that
// fails, which closes it), connected or not; nothing else stays bound.

import (
	"fmt"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// udpMaxPayload is the largest IPv4 UDP payload: 65535 less the 20-byte
// IP header and the 8-byte UDP header.
const udpMaxPayload = 65535 - 20 - 8

var udpInfo = Info{
	Name:   "udp",
	Family: "socket",
	Wait:   WaitSleep,
	Order:  5,
	Doc:    "two connected UDP sockets on loopback 127.0.0.1, one datagram per message (lossy)",
	APIs:   []API{Raw, Runtime},
	Net:    true,
	Limits: func(API) Limits {
		return Limits{
			MaxMessage: udpMaxPayload,
			Source:     "IPv4 UDP payload maximum: 65535 less 20 (IP header) and 8 (UDP header)",
			Lossy:      true,
		}
	},
	New: func() Transport { return udpTransport{} },
}

func init() { Register(udpInfo) }

type udpTransport struct{}

var _ Transport = udpTransport{}

// udpProto is what udp does its own way in the code it shares with tcp.
var udpProto = &inetProto{
	info:    &udpInfo,
	typ:     unix.SOCK_DGRAM,
	pair:    udpLoopbackPair,
	prepare: func(fd int) { growSockBuffers(fd) },
	meet:    udpConnectPeer,
}

// Create makes the two connected sockets. Files: [0] the peer's socket;
// none on a network path (Options.Net), where the parent's Conn is usable
// after Connect.
func (udpTransport) Create(opts Options) (Conn, Endpoint, error) { return udpProto.create(opts) }

// Attach takes the inherited socket, or on a network path makes one
// connected to the parent's. It owns (and closes) files.
func (udpTransport) Attach(spec Spec, files []*os.File) (Conn, error) {
	return udpProto.attach(spec, files)
}

// udpLoopbackPair returns two UDP sockets on 127.0.0.1 connected to each
// other, with buffers grown: the parent's and the peer's.
func udpLoopbackPair() (keep, give int, err error) {
	fds := [2]int{-1, -1}
	var addrs [2]unix.Sockaddr
	for i := range fds {
		if fds[i], err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0); err != nil {
			closeFDs(fds[:]...)
			return -1, -1, os.NewSyscallError("socket", err)
		}
		growSockBuffers(fds[i])
		if err = unix.Bind(fds[i], &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			closeFDs(fds[:]...)
			return -1, -1, os.NewSyscallError("bind", err)
		}
		if addrs[i], err = unix.Getsockname(fds[i]); err != nil {
			closeFDs(fds[:]...)
			return -1, -1, os.NewSyscallError("getsockname", err)
		}
	}
	for i := range fds {
		if err = unix.Connect(fds[i], addrs[1-i]); err != nil {
			closeFDs(fds[:]...)
			return -1, -1, os.NewSyscallError("connect", err)
		}
	}
	return fds[0], fds[1], nil
}

// udpConnectPeer connects the parent's socket fd to peer, so that it
// receives the peer's datagrams only, and drops those from elsewhere that
// were queued before (connect does not): the head of the queue up to the
// first of the peer's. It closes fd if it fails.
func udpConnectPeer(fd int, peer netip.AddrPort, _ time.Time, _ func() bool) (int, error) {
	var err error
	for {
		if err = unix.Connect(fd, sockaddrOf(peer)); err != unix.EINTR {
			break
		}
	}
	if err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("connect to %s: %w", peer, os.NewSyscallError("connect", err))
	}
	for {
		_, from, err := unix.Recvfrom(fd, nil, unix.MSG_PEEK|unix.MSG_DONTWAIT)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil || from == nil || addrPortOf(from) == peer:
			return fd, nil // EAGAIN: the queue is empty
		}
		unix.Recvfrom(fd, nil, unix.MSG_DONTWAIT)
	}
}
