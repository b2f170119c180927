package sys

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// System V message queues (sysvipc(7)): msgget, msgsnd, msgrcv, msgctl.

// MsgHdr is the size of the mtype field (a C long) that starts every
// System V message buffer (struct msgbuf) before the payload.
const MsgHdr = 8

// Msgrcv flags that golang.org/x/sys/unix does not define
// (include/uapi/linux/msg.h).
const (
	MSG_NOERROR = 0o10000 // truncate a message longer than the buffer
	MSG_EXCEPT  = 0o20000 // take the first message whose type is not typ
)

// MsqidDs is the kernel's struct msqid64_ds for 64-bit Linux (the
// asm-generic layout that amd64 and arm64 share, 120 bytes): what msgctl
// with IPC_STAT fills in and IPC_SET reads (msg_perm.uid, gid and mode and
// msg_qbytes). On amd64 the msgctl system call always uses this 64-bit
// layout: no IPC_64 flag is passed.
type MsqidDs struct {
	Perm   unix.SysvIpcPerm
	Stime  int64  // time of the last msgsnd
	Rtime  int64  // time of the last msgrcv
	Ctime  int64  // time of the last change
	Cbytes uint64 // bytes now in the queue
	Qnum   uint64 // messages now in the queue
	Qbytes uint64 // the queue's byte limit (defaults to /proc/sys/kernel/msgmnb)
	Lspid  int32  // pid of the last msgsnd
	Lrpid  int32  // pid of the last msgrcv
	_      [2]uint64
}

// Msgget returns the id of the queue for key (msgget(2)); key
// unix.IPC_PRIVATE with flags unix.IPC_CREAT|unix.IPC_EXCL|0600 makes a new
// private queue.
func Msgget(key int, flags int) (id int, err error) {
	r, _, e := unix.Syscall(unix.SYS_MSGGET, uintptr(key), uintptr(flags), 0)
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

// Msgsnd queues one message (msgsnd(2)). msgp is the whole struct msgbuf:
// MsgHdr bytes of mtype (native-endian, > 0) followed by the payload, so
// the message's length is len(msgp)-MsgHdr. Without unix.IPC_NOWAIT in
// flags it blocks while the queue's msg_qbytes would be exceeded. A payload
// above /proc/sys/kernel/msgmax fails with EINVAL, for root too. EINTR is
// returned to the caller (System V calls are never restarted).
func Msgsnd(id int, msgp []byte, flags int) error {
	if len(msgp) < MsgHdr {
		return unix.EINVAL
	}
	_, _, e := unix.Syscall6(unix.SYS_MSGSND, uintptr(id), uintptr(unsafe.Pointer(unsafe.SliceData(msgp))),
		uintptr(len(msgp)-MsgHdr), uintptr(flags), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// Msgrcv takes a message into msgp (msgrcv(2)): the mtype into its first
// MsgHdr bytes, the payload after them, and returns the payload's length.
// typ selects the message as msgrcv(2) says (0: the first in the queue). A
// message longer than len(msgp)-MsgHdr fails with E2BIG and stays queued,
// unless flags has MSG_NOERROR. A removed queue gives EIDRM (to a
// blocked caller) or EINVAL.
func Msgrcv(id int, msgp []byte, typ int64, flags int) (n int, err error) {
	if len(msgp) < MsgHdr {
		return 0, unix.EINVAL
	}
	r, _, e := unix.Syscall6(unix.SYS_MSGRCV, uintptr(id), uintptr(unsafe.Pointer(unsafe.SliceData(msgp))),
		uintptr(len(msgp)-MsgHdr), uintptr(typ), uintptr(flags), 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

// Msgctl performs cmd on the queue id (msgctl(2)): unix.IPC_RMID (ds may be
// nil), unix.IPC_STAT (fills ds) or unix.IPC_SET (reads ds). Raising
// Qbytes above /proc/sys/kernel/msgmnb with IPC_SET needs CAP_SYS_RESOURCE
// (EPERM otherwise).
func Msgctl(id int, cmd int, ds *MsqidDs) error {
	_, _, e := unix.Syscall(unix.SYS_MSGCTL, uintptr(id), uintptr(cmd), uintptr(unsafe.Pointer(ds)))
	if e != 0 {
		return e
	}
	return nil
}
