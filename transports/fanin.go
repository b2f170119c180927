package transports

// What the server of a fan-in (one process serving the channels of many
// clients from one thread) needs of the Conns: a descriptor to give to
// epoll (Pollable), or, for shared memory, a wait on many rings at once
// (MultiWait).

import (
	"errors"
	"fmt"

	"github.com/ipcbench/ipcbench/transports/internal/wait"
)

// Pollable is implemented by Conns whose incoming messages arrive on a
// descriptor that poll and epoll can wait on: the stream and datagram
// descriptors of the fd transports (pipe, unix-*, tcp, udp) and the
// receive queue of posix-mq, for api=raw. A server waits for readiness of
// many of them at once, then calls Recv on one that is ready.
//
// Readiness and Recv: a readable descriptor means that Recv finds at
// least the start of a message, or end of file (Recv then fails with
// ErrPeerGone), or an interrupt (ErrInterrupted); a message in flight may
// make Recv wait until its last bytes arrive. A framed stream (pipe,
// fifo, unix-stream, tcp) reads the stream in chunks, so bytes of the next
// frame may already sit in the Conn's own buffer after a Recv, and the
// descriptor then announces nothing: while Buffered reports true the
// server must call Recv again without waiting for readiness.
type Pollable interface {
	// PollFD returns the descriptor that becomes readable when a message
	// arrives, or -1 when the Conn has none to offer (api=runtime: the
	// runtime's poller owns it). The Conn keeps owning it.
	PollFD() int
	// Buffered reports whether bytes of the incoming stream are held in
	// the Conn, read from the descriptor but not yet returned by Recv.
	Buffered() bool
}

// A MultiWait waits for a message on any of several shared-memory Conns of
// one transport (one ring pair per client): the server side of a fan-in,
// on one thread. How it waits follows the transport's wait strategy, so
// the clients' side is exactly that of a one-to-one channel (its Notify
// after each message):
//
//	shm-spin     spin over the rings: poll every ring's next record in
//	             turn, falling back to sched_yield as the spin wait does
//	shm-futex    futex_waitv: raise every ring's sleeping flag, re-check,
//	             then sleep on all the rings' futex words at once (Linux
//	             5.16 and later); a client's Notify wakes it
//	shm-hybrid   spin over the rings for the hybrid budget, then as
//	             shm-futex
//
// The other shm strategies (and the mmap-* and sysvshm-* backings, whose
// rings are the same) have a MultiWait when their strategy is one of
// these; NewMultiWait fails with errors.ErrUnsupported on the rest.
type MultiWait struct {
	any *wait.Any
}

// MaxMultiWait is the most Conns one MultiWait waits on.
const MaxMultiWait = 128

// NewMultiWait returns a MultiWait over the incoming rings of conns: the
// parent's sides (Create's Conns) of shared-memory channels of one
// transport, api=raw.
func NewMultiWait(conns []Conn) (*MultiWait, error) {
	if len(conns) == 0 || len(conns) > MaxMultiWait {
		return nil, fmt.Errorf("multi-wait over %d conns: want 1 to %d", len(conns), MaxMultiWait)
	}
	evs := make([]wait.Event, len(conns))
	conds := make([]wait.Cond, len(conns))
	for i, c := range conns {
		sc, ok := c.(*shmConn)
		if !ok {
			return nil, fmt.Errorf("multi-wait over %T: not a raw shared-memory conn: %w", c, errors.ErrUnsupported)
		}
		if !sc.owner {
			return nil, fmt.Errorf("%s: multi-wait: a peer's conn (the server waits on the parent's sides)", sc.name)
		}
		if i > 0 && sc.name != conns[0].(*shmConn).name {
			return nil, fmt.Errorf("multi-wait over %s and %s: one transport at a time", conns[0].(*shmConn).name, sc.name)
		}
		evs[i], conds[i] = sc.set.Event(sc.waitsOn(2)), sc.in
	}
	a, err := wait.NewAny(evs, conds)
	if err != nil {
		return nil, fmt.Errorf("%s: multi-wait: %w", conns[0].(*shmConn).name, err)
	}
	return &MultiWait{any: a}, nil
}

// Kind names the server's wait: "spin", "futex" (futex_waitv) or
// "hybrid".
func (w *MultiWait) Kind() string { return w.any.Kind() }

// Wait returns the index of a Conn whose Recv returns at once: a message
// is in its ring, or its peer closed it, or it was interrupted (Recv then
// fails). It looks at start first, then at the following ones in turn:
// passing the index after the one served last serves each in its turn.
// An Interrupt of any of the Conns ends a sleeping Wait.
func (w *MultiWait) Wait(start int) (int, error) { return w.any.Wait(start) }
