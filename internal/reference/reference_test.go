package reference

import (
	"testing"
	"time"
)

// create makes a mapping for size-byte messages, closed at the end of t.
func create(t *testing.T, size int) *Shared {
	t.Helper()
	s, f, err := Create(size)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	t.Cleanup(func() { s.Close() })
	return s
}

// TestServeAndStop: each op completes against its serving half (run in
// this process), and Stop ends the serving loop.
func TestServeAndStop(t *testing.T) {
	for _, c := range []struct {
		name  string
		serve func(s *Shared)
		op    func(s *Shared, i uint64) bool
	}{
		{"cacheline", (*Shared).CachelineServe, func(s *Shared, i uint64) bool { return s.CachelinePing(uint32(i) + 1) }},
		{"futex", (*Shared).FutexServe, func(s *Shared, i uint64) bool { return s.FutexPing(uint32(i) + 1) }},
		{"copyloop", func(s *Shared) { s.CopyServe(make([]byte, 64)) }, func(s *Shared, i uint64) bool { return s.CopySend(i, make([]byte, 64)) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := create(t, 64)
			done := make(chan struct{})
			go func() { c.serve(s); close(done) }()
			t.Cleanup(func() { s.Stop(); <-done }) // before the unmap
			for i := range uint64(1000) {
				if !c.op(s, i) {
					t.Fatalf("op %d reported a stop", i)
				}
			}
			if c.name == "copyloop" && !s.CopyDrain() {
				t.Fatal("drain reported a stop")
			}
			s.Stop()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Stop did not end the serving loop")
			}
		})
	}
}

// TestStopEndsWaits: with nobody serving, the parent's half of each op
// waits until Stop, and then reports false; Stop after Close does nothing.
func TestStopEndsWaits(t *testing.T) {
	for _, c := range []struct {
		name string
		wait func(s *Shared) bool
	}{
		{"cacheline", func(s *Shared) bool { return s.CachelinePing(1) }},
		{"futex", func(s *Shared) bool { return s.FutexPing(1) }},
		{"copyloop", func(s *Shared) bool {
			src := make([]byte, 64)
			return s.CopySend(0, src) && s.CopySend(1, src) && s.CopySend(2, src) // the third waits
		}},
		{"drain", func(s *Shared) bool { return s.CopySend(0, make([]byte, 64)) && s.CopyDrain() }},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := create(t, 64)
			got := make(chan bool)
			go func() { got <- c.wait(s) }()
			select {
			case ok := <-got:
				t.Fatalf("returned %v with nobody serving", ok)
			case <-time.After(20 * time.Millisecond):
			}
			s.Stop()
			select {
			case ok := <-got:
				if ok {
					t.Errorf("reported true after Stop, want false")
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Stop did not end the wait")
			}
			s.Close()
			s.Stop()
		})
	}
}
