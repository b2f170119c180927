package wait

import (
	"fmt"
	"math"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcbench/ipcbench/internal/sys"
)

// Hybrid spin budgets: as production locks and queues do (glibc's
// adaptive mutexes, folly's Baton), spin about as long as a sleep and
// wake-up would cost, then sleep. A futex wake-up of an idle CPU costs
// 5-50 µs (the upper end in virtual machines). The full budget is a time,
// HybridSpin, longer than the slow end: a spin shorter than the peer's
// wake-up fails whenever the peer has slept, so one side's sleep makes
// the other sleep too, and the two keep sleeping on every message
// (docs/tuning.md). It is turned into polls once per process
// (hybridSpinMax), as the time a poll takes differs between processors.
// The budget adapts down when spinning keeps failing (both processes on
// one CPU).
const (
	hybridSpinMin = 4
	// HybridSpin is about how long the hybrid strategy spins before it
	// sleeps, when spinning has been succeeding: the polls are counted at
	// the rate of a spin over a condition that costs nothing (pollsFor),
	// so a real condition's loads make each poll, and the spin, longer.
	HybridSpin = 64 * time.Microsecond
)

// hybridSpinMax is the full hybrid budget in polls: HybridSpin at the
// rate pollsFor measures.
var hybridSpinMax = sync.OnceValue(func() uint32 { return pollsFor(HybridSpin) })

// futexStrategy sleeps with FUTEX_WAIT on the slot's seq word and wakes
// with FUTEX_WAKE, shared (not FUTEX_PRIVATE_FLAG, as the word is mapped
// by two processes), only when the waiter raised its sleeping flag. With
// spin set (hybrid) a short adaptive spin comes first.
type futexStrategy struct {
	name string
	spin bool
}

func (f futexStrategy) Name() string { return f.name }

func (f futexStrategy) Spins() bool { return f.spin }

func (f futexStrategy) Create(slots []Slot) (Set, Handoff, error) {
	s, err := f.newSet(slots)
	return s, Handoff{}, err
}

func (f futexStrategy) Attach(slots []Slot, h Handoff) (Set, error) {
	closeFiles(h.Files)
	return f.newSet(slots)
}

func (f futexStrategy) newSet(slots []Slot) (Set, error) {
	ps, err := slotsOf(slots)
	if err != nil {
		return nil, err
	}
	ev := make([]Event, len(slots))
	for i, p := range ps {
		e := &sleeper{s: p, b: futexBlocker{}}
		if f.spin {
			e.spin = newSpinner(hybridSpinMin, hybridSpinMax())
		}
		ev[i] = e
	}
	return &set{events: ev}, nil
}

type futexBlocker struct{}

func (futexBlocker) prepare(*slot) error { return nil }

func (futexBlocker) block(s *slot, seq uint32, _ Cond) error {
	// EAGAIN (seq moved: a wake came) and EINTR are wake-ups like any
	// other; the caller looks again.
	if err := sys.FutexWait(&s.seq, seq); err != nil && err != unix.EAGAIN && err != unix.EINTR {
		return fmt.Errorf("wait: %w", os.NewSyscallError("futex_wait", err))
	}
	return nil
}

func (futexBlocker) wake(s *slot) { sys.FutexWake(&s.seq, math.MaxInt32) }
