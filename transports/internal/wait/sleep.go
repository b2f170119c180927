package wait

import (
	"math"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// spinner is an adaptive spin budget, local to one side's event. A spin
// that succeeds restores the full budget; one that fails halves it, down
// to min. At min, every period-th wait spins the full budget again (a
// probe), so that a budget that collapsed during a slow phase (start-up,
// a descheduled peer) recovers once the peer answers fast again. When the
// two processes share a CPU every probe fails, and a full spin is tens of
// microseconds during which the peer cannot run: so each failed probe
// doubles the period, from probeEvery up to probeMax, and a success sets
// it back (docs/tuning.md has the measurement behind the back-off).
type spinner struct {
	limit, min, max uint32 // iterations (polls)
	fails           uint32 // waits at min since the last probe
	period          uint32 // waits at min between two probes
}

// spinChunk is how many PAUSEs run between two looks at the Cond, after
// the first tightPolls looks; probeEvery and probeMax bound the probing
// period at min.
const (
	spinChunk  = 1
	tightPolls = 64
	probeEvery = 32
	probeMax   = 4096
)

func newSpinner(min, max uint32) *spinner {
	return &spinner{limit: max, min: min, max: max, period: probeEvery}
}

// spin polls c for up to the current budget and reports whether c became
// ready, adapting the budget.
func (s *spinner) spin(c Cond) bool {
	budget, probe := s.limit, false
	if budget == s.min {
		if s.fails++; s.fails >= s.period {
			budget, probe, s.fails = s.max, true, 0
		}
	}
	for i := uint32(0); i < budget; i++ {
		// The first polls are back to back, as a bare cache-line
		// ping-pong polls: PAUSE takes 10-40 ns, as long as the cache
		// line transfer being waited for.
		if i >= tightPolls {
			pause(spinChunk)
		}
		if c.Ready() {
			s.limit, s.fails, s.period = s.max, 0, probeEvery
			return true
		}
	}
	s.limit = max(s.limit/2, s.min)
	if probe {
		s.period = min(s.period*2, probeMax)
	}
	return false
}

// calibrationPolls is the length of a timed spin of pollsFor.
const calibrationPolls = 1024

// pollsFor returns how many polls of a spinner's loop take d, from the
// fastest of three timed spins of calibrationPolls over a condition that
// never holds (the fastest: a spin the host interrupted ran long).
func pollsFor(d time.Duration) uint32 {
	best := time.Duration(math.MaxInt64)
	for range 3 {
		sp := newSpinner(calibrationPolls, calibrationPolls)
		t0 := time.Now()
		sp.spin(neverReady{})
		best = min(best, time.Since(t0))
	}
	return scalePolls(d, calibrationPolls, best)
}

// scalePolls returns how many polls take d when n polls took took: at
// least tightPolls, at most 1<<30.
func scalePolls(d time.Duration, n int, took time.Duration) uint32 {
	polls := float64(d) * float64(n) / float64(max(took, 1))
	return uint32(min(max(polls, tightPolls), 1<<30))
}

// neverReady is a Cond that never holds.
type neverReady struct{}

func (neverReady) Ready() bool   { return false }
func (neverReady) Stopped() bool { return false }

func yield() { unix.RawSyscall(unix.SYS_SCHED_YIELD, 0, 0, 0) }

// A blocker is the kernel primitive under the sleeping protocol.
type blocker interface {
	// prepare runs before the sleeping flag is raised (signal publishes
	// its thread there).
	prepare(s *slot) error
	// block sleeps until woken; seq is the value of s.seq read after the
	// flag was raised. It may return early; nil means "look again".
	block(s *slot, seq uint32, c Cond) error
	// wake wakes the sleeper (one pending wake is enough).
	wake(s *slot)
}

// sleeper is an Event following the sleeping-flag protocol described in
// the package doc, with an optional spin phase first.
type sleeper struct {
	s    *slot
	spin *spinner
	b    blocker
}

func (e *sleeper) Wait(c Cond) error {
	if c.Ready() {
		return nil
	}
	if e.spin != nil && e.spin.spin(c) {
		return nil
	}
	s := e.s
	for {
		if err := e.b.prepare(s); err != nil {
			return err
		}
		// seq is read BEFORE the flag is raised. A notifier of an
		// earlier message that saw the flag of an earlier round may
		// still swap the new flag down and bump seq; read afterwards,
		// seq would already hold that bump, the futex wait would sleep
		// on it, and the next notifier, finding the flag down, would not
		// wake us: a lost wake-up (it hung TestConcurrent/wait=futex).
		// Read first, the bump changes seq under the wait: EAGAIN.
		seq := atomic.LoadUint32(&s.seq)
		// A swap, not a store: the flag must be visible before the
		// Cond is read. Both are the same XCHG on amd64, but under the
		// race detector an atomic store to shared (non-heap) memory is
		// a plain MOV that the load can pass: a lost wake-up.
		atomic.SwapUint32(&s.sleeping, 1)
		if c.Ready() {
			atomic.StoreUint32(&s.sleeping, 0)
			return nil
		}
		err := e.b.block(s, seq, c)
		if err != nil || c.Ready() {
			// Lower the flag ourselves if no notifier did, so that the
			// next Notify makes no needless wake.
			if atomic.LoadUint32(&s.sleeping) != 0 {
				atomic.StoreUint32(&s.sleeping, 0)
			}
			return err
		}
	}
}

func (e *sleeper) Notify() {
	s := e.s
	if atomic.LoadUint32(&s.sleeping) != 0 && atomic.SwapUint32(&s.sleeping, 0) != 0 {
		atomic.AddUint32(&s.seq, 1)
		e.b.wake(s)
	}
}

func (e *sleeper) Wake() {
	atomic.AddUint32(&e.s.seq, 1)
	e.b.wake(e.s)
}
