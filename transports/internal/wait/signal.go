package wait

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/ipcbench/ipcbench/internal/sig"
)

// signalStrategy wakes a sleeper with a real-time signal (sig.Wake) queued
// to its thread with rt_tgsigqueueinfo. The waiter publishes its process
// and thread id in the slot before raising its sleeping flag, blocks the
// signal on its thread and reads it from a signalfd (package sig).
//
// The waiting goroutine should be locked to its OS thread (api=raw is);
// Wait locks it for the duration of a wait in any case. A thread that has
// waited keeps the signal blocked and its signalfd open until the last Set
// that used it closes on that thread; a Set closed on another thread
// leaves the receiver to be reused (or closed) by the next Set that waits
// on that thread. Every Set of the process shares one receiver per
// thread, so two channels can sleep on one thread in turn.
type signalStrategy struct{}

func (signalStrategy) Name() string { return "signal" }

func (signalStrategy) Spins() bool { return false }

func (signalStrategy) Create(slots []Slot) (Set, Handoff, error) {
	s, err := newSignalSet(slots)
	return s, Handoff{}, err
}

func (signalStrategy) Attach(slots []Slot, h Handoff) (Set, error) {
	closeFiles(h.Files)
	return newSignalSet(slots)
}

// receivers are the process's signal receivers, one per thread.
var receivers struct {
	sync.Mutex
	m map[int]*receiverRef
}

type receiverRef struct {
	r    *sig.Receiver
	refs int
}

// acquireReceiver returns the receiver of the calling (locked) thread,
// opening it if needed.
func acquireReceiver(tid int) (*sig.Receiver, error) {
	receivers.Lock()
	defer receivers.Unlock()
	if ref, ok := receivers.m[tid]; ok {
		ref.refs++
		return ref.r, nil
	}
	r, err := sig.Open(sig.Wake)
	if err != nil {
		return nil, err
	}
	if receivers.m == nil {
		receivers.m = map[int]*receiverRef{}
	}
	receivers.m[tid] = &receiverRef{r: r, refs: 1}
	return r, nil
}

// releaseReceiver drops a reference to thread tid's receiver and closes
// it when none is left, if the caller runs on that thread (or the thread
// is gone).
func releaseReceiver(tid int) error {
	receivers.Lock()
	defer receivers.Unlock()
	ref, ok := receivers.m[tid]
	if !ok {
		return nil
	}
	if ref.refs > 0 {
		ref.refs--
	}
	if ref.refs > 0 {
		return nil
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if unix.Gettid() != tid && unix.Tgkill(os.Getpid(), tid, 0) == nil {
		return nil // orphan: closed by a later user on that thread
	}
	delete(receivers.m, tid)
	err := ref.r.Close()
	if errors.Is(err, sig.ErrWrongThread) {
		return nil
	}
	return err
}

func newSignalSet(slots []Slot) (Set, error) {
	ps, err := slotsOf(slots)
	if err != nil {
		return nil, err
	}
	st := &signalSide{pid: int32(os.Getpid()), held: map[int]bool{}}
	ev := make([]Event, len(slots))
	for i, p := range ps {
		ev[i] = &signalEvent{sleeper{s: p, b: st}}
	}
	return &set{events: ev, close: st.close}, nil
}

// signalSide is one side's receiver bookkeeping; it is the blocker of
// all of the side's events.
type signalSide struct {
	pid    int32
	curTid int
	cur    *sig.Receiver
	held   map[int]bool
}

func (st *signalSide) prepare(s *slot) error {
	tid := unix.Gettid()
	if tid != st.curTid || st.cur == nil {
		if !st.held[tid] {
			r, err := acquireReceiver(tid)
			if err != nil {
				return fmt.Errorf("wait: signal: %w", err)
			}
			st.held[tid] = true
			st.cur = r
		} else {
			receivers.Lock()
			st.cur = receivers.m[tid].r
			receivers.Unlock()
		}
		st.curTid = tid
	}
	atomic.StoreInt32(&s.pid, st.pid)
	atomic.StoreInt32(&s.tid, int32(tid))
	return nil
}

func (st *signalSide) block(*slot, uint32, Cond) error {
	if _, err := st.cur.Read(); err != nil && !errors.Is(err, sig.ErrInterrupted) {
		return fmt.Errorf("wait: signal: %w", err)
	}
	return nil
}

func (st *signalSide) wake(s *slot) {
	tid := atomic.LoadInt32(&s.tid)
	if tid == 0 {
		return // nobody has slept yet; the waiter checks its Cond first
	}
	// EAGAIN (queue at RLIMIT_SIGPENDING) means wakes are pending anyway;
	// ESRCH that the thread is gone.
	sig.Send(int(atomic.LoadInt32(&s.pid)), int(tid), sig.Wake, 0, 0)
}

func (st *signalSide) close() error {
	var first error
	for tid := range st.held {
		if err := releaseReceiver(tid); err != nil && first == nil {
			first = fmt.Errorf("wait: signal: %w", err)
		}
	}
	st.held = map[int]bool{}
	st.cur, st.curTid = nil, 0
	return first
}

// signalEvent keeps the waiting goroutine on one thread for the whole
// wait: the signal is blocked, queued and read per thread.
type signalEvent struct{ sleeper }

func (e *signalEvent) Wait(c Cond) error {
	if c.Ready() {
		return nil
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return e.sleeper.Wait(c)
}
