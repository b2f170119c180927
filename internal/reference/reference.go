// Package reference holds the operations ipcbench measures as floors, so
// that every transport can be judged against what the machine can do at
// best, in the same run:
//
//   - Cacheline: two processes bounce one cache line with atomic stores
//     and loads: the hardware floor of any shared-memory handoff.
//   - Futex: a futex wake round trip between two processes: the floor of
//     any handoff in which the waiter sleeps.
//   - CopyLoop: the shortest two-process stream through one shared
//     mapping (two slots, a flag each, memcpy in and out): the limit of a
//     copying shared-memory transport, without a ring's generality.
//   - Ring: the single-producer single-consumer ring a careful C
//     programmer writes for a stream of fixed-size messages: RingBytes of
//     slots (at least RingMinSlots), each a message rounded up to a cache
//     line, a producer and a consumer index on cache lines of their own,
//     each side keeping a cached copy of the other's index so that it
//     reads the shared one only when the ring looks full or empty (as
//     rigtorp's SPSCQueue or the Linux kernel's kfifo); memcpy in, memcpy
//     out, spin waits. The copying floor that stream targets are judged
//     against, with the copy loop (scripts/crosscheck/ref.c has the same
//     ring in C).
//
// The one-process floors (memcpy, a trivial system call) need nothing
// shared and live in package bench.
//
// Waiting here spins a bounded number of times and then yields the CPU,
// so that the floors stay meaningful when both processes share one CPU.
// Stop ends every wait, on both sides: the peer's serving loop returns,
// and the parent's half of an op reports false.
package reference

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/ipcbench/ipcbench/internal/shm"
	"github.com/ipcbench/ipcbench/internal/sys"
	"golang.org/x/sys/unix"
)

// Layout of the shared page: ping and pong share one cache line (the
// cache-line floor moves exactly one line); the copy loop's flags sit on
// lines of their own; slots start at dataOff.
const (
	pingOff  = 0
	pongOff  = 4
	flag0Off = 128
	flag1Off = 192
	headOff  = 256 // Ring: messages produced (uint64)
	tailOff  = 320 // Ring: messages consumed (uint64)
	rStopOff = 384 // Ring: stop word
	dataOff  = 4096
	stop     = ^uint32(0)
	spins    = 2048 // polls before yielding; as scripts/crosscheck/ref.c
)

// Shared is memory shared by the two processes of a reference
// measurement: a memfd mapping.
type Shared struct {
	m    *shm.Mapping
	size int

	mu     sync.Mutex // orders Stop against Close
	closed bool
}

// RingBytes is the ring's payload space, and RingMinSlots the fewest
// slots it has (a 1 MiB message gets two slots of 1 MiB).
const (
	RingBytes    = 1 << 20
	RingMinSlots = 2
)

// slotLen is a message of size bytes rounded up to a cache line (one
// line at least).
func slotLen(size int) int { return max(64, (size+63)&^63) }

// RingSlots is the number of slots of the ring for size-byte messages: a
// power of two, RingBytes of slots or RingMinSlots.
func RingSlots(size int) int {
	n := RingMinSlots
	for n*2*slotLen(size) <= RingBytes {
		n *= 2
	}
	return n
}

// Size is the mapping size a reference op needs for messages of size
// bytes: room for the copy loop's two slots and for the ring.
func Size(size int) int { return dataOff + max(2, RingSlots(size))*slotLen(size) + 4096 }

// Create makes the mapping and returns the file to hand to the peer.
func Create(size int) (*Shared, *os.File, error) {
	n := Size(size)
	m, f, err := shm.CreateMemfd(n)
	if err != nil {
		return nil, nil, err
	}
	return &Shared{m: m, size: size}, f, nil
}

// Attach maps the file Create made.
func Attach(f *os.File, size int) (*Shared, error) {
	m, err := shm.MapFile(f, Size(size))
	if err != nil {
		return nil, err
	}
	return &Shared{m: m, size: size}, nil
}

// Close unmaps the memory. Stop after Close does nothing.
func (s *Shared) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return s.m.Close()
}

func (s *Shared) word(off int) *uint32 { return (*uint32)(unsafe.Pointer(&s.m.Mem[off])) }

func (s *Shared) slot(k int) []byte {
	n := (s.size + 63) &^ 63
	return s.m.Mem[dataOff+k*n : dataOff+k*n+s.size]
}

// waitFor spins until *w == want (bounded, then yielding), or until *w is
// stop when stoppable; it reports whether want was seen.
func waitFor(w *uint32, want uint32) bool {
	for i := 0; ; i++ {
		v := atomic.LoadUint32(w)
		if v == want {
			return true
		}
		if v == stop {
			return false
		}
		if i >= spins {
			yield()
		}
	}
}

func yield() { unix.RawSyscall(unix.SYS_SCHED_YIELD, 0, 0, 0) }

// CachelinePing is the parent's half of one cache-line round trip: store
// seq (never 0 or ^0) and wait for the peer to store it back. It reports
// false if Stop ended the wait.
func (s *Shared) CachelinePing(seq uint32) bool {
	atomic.StoreUint32(s.word(pingOff), seq)
	return waitFor(s.word(pongOff), seq)
}

// CachelineServe is the peer's half: echo every ping until Stop.
func (s *Shared) CachelineServe() {
	ping, pong := s.word(pingOff), s.word(pongOff)
	for last := uint32(0); ; {
		v := atomic.LoadUint32(ping)
		for i := 0; v == last; i++ {
			if i >= spins {
				yield()
			}
			v = atomic.LoadUint32(ping)
		}
		if v == stop {
			return
		}
		atomic.StoreUint32(pong, v)
		last = v
	}
}

// Stop ends the peer's serving loop (cache line, futex, copy loop) and any
// wait of the parent's half of an op, which then reports false: the
// parent calls it at the end of a run, and when the peer dies. It may run
// concurrently with the ops and with Close.
func (s *Shared) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	for _, off := range []int{pingOff, pongOff, flag0Off, flag1Off, rStopOff} {
		atomic.StoreUint32(s.word(off), stop)
		sys.FutexWake(s.word(off), 1)
	}
}

// futexWait sleeps until *w != old.
func futexWait(w *uint32, old uint32) uint32 {
	for {
		v := atomic.LoadUint32(w)
		if v != old {
			return v
		}
		if err := sys.FutexWait(w, old); err != nil && err != unix.EAGAIN && err != unix.EINTR {
			panic(fmt.Sprintf("futex wait: %v", err))
		}
	}
}

// FutexPing is the parent's half of one futex round trip: store seq, wake
// the peer, sleep until it stores seq back and wakes us. No spinning: both
// sides sleep in the kernel every time. It reports false if Stop ended the
// wait.
func (s *Shared) FutexPing(seq uint32) bool {
	ping, pong := s.word(pingOff), s.word(pongOff)
	old := atomic.LoadUint32(pong)
	atomic.StoreUint32(ping, seq)
	sys.FutexWake(ping, 1)
	for old != seq {
		if old == stop {
			return false
		}
		old = futexWait(pong, old)
	}
	return true
}

// FutexServe is the peer's half: sleep until a ping, echo it, wake the
// parent; until Stop.
func (s *Shared) FutexServe() {
	ping, pong := s.word(pingOff), s.word(pongOff)
	for last := uint32(0); ; {
		v := futexWait(ping, last)
		if v == stop {
			return
		}
		atomic.StoreUint32(pong, v)
		sys.FutexWake(pong, 1)
		last = v
	}
}

// CopySend is the producer's half of the copy loop: message i goes into
// slot i%2 once the consumer has emptied it. It reports false if Stop
// ended the wait.
func (s *Shared) CopySend(i uint64, src []byte) bool {
	k := int(i & 1)
	flag := s.word(flag0Off + 64*k)
	if !waitFor(flag, 0) {
		return false
	}
	copy(s.slot(k), src)
	atomic.StoreUint32(flag, 1)
	return true
}

// CopyDrain waits until the consumer has emptied both slots. It reports
// false if Stop ended the wait.
func (s *Shared) CopyDrain() bool {
	return waitFor(s.word(flag0Off), 0) && waitFor(s.word(flag1Off), 0)
}

// CopyServe is the consumer's half: copy each message out of its slot into
// dst, until Stop; it returns the number of messages.
func (s *Shared) CopyServe(dst []byte) uint64 {
	var i uint64
	for ; ; i++ {
		k := int(i & 1)
		flag := s.word(flag0Off + 64*k)
		if !waitFor(flag, 1) {
			return i
		}
		copy(dst, s.slot(k))
		atomic.StoreUint32(flag, 0)
	}
}

// A Ring is one side's view of the ring in a Shared mapping (NewRing):
// its own index and its cached copy of the other side's.
type Ring struct {
	s          *Shared
	head, tail *uint64 // shared: produced, consumed
	stopped    *uint32
	mask       uint64
	slot       int    // bytes per slot
	own, other uint64 // this side's index, and the other's as last read
}

// NewRing returns a side of the ring for the mapping's message size. The
// producer and the consumer each make their own.
func (s *Shared) NewRing() *Ring {
	return &Ring{
		s:       s,
		head:    (*uint64)(unsafe.Pointer(&s.m.Mem[headOff])),
		tail:    (*uint64)(unsafe.Pointer(&s.m.Mem[tailOff])),
		stopped: s.word(rStopOff),
		mask:    uint64(RingSlots(s.size) - 1),
		slot:    slotLen(s.size),
	}
}

func (r *Ring) slotAt(i uint64) []byte {
	off := dataOff + int(i&r.mask)*r.slot
	return r.s.m.Mem[off : off+r.s.size]
}

// wait spins (bounded, then yielding) until ok(the other side's index)
// holds, rereading it; it reports false if Stop ended the wait.
func (r *Ring) wait(idx *uint64, ok func(other uint64) bool) bool {
	for i := 0; ; i++ {
		r.other = atomic.LoadUint64(idx)
		if ok(r.other) {
			return true
		}
		if atomic.LoadUint32(r.stopped) == stop {
			return false
		}
		if i >= spins {
			yield()
		}
	}
}

// Send is the producer: copy msg (the mapping's message size) into the
// next slot once there is room, and publish it. It reports false if Stop
// ended the wait.
func (r *Ring) Send(msg []byte) bool {
	room := func(tail uint64) bool { return r.own-tail <= r.mask }
	if !room(r.other) && !r.wait(r.tail, room) {
		return false
	}
	copy(r.slotAt(r.own), msg)
	r.own++
	atomic.StoreUint64(r.head, r.own)
	return true
}

// Drain waits until the consumer has taken every message sent. It reports
// false if Stop ended the wait.
func (r *Ring) Drain() bool {
	return r.wait(r.tail, func(tail uint64) bool { return tail == r.own })
}

// Serve is the consumer: copy each message out into dst until Stop, or
// until each (when not nil) returns false for message i in dst; it
// returns the number of messages.
func (r *Ring) Serve(dst []byte, each func(i uint64, msg []byte) bool) uint64 {
	ready := func(head uint64) bool { return head != r.own }
	for {
		if !ready(r.other) && !r.wait(r.head, ready) {
			return r.own
		}
		copy(dst, r.slotAt(r.own))
		if each != nil && !each(r.own, dst) {
			return r.own
		}
		r.own++
		atomic.StoreUint64(r.tail, r.own)
	}
}
