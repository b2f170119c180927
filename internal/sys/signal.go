package sys

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Values of si_code for signals sent by user space (include/uapi/asm-generic/siginfo.h).
// The kernel lets a process send a signal with a siginfo to another process
// only with a negative si_code other than SI_TKILL.
const (
	SI_QUEUE = -1 // sent by sigqueue(3) / rt_sigqueueinfo(2)
	SI_TKILL = -6 // sent by tkill(2) / tgkill(2)
)

// Siginfo is the kernel's siginfo_t (128 bytes) laid out for the "_rt"
// member of its union, which is what rt_sigqueueinfo with SI_QUEUE sends:
// the sender's pid and uid and the sigval (sival_int / sival_ptr, 8 bytes
// on 64-bit Linux).
type Siginfo struct {
	Signo int32
	Errno int32 // si_errno: not interpreted by the kernel for SI_QUEUE; delivered as is
	Code  int32
	_     int32 // padding before the union (64-bit)
	Pid   int32
	Uid   uint32
	Value uint64 // union sigval
	_     [96]byte
}

// RtSigqueueinfo queues signal sig with info to the process tgid
// (rt_sigqueueinfo(2)): any thread of it that does not block sig takes it.
func RtSigqueueinfo(tgid int, sig unix.Signal, info *Siginfo) error {
	_, _, e := unix.Syscall(unix.SYS_RT_SIGQUEUEINFO, uintptr(tgid), uintptr(sig), uintptr(unsafe.Pointer(info)))
	if e != 0 {
		return e
	}
	return nil
}

// RtTgsigqueueinfo queues signal sig with info to thread tid of process
// tgid (rt_tgsigqueueinfo(2)). Real-time signals queue in order up to
// RLIMIT_SIGPENDING of the receiver's user, then fail with EAGAIN.
func RtTgsigqueueinfo(tgid, tid int, sig unix.Signal, info *Siginfo) error {
	_, _, e := unix.Syscall6(unix.SYS_RT_TGSIGQUEUEINFO, uintptr(tgid), uintptr(tid), uintptr(sig), uintptr(unsafe.Pointer(info)), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// The kernel copies exactly 128 bytes of siginfo; keep Siginfo that size.
var (
	_ [128 - unsafe.Sizeof(Siginfo{})]byte
	_ [unsafe.Sizeof(Siginfo{}) - 128]byte
)
