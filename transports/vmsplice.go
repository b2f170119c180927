package transports

// vmsplice: a pipe pair fed by vmsplice(2) and drained by read(2), with the
// shared length-prefixed framing (internal/frame).
//
// What vmsplice changes, exactly. write(2) on a pipe allocates pipe pages
// and copies the message into them (copy_from_user); read(2) copies it out
// (copy_to_user). vmsplice without SPLICE_F_GIFT instead puts references
// to the sender's own pages into the pipe: the kernel allocates and copies
// nothing on the way in, and read(2) copies straight out of the sender's
// pages. But the pipe then refers to those pages until the reader has
// consumed them, and Send may not keep the caller's buffer after it
// returns (the caller may rewrite it at once). So Send first copies the
// frame (header and payload) into a transport-owned staging ring, in
// chunks of at most the pipe's capacity, and vmsplices from there. Per
// message: one user-space memcpy into the ring (instead of the kernel's
// page allocation and copy_from_user), no copy in vmsplice, one
// copy_to_user in read. The number of copies equals a plain pipe's; what
// is avoided is the kernel's copy-in and its page allocation. A sender
// that built its messages in the ring itself would avoid the copy-in
// entirely. The read side cannot avoid its copy: splice(2) moves pipe
// pages only to another descriptor, not into user memory.
//
// Why the ring is safe. A pipe holds at most F_GETPIPE_SZ / PAGE_SIZE
// buffers, each referring to at most one page's worth of bytes, and they
// are the most recently spliced ones (FIFO); so the pipe refers to at most
// L = F_GETPIPE_SZ bytes, the tail of what was spliced. The ring is L + 2C
// bytes for chunks of C bytes, filled in order and restarted at 0 when a
// chunk does not fit before the end: a chunk being written never overlaps
// the last L bytes spliced before it, so no byte still referenced by the
// pipe is ever overwritten. TestVmspliceBufferReuse checks it.

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"github.com/ipcbench/ipcbench/transports/internal/frame"
)

const (
	vmspliceName   = "vmsplice"
	vmspliceSource = "ipcbench's framing limit (internal/frame.MaxMessage); a pipe itself sets none"
)

func init() {
	Register(Info{
		Name:   vmspliceName,
		Family: "pipe",
		Wait:   WaitSleep,
		Order:  3,
		Doc:    "pipe pair fed by vmsplice from a staging ring, drained by read (framed)",
		APIs:   []API{Raw},
		Limits: func(API) Limits { return Limits{MaxMessage: frame.MaxMessage, Source: vmspliceSource} },
		New:    func() Transport { return vmspliceTransport{} },
	})
}

type vmspliceTransport struct{}

var _ Transport = vmspliceTransport{}

// Create makes the two pipes; the peer gets the read end of the first and
// the write end of the second.
func (vmspliceTransport) Create(opts Options) (Conn, Endpoint, error) {
	info, _ := Lookup(vmspliceName)
	opts, err := info.Resolve(opts)
	if err != nil {
		return nil, Endpoint{}, err
	}
	capacity := opts.MaxMessage
	var p2c, c2p [2]int
	if err := unix.Pipe2(p2c[:], unix.O_CLOEXEC); err != nil {
		return nil, Endpoint{}, fmt.Errorf("vmsplice: create: %w", os.NewSyscallError("pipe2", err))
	}
	if err := unix.Pipe2(c2p[:], unix.O_CLOEXEC); err != nil {
		unix.Close(p2c[0])
		unix.Close(p2c[1])
		return nil, Endpoint{}, fmt.Errorf("vmsplice: create: %w", os.NewSyscallError("pipe2", err))
	}
	c, err := newVmsplice(capacity, c2p[0], p2c[1])
	if err != nil {
		for _, fd := range []int{p2c[0], p2c[1], c2p[0], c2p[1]} {
			unix.Close(fd)
		}
		return nil, Endpoint{}, err
	}
	files := []*os.File{os.NewFile(uintptr(p2c[0]), "vmsplice-r"), os.NewFile(uintptr(c2p[1]), "vmsplice-w")}
	return c, Endpoint{Spec: Spec{Transport: vmspliceName, API: opts.API, MaxMessage: capacity}, Files: files}, nil
}

// Attach uses the inherited read and write ends.
func (vmspliceTransport) Attach(spec Spec, files []*os.File) (Conn, error) {
	if len(files) != 2 {
		for _, f := range files {
			f.Close()
		}
		return nil, fmt.Errorf("vmsplice: attach: got %d files, want 2", len(files))
	}
	c, err := newVmsplice(spec.MaxMessage, int(files[0].Fd()), int(files[1].Fd()))
	if err != nil {
		files[0].Close()
		files[1].Close()
		return nil, err
	}
	c.files = files
	return c, nil
}

// vmspliceConn is one side: it reads frames from rfd and vmsplices frames
// into wfd.
type vmspliceConn struct {
	capacity int
	rfd, wfd int
	r        *frame.Reader
	w        *frame.Writer
	ring     []byte // staging ring: L + 2*chunk bytes, mmap'd
	chunk    int
	pos      int
	iov      [1]unix.Iovec
	files    []*os.File // the peer's inherited files (nil in the parent)
	closed   bool
}

func newVmsplice(capacity, rfd, wfd int) (*vmspliceConn, error) {
	if capacity <= 0 || capacity > frame.MaxMessage {
		return nil, fmt.Errorf("vmsplice: capacity %d out of range 1..%d", capacity, frame.MaxMessage)
	}
	l, err := unix.FcntlInt(uintptr(wfd), unix.F_GETPIPE_SZ, 0)
	if err != nil {
		return nil, fmt.Errorf("vmsplice: %w", os.NewSyscallError("fcntl F_GETPIPE_SZ", err))
	}
	ring, err := unix.Mmap(-1, 0, 3*l, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, fmt.Errorf("vmsplice: map staging ring: %w", os.NewSyscallError("mmap", err))
	}
	c := &vmspliceConn{capacity: capacity, rfd: rfd, wfd: wfd, ring: ring, chunk: l}
	c.r = frame.NewReader(frame.FDRead(rfd), capacity, 0)
	c.w = frame.NewWriter(c.writev, capacity)
	return c, nil
}

// writev is the frame.Writer's output: it stages up to one chunk of iov in
// the ring and vmsplices it, returning the bytes consumed from iov.
func (c *vmspliceConn) writev(iov [][]byte) (int, error) {
	k := 0
	for _, b := range iov {
		k += len(b)
	}
	k = min(k, c.chunk)
	if c.pos+k > len(c.ring) {
		c.pos = 0
	}
	dst := c.ring[c.pos : c.pos+k]
	for i, b := 0, 0; i < len(iov) && b < k; i++ {
		b += copy(dst[b:], iov[i])
	}
	c.pos += k
	for off := 0; off < k; {
		c.iov[0].Base = &dst[off]
		c.iov[0].SetLen(k - off)
		n, err := unix.Vmsplice(c.wfd, c.iov[:], 0)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EPIPE:
			return off, fmt.Errorf("%w: %w", ErrPeerGone, os.NewSyscallError("vmsplice", err))
		case err != nil:
			return off, os.NewSyscallError("vmsplice", err)
		}
		off += n
	}
	return k, nil
}

func (c *vmspliceConn) Send(msg []byte) error {
	if c.closed {
		return ErrClosed
	}
	if err := CheckSize(vmspliceName, len(msg), c.capacity, Limits{MaxMessage: frame.MaxMessage, Source: vmspliceSource}); err != nil {
		return err
	}
	if err := c.w.WriteFrame(msg); err != nil {
		return fmt.Errorf("vmsplice: send: %w", err)
	}
	return nil
}

func (c *vmspliceConn) Recv(buf []byte) (int, error) {
	if c.closed {
		return 0, ErrClosed
	}
	n, err := c.r.ReadFrame(buf)
	switch {
	case err == nil:
		return n, nil
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return 0, fmt.Errorf("vmsplice: recv: %w: %w", ErrPeerGone, err)
	case errors.Is(err, unix.ECONNRESET):
		return 0, fmt.Errorf("vmsplice: recv: %w: %w", ErrPeerGone, err)
	case errors.Is(err, frame.ErrCorrupt):
		return 0, fmt.Errorf("vmsplice: recv: %w: %w", ErrCorrupt, err)
	default:
		return 0, fmt.Errorf("vmsplice: recv: %w", err)
	}
}

// Close closes both pipe ends and unmaps the staging ring (pages the pipe
// still refers to stay alive in the kernel until read or dropped).
func (c *vmspliceConn) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	if c.files != nil {
		for _, f := range c.files {
			f.Close()
		}
	} else {
		unix.Close(c.rfd)
		unix.Close(c.wfd)
	}
	return unix.Munmap(c.ring)
}
