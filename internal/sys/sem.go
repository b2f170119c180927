package sys

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// System V semaphores (svipc(7)): semget, semtimedop and semctl. glibc's
// semop(3) is semtimedop without a timeout, which is what Semop calls
// (arm64 has no semop system call).

// semctl commands (include/uapi/linux/sem.h); IPC_RMID and IPC_STAT are in
// golang.org/x/sys/unix.
const (
	GETPID  = 11
	GETVAL  = 12
	GETNCNT = 14
	GETZCNT = 15
	SETVAL  = 16
)

// SEMVMX is the largest value a System V semaphore may hold.
const SEMVMX = 32767

// Sembuf is the kernel's struct sembuf: one operation of a semop call.
type Sembuf struct {
	Num uint16 // semaphore number in the set
	Op  int16  // > 0 adds, < 0 waits to subtract, 0 waits for zero
	Flg int16  // IPC_NOWAIT, SEM_UNDO
}

// Semget returns the id of a semaphore set (semget(2)). With key
// IPC_PRIVATE and IPC_CREAT|IPC_EXCL|0600 in flag it creates a new set of
// nsems semaphores, all zero, readable and writable by the owner only.
func Semget(key, nsems, flag int) (int, error) {
	r, _, e := unix.Syscall(unix.SYS_SEMGET, uintptr(key), uintptr(nsems), uintptr(flag))
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

// Semop performs ops atomically on set id (semop(2), as semtimedop with
// no timeout). It blocks while an operation cannot proceed, unless that
// operation has IPC_NOWAIT (then EAGAIN); EINTR if a signal handler ran;
// EIDRM if the set was removed while it waited.
func Semop(id int, ops []Sembuf) error {
	if len(ops) == 0 {
		return nil
	}
	_, _, e := unix.Syscall6(unix.SYS_SEMTIMEDOP, uintptr(id), uintptr(unsafe.Pointer(&ops[0])), uintptr(len(ops)), 0, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// SemctlInt runs a semctl(2) command whose argument, if any, is an int
// (GETVAL, GETNCNT, SETVAL, IPC_RMID) and returns the call's result.
func SemctlInt(id, num, cmd, arg int) (int, error) {
	r, _, e := unix.Syscall6(unix.SYS_SEMCTL, uintptr(id), uintptr(num), uintptr(cmd), uintptr(arg), 0, 0)
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

// SemRemove removes semaphore set id (semctl IPC_RMID): sleepers wake with
// EIDRM and the id becomes invalid at once.
func SemRemove(id int) error {
	_, err := SemctlInt(id, 0, unix.IPC_RMID, 0)
	return err
}
