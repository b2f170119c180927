package transports

// fifo: two named pipes (mkfifo, mode 0600), one per direction, in a
// private directory made by os.MkdirTemp (mode 0700, name
// "ipcbench-<pid>-<random>" under os.TempDir). The paths travel in
// Spec.Params and the peer opens them by name, which is the point of a
// FIFO; once open, it behaves as a pipe: messages are framed (internal/frame)
// and copied into and out of a 64 KiB kernel buffer.
//
// Opening a FIFO blocks until the other end is open, so the order avoids
// deadlock: Create opens the child→parent FIFO for reading, non-blocking;
// the peer's Attach opens parent→child for reading (non-blocking), then
// child→parent for writing (a reader exists, so it does not block); the
// parent's Connect (Connector) opens parent→child for writing. Each side
// then sets its descriptors' mode (blocking for api=raw).
//
// Cleanup: Connect removes both FIFOs and the directory at once (both
// sides hold them open, names are no longer needed); Close removes them if
// Connect never ran, also after the peer died. Until the parent has opened
// its write end, a reader sees "no writer" as end of file; the peer's first
// Recv therefore waits (poll) until the parent's writer has appeared.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

var fifoInfo = Info{
	Name:   "fifo",
	Family: "pipe",
	Wait:   WaitSleep,
	Order:  2,
	Doc:    "two named pipes (mkfifo) opened by path, length-prefixed framing",
	APIs:   []API{Raw, Runtime},
	Limits: func(API) Limits {
		return Limits{
			MaxMessage: pipeInfo.Limits(Raw).MaxMessage,
			Source:     pipeInfo.Limits(Raw).Source,
		}
	},
	New: func() Transport { return fifoTransport{} },
}

func init() { Register(fifoInfo) }

type fifoTransport struct{}

var _ Transport = fifoTransport{}

// Create makes the directory and the two FIFOs and opens child→parent for
// reading. The parent's Conn is usable after Connect.
func (fifoTransport) Create(opts Options) (Conn, Endpoint, error) {
	cfg, err := resolveCreate(fifoInfo, opts)
	if err != nil {
		return nil, Endpoint{}, err
	}
	dir, err := os.MkdirTemp("", fmt.Sprintf("ipcbench-%d-", os.Getpid()))
	if err != nil {
		return nil, Endpoint{}, fmt.Errorf("fifo: create: %w", err)
	}
	c := &fifoConn{cfg: cfg, rfd: -1, dir: dir}
	fail := func(err error) (Conn, Endpoint, error) {
		c.Close()
		return nil, Endpoint{}, err
	}
	p2c, c2p := filepath.Join(dir, "p2c"), filepath.Join(dir, "c2p")
	for _, p := range []string{p2c, c2p} {
		if err := unix.Mkfifo(p, 0o600); err != nil {
			return fail(fmt.Errorf("fifo: create: %w", &os.PathError{Op: "mkfifo", Path: p, Err: err}))
		}
	}
	if c.rfd, err = unix.Open(c2p, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0); err != nil {
		return fail(fmt.Errorf("fifo: create: %w", &os.PathError{Op: "open", Path: c2p, Err: err}))
	}
	c.p2c = p2c
	spec := Spec{Transport: cfg.name, API: cfg.api, MaxMessage: cfg.capacity,
		Params: map[string]string{"p2c": p2c, "c2p": c2p}}
	return c, Endpoint{Spec: spec}, nil
}

// Attach opens the FIFOs by path: parent→child for reading, then
// child→parent for writing. Files must be empty.
func (fifoTransport) Attach(spec Spec, files []*os.File) (Conn, error) {
	for _, f := range files {
		f.Close()
	}
	cfg, err := resolveAttach(fifoInfo, spec)
	if err != nil {
		return nil, err
	}
	p2c, c2p := spec.Params["p2c"], spec.Params["c2p"]
	if p2c == "" || c2p == "" {
		return nil, fmt.Errorf("fifo: attach: spec lacks the p2c and c2p paths")
	}
	rfd, err := unix.Open(p2c, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("fifo: attach: %w", &os.PathError{Op: "open", Path: p2c, Err: err})
	}
	wfd, err := unix.Open(c2p, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		unix.Close(rfd)
		if err == unix.ENXIO {
			err = fmt.Errorf("%w (no reader: the parent has closed it)", err)
		}
		return nil, fmt.Errorf("fifo: attach: %w", &os.PathError{Op: "open", Path: c2p, Err: err})
	}
	sc, err := newStreamConn(cfg, fdPipe, rfd, wfd)
	if err != nil {
		return nil, err
	}
	return &fifoConn{cfg: cfg, sc: sc, rfd: -1, waitFDs: [2]int{rfd, wfd}, wait: true}, nil
}

// fifoConn is a streamConn that exists once both FIFOs are open.
type fifoConn struct {
	cfg    fdConfig
	sc     *streamConn
	closed atomic.Bool

	// Parent, until Connect.
	rfd int    // child→parent, read end
	dir string // private directory, "" once removed
	p2c string

	// Peer: before the first Recv, wait for the parent's writer.
	wait    bool
	waitFDs [2]int // read end parent→child, write end child→parent
}

var _ Connector = (*fifoConn)(nil)

// Connect opens parent→child for writing (the peer has it open for
// reading), then removes the FIFOs and their directory.
func (c *fifoConn) Connect(map[string]string) error {
	if c.closed.Load() {
		return fdError(c.cfg.name, "connect", nil, true, false)
	}
	if c.sc != nil {
		return nil
	}
	wfd, err := unix.Open(c.p2c, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		if err == unix.ENXIO {
			err = fmt.Errorf("%w (no reader: the peer has not attached)", err)
		}
		return fmt.Errorf("fifo: connect: %w", &os.PathError{Op: "open", Path: c.p2c, Err: err})
	}
	if err := c.removeDir(); err != nil {
		unix.Close(wfd)
		return err
	}
	rfd := c.rfd
	c.rfd = -1
	sc, err := newStreamConn(c.cfg, fdPipe, rfd, wfd)
	if err != nil {
		return err
	}
	c.sc = sc
	return nil
}

func (c *fifoConn) removeDir() error {
	if c.dir == "" {
		return nil
	}
	if err := os.RemoveAll(c.dir); err != nil {
		return fmt.Errorf("fifo: remove: %w", err)
	}
	c.dir = ""
	return nil
}

func (c *fifoConn) notReady(op string) error {
	if c.closed.Load() {
		return fdError(c.cfg.name, op, nil, true, false)
	}
	return fmt.Errorf("fifo: %s: not connected (Connect has not run)", op)
}

// Send writes msg as one frame.
func (c *fifoConn) Send(msg []byte) error {
	if c.sc == nil {
		return c.notReady("send")
	}
	return c.sc.Send(msg)
}

// Recv reads the next frame; the peer's first call waits for the parent's
// writer so that "not yet opened" is not taken for end of file.
func (c *fifoConn) Recv(buf []byte) (int, error) {
	if c.sc == nil {
		return 0, c.notReady("recv")
	}
	if c.wait {
		if err := c.waitWriter(); err != nil {
			return 0, err
		}
	}
	return c.sc.Recv(buf)
}

// waitWriter polls the read end until it has data or its writer has come
// and gone (Linux reports POLLHUP on a FIFO only after a writer has been
// seen); the write end reports POLLERR if the parent has gone.
func (c *fifoConn) waitWriter() error {
	if c.sc.closed.Load() {
		return nil // Recv reports ErrClosed
	}
	fds := []unix.PollFd{{Fd: int32(c.waitFDs[0]), Events: unix.POLLIN}, {Fd: int32(c.waitFDs[1])}}
	for {
		_, err := unix.Poll(fds, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("fifo: recv: %w", os.NewSyscallError("poll", err))
		}
		c.wait = false
		return nil
	}
}

// Close closes the descriptors and removes the FIFOs and their directory
// if Connect has not already done so.
func (c *fifoConn) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return nil
	}
	var errs []error
	if c.sc != nil {
		errs = append(errs, c.sc.Close())
	}
	if c.rfd >= 0 {
		errs = append(errs, closeErr("close", unix.Close(c.rfd)))
		c.rfd = -1
	}
	errs = append(errs, c.removeDir())
	return errors.Join(errs...)
}
