package wait

import (
	"fmt"
	"os"
	"strconv"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/ipcbench/ipcbench/internal/sys"
)

// sysvsemStrategy uses one System V semaphore per event, in one set the
// creator makes with semget(IPC_PRIVATE, IPC_CREAT|IPC_EXCL|0600) and
// removes with IPC_RMID at Close. Posting is semop(+1), waiting
// semop(-1): on PerMessage slots once per message each (a system call per
// message on both sides, as semaphore-guarded shared memory is usually
// written); on the others as the sleeping protocol's primitive.
type sysvsemStrategy struct{}

func (sysvsemStrategy) Name() string { return "sysvsem" }

func (sysvsemStrategy) Spins() bool { return false }

// ParamSemID is the Handoff parameter holding the semaphore set's id.
const ParamSemID = "semid"

func (sysvsemStrategy) Create(slots []Slot) (Set, Handoff, error) {
	id, err := sys.Semget(unix.IPC_PRIVATE, len(slots), unix.IPC_CREAT|unix.IPC_EXCL|0o600)
	if err != nil {
		return nil, Handoff{}, fmt.Errorf("wait: sysvsem: %w", os.NewSyscallError("semget", err))
	}
	s, err := newSysvsemSet(slots, id, true)
	if err != nil {
		sys.SemRemove(id)
		return nil, Handoff{}, err
	}
	return s, Handoff{Params: map[string]string{ParamSemID: strconv.Itoa(id)}}, nil
}

func (sysvsemStrategy) Attach(slots []Slot, h Handoff) (Set, error) {
	closeFiles(h.Files)
	id, err := strconv.Atoi(h.Params[ParamSemID])
	if err != nil {
		return nil, fmt.Errorf("wait: sysvsem: bad %s %q", ParamSemID, h.Params[ParamSemID])
	}
	// Check that the set exists and has our events.
	if _, err := sys.SemctlInt(id, len(slots)-1, sys.GETVAL, 0); err != nil {
		return nil, fmt.Errorf("wait: sysvsem: attach set %d: %w", id, os.NewSyscallError("semctl", err))
	}
	return newSysvsemSet(slots, id, false)
}

func newSysvsemSet(slots []Slot, id int, owner bool) (Set, error) {
	ps, err := slotsOf(slots)
	if err != nil {
		return nil, err
	}
	ev := make([]Event, len(slots))
	woken := new(atomic.Bool)
	for i, p := range ps {
		b := &sysvsemBlocker{id: id, woken: woken}
		b.down[0] = sys.Sembuf{Num: uint16(i), Op: -1}
		b.up[0] = sys.Sembuf{Num: uint16(i), Op: 1}
		if slots[i].PerMessage {
			ev[i] = &sysvsemCounting{b: b}
		} else {
			ev[i] = &sleeper{s: p, b: b}
		}
	}
	s := &set{events: ev}
	if owner {
		s.close = func() error {
			if err := sys.SemRemove(id); err != nil && err != unix.EINVAL && err != unix.EIDRM {
				return fmt.Errorf("wait: sysvsem: remove set %d: %w", id, os.NewSyscallError("semctl", err))
			}
			return nil
		}
	}
	return s, nil
}

type sysvsemBlocker struct {
	id   int
	down [1]sys.Sembuf
	up   [1]sys.Sembuf
	// woken is set, for the whole set, by the first Wake of a PerMessage
	// event (Interrupt or Close of this process's side, which wake the
	// data event it waits on): from then on a post finding the semaphore
	// full gives up instead of waiting for a receiver that may be gone.
	woken *atomic.Bool
}

// wait takes one token, unless c is stopped first.
func (b *sysvsemBlocker) wait(c Cond) error {
	for {
		if c.Stopped() {
			return nil
		}
		err := sys.Semop(b.id, b.down[:])
		if err == nil {
			return nil
		}
		if err != unix.EINTR {
			// EIDRM / EINVAL: the creator removed the set (Close).
			return fmt.Errorf("wait: sysvsem: %w", os.NewSyscallError("semop", err))
		}
	}
}

func (b *sysvsemBlocker) post() {
	for {
		err := sys.Semop(b.id, b.up[:])
		if err != unix.ERANGE && err != unix.EINTR {
			return
		}
		if err == unix.ERANGE && b.woken.Load() {
			return // the channel is being torn down: nobody takes the token
		}
		// ERANGE: the value is at SEMVMX (32767 posts not yet taken). The
		// receiver is consuming them; let it.
		yield()
	}
}

// wakeUp is Wake: it marks the set woken, then posts.
func (b *sysvsemBlocker) wakeUp() {
	b.woken.Store(true)
	b.post()
}

func (b *sysvsemBlocker) prepare(*slot) error { return nil }

func (b *sysvsemBlocker) block(_ *slot, _ uint32, c Cond) error { return b.wait(c) }

func (b *sysvsemBlocker) wake(*slot) { b.post() }

// sysvsemCounting is a PerMessage event of sysvsem.
type sysvsemCounting struct{ b *sysvsemBlocker }

func (e *sysvsemCounting) Wait(c Cond) error { return e.b.wait(c) }

// Counting reports true: one Wait per message.
func (e *sysvsemCounting) Counting() bool { return true }

func (e *sysvsemCounting) Notify() { e.b.post() }
func (e *sysvsemCounting) Wake()   { e.b.wakeUp() }
