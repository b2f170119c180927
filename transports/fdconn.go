package transports

// The Conn implementations shared by every file-descriptor transport
// (pipe, fifo, unix-stream, unix-dgram, unix-seqpacket, tcp, udp): each
// transport file only makes its descriptors and hands them to
// newStreamConn or newDgramConn, which take ownership of them.
//
// Two ways of driving a descriptor, chosen by the API:
//   - Raw: the descriptor is blocking and read, write, writev and readv
//     are called on the caller's (locked) OS thread, EINTR retried.
//   - Runtime: the descriptor is non-blocking and wrapped in an os.File
//     (pipes, FIFOs) or a net.Conn (sockets), so the Go runtime's poller
//     parks the goroutine instead of the thread.
//
// Nothing here allocates per message: framing state, iovecs and the
// closures given to syscall.RawConn are made once per Conn.

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcbench/ipcbench/transports/internal/frame"
)

// fdKind says what a descriptor is, which decides how API Runtime wraps it.
type fdKind int

const (
	fdPipe   fdKind = iota // pipe or FIFO: os.File
	fdSocket               // socket: net.Conn
)

// fdConfig is what a Conn needs to know about its channel.
type fdConfig struct {
	name     string // transport name, for errors
	api      API
	capacity int    // largest message of this channel (Spec.MaxMessage)
	lim      Limits // the mechanism's limit, for CheckSize's message
}

// resolveCreate checks opts against info and returns the API (the
// default when empty) and the channel capacity.
func resolveCreate(info Info, opts Options) (fdConfig, error) {
	opts, err := info.Resolve(opts)
	if err != nil {
		return fdConfig{}, err
	}
	return fdConfig{name: info.Name, api: opts.API, capacity: opts.MaxMessage, lim: info.Limits(opts.API)}, nil
}

// resolveAttach does the same for the peer's side from the spec.
func resolveAttach(info Info, spec Spec) (fdConfig, error) {
	return resolveCreate(info, Options{API: spec.API, MaxMessage: spec.MaxMessage})
}

// takeFile returns a descriptor of our own for f (a close-on-exec
// duplicate) and closes f. Attach uses it on the inherited files, so the
// peer's Conn owns what it uses whoever else closes the files later.
func takeFile(name string, f *os.File) (int, error) {
	if f == nil {
		return -1, fmt.Errorf("%s: attach: missing file", name)
	}
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return -1, fmt.Errorf("%s: attach: %w", name, err)
	}
	nfd := -1
	cerr := rc.Control(func(fd uintptr) {
		nfd, err = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	})
	if cerr != nil {
		return -1, fmt.Errorf("%s: attach: %w", name, cerr)
	}
	if err != nil {
		return -1, fmt.Errorf("%s: attach: %w", name, os.NewSyscallError("fcntl(F_DUPFD_CLOEXEC)", err))
	}
	return nfd, nil
}

// closeFiles closes files Attach owns but will not use.
func closeFiles(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// takeFiles applies takeFile to every file, closing all of them; on error
// the descriptors taken so far are closed too.
func takeFiles(name string, files []*os.File, want int) ([]int, error) {
	if len(files) != want {
		closeFiles(files)
		return nil, fmt.Errorf("%s: attach: got %d files, want %d", name, len(files), want)
	}
	fds := make([]int, 0, want)
	var firstErr error
	for _, f := range files {
		fd, err := takeFile(name, f)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		if err == nil {
			fds = append(fds, fd)
		}
	}
	if firstErr != nil {
		closeFDs(fds...)
		return nil, firstErr
	}
	return fds, nil
}

func closeFDs(fds ...int) {
	for _, fd := range fds {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
}

// peerFile wraps a descriptor to hand to the peer (Endpoint.Files).
func peerFile(fd int, name string) *os.File { return os.NewFile(uintptr(fd), name) }

// newSockConn makes the Conn of a socket of type typ (stream, datagram,
// seqpacket), which it owns from then on.
func newSockConn(cfg fdConfig, typ, fd int) (Conn, error) {
	if typ == unix.SOCK_STREAM {
		return newStreamConn(cfg, fdSocket, fd, fd)
	}
	return newDgramConn(cfg, fd, typ == unix.SOCK_SEQPACKET)
}

// handOver ends Create of a transport that makes both sockets (of type
// typ) here: the parent keeps keep, the peer inherits give
// (Endpoint.Files[0]).
func handOver(cfg fdConfig, typ, keep, give int) (Conn, Endpoint, error) {
	file := peerFile(give, "ipcbench-"+cfg.name)
	c, err := newSockConn(cfg, typ, keep)
	if err != nil {
		file.Close()
		return nil, Endpoint{}, err
	}
	spec := Spec{Transport: cfg.name, API: cfg.api, MaxMessage: cfg.capacity}
	return c, Endpoint{Spec: spec, Files: []*os.File{file}}, nil
}

// attachInherited is Attach of a transport whose peer inherits its socket
// (of type typ) from Create. It owns (and closes) files.
func attachInherited(info Info, spec Spec, files []*os.File, typ int) (Conn, error) {
	cfg, err := resolveAttach(info, spec)
	if err != nil {
		closeFiles(files)
		return nil, err
	}
	fds, err := takeFiles(cfg.name, files, 1)
	if err != nil {
		return nil, err
	}
	return newSockConn(cfg, typ, fds[0])
}

// setMode makes fd blocking (Raw) or non-blocking (Runtime).
func setMode(name string, api API, fd int) error {
	if err := unix.SetNonblock(fd, api == Runtime); err != nil {
		return fmt.Errorf("%s: set mode: %w", name, os.NewSyscallError("fcntl(O_NONBLOCK)", err))
	}
	return nil
}

// fdError maps a system error to the package's errors, keeping it wrapped:
// end of file and reset, broken or refused connections become ErrPeerGone.
func fdError(name, op string, err error, closed, interrupted bool) error {
	var kind error
	switch {
	case closed:
		kind = ErrClosed
	case interrupted && (err == nil || errors.Is(err, os.ErrDeadlineExceeded)):
		kind = ErrInterrupted
	case err == io.EOF || err == io.ErrUnexpectedEOF,
		errors.Is(err, unix.EPIPE), errors.Is(err, unix.ECONNRESET), errors.Is(err, unix.ECONNREFUSED):
		kind = ErrPeerGone
	case errors.Is(err, frame.ErrCorrupt):
		kind = ErrCorrupt
	case errors.Is(err, os.ErrClosed), errors.Is(err, net.ErrClosed):
		kind = ErrClosed
	default:
		return fmt.Errorf("%s: %s: %w", name, op, err)
	}
	if err == nil {
		return fmt.Errorf("%s: %s: %w", name, op, kind)
	}
	return fmt.Errorf("%s: %s: %w: %w", name, op, kind, err)
}

// streamConn carries framed messages over one stream socket or a pair of
// pipes (read end, write end).
type streamConn struct {
	cfg     fdConfig
	rfd     int // Raw: the read descriptor (PollFD); Runtime: -1
	r       *frame.Reader
	w       *frame.Writer
	closed  atomic.Bool
	closers []func() error
	cleanup func() error // removes what the creating side made (FIFO dir)
}

// newStreamConn makes a framed Conn over rfd and wfd (equal for a socket).
// It owns the descriptors from then on, also when it fails.
func newStreamConn(cfg fdConfig, kind fdKind, rfd, wfd int) (*streamConn, error) {
	fds := []int{rfd}
	if wfd != rfd {
		fds = append(fds, wfd)
	}
	for _, fd := range fds {
		if err := setMode(cfg.name, cfg.api, fd); err != nil {
			closeFDs(fds...)
			return nil, err
		}
	}
	c := &streamConn{cfg: cfg, rfd: -1}
	switch {
	case cfg.api == Raw:
		c.rfd = rfd
		c.r = frame.NewReader(frame.FDRead(rfd), cfg.capacity, frame.DefaultBufferSize)
		c.w = frame.NewWriter(frame.FDWritev(wfd), cfg.capacity)
		for _, fd := range fds {
			c.closers = append(c.closers, func() error { return closeErr("close", unix.Close(fd)) })
		}
	case kind == fdSocket:
		nc, err := fileConn(cfg.name, rfd)
		if err != nil {
			return nil, err
		}
		c.r = frame.NewReader(nc.Read, cfg.capacity, frame.DefaultBufferSize)
		c.w = frame.NewWriter(frame.ConnWritev(nc), cfg.capacity)
		c.closers = append(c.closers, nc.Close)
	default:
		rf := os.NewFile(uintptr(rfd), cfg.name+"-read")
		wf := os.NewFile(uintptr(wfd), cfg.name+"-write")
		rc, err := wf.SyscallConn()
		if err != nil {
			rf.Close()
			wf.Close()
			return nil, fmt.Errorf("%s: %w", cfg.name, err)
		}
		c.r = frame.NewReader(rf.Read, cfg.capacity, frame.DefaultBufferSize)
		c.w = frame.NewWriter(frame.RawConnWritev(rc), cfg.capacity)
		c.closers = append(c.closers, rf.Close, wf.Close)
	}
	return c, nil
}

// fileConn turns a socket descriptor into a net.Conn (which duplicates it
// non-blocking onto the poller) and closes the original.
func fileConn(name string, fd int) (net.Conn, error) {
	f := os.NewFile(uintptr(fd), name)
	nc, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: net.FileConn: %w", name, err)
	}
	return nc, nil
}

func closeErr(call string, err error) error {
	if err != nil {
		return os.NewSyscallError(call, err)
	}
	return nil
}

// Send writes msg as one frame: header and payload in one writev.
func (c *streamConn) Send(msg []byte) error {
	if c.closed.Load() {
		return fdError(c.cfg.name, "send", nil, true, false)
	}
	if len(msg) > c.cfg.capacity {
		return CheckSize(c.cfg.name, len(msg), c.cfg.capacity, c.cfg.lim)
	}
	if err := c.w.WriteFrame(msg); err != nil {
		return fdError(c.cfg.name, "send", err, c.closed.Load(), false)
	}
	return nil
}

// Recv reads the next frame into buf.
func (c *streamConn) Recv(buf []byte) (int, error) {
	if c.closed.Load() {
		return 0, fdError(c.cfg.name, "recv", nil, true, false)
	}
	n, err := c.r.ReadFrame(buf)
	if err != nil {
		return 0, fdError(c.cfg.name, "recv", err, c.closed.Load(), false)
	}
	return n, nil
}

// PollFD is the read descriptor of a raw Conn, -1 for api=runtime
// (Pollable).
func (c *streamConn) PollFD() int { return c.rfd }

// Buffered reports whether the framing reader holds bytes of the stream
// it has read but not returned: the next frame (or its start), which no
// readiness of the descriptor announces (Pollable).
func (c *streamConn) Buffered() bool { return c.r.Buffered() > 0 }

// Close closes the descriptors and runs the creating side's cleanup.
func (c *streamConn) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return nil
	}
	var errs []error
	for _, cl := range c.closers {
		errs = append(errs, cl())
	}
	if c.cleanup != nil {
		errs = append(errs, c.cleanup())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s: close: %w", c.cfg.name, err)
	}
	return nil
}

// interruptTimeout bounds how long a raw datagram Send stays blocked in
// the kernel (SO_SNDTIMEO) before it looks whether Interrupt was called.
const interruptTimeout = 100 * time.Millisecond

// dgramConn carries one message per datagram (unix-dgram, unix-seqpacket,
// udp). Recv reads with readv into the caller's buffer plus one spare
// byte: a datagram that fills the spare byte did not fit and was
// truncated by the kernel, which Recv reports as io.ErrShortBuffer.
type dgramConn struct {
	cfg     fdConfig
	noEmpty bool // seqpacket: a zero-length read means end of file
	fd      int  // Raw
	nc      net.Conn
	rc      syscall.RawConn // Runtime: nc's, for readv through the poller

	riov  [2][]byte
	spare [1]byte
	rfn   func(fd uintptr) bool
	rn    int
	rerr  error

	closed      atomic.Bool
	interrupted atomic.Bool
}

var _ Interrupter = (*dgramConn)(nil)

// newDgramConn makes a datagram Conn over the socket fd, which it owns
// from then on, also when it fails.
func newDgramConn(cfg fdConfig, fd int, noEmpty bool) (*dgramConn, error) {
	if err := setMode(cfg.name, cfg.api, fd); err != nil {
		unix.Close(fd)
		return nil, err
	}
	c := &dgramConn{cfg: cfg, noEmpty: noEmpty, fd: -1}
	if cfg.api == Raw {
		tv := unix.NsecToTimeval(interruptTimeout.Nanoseconds())
		if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv); err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("%s: %w", cfg.name, os.NewSyscallError("setsockopt(SO_SNDTIMEO)", err))
		}
		c.fd = fd
		return c, nil
	}
	nc, err := fileConn(cfg.name, fd)
	if err != nil {
		return nil, err
	}
	sc, ok := nc.(syscall.Conn)
	if !ok {
		nc.Close()
		return nil, fmt.Errorf("%s: %T has no SyscallConn", cfg.name, nc)
	}
	if c.rc, err = sc.SyscallConn(); err != nil {
		nc.Close()
		return nil, fmt.Errorf("%s: %w", cfg.name, err)
	}
	c.nc = nc
	c.rfn = c.tryRecv
	return c, nil
}

// Send sends msg as one datagram.
func (c *dgramConn) Send(msg []byte) error {
	if c.closed.Load() {
		return fdError(c.cfg.name, "send", nil, true, false)
	}
	if len(msg) > c.cfg.capacity {
		return CheckSize(c.cfg.name, len(msg), c.cfg.capacity, c.cfg.lim)
	}
	if len(msg) == 0 && c.noEmpty {
		return fmt.Errorf("%s: send: a zero-length message cannot be told from end of file on a seqpacket socket: %w", c.cfg.name, errors.ErrUnsupported)
	}
	if c.cfg.api == Raw {
		for {
			_, err := unix.Write(c.fd, msg)
			switch err {
			case nil:
				return nil
			case unix.EINTR:
				continue
			case unix.EAGAIN: // SO_SNDTIMEO expired: the receiver's queue is full
				if c.interrupted.Load() {
					return fdError(c.cfg.name, "send", nil, false, true)
				}
				continue
			}
			return fdError(c.cfg.name, "send", os.NewSyscallError("write", err), c.closed.Load(), false)
		}
	}
	if _, err := c.nc.Write(msg); err != nil {
		return fdError(c.cfg.name, "send", err, c.closed.Load(), c.interrupted.Load())
	}
	return nil
}

// tryRecv is the runtime path's readv, called through the RawConn.
func (c *dgramConn) tryRecv(fd uintptr) bool {
	for {
		n, err := unix.Readv(int(fd), c.riov[:])
		switch err {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		}
		c.rn, c.rerr = n, err
		return true
	}
}

// Recv receives one datagram into buf.
func (c *dgramConn) Recv(buf []byte) (int, error) {
	if c.closed.Load() {
		return 0, fdError(c.cfg.name, "recv", nil, true, false)
	}
	c.riov[0], c.riov[1] = buf, c.spare[:]
	var n int
	var err error
	if c.cfg.api == Raw {
		for {
			n, err = unix.Readv(c.fd, c.riov[:])
			if err != unix.EINTR {
				break
			}
		}
		if err != nil {
			err = os.NewSyscallError("readv", err)
		}
	} else {
		c.rn, c.rerr = 0, nil
		if err = c.rc.Read(c.rfn); err == nil {
			n, err = c.rn, c.rerr
			if err != nil {
				err = os.NewSyscallError("readv", err)
			}
		}
	}
	c.riov[0] = nil
	switch {
	case err != nil:
		return 0, fdError(c.cfg.name, "recv", err, c.closed.Load(), c.interrupted.Load())
	case n > len(buf):
		return 0, fmt.Errorf("%s: recv: message longer than the buffer of %d bytes (discarded): %w", c.cfg.name, len(buf), io.ErrShortBuffer)
	case n == 0 && c.interrupted.Load():
		return 0, fdError(c.cfg.name, "recv", nil, false, true)
	case n == 0 && c.noEmpty:
		return 0, fdError(c.cfg.name, "recv", io.EOF, c.closed.Load(), false)
	}
	return n, nil
}

// Interrupt makes a blocked Send or Recv return ErrInterrupted: a
// datagram socket gives no end of file when the peer dies (unix-dgram,
// udp). Raw: shutdown(SHUT_RD) wakes a blocked Recv, and a Send blocked on
// a full queue wakes within interruptTimeout. Runtime: a past deadline.
func (c *dgramConn) Interrupt() {
	c.interrupted.Store(true)
	if c.closed.Load() {
		return
	}
	if c.cfg.api == Raw {
		unix.Shutdown(c.fd, unix.SHUT_RD)
		return
	}
	c.nc.SetDeadline(time.Unix(1, 0))
}

// PollFD is the socket of a raw Conn, -1 for api=runtime (Pollable).
func (c *dgramConn) PollFD() int { return c.fd }

// Buffered reports false: every datagram waits in the kernel (Pollable).
func (c *dgramConn) Buffered() bool { return false }

// Close closes the socket.
func (c *dgramConn) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return nil
	}
	var err error
	if c.cfg.api == Raw {
		err = closeErr("close", unix.Close(c.fd))
	} else {
		err = c.nc.Close()
	}
	if err != nil {
		return fmt.Errorf("%s: close: %w", c.cfg.name, err)
	}
	return nil
}
