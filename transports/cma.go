package transports

// cma: cross-memory attach. The sender copies the message straight from
// its own buffer into a slot of the peer's receive mapping with
// process_vm_writev(2), then writes the length (4 bytes) on a notification
// pipe; the receiver reads the length, copies the message out of its slot
// into the caller's buffer and hands slots back with credits on a second
// pipe, so that a slot is never overwritten while it may still be read.
//
// Copies: process_vm_writev copies once, from the sender's pages into the
// receiver's pages, with no kernel buffer in between (a pipe or socket
// copies into the kernel and out again). Recv then copies out of the
// mapping into the caller's buffer, because the Conn contract gives it the
// caller's buffer only when Recv is called; so with this API the bytes are
// copied twice, as on a pipe, and the saving is the kernel's buffer
// management, not a copy. (A receiver that consumed messages in place
// would keep the one copy.)
//
// Geometry: each side maps nslots slots of the channel capacity (rounded
// up to 64 bytes), 2..256 slots, about 4 MiB in all; the parent tells its
// pid and mapping address in Spec.Params, the peer in Reply. The receiver
// returns credits in batches of half the slots, so a ping-pong pays no
// credit syscall per message: per message the sender makes
// process_vm_writev and write, the receiver read (which may bring several
// lengths at once).
//
// Permission: process_vm_writev needs ptrace access to the target
// (PTRACE_MODE_ATTACH_REALCREDS: same uid and not restricted by Yama's
// kernel.yama.ptrace_scope, or CAP_SYS_PTRACE). Attach and Connect probe
// it with a 1-byte write and fail with an error wrapping
// errors.ErrUnsupported when it is denied.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"

	"golang.org/x/sys/unix"
)

const (
	cmaName = "cma"
	// cmaMax is ipcbench's limit: process_vm_writev sets none, the slots
	// of the receive mapping are sized by the channel capacity.
	cmaMax    = 16 << 20
	cmaSource = "ipcbench's receive mapping (2 slots of 16 MiB at most); process_vm_writev(2) itself sets no limit"
	// cmaSlotBytes is the receive mapping's target size.
	cmaSlotBytes = 4 << 20
	// cmaDenied explains an EPERM from process_vm_writev.
	cmaDenied = "process_vm_writev needs ptrace access to the peer: same uid and kernel.yama.ptrace_scope allowing it, or CAP_SYS_PTRACE"
)

func init() {
	Register(Info{
		Name:   cmaName,
		Family: "other",
		Wait:   WaitSleep,
		Order:  1,
		Doc:    "cross-memory attach: process_vm_writev into the peer's mapping, lengths and credits on pipes",
		APIs:   []API{Raw},
		Limits: func(API) Limits { return Limits{MaxMessage: cmaMax, Source: cmaSource} },
		New:    func() Transport { return cmaTransport{} },
	})
}

type cmaTransport struct{}

var _ Transport = cmaTransport{}

// cmaGeometry returns the slot size and count for a channel capacity.
func cmaGeometry(capacity int) (slot, nslots int) {
	slot = (max(capacity, 1) + 63) &^ 63
	nslots = min(max(cmaSlotBytes/slot, 2), 256)
	return slot, nslots
}

// Create makes the four pipes (lengths and credits, each way) and the
// parent's receive mapping.
func (cmaTransport) Create(opts Options) (Conn, Endpoint, error) {
	info, _ := Lookup(cmaName)
	opts, err := info.Resolve(opts)
	if err != nil {
		return nil, Endpoint{}, err
	}
	capacity := opts.MaxMessage
	// Pipes, named from the writer's side: p2c = parent to child.
	var fds [4][2]int
	made := 0
	fail := func(err error) (Conn, Endpoint, error) {
		for i := range made {
			unix.Close(fds[i][0])
			unix.Close(fds[i][1])
		}
		return nil, Endpoint{}, err
	}
	for i := range fds {
		if err := unix.Pipe2(fds[i][:], unix.O_CLOEXEC); err != nil {
			return fail(fmt.Errorf("cma: create: %w", os.NewSyscallError("pipe2", err)))
		}
		made++
	}
	p2cNotify, c2pNotify, p2cCredit, c2pCredit := fds[0], fds[1], fds[2], fds[3]
	c, err := newCMA(capacity, c2pNotify[0], p2cCredit[1], p2cNotify[1], c2pCredit[0])
	if err != nil {
		return fail(err)
	}
	files := []*os.File{
		os.NewFile(uintptr(p2cNotify[0]), "cma-notify-r"),
		os.NewFile(uintptr(c2pNotify[1]), "cma-notify-w"),
		os.NewFile(uintptr(p2cCredit[0]), "cma-credit-r"),
		os.NewFile(uintptr(c2pCredit[1]), "cma-credit-w"),
	}
	spec := Spec{Transport: cmaName, API: opts.API, MaxMessage: capacity, Params: c.params()}
	return c, Endpoint{Spec: spec, Files: files}, nil
}

// Attach maps the peer's receive buffer and probes that it may write into
// the parent's.
func (cmaTransport) Attach(spec Spec, files []*os.File) (Conn, error) {
	if len(files) != 4 {
		for _, f := range files {
			f.Close()
		}
		return nil, fmt.Errorf("cma: attach: got %d files, want 4", len(files))
	}
	c, err := newCMA(spec.MaxMessage, int(files[0].Fd()), int(files[3].Fd()), int(files[1].Fd()), int(files[2].Fd()))
	if err != nil {
		for _, f := range files {
			f.Close()
		}
		return nil, err
	}
	c.files = files
	if err := c.Connect(spec.Params); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// cmaConn is one side of a cma channel.
type cmaConn struct {
	capacity     int
	slot, nslots int

	// Receiving: lengths arrive on notifyR, messages in rbuf.
	rbuf    []byte
	rseq    uint64
	notifyR int
	creditW int
	nbuf    [256]byte // lengths read but not yet consumed: nbuf[nr:nw]
	nr, nw  int
	owed    int // consumed slots not yet credited back
	cbuf    [4]byte

	// Sending: messages go to the peer's mapping, lengths on notifyW.
	peerPid  int
	peerBase uintptr
	sseq     uint64
	credits  int
	notifyW  int
	creditR  int
	creditIn [256]byte
	lenOut   [4]byte
	liov     [1]unix.Iovec
	riov     [1]unix.RemoteIovec

	files  []*os.File // the peer's inherited files (nil in the parent)
	closed bool
}

func newCMA(capacity, notifyR, creditW, notifyW, creditR int) (*cmaConn, error) {
	if capacity <= 0 || capacity > cmaMax {
		return nil, fmt.Errorf("cma: capacity %d out of range 1..%d", capacity, cmaMax)
	}
	slot, nslots := cmaGeometry(capacity)
	rbuf, err := unix.Mmap(-1, 0, slot*nslots, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, fmt.Errorf("cma: map %d bytes: %w", slot*nslots, os.NewSyscallError("mmap", err))
	}
	return &cmaConn{
		capacity: capacity, slot: slot, nslots: nslots, rbuf: rbuf,
		notifyR: notifyR, creditW: creditW, notifyW: notifyW, creditR: creditR,
		credits: nslots,
	}, nil
}

// params describes this side's receive mapping: pid and address.
func (c *cmaConn) params() map[string]string {
	addr := reflect.ValueOf(&c.rbuf[0]).Pointer()
	return map[string]string{"pid": strconv.Itoa(os.Getpid()), "addr": strconv.FormatUint(uint64(addr), 10)}
}

// Reply tells the parent where the peer's receive mapping is.
func (c *cmaConn) Reply() map[string]string { return c.params() }

// Connect learns the peer's mapping and probes the permission to write
// into it.
func (c *cmaConn) Connect(reply map[string]string) error {
	pid, err1 := strconv.Atoi(reply["pid"])
	addr, err2 := strconv.ParseUint(reply["addr"], 10, 64)
	if err1 != nil || err2 != nil || addr == 0 {
		return fmt.Errorf("cma: connect: bad pid/addr %q/%q", reply["pid"], reply["addr"])
	}
	c.peerPid, c.peerBase = pid, uintptr(addr)
	// Probe with one zero byte into the first slot (no message there yet).
	var zero [1]byte
	if err := c.writeRemote(zero[:], c.peerBase); err != nil {
		return fmt.Errorf("cma: connect: %w", err)
	}
	return nil
}

// writeRemote copies msg to address at in the peer.
func (c *cmaConn) writeRemote(msg []byte, at uintptr) error {
	c.liov[0].Base = &msg[0]
	c.liov[0].SetLen(len(msg))
	c.riov[0] = unix.RemoteIovec{Base: at, Len: len(msg)}
	n, err := unix.ProcessVMWritev(c.peerPid, c.liov[:], c.riov[:], 0)
	c.liov[0].Base = nil
	switch {
	case err == nil && n == len(msg):
		return nil
	case err == nil:
		return fmt.Errorf("process_vm_writev wrote %d of %d bytes to pid %d", n, len(msg), c.peerPid)
	case err == unix.ESRCH:
		return fmt.Errorf("pid %d: %w: %w", c.peerPid, ErrPeerGone, os.NewSyscallError("process_vm_writev", err))
	case err == unix.EFAULT:
		// The peer closed its side: its mapping is inaccessible (Close).
		return fmt.Errorf("pid %d: receive mapping closed: %w: %w", c.peerPid, ErrPeerGone, os.NewSyscallError("process_vm_writev", err))
	case err == unix.EPERM || err == unix.ENOSYS:
		return fmt.Errorf("pid %d: %s: %w: %w", c.peerPid, cmaDenied, errors.ErrUnsupported, os.NewSyscallError("process_vm_writev", err))
	default:
		return os.NewSyscallError("process_vm_writev", err)
	}
}

func (c *cmaConn) Send(msg []byte) error {
	if c.closed {
		return ErrClosed
	}
	if err := CheckSize(cmaName, len(msg), c.capacity, Limits{MaxMessage: cmaMax, Source: cmaSource}); err != nil {
		return err
	}
	if c.credits == 0 {
		if err := c.readCredits(); err != nil {
			return err
		}
	}
	if len(msg) > 0 {
		at := c.peerBase + uintptr(int(c.sseq%uint64(c.nslots))*c.slot)
		if err := c.writeRemote(msg, at); err != nil {
			return fmt.Errorf("cma: send: %w", err)
		}
	}
	c.sseq++
	c.credits--
	binary.LittleEndian.PutUint32(c.lenOut[:], uint32(len(msg)))
	if err := cmaWrite(c.notifyW, c.lenOut[:]); err != nil {
		return fmt.Errorf("cma: send: notify: %w", err)
	}
	return nil
}

// readCredits blocks until the peer hands back slots.
func (c *cmaConn) readCredits() error {
	for c.credits == 0 {
		n, err := cmaRead(c.creditR, c.creditIn[:])
		if err != nil {
			return fmt.Errorf("cma: send: credits: %w", err)
		}
		// Each credit record is 4 bytes, written atomically (< PIPE_BUF),
		// so reads return whole records.
		if n%4 != 0 {
			return fmt.Errorf("cma: send: credits: %d-byte read: %w", n, ErrCorrupt)
		}
		for i := 0; i < n; i += 4 {
			c.credits += int(binary.LittleEndian.Uint32(c.creditIn[i:]))
		}
		if c.credits > c.nslots {
			return fmt.Errorf("cma: send: %d credits for %d slots: %w", c.credits, c.nslots, ErrCorrupt)
		}
	}
	return nil
}

func (c *cmaConn) Recv(buf []byte) (int, error) {
	if c.closed {
		return 0, ErrClosed
	}
	if c.nr == c.nw {
		n, err := cmaRead(c.notifyR, c.nbuf[:])
		if err != nil {
			return 0, fmt.Errorf("cma: recv: %w", err)
		}
		if n%4 != 0 {
			return 0, fmt.Errorf("cma: recv: %d-byte read of lengths: %w", n, ErrCorrupt)
		}
		c.nr, c.nw = 0, n
	}
	n := int(binary.LittleEndian.Uint32(c.nbuf[c.nr:]))
	if n > c.capacity {
		return 0, fmt.Errorf("cma: recv: length %d above capacity %d: %w", n, c.capacity, ErrCorrupt)
	}
	if n > len(buf) {
		// Left in place for a Recv with a larger buffer.
		return 0, fmt.Errorf("cma: recv: %d-byte message, %d-byte buffer: %w", n, len(buf), io.ErrShortBuffer)
	}
	off := int(c.rseq%uint64(c.nslots)) * c.slot
	copy(buf, c.rbuf[off:off+n])
	c.nr += 4
	c.rseq++
	if c.owed++; c.owed >= c.nslots/2 {
		binary.LittleEndian.PutUint32(c.cbuf[:], uint32(c.owed))
		if err := cmaWrite(c.creditW, c.cbuf[:]); err != nil {
			return 0, fmt.Errorf("cma: recv: credits: %w", err)
		}
		c.owed = 0
	}
	return n, nil
}

// Close closes the pipes and releases the receive mapping's memory. Nothing
// of cma has a name, so nothing else remains.
func (c *cmaConn) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	if c.files != nil {
		for _, f := range c.files {
			f.Close()
		}
	} else {
		for _, fd := range []int{c.notifyR, c.creditW, c.notifyW, c.creditR} {
			unix.Close(fd)
		}
	}
	// The mapping is not unmapped but made inaccessible and emptied: its
	// address range stays reserved, so that a late process_vm_writev of a
	// peer that has not yet seen the end fails with EFAULT instead of
	// writing into whatever mmap would put there next.
	if err := unix.Mprotect(c.rbuf, unix.PROT_NONE); err != nil {
		return fmt.Errorf("cma: close: %w", os.NewSyscallError("mprotect", err))
	}
	if err := unix.Madvise(c.rbuf, unix.MADV_DONTNEED); err != nil {
		return fmt.Errorf("cma: close: %w", os.NewSyscallError("madvise", err))
	}
	return nil
}

// cmaRead reads from a blocking descriptor, retrying EINTR; end of file
// and a reset are ErrPeerGone.
func cmaRead(fd int, p []byte) (int, error) {
	for {
		n, err := unix.Read(fd, p)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.ECONNRESET:
			return 0, fmt.Errorf("%w: %w", ErrPeerGone, os.NewSyscallError("read", err))
		case err != nil:
			return 0, os.NewSyscallError("read", err)
		case n == 0 && len(p) > 0:
			return 0, fmt.Errorf("%w: %w", ErrPeerGone, io.EOF)
		}
		return n, nil
	}
}

// cmaWrite writes p to a blocking descriptor, retrying EINTR and short
// writes; EPIPE is ErrPeerGone.
func cmaWrite(fd int, p []byte) error {
	for len(p) > 0 {
		n, err := unix.Write(fd, p)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EPIPE:
			return fmt.Errorf("%w: %w", ErrPeerGone, os.NewSyscallError("write", err))
		case err != nil:
			return os.NewSyscallError("write", err)
		}
		p = p[n:]
	}
	return nil
}
