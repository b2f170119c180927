package sweep

// System V removal and the semaphore queries the sweep needs, over the
// wrappers of internal/sys, with the errno named by its system call.

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"

	"github.com/ipcbench/ipcbench/internal/sys"
)

func semctl(id, num, cmd int) (int, error) {
	r, err := sys.SemctlInt(id, num, cmd, 0)
	if err != nil {
		return 0, os.NewSyscallError("semctl", err)
	}
	return r, nil
}

func semRemove(id int) error {
	_, err := semctl(id, 0, unix.IPC_RMID)
	return ignoreGone(err)
}

func msgRemove(id int) error {
	if err := sys.Msgctl(id, unix.IPC_RMID, nil); err != nil {
		return ignoreGone(os.NewSyscallError("msgctl", err))
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
