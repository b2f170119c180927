package ring

import (
	"errors"
	"testing"

	"github.com/ipcbench/ipcbench/transports/internal/wait"
)

// newPairFor is newPair for a ring of CapacityFor(maxMsg, records),
// with the spin strategy.
func newPairFor(tb testing.TB, maxMsg, records int) *pair {
	tb.Helper()
	return newPairWith(tb, maxMsg, records, "spin")
}

// newPairWith makes a producer and a consumer over one ring of
// CapacityFor(maxMsg, records) in memory of this process, each with its own
// side of the named wait strategy.
func newPairWith(tb testing.TB, maxMsg, records int, strategy string) *pair {
	tb.Helper()
	return newPairOn(tb, alignedMem(SizeFor(maxMsg, records)), maxMsg, records, strategy)
}

// newPairOn is newPairWith in mem (SizeFor(maxMsg, records) bytes).
func newPairOn(tb testing.TB, mem []byte, maxMsg, records int, strategy string) *pair {
	tb.Helper()
	r, err := InitFor(mem, maxMsg, records)
	if err != nil {
		tb.Fatal(err)
	}
	return attachPair(tb, r, mem, CapacityFor(maxMsg, records), strategy)
}

// attachPair opens the ring r formatted in mem (of capacity c) as the
// peer would, and makes its producer and its consumer.
func attachPair(tb testing.TB, r *Ring, mem []byte, c int, strategy string) *pair {
	tb.Helper()
	r2, err := Open(mem)
	if err != nil {
		tb.Fatal(err)
	}
	if r2.Cap() != c {
		tb.Fatalf("Open sees capacity %d, want %d", r2.Cap(), c)
	}
	st, err := wait.Lookup(strategy)
	if err != nil {
		tb.Fatal(err)
	}
	slots := []wait.Slot{{Mem: r.DataSlot(), PerMessage: true}, {Mem: r.SpaceSlot()}}
	s1, h, err := st.Create(slots)
	if err != nil {
		tb.Fatal(err)
	}
	s2, err := st.Attach(slots, h)
	if err != nil {
		tb.Fatal(err)
	}
	x := &pair{sets: []wait.Set{s1, s2}, ring: r, peer: r2}
	x.p = r.Producer(Events{Data: s1.Event(0), Space: s1.Event(1)}, &x.pstop)
	x.c = r2.Consumer(Events{Data: s2.Event(0), Space: s2.Event(1)}, &x.cstop)
	tb.Cleanup(func() {
		s2.Close()
		s1.Close()
	})
	return x
}

// FuzzZeroCopyMix drives messages through a ring mixing the copying path
// (Send, Recv) and the in-place one (Reserve/Commit with a commit shorter
// than the reservation, Peek/Release), with check mode switched on and
// off per message. Each input byte triple is a message: two bytes of
// size, one of flags (bit 0: reserve/commit, bit 1: receive in place,
// bit 2: reserve more than committed, bit 3: check mode, bit 4: drain
// afterwards, bit 5: peek twice). Every message is verified, in order.
func FuzzZeroCopyMix(f *testing.F) {
	f.Add([]byte{0, 0, 0, 255, 255, 1, 1, 2, 2, 128, 0, 3, 7, 9, 12})
	f.Add([]byte{255, 255, 0x0f, 255, 255, 0x0d, 255, 255, 0x3b, 0, 8, 0x10})
	f.Add([]byte{1, 2, 0x1f, 3, 4, 0x2a, 5, 6, 0x09, 200, 100, 0x3f})
	f.Fuzz(func(t *testing.T, data []byte) {
		const maxMsg = 9000
		records := 2
		if len(data)%2 == 1 {
			records = 3
		}
		x := newPairFor(t, maxMsg, records)
		var queue []int // sizes committed, not yet received
		sent, recvd := uint64(0), uint64(0)
		buf := make([]byte, maxMsg)
		msg := make([]byte, maxMsg)
		recvOne := func(inPlace, twice bool) {
			var got []byte
			if inPlace {
				v, err := x.c.Peek()
				if err != nil {
					t.Fatalf("peek %d: %v", recvd, err)
				}
				if twice {
					v2, err := x.c.Peek()
					if err != nil || len(v2) != len(v) {
						t.Fatalf("second peek of %d: %d bytes, %v", recvd, len(v2), err)
					}
				}
				if !x.c.Viewing() {
					t.Fatal("Viewing false after Peek")
				}
				got = v
			} else {
				n, err := x.c.Recv(buf)
				if err != nil {
					t.Fatalf("recv %d: %v", recvd, err)
				}
				got = buf[:n]
			}
			if len(got) != queue[0] {
				t.Fatalf("message %d: %d bytes, want %d", recvd, len(got), queue[0])
			}
			if err := check(got, recvd); err != nil {
				t.Fatal(err)
			}
			if inPlace {
				if err := x.c.Release(); err != nil {
					t.Fatalf("release %d: %v", recvd, err)
				}
				if err := x.c.Release(); !errors.Is(err, ErrNoView) {
					t.Fatalf("second release: %v, want ErrNoView", err)
				}
			}
			queue = queue[1:]
			recvd++
		}
		for i := 0; i+2 < len(data); i += 3 {
			size := (int(data[i])<<8 | int(data[i+1])) * (maxMsg + 1) / (1 << 16)
			flags := data[i+2]
			reserve := size
			if flags&4 != 0 {
				reserve = min(maxMsg, size+int(flags)*37)
			}
			for !x.fits(reserve) {
				if len(queue) == 0 {
					t.Fatalf("a %d-byte reservation does not fit an empty ring", reserve)
				}
				recvOne(flags&2 != 0, flags&32 != 0)
			}
			x.p.SetCheck(flags&8 != 0)
			if flags&1 != 0 {
				b, err := x.p.Reserve(reserve)
				if err != nil {
					t.Fatalf("reserve %d (%d bytes): %v", sent, reserve, err)
				}
				if !x.p.Reserved() {
					t.Fatal("Reserved false after Reserve")
				}
				if _, err := x.p.Reserve(1); !errors.Is(err, ErrReserved) {
					t.Fatalf("second reserve: %v, want ErrReserved", err)
				}
				if err := x.p.Commit(reserve + 1); err == nil {
					t.Fatalf("commit of %d bytes into a reservation of %d succeeded", reserve+1, reserve)
				}
				fill(b[:size], sent)
				if err := x.p.Commit(size); err != nil {
					t.Fatalf("commit %d: %v", sent, err)
				}
				if err := x.p.Commit(size); !errors.Is(err, ErrNotReserved) {
					t.Fatalf("second commit: %v, want ErrNotReserved", err)
				}
			} else {
				fill(msg[:size], sent)
				if err := x.p.Send(msg[:size]); err != nil {
					t.Fatalf("send %d (%d bytes): %v", sent, size, err)
				}
			}
			sent++
			queue = append(queue, size)
			if flags&16 != 0 {
				for len(queue) > 0 {
					recvOne(flags&2 != 0, flags&32 != 0)
				}
			}
		}
		for len(queue) > 0 {
			recvOne(len(queue)%2 == 0, false)
		}
	})
}

// TestCheckMode: a message written after its Commit is reported at Peek,
// one written while viewed at Release; reservations are poisoned.
func TestCheckMode(t *testing.T) {
	x := newPairFor(t, 4096, 3)
	x.p.SetCheck(true)
	b, err := x.p.Reserve(100)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range b {
		if v != poison {
			t.Fatalf("reserved byte %d is %#x, want the poison %#x", i, v, poison)
		}
	}
	fill(b, 0)
	if err := x.p.Commit(100); err != nil {
		t.Fatal(err)
	}
	v, err := x.c.Peek()
	if err != nil || check(v, 0) != nil {
		t.Fatalf("clean checked message: %v", err)
	}
	b[50]++ // written while viewed
	if err := x.c.Release(); !errors.Is(err, ErrModified) {
		t.Fatalf("release of a message changed while viewed: %v, want ErrModified", err)
	}

	b, _ = x.p.Reserve(64)
	fill(b, 1)
	x.p.Commit(64)
	b[3] ^= 0xff // written after commit, before the consumer looks
	if _, err := x.c.Peek(); !errors.Is(err, ErrModified) {
		t.Fatalf("peek of a message changed after commit: %v, want ErrModified", err)
	}
	if _, err := x.c.Recv(make([]byte, 64)); !errors.Is(err, ErrModified) {
		t.Fatalf("recv of a message changed after commit: %v, want ErrModified", err)
	}
}

// TestGeometry: a ring of Capacity keeps a record of the largest message
// writable while the consumer holds another (reading it in place or
// copying it out), at every point of a lap, the wrap included: the
// producer never waits for the consumer to finish a lap.
func TestGeometry(t *testing.T) {
	const maxMsg = 1 << 20
	for _, m := range []int{0, 64, 4096, 64 << 10, maxMsg} {
		c := Capacity(m)
		if rec := align8(recHeader + m); c < 3*rec+recHeader || c < MinCap || c%pageSize != 0 {
			t.Errorf("Capacity(%d) = %d", m, c)
		}
	}
	x := newPairFor(t, maxMsg, Records)
	for i := range 20 {
		b, err := x.p.Reserve(maxMsg)
		if err != nil {
			t.Fatal(err)
		}
		fill(b[:64], uint64(i))
		x.p.Commit(maxMsg)
		if i == 0 {
			continue
		}
		// Message i-1 is held while i is written: with two records
		// in flight, the next reservation must fit once i-1 goes.
		v, err := x.c.Peek()
		if err != nil || check(v[:64], uint64(i-1)) != nil {
			t.Fatalf("message %d: %v", i-1, err)
		}
		x.c.Release()
		if !x.fits(maxMsg) {
			t.Fatalf("after message %d: the next one does not fit while one is in flight", i)
		}
	}
}
