package harness

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipcbench/ipcbench/internal/netns"
	"github.com/ipcbench/ipcbench/transports"
)

// DefaultHangTimeout is how long a workload may go without progress before
// the peer is declared hung and killed.
const DefaultHangTimeout = 10 * time.Second

// Config chooses what a Session runs.
type Config struct {
	Transport string
	API       transports.API // empty: the transport's first API
	Pin       Pin            // empty: PinNone
	// Size is the workload's message size.
	Size int
	// MaxMessage is the channel capacity; zero means Size.
	MaxMessage int
	// HangTimeout overrides DefaultHangTimeout.
	HangTimeout time.Duration
	// Path is the network path of a socket transport (tcp, udp); the zero
	// Path is loopback in one namespace.
	Path Path
	// Netem shapes PathNetem (nil: NetemDelay each way, no rate limit).
	Netem *netns.Netem
	// Remote is the peer of PathRemote.
	Remote *Remote
}

// A RunError reports a failed workload with everything needed to find the
// message that failed.
type RunError struct {
	Transport string
	API       transports.API
	Path      Path
	Pin       Pin
	Workload  string
	Size      int
	Seq       uint64 // the message number (0-based) that failed
	Err       error
}

func (e *RunError) Error() string {
	path := ""
	if e.Path != PathLoopback {
		path = " path=" + string(e.Path)
	}
	return fmt.Sprintf("transport=%s api=%s%s pin=%s workload=%s size=%d: message %d: %v",
		e.Transport, e.API, path, e.Pin, e.Workload, e.Size, e.Seq, e.Err)
}

func (e *RunError) Unwrap() error { return e.Err }

// Session is a channel of one transport between this process and a peer
// process, placed per Config.Pin in the scope of its API (processScope):
// with api=runtime both processes are confined to their CPUs and the
// calling goroutine stays an ordinary goroutine; with api=raw and
// api=zerocopy the calling goroutine is locked to its OS thread, bound to
// the parent's CPU, until Close. A Session must be used, and closed, by
// the goroutine that started it.
type Session struct {
	cfg     Config
	info    transports.Info
	place   Placement
	conn    transports.Conn
	peer    *Peer
	restore func()
	veth    *netns.Veth // the path=veth and path=netem link

	reply     map[string]string
	spec      transports.Spec
	peerProcs int
	peerTID   int

	progress atomic.Uint64
	wd       watchdog

	closeOnce sync.Once
}

// Start creates the transport, spawns the peer, hands it the channel and
// waits for its handshake. On any error everything made so far is
// released. The placement holds until Close.
func Start(cfg Config) (_ *Session, err error) {
	cfg, info, opts, err := resolveConfig(cfg)
	if err != nil {
		return nil, err
	}
	if err := checkPath(cfg, info); err != nil {
		return nil, err
	}
	pl, err := Place(cfg.Pin)
	if err != nil {
		return nil, err
	}
	s := &Session{cfg: cfg, info: info, place: pl}
	s.wd.timeout, s.wd.progress, s.wd.unit = cfg.HangTimeout, &s.progress, "message"
	s.restore, err = place(pl.Parent, cfg.API)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	trackSession(s)
	if err := s.netPath(&opts); err != nil {
		return nil, err
	}
	ch := channel{peer: s.peer}
	err = ch.open(cfg, info, opts, pl, s.peerNS())
	s.conn, s.peer, s.spec = ch.conn, ch.peer, ch.spec
	s.reply, s.peerProcs, s.peerTID = ch.reply, ch.procs, ch.tid
	if err != nil {
		return nil, err
	}
	return s, nil
}

// resolveConfig fills in cfg's defaults (pin, capacity, hang timeout,
// the transport's API), checks the size against the capacity and returns
// the transport and the options of its channels.
func resolveConfig(cfg Config) (Config, transports.Info, transports.Options, error) {
	info, err := transports.Lookup(cfg.Transport)
	if err != nil {
		return cfg, info, transports.Options{}, err
	}
	if cfg.Pin == "" {
		cfg.Pin = PinNone
	}
	if cfg.MaxMessage == 0 {
		cfg.MaxMessage = cfg.Size
	}
	if cfg.HangTimeout == 0 {
		cfg.HangTimeout = DefaultHangTimeout
	}
	opts, err := info.Resolve(transports.Options{API: cfg.API, MaxMessage: cfg.MaxMessage})
	if err != nil {
		return cfg, info, opts, err
	}
	cfg.API, cfg.MaxMessage = opts.API, opts.MaxMessage
	if cfg.Size > cfg.MaxMessage {
		return cfg, info, opts, fmt.Errorf("%s: size %d exceeds the channel capacity %d", cfg.Transport, cfg.Size, cfg.MaxMessage)
	}
	return cfg, info, opts, nil
}

// channel is one transport channel between this process and a peer
// process: what Start makes for a session, and StartFanIn once per
// client.
type channel struct {
	conn  transports.Conn
	peer  *Peer
	spec  transports.Spec
	reply map[string]string
	procs int // the peer's GOMAXPROCS
	tid   int // the thread the peer attached on
}

// open creates the transport's channel with opts, spawns the peer with
// the endpoint's files (unless ch.peer is set: a remote peer), confined
// to pl.Peer for the process scope and in network namespace netns (-1:
// this process's), closes this process's copies of the files, has the
// peer's death interrupt the parent's Conn, asks the peer to attach on
// pl.Peer and connects the parent's Conn with its reply. What it made is
// in ch also when it fails: the caller closes it.
func (ch *channel) open(cfg Config, info transports.Info, opts transports.Options, pl Placement, netns int) error {
	conn, ep, err := info.New().Create(opts)
	if err != nil {
		return err
	}
	ch.conn = conn
	if ch.peer == nil {
		ch.peer, err = spawnIn(cfg.Transport, ep.Files, peerCPU(pl, cfg.API), netns)
	}
	for _, f := range ep.Files {
		f.Close() // the peer has its copies; ours would hide its death
	}
	if err != nil {
		return err
	}
	if in, ok := conn.(transports.Interrupter); ok {
		ch.peer.OnDeath(in.Interrupt)
	}
	spec := ep.Spec
	spec.Transport, spec.API, spec.MaxMessage = cfg.Transport, cfg.API, cfg.MaxMessage
	ch.spec = spec
	resp, err := ch.peer.request(request{Op: "attach", Spec: &spec, CPU: pl.Peer}, HandshakeTimeout)
	if err != nil {
		return err
	}
	ch.reply, ch.procs, ch.tid = resp.Reply, resp.Procs, resp.TID
	if cn, ok := conn.(transports.Connector); ok {
		if err := cn.Connect(resp.Reply); err != nil {
			return fmt.Errorf("%s: connect: %w", cfg.Transport, err)
		}
	}
	return nil
}

// Conn is the parent's end of the channel.
func (s *Session) Conn() transports.Conn { return s.conn }

// Peer is the peer process.
func (s *Session) Peer() *Peer { return s.peer }

// Spec is what the peer was told to attach to: names and ids of the
// kernel objects (for tests that check they are gone or private).
func (s *Session) Spec() transports.Spec { return s.spec }

// Config is the session's configuration, with defaults filled in.
func (s *Session) Config() Config { return s.cfg }

// Placement is where the two processes run.
func (s *Session) Placement() Placement { return s.place }

// PeerProcs is the peer's GOMAXPROCS, as its runtime chose it.
func (s *Session) PeerProcs() int { return s.peerProcs }

// PeerTID is the thread the peer attached on: its data thread for a
// locking API.
func (s *Session) PeerTID() int { return s.peerTID }

// Limits are the transport's limits for the session's API.
func (s *Session) Limits() transports.Limits { return s.info.Limits(s.cfg.API) }

// Close ends the peer, removes the transport's kernel objects and undoes
// the placement (the process's or the thread's mask, the thread lock). It is idempotent and safe after any failure.
func (s *Session) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.stopWatchdog()
		if s.peer != nil {
			s.peer.Close()
		}
		if s.conn != nil {
			err = s.conn.Close()
		}
		s.closePath()
		if s.restore != nil {
			s.restore()
		}
		untrackSession(s)
	})
	parkIfInterrupted()
	return err
}

// PeerReport is what the peer reports at the end of a workload.
type PeerReport struct {
	Received int64
	Lost     int64
	Acks     int64
	Usage    Usage
}

// Begin asks the peer to start workload op ("echo" with count, …) and
// starts the hang watchdog; Finish waits for the peer's report. Tests use
// Begin("echo", n) to drive the parent's Conn by hand.
func (s *Session) Begin(op string, count int) error {
	return s.begin(request{Op: op, Count: count, Size: s.cfg.Size})
}

func (s *Session) begin(r request) error {
	if err := s.peer.ctl.send(r); err != nil {
		return s.peer.fail(r.Op, err)
	}
	s.startWatchdog()
	if fs, ok := s.conn.(transports.FlowSetter); ok {
		if err := fs.SetFlow(flowOf(r.Op)); err != nil {
			s.stopWatchdog()
			return s.runError(r.Op, 0, err)
		}
	}
	return nil
}

// flowOf is the flow of workload op (transports.FlowSetter): the stream
// and the rate workload are one way, every other workload a round trip
// per message.
func flowOf(op string) transports.Flow {
	if op == Stream || op == Rate {
		return transports.OneWay
	}
	return transports.RoundTrips
}

// Finish waits for the peer's report on the current workload.
func (s *Session) Finish(op string) (PeerReport, error) {
	defer s.stopWatchdog()
	resp, err := s.peer.await(op, 0)
	if err != nil {
		return PeerReport{}, err
	}
	return PeerReport{Received: resp.Received, Lost: resp.Lost, Acks: resp.Acks, Usage: resp.Usage}, nil
}

// Progress records that message n has been handled, for the watchdog.
func (s *Session) Progress(n uint64) { s.progress.Store(n) }

// startWatchdog kills the peer and interrupts the transport when no
// progress is made for the hang timeout.
func (s *Session) startWatchdog() {
	s.wd.start(s.peer, func() {
		if in, ok := s.conn.(transports.Interrupter); ok {
			in.Interrupt()
		}
	})
}

func (s *Session) stopWatchdog() { s.wd.halt() }

// runError wraps a data-path error with the run's coordinates, and
// prefers the peer's own account of what happened when it has one.
func (s *Session) runError(workload string, seq uint64, err error) error {
	if interrupting.Load() {
		s.Close() // the owner cleans up; Close parks until the handler exits
	}
	err = explain(s.peer, &s.wd, err)
	return &RunError{Transport: s.cfg.Transport, API: s.cfg.API, Path: s.cfg.Path, Pin: s.cfg.Pin, Workload: workload, Size: s.cfg.Size, Seq: seq, Err: err}
}

// newSeed returns a pattern seed for one workload.
func newSeed() uint64 { return rand.Uint64() }
