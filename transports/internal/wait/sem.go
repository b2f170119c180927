package wait

import (
	"fmt"
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/ipcbench/ipcbench/internal/sys"
)

// semStrategy keeps a counting semaphore in each slot, built on a shared
// futex the way glibc's sem_post and sem_wait are: post increments the
// value and makes the FUTEX_WAKE system call only when a waiter has
// registered; wait decrements a positive value with compare-and-swap, and
// otherwise registers and sleeps with FUTEX_WAIT on the value. On
// PerMessage slots the sender posts every message and the receiver waits
// for every message; on the others the semaphore is the sleeping
// protocol's primitive.
type semStrategy struct{}

func (semStrategy) Name() string { return "sem" }

func (semStrategy) Spins() bool { return false }

func (semStrategy) Create(slots []Slot) (Set, Handoff, error) {
	s, err := newSemSet(slots)
	return s, Handoff{}, err
}

func (semStrategy) Attach(slots []Slot, h Handoff) (Set, error) {
	closeFiles(h.Files)
	return newSemSet(slots)
}

func newSemSet(slots []Slot) (Set, error) {
	ps, err := slotsOf(slots)
	if err != nil {
		return nil, err
	}
	ev := make([]Event, len(slots))
	for i, p := range ps {
		if slots[i].PerMessage {
			ev[i] = &semCounting{s: p}
		} else {
			ev[i] = &sleeper{s: p, b: semBlocker{}}
		}
	}
	return &set{events: ev}, nil
}

// semPost is sem_post.
func semPost(s *slot) {
	atomic.AddUint32(&s.semVal, 1)
	if atomic.LoadUint32(&s.semWait) != 0 {
		sys.FutexWake(&s.semVal, 1)
	}
}

// semTryWait is sem_trywait.
func semTryWait(s *slot) bool {
	for {
		v := atomic.LoadUint32(&s.semVal)
		if v == 0 {
			return false
		}
		if atomic.CompareAndSwapUint32(&s.semVal, v, v-1) {
			return true
		}
	}
}

// semWait is sem_wait, which also gives up when c is stopped (Wake posts,
// so a stop that comes while it sleeps ends the sleep). It reports whether
// it took a token.
func semWait(s *slot, c Cond) (bool, error) {
	for {
		if semTryWait(s) {
			return true, nil
		}
		atomic.AddUint32(&s.semWait, 1)
		if c.Stopped() {
			atomic.AddUint32(&s.semWait, ^uint32(0))
			return false, nil
		}
		err := sys.FutexWait(&s.semVal, 0)
		atomic.AddUint32(&s.semWait, ^uint32(0))
		if err != nil && err != unix.EAGAIN && err != unix.EINTR {
			return false, fmt.Errorf("wait: sem: %w", os.NewSyscallError("futex_wait", err))
		}
	}
}

// semCounting is a PerMessage event of sem: one post per message, one
// wait per message.
type semCounting struct{ s *slot }

func (e *semCounting) Wait(c Cond) error {
	_, err := semWait(e.s, c)
	return err
}

// Counting reports true: one Wait per message.
func (e *semCounting) Counting() bool { return true }

func (e *semCounting) Notify() { semPost(e.s) }
func (e *semCounting) Wake()   { semPost(e.s) }

type semBlocker struct{}

func (semBlocker) prepare(*slot) error { return nil }

func (semBlocker) block(s *slot, _ uint32, c Cond) error {
	_, err := semWait(s, c)
	return err
}

func (semBlocker) wake(s *slot) { semPost(s) }
