package transports

import (
	"fmt"
	"net/netip"
	"os"
)

// API says how Go reaches a mechanism. It is a benchmark axis of its own
// (key "api"): the same kernel object driven two ways gives two figures.
type API string

const (
	// Raw is blocking system calls through golang.org/x/sys/unix, made on
	// the calling goroutine's (locked) OS thread.
	Raw API = "raw"
	// Runtime is the Go runtime's poller: os.File or net.Conn on a
	// non-blocking descriptor, as most Go programs use it.
	Runtime API = "runtime"
	// ZeroCopy is the shared-memory transports' in-place path (see
	// ZeroCopyConn): the message is written where the peer reads it.
	ZeroCopy API = "zerocopy"
)

// A Conn moves whole messages between two processes. One Send is received
// by exactly one Recv, with message boundaries kept, also on stream
// transports (pipes, stream sockets) where the framing lives in one shared
// place. A Conn is used by one goroutine at a time; with API Raw that
// goroutine should be locked to its OS thread (the harness does so).
type Conn interface {
	// Send transmits msg as one message. It fails with an error wrapping
	// ErrMessageTooLarge (a *LimitError) if len(msg) exceeds the channel's
	// capacity, and wraps ErrPeerGone when the other side has gone away.
	Send(msg []byte) error
	// Recv copies the next message into buf and returns its length. A
	// message longer than buf fails with an error wrapping
	// io.ErrShortBuffer. It wraps ErrPeerGone when the other side has gone
	// away (end of file, reset connection, removed object).
	Recv(buf []byte) (int, error)
	// Close releases this side. On the creating side it also removes every
	// kernel object the transport made (unlink, IPC_RMID). Close is
	// idempotent; later Send and Recv fail with ErrClosed.
	Close() error
}

// Options are the parent's choices when it creates a channel.
type Options struct {
	// API selects the raw syscall or the runtime path; it must be one of
	// the transport's Info.APIs.
	API API
	// MaxMessage is the largest message the channel must carry. Transports
	// size their buffers, rings and queues by it. Zero means the
	// transport's own limit (Limits.MaxMessage). A value above that limit
	// makes Create fail with a *LimitError.
	MaxMessage int
	// Net, when set, puts a socket transport's two ends on a network path
	// instead of one loopback pair made here: the parent's socket is bound
	// to Net.Addr in the parent's network namespace (Net.In), and the peer,
	// which may be in another namespace or on another machine, makes its
	// own socket and dials the address it finds in Spec.Params; the
	// Endpoint then has no files, and the parent's Conn is usable after
	// Connect with the peer's Reply. Only transports whose Info.Net is
	// true support it; Create fails on the others.
	Net *NetPath
}

// NetPath says where the parent's socket of a socket transport lives when the peer dials it (Options.Net).
type NetPath struct {
	// Addr is the address the parent's socket binds (port 0: the kernel
	// chooses), one the peer can reach: IPv4 or IPv6, not unspecified,
	// without a zone.
	Addr netip.Addr
	// In runs f with the calling goroutine on an OS thread that is in the
	// parent's network namespace, so that the sockets f makes belong to it;
	// nil: the caller's namespace. A socket stays in the namespace it was
	// made in, so only its making needs In: the Conn is then used from any
	// thread.
	In func(f func() error) error
}

// in runs f through p.In, or directly when p.In is nil.
func (p *NetPath) in(f func() error) error {
	if p.In == nil {
		return f()
	}
	return p.In(f)
}

// check reports an Addr no peer could dial.
func (p *NetPath) check() error {
	switch a := p.Addr; {
	case !a.IsValid():
		return fmt.Errorf("Options.Net.Addr is not set")
	case a.IsUnspecified():
		return fmt.Errorf("Options.Net.Addr %s is unspecified: the peer needs an address it can dial", a)
	case a.Zone() != "":
		return fmt.Errorf("Options.Net.Addr %s has a zone: link-local addresses are not supported", a)
	}
	return nil
}

// Spec tells the peer how to attach to what the parent created. It is
// serialised (JSON) and sent over the harness's control channel; it must
// not hold anything that only makes sense inside the parent.
type Spec struct {
	// Transport is the registered name, e.g. "fifo".
	Transport string `json:"transport"`
	// API is the API both sides use.
	API API `json:"api"`
	// MaxMessage is the channel capacity the parent chose (never zero).
	MaxMessage int `json:"max_message"`
	// Params carries names and numbers: FIFO paths, queue names, System V
	// ids, ring geometry, thread ids.
	Params map[string]string `json:"params,omitempty"`
}

// Endpoint is what Create hands over for the peer: the spec and the files
// the peer inherits (exec.Cmd.ExtraFiles, in this order). The caller owns
// the files: it passes them to the peer and closes its copies once the
// peer has started, so that the peer's exit is seen as end of file.
type Endpoint struct {
	Spec  Spec
	Files []*os.File
}

// A Transport is one IPC mechanism.
type Transport interface {
	// Create makes the kernel objects in the parent and returns the
	// parent's Conn and what the peer needs to attach.
	Create(opts Options) (Conn, Endpoint, error)
	// Attach connects the peer to the objects described by spec; files
	// are the inherited descriptors in the order Create returned them.
	Attach(spec Spec, files []*os.File) (Conn, error)
}

// Connector is implemented by parent-side Conns that need a second step
// once the peer has attached: opening the write end of a FIFO, learning
// the peer's thread id for a signal, removing a System V segment that
// both sides now map. reply is what the peer's Replier returned.
type Connector interface {
	Connect(reply map[string]string) error
}

// Replier is implemented by peer-side Conns that have something to tell the
// parent after Attach (a thread id, a buffer address). The harness sends it
// with the handshake and hands it to the parent's Connector.
type Replier interface {
	Reply() map[string]string
}

// Interrupter is implemented by Conns whose blocking calls do not end by
// themselves when the peer process dies (shared memory, message queues).
// Interrupt may be called from any goroutine while Send or Recv is blocked
// in another; it makes them return an error wrapping ErrInterrupted soon
// (within about 100 ms). It does not release resources: Close still must
// be called.
type Interrupter interface {
	Interrupt()
}

// Limits describe the bounds a mechanism imposes on this machine, as read
// at the time of the call (they may depend on sysctls, rlimits and
// privileges).
type Limits struct {
	// MaxMessage is the largest message one Send may carry.
	MaxMessage int
	// Source says where MaxMessage comes from and how to change it, e.g.
	// "/proc/sys/fs/mqueue/msgsize_max (root: HARD_MSGSIZEMAX 16 MiB)".
	Source string
	// Lossy is true for mechanisms that may drop messages (UDP, standard
	// signals); the harness then uses flow control and counts losses.
	Lossy bool
}

// Flow is how the two sides are about to use a channel (FlowSetter).
type Flow int

const (
	// RoundTrips: the peer answers each message of the parent with one
	// message of its own, in order (the ping-pong and echo workloads). A
	// Conn starts in this flow.
	RoundTrips Flow = iota
	// OneWay: the parent sends messages back to back and the peer receives
	// them without answering (the stream workload).
	OneWay
)

// String names the flow.
func (f Flow) String() string {
	switch f {
	case RoundTrips:
		return "round trips"
	case OneWay:
		return "one way"
	}
	return fmt.Sprintf("Flow(%d)", int(f))
}

// FlowSetter is implemented by parent-side Conns whose mechanism carries a
// round trip and a one-way stream in different ways: an RPC transport
// makes each round trip one call and a stream one streaming call. The
// harness calls SetFlow when a workload begins, once the peer has been
// asked to begin it, before its first Send. SetFlow ends what the
// previous flow left open: every message of a stream reaches the peer
// before any message of the next flow (the end of a stream may be waited
// for by SetFlow or by the next Send). It returns an error wrapping
// ErrPeerGone if the peer went away meanwhile. Conns that carry every
// message alike do not implement it.
type FlowSetter interface {
	SetFlow(Flow) error
}

// A PieceRecver is a Conn that copies a message out in user space (the
// shared-memory rings) and can hand it to the caller piece by piece as it
// copies: RecvPieces is Recv (same length, same errors) that calls fn
// with each piece of buf (memcopy.Piece bytes, in order, tiling the
// message) right after it is written. A receiver that reads every byte of
// what it receives, as the harness's check does, then reads each piece
// from the first-level cache in the same pass as the copy instead of
// going over the whole message a second time. fn must not keep the piece
// nor call into the Conn. Conns whose copy is the kernel's do not
// implement it.
type PieceRecver interface {
	RecvPieces(buf []byte, fn func(off int, piece []byte)) (int, error)
}
