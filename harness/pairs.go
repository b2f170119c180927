package harness

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"testing"
	"time"

	"github.com/ipcbench/ipcbench/internal/load"
	"github.com/ipcbench/ipcbench/transports"
	"golang.org/x/sys/unix"
)

// MaxPairs is the most pairs RunPairs runs at once.
const MaxPairs = 64

// pairsDriver is the peer function that drives one pair (drivePair).
const pairsDriver = "pairs-driver"

func init() { RegisterPeerFunc(pairsDriver, drivePair) }

// PairsConfig chooses what RunPairs runs.
type PairsConfig struct {
	// Config is each pair's session, on loopback. Its HangTimeout
	// (DefaultHangTimeout if zero) is each session's, and also how long
	// past the window a pair may take to report before it is declared
	// hung.
	Config
	// Pairs is the number of pairs, 1 to MaxPairs.
	Pairs int
	// Warmup is each pair's warm-up, before the barrier (the warm-up rule
	// of Session.Warmup).
	Warmup time.Duration
	// Window is how long each pair runs its ping-pong from the barrier.
	Window time.Duration
	// Count, when positive, is the most round trips a pair runs: the
	// window or the count ends its run, whichever comes first.
	Count int

	// onRelease, when set, is called with every pair's driver and
	// session peer pids once the barrier is released (fault injection
	// in tests).
	onRelease func(drivers, peers []int)
}

// PairResult is what one pair did in the window: its share of the run,
// and the usage of its two processes over its run: the driver (the
// session's parent) and the session's peer.
type PairResult struct {
	Share
	Driver Usage `json:"driver"`
	Peer   Usage `json:"peer"`
}

// PairsResult is what RunPairs measured.
type PairsResult struct {
	Config PairsConfig // with the defaults filled in
	Pairs  []PairResult
	// Top is this process's usage from the barrier's release until every
	// pair had reported.
	Top Usage
	// Oversubscribed says that the pairs' spinning sides outnumber the
	// CPUs the placement gives them (SpinningSides, PlacementCPUs).
	Oversubscribed bool
}

// Shares are the pairs' shares of the run.
func (r *PairsResult) Shares() Shares {
	ss := make(Shares, len(r.Pairs))
	for i, p := range r.Pairs {
		ss[i] = p.Share
	}
	return ss
}

// Report writes the metrics on b. A message is one verified round trip
// (a request and its echo), as a PingPong op is. Shares.Report says what
// the aggregate, percentile and fairness metrics are; cpu-ns/op and
// ctxsw/op are the CPU time and context switches of every process (this
// one over the window, each pair's driver and session peer over its run)
// per message.
func (r *PairsResult) Report(b *testing.B) {
	ss := r.Shares()
	ss.Report(b, r.Config.Size, r.Oversubscribed)
	parent, peer := r.Top, Usage{}
	for _, p := range r.Pairs {
		parent, peer = parent.Add(p.Driver), peer.Add(p.Peer)
	}
	ReportUsage(b, parent, peer, ss.Ops())
}

// SpinningSides is the number of sides of one pair that keep their CPU
// busy while they wait: both for a transport that spins
// (transports.WaitSpin; shm-hybrid, which spins before it sleeps, counts
// as spinning), none for one that sleeps.
func SpinningSides(info transports.Info) int {
	if info.Wait == transports.WaitSpin {
		return 2
	}
	return 0
}

// PlacementCPUs is the number of CPUs pin gives all pairs together: every
// pair's two processes take the same placement, so split gives them its
// two CPUs, same its one, and none every CPU this process may use.
func PlacementCPUs(pin Pin) (int, error) {
	switch pin {
	case PinSplit:
		return 2, nil
	case PinSame:
		return 1, nil
	}
	cpus, err := allowedCPUs()
	return len(cpus), err
}

// pairArgs are a driver's arguments.
type pairArgs struct {
	Transport   string         `json:"transport"`
	API         transports.API `json:"api"`
	Pin         Pin            `json:"pin"`
	Size        int            `json:"size"`
	HangTimeout time.Duration  `json:"hang_timeout"`
	Warmup      time.Duration  `json:"warmup"`
	Window      time.Duration  `json:"window"`
	Count       int            `json:"count"`
}

// pairReady is a driver's message that it has warmed up.
type pairReady struct {
	PeerPID int `json:"peer_pid"`
}

// RunPairs runs cfg.Pairs independent pairs of cfg's session behind one
// barrier and measures them over one shared window. Each pair is a driver
// process (this binary again, started unpinned) that starts its own
// Session of cfg, with its own peer, placed as any session is, so that
// every pair's two processes take cfg.Pin; warms it up; says it is ready;
// and blocks reading the barrier, a pipe whose write end only this
// process holds. Once every pair is ready, closing the write end wakes
// them all with end of file: each runs the ping-pong for the window (or
// Count round trips), every message verified, and reports.
//
// It first starts and closes one session of cfg here, so that a
// configuration this machine cannot run fails with its own error
// (errors.ErrUnsupported for a missing mechanism, the size limit). A
// failed pair ends the run at once: the other drivers are killed, and the
// error names the pair. A pair that has not reported within the window
// plus the hang timeout from the release is declared hung. Every driver
// is reaped before RunPairs returns; a driver's session peer dies with
// it (Pdeathsig).
func RunPairs(cfg PairsConfig) (_ *PairsResult, err error) {
	if cfg.Pairs < 1 || cfg.Pairs > MaxPairs {
		return nil, fmt.Errorf("pairs=%d: want 1 to %d pairs (harness.MaxPairs)", cfg.Pairs, MaxPairs)
	}
	if cfg.Window <= 0 {
		return nil, fmt.Errorf("pairs: window %v: want a positive window", cfg.Window)
	}
	if cfg.Path != PathLoopback {
		return nil, fmt.Errorf("pairs: path=%s: pairs run on loopback only", cfg.Path)
	}
	if cfg.HangTimeout == 0 {
		cfg.HangTimeout = DefaultHangTimeout
	}
	info, err := transports.Lookup(cfg.Transport)
	if err != nil {
		return nil, err
	}
	probe, err := Start(cfg.Config)
	if err != nil {
		return nil, err
	}
	cfg.Config = probe.Config()
	probe.Close()
	cpus, err := PlacementCPUs(cfg.Pin)
	if err != nil {
		return nil, err
	}
	res := &PairsResult{Config: cfg, Oversubscribed: load.Oversubscribed(cfg.Pairs, SpinningSides(info), cpus)}
	where := fmt.Sprintf("transport=%s api=%s pin=%s size=%d pairs=%d", cfg.Transport, cfg.API, cfg.Pin, cfg.Size, cfg.Pairs)

	br, bw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("%s: barrier: %w", where, err)
	}
	defer bw.Close()
	defer br.Close()
	drivers := make([]*FuncSession, 0, cfg.Pairs)
	defer func() {
		if err != nil {
			killDrivers(drivers, fmt.Errorf("%w: the run of the pairs failed", ErrPeerDied))
		}
		for _, d := range drivers {
			d.Close()
		}
	}()
	pairErr := func(i int, err error) error {
		return fmt.Errorf("%s: pair %d (driver pid %d): %w", where, i, drivers[i].Peer().PID(), err)
	}
	dapi := transports.Raw
	if processScope(cfg.API) {
		dapi = transports.Runtime
	}
	for range cfg.Pairs {
		end, err := dupFile(br)
		if err != nil {
			return nil, fmt.Errorf("%s: barrier: %w", where, err)
		}
		d, err := StartFunc(pairsDriver, PinNone, dapi, []*os.File{end})
		if err != nil {
			return nil, fmt.Errorf("%s: pair %d: %w", where, len(drivers), err)
		}
		drivers = append(drivers, d)
	}
	br.Close()
	args := pairArgs{Transport: cfg.Transport, API: cfg.API, Pin: cfg.Pin, Size: cfg.Size, HangTimeout: cfg.HangTimeout, Warmup: cfg.Warmup, Window: cfg.Window, Count: cfg.Count}
	for i, d := range drivers {
		if err := d.begin(args); err != nil {
			return nil, pairErr(i, err)
		}
	}
	peers := make([]int, cfg.Pairs)
	for i, d := range drivers {
		var r pairReady
		if err := d.Recv(&r); err != nil {
			return nil, pairErr(i, err)
		}
		peers[i] = r.PeerPID
	}

	u0 := readUsage()
	bw.Close() // the release: every driver's read returns end of file
	if cfg.onRelease != nil {
		pids := make([]int, len(drivers))
		for i, d := range drivers {
			pids[i] = d.Peer().PID()
		}
		cfg.onRelease(pids, peers)
	}
	type report struct {
		i   int
		r   PairResult
		err error
	}
	reports := make(chan report, len(drivers))
	for i, d := range drivers {
		go func() {
			var r PairResult
			_, _, err := d.Finish(&r)
			reports <- report{i, r, err}
		}()
	}
	bound := cfg.Window + cfg.HangTimeout
	deadline := time.AfterFunc(bound, func() {
		killDrivers(drivers, fmt.Errorf("%w: no report within %v of the release (window %v + hang timeout %v)", ErrPeerHung, bound, cfg.Window, cfg.HangTimeout))
	})
	res.Pairs = make([]PairResult, len(drivers))
	var first error
	for range drivers {
		rep := <-reports
		if rep.err != nil && first == nil {
			first = pairErr(rep.i, rep.err)
			killDrivers(drivers, fmt.Errorf("%w: stopped because pair %d failed", ErrPeerDied, rep.i))
		}
		res.Pairs[rep.i] = rep.r
	}
	deadline.Stop()
	res.Top = readUsage().Sub(u0)
	if first != nil {
		return nil, first
	}
	return res, nil
}

// killDrivers kills every driver still running, recording why.
func killDrivers(drivers []*FuncSession, why error) {
	for _, d := range drivers {
		d.peer.kill(why)
	}
}

// dupFile returns a new descriptor of f's open file (close-on-exec, as
// every descriptor here is until spawn hands it over).
func dupFile(f *os.File) (*os.File, error) {
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}

// monotonicNS reads CLOCK_MONOTONIC, the clock every process of the host
// shares, in nanoseconds: pairs, clients and server agree on a window.
func monotonicNS() int64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}

// drivePair is a pair's driver (RunPairs): start the session, warm up,
// say so, wait for the barrier's release, run the window and report.
func drivePair(pc *PeerContext) (any, error) {
	var a pairArgs
	if err := json.Unmarshal(pc.Args, &a); err != nil {
		return nil, fmt.Errorf("arguments: %w", err)
	}
	if len(pc.Files) != 1 {
		return nil, fmt.Errorf("want the barrier's read end, got %d files", len(pc.Files))
	}
	s, err := Start(Config{Transport: a.Transport, API: a.API, Pin: a.Pin, Size: a.Size, HangTimeout: a.HangTimeout})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if err := s.Warmup(PingPong, a.Warmup, MaxWarmupOps); err != nil {
		return nil, err
	}
	if err := pc.Send(pairReady{PeerPID: s.Peer().PID()}); err != nil {
		return nil, err
	}
	if _, err := io.Copy(io.Discard, pc.Files[0]); err != nil {
		return nil, fmt.Errorf("barrier: %w", err)
	}
	count := a.Count
	if count <= 0 {
		count = math.MaxInt
	}
	start := monotonicNS()
	r, err := s.RunCount(PingPong, count, a.Window)
	end := monotonicNS()
	if err != nil {
		return nil, err
	}
	if r.Ops == 0 {
		return nil, errors.New("no round trip in the window")
	}
	q := func(p float64) float64 { return float64(r.Hist.ValueAtQuantile(p)) * r.NsPerTick }
	return PairResult{
		Share:  Share{Ops: r.Ops, P50NS: q(50), P99NS: q(99), MaxNS: float64(r.Hist.Max()) * r.NsPerTick, StartNS: start, EndNS: end},
		Driver: r.Parent, Peer: r.Peer,
	}, nil
}
