package wait

import (
	"errors"
	"fmt"
	"os"
	"unsafe"
)

// SlotSize is the size of an event's shared state: one cache line. Slots
// must be 8-byte aligned and zeroed by the creator before Create.
const SlotSize = 64

// A Cond is what a waiter waits for. Package ring implements it.
type Cond interface {
	// Ready reports whether the awaited state holds, or Stopped does.
	Ready() bool
	// Stopped reports that the wait must end without the state: the
	// waiter was interrupted or the peer has gone.
	Stopped() bool
}

// An Event is one side's handle on one event of a channel.
type Event interface {
	// Wait returns when c.Ready() holds, or, on a PerMessage slot of a
	// counting strategy, when it has taken one message's token (or
	// c.Stopped()). A nil return may still be spurious on a PerMessage
	// slot after a Wake; callers re-check the state. Errors are the
	// strategy's failures (a removed semaphore set gives EIDRM).
	Wait(c Cond) error
	// Notify tells a waiter that the state changed. Call it after
	// publishing the change. It makes no system call when nobody sleeps
	// (except sysvsem on PerMessage slots, which posts per message).
	Notify()
	// Wake wakes the event's waiter unconditionally, for Interrupt and
	// Close; the waiter then sees its Cond stopped.
	Wake()
}

// Polling is implemented by events whose waiter never sleeps (spin): it
// polls its Cond, so Notify and Wake do nothing and the notifying side
// may publish its state with release stores only.
type Polling interface {
	Polling() bool
}

// Counting is implemented by events that count messages (sem and sysvsem
// on PerMessage slots): their waiter must Wait once per message, even when
// the message is already there, to take its token. The waiter of any other
// event may skip Wait when its Cond is already ready.
type Counting interface {
	Counting() bool
}

// IsCounting reports whether e is a Counting event that counts.
func IsCounting(e Event) bool {
	c, ok := e.(Counting)
	return ok && c.Counting()
}

// A Slot is one event's shared memory and kind.
type Slot struct {
	// Mem is SlotSize bytes of the shared mapping.
	Mem []byte
	// PerMessage marks a data-available event: counting strategies post
	// and wait once per message on it.
	PerMessage bool
}

// Handoff is what a strategy's creator passes to the peer: parameters for
// the Spec and files to inherit.
type Handoff struct {
	Params map[string]string
	Files  []*os.File
}

// A Strategy is one way of waiting.
type Strategy interface {
	// Name is the strategy's name in transport names ("futex").
	Name() string
	// Spins reports whether a waiter polls the shared memory, keeping its
	// CPU busy, before or instead of sleeping in the kernel.
	Spins() bool
	// Create sets up the events of slots on the creating side, making
	// any kernel objects; the Set's Close removes them.
	Create(slots []Slot) (Set, Handoff, error)
	// Attach sets up the peer's side from the creator's Handoff. It takes
	// ownership of h.Files.
	Attach(slots []Slot, h Handoff) (Set, error)
}

// A Set is one side's events of one channel.
type Set interface {
	// Event returns the handle of event i (the index in Create's slots).
	Event(i int) Event
	// Close releases this side's resources; on the creating side it also
	// removes the kernel objects (System V semaphore sets). Idempotent.
	Close() error
}

var strategies = []Strategy{
	spinStrategy{},
	futexStrategy{name: "futex"},
	futexStrategy{name: "hybrid", spin: true},
	semStrategy{},
	sysvsemStrategy{},
	eventfdStrategy{},
	signalStrategy{},
}

// Strategies returns every strategy, in a fixed order: spin, futex,
// hybrid, sem, sysvsem, eventfd, signal.
func Strategies() []Strategy { return append([]Strategy(nil), strategies...) }

// ErrUnknown is wrapped by Lookup for a name that is no strategy.
var ErrUnknown = errors.New("unknown wait strategy")

// Lookup returns the strategy called name.
func Lookup(name string) (Strategy, error) {
	for _, s := range strategies {
		if s.Name() == name {
			return s, nil
		}
	}
	return nil, fmt.Errorf("wait: %w %q", ErrUnknown, name)
}

// slot is the layout of a Slot's memory. Each strategy uses some words.
type slot struct {
	seq      uint32 // futex word, bumped by every wake of the sleeping protocol
	sleeping uint32 // 1 while the waiter may block
	semVal   uint32 // sem: the counting semaphore's value
	semWait  uint32 // sem: waiters registered on semVal
	pid      int32  // signal: the sleeping thread's process
	tid      int32  // signal: the sleeping thread
}

func slotOf(s Slot) (*slot, error) {
	if len(s.Mem) < SlotSize {
		return nil, fmt.Errorf("wait: slot of %d bytes, need %d", len(s.Mem), SlotSize)
	}
	p := unsafe.Pointer(&s.Mem[0])
	if uintptr(p)%8 != 0 {
		return nil, fmt.Errorf("wait: slot at %p is not 8-byte aligned", p)
	}
	return (*slot)(p), nil
}

func slotsOf(slots []Slot) ([]*slot, error) {
	out := make([]*slot, len(slots))
	for i, s := range slots {
		p, err := slotOf(s)
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

// set is a Set over a slice of events and a close function.
type set struct {
	events []Event
	close  func() error
	closed bool
}

func (s *set) Event(i int) Event { return s.events[i] }

func (s *set) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if s.close != nil {
		return s.close()
	}
	return nil
}
