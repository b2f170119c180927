package wait

import (
	"encoding/binary"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// eventfdStrategy gives each event an eventfd (blocking, counter mode):
// the sleeping protocol's block is read(2), which waits for a non-zero
// counter and resets it, and wake is write(2) of 1. The creator keeps its
// descriptors and hands the peer duplicates, one file per event in slot
// order.
type eventfdStrategy struct{}

func (eventfdStrategy) Name() string { return "eventfd" }

func (eventfdStrategy) Spins() bool { return false }

func (eventfdStrategy) Create(slots []Slot) (Set, Handoff, error) {
	fds := make([]int, 0, len(slots))
	files := make([]*os.File, 0, len(slots))
	fail := func(err error) (Set, Handoff, error) {
		for _, fd := range fds {
			unix.Close(fd)
		}
		closeFiles(files)
		return nil, Handoff{}, err
	}
	for range slots {
		fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC)
		if err != nil {
			return fail(fmt.Errorf("wait: eventfd: %w", os.NewSyscallError("eventfd2", err)))
		}
		fds = append(fds, fd)
		dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			return fail(fmt.Errorf("wait: eventfd: %w", os.NewSyscallError("fcntl", err)))
		}
		files = append(files, os.NewFile(uintptr(dup), "ipcbench-eventfd"))
	}
	s, err := newEventfdSet(slots, fds, nil)
	if err != nil {
		return fail(err)
	}
	return s, Handoff{Files: files}, nil
}

func (eventfdStrategy) Attach(slots []Slot, h Handoff) (Set, error) {
	if len(h.Files) != len(slots) {
		closeFiles(h.Files)
		return nil, fmt.Errorf("wait: eventfd: got %d files for %d events", len(h.Files), len(slots))
	}
	fds := make([]int, len(h.Files))
	for i, f := range h.Files {
		fds[i] = int(f.Fd())
	}
	s, err := newEventfdSet(slots, fds, h.Files)
	if err != nil {
		closeFiles(h.Files)
	}
	return s, err
}

// newEventfdSet makes the events; Close closes files if given, else fds.
func newEventfdSet(slots []Slot, fds []int, files []*os.File) (Set, error) {
	ps, err := slotsOf(slots)
	if err != nil {
		return nil, err
	}
	ev := make([]Event, len(slots))
	for i, p := range ps {
		ev[i] = &sleeper{s: p, b: &eventfdBlocker{fd: fds[i]}}
	}
	return &set{events: ev, close: func() error {
		if files != nil {
			closeFiles(files)
			return nil
		}
		var first error
		for _, fd := range fds {
			if err := unix.Close(fd); err != nil && first == nil {
				first = fmt.Errorf("wait: eventfd: %w", os.NewSyscallError("close", err))
			}
		}
		return first
	}}, nil
}

type eventfdBlocker struct {
	fd  int
	buf [8]byte // read buffer: owned by the (single) waiter
}

func (b *eventfdBlocker) prepare(*slot) error { return nil }

func (b *eventfdBlocker) block(*slot, uint32, Cond) error {
	_, _, e := unix.Syscall(unix.SYS_READ, uintptr(b.fd), uintptr(unsafe.Pointer(&b.buf[0])), 8)
	if e != 0 && e != unix.EINTR {
		return fmt.Errorf("wait: eventfd: %w", os.NewSyscallError("read", e))
	}
	return nil
}

// one is the 8-byte value 1 that wake writes; never modified.
var one = func() (b [8]byte) { binary.NativeEndian.PutUint64(b[:], 1); return }()

func (b *eventfdBlocker) wake(*slot) {
	// EAGAIN would mean the counter is at its maximum: a wake is pending.
	unix.Syscall(unix.SYS_WRITE, uintptr(b.fd), uintptr(unsafe.Pointer(&one[0])), 8)
}

func closeFiles(files []*os.File) {
	for _, f := range files {
		if f != nil {
			f.Close()
		}
	}
}
