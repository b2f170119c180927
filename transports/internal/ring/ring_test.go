package ring

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ipcbench/ipcbench/transports/internal/wait"
)

// alignedMem returns n zeroed bytes of Go heap, 64-byte aligned (the race
// detector watches the Go heap, not mappings).
func alignedMem(n int) []byte {
	b := make([]byte, n+64)
	off := (64 - int(uintptr(unsafe.Pointer(&b[0]))%64)) % 64
	return b[off : off+n : off+n]
}

// pair is a ring with its two sides, built on a wait strategy.
type pair struct {
	p          *Producer
	c          *Consumer
	pstop      atomic.Bool
	cstop      atomic.Bool
	sets       []wait.Set
	ring, peer *Ring
}

// fits reports whether a reservation of size bytes fits now, by the
// producer's own rule (Reserve's), so that no call blocks a test that
// drives both sides from one goroutine.
func (x *pair) fits(size int) bool {
	rec := align8(recHeader + size)
	need := rec + recHeader
	if x.p.off+rec > x.ring.Cap() {
		need += x.ring.Cap() - x.p.off
	}
	return x.p.pos+uint64(need)-x.c.pos <= uint64(x.ring.Cap())
}

// newPair makes a pair on the tightest geometry Open accepts (two
// records), so that tests wrap as often as possible.
func newPair(tb testing.TB, maxMsg int, strategy string) *pair {
	tb.Helper()
	return newPairWith(tb, maxMsg, 2, strategy)
}

// pattern is the byte sequence of message seq: an xorshift stream, with
// the sequence number in the first 8 bytes.
type pattern struct{ x uint64 }

func newPattern(seq uint64) pattern { return pattern{seq*0x9E3779B97F4A7C15 + 1} }

func (p *pattern) at(i int) byte {
	if i%8 == 0 {
		p.x ^= p.x << 13
		p.x ^= p.x >> 7
		p.x ^= p.x << 17
	}
	return byte(p.x >> (8 * (i % 8)))
}

// fill writes message seq's pattern into b.
func fill(b []byte, seq uint64) {
	p := newPattern(seq)
	for i := range b {
		b[i] = p.at(i)
	}
	if len(b) >= 8 {
		binary.LittleEndian.PutUint64(b, seq)
	}
}

// check verifies that b is message seq; it does not allocate.
func check(b []byte, seq uint64) error {
	p := newPattern(seq)
	for i := range b {
		want := p.at(i)
		if i < 8 && len(b) >= 8 {
			want = byte(seq >> (8 * i))
		}
		if b[i] != want {
			return fmt.Errorf("message %d (%d bytes): byte %d is %#x, want %#x", seq, len(b), i, b[i], want)
		}
	}
	return nil
}

func TestCapacity(t *testing.T) {
	for _, m := range []int{0, 1, 64, 4096, 32 << 10, 64 << 10, 1 << 20, 64 << 20} {
		c := Capacity(m)
		rec := align8(recHeader + m)
		if c < 3*rec+recHeader || c < StreamCap || c%pageSize != 0 {
			t.Errorf("Capacity(%d) = %d: want >= 3*%d+%d, >= %d, multiple of %d", m, c, rec, recHeader, StreamCap, pageSize)
		}
		if c != max(CapacityFor(m, Records), StreamCap) {
			t.Errorf("Capacity(%d) = %d, CapacityFor(%d, Records) = %d", m, c, m, CapacityFor(m, Records))
		}
		if Size(m) != HeaderSize+c {
			t.Errorf("Size(%d) = %d", m, Size(m))
		}
	}
}

func TestOpenRejects(t *testing.T) {
	mem := alignedMem(Size(100))
	if _, err := Open(mem); !errors.Is(err, ErrBadGeometry) {
		t.Errorf("Open of unformatted memory: %v, want ErrBadGeometry", err)
	}
	if _, err := Init(mem[:100], 100); !errors.Is(err, ErrBadGeometry) {
		t.Errorf("Init of short memory: %v", err)
	}
	if _, err := Init(mem[8:], 100); err == nil {
		t.Errorf("Init of unaligned memory succeeded")
	}
	if _, err := Init(mem, 100); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(mem[:HeaderSize+MinCap-8]); err == nil {
		t.Errorf("Open of a truncated mapping succeeded")
	}
	if _, err := Open(mem[:len(mem)-pageSize]); !errors.Is(err, ErrBadGeometry) {
		t.Errorf("Open of a mapping a page short of the ring: %v, want ErrBadGeometry", err)
	}
}

// transportPair is a spinning pair on a transport's ring for messages of
// up to maxMsg bytes (Init: Capacity(maxMsg)).
func transportPair(t *testing.T, maxMsg int) *pair {
	t.Helper()
	mem := alignedMem(Size(maxMsg))
	r, err := Init(mem, maxMsg)
	if err != nil {
		t.Fatal(err)
	}
	return attachPair(t, r, mem, Capacity(maxMsg), "spin")
}

// TestStreamDepth: a transport's ring (Init) lets the producer work a
// StreamCap ahead of a consumer that reads nothing, 15 messages of 64 KiB,
// and then makes it wait; the consumer gets them all, in order.
func TestStreamDepth(t *testing.T) {
	const size = 64 << 10
	x := transportPair(t, size)
	msg := make([]byte, size)
	sent := 0
	for ; x.fits(size); sent++ {
		fill(msg, uint64(sent))
		if err := x.p.Send(msg); err != nil {
			t.Fatalf("send %d: %v", sent, err)
		}
	}
	if want := (StreamCap - recHeader) / align8(recHeader+size); sent < want {
		t.Errorf("the producer fits %d messages of %d bytes ahead of the consumer, want at least %d", sent, size, want)
	}
	x.pstop.Store(true) // the next Send would wait: it must stop instead
	if err := x.p.Send(msg); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("send into a full ring: %v, want ErrInterrupted", err)
	}
	buf := make([]byte, size)
	for i := range sent {
		n, err := x.c.Recv(buf)
		if err != nil || n != size {
			t.Fatalf("recv %d: %d bytes, %v", i, n, err)
		}
		if err := check(buf, uint64(i)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLargestMessageDepth: with messages of the largest size, a
// transport's ring (Init) lets the producer finish two messages while the
// consumer holds a third, at every point of a lap, and from the second
// lap on makes it wait for a fourth: the depth of a C ring of three slots
// (scripts/crosscheck/ref.c).
// The next record's header, which must be free too, is the first word of
// the oldest record in the ring, so three records of room would give one.
func TestLargestMessageDepth(t *testing.T) {
	for _, size := range []int{StreamCap, StreamCap + 4096, 3 << 20} {
		x := transportPair(t, size)
		msg := make([]byte, size)
		next := uint64(0) // the next message the producer sends
		// send sends the next message if it fits without waiting: with
		// the stop flag up, a Send that would wait returns ErrInterrupted.
		send := func() bool {
			fill(msg, next)
			x.pstop.Store(true)
			defer x.pstop.Store(false)
			err := x.p.Send(msg)
			if errors.Is(err, ErrInterrupted) {
				return false
			}
			if err != nil {
				t.Fatalf("size %d: send %d: %v", size, next, err)
			}
			next++
			return true
		}
		send()
		for held := uint64(0); held < 3*Records; held++ {
			v, err := x.c.Peek()
			if err != nil {
				t.Fatalf("size %d: peek %d: %v", size, held, err)
			}
			if err := check(v, held); err != nil {
				t.Fatalf("size %d: %v", size, err)
			}
			for send() {
			}
			// The first lap has the unused end of the area as well.
			ahead := next - held - 1
			if ahead < 2 || (held >= Records && ahead != 2) {
				t.Fatalf("size %d, consumer holding message %d (producer at offset %d): %d messages fit behind it, want 2", size, held, x.p.off, ahead)
			}
			if err := x.c.Release(); err != nil {
				t.Fatalf("size %d: release %d: %v", size, held, err)
			}
		}
	}
}

// roundTrip sends one message of n bytes and receives it at once.
func roundTrip(t *testing.T, x *pair, n int, seq uint64, buf []byte) {
	t.Helper()
	msg := make([]byte, n)
	fill(msg, seq)
	if err := x.p.Send(msg); err != nil {
		t.Fatalf("send %d bytes (seq %d, offset %d): %v", n, seq, x.p.off, err)
	}
	got, err := x.c.Recv(buf)
	if err != nil {
		t.Fatalf("recv %d bytes (seq %d): %v", n, seq, err)
	}
	if got != n {
		t.Fatalf("seq %d: got %d bytes, want %d", seq, got, n)
	}
	if err := check(buf[:got], seq); err != nil {
		t.Fatal(err)
	}
}

// TestBoundaries drives the producer to each boundary of the data area
// and checks the wrap-around: a record ending exactly at the end, a tail
// end with room for the wrap marker only, one a byte short of a record,
// and every size around the record alignment and the limit.
func TestBoundaries(t *testing.T) {
	const maxMsg = 20000
	x := newPair(t, maxMsg, "futex")
	c := x.ring.Cap()
	buf := make([]byte, maxMsg)
	seq := uint64(0)
	next := func(n int) { roundTrip(t, x, n, seq, buf); seq++ }

	// Every size around the alignment and the limit.
	for _, n := range []int{0, 1, 2, 7, 8, 9, 15, 16, 17, 55, 56, 57, 63, 64, 65, 4095, 4096, 4097, maxMsg - 1, maxMsg} {
		next(n)
	}
	x.p.hot = c // no early wrap: reach every offset
	advanceTo := func(target int) {
		t.Helper()
		for i := 0; x.p.off != target; i++ {
			if i > 1000 {
				t.Fatalf("cannot reach offset %d (at %d)", target, x.p.off)
			}
			d := target - x.p.off
			if d < 0 {
				d += c
			}
			n := min(d, maxMsg/2) - recHeader
			if n < 0 {
				n = 0
			}
			next(n)
		}
	}
	for _, tc := range []struct {
		name string
		rem  int // bytes left before the end of the area
		n    int // message then sent
	}{
		{"exact-fit", 1000, 1000 - recHeader},
		{"exact-fit-aligned-up", 1000, 1000 - recHeader - 7},
		{"marker-only", 8, 0},
		{"marker-only-big", 8, maxMsg},
		{"one-short", 1000, 1000 - recHeader + 1},
		{"rec-minus-8", align8(recHeader+maxMsg) - 8, maxMsg},
		{"exact-max", align8(recHeader + maxMsg), maxMsg},
	} {
		t.Run(tc.name, func(t *testing.T) {
			advanceTo(c - tc.rem)
			if x.p.off != c-tc.rem {
				t.Fatalf("at offset %d, want %d", x.p.off, c-tc.rem)
			}
			next(tc.n)
			rec := align8(recHeader + tc.n)
			var want int
			switch {
			case rec < tc.rem:
				want = c - tc.rem + rec
			case rec == tc.rem:
				want = 0
			default:
				want = rec // wrapped
			}
			if x.p.off != want || x.c.off != want {
				t.Errorf("after %d bytes at %d left: producer at %d, consumer at %d, want %d", tc.n, tc.rem, x.p.off, x.c.off, want)
			}
		})
	}
}

// TestEarlyWrap checks that an empty ring past the hot window starts again
// at offset 0, and a non-empty one does not.
func TestEarlyWrap(t *testing.T) {
	x := newPair(t, 1000, "spin")
	buf := make([]byte, 1000)
	seq := uint64(0)
	for x.p.off < HotWindow {
		roundTrip(t, x, 1000, seq, buf)
		seq++
	}
	roundTrip(t, x, 100, seq, buf)
	seq++
	if x.p.off != align8(recHeader+100) {
		t.Fatalf("empty ring past the hot window: producer at %d, want %d", x.p.off, align8(recHeader+100))
	}
	// Now keep one message unread: no early wrap.
	msg := make([]byte, 1000)
	for x.p.off < HotWindow {
		roundTrip(t, x, 1000, seq, buf)
		seq++
	}
	fill(msg, seq)
	if err := x.p.Send(msg); err != nil {
		t.Fatal(err)
	}
	held := seq
	seq++
	at := x.p.off
	fill(msg[:10], seq)
	if err := x.p.Send(msg[:10]); err != nil {
		t.Fatal(err)
	}
	if x.p.off != at+align8(recHeader+10) {
		t.Errorf("non-empty ring wrapped early: producer at %d, want %d", x.p.off, at+align8(recHeader+10))
	}
	for _, s := range []uint64{held, seq} {
		n, err := x.c.Recv(buf)
		if err != nil {
			t.Fatal(err)
		}
		if err := check(buf[:n], s); err != nil {
			t.Fatal(err)
		}
	}
}

func TestErrors(t *testing.T) {
	x := newPair(t, 100, "futex")
	if err := x.p.Send(make([]byte, 101)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("send over the limit: %v, want ErrTooLarge", err)
	}
	if err := x.p.Commit(1); !errors.Is(err, ErrNotReserved) {
		t.Errorf("commit without reserve: %v", err)
	}
	b, err := x.p.Reserve(50)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 50 || cap(b) != 50 {
		t.Errorf("reserve 50: len %d cap %d", len(b), cap(b))
	}
	if _, err := x.p.Reserve(10); !errors.Is(err, ErrReserved) {
		t.Errorf("second reserve: %v", err)
	}
	if err := x.p.Commit(51); err == nil {
		t.Errorf("commit of more than reserved succeeded")
	}
	copy(b, "hello, ring")
	if err := x.p.Commit(11); err != nil {
		t.Fatal(err)
	}
	if err := x.p.Commit(11); !errors.Is(err, ErrNotReserved) {
		t.Errorf("commit twice: %v", err)
	}
	if err := x.c.Release(); !errors.Is(err, ErrNoView) {
		t.Errorf("release without view: %v", err)
	}
	small := make([]byte, 5)
	if n, err := x.c.Recv(small); !errors.Is(err, ErrShortBuffer) || n != 11 {
		t.Errorf("recv into 5 bytes: %d, %v; want 11, ErrShortBuffer", n, err)
	}
	buf := make([]byte, 100)
	if n, err := x.c.Recv(buf); err != nil || string(buf[:n]) != "hello, ring" {
		t.Errorf("recv after short buffer: %q, %v", buf[:n], err)
	}
	// Peer closed: messages sent before the close still arrive.
	x.p.Send([]byte("last"))
	x.p.Close()
	if n, err := x.c.Recv(buf); err != nil || string(buf[:n]) != "last" {
		t.Errorf("recv of the last message: %q, %v", buf[:n], err)
	}
	if _, err := x.c.Recv(buf); !errors.Is(err, ErrPeerClosed) {
		t.Errorf("recv after producer close: %v, want ErrPeerClosed", err)
	}
	x.c.Close()
}

func TestSendToClosedConsumer(t *testing.T) {
	x := newPair(t, 100, "futex")
	x.c.Close()
	if err := x.p.Send([]byte("x")); !errors.Is(err, ErrPeerClosed) {
		t.Errorf("send after consumer close: %v, want ErrPeerClosed", err)
	}
}

var strategies = []string{"spin", "futex", "hybrid", "sem", "sysvsem", "eventfd"}

// TestInterrupt checks that the stop flag plus Wake ends a blocked Recv
// and a blocked Send (ring full), with every strategy.
func TestInterrupt(t *testing.T) {
	for _, s := range strategies {
		t.Run("wait="+s, func(t *testing.T) {
			x := newPair(t, 1000, s)
			errc := make(chan error, 1)
			go func() {
				_, err := x.c.Recv(make([]byte, 1000))
				errc <- err
			}()
			time.Sleep(20 * time.Millisecond)
			x.cstop.Store(true)
			x.c.ev.Data.Wake()
			select {
			case err := <-errc:
				if !errors.Is(err, ErrInterrupted) {
					t.Errorf("interrupted recv: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("recv not interrupted")
			}
			// Fill the ring, then interrupt a blocked send.
			msg := make([]byte, 1000)
			go func() {
				for {
					if err := x.p.Send(msg); err != nil {
						errc <- err
						return
					}
				}
			}()
			time.Sleep(20 * time.Millisecond)
			x.pstop.Store(true)
			x.p.ev.Space.Wake()
			select {
			case err := <-errc:
				if !errors.Is(err, ErrInterrupted) {
					t.Errorf("interrupted send: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("send not interrupted")
			}
		})
	}
}

// TestPeerCloseWakes checks that closing one side ends the other's
// blocked wait.
func TestPeerCloseWakes(t *testing.T) {
	for _, s := range strategies {
		t.Run("wait="+s, func(t *testing.T) {
			x := newPair(t, 1000, s)
			errc := make(chan error, 1)
			go func() {
				_, err := x.c.Recv(make([]byte, 1000))
				errc <- err
			}()
			time.Sleep(10 * time.Millisecond)
			x.p.Close()
			select {
			case err := <-errc:
				if !errors.Is(err, ErrPeerClosed) {
					t.Errorf("recv after close: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("recv not woken by close")
			}
		})
	}
}

// TestConcurrent streams random-size messages between two goroutines,
// through full and empty rings and wrap-arounds, with every strategy;
// run it with -race.
func TestConcurrent(t *testing.T) {
	for _, s := range strategies {
		for _, maxMsg := range []int{64, 3000, 70000} {
			t.Run(fmt.Sprintf("wait=%s/max=%d", s, maxMsg), func(t *testing.T) {
				x := newPair(t, maxMsg, s)
				n := 20000
				if testing.Short() || maxMsg > 10000 {
					n = 2000
				}
				var wg sync.WaitGroup
				wg.Add(1)
				var sendErr error
				go func() {
					defer wg.Done()
					rng := rand.New(rand.NewPCG(1, uint64(maxMsg)))
					msg := make([]byte, maxMsg)
					for i := range n {
						size := rng.IntN(maxMsg + 1)
						if i%7 == 0 {
							size = maxMsg
						}
						fill(msg[:size], uint64(i))
						if err := x.p.Send(msg[:size]); err != nil {
							sendErr = err
							return
						}
					}
				}()
				rng := rand.New(rand.NewPCG(1, uint64(maxMsg)))
				buf := make([]byte, maxMsg)
				for i := range n {
					size := rng.IntN(maxMsg + 1)
					if i%7 == 0 {
						size = maxMsg
					}
					// Every other message goes through RecvPieces, whose
					// pieces must tile the message in order.
					var got, tiled int
					var err error
					if i%2 == 0 {
						got, err = x.c.Recv(buf)
						tiled = got
					} else {
						got, err = x.c.RecvPieces(buf, func(off int, piece []byte) {
							if off != tiled || &piece[0] != &buf[off] {
								t.Errorf("message %d: piece at %d, want one at %d of buf", i, off, tiled)
							}
							tiled = off + len(piece)
						})
					}
					if err != nil {
						t.Fatalf("recv %d: %v", i, err)
					}
					if tiled != got {
						t.Fatalf("message %d: pieces cover %d of %d bytes", i, tiled, got)
					}
					if got != size {
						t.Fatalf("message %d: %d bytes, want %d", i, got, size)
					}
					if err := check(buf[:got], uint64(i)); err != nil {
						t.Fatal(err)
					}
				}
				wg.Wait()
				if sendErr != nil {
					t.Fatal(sendErr)
				}
			})
		}
	}
}

// TestMappedPingPong bounces messages between two goroutines, each on its
// own thread, through two rings in a shared mapping (as the transports
// place them), with every strategy that sleeps, and fails if a round trip
// makes no progress for 10 s: a lost wake-up. Run it with -race too. The
// race detector leaves atomics on memory outside the Go heap to plain
// instructions of their nominal order, and a Go atomic store there is then
// a release store (a MOV on amd64) that a later load may pass: the
// sleeping-flag handshake lost wake-ups that way (one test in a few
// thousand under -race hung; never without).
func TestMappedPingPong(t *testing.T) {
	for _, s := range strategies {
		if s == "spin" {
			continue // never sleeps: nothing to lose
		}
		t.Run("wait="+s, func(t *testing.T) {
			const maxMsg = 64
			size := SizeFor(maxMsg, Records)
			mem, err := unix.Mmap(-1, 0, 2*size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_ANONYMOUS)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { unix.Munmap(mem) })
			ping := newPairOn(t, mem[:size], maxMsg, Records, s)
			pong := newPairOn(t, mem[size:], maxMsg, Records, s)
			n := 20000
			if testing.Short() {
				n = 5000
			}
			var progress atomic.Int64
			errc := make(chan error, 1)
			go func() { // the echoing side
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				buf := make([]byte, maxMsg)
				for range n {
					k, err := ping.c.Recv(buf)
					if err == nil {
						err = pong.p.Send(buf[:k])
					}
					if err != nil {
						errc <- err
						return
					}
				}
				errc <- nil
			}()
			done := make(chan struct{})
			var stalled atomic.Bool
			go func() { // the watchdog
				last := int64(-1)
				for {
					select {
					case <-done:
						return
					case <-time.After(10 * time.Second):
					}
					if now := progress.Load(); now != last {
						last = now
						continue
					}
					stalled.Store(true)
					for _, x := range []*pair{ping, pong} {
						x.pstop.Store(true)
						x.cstop.Store(true)
						x.p.ev.Space.Wake()
						x.c.ev.Data.Wake()
					}
					return
				}
			}()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			msg, buf := make([]byte, maxMsg), make([]byte, maxMsg)
			for i := range n {
				fill(msg, uint64(i))
				if err := ping.p.Send(msg); err != nil {
					t.Fatalf("round trip %d: send: %v (stalled: %v)", i, err, stalled.Load())
				}
				k, err := pong.c.Recv(buf)
				if err != nil {
					t.Fatalf("round trip %d: recv: %v (stalled: %v, a lost wake-up)", i, err, stalled.Load())
				}
				if err := check(buf[:k], uint64(i)); err != nil {
					t.Fatal(err)
				}
				progress.Store(int64(i))
			}
			close(done)
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestZeroCopyPath uses Reserve/Commit and Peek/Release directly.
func TestZeroCopyPath(t *testing.T) {
	x := newPair(t, 5000, "futex")
	for i := range 200 {
		n := (i * 37) % 5001
		b, err := x.p.Reserve(n)
		if err != nil {
			t.Fatal(err)
		}
		fill(b, uint64(i))
		if err := x.p.Commit(n); err != nil {
			t.Fatal(err)
		}
		v, err := x.c.Peek()
		if err != nil {
			t.Fatal(err)
		}
		v2, _ := x.c.Peek()
		if len(v) != n || len(v2) != n || (n > 0 && &v[0] != &v2[0]) {
			t.Fatalf("peek twice: %d and %d bytes, want the same %d", len(v), len(v2), n)
		}
		if err := check(v, uint64(i)); err != nil {
			t.Fatal(err)
		}
		if err := x.c.Release(); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzRing drives random message sizes through a ring: each input byte
// pair is a size (scaled to the ring's limit), and the top bit of the
// first byte says whether to drain the ring afterwards. Every message is
// verified; the ring may be full (the sender then drains first).
func FuzzRing(f *testing.F) {
	f.Add([]byte{0, 0, 255, 255, 128, 1, 7, 9})
	f.Add([]byte{255, 255, 255, 255, 255, 255, 0, 1})
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 200, 100})
	f.Fuzz(func(t *testing.T, data []byte) {
		const maxMsg = 9000
		x := newPair(t, maxMsg, "spin")
		var queue []int // sizes sent, not yet received
		sent, recvd := uint64(0), uint64(0)
		buf := make([]byte, maxMsg)
		msg := make([]byte, maxMsg)
		recvOne := func() {
			n, err := x.c.Recv(buf)
			if err != nil {
				t.Fatalf("recv %d: %v", recvd, err)
			}
			if n != queue[0] {
				t.Fatalf("message %d: %d bytes, want %d", recvd, n, queue[0])
			}
			if err := check(buf[:n], recvd); err != nil {
				t.Fatal(err)
			}
			queue = queue[1:]
			recvd++
		}
		for i := 0; i+1 < len(data); i += 2 {
			size := (int(data[i]&0x7f)<<8 | int(data[i+1])) * (maxMsg + 1) / (1 << 15)
			if data[i] == 0xff && data[i+1] == 0xff {
				size = maxMsg
			}
			for !x.fits(size) {
				if len(queue) == 0 {
					t.Fatalf("a %d-byte message does not fit an empty ring", size)
				}
				recvOne()
			}
			fill(msg[:size], sent)
			if err := x.p.Send(msg[:size]); err != nil {
				t.Fatalf("send %d (%d bytes): %v", sent, size, err)
			}
			sent++
			queue = append(queue, size)
			if data[i]&0x80 != 0 {
				for len(queue) > 0 {
					recvOne()
				}
			}
		}
		for len(queue) > 0 {
			recvOne()
		}
	})
}

// countingEvent is a data event that counts its Waits; counting says
// whether it claims wait.Counting.
type countingEvent struct {
	waits    int
	counting bool
}

func (e *countingEvent) Wait(c wait.Cond) error {
	e.waits++
	for !c.Ready() {
	}
	return nil
}
func (e *countingEvent) Notify()        {}
func (e *countingEvent) Wake()          {}
func (e *countingEvent) Counting() bool { return e.counting }

// TestWaitPerMessage: a consumer takes a message that is already there
// without its wait strategy, except from a counting event (sem, sysvsem),
// whose receiver must wait once per message to take its token.
func TestWaitPerMessage(t *testing.T) {
	for _, counting := range []bool{false, true} {
		mem := alignedMem(Size(64))
		r, err := Init(mem, 64)
		if err != nil {
			t.Fatal(err)
		}
		space, err := wait.Lookup("spin")
		if err != nil {
			t.Fatal(err)
		}
		set, _, err := space.Create([]wait.Slot{{Mem: r.SpaceSlot()}})
		if err != nil {
			t.Fatal(err)
		}
		ev := &countingEvent{counting: counting}
		var stop atomic.Bool
		p := r.Producer(Events{Data: ev, Space: set.Event(0)}, &stop)
		c := r.Consumer(Events{Data: ev, Space: set.Event(0)}, &stop)
		buf := make([]byte, 64)
		for i := range 3 {
			if err := p.Send([]byte{byte(i)}); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 3 {
			if n, err := c.Recv(buf); err != nil || n != 1 || buf[0] != byte(i) {
				t.Fatalf("counting=%v: message %d: %d bytes %v, err %v", counting, i, n, buf[:n], err)
			}
		}
		want := 0
		if counting {
			want = 3
		}
		if ev.waits != want {
			t.Errorf("counting=%v: %d waits for 3 messages already there, want %d", counting, ev.waits, want)
		}
		set.Close()
	}
}
