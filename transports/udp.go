package transports

// udp: two UDP sockets on 127.0.0.1, each bound to an ephemeral port and
// connected to the other, so that a plain send reaches the peer and only
// the peer's datagrams are received. The parent keeps one, the peer
// inherits the other (Endpoint.Files[0]). One message is one datagram,
// copied into and out of socket buffers through the loopback IP stack.
// The buffers are made as large as allowed (SO_SNDBUFFORCE and
// SO_RCVBUFFORCE as root, else capped by net.core.wmem_max/rmem_max).
//
// UDP may drop datagrams when the receive buffer is full: Limits.Lossy is
// true, and the harness adds flow control and counts losses; nothing here
// hides them. A UDP socket sees no end of file when its peer dies (a Send
// may fail with ECONNREFUSED after an ICMP port unreachable, reported as
// ErrPeerGone), so its Conn is an Interrupter.
//
// Cleanup: closing the descriptors releases the ports.

import (
	"fmt"
	"os"

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

// Create makes the two connected sockets. Files: [0] the peer's socket.
func (udpTransport) Create(opts Options) (Conn, Endpoint, error) {
	cfg, err := resolveCreate(udpInfo, opts)
	if err != nil {
		return nil, Endpoint{}, err
	}
	fds, err := udpLoopbackPair()
	if err != nil {
		return nil, Endpoint{}, fmt.Errorf("udp: create: %w", err)
	}
	file := peerFile(fds[1], "ipcbench-udp")
	c, err := newDgramConn(cfg, fds[0], false)
	if err != nil {
		file.Close()
		return nil, Endpoint{}, err
	}
	spec := Spec{Transport: cfg.name, API: cfg.api, MaxMessage: cfg.capacity}
	return c, Endpoint{Spec: spec, Files: []*os.File{file}}, nil
}

// udpLoopbackPair returns two UDP sockets on 127.0.0.1 connected to each
// other, with buffers grown.
func udpLoopbackPair() (fds [2]int, err error) {
	fds = [2]int{-1, -1}
	var addrs [2]unix.Sockaddr
	for i := range fds {
		if fds[i], err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0); err != nil {
			closeFDs(fds[:]...)
			return fds, os.NewSyscallError("socket", err)
		}
		growSockBuffers(fds[i])
		if err = unix.Bind(fds[i], &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			closeFDs(fds[:]...)
			return fds, os.NewSyscallError("bind", err)
		}
		if addrs[i], err = unix.Getsockname(fds[i]); err != nil {
			closeFDs(fds[:]...)
			return fds, os.NewSyscallError("getsockname", err)
		}
	}
	for i := range fds {
		if err = unix.Connect(fds[i], addrs[1-i]); err != nil {
			closeFDs(fds[:]...)
			return fds, os.NewSyscallError("connect", err)
		}
	}
	return fds, nil
}

// Attach takes the inherited socket. It owns (and closes) files.
func (udpTransport) Attach(spec Spec, files []*os.File) (Conn, error) {
	cfg, err := resolveAttach(udpInfo, spec)
	if err != nil {
		for _, f := range files {
			f.Close()
		}
		return nil, err
	}
	fds, err := takeFiles(cfg.name, files, 1)
	if err != nil {
		return nil, err
	}
	return newDgramConn(cfg, fds[0], false)
}
