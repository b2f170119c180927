package reference

import (
	"encoding/binary"
	"fmt"
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

// TestRing: the ring delivers every message in order and intact at sizes
// whose slot counts differ (many small slots, the two of a 1 MiB
// message), wrapping many times; Drain waits for the last, Stop ends
// Serve with the count of messages; a producer
// with nobody consuming fills RingSlots slots and then waits until Stop.
func TestRing(t *testing.T) {
	for _, size := range []int{64, 65536, 1 << 20} {
		s := create(t, size)
		if n := RingSlots(size); n&(n-1) != 0 || n < RingMinSlots || (n > RingMinSlots && n*slotLen(size) > RingBytes) {
			t.Fatalf("size %d: %d slots", size, n)
		}
		const msgs = 3000
		errc := make(chan error, 1)
		go func() {
			var bad error
			n := s.NewRing().Serve(make([]byte, size), func(i uint64, dst []byte) bool {
				if got := binary.LittleEndian.Uint64(dst); got != i || dst[size-1] != byte(i) {
					bad = fmt.Errorf("size %d: message %d arrived as %d (last byte %d)", size, i, got, dst[size-1])
				}
				return bad == nil
			})
			if bad == nil && n != msgs {
				bad = fmt.Errorf("size %d: Serve ended at message %d of %d", size, n, msgs)
			}
			errc <- bad
		}()
		p := s.NewRing()
		msg := make([]byte, size)
		for i := range uint64(msgs) {
			binary.LittleEndian.PutUint64(msg, i)
			msg[size-1] = byte(i)
			if !p.Send(msg) {
				t.Fatalf("size %d: send %d reported a stop", size, i)
			}
		}
		if !p.Drain() {
			t.Fatalf("size %d: drain reported a stop", size)
		}
		s.Stop() // ends Serve
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	s := create(t, 64)
	p := s.NewRing()
	for i := range RingSlots(64) {
		if !p.Send(make([]byte, 64)) {
			t.Fatalf("send %d of an empty ring's %d reported a stop", i, RingSlots(64))
		}
	}
	got := make(chan bool)
	go func() { got <- p.Send(make([]byte, 64)) }()
	select {
	case ok := <-got:
		t.Fatalf("a send into a full ring returned %v with nobody consuming", ok)
	case <-time.After(20 * time.Millisecond):
	}
	s.Stop()
	if ok := <-got; ok {
		t.Error("a send into a full ring reported true after Stop")
	}
	done := make(chan uint64)
	go func() { done <- s.NewRing().Serve(make([]byte, 64), nil) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not end after Stop")
	}
}
