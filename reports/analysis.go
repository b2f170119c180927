package reports

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/ipcbench/ipcbench/results"
)

// Variant preferences: when one figure per transport is needed, the
// primary variant is the first API found in apiPreference (raw syscalls
// are closest to the mechanism). api=zerocopy is never a primary variant:
// it is reported on its own lines, beside the copying APIs.
var (
	apiPreference = []string{"raw", "runtime", ""}
	pinPreference = []string{"split", "none", "same", ""}
)

// APIZeroCopy is the /api value of the zero-copy variants.
const APIZeroCopy = "zerocopy"

// mainPin returns the pin used when one placement must be chosen (charts
// over sizes): the most preferred pin that appears in bench's results.
func (r *Results) mainPin(bench string) string {
	pins := r.pins(bench)
	if len(pins) == 0 {
		return ""
	}
	return pins[0]
}

// pins returns the pins that appear in bench's results, in pinPreference
// order (split first, same last).
func (r *Results) pins(bench string) []string {
	have := map[string]bool{}
	for _, k := range r.Keys(bench) {
		have[k.Pin] = true
	}
	var out []string
	for _, p := range pinPreference {
		if have[p] {
			out = append(out, p)
		}
	}
	return out
}

// Wait classes of transports. Shared memory is split by how a side waits
// for its peer, because on a machine whose idle CPUs halt that decides the
// cost: a spinner burns its CPU while it waits (shm-spin, mmap-spin,
// sysvshm-spin; and shm-hybrid, which spins up to about a futex wake-up's
// cost before it sleeps), a blocking variant sleeps in the kernel (futex,
// sem, sysvsem, eventfd, signal) and pays the wake-up like a pipe does.
const (
	ClassKernel   = "kernel"   // message passing: pipes, sockets, queues, cma, signals, RPC libraries
	ClassBlocking = "blocking" // shared memory, sleeping waits
	ClassSpinning = "spinning" // shared memory, spinning waits
)

// WaitClass returns the class of transport as the results describe it:
// ClassKernel, ClassBlocking or ClassSpinning.
func (r *Results) WaitClass(transport string) string {
	t := r.transport(transport)
	switch {
	case t.Family != "shm":
		return ClassKernel
	case t.Wait == results.WaitSpin:
		return ClassSpinning
	default:
		return ClassBlocking
	}
}

// inClass returns a filter that keeps the transports of class.
func (r *Results) inClass(class string) func(string) bool {
	return func(t string) bool { return r.WaitClass(t) == class }
}

func (r *Results) notSpinning(t string) bool { return r.WaitClass(t) != ClassSpinning }

// A point is one transport's figure at one size.
type point struct {
	Transport string
	Key       Key
	Unit      string
	Sum       Summary
}

// pointOf is the point of series k in unit, and false if it has no
// values.
func (r *Results) pointOf(k Key, unit string) (point, bool) {
	s, ok := r.Stat(k, unit)
	return point{Transport: k.Transport, Key: k, Unit: unit, Sum: s}, ok
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
	return r.atPin(bench, unit, size, r.mainPin(bench))
}

// atPin returns the primary variant (raw, else runtime; never zerocopy) of
// every transport in bench at size and pin in unit, in palette order.
func (r *Results) atPin(bench, unit string, size int, pin string) []point {
	var pts []point
	for _, t := range r.Transports(bench) {
		k, ok := r.primaryKey(bench, t, size, pin, unit)
		if !ok {
			continue
		}
		p, _ := r.pointOf(k, unit)
		pts = append(pts, p)
	}
	return pts
}

// atAPI returns every transport's figure in bench at size and pin for
// exactly api (e.g. zerocopy), in palette order.
func (r *Results) atAPI(bench, unit string, size int, pin, api string) []point {
	var pts []point
	for _, t := range r.Transports(bench) {
		k := Key{Bench: bench, Transport: t, API: api, Pin: pin, Size: size}
		if p, ok := r.pointOf(k, unit); ok {
			pts = append(pts, p)
		}
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
// others that are not distinguishable from it: those whose ratio to it,
// paired round by round, has an interval that contains 1.
func (r *Results) best(pts []point, lowerBetter bool) (point, []point, bool) {
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
		if p.Key != b.Key && r.Compare(p, b, lowerBetter) == Tie {
			ties = append(ties, p)
		}
	}
	return b, ties, true
}

// latencyUnit is the headline latency: the per-op median round trip (p50
// of the harness's histogram of every op), where ns/op is a per-run mean
// that one disturbed stretch of a run can dominate.
const latencyUnit = results.UnitP50

// metric describes one figure compared across transports.
type metric struct {
	Name        string // "latency", "throughput", "CPU cost"
	Bench, Unit string
	LowerBetter bool
	Format      func(float64) string
}

var (
	metricLatency    = metric{"round-trip latency", results.BenchPingPong, latencyUnit, true, fmtNs}
	metricThroughput = metric{"throughput", results.BenchStream, results.UnitMBs, false, fmtMBs}
	metricCPUStream  = metric{"CPU per message", results.BenchStream, results.UnitCPU, true, fmtNs}
	metricCPUPing    = metric{"CPU per round trip", results.BenchPingPong, results.UnitCPU, true, fmtNs}
)

// cpuMetric returns the CPU-cost metric: per streamed message if the run
// has Stream CPU figures, else per round trip.
func (r *Results) cpuMetric() metric {
	for _, s := range r.Series {
		if s.Key.Bench == results.BenchStream && s.Unit == results.UnitCPU {
			return metricCPUStream
		}
	}
	return metricCPUPing
}

// A side of a duel: which transports, through which API.
type side struct {
	Name string                      // "spinning shared memory", "zero-copy shared memory", …
	Keep func(*Results, string) bool // transports on this side, as the results describe them
	API  string                      // "" = primary variant (raw, else runtime); else exactly this API
}

var (
	sideKernel   = side{"kernel transports", classIs(ClassKernel), ""}
	sideBlocking = side{"blocking shared memory", classIs(ClassBlocking), ""}
	sideSpinning = side{"spinning shared memory", classIs(ClassSpinning), ""}
	sideZeroCopy = side{"zero-copy shared memory", (*Results).IsSharedMemory, APIZeroCopy}
)

// classIs is the Keep of the side of one class.
func classIs(class string) func(*Results, string) bool {
	return func(r *Results, t string) bool { return r.WaitClass(t) == class }
}

// keeps returns the side's filter for the transports of r.
func (s side) keeps(r *Results) func(string) bool {
	return func(t string) bool { return s.Keep(r, t) }
}

func (r *Results) sidePoints(m metric, s side, size int, pin string) []point {
	var pts []point
	if s.API == "" {
		pts = r.atPin(m.Bench, m.Unit, size, pin)
	} else {
		pts = r.atAPI(m.Bench, m.Unit, size, pin, s.API)
	}
	return filter(pts, s.keeps(r))
}

// A duel compares the best transport of side A (shared memory of one
// class) with the best of side B (the kernel transports) at one size and
// pin.
type duel struct {
	Size       int
	Pin        string
	A, B       point
	Outcome    Order // from A's point of view
	Measurable bool
}

// duels compares, size by size at pin, the best of side a with the best
// of side b.
func (r *Results) duels(m metric, pin string, a, b side) []duel {
	var ds []duel
	for _, size := range r.mainSizes(m.Bench) {
		pa, _, okA := r.best(r.sidePoints(m, a, size, pin), m.LowerBetter)
		pb, _, okB := r.best(r.sidePoints(m, b, size, pin), m.LowerBetter)
		d := duel{Size: size, Pin: pin, A: pa, B: pb, Measurable: okA && okB}
		if d.Measurable {
			d.Outcome = r.Compare(pa, pb, m.LowerBetter)
		}
		ds = append(ds, d)
	}
	return ds
}

// crossover returns the smallest size from which side A wins at that size
// and every larger measured one, and whether there is one. Wins below it
// (a pattern that is not monotone) are winsBelow's.
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

// winsBelow returns the sizes below x at which side A wins: non-empty
// when the pattern of wins over sizes is not monotone.
func winsBelow(ds []duel, x int) []int {
	var out []int
	for _, s := range sizesWhere(ds, Better) {
		if s < x {
			out = append(out, s)
		}
	}
	return out
}

// crossoverText says where side A wins over the sizes of ds: at every
// size, from a crossover up (and where else below it, when the pattern is
// not monotone), at some sizes only, or at none.
func crossoverText(ds []duel) string {
	x, ok := crossover(ds)
	w := sizesWhere(ds, Better)
	switch {
	case ok && x == ds[0].Size:
		return "wins at every size measured, from " + SizeLabel(x)
	case ok && len(winsBelow(ds, x)) > 0:
		return fmt.Sprintf("wins at every size from %s up, and also at %s below it: not monotone (no win at %s)", SizeLabel(x), sizeList(winsBelow(ds, x)), sizeList(noWin(ds, x)))
	case ok:
		return fmt.Sprintf("starts to win at %s and wins at every larger size", SizeLabel(x))
	case len(w) > 0:
		return "no crossover; wins at " + sizeList(w) + " only"
	}
	return "wins at no size measured"
}

// noWin returns the sizes below x at which side A does not win.
func noWin(ds []duel, x int) []int {
	var out []int
	for _, d := range ds {
		if d.Size < x && d.Outcome != Better {
			out = append(out, d.Size)
		}
	}
	return out
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

func sizeList(sizes []int) string { return strings.Join(sizeLabels(sizes), ", ") }

// sizeLabels is SizeLabel of each size.
func sizeLabels(sizes []int) []string {
	var ss []string
	for _, s := range sizes {
		ss = append(ss, SizeLabel(s))
	}
	return ss
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
