package sys

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Futex operations (futex(2)). The shared forms are used on purpose: the
// words live in memory mapped by two processes, and FUTEX_PRIVATE_FLAG
// would key the wait queue on this process's address space, so a wake
// from the other process would never reach the sleeper.
const (
	FUTEX_WAIT = 0
	FUTEX_WAKE = 1
)

// FutexWait sleeps while *addr == val (FUTEX_WAIT, shared, no timeout).
// It returns nil when woken (possibly spuriously), EAGAIN if *addr no
// longer held val, EINTR if a signal handler ran; callers re-check their
// condition in every case.
func FutexWait(addr *uint32, val uint32) error {
	_, _, e := unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), FUTEX_WAIT, uintptr(val), 0, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// FutexWake wakes up to n sleepers on addr (FUTEX_WAKE, shared) and
// returns how many it woke.
func FutexWake(addr *uint32, n int) (int, error) {
	r, _, e := unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), FUTEX_WAKE, uintptr(n), 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

// FUTEX2_SIZE_U32 is the futex2 flag of a 32-bit futex word (futex_waitv).
// FUTEX2_PRIVATE (128) is left out on purpose, as for FUTEX_WAIT above:
// the words are shared between processes.
const FUTEX2_SIZE_U32 = 0x02

// FutexWaitvMax is the most words one FutexWaitv call waits on (the
// kernel's FUTEX_WAITV_MAX).
const FutexWaitvMax = 128

// A FutexWaiter is one entry of FutexWaitv's vector: the kernel's struct
// futex_waitv (include/uapi/linux/futex.h): the expected value, the
// word's address, FUTEX2 flags, and a reserved word that must be zero.
type FutexWaiter struct {
	Val      uint64
	Uaddr    uint64
	Flags    uint32
	Reserved uint32
}

// SetWord points w at the 32-bit word addr, expecting val, shared.
func (w *FutexWaiter) SetWord(addr *uint32, val uint32) {
	w.Val, w.Uaddr, w.Flags, w.Reserved = uint64(val), uint64(uintptr(unsafe.Pointer(addr))), FUTEX2_SIZE_U32, 0
}

// FutexWaitv sleeps until one of the words in ws is woken (FUTEX_WAKE on
// its address, from any process), with no timeout: futex_waitv(2), Linux
// 5.16 and later. It returns the index of the woken word; EAGAIN if a word
// no longer held its value, EINTR if a signal handler ran, ENOSYS on an
// older kernel. Callers re-check their conditions in every case. The
// words must stay mapped for the duration of the call.
func FutexWaitv(ws []FutexWaiter) (int, error) {
	if len(ws) == 0 {
		return -1, unix.EINVAL
	}
	r, _, e := unix.Syscall6(unix.SYS_FUTEX_WAITV, uintptr(unsafe.Pointer(&ws[0])), uintptr(len(ws)), 0, 0, 0, 0)
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}
