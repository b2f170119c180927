package sys

import (
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// POSIX message queues (mq_overview(7)): mq_open, mq_unlink, mq_timedsend,
// mq_timedreceive and mq_getsetattr. glibc implements mq_* in librt on top
// of these system calls; here they are called directly.

// HardMsgsizeMax is the kernel's HARD_MSGSIZEMAX (include/linux/ipc_namespace.h,
// 16 MiB since Linux 3.5): the largest mq_msgsize a process with
// CAP_SYS_RESOURCE may ask for. Others are bound by
// /proc/sys/fs/mqueue/msgsize_max.
const HardMsgsizeMax = 16 << 20

// HardMsgMax is the kernel's HARD_MSGMAX: the largest mq_maxmsg a process
// with CAP_SYS_RESOURCE may ask for (others: /proc/sys/fs/mqueue/msg_max).
const HardMsgMax = 65536

// MqMsgOverhead is what the kernel charges against RLIMIT_MSGQUEUE per
// message slot on top of mq_msgsize: sizeof(struct msg_msg) (48) plus
// sizeof(struct posix_msg_tree_node) (48) on 64-bit kernels (ipc/mqueue.c,
// mqueue_get_inode). A queue costs Maxmsg*(Msgsize+MqMsgOverhead) bytes of
// its creator's RLIMIT_MSGQUEUE budget, which binds root too.
const MqMsgOverhead = 96

// MqAttr is the kernel's struct mq_attr.
type MqAttr struct {
	Flags   int64 // 0 or O_NONBLOCK
	Maxmsg  int64 // the queue's depth, in messages
	Msgsize int64 // the largest message, in bytes
	Curmsgs int64 // messages currently queued
	_       [4]int64
}

// mqName turns a POSIX queue name into the form the system call expects:
// glibc's mq_open strips the leading '/', and the kernel rejects names
// that contain one.
func mqName(name string) (*byte, error) {
	return unix.BytePtrFromString(strings.TrimPrefix(name, "/"))
}

// MqOpen opens (or, with O_CREAT, creates) the queue name (mq_open(2)).
// A leading '/' in name is stripped, as glibc does. attr may be nil for the
// defaults (/proc/sys/fs/mqueue/msg_default, msgsize_default); it is only
// read with O_CREAT.
func MqOpen(name string, flags int, mode uint32, attr *MqAttr) (fd int, err error) {
	p, err := mqName(name)
	if err != nil {
		return -1, err
	}
	r, _, e := unix.Syscall6(unix.SYS_MQ_OPEN, uintptr(unsafe.Pointer(p)), uintptr(flags|unix.O_CLOEXEC),
		uintptr(mode), uintptr(unsafe.Pointer(attr)), 0, 0)
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

// MqUnlink removes the queue name (mq_unlink(2)); descriptors already open
// keep working until closed. A leading '/' in name is stripped.
func MqUnlink(name string) error {
	p, err := mqName(name)
	if err != nil {
		return err
	}
	_, _, e := unix.Syscall(unix.SYS_MQ_UNLINK, uintptr(unsafe.Pointer(p)), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// MqTimedSend queues msg with priority prio (mq_timedsend(2)). If the queue
// is full, a blocking descriptor waits until abs, an absolute
// CLOCK_REALTIME time (nil: for ever), then fails with ETIMEDOUT; a
// non-blocking one fails with EAGAIN at once. The kernel reads abs only
// when it has to wait, so a time in the past makes one call non-blocking.
// EINTR is returned to the caller.
func MqTimedSend(fd int, msg []byte, prio uint, abs *unix.Timespec) error {
	_, _, e := unix.Syscall6(unix.SYS_MQ_TIMEDSEND, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(msg))),
		uintptr(len(msg)), uintptr(prio), uintptr(unsafe.Pointer(abs)), 0)
	if e != 0 {
		return e
	}
	return nil
}

// MqTimedReceive takes the oldest message of the highest priority into buf
// (mq_timedreceive(2)) and returns its length and priority. buf must hold
// at least the queue's mq_msgsize bytes (not just the message), or the
// call fails with EMSGSIZE and leaves the message queued. abs is as for
// MqTimedSend.
func MqTimedReceive(fd int, buf []byte, abs *unix.Timespec) (n int, prio uint, err error) {
	var p uint32
	r, _, e := unix.Syscall6(unix.SYS_MQ_TIMEDRECEIVE, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(buf))),
		uintptr(len(buf)), uintptr(unsafe.Pointer(&p)), uintptr(unsafe.Pointer(abs)), 0)
	if e != 0 {
		return 0, 0, e
	}
	return int(r), uint(p), nil
}

// MqGetAttr returns the attributes of the queue open on fd
// (mq_getsetattr(2) without a new value).
func MqGetAttr(fd int) (MqAttr, error) {
	var a MqAttr
	_, _, e := unix.Syscall(unix.SYS_MQ_GETSETATTR, uintptr(fd), 0, uintptr(unsafe.Pointer(&a)))
	if e != 0 {
		return MqAttr{}, e
	}
	return a, nil
}

// MqSetFlags sets the O_NONBLOCK flag of the descriptor fd (the only
// attribute mq_setattr changes) and returns the previous attributes.
func MqSetFlags(fd int, flags int) (MqAttr, error) {
	n := MqAttr{Flags: int64(flags)}
	var old MqAttr
	_, _, e := unix.Syscall(unix.SYS_MQ_GETSETATTR, uintptr(fd), uintptr(unsafe.Pointer(&n)), uintptr(unsafe.Pointer(&old)))
	if e != 0 {
		return MqAttr{}, e
	}
	return old, nil
}
