package bench

// BenchmarkPairs/transport=…/api=…/pin=…/size=…/pairs=N: N independent
// ping-pong pairs of one transport, started behind one barrier and
// measured over one shared window (harness.RunPairs). A message is one
// verified round trip, as a PingPong op is; PairsResult.Report says what
// each metric is. Every pair's two processes take the cell's placement:
// pin=split puts every driver on the first CPU and every session peer on
// the second, pin=none leaves all of them to the scheduler.
//
// The window is the bench time: with -benchtime=1s (or a Runner's
// BenchTime) every pair runs for one second from the barrier, once: the
// body runs the whole measurement in its one call (b.N is 1) and reports
// ns/op itself, the aggregate's wall time per message. With a count
// (-benchtime=100x) each pair runs b.N round trips (the testing package
// calls the body with b.N = 1 first, then with the count), within
// maxCountWindow.
//
// The group is one of the LoadGroups: a profile runs it only when it
// names it in its Groups; under go test, -bench selects it as any other.

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ipcbench/ipcbench/harness"
	"github.com/ipcbench/ipcbench/results"
	"github.com/ipcbench/ipcbench/transports"
)

// DefaultPairs are the pair counts the Pairs group measures.
var DefaultPairs = []int{1, 2, 4, 8}

// PairsTransports are the transports the Pairs group measures: the
// pipe, socket and queue families and the memfd ring with a sleeping, a
// hybrid and a spinning wait.
var PairsTransports = []string{"pipe", "unix-stream", "tcp", "posix-mq", "shm-futex", "shm-hybrid", "shm-spin"}

// PairsSizes are the message sizes of the Pairs group.
var PairsSizes = []int{64, 4096}

// PairsPins are the placements of the Pairs group: split (every pair on
// the same two CPUs, one side each) and none (the scheduler spreads them).
var PairsPins = []harness.Pin{harness.PinSplit, harness.PinNone}

// maxCountWindow bounds a pair's run under a count (-benchtime=Nx).
const maxCountWindow = time.Minute

var pairsFlag = flag.String("ipcbench.pairs", "", "comma-separated pair counts of BenchmarkPairs (default: 1,2,4,8; at most 64)")

func init() { addGroup(Group{results.BenchPairs, pairsCases}) }

// ParsePairs parses a comma-separated list of pair counts, each from 1 to
// harness.MaxPairs.
func ParsePairs(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > harness.MaxPairs {
			return nil, fmt.Errorf("bad pair count %q: want a whole number from 1 to %d (harness.MaxPairs)", f, harness.MaxPairs)
		}
		out = append(out, n)
	}
	return out, nil
}

// pairsCases are the Pairs group's cases for o: each transport (o's, or
// PairsTransports), each of its APIs (o's), at each pin (o's, or
// PairsPins), size (o's, or PairsSizes) and pair count (o's, or
// DefaultPairs).
func pairsCases(o Options) ([]Case, error) {
	names, pins, sizes, counts := o.Transports, o.Pins, o.Sizes, o.Pairs
	if names == nil {
		names = PairsTransports
	}
	if pins == nil {
		pins = PairsPins
	}
	if sizes == nil {
		sizes = PairsSizes
	}
	if counts == nil {
		counts = DefaultPairs
	}
	for _, n := range counts {
		if n < 1 || n > harness.MaxPairs {
			return nil, fmt.Errorf("pairs=%d: want 1 to %d pairs (harness.MaxPairs)", n, harness.MaxPairs)
		}
	}
	var cases []Case
	for _, name := range names {
		info, err := transports.Lookup(name)
		if err != nil {
			return nil, err
		}
		for _, api := range info.APIs {
			if o.APIs != nil && !contains(o.APIs, api) {
				continue
			}
			if info.Limits(api).MaxMessage < harness.MinWorkloadSize {
				continue // no room for a sequence number (as in Cells)
			}
			for _, pin := range pins {
				for _, size := range sizes {
					for _, n := range counts {
						c := Cell{Workload: harness.PingPong, Transport: name, API: api, Pin: pin, Size: size}
						key := results.Key{Transport: name, API: string(api), Pin: string(pin), Size: size, Pairs: n}
						cases = append(cases, Case{Name: key.SubName(), Check: c.Check, Run: func(b *testing.B) { runPairs(b, c, n) }})
					}
				}
			}
		}
	}
	return cases, nil
}

// pairsWindow is the window and the count of a Pairs run for b: the bench
// time (benchTime) and no count, or under a count (-benchtime=Nx) b.N
// round trips per pair within maxCountWindow.
func pairsWindow(b *testing.B) (time.Duration, int) {
	if d, n := benchTime(); n == 0 {
		return d, 0
	}
	return maxCountWindow, b.N
}

// runPairs measures cell c with n pairs and reports the metrics. It skips,
// with the reason, a mechanism this machine does not allow.
func runPairs(b *testing.B, c Cell, n int) {
	window, count := pairsWindow(b)
	r, err := harness.RunPairs(harness.PairsConfig{Config: c.config(), Pairs: n, Warmup: warmup(b), Window: window, Count: count})
	if err != nil {
		if errors.Is(err, errors.ErrUnsupported) {
			skipf(b, "%s: not available here: %v", c.Transport, err)
		}
		fatal(b, err)
	}
	r.Report(b)
}
