package transports

// tcp: a TCP connection over loopback (127.0.0.1). The parent listens on
// an ephemeral port, connects to it, accepts, and closes the listener at
// once, so nothing stays bound; the peer inherits the accepted socket
// (Endpoint.Files[0]). TCP_NODELAY is set on both ends so that small
// messages are not held back (Nagle). Messages are framed
// (internal/frame) and copied into and out of socket buffers, through the
// whole TCP/IP stack of the loopback device.
//
// Cleanup: closing the descriptors ends the connection; the port returns
// to the system (the side that closes first keeps a TIME_WAIT entry, which
// needs no cleanup).

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

var tcpInfo = Info{
	Name:   "tcp",
	Family: "socket",
	Wait:   WaitSleep,
	Order:  4,
	Doc:    "TCP over loopback 127.0.0.1 with TCP_NODELAY, length-prefixed framing",
	APIs:   []API{Raw, Runtime},
	Limits: func(API) Limits {
		return Limits{MaxMessage: pipeInfo.Limits(Raw).MaxMessage, Source: frameLimitSource}
	},
	New: func() Transport { return tcpTransport{} },
}

func init() { Register(tcpInfo) }

type tcpTransport struct{}

var _ Transport = tcpTransport{}

// Create makes the connection. Files: [0] the peer's socket.
func (tcpTransport) Create(opts Options) (Conn, Endpoint, error) {
	cfg, err := resolveCreate(tcpInfo, opts)
	if err != nil {
		return nil, Endpoint{}, err
	}
	cfd, afd, err := tcpLoopbackPair()
	if err != nil {
		return nil, Endpoint{}, fmt.Errorf("tcp: create: %w", err)
	}
	file := peerFile(afd, "ipcbench-tcp")
	c, err := newStreamConn(cfg, fdSocket, cfd, cfd)
	if err != nil {
		file.Close()
		return nil, Endpoint{}, err
	}
	spec := Spec{Transport: cfg.name, API: cfg.api, MaxMessage: cfg.capacity}
	return c, Endpoint{Spec: spec, Files: []*os.File{file}}, nil
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
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
			closeFDs(cfd, afd)
			return -1, -1, os.NewSyscallError("setsockopt(TCP_NODELAY)", err)
		}
	}
	return cfd, afd, nil
}

// Attach takes the inherited socket. It owns (and closes) files.
func (tcpTransport) Attach(spec Spec, files []*os.File) (Conn, error) {
	cfg, err := resolveAttach(tcpInfo, spec)
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
	return newStreamConn(cfg, fdSocket, fds[0], fds[0])
}
