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
