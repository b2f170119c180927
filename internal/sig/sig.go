// Package sig is the signal plumbing shared by the signal transport, the
// shared-memory "signal" wait strategy and the signal experiments of
// package bench (the loss experiment and the notification round trip).
//
// A receiving thread blocks a signal (Block) and reads it synchronously
// from a signalfd (Open, Receiver.Read): the signal is then never delivered
// to a handler, and its siginfo (sender, si_code, si_errno and the 8-byte
// sigval) arrives intact. A sender directs the signal at that one thread
// with rt_tgsigqueueinfo and si_code SI_QUEUE (Send, Target), as
// sigqueue(3) does for a process. Real-time signals queue in FIFO order per
// thread, up to RLIMIT_SIGPENDING signals of the receiving user; standard
// signals (1..31) do not queue: one pending instance per number.
//
// All of it works per OS thread: the caller must be locked to its thread
// (runtime.LockOSThread) from Open to Close, and Read and Close must run on
// the thread that called Open.
//
// # Signal numbers
//
// The numbers below are reserved for ipcbench. A static Go binary has no
// glibc reserving SIGRTMIN..SIGRTMIN+1, but the Go runtime itself treats
// signals 32, 33 and 34 specially (it never lets them be blocked: glibc's
// SIGCANCEL and SIGSETXID, musl's SIGSYNCCALL; 33 is also the runtime's own
// sigPerThreadSyscall), and uses SIGURG for preemption. From 35 up, real-
// time signals are plain "notify" signals to the runtime: its handler
// ignores them unless os/signal asked for them.
package sig

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ipcbench/ipcbench/internal/sys"
)

// Signal numbers reserved for ipcbench (kernel numbering: SIGRTMIN is 32).
const (
	// Data carries the signal transport's messages (api=raw).
	Data unix.Signal = 35 // SIGRTMIN+3
	// Wake is the shared-memory "signal" wait strategy's wake-up.
	Wake unix.Signal = 36 // SIGRTMIN+4
	// NotifyParent and NotifyPeer carry the signal transport's api=runtime
	// notifications, one number per direction, so that both ends can live
	// in one process (os/signal is process-wide).
	NotifyParent unix.Signal = 37 // SIGRTMIN+5
	NotifyPeer   unix.Signal = 38 // SIGRTMIN+6
	// Flood is the real-time signal of the signal-loss experiment.
	Flood unix.Signal = 39 // SIGRTMIN+7
	// FloodEnd ends a flood. It is numbered above Flood and every
	// standard signal because a signalfd (like delivery to a handler)
	// returns the lowest-numbered pending signal first: an end marker sent
	// after the flood is read only once the flood signals still pending
	// have been read.
	FloodEnd unix.Signal = 40 // SIGRTMIN+8
)

// Errors of this package.
var (
	// ErrInterrupted is returned by Read after Interrupt.
	ErrInterrupted = errors.New("interrupted")
	// ErrBusy is returned by Block and Open when the signal is already
	// blocked on the calling thread: another user of the thread owns it,
	// and its pending signals would be read by the wrong reader.
	ErrBusy = errors.New("signal already blocked on this thread")
	// ErrWrongThread is returned by Close called on another thread than
	// Open's while that thread still lives: its signal mask cannot be
	// restored from here.
	ErrWrongThread = errors.New("close on another thread than open: signal mask not restored")
)

// LimitSource names the limit that makes queueing a real-time signal fail
// with EAGAIN.
const LimitSource = "RLIMIT_SIGPENDING (ulimit -i): queued signals per real user id of the receiver; root is subject to it too"

var (
	selfPid = os.Getpid()
	selfUID = uint32(os.Getuid())
)

func sigset(signo unix.Signal) unix.Sigset_t {
	var s unix.Sigset_t
	n := uint(signo) - 1
	s.Val[n/64] |= 1 << (n % 64)
	return s
}

func isMember(s *unix.Sigset_t, signo unix.Signal) bool {
	n := uint(signo) - 1
	return s.Val[n/64]&(1<<(n%64)) != 0
}

// Block blocks signo on the calling thread, which must be locked to its
// goroutine. It fails with ErrBusy if signo is already blocked there.
// restore unblocks it again and must be called on the same thread.
func Block(signo unix.Signal) (restore func() error, err error) {
	if signo < 1 || signo > 64 {
		return nil, fmt.Errorf("sig: block %d: %w", signo, unix.EINVAL)
	}
	set := sigset(signo)
	var old unix.Sigset_t
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, &old); err != nil {
		return nil, fmt.Errorf("sig: block %v: %w", signo, os.NewSyscallError("rt_sigprocmask", err))
	}
	if isMember(&old, signo) {
		return nil, fmt.Errorf("sig: block %d: %w", int(signo), ErrBusy)
	}
	return func() error {
		if err := unix.PthreadSigmask(unix.SIG_UNBLOCK, &set, nil); err != nil {
			return fmt.Errorf("sig: unblock %d: %w", int(signo), os.NewSyscallError("rt_sigprocmask", err))
		}
		return nil
	}, nil
}

// ThreadMask returns the calling thread's blocked-signal mask.
func ThreadMask() (unix.Sigset_t, error) {
	var cur unix.Sigset_t
	err := unix.PthreadSigmask(unix.SIG_BLOCK, nil, &cur)
	return cur, err
}

// CheckMask returns an error if the calling thread's blocked-signal mask
// is not before: a mask that was not restored.
func CheckMask(before unix.Sigset_t) error {
	after, err := ThreadMask()
	if err != nil {
		return err
	}
	if after != before {
		return fmt.Errorf("signal mask not restored: %x, was %x", after.Val[0], before.Val[0])
	}
	return nil
}

// Info is one received signal.
type Info struct {
	Signo unix.Signal
	// Code is si_code: sys.SI_QUEUE for Send, sys.SI_TKILL for tgkill,
	// 0 (SI_USER) for kill.
	Code int32
	// Tag is si_errno, which the kernel delivers as the sender set it;
	// Send puts its tag there.
	Tag int32
	// Pid is the sender's pid as it claims it (si_pid).
	Pid int32
	// Value is the sigval (ssi_ptr: all 8 bytes).
	Value uint64
}

// batch is how many siginfos one read(2) of the signalfd may return.
const batch = 32

// A Receiver reads one signal number, blocked on the thread that opened
// it, from a signalfd. Read and Close belong to that thread; Interrupt may
// be called from anywhere.
type Receiver struct {
	fd       int
	signo    unix.Signal
	pid, tid int
	restore  func() error

	interrupted atomic.Bool
	closed      atomic.Bool

	buf  [batch]unix.SignalfdSiginfo
	next int // next unread entry of buf
	n    int // entries in buf
}

// Open blocks signo on the calling (locked) thread and opens a blocking
// signalfd for it.
func Open(signo unix.Signal) (*Receiver, error) { return OpenSet(signo) }

// OpenSet is Open for several signal numbers on one signalfd: Read
// returns whichever is pending, the lowest-numbered first (the kernel's
// dequeue order; real-time signals of one number in FIFO order). Signal
// and Interrupt use signo. Close unblocks them all.
func OpenSet(signo unix.Signal, more ...unix.Signal) (*Receiver, error) {
	var restores []func() error
	undo := func() error {
		var first error
		for i := len(restores) - 1; i >= 0; i-- {
			if err := restores[i](); err != nil && first == nil {
				first = err
			}
		}
		return first
	}
	var set unix.Sigset_t
	for _, s := range append([]unix.Signal{signo}, more...) {
		restore, err := Block(s)
		if err != nil {
			undo()
			return nil, err
		}
		restores = append(restores, restore)
		one := sigset(s)
		for i := range set.Val {
			set.Val[i] |= one.Val[i]
		}
	}
	fd, err := unix.Signalfd(-1, &set, unix.SFD_CLOEXEC)
	if err != nil {
		undo()
		return nil, fmt.Errorf("sig: signalfd %d: %w", int(signo), os.NewSyscallError("signalfd4", err))
	}
	return &Receiver{fd: fd, signo: signo, pid: selfPid, tid: unix.Gettid(), restore: undo}, nil
}

// Pid returns the receiver's process id.
func (r *Receiver) Pid() int { return r.pid }

// Tid returns the id of the thread the receiver blocks its signal on: the
// target for Send.
func (r *Receiver) Tid() int { return r.tid }

// Signal returns the signal number r reads.
func (r *Receiver) Signal() unix.Signal { return r.signo }

// Read returns the next signal, blocking until one is pending for this
// thread. Several pending signals are fetched with one read(2) and handed
// out in order. After Interrupt it returns ErrInterrupted (once per
// Interrupt). It must be called on the thread that called Open.
func (r *Receiver) Read() (Info, error) {
	for {
		if r.next == r.n {
			if err := r.fill(); err != nil {
				return Info{}, err
			}
		}
		s := &r.buf[r.next]
		r.next++
		if s.Code == sys.SI_TKILL && int(s.Pid) == r.pid {
			// Interrupt's wake-up; a stale one (its Read already
			// returned) is skipped.
			if r.interrupted.CompareAndSwap(true, false) {
				return Info{}, ErrInterrupted
			}
			continue
		}
		return Info{Signo: unix.Signal(s.Signo), Code: s.Code, Tag: s.Errno, Pid: int32(s.Pid), Value: s.Ptr}, nil
	}
}

func (r *Receiver) fill() error {
	if r.closed.Load() {
		return fmt.Errorf("sig: read: %w", os.ErrClosed)
	}
	const size = unsafe.Sizeof(unix.SignalfdSiginfo{})
	for {
		n, _, e := unix.Syscall(unix.SYS_READ, uintptr(r.fd), uintptr(unsafe.Pointer(&r.buf[0])), uintptr(len(r.buf))*size)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return fmt.Errorf("sig: read signalfd: %w", os.NewSyscallError("read", e))
		}
		r.next, r.n = 0, int(n/size)
		if r.n == 0 {
			return fmt.Errorf("sig: read signalfd: short read of %d bytes", n)
		}
		return nil
	}
}

// Interrupt makes a Read blocked on r's thread (or the next Read) return
// ErrInterrupted. It may be called from any goroutine. It sends the
// signal with tgkill to r's own thread; if that fails (the queue is full,
// so Read is not blocked anyway) the next wake-up is left to the queue.
func (r *Receiver) Interrupt() {
	if r.closed.Load() {
		return
	}
	r.interrupted.Store(true)
	unix.Tgkill(r.pid, r.tid, r.signo)
}

// Close closes the signalfd, discards the signals still pending for the
// thread and unblocks the signal again, restoring the thread's mask. On
// another thread than Open's it can only close the descriptor: it returns
// nil if Open's thread has exited (its mask died with it), ErrWrongThread
// otherwise. Close is idempotent.
func (r *Receiver) Close() error {
	if !r.closed.CompareAndSwap(false, true) {
		return nil
	}
	if unix.Gettid() != r.tid {
		unix.Close(r.fd)
		if err := unix.Tgkill(r.pid, r.tid, 0); err == unix.ESRCH {
			return nil
		}
		return fmt.Errorf("sig: close signal %d of thread %d on thread %d: %w", int(r.signo), r.tid, unix.Gettid(), ErrWrongThread)
	}
	// Drain what is still queued, so that unblocking does not hand it to
	// the runtime's handler (which would ignore it anyway).
	if err := unix.SetNonblock(r.fd, true); err == nil {
		for {
			_, err := unix.Read(r.fd, unsafe.Slice((*byte)(unsafe.Pointer(&r.buf[0])), len(r.buf)*int(unsafe.Sizeof(r.buf[0]))))
			if err != nil && err != unix.EINTR {
				break
			}
		}
	}
	r.next, r.n = 0, 0
	cerr := unix.Close(r.fd)
	if err := r.restore(); err != nil {
		return err
	}
	if cerr != nil {
		return fmt.Errorf("sig: close signalfd: %w", os.NewSyscallError("close", cerr))
	}
	return nil
}

// A Target is one receiving thread: where Send directs its signals.
type Target struct {
	Pid, Tid int
	Signo    unix.Signal
}

// Send queues t.Signo to thread t.Tid of process t.Pid with
// rt_tgsigqueueinfo, si_code SI_QUEUE, sigval value and si_errno tag. It
// does not wait: EAGAIN means the receiver's queue is at
// RLIMIT_SIGPENDING (LimitSource); ESRCH that the thread is gone. The
// errno is returned bare (a unix.Errno), for the caller to wrap.
func (t Target) Send(value uint64, tag int32) error {
	return Send(t.Pid, t.Tid, t.Signo, value, tag)
}

// Send queues signo to thread tid of process pid with rt_tgsigqueueinfo,
// si_code SI_QUEUE, sigval value and si_errno tag. See Target.Send.
func Send(pid, tid int, signo unix.Signal, value uint64, tag int32) error {
	info := sys.Siginfo{
		Signo: int32(signo),
		Errno: tag,
		Code:  sys.SI_QUEUE,
		Pid:   int32(selfPid),
		Uid:   selfUID,
		Value: value,
	}
	return sys.RtTgsigqueueinfo(pid, tid, signo, &info)
}

// Queue queues signo to process pid (any thread of it that does not block
// it) with rt_sigqueueinfo, si_code SI_QUEUE and sigval value: sigqueue(3).
func Queue(pid int, signo unix.Signal, value uint64) error {
	info := sys.Siginfo{
		Signo: int32(signo),
		Code:  sys.SI_QUEUE,
		Pid:   int32(selfPid),
		Uid:   selfUID,
		Value: value,
	}
	return sys.RtSigqueueinfo(pid, signo, &info)
}
