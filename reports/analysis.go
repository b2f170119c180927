package reports

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Variant preferences: when one figure per transport is needed, the
// primary variant is the first API and the run's main pin found in these
// lists (raw syscalls are closest to the mechanism; split pinning lets
// both processes run at once).
var (
	apiPreference = []string{"raw", "zerocopy", "runtime", ""}
	pinPreference = []string{"split", "none", "same", ""}
)

// mainPin returns the pin used for cross-transport comparisons: the most
// preferred pin that appears in bench's results.
func (r *Results) mainPin(bench string) string {
	have := map[string]bool{}
	for _, k := range r.Keys(bench) {
		have[k.Pin] = true
	}
	for _, p := range pinPreference {
		if have[p] {
			return p
		}
	}
	return ""
}

// A point is one transport's figure at one size.
type point struct {
	Transport string
	Key       Key
	Sum       Summary
}

// primaryKey returns the key of transport's primary variant in bench at
// size and pin, choosing the API by apiPreference; ok is false if none
// has results in unit.
func (r *Results) primaryKey(bench, transport string, size int, pin, unit string) (Key, bool) {
	for _, api := range apiPreference {
		k := Key{Bench: bench, Transport: transport, API: api, Pin: pin, Size: size}
		if r.Get(k, unit) != nil {
			return k, true
		}
	}
	return Key{}, false
}

// at returns the primary variant of every transport in bench at size in
// unit, at the run's main pin, in palette order.
func (r *Results) at(bench, unit string, size int) []point {
	pin := r.mainPin(bench)
	var pts []point
	for _, t := range r.Transports(bench) {
		k, ok := r.primaryKey(bench, t, size, pin, unit)
		if !ok {
			continue
		}
		s, _ := r.Stat(k, unit)
		pts = append(pts, point{t, k, s})
	}
	return pts
}

// filter returns the points whose transport satisfies keep.
func filter(pts []point, keep func(string) bool) []point {
	var out []point
	for _, p := range pts {
		if keep(p.Transport) {
			out = append(out, p)
		}
	}
	return out
}

// best returns the point with the best median (lower or higher), and the
// others whose intervals overlap it (not distinguishable from the best).
func best(pts []point, lowerBetter bool) (point, []point, bool) {
	if len(pts) == 0 {
		return point{}, nil, false
	}
	b := pts[0]
	for _, p := range pts[1:] {
		if (p.Sum.Median < b.Sum.Median) == lowerBetter && p.Sum.Median != b.Sum.Median {
			b = p
		}
	}
	var ties []point
	for _, p := range pts {
		if p.Transport != b.Transport && p.Sum.Overlaps(b.Sum) {
			ties = append(ties, p)
		}
	}
	return b, ties, true
}

// metric describes one figure compared across transports.
type metric struct {
	Name        string // "latency", "throughput", "CPU cost"
	Bench, Unit string
	LowerBetter bool
	Format      func(float64) string
}

var (
	metricLatency    = metric{"round-trip latency", BenchPingPong, UnitNsOp, true, fmtNs}
	metricThroughput = metric{"throughput", BenchStream, UnitMBs, false, fmtMBs}
	metricCPUStream  = metric{"CPU per message", BenchStream, UnitCPU, true, fmtNs}
	metricCPUPing    = metric{"CPU per round trip", BenchPingPong, UnitCPU, true, fmtNs}
)

// cpuMetric returns the CPU-cost metric: per streamed message if the run
// has Stream CPU figures, else per round trip.
func (r *Results) cpuMetric() metric {
	for _, s := range r.Series {
		if s.Key.Bench == BenchStream && s.Unit == UnitCPU {
			return metricCPUStream
		}
	}
	return metricCPUPing
}

// A duel compares the best shared-memory transport with the best
// message-passing transport at one size.
type duel struct {
	Size        int
	SHM, MP     point
	Outcome     Order // from shared memory's point of view
	Measurable  bool
	TransportsN int
}

// shmDuels compares, size by size, the best shared-memory transport with
// the best of the others (pipes, sockets, queues, signals, cma).
func (r *Results) shmDuels(m metric) []duel {
	var ds []duel
	for _, size := range r.Sizes(m.Bench, "") {
		pts := r.at(m.Bench, m.Unit, size)
		s, _, okS := best(filter(pts, IsSharedMemory), m.LowerBetter)
		p, _, okP := best(filter(pts, func(t string) bool { return !IsSharedMemory(t) }), m.LowerBetter)
		d := duel{Size: size, SHM: s, MP: p, Measurable: okS && okP, TransportsN: len(pts)}
		if d.Measurable {
			d.Outcome = Compare(s.Sum, p.Sum, m.LowerBetter)
		}
		ds = append(ds, d)
	}
	return ds
}

// crossover returns the smallest size from which shared memory wins at
// every larger measured size, and whether there is one.
func crossover(ds []duel) (int, bool) {
	size, found := 0, false
	for i := len(ds) - 1; i >= 0; i-- {
		if !ds[i].Measurable {
			continue
		}
		if ds[i].Outcome != Better {
			break
		}
		size, found = ds[i].Size, true
	}
	return size, found
}

// Formatting helpers: figures are printed with three significant digits
// in a unit chosen by magnitude.

func fmtNs(ns float64) string {
	switch a := math.Abs(ns); {
	case math.IsNaN(ns):
		return "n/a"
	case a >= 1e9:
		return sig3(ns/1e9) + " s"
	case a >= 1e6:
		return sig3(ns/1e6) + " ms"
	case a >= 1e3:
		return sig3(ns/1e3) + " µs"
	default:
		return sig3(ns) + " ns"
	}
}

func fmtMBs(v float64) string {
	if math.Abs(v) >= 1000 {
		return sig3(v/1000) + " GB/s"
	}
	return sig3(v) + " MB/s"
}

func fmtPct(v float64) string { return sig3(v) + " %" }

func sig3(v float64) string {
	switch a := math.Abs(v); {
	case a == 0:
		return "0"
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}

// SizeLabel formats a message size in bytes as "64 B", "4 KiB", "1 MiB".
func SizeLabel(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d B", n)
	}
}

func sizeList(sizes []int) string {
	var ss []string
	for _, s := range sizes {
		ss = append(ss, SizeLabel(s))
	}
	return strings.Join(ss, ", ")
}

func transportList(pts []point) string {
	var ss []string
	for _, p := range pts {
		ss = append(ss, p.Transport)
	}
	return strings.Join(ss, ", ")
}

// ratio formats a/b as "3.2×".
func ratio(a, b float64) string {
	if b == 0 {
		return "∞×"
	}
	return sig3(a/b) + "×"
}

func sortedInts(m map[int]bool) []int {
	var out []int
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}
