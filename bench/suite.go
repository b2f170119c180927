// Package bench defines ipcbench's benchmark suite: which cells exist
// (workload × transport × api × pin × size, and × path for the socket
// transports that have one), how one cell is measured, and
// the reference measurements the transports are judged against. The
// Benchmark functions that `go test -bench` finds are thin wrappers in the
// repository's root package (ipcbench_test.go), so that both
// `go test -bench=. ./...` and `go test -bench ./...` at the root run the
// suite exactly once. A Runner runs the same cases outside go test, round
// by round (what `ipcbench run` does: the command only parses its flags
// into a Profile and a Runner).
//
// # What an op is
//
//   - BenchmarkPingPong: ns/op is one round trip: the parent sends a
//     size-byte message and receives the peer's echo of it, every byte
//     checked. MB/s counts both directions (2 × size per op).
//   - BenchmarkStream: ns/op is one message delivered: the parent sends as
//     fast as the transport accepts; the peer checks every byte; the time to
//     drain the last messages is included. MB/s counts size per op.
//   - p50-ns … max-ns: percentiles of the per-op time (ping-pong: round
//     trip; stream: the sender's time per message), from an HDR histogram
//     of every op (3 significant digits).
//   - cpu-ns/op: user+system CPU time of BOTH processes per op; ctxsw/op:
//     their voluntary+involuntary context switches per op.
//   - lost-%: for lossy transports (udp), messages dropped in the stream.
//   - BenchmarkRate (rate.go): open loop at a fixed offered rate; ns/op is
//     the wall time per message sent, resp-*-ns the response times from
//     the intended send, invalid 1 when the run fell behind its schedule
//     (harness.RateResult.Report).
//   - BenchmarkPairs (pairs.go): N ping-pong pairs over one shared window;
//     ns/op is the aggregate's wall time per round trip (1 ÷ msg/s), p50-ns
//     and p99-ns the median over the pairs of each pair's, cpu-ns/op and
//     ctxsw/op those of every process, MB/s both directions of every
//     round trip at the aggregate rate (harness.Shares.Report).
//   - BenchmarkFanIn (fanin.go): clients=N clients ping-pong at once with
//     one server; ns/op is the aggregate's wall time per message (1 ÷
//     msg/s), the rest as for Pairs, plus server-cpu-ns/op
//     (harness.FanInResult.Report).
package bench

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ipcbench/ipcbench/harness"
	"github.com/ipcbench/ipcbench/internal/netns"
	"github.com/ipcbench/ipcbench/results"
	"github.com/ipcbench/ipcbench/transports"
)

// DefaultSizes are the message sizes every transport is measured at, when
// its limit allows (results.DefaultSizes, which the reports read too).
var DefaultSizes = results.DefaultSizes

// DefaultPins are the placements the default suite measures.
var DefaultPins = []harness.Pin{harness.PinSplit, harness.PinSame}

// DefaultRuntimePins are the default placements of api=runtime: also
// pin=none, what a Go service that nobody placed gets.
var DefaultRuntimePins = []harness.Pin{harness.PinSplit, harness.PinSame, harness.PinNone}

// Flags of the test binary (go test -args -ipcbench.pins=…), so the suite
// can be narrowed without editing code; -bench regexps narrow it too.
var (
	pinsFlag    = flag.String("ipcbench.pins", "", "comma-separated placements to measure (split, same, none; default: split and same, and none too for api=runtime)")
	pathsFlag   = flag.String("ipcbench.paths", "", "comma-separated network paths of tcp and udp besides loopback (veth, netem; none: loopback alone; default: veth)")
	sizesFlag   = flag.String("ipcbench.sizes", "", "comma-separated message sizes in bytes (default: 64,1024,4096,65536,1048576)")
	ratesFlag   = flag.String("ipcbench.rates", "", "comma-separated offered rates of BenchmarkRate in messages/s (default: 100,300,1000,…,1000000)")
	warmupFlag  = flag.Duration("ipcbench.warmup", 100*time.Millisecond, "warm-up time per benchmark before measuring")
	clientsFlag = flag.String("ipcbench.clients", "", "comma-separated client counts of BenchmarkFanIn (1 to 64; default: 1,2,4,8)")
	windowFlag  = flag.Duration("ipcbench.window", 0, "BenchmarkFanIn's measured window (default: the -test.benchtime duration; a count benchtime Nx gives each client N round trips)")
)

// Cell is one measurement of the suite.
type Cell struct {
	Workload  string // harness.PingPong or harness.Stream
	Transport string
	API       transports.API
	Path      harness.Path // the zero Path: loopback (no path key)
	Pin       harness.Pin
	Size      int
	// Remote is the peer of a path=remote cell.
	Remote *harness.Remote
	// Netem is the shaping of a path=netem cell (nil: the harness's).
	Netem *netns.Netem
}

// Name is the sub-benchmark name: the keys in fixed order, size last.
func (c Cell) Name() string {
	return results.Key{Transport: c.Transport, API: string(c.API), Path: string(c.Path), Pin: string(c.Pin), Size: c.Size}.SubName()
}

// DefaultPaths are the network paths the default suite measures the
// transports that have one on (transports.Info.Net), besides loopback.
var DefaultPaths = []harness.Path{harness.PathVeth}

// Options narrow the matrix.
type Options struct {
	Transports []string         // nil: all registered
	APIs       []transports.API // nil: all each transport has
	Pins       []harness.Pin    // nil: DefaultPins (DefaultRuntimePins for api=runtime)
	Sizes      []int            // nil: DefaultSizes, and the claim cells (ClaimSize)
	// Claims adds the claim cells (ClaimSize) also when Sizes is set: for
	// a profile that narrows the sizes but feeds the verdicts.
	Claims bool
	// Paths are the network paths off loopback of the transports that
	// have one; nil: DefaultPaths; empty and not nil: none. PathRemote
	// needs Remote.
	Paths []harness.Path
	// Remote is the peer of the path=remote cells (ipcbench peer -listen).
	// A path=remote cell runs at pin=none alone: the other host places its
	// own processes.
	Remote *harness.Remote
	// Netem is the shaping of the path=netem cells (nil:
	// harness.NetemDelay each way).
	Netem *netns.Netem
	// Rates are the offered rates of BenchmarkRate, in messages per
	// second (nil: DefaultRates).
	Rates []int
	// RateMessages is the fewest messages a rate case sends, whatever the
	// bench time (0: DefaultRateMessages).
	RateMessages int
	// Pairs are the pair counts of the Pairs group; nil: DefaultPairs.
	Pairs []int
	// Clients are the client counts of FanIn; nil: DefaultClients.
	Clients []int
}

// ClaimSize is the size of the claim cells: one sigqueue value, the most
// a signal carries (harness.MinWorkloadSize, the smallest message a
// workload has). Claim C3 compares the signal round trip with pipes and
// sockets, and signal as the wake-up of shared memory (shm-signal) with the
// other waits, at the same size; claim C5 judges the queues at every size
// under their limits. So, besides the size ladder, PingPong measures at
// ClaimSize, through api=raw at the default pins (or Options.Pins), the
// transports isClaimCell keeps.
const ClaimSize = harness.MinWorkloadSize

// isClaimCell reports whether PingPong over transport info through api
// gets a claim cell: the raw api of the signal, pipe, socket and queue
// families, and of the memfd ring with every wait strategy (shm-*: the
// same ring, only the wait differs).
func isClaimCell(workload string, info transports.Info, api transports.API) bool {
	if workload != harness.PingPong || api != transports.Raw {
		return false
	}
	switch info.Family {
	case "signal", "pipe", "socket", "mq":
		return true
	case "shm":
		return strings.HasPrefix(info.Name, "shm-")
	}
	return false
}

// FlagOptions returns the Options set by the -ipcbench.* flags.
func FlagOptions() (Options, error) {
	var o Options
	for _, p := range strings.Split(*pinsFlag, ",") {
		if *pinsFlag == "" {
			break
		}
		pin, err := harness.ParsePin(strings.TrimSpace(p))
		if err != nil {
			return o, fmt.Errorf("-ipcbench.pins: %w", err)
		}
		o.Pins = append(o.Pins, pin)
	}
	if *pathsFlag != "" {
		paths, err := ParsePaths(*pathsFlag)
		if err != nil {
			return o, fmt.Errorf("-ipcbench.paths: %w", err)
		}
		o.Paths = paths
	}
	if *ratesFlag != "" {
		rates, err := ParseRates(*ratesFlag)
		if err != nil {
			return o, fmt.Errorf("-ipcbench.rates: %w", err)
		}
		o.Rates = rates
	}
	if *sizesFlag != "" {
		sizes, err := ParseSizes(*sizesFlag)
		if err != nil {
			return o, fmt.Errorf("-ipcbench.sizes: %w", err)
		}
		o.Sizes = sizes
	}
	if *pairsFlag != "" {
		pairs, err := ParsePairs(*pairsFlag)
		if err != nil {
			return o, fmt.Errorf("-ipcbench.pairs: %w", err)
		}
		o.Pairs = pairs
	}
	if *clientsFlag != "" {
		clients, err := ParseClients(*clientsFlag)
		if err != nil {
			return o, fmt.Errorf("-ipcbench.clients: %w", err)
		}
		o.Clients = clients
	}
	return o, nil
}

// ParsePaths parses a comma-separated list of network paths off loopback
// ("none" alone: no path but loopback), as Options.Paths takes it.
func ParsePaths(s string) ([]harness.Path, error) {
	paths := []harness.Path{}
	if strings.TrimSpace(s) == "none" {
		return paths, nil
	}
	for _, f := range strings.Split(s, ",") {
		p, err := harness.ParsePath(strings.TrimSpace(f))
		if err != nil {
			return nil, err
		}
		if p == harness.PathLoopback {
			return nil, fmt.Errorf("path %q: loopback is always measured; list the paths besides it, or none", f)
		}
		if !slices.Contains(paths, p) {
			paths = append(paths, p)
		}
	}
	return paths, nil
}

// ParseSizes parses a comma-separated list of sizes in bytes.
func ParseSizes(s string) ([]int, error) {
	var sizes []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < harness.MinWorkloadSize {
			return nil, fmt.Errorf("bad size %q: want a whole number of bytes >= %d", f, harness.MinWorkloadSize)
		}
		sizes = append(sizes, n)
	}
	return sizes, nil
}

// Cells lists the cells of workload for o. A transport whose limit is
// below every size (signal: 8 bytes) is measured at its limit instead, so
// it appears at all. Sizes above a transport's limit are kept: Run skips
// them with the limit in the message, so the omission is visible. When o
// does not narrow the sizes (or sets Claims), the claim cells at ClaimSize
// come first among a transport's sizes (isClaimCell).
func Cells(workload string, o Options) ([]Cell, error) {
	names := o.Transports
	if names == nil {
		names = transports.Names()
	}
	sizes := o.Sizes
	if sizes == nil {
		sizes = DefaultSizes
	}
	var cells []Cell
	for _, name := range names {
		info, err := transports.Lookup(name)
		if err != nil {
			return nil, err
		}
		for _, api := range info.APIs {
			if o.APIs != nil && !contains(o.APIs, api) {
				continue
			}
			tsizes := sizes
			lim := info.Limits(api).MaxMessage
			if lim < harness.MinWorkloadSize {
				// Cannot carry a sequence number (signal api=runtime:
				// notifications only); measured by its own benchmark.
				continue
			}
			if lim < minInt(sizes) {
				tsizes = []int{lim}
			}
			if (o.Sizes == nil || o.Claims) && isClaimCell(workload, info, api) && !slices.Contains(tsizes, ClaimSize) && ClaimSize <= lim {
				tsizes = append([]int{ClaimSize}, tsizes...)
			}
			pins := o.Pins
			switch {
			case pins != nil:
			case api == transports.Runtime:
				pins = DefaultRuntimePins
			default:
				pins = DefaultPins
			}
			for _, pin := range pins {
				for _, size := range tsizes {
					cells = append(cells, Cell{Workload: workload, Transport: name, API: api, Pin: pin, Size: size})
				}
			}
			if info.Net {
				cells = append(cells, pathCells(workload, name, api, pins, sizes, o)...)
			}
		}
	}
	return cells, nil
}

// pathCells are transport's cells off loopback: at each of o's paths, pin
// and size (without the claim cells; path=remote at pin=none alone).
func pathCells(workload, transport string, api transports.API, pins []harness.Pin, sizes []int, o Options) []Cell {
	paths := o.Paths
	if paths == nil {
		paths = DefaultPaths
	}
	var cells []Cell
	for _, path := range paths {
		ppins := pins
		if path == harness.PathRemote {
			ppins = []harness.Pin{harness.PinNone}
		}
		for _, pin := range ppins {
			for _, size := range sizes {
				cells = append(cells, Cell{Workload: workload, Transport: transport, API: api, Path: path, Pin: pin, Size: size, Remote: o.Remote, Netem: o.Netem})
			}
		}
	}
	return cells
}

func contains[T comparable](xs []T, x T) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func minInt(xs []int) int {
	m := xs[0]
	for _, x := range xs[1:] {
		m = min(m, x)
	}
	return m
}

// A Case is one leaf benchmark of the suite: its name below the group
// ("transport=pipe/api=raw/pin=same/size=64"), a check that returns the
// reason to skip it here (nil: run it), and its body.
type Case struct {
	Name  string
	Check func() error
	Run   func(b *testing.B)
	// probe marks a Runner's drift probe: a failed probe is reported and
	// runs again in the next cluster.
	probe bool
}

// A Group is a top-level benchmark: BenchmarkPingPong is the group
// "PingPong".
type Group struct {
	Name  string
	Cases func(o Options) ([]Case, error)
}

// Groups lists the suite's groups in the order they run.
var Groups = []Group{
	{Name: "PingPong", Cases: workloadCases(harness.PingPong)},
	{Name: "Stream", Cases: workloadCases(harness.Stream)},
	{Name: "Baseline", Cases: baselineCases},
}

// addGroup appends a group; files that define groups call it from init.
func addGroup(g Group) { Groups = append(Groups, g) }

func workloadCases(workload string) func(Options) ([]Case, error) {
	return func(o Options) ([]Case, error) {
		cells, err := Cells(workload, o)
		if err != nil {
			return nil, err
		}
		cases := make([]Case, len(cells))
		for i, c := range cells {
			cases[i] = Case{Name: c.Name(), Check: c.Check, Run: func(b *testing.B) { Run(b, c) }}
		}
		return cases, nil
	}
}

// RunGroup runs the group's cases, as narrowed by the -ipcbench.* flags,
// as sub-benchmarks of b.
func RunGroup(b *testing.B, name string) {
	o, err := FlagOptions()
	if err != nil {
		b.Fatal(err)
	}
	for _, g := range Groups {
		if g.Name != name {
			continue
		}
		cases, err := g.Cases(o)
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range cases {
			b.Run(c.Name, func(b *testing.B) {
				if c.Check != nil {
					if err := c.Check(); err != nil {
						b.Skip(err)
					}
				}
				c.Run(b)
			})
		}
		return
	}
	b.Fatalf("no benchmark group %q", name)
}

// Check returns why c cannot run here (a size above the transport's
// limit), or nil.
func (c Cell) Check() error {
	info, err := transports.Lookup(c.Transport)
	if err != nil {
		return err
	}
	if lim := info.Limits(c.API); c.Size > lim.MaxMessage {
		return fmt.Errorf("%s: size %d exceeds the limit of %d bytes (%s)", c.Transport, c.Size, lim.MaxMessage, lim.Source)
	}
	return harness.CheckPath(c.config())
}

// config is the harness configuration of c.
func (c Cell) config() harness.Config {
	cfg := harness.Config{Transport: c.Transport, API: c.API, Pin: c.Pin, Size: c.Size, Path: c.Path, Remote: c.Remote}
	if c.Path == harness.PathNetem {
		cfg.Netem = c.Netem
	}
	return cfg
}

// Run measures one cell: it starts a peer, warms up, measures over b.Loop
// and reports the metrics. It skips, with the reason, a mechanism this
// machine does not allow. It does not call c.Check: whoever runs the
// cell's Case (RunGroup, ipcbench run) calls Case.Check once before.
func Run(b *testing.B, c Cell) {
	s := startCell(b, c)
	defer s.Close()
	if err := s.Warmup(c.Workload, warmup(b), harness.MaxWarmupOps); err != nil {
		fatal(b, err)
	}
	res, err := s.Run(b, c.Workload)
	if err != nil {
		fatal(b, err)
	}
	res.Report(b)
}

// startCell starts the session of c, or skips b with the reason when the
// mechanism is not available here, or fails it.
func startCell(b *testing.B, c Cell) *harness.Session {
	s, err := harness.Start(c.config())
	if err != nil {
		if errors.Is(err, errors.ErrUnsupported) {
			skipf(b, "%s: not available here: %v", c.Transport, err)
		}
		fatal(b, err)
	}
	return s
}
