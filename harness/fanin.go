package harness

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcbench/ipcbench/internal/load"
	"github.com/ipcbench/ipcbench/results"
	"github.com/ipcbench/ipcbench/transports"
)

// FanInWorkload is the workload name of a fan-in in errors.
const FanInWorkload = "fanin"

// MaxClients is the most client processes one fan-in serves.
const MaxClients = 64

// Server waits of a fan-in (FanIn.Server): how the server process waits
// for the next request of any client.
const (
	// ServerGoroutines: one goroutine per client, blocked in Recv; the Go
	// runtime's poller multiplexes them (api=runtime).
	ServerGoroutines = "goroutines"
	// ServerEpoll: one locked thread, epoll_wait over every client's
	// receive descriptor (transports.Pollable; api=raw).
	ServerEpoll = "epoll"
	// ServerSpin, ServerFutex, ServerHybrid: one locked thread over every
	// client's ring pair (transports.MultiWait): polling the rings in
	// turn (shm-spin), futex_waitv on every ring's futex word
	// (shm-futex), a spin over the rings then futex_waitv (shm-hybrid).
	ServerSpin   = "spin"
	ServerFutex  = "futex"
	ServerHybrid = "hybrid"
)

// FanIn is one server (this process) and many client processes, each
// with its own channel of one transport, ping-ponging with the server at
// once, the way a local daemon is used. Roles are those of a Session
// turned round: every client peer sends and checks, the server receives
// and echoes. Placement: pin=split puts the server on the first CPU and
// every client on the second, pin=same all on one, pin=none leaves them
// to the scheduler; in the scope of the API as a Session (processScope):
// with api=raw the calling goroutine, which serves every client, is
// locked to its thread and bound, and each client binds its data thread;
// with api=runtime every process is confined and the server's goroutines
// are ordinary goroutines. A FanIn must be used, and closed, by the
// goroutine that started it.
type FanIn struct {
	cfg     Config
	info    transports.Info
	place   Placement
	restore func()
	server  string
	clients []*fanClient
	mw      *transports.MultiWait
	shims   []*Session // the channels as the interrupt handler tracks them

	closeOnce sync.Once
}

// fanClient is one client of a fan-in: its channel, and the server's
// count of its messages.
type fanClient struct {
	ch       channel
	progress atomic.Uint64
	wd       watchdog

	next uint64 // the sequence number of its next request (this run)
	done bool   // its end-flagged request has been echoed
}

// FanInCheck reports why transport cannot be served by a fan-in through
// api (nil: it can). It makes nothing.
func FanInCheck(transport string, api transports.API) error {
	info, err := transports.Lookup(transport)
	if err != nil {
		return err
	}
	_, err = fanInServer(info, api)
	return err
}

// fanInServer chooses the server wait of transport info through api, or
// says why the fan-in does not serve it. A raw fd transport's Conn must
// be Pollable, which startFanIn checks again on the Conns it makes.
func fanInServer(info transports.Info, api transports.API) (string, error) {
	if api == "" {
		api = info.APIs[0]
	}
	if err := info.CheckAPI(api); err != nil {
		return "", err
	}
	notBuilt := func(why string) error {
		return fmt.Errorf("fan-in server for %s api=%s: not built: %s", info.Name, api, why)
	}
	if info.Limits(api).Lossy {
		return "", notBuilt("a lossy transport would need flow control and loss accounting per client")
	}
	switch info.Family {
	case "rpc":
		return "", notBuilt("an RPC transport makes the parent the caller and the peer the callee; a fan-in needs the reverse")
	case "signal", "other":
		return "", notBuilt("its parent side is made to initiate a round trip, not to wait on many peers")
	}
	switch api {
	case transports.Runtime:
		return ServerGoroutines, nil
	case transports.ZeroCopy:
		return "", notBuilt("the zero-copy exchange of many rings is not written; api=raw serves the same rings")
	}
	if info.Family == "shm" {
		for _, w := range []string{ServerSpin, ServerFutex, ServerHybrid} {
			if strings.HasSuffix(info.Name, "-"+w) {
				return w, nil
			}
		}
		return "", notBuilt("the server waits on many rings by spinning over them (spin), futex_waitv (futex) or both (hybrid); this wait strategy has no such wait")
	}
	switch info.Name {
	case "sysv-mq":
		return "", notBuilt("a System V queue has no descriptor for epoll, and msgrcv waits on one queue")
	case "fifo", "vmsplice":
		return "", notBuilt("its Conn offers no descriptor for epoll (transports.Pollable)")
	}
	return ServerEpoll, nil
}

// StartFanIn starts clients client processes, each with its own channel
// of cfg's transport (Config.Size, MaxMessage, Pin, HangTimeout as for a
// Session; loopback only), and makes this process their server. On any
// error everything made so far is released. The placement holds until
// Close.
func StartFanIn(cfg Config, clients int) (_ *FanIn, err error) {
	if clients < 1 || clients > MaxClients {
		return nil, fmt.Errorf("fan-in of %d clients: want 1 to %d (harness.MaxClients)", clients, MaxClients)
	}
	cfg, info, opts, err := resolveConfig(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.Path != PathLoopback {
		return nil, fmt.Errorf("fan-in server for %s: path=%s: not built: loopback only", cfg.Transport, cfg.Path)
	}
	if cfg.Size < MinWorkloadSize {
		return nil, fmt.Errorf("%s: workload size %d is below %d bytes (the sequence number)", cfg.Transport, cfg.Size, MinWorkloadSize)
	}
	server, err := fanInServer(info, cfg.API)
	if err != nil {
		return nil, err
	}
	pl, err := Place(cfg.Pin)
	if err != nil {
		return nil, err
	}
	f := &FanIn{cfg: cfg, info: info, place: pl, server: server}
	f.restore, err = place(pl.Parent, cfg.API)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	for i := range clients {
		c := &fanClient{}
		c.wd.timeout, c.wd.progress, c.wd.unit = cfg.HangTimeout, &c.progress, "message"
		f.clients = append(f.clients, c)
		err := c.ch.open(cfg, info, opts, pl, -1)
		if c.ch.conn != nil {
			shim := &Session{conn: c.ch.conn}
			trackSession(shim)
			f.shims = append(f.shims, shim)
		}
		if err != nil {
			return nil, fmt.Errorf("fan-in client %d: %w", i, err)
		}
		if server == ServerEpoll {
			if p, ok := c.ch.conn.(transports.Pollable); !ok || p.PollFD() < 0 {
				return nil, fmt.Errorf("fan-in server for %s api=%s: not built: its Conn (%T) offers no descriptor for epoll", cfg.Transport, cfg.API, c.ch.conn)
			}
		}
	}
	if f.isShm() {
		conns := make([]transports.Conn, len(f.clients))
		for i, c := range f.clients {
			conns[i] = c.ch.conn
		}
		if f.mw, err = transports.NewMultiWait(conns); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func (f *FanIn) isShm() bool {
	return f.server == ServerSpin || f.server == ServerFutex || f.server == ServerHybrid
}

// Server is how the server waits for the clients' requests: ServerGoroutines,
// ServerEpoll, ServerSpin, ServerFutex or ServerHybrid.
func (f *FanIn) Server() string { return f.server }

// Config is the fan-in's configuration, with defaults filled in.
func (f *FanIn) Config() Config { return f.cfg }

// Placement is where the server (Parent) and the clients (Peer) run.
func (f *FanIn) Placement() Placement { return f.place }

// Clients is the number of clients.
func (f *FanIn) Clients() int { return len(f.clients) }

// Client is client i's peer process.
func (f *FanIn) Client(i int) *Peer { return f.clients[i].ch.peer }

// Spec is what client i was told to attach to.
func (f *FanIn) Spec(i int) transports.Spec { return f.clients[i].ch.spec }

// Oversubscribed reports whether the sides that spin while they wait
// (every client and the server, for shm-spin and shm-hybrid) outnumber
// the CPUs of the placement (PlacementCPUs).
func (f *FanIn) Oversubscribed() bool {
	if f.info.Wait != transports.WaitSpin {
		return false
	}
	cpus, err := PlacementCPUs(f.cfg.Pin)
	return err == nil && load.Oversubscribed(1, len(f.clients)+1, cpus)
}

// ClientResult is what one client did in a fan-in run: its share, and
// the client process's CPU time and context switches over the run (its
// wait for the start included).
type ClientResult struct {
	Share
	Usage Usage
}

// FanInResult is what one fan-in run produced.
type FanInResult struct {
	Size    int
	Server  string // the server's wait (FanIn.Server)
	Clients []ClientResult
	// Served counts every request the server received, checked and
	// echoed: the measured ones and each client's end-flagged one.
	Served int64
	// ServerUsage is this process's CPU time and context switches over
	// the run.
	ServerUsage Usage
	// Oversub is FanIn.Oversubscribed.
	Oversub bool
}

// Shares are the clients' shares of the run.
func (r *FanInResult) Shares() Shares {
	ss := make(Shares, len(r.Clients))
	for i, c := range r.Clients {
		ss[i] = c.Share
	}
	return ss
}

// Report writes the result's metrics on b: the aggregate, percentiles
// and fairness of the clients' shares (Shares.Report); server-cpu-ns/op
// the server's CPU time per message served, cpu-ns/op and ctxsw/op those
// of every process per message.
func (r *FanInResult) Report(b *testing.B) {
	r.Shares().Report(b, r.Size, r.Oversub)
	all := r.ServerUsage
	for _, c := range r.Clients {
		all = all.Add(c.Usage)
	}
	n := float64(max(r.Served, 1))
	b.ReportMetric(float64(r.ServerUsage.CPUNS())/n, results.UnitServerCPU)
	b.ReportMetric(float64(all.CPUNS())/n, results.UnitCPU)
	b.ReportMetric(float64(all.CtxSw())/n, results.UnitCtxsw)
}

// startDelay is how far ahead of now a run's shared start is set: time
// for every client to get its request and go to sleep until the start.
func startDelay(clients int) time.Duration {
	return 5*time.Millisecond + time.Duration(clients)*500*time.Microsecond
}

// Run runs one window: every client sleeps until one shared start, then
// ping-pongs with the server for window, every echo checked byte for
// byte by the client and every request's length and sequence number by
// the server, and ends with an end-flagged request. The server serves
// all of them until each client's end. A failed client (an error, its
// death, a hang of the hang timeout) ends the run within seconds with a
// *RunError naming it; the other clients are killed then, and the FanIn
// can only be closed.
func (f *FanIn) Run(window time.Duration) (*FanInResult, error) { return f.run(window, 0) }

// RunCount is Run with n round trips per client instead of a window.
func (f *FanIn) RunCount(n int) (*FanInResult, error) {
	if n < 1 {
		return nil, fmt.Errorf("fan-in run of %d round trips per client: want at least 1", n)
	}
	return f.run(0, n)
}

func (f *FanIn) run(window time.Duration, count int) (*FanInResult, error) {
	seed := newSeed()
	start := monotonicNS() + int64(startDelay(len(f.clients)))
	until := start + int64(window) // unused by a count run
	u0 := readUsage()
	for i, c := range f.clients {
		c.next, c.done = 0, false
		c.progress.Store(0)
		if err := c.ch.peer.ctl.send(request{Op: "client", Size: f.cfg.Size, Seed: seed, Start: start, Until: until, Count: count}); err != nil {
			return nil, f.fail(i, 0, c.ch.peer.fail("client", err))
		}
		c.wd.start(c.ch.peer, nil)
	}
	var i int
	var err error
	switch {
	case f.server == ServerGoroutines:
		i, err = f.serveGoroutines()
	case f.server == ServerEpoll:
		i, err = f.serveEpoll()
	default:
		i, err = f.serveRings()
	}
	if err != nil {
		return nil, f.fail(i, f.clients[i].next, err)
	}
	res := &FanInResult{Size: f.cfg.Size, Server: f.server, Oversub: f.Oversubscribed()}
	for i, c := range f.clients {
		resp, err := c.ch.peer.await("client", HandshakeTimeout)
		c.wd.halt()
		if err != nil {
			return nil, f.fail(i, c.next, err)
		}
		var rep Share
		if err := json.Unmarshal(resp.Result, &rep); err != nil {
			return nil, f.fail(i, c.next, fmt.Errorf("client report: %w", err))
		}
		if resp.Received != int64(c.next) || rep.Ops+1 != int64(c.next) {
			return nil, f.fail(i, c.next, fmt.Errorf("client counted %d round trips (%d measured), the server echoed %d requests", resp.Received, rep.Ops, c.next))
		}
		res.Served += int64(c.next)
		res.Clients = append(res.Clients, ClientResult{Share: rep, Usage: resp.Usage})
	}
	res.ServerUsage = readUsage().Sub(u0)
	return res, nil
}

// fail ends a failed run: it stops every watchdog, kills every client (an
// unfinished client waits for an echo that will not come) and returns
// err, client i's failure at its message seq, as the run's error, with
// the client's own account of it.
func (f *FanIn) fail(i int, seq uint64, err error) error {
	if interrupting.Load() {
		f.Close() // the owner cleans up; Close parks until the handler exits
	}
	c := f.clients[i]
	c.wd.halt()
	err = explain(c.ch.peer, &c.wd, err)
	for j, o := range f.clients {
		if j != i {
			o.wd.halt()
			o.ch.peer.kill(fmt.Errorf("%w: killed by the server: client %d failed", ErrPeerDied, i))
		}
	}
	return &RunError{Transport: f.cfg.Transport, API: f.cfg.API, Path: f.cfg.Path, Pin: f.cfg.Pin,
		Workload: fmt.Sprintf("%s clients=%d client=%d pid=%d", FanInWorkload, len(f.clients), i, c.ch.peer.PID()),
		Size:     f.cfg.Size, Seq: seq, Err: err}
}

// take checks request msg of client c (its length and sequence number),
// counts it and reports whether it was the client's end-flagged one.
func (c *fanClient) take(msg []byte, size int) (end bool, err error) {
	want := c.next
	if len(msg) >= 8 && seqOf(msg)&endFlag != 0 {
		want |= endFlag
	}
	if err := verifyHead(msg, size, want); err != nil {
		return false, err
	}
	c.next++
	if c.next%progressEvery == 0 {
		c.progress.Store(c.next)
	}
	return want&endFlag != 0, nil
}

// serveOne receives client c's next request into buf, checks it and
// echoes it; end reports the client's end.
func (c *fanClient) serveOne(buf []byte, size int) (end bool, err error) {
	if c.done {
		return false, fmt.Errorf("a message after its end-flagged one")
	}
	n, err := c.ch.conn.Recv(buf)
	if err != nil {
		return false, fmt.Errorf("recv: %w", err)
	}
	if end, err = c.take(buf[:n], size); err != nil {
		return false, err
	}
	if err := c.ch.conn.Send(buf[:n]); err != nil {
		return false, fmt.Errorf("send: %w", err)
	}
	if end {
		c.done = true
		c.wd.halt() // its progress ends here; the others may run on
	}
	return end, nil
}

// serveGoroutines serves each client on a goroutine of its own; the first
// failure kills every client, so that the other goroutines return too. It
// returns the failed client's index and its error.
func (f *FanIn) serveGoroutines() (int, error) {
	var wg sync.WaitGroup
	var once sync.Once
	first, firstErr := -1, error(nil)
	for i, c := range f.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, f.cfg.MaxMessage)
			for {
				end, err := c.serveOne(buf, f.cfg.Size)
				if err != nil {
					once.Do(func() {
						first, firstErr = i, err
						for j, o := range f.clients {
							if j != i {
								o.ch.peer.kill(fmt.Errorf("%w: killed by the server: client %d failed", ErrPeerDied, i))
							}
						}
					})
					return
				}
				if end {
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return first, firstErr
	}
	return 0, nil
}

// serveEpoll serves every client from the calling (locked) thread: one
// epoll set over the clients' receive descriptors, level-triggered; a
// ready client is served, and served again while its Conn holds buffered
// bytes of the stream (transports.Pollable), until its end, when it
// leaves the set. A client's death makes its descriptor readable (end of
// file, or the interrupt its death triggers), so that its Recv fails.
func (f *FanIn) serveEpoll() (int, error) {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return 0, fmt.Errorf("epoll_create1: %w", err)
	}
	defer unix.Close(ep)
	fds := make([]int, len(f.clients))
	for i, c := range f.clients {
		fds[i] = c.ch.conn.(transports.Pollable).PollFD()
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(i)}
		if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, fds[i], &ev); err != nil {
			return i, fmt.Errorf("epoll_ctl(ADD): %w", err)
		}
	}
	buf := make([]byte, f.cfg.MaxMessage)
	events := make([]unix.EpollEvent, len(f.clients))
	for live := len(f.clients); live > 0; {
		n, err := unix.EpollWait(ep, events, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("epoll_wait: %w", err)
		}
		for _, ev := range events[:n] {
			i := int(ev.Fd)
			c := f.clients[i]
			for {
				end, err := c.serveOne(buf, f.cfg.Size)
				if err != nil {
					return i, err
				}
				if end {
					if err := unix.EpollCtl(ep, unix.EPOLL_CTL_DEL, fds[i], nil); err != nil {
						return i, fmt.Errorf("epoll_ctl(DEL): %w", err)
					}
					live--
					break
				}
				if !c.ch.conn.(transports.Pollable).Buffered() {
					break
				}
			}
		}
	}
	return 0, nil
}

// serveRings serves every client's ring pair from the calling (locked)
// thread, waiting with the MultiWait for any ring to hold a request and
// looking first at the client after the one served last. A client's death
// interrupts its Conn, which ends the wait and fails its Recv.
func (f *FanIn) serveRings() (int, error) {
	buf := make([]byte, f.cfg.MaxMessage)
	next := 0
	for live := len(f.clients); live > 0; {
		i, err := f.mw.Wait(next)
		if err != nil {
			return next % len(f.clients), err
		}
		end, err := f.clients[i].serveOne(buf, f.cfg.Size)
		if err != nil {
			return i, err
		}
		if end {
			live--
		}
		next = i + 1
	}
	return 0, nil
}

// Close ends every client, removes the transports' kernel objects and
// undoes the placement. It is idempotent and safe after any failure.
func (f *FanIn) Close() error {
	var errs []error
	f.closeOnce.Do(func() {
		var wg sync.WaitGroup
		for _, c := range f.clients {
			c.wd.halt()
			if c.ch.peer != nil {
				wg.Add(1)
				go func() { defer wg.Done(); c.ch.peer.Close() }()
			}
		}
		wg.Wait()
		for _, c := range f.clients {
			if c.ch.conn != nil {
				if err := c.ch.conn.Close(); err != nil {
					errs = append(errs, err)
				}
			}
		}
		if f.restore != nil {
			f.restore()
		}
		for _, s := range f.shims {
			untrackSession(s)
		}
	})
	parkIfInterrupted()
	return errors.Join(errs...)
}
