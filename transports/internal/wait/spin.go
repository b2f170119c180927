package wait

import "runtime"

// Spin budgets in PAUSE iterations (what one PAUSE costs, and so what the
// budgets are in time, depends on the core: docs/tuning.md).
const (
	spinMin = 8    // ~0.2 µs: what is left when spinning keeps failing
	spinMax = 2048 // ~50 µs: the spin strategy's bounded spin
	// yieldsPerGosched is how many sched_yield rounds of one wait pass
	// between two runtime.Gosched calls.
	yieldsPerGosched = 64
)

// spinStrategy never sleeps: it spins with PAUSE for an adaptive budget,
// then alternates sched_yield with short spins. Notify and Wake are free:
// the waiter sees the state (and the stop flags of its Cond) by polling.
type spinStrategy struct{}

func (spinStrategy) Name() string { return "spin" }

func (spinStrategy) Spins() bool { return true }

func (spinStrategy) Create(slots []Slot) (Set, Handoff, error) {
	s, err := newSpinSet(slots)
	return s, Handoff{}, err
}

func (spinStrategy) Attach(slots []Slot, h Handoff) (Set, error) {
	closeFiles(h.Files)
	return newSpinSet(slots)
}

func newSpinSet(slots []Slot) (Set, error) {
	ev := make([]Event, len(slots))
	for i := range slots {
		ev[i] = &spinEvent{sp: newSpinner(spinMin, spinMax)}
	}
	return &set{events: ev}, nil
}

type spinEvent struct{ sp *spinner }

func (e *spinEvent) Wait(c Cond) error {
	if c.Ready() {
		return nil
	}
	if e.sp.spin(c) {
		return nil
	}
	for n := 1; ; n++ {
		// The peer may need this CPU (both pinned to it): give it up,
		// then look again for a short while.
		yield()
		if n%yieldsPerGosched == 0 {
			// Long wait: let this process's other goroutines (the
			// garbage collector's workers, an in-process peer) have
			// the P now and then. Not on every round: for a goroutine
			// locked to its thread, Gosched hands the thread over
			// twice, tens of microseconds.
			runtime.Gosched()
		}
		for i := 0; i < spinMin; i++ {
			if c.Ready() {
				return nil
			}
			pause(spinChunk)
		}
	}
}

// Polling reports true: the spin waiter never sleeps.
func (e *spinEvent) Polling() bool { return true }

func (e *spinEvent) Notify() {}
func (e *spinEvent) Wake()   {}
