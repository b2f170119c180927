package wait

import (
	"errors"
	"runtime"
	"testing"
	"time"
)

// TestAny runs one server Any over three producers, each publishing a
// message, notifying its event and waiting until the server took it:
// every message must be served, each by the index of its producer.
func TestAny(t *testing.T) {
	for _, name := range []string{"spin", "futex", "hybrid"} {
		t.Run(name, func(t *testing.T) {
			s, err := Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			const n, msgs = 3, 300
			sl := slots(n, true)
			srv, h, err := s.Create(sl)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			cli, err := s.Attach(sl, h)
			if err != nil {
				t.Fatal(err)
			}
			defer cli.Close()
			conds := make([]*cond, n)
			cs, evs := make([]Cond, n), make([]Event, n)
			for i := range conds {
				conds[i] = &cond{}
				cs[i], evs[i] = conds[i], srv.Event(i)
			}
			a, err := NewAny(evs, cs)
			if err != nil {
				t.Fatal(err)
			}
			if a.Kind() != name {
				t.Errorf("Kind %q, want %q", a.Kind(), name)
			}
			for i := range n {
				go func() {
					for k := 0; k < msgs; k++ {
						conds[i].avail.Add(1)
						cli.Event(i).Notify()
						for conds[i].avail.Load() != 0 {
							if k%7 == 0 {
								time.Sleep(50 * time.Microsecond) // let the server sleep
							} else {
								runtime.Gosched()
							}
						}
					}
				}()
			}
			got := make([]int, n)
			done := make(chan error, 1)
			go func() {
				next := 0
				for k := 0; k < n*msgs; k++ {
					i, err := a.Wait(next)
					if err != nil {
						done <- err
						return
					}
					if conds[i].avail.Load() != 1 {
						done <- errors.New("Wait returned a condition that is not ready")
						return
					}
					got[i]++
					conds[i].avail.Add(-1)
					next = i + 1
				}
				done <- nil
			}()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("server stuck: a lost wake-up")
			}
			for i, g := range got {
				if g != msgs {
					t.Errorf("producer %d: %d messages served, want %d", i, g, msgs)
				}
			}
		})
	}
}

// TestAnyWake checks that a Wake on one event (Interrupt) ends a sleeping
// Any once its condition is stopped.
func TestAnyWake(t *testing.T) {
	s, _ := Lookup("futex")
	sl := slots(2, true)
	srv, _, err := s.Create(sl)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c0, c1 := &cond{}, &cond{}
	a, err := NewAny([]Event{srv.Event(0), srv.Event(1)}, []Cond{c0, c1})
	if err != nil {
		t.Fatal(err)
	}
	res := make(chan int, 1)
	go func() {
		i, _ := a.Wait(0)
		res <- i
	}()
	time.Sleep(20 * time.Millisecond)
	c1.stop.Store(true)
	srv.Event(1).Wake()
	select {
	case i := <-res:
		if i != 1 {
			t.Errorf("Wait returned %d, want 1 (the stopped one)", i)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wake did not end the wait")
	}
}

func TestAnyUnsupported(t *testing.T) {
	s, _ := Lookup("sem")
	sl := slots(1, true)
	srv, _, err := s.Create(sl)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if _, err := NewAny([]Event{srv.Event(0)}, []Cond{&cond{}}); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("NewAny over sem: %v, want ErrUnsupported", err)
	}
}
