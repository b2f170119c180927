package wait

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/ipcbench/ipcbench/internal/sys"
)

// An Any waits for the first of several conditions, each with its own
// event of one strategy: the server of a fan-in, which serves one ring
// per client from one thread. How it waits follows the strategy of the
// events, so that the clients' side (Notify after each message) stays
// exactly what it is on a one-to-one channel:
//
//	spin     polls every condition in turn, with the spin strategy's
//	         budget and its fall-back to sched_yield; never sleeps
//	futex    raises the sleeping flag of every event, re-checks every
//	         condition, then sleeps on all the events' seq words at once
//	         with futex_waitv (Linux 5.16 and later); a client's Notify
//	         (FUTEX_WAKE on its word) wakes it
//	hybrid   a spin over every condition (the hybrid budget), then as futex
//
// Other strategies have no Any (NewAny fails with errors.ErrUnsupported).
// An Any is used by one goroutine.
type Any struct {
	kind  string // "spin", "futex", "hybrid"
	conds []Cond
	slots []*slot // futex, hybrid: the events' shared words
	spin  *spinner
	poll  *spinEvent // spin: the spin strategy's wait, over anyCond
	wv    []sys.FutexWaiter
	ac    anyCond
}

// NewAny returns an Any over conds, conds[i] signalled through evs[i];
// every event must come from the same strategy (spin, futex or hybrid),
// and there may be at most sys.FutexWaitvMax of them.
func NewAny(evs []Event, conds []Cond) (*Any, error) {
	if len(evs) == 0 || len(evs) != len(conds) {
		return nil, fmt.Errorf("wait: any of %d events and %d conditions", len(evs), len(conds))
	}
	if len(evs) > sys.FutexWaitvMax {
		return nil, fmt.Errorf("wait: any of %d events: at most %d", len(evs), sys.FutexWaitvMax)
	}
	a := &Any{conds: conds, ac: anyCond{conds: conds}}
	switch e := evs[0].(type) {
	case *spinEvent:
		a.kind = "spin"
		for _, ev := range evs {
			if _, ok := ev.(*spinEvent); !ok {
				return nil, fmt.Errorf("wait: any over mixed strategies (spin and %T)", ev)
			}
		}
		a.poll = &spinEvent{sp: newSpinner(spinMin, spinMax)}
		return a, nil
	case *sleeper:
		if _, ok := e.b.(futexBlocker); !ok {
			break
		}
		a.kind = "futex"
		if e.spin != nil {
			a.kind = "hybrid"
			a.spin = newSpinner(hybridSpinMin, hybridSpinMax())
		}
		for _, ev := range evs {
			s, ok := ev.(*sleeper)
			if !ok || s.b != e.b || (s.spin != nil) != (e.spin != nil) {
				return nil, fmt.Errorf("wait: any over mixed strategies (%s and %T)", a.kind, ev)
			}
			a.slots = append(a.slots, s.s)
		}
		a.wv = make([]sys.FutexWaiter, len(evs))
		return a, nil
	}
	return nil, fmt.Errorf("wait: no wait on many events of %T: %w", evs[0], errors.ErrUnsupported)
}

// Kind names how the Any waits: spin, futex or hybrid.
func (a *Any) Kind() string { return a.kind }

// Wait returns the index of a condition that is ready (its Ready holds:
// the awaited state, or stopped), looking at start first and then on in
// turn, so that a caller that passes the index after the one served last
// serves every condition in its turn. Errors are the strategy's failures
// (ENOSYS: a kernel without futex_waitv).
func (a *Any) Wait(start int) (int, error) {
	ac := &a.ac
	ac.start = start % len(a.conds)
	if ac.Ready() {
		return ac.hit, nil
	}
	switch a.kind {
	case "spin":
		if err := a.poll.Wait(ac); err != nil {
			return -1, err
		}
		return ac.hit, nil
	case "hybrid":
		if a.spin.spin(ac) {
			return ac.hit, nil
		}
	}
	for {
		// Per event, the sleeper's protocol (package doc): seq read
		// before the flag is raised, the flag raised with a swap before
		// the conditions are read.
		for i, s := range a.slots {
			a.wv[i].SetWord(&s.seq, atomic.LoadUint32(&s.seq))
			atomic.SwapUint32(&s.sleeping, 1)
		}
		if ac.Ready() {
			a.lower()
			return ac.hit, nil
		}
		_, err := sys.FutexWaitv(a.wv)
		if err != nil && err != unix.EAGAIN && err != unix.EINTR {
			a.lower()
			return -1, fmt.Errorf("wait: %w", os.NewSyscallError("futex_waitv", err))
		}
		if ac.Ready() {
			a.lower()
			return ac.hit, nil
		}
	}
}

// lower lowers the sleeping flags no notifier lowered, so that the
// clients' next Notify makes no needless wake.
func (a *Any) lower() {
	for _, s := range a.slots {
		if atomic.LoadUint32(&s.sleeping) != 0 {
			atomic.StoreUint32(&s.sleeping, 0)
		}
	}
}

// anyCond is the Cond "one of conds is ready", looking from start on; hit
// is the index Ready found.
type anyCond struct {
	conds      []Cond
	start, hit int
}

func (c *anyCond) Ready() bool {
	n := len(c.conds)
	for k, i := 0, c.start; k < n; k++ {
		if c.conds[i].Ready() {
			c.hit = i
			return true
		}
		if i++; i == n {
			i = 0
		}
	}
	return false
}

func (c *anyCond) Stopped() bool {
	for _, x := range c.conds {
		if x.Stopped() {
			return true
		}
	}
	return false
}
