package sweep

// The System V calls x/sys/unix lacks. They belong in
// transports/internal/sys, but an internal package cannot be imported
// from here; these take and return integers only (no unsafe).

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// semctl commands (linux/sem.h) x/sys/unix does not define.
const (
	semGETPID  = 11
	semGETNCNT = 14
	semGETZCNT = 15
)

func semctl(id, num, cmd int) (int, error) {
	r, _, e := unix.Syscall6(unix.SYS_SEMCTL, uintptr(id), uintptr(num), uintptr(cmd), 0, 0, 0)
	if e != 0 {
		return 0, os.NewSyscallError("semctl", e)
	}
	return int(r), nil
}

func semRemove(id int) error {
	_, err := semctl(id, 0, unix.IPC_RMID)
	return ignoreGone(err)
}

func msgRemove(id int) error {
	_, _, e := unix.Syscall(unix.SYS_MSGCTL, uintptr(id), unix.IPC_RMID, 0)
	if e != 0 {
		return ignoreGone(os.NewSyscallError("msgctl", e))
	}
	return nil
}

func shmRemove(id int) error {
	if _, err := unix.SysvShmCtl(id, unix.IPC_RMID, nil); err != nil {
		return ignoreGone(os.NewSyscallError("shmctl", err))
	}
	return nil
}

// ignoreGone treats an object that is already gone as removed.
func ignoreGone(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EIDRM) {
		return nil
	}
	return err
}
