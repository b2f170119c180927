// Package ring is the single-producer single-consumer ring of the
// shared-memory transports: variable-length messages, each contiguous in
// a shared mapping, passed between two processes with atomics only and a
// wait strategy (package wait) for when one side must wait.
//
// # Layout
//
// A ring is a region of HeaderSize bytes of header followed by Cap bytes
// of data. Header fields that the two sides write sit on cache lines of
// their own, 128 bytes apart (adjacent-line prefetchers pull pairs of
// lines):
//
//	0    magic, capacity, largest message   (written once by Init)
//	128  tail: bytes released by the consumer (consumer writes)
//	256  producer closed flag
//	384  consumer closed flag
//	512  data-available event slot  (wait.SlotSize; the consumer sleeps on it)
//	640  space-available event slot (the producer sleeps on it)
//
// The data area holds records, 8-byte aligned: an 8-byte header word, then
// the payload. The header word is 0 (nothing yet), dataFlag|length (a
// message), dataFlag|checkFlag|checksum<<35|length (a message committed by
// a producer in check mode, see below) or wrapMarker (the rest of the data
// area is unused this lap: continue at offset 0). A message never
// straddles the end of the area, so a reader can be handed a view of it in
// place: the zero-copy path (transports.ZeroCopyConn) is
// Producer.Reserve/Commit and Consumer.Peek/Release.
//
// # Check mode
//
// Nothing stops a writer from keeping the slice Reserve returned and
// writing through it after Commit, when the consumer may be reading it.
// A producer in check mode (SetCheck) poisons each reservation (0xA5) and
// stores a 29-bit CRC-32C of the payload in the header word at Commit; the
// consumer verifies it when it first looks at the message (Peek, Recv) and
// again at Release, and reports a difference as ErrModified. It costs a
// pass over the payload on each side, so it is for tests and debugging,
// not for measurements. The consumer verifies whatever the producer sent,
// so only the producer chooses.
//
// # Protocol
//
// There is no shared head index: the consumer polls the header word at
// its own offset, which the producer stores last, after the payload (and
// after storing 0 at the offset where the following record will start,
// so that stale bytes from an earlier lap are never taken for a header).
// The producer learns free space from the consumer's tail, which it reads
// only when its cached copy says the record might not fit. So a message
// costs the producer one payload copy and two 8-byte stores, and the
// consumer one load, one payload copy and one store. With sleeping wait
// strategies the publishing stores are sequentially consistent (they
// order the sleeping-flag handshake, see package wait); with polling ones
// (spin) they are release stores, a plain MOV on amd64, and Notify is
// skipped. When the ring is
// empty and the producer is past HotWindow it wraps early, so that
// ping-pong traffic keeps reusing the same few cache lines and pages
// whatever the ring's capacity.
//
// Capacity: a record of the largest message, plus the header of the next
// record, plus the unused tail end of the area when it wraps, must fit.
// A consumer holds its record for as long as it reads it, in place or
// copying it out (Recv copies between Peek and Release), so the producer
// can only work ahead into the rest of the area. With room for two
// records, a lap is two records and the producer cannot wrap to offset 0
// while the consumer still reads the second: every lap, the producer
// waits for the consumer to finish (a 64 KiB stream ran at 0.65× a
// two-slot copy loop, against 0.9× with three). And the producer needs
// the next record's header free as well as its own record: with records
// of the largest size, that header is the first word of the oldest record
// still in the ring, so writing message k waits until message k-R+1 is
// released, R the records of room. Three records thus keep one message
// in flight besides the one being written, not two. CapacityFor(maxMsg,
// Records) is room for four records of the largest message and the
// header of the next, rounded up to pages, never less than MinCap: while
// the consumer reads one message, the producer has finished the next and
// writes the one after, as in a C ring of three slots
// (scripts/crosscheck/ref.c's zcstream and cpstream).
//
// Depth: a few records keep the two sides in step, a message or two
// apart, and a stream of small or medium messages then pays a hand-off on
// almost every message. Capacity gives the transports' rings at least StreamCap
// (1 MiB), the depth of the SPSC floor ring a C programmer writes for a
// stream (16 slots of 64 KiB), so that the producer works up to a
// megabyte ahead of the consumer. Ping-pong traffic is not spread over
// the larger area: the early wrap below keeps it within HotWindow.
//
// Each side of a ring is used by one goroutine at a time; Interrupt (the
// stop flag), Close of the other side and Wake may come from anywhere.
package ring

import (
	"errors"
	"fmt"
	"hash/crc32"
	"sync/atomic"
	"unsafe"

	"github.com/ipcbench/ipcbench/internal/memcopy"
	"github.com/ipcbench/ipcbench/transports/internal/wait"
)

// Geometry.
const (
	// HeaderSize is the size of a ring's header, before its data area.
	HeaderSize = 4096
	// MinCap is the smallest data area a ring may have (Init, Open).
	MinCap = 64 << 10
	// StreamCap is the smallest data area Capacity gives: the depth of a
	// stream's ring (see the package doc).
	StreamCap = 1 << 20
	// HotWindow is the offset past which a producer that finds the ring
	// empty starts again at offset 0.
	HotWindow = 32 << 10
	// MaxLimit is the largest message the header word can describe.
	MaxLimit = 1<<32 - 1 - 64
	// Align is the alignment of records, and of the ring's memory.
	Align = 8

	pageSize   = 4096
	lineSize   = 64
	recHeader  = 8
	dataFlag   = 1 << 32
	wrapMarker = 1 << 33
	checkFlag  = 1 << 34
	lenMask    = 1<<32 - 1
	sumShift   = 35
	sumMask    = 1<<29 - 1
	poison     = 0xA5
	magic      = 0x676e69726370_6269 // "ibpcring", little-endian-ish tag

	offMagic          = 0
	offCap            = 8
	offMaxMsg         = 16
	offTail           = 128
	offProducerClosed = 256
	offConsumerClosed = 384
	offDataSlot       = 512
	offSpaceSlot      = 640
	// wrapRecheck is how far the producer goes between two early-wrap
	// looks at the tail while the ring is not empty.
	wrapRecheck = 4096
	// inlinePolls is how many times Recv looks at the header itself
	// before a polling strategy's Wait (a few hundred nanoseconds).
	inlinePolls = 256
)

// Errors of the ring. The transports map them to their own.
var (
	ErrTooLarge     = errors.New("ring: message larger than the ring's limit")
	ErrInterrupted  = errors.New("ring: interrupted")
	ErrPeerClosed   = errors.New("ring: other side closed")
	ErrCorrupt      = errors.New("ring: corrupt record header")
	ErrNotReserved  = errors.New("ring: commit without a reservation")
	ErrReserved     = errors.New("ring: reservation already pending")
	ErrNoView       = errors.New("ring: release without a view")
	ErrShortBuffer  = errors.New("ring: buffer shorter than the message")
	ErrBadGeometry  = errors.New("ring: bad geometry")
	ErrModified     = errors.New("ring: message changed after commit")
	errBadAlignment = errors.New("ring: memory not 64-byte aligned")
)

func align8(n int) int { return (n + Align - 1) &^ (Align - 1) }

// Records is how many records of the largest message a ring of Capacity
// holds: one being written, one finished and waiting, one being read, and
// the one whose first word is the next record's header (see the package
// doc).
const Records = 4

// Capacity returns the size of the data area of a transport's ring for
// messages of up to maxMsg bytes: CapacityFor(maxMsg, Records), and at
// least StreamCap.
func Capacity(maxMsg int) int { return max(CapacityFor(maxMsg, Records), StreamCap) }

// CapacityFor returns the size of a data area that holds records records
// of the largest message (at least 2; from 3 on, plus the header of the
// next record), rounded up to pages, and never less than MinCap.
func CapacityFor(maxMsg, records int) int {
	rec := align8(recHeader + maxMsg)
	c := max(records, 2) * rec
	if records > 2 {
		c += recHeader
	}
	c = max(c, MinCap)
	return (c + pageSize - 1) &^ (pageSize - 1)
}

// Size returns the bytes a ring for messages of up to maxMsg bytes takes:
// header plus data area. It is a multiple of the page size.
func Size(maxMsg int) int { return HeaderSize + Capacity(maxMsg) }

// SizeFor is Size for a ring of CapacityFor(maxMsg, records).
func SizeFor(maxMsg, records int) int { return HeaderSize + CapacityFor(maxMsg, records) }

// A Ring is a view of a ring's memory.
type Ring struct {
	mem    []byte
	data   []byte
	cap    int
	maxMsg int
}

// Init formats mem (at least Size(maxMsg) bytes, zeroed, 64-byte aligned)
// as an empty ring of Capacity(maxMsg) for messages of up to maxMsg
// bytes, and returns it.
func Init(mem []byte, maxMsg int) (*Ring, error) {
	if maxMsg < 0 || maxMsg > MaxLimit {
		return nil, fmt.Errorf("%w: largest message %d", ErrBadGeometry, maxMsg)
	}
	return format(mem, maxMsg, Capacity(maxMsg))
}

// InitFor is Init for a ring of CapacityFor(maxMsg, records), in at least
// SizeFor(maxMsg, records) bytes.
func InitFor(mem []byte, maxMsg, records int) (*Ring, error) {
	if maxMsg < 0 || maxMsg > MaxLimit {
		return nil, fmt.Errorf("%w: largest message %d", ErrBadGeometry, maxMsg)
	}
	return format(mem, maxMsg, CapacityFor(maxMsg, records))
}

// format is Init and InitFor: a ring with a data area of c bytes.
func format(mem []byte, maxMsg, c int) (*Ring, error) {
	if len(mem) < HeaderSize+c {
		return nil, fmt.Errorf("%w: %d bytes for a ring of %d", ErrBadGeometry, len(mem), HeaderSize+c)
	}
	if uintptr(unsafe.Pointer(&mem[0]))%64 != 0 {
		return nil, errBadAlignment
	}
	r := &Ring{mem: mem[:HeaderSize+c], data: mem[HeaderSize : HeaderSize+c], cap: c, maxMsg: maxMsg}
	atomic.StoreUint64(r.word(offCap), uint64(c))
	atomic.StoreUint64(r.word(offMaxMsg), uint64(maxMsg))
	atomic.StoreUint64(r.word(offTail), 0)
	atomic.StoreUint64(r.hdrAt(0), 0)
	atomic.StoreUint64(r.word(offMagic), magic)
	return r, nil
}

// Open returns a view of a ring that Init formatted in mem (the same
// shared memory, mapped by another process).
func Open(mem []byte) (*Ring, error) {
	if len(mem) < HeaderSize+MinCap {
		return nil, fmt.Errorf("%w: %d bytes", ErrBadGeometry, len(mem))
	}
	if uintptr(unsafe.Pointer(&mem[0]))%64 != 0 {
		return nil, errBadAlignment
	}
	r := &Ring{mem: mem}
	if m := atomic.LoadUint64(r.word(offMagic)); m != magic {
		return nil, fmt.Errorf("%w: magic %#x", ErrBadGeometry, m)
	}
	c, mm := atomic.LoadUint64(r.word(offCap)), atomic.LoadUint64(r.word(offMaxMsg))
	if c < MinCap || c%pageSize != 0 || c > uint64(len(mem)-HeaderSize) || mm > MaxLimit || int(c) < CapacityFor(int(mm), 2) {
		return nil, fmt.Errorf("%w: capacity %d, largest message %d, %d bytes mapped", ErrBadGeometry, c, mm, len(mem))
	}
	r.cap, r.maxMsg = int(c), int(mm)
	r.mem = mem[:HeaderSize+r.cap]
	r.data = mem[HeaderSize : HeaderSize+r.cap]
	return r, nil
}

// Cap returns the size of the data area.
func (r *Ring) Cap() int { return r.cap }

// MaxMessage returns the largest message the ring carries.
func (r *Ring) MaxMessage() int { return r.maxMsg }

// DataSlot is the shared memory of the data-available event.
func (r *Ring) DataSlot() []byte { return r.mem[offDataSlot : offDataSlot+wait.SlotSize] }

// SpaceSlot is the shared memory of the space-available event.
func (r *Ring) SpaceSlot() []byte { return r.mem[offSpaceSlot : offSpaceSlot+wait.SlotSize] }

func (r *Ring) word(off int) *uint64 { return (*uint64)(unsafe.Pointer(&r.mem[off])) }

func (r *Ring) flag(off int) *uint32 { return (*uint32)(unsafe.Pointer(&r.mem[off])) }

func (r *Ring) hdrAt(off int) *uint64 { return (*uint64)(unsafe.Pointer(&r.data[off])) }

// Events are the wait-strategy handles one side uses on a ring.
type Events struct {
	// Data is the data-available event (the consumer waits, the producer
	// notifies).
	Data wait.Event
	// Space is the space-available event (the producer waits, the
	// consumer notifies).
	Space wait.Event
}

// polling reports whether both events only poll (wait.Polling): then
// nobody ever sleeps, Notify is a no-op, and publishing needs release
// stores only, not the sequentially consistent ones that order the
// sleeping-flag handshake.
func (ev Events) polling() bool {
	pd, ok1 := ev.Data.(wait.Polling)
	ps, ok2 := ev.Space.(wait.Polling)
	return ok1 && ok2 && pd.Polling() && ps.Polling()
}

// Producer returns the producing side of r. stop is the caller's
// interrupt flag: once set, a blocked Reserve returns ErrInterrupted.
func (r *Ring) Producer(ev Events, stop *atomic.Bool) *Producer {
	return &Producer{
		r: r, data: r.data, cap: r.cap, maxMsg: r.maxMsg,
		tail: atomic.LoadUint64(r.word(offTail)), tailp: r.word(offTail),
		myClosed: r.flag(offProducerClosed), peerClosed: r.flag(offConsumerClosed),
		ev: ev, stop: stop, resOff: -1, hot: HotWindow, relaxed: ev.polling(),
	}
}

// Consumer returns the consuming side of r. stop is as for Producer.
func (r *Ring) Consumer(ev Events, stop *atomic.Bool) *Consumer {
	return &Consumer{
		r: r, data: r.data, cap: r.cap, maxMsg: r.maxMsg,
		tailp:    r.word(offTail),
		myClosed: r.flag(offConsumerClosed), peerClosed: r.flag(offProducerClosed),
		ev: ev, stop: stop, view: -1, relaxed: ev.polling(), counting: wait.IsCounting(ev.Data),
	}
}

// A Producer writes messages into a ring. It is used by one goroutine.
type Producer struct {
	r          *Ring
	data       []byte
	cap        int
	maxMsg     int
	pos        uint64 // bytes written, wrap padding included: pos % cap == off
	off        int
	tail       uint64 // cached consumer tail
	tailp      *uint64
	need       uint64 // bytes the pending Reserve needs (for Ready)
	checkAt    int    // next offset for an early-wrap look
	hot        int    // HotWindow (tests turn the early wrap off)
	myClosed   *uint32
	peerClosed *uint32
	ev         Events
	stop       *atomic.Bool
	relaxed    bool // polling events: release stores, no Notify

	resOff  int // offset of the reserved record, -1 if none
	resN    int
	zeroed  int // offset of the next header Reserve zeroed
	resWrap bool
	check   bool // check mode: poison reservations, checksum commits
}

// SetCheck turns check mode on or off for later reservations (see the
// package doc).
func (p *Producer) SetCheck(on bool) { p.check = on }

// Reserved reports whether a reservation is pending.
func (p *Producer) Reserved() bool { return p.resOff >= 0 }

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func checksum(b []byte) uint64 { return uint64(crc32.Checksum(b, castagnoli)) & sumMask }

// Ready reports whether the pending reservation fits, or the wait must
// stop. It implements wait.Cond.
func (p *Producer) Ready() bool {
	p.tail = atomic.LoadUint64(p.tailp)
	return p.pos+p.need-p.tail <= uint64(p.cap) || p.Stopped()
}

// Stopped reports an interrupt or a closed consumer. It implements
// wait.Cond.
func (p *Producer) Stopped() bool {
	return p.stop.Load() || atomic.LoadUint32(p.peerClosed) != 0
}

// Reserve waits until a record of n bytes fits and returns the n bytes of
// the ring where its payload goes. The caller writes them and calls
// Commit; nothing is visible to the consumer before. Only one reservation
// may be pending.
func (p *Producer) Reserve(n int) ([]byte, error) {
	if n < 0 || n > p.maxMsg {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, n, p.maxMsg)
	}
	if p.resOff >= 0 {
		return nil, ErrReserved
	}
	if atomic.LoadUint32(p.peerClosed) != 0 {
		return nil, ErrPeerClosed
	}
	rec := align8(recHeader + n)
	off := p.off
	wrap := off+rec > p.cap
	if !wrap && off >= p.hot && off >= p.checkAt {
		// Past the hot window: start again at 0 if the consumer has
		// caught up, so that the working set stays small.
		p.tail = atomic.LoadUint64(p.tailp)
		if p.tail == p.pos && p.cap-off+rec+recHeader <= p.cap {
			wrap = true
		} else {
			p.checkAt = off + wrapRecheck
		}
	}
	need := uint64(rec + recHeader) // the record and the next record's header
	if wrap {
		need += uint64(p.cap - off)
	}
	if p.pos+need-p.tail > uint64(p.cap) {
		p.tail = atomic.LoadUint64(p.tailp)
		if p.pos+need-p.tail > uint64(p.cap) {
			p.need = need
			for {
				if err := p.ev.Space.Wait(p); err != nil {
					return nil, err
				}
				p.tail = atomic.LoadUint64(p.tailp)
				if p.pos+need-p.tail <= uint64(p.cap) {
					break
				}
				if atomic.LoadUint32(p.peerClosed) != 0 {
					return nil, ErrPeerClosed
				}
				if p.stop.Load() {
					return nil, ErrInterrupted
				}
			}
		}
	}
	start := off
	if wrap {
		start = 0
	}
	p.resOff, p.resN, p.resWrap = start, n, wrap
	// The next record's header must read "nothing yet" before this one
	// becomes visible. Zeroed now, before the payload is written, it
	// leaves the cache line it shares with the payload's tail before
	// Commit's publishing store, rather than behind it in the store
	// buffer (docs/tuning.md).
	// Commit zeroes again only if it publishes fewer bytes.
	p.zeroed = p.nextOff(start, n)
	*p.hdrAt(p.zeroed) = 0
	b := p.data[start+recHeader : start+recHeader+n : start+recHeader+n]
	if p.check {
		for i := range b {
			b[i] = poison
		}
	}
	return b, nil
}

// Commit publishes the first n bytes of the pending reservation (n at
// most what Reserve was asked for) as one message and notifies the
// consumer.
func (p *Producer) Commit(n int) error {
	start := p.resOff
	if start < 0 {
		return ErrNotReserved
	}
	if n < 0 || n > p.resN {
		return fmt.Errorf("%w: commit of %d bytes, %d reserved", ErrTooLarge, n, p.resN)
	}
	rec := align8(recHeader + n)
	next := p.nextOff(start, n)
	if next != p.zeroed {
		// A shorter commit: the next header is nearer (see Reserve).
		// A plain store, ordered by the publishing store that follows.
		*p.hdrAt(next) = 0
	}
	h, at := uint64(dataFlag|uint64(n)), start
	if p.check {
		h |= checkFlag | checksum(p.data[start+recHeader:start+recHeader+n])<<sumShift
	}
	if p.resWrap {
		// The record at 0 first; then the marker that sends the
		// consumer there publishes it.
		*p.hdrAt(0) = h
		h, at = wrapMarker, p.off
		p.pos += uint64(p.cap - p.off)
		p.checkAt = 0
	}
	p.pos += uint64(rec)
	p.off = next
	p.resOff = -1
	p.publish(at, h)
	return nil
}

// publish stores header word h at offset at, which makes a record (or the
// wrap marker leading to one) visible, and notifies the consumer.
func (p *Producer) publish(at int, h uint64) {
	if p.relaxed {
		storeRelease(p.hdrAt(at), h)
		return
	}
	storeSeqCst(p.hdrAt(at), h)
	p.ev.Data.Notify()
}

// nextOff is where the record after an n-byte one at start begins.
func (p *Producer) nextOff(start, n int) int {
	if next := start + align8(recHeader+n); next != p.cap {
		return next
	}
	return 0
}

// Cancel drops the pending reservation, if any.
func (p *Producer) Cancel() { p.resOff = -1 }

// Send copies msg into the ring as one message, waiting for space.
func (p *Producer) Send(msg []byte) error {
	n, off := len(msg), p.off
	rec := align8(recHeader + n)
	if next := off + rec; next < p.cap && off < p.hot && n <= p.maxMsg && p.resOff < 0 && !p.check &&
		p.pos+uint64(rec+recHeader)-p.tail <= uint64(p.cap) && atomic.LoadUint32(p.peerClosed) == 0 {
		// Reserve and Commit in one, for the usual case: no wrap and
		// no early-wrap look, room by the cached tail, no check mode.
		*p.hdrAt(next) = 0 // first, as Reserve does
		memcopy.Copy(p.data[off+recHeader:off+recHeader+n], msg)
		p.pos += uint64(rec)
		p.off = next
		p.publish(off, dataFlag|uint64(n))
		return nil
	}
	b, err := p.Reserve(len(msg))
	if err != nil {
		return err
	}
	memcopy.Copy(b, msg)
	return p.Commit(len(msg))
}

// Close marks the producing side closed and wakes the consumer, which
// then gets ErrPeerClosed once the ring is empty. Idempotent.
func (p *Producer) Close() {
	if atomic.SwapUint32(p.myClosed, 1) == 0 {
		p.ev.Data.Wake()
	}
}

// storeSeqCst stores v at addr, sequentially consistent: no later load
// passes it, which the sleeping-flag handshake of package wait needs (the
// store publishes, the following load looks for a sleeper). It is a swap,
// not atomic.StoreUint64: the same XCHG on amd64, but under the race
// detector an atomic store to memory outside the Go heap (the shared
// mapping) is a release store, a plain MOV that the load overtakes, and
// wake-ups were lost (TestMappedPingPong).
func storeSeqCst(addr *uint64, v uint64) { atomic.SwapUint64(addr, v) }

func (p *Producer) hdrAt(off int) *uint64 { return (*uint64)(unsafe.Pointer(&p.data[off])) }

// A Consumer reads messages from a ring. It is used by one goroutine.
type Consumer struct {
	r          *Ring
	data       []byte
	cap        int
	maxMsg     int
	pos        uint64
	off        int
	tailp      *uint64
	myClosed   *uint32
	peerClosed *uint32
	ev         Events
	stop       *atomic.Bool
	relaxed    bool // polling events: release stores, no Notify
	counting   bool // the data event counts messages: Wait for each one
	token      bool // a wait succeeded for the message at off
	view       int  // length of the message handed out by Peek, -1 if none
	viewSum    uint64
	viewCheck  bool // the view's header carried a checksum
}

// Viewing reports whether a message handed out by Peek (or left by a Recv
// into a short buffer) awaits Release.
func (c *Consumer) Viewing() bool { return c.view >= 0 }

// Ready reports whether a record is at the consumer's offset, or the wait
// must stop. It implements wait.Cond.
func (c *Consumer) Ready() bool {
	return atomic.LoadUint64(c.hdrAt(c.off)) != 0 || c.Stopped()
}

// Stopped reports an interrupt or a closed producer. It implements
// wait.Cond.
func (c *Consumer) Stopped() bool {
	return c.stop.Load() || atomic.LoadUint32(c.peerClosed) != 0
}

// Peek waits for the next message and returns it in place. The bytes
// stay valid, and the producer keeps off them, until Release. A second
// Peek before Release returns the same message.
func (c *Consumer) Peek() ([]byte, error) {
	if c.view >= 0 {
		return c.data[c.off+recHeader : c.off+recHeader+c.view : c.off+recHeader+c.view], nil
	}
	for {
		if !c.token && !c.counting {
			// Already there (or soon, for a polling strategy): what
			// Wait would find at once, without its calls (only a
			// counting event needs one per message).
			h := atomic.LoadUint64(c.hdrAt(c.off))
			if h == 0 && c.relaxed {
				h = c.poll(c.off)
			}
			c.token = h != 0
		}
		if !c.token {
			if err := c.ev.Data.Wait(c); err != nil {
				return nil, err
			}
			c.token = true
		}
		h := atomic.LoadUint64(c.hdrAt(c.off))
		switch {
		case h&^lenMask == dataFlag:
			n := int(uint32(h))
			if n > c.maxMsg || c.off+recHeader+n > c.cap {
				return nil, fmt.Errorf("%w: %#x at offset %d", ErrCorrupt, h, c.off)
			}
			c.view = n
			return c.data[c.off+recHeader : c.off+recHeader+n : c.off+recHeader+n], nil
		case h == wrapMarker:
			c.pos += uint64(c.cap - c.off)
			c.off = 0
			continue
		case h&(dataFlag|wrapMarker|checkFlag) == dataFlag|checkFlag:
			n := int(uint32(h))
			if n > c.maxMsg || c.off+recHeader+n > c.cap {
				return nil, fmt.Errorf("%w: %#x at offset %d", ErrCorrupt, h, c.off)
			}
			b := c.data[c.off+recHeader : c.off+recHeader+n : c.off+recHeader+n]
			sum := h >> sumShift
			if got := checksum(b); got != sum {
				return nil, fmt.Errorf("%w: %d-byte message at offset %d: checksum %#x, committed %#x", ErrModified, n, c.off, got, sum)
			}
			c.view, c.viewSum, c.viewCheck = n, sum, true
			return b, nil
		case h != 0:
			return nil, fmt.Errorf("%w: %#x at offset %d", ErrCorrupt, h, c.off)
		}
		// Nothing there: stopped, or a spurious wake-up.
		c.token = false
		if atomic.LoadUint32(c.peerClosed) != 0 {
			if atomic.LoadUint64(c.hdrAt(c.off)) != 0 {
				continue // the last message came before the close
			}
			return nil, ErrPeerClosed
		}
		if c.stop.Load() {
			return nil, ErrInterrupted
		}
	}
}

// Release gives the message returned by Peek back to the producer.
func (c *Consumer) Release() error {
	if c.view < 0 {
		return ErrNoView
	}
	var err error
	if c.viewCheck {
		// Written while viewed: by the producer after its Commit, or by
		// this side. The message is released all the same.
		if got := checksum(c.data[c.off+recHeader : c.off+recHeader+c.view]); got != c.viewSum {
			err = fmt.Errorf("%w: %d-byte message at offset %d changed while viewed: checksum %#x, committed %#x", ErrModified, c.view, c.off, got, c.viewSum)
		}
		c.viewCheck = false
	}
	c.advance(c.view)
	c.view = -1
	return err
}

// advance moves the consumer past the n-byte message at its offset and
// gives its space back to the producer.
func (c *Consumer) advance(n int) {
	rec := align8(recHeader + n)
	c.pos += uint64(rec)
	c.off += rec
	if c.off == c.cap {
		c.off = 0
	}
	c.token = false
	if c.relaxed {
		storeRelease(c.tailp, c.pos)
		return
	}
	storeSeqCst(c.tailp, c.pos)
	c.ev.Space.Notify()
}

// Recv copies the next message into buf and returns its length. If buf
// is too short the message stays in the ring and Recv returns its length
// with ErrShortBuffer.
func (c *Consumer) Recv(buf []byte) (int, error) { return c.recv(buf, nil) }

// RecvPieces is Recv that hands the message on piece by piece as it copies
// it out (memcopy.CopyPieces): fn sees each piece of buf right after it is
// written, before the record goes back to the producer. fn must not keep
// the piece past its return, nor call into the Consumer.
func (c *Consumer) RecvPieces(buf []byte, fn func(off int, piece []byte)) (int, error) {
	return c.recv(buf, fn)
}

// copyOut copies a record's payload into buf: in one piece, or through
// fn piece by piece when fn is set.
func copyOut(buf, m []byte, fn func(off int, piece []byte)) int {
	if fn == nil {
		return memcopy.Copy(buf, m)
	}
	return memcopy.CopyPieces(buf, m, fn)
}

// recv is Recv and RecvPieces.
func (c *Consumer) recv(buf []byte, fn func(off int, piece []byte)) (int, error) {
	if c.view < 0 && !c.counting {
		// Peek, copy and Release in one, for the usual case: a plain
		// message (no check mode, no wrap marker) that fits in buf,
		// there at once or after one wait. With a polling strategy the
		// first looks are made here, inlinePolls loads back to back
		// (as the strategy's own first polls, minus their calls, which
		// cost the round trip a few nanoseconds each way). Anything
		// else takes the general path (Peek: nothing after the wait
		// means stopped, closed or spurious).
		for waited := false; ; waited = true {
			off := c.off
			h := atomic.LoadUint64(c.hdrAt(off))
			if h == 0 && c.relaxed {
				h = c.poll(off)
			}
			if n := int(uint32(h)); h&^lenMask == dataFlag && n <= len(buf) && n <= c.maxMsg && off+recHeader+n <= c.cap {
				copyOut(buf, c.data[off+recHeader:off+recHeader+n], fn)
				c.advance(n)
				return n, nil
			}
			if h != 0 || waited {
				break
			}
			if err := c.ev.Data.Wait(c); err != nil {
				return 0, err
			}
		}
	}
	m, err := c.Peek()
	if err != nil {
		return 0, err
	}
	if len(buf) < len(m) {
		return len(m), ErrShortBuffer
	}
	n := copyOut(buf, m, fn)
	if err := c.Release(); err != nil {
		return n, err // check mode: changed while being copied
	}
	return n, nil
}

// poll looks at the header at off up to inlinePolls times, back to back,
// and returns the last value read. Where touchAhead holds, each look also
// reads the first word of the next cache line, which a record of more
// than a few bytes continues into: its transfer then overlaps the header
// line's instead of following it once the header is seen (docs/tuning.md
// has what it gained, and where).
func (c *Consumer) poll(off int) uint64 {
	var h uint64
	if next := (off + lineSize) &^ (lineSize - 1); touchAhead && next+recHeader <= c.cap {
		ahead := c.hdrAt(next)
		for i := 0; h == 0 && i < inlinePolls; i++ {
			_ = atomic.LoadUint64(ahead)
			h = atomic.LoadUint64(c.hdrAt(off))
		}
		return h
	}
	for i := 0; h == 0 && i < inlinePolls; i++ {
		h = atomic.LoadUint64(c.hdrAt(off))
	}
	return h
}

// Close marks the consuming side closed and wakes the producer, which
// then gets ErrPeerClosed. Idempotent.
func (c *Consumer) Close() {
	if atomic.SwapUint32(c.myClosed, 1) == 0 {
		c.ev.Space.Wake()
	}
}

func (c *Consumer) hdrAt(off int) *uint64 { return (*uint64)(unsafe.Pointer(&c.data[off])) }
