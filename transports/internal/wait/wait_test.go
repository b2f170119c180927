package wait

import (
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"
)

// cond is a Cond over a counter of "messages" and a stop flag.
type cond struct {
	avail atomic.Int64
	stop  atomic.Bool
}

func (c *cond) Ready() bool   { return c.avail.Load() > 0 || c.stop.Load() }
func (c *cond) Stopped() bool { return c.stop.Load() }

func slots(n int, perMessage bool) []Slot {
	mem := make([]byte, n*SlotSize+64)
	off := (64 - int(uintptr(unsafe.Pointer(&mem[0]))%64)) % 64
	out := make([]Slot, n)
	for i := range out {
		out[i] = Slot{Mem: mem[off+i*SlotSize : off+(i+1)*SlotSize], PerMessage: perMessage}
	}
	return out
}

func TestLookup(t *testing.T) {
	var names []string
	for _, s := range Strategies() {
		got, err := Lookup(s.Name())
		if err != nil || got.Name() != s.Name() {
			t.Errorf("Lookup(%q) = %v, %v", s.Name(), got, err)
		}
		names = append(names, s.Name())
	}
	if fmt.Sprint(names) != "[spin futex hybrid sem sysvsem eventfd signal]" {
		t.Errorf("Strategies: %v", names)
	}
	if _, err := Lookup("nope"); !errors.Is(err, ErrUnknown) {
		t.Errorf("Lookup(nope): %v", err)
	}
}

// pairOf returns the creator's and the peer's event 0 of one slot.
func pairOf(t *testing.T, s Strategy, perMessage bool) (creator, peer Event) {
	t.Helper()
	sl := slots(1, perMessage)
	a, h, err := s.Create(sl)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Attach(sl, h)
	if err != nil {
		a.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Error(err)
		}
		if err := a.Close(); err != nil {
			t.Error(err)
		}
		if err := a.Close(); err != nil {
			t.Errorf("second close: %v", err)
		}
	})
	return a.Event(0), b.Event(0)
}

// onThread runs f on a goroutine locked to a fresh thread.
func onThread(f func()) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		defer close(done)
		f()
	}()
	return done
}

func within(t *testing.T, done <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: still waiting after 5 s", what)
	}
}

// TestHandoff passes messages one at a time from a notifier to a waiter,
// with every strategy, on both kinds of slot, then checks that Wake ends a
// wait with the Cond stopped.
func TestHandoff(t *testing.T) {
	for _, s := range Strategies() {
		for _, pm := range []bool{false, true} {
			t.Run(fmt.Sprintf("wait=%s/per-message=%v", s.Name(), pm), func(t *testing.T) {
				notifier, waiter := pairOf(t, s, pm)
				var c cond
				const n = 2000
				var werr error
				done := onThread(func() {
					for i := range n {
						for {
							if werr = waiter.Wait(&c); werr != nil {
								return
							}
							if c.avail.Load() > 0 {
								break
							}
						}
						if c.avail.Add(-1) < 0 {
							werr = fmt.Errorf("message %d: count went negative", i)
							return
						}
					}
					// Now nothing comes: a Wake with stop set must end it.
					for !c.Stopped() {
						if werr = waiter.Wait(&c); werr != nil {
							return
						}
					}
				})
				for i := range n {
					c.avail.Add(1)
					notifier.Notify()
					if i%100 == 0 {
						time.Sleep(100 * time.Microsecond) // let the waiter sleep
					}
				}
				time.Sleep(20 * time.Millisecond)
				c.stop.Store(true)
				waiter.Wake()
				within(t, done, "waiter")
				if werr != nil {
					t.Fatal(werr)
				}
			})
		}
	}
}

// TestSemCounts checks the counting semaphore: posts without a waiter
// accumulate, and each wait takes one.
func TestSemCounts(t *testing.T) {
	ps, err := slotsOf(slots(1, true))
	if err != nil {
		t.Fatal(err)
	}
	s := ps[0]
	var c cond
	for range 3 {
		semPost(s)
	}
	for i := range 3 {
		if got, err := semWait(s, &c); !got || err != nil {
			t.Fatalf("wait %d: %v, %v", i, got, err)
		}
	}
	if semTryWait(s) {
		t.Fatal("trywait on an empty semaphore succeeded")
	}
	c.stop.Store(true)
	if got, err := semWait(s, &c); got || err != nil {
		t.Fatalf("wait when stopped: %v, %v", got, err)
	}
}

// TestSpinAdapts checks that failed spins shrink the budget to its floor,
// that the floor probes with a full spin now and then, less and less often
// while the probes fail, and that a success restores the full budget and
// the probing period.
func TestSpinAdapts(t *testing.T) {
	sp := newSpinner(spinMin, spinMax)
	var c cond
	for range 20 {
		sp.spin(&c)
	}
	if sp.limit != spinMin {
		t.Errorf("after failures: budget %d, want %d", sp.limit, spinMin)
	}
	// Count the probes (full spins) among failing waits at the floor:
	// periods 32, 64, 128, 256, 512 fit in 1000 waits (plus the rest).
	probes := 0
	for range 1000 {
		before := sp.period
		sp.spin(&c)
		if sp.period != before {
			probes++
		}
	}
	if probes < 4 || probes > 6 || sp.period < 512 {
		t.Errorf("1000 failing waits: %d probes, period now %d; want about 5, period >= 512", probes, sp.period)
	}
	for range 10 * probeMax {
		sp.spin(&c)
	}
	if sp.period != probeMax {
		t.Errorf("period %d, want the cap %d", sp.period, probeMax)
	}
	sp.fails = sp.period - 1
	// The next wait is a probe: a full spin, which here succeeds.
	go func() { time.Sleep(time.Millisecond); c.avail.Store(1) }()
	for !sp.spin(&c) {
	}
	if sp.limit != spinMax || sp.period != probeEvery {
		t.Errorf("after a success: budget %d, period %d; want %d, %d", sp.limit, sp.period, spinMax, probeEvery)
	}
}

// TestSysvsemFullAfterWake: a post to a System V semaphore at SEMVMX
// (32767 posts nobody took) waits for the receiver, until a Wake of the
// set (Interrupt or Close of this side) says nobody will: then it returns.
func TestSysvsemFullAfterWake(t *testing.T) {
	st, err := Lookup("sysvsem")
	if err != nil {
		t.Fatal(err)
	}
	set, _, err := st.Create(slots(2, true))
	if err != nil {
		t.Skipf("sysvsem: %v", err)
	}
	t.Cleanup(func() {
		if err := set.Close(); err != nil {
			t.Error(err)
		}
	})
	out, in := set.Event(0), set.Event(1)
	const semvmx = 32767
	for range semvmx {
		out.Notify()
	}
	done := onThread(out.Notify)
	select {
	case <-done:
		t.Fatal("a post past SEMVMX returned while the set was not woken: the token was dropped")
	case <-time.After(50 * time.Millisecond):
	}
	in.Wake()
	within(t, done, "post to a full semaphore after Wake")
}

// TestHybridBudget: the hybrid budget is HybridSpin turned into polls at
// the measured rate (scalePolls), bounded below by the tight polls; every
// hybrid event starts with it.
func TestHybridBudget(t *testing.T) {
	for _, tc := range []struct {
		d, took time.Duration
		n       int
		want    uint32
	}{
		{64 * time.Microsecond, 16 * time.Microsecond, 1024, 4096},
		{64 * time.Microsecond, 64 * time.Microsecond, 1024, 1024},
		{64 * time.Microsecond, 2 * time.Millisecond, 1024, tightPolls},
		{time.Second, 0, 1024, 1 << 30},
	} {
		if got := scalePolls(tc.d, tc.n, tc.took); got != tc.want {
			t.Errorf("scalePolls(%v, %d, %v) = %d, want %d", tc.d, tc.n, tc.took, got, tc.want)
		}
	}
	if hybridSpinMax() < tightPolls {
		t.Fatalf("hybrid budget %d polls, below the %d tight ones", hybridSpinMax(), tightPolls)
	}
	t.Logf("hybrid budget on this machine: %d polls for %v", hybridSpinMax(), HybridSpin)
	s, err := Lookup("hybrid")
	if err != nil {
		t.Fatal(err)
	}
	a, b := pairOf(t, s, false)
	for _, e := range []Event{a, b} {
		sl, ok := e.(*sleeper)
		if !ok || sl.spin == nil || sl.spin.limit != hybridSpinMax() || sl.spin.max != hybridSpinMax() {
			t.Fatalf("hybrid event %T: spinner %+v, want a full budget of %d polls", e, sl.spin, hybridSpinMax())
		}
	}
}
