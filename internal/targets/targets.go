// Package targets lists the speed targets of ipcbench's issues as ratios
// between two benchmarks of one run: a transport against the floor or the
// transport it must match. Package bench runs their cases in pairs (the
// "targets" profile), package reports judges them round by round.
//
// A ratio of two figures measured minutes apart compares two machines on a
// virtual machine whose host moves the virtual CPUs (the cache-line floor
// was seen at 75 ns and at 400 ns per round trip within one minute). So
// each target is measured as a ratio per round, the two cases run back to
// back, and judged by the median of those ratios.
package targets

import "strconv"

// Profile is the name of the bench profile that runs the targets' cases
// in pairs; a results file made by it says so in its ipcbench-profile
// configuration line.
const Profile = "targets"

// A Target is a bound on the ratio Num ÷ Den of one unit.
type Target struct {
	// ID names the target in reports ("shm-spin-floor").
	ID string
	// Issue is where the target was set.
	Issue int
	// Num and Den are benchmark names without "Benchmark" and the
	// GOMAXPROCS suffix: "PingPong/transport=shm-spin/api=raw/pin=split/size=64".
	Num, Den string
	// Unit is the metric compared: "ns/op" or "MB/s".
	Unit string
	// Bound is the limit of Num ÷ Den: at most Bound when AtMost, else at
	// least Bound.
	Bound  float64
	AtMost bool
	// Doc says what the target asks, in a few words.
	Doc string
}

// Met reports whether ratio satisfies the target.
func (t Target) Met(ratio float64) bool {
	if t.AtMost {
		return ratio <= t.Bound
	}
	return ratio >= t.Bound
}

// BoundText is the bound as tables show it: "≤ 2", "≥ 0.8".
func (t Target) BoundText() string {
	rel := "≥"
	if t.AtMost {
		rel = "≤"
	}
	return rel + " " + strconv.FormatFloat(t.Bound, 'g', -1, 64)
}

func pp(transport, pin string) string {
	return "PingPong/transport=" + transport + "/api=raw/pin=" + pin + "/size=64"
}

// All is every target, in the order the targets profile runs them: the
// two sides of each target are adjacent where the list allows it.
var All = []Target{
	{ID: "pipe-bare-split", Issue: 2, Num: pp("pipe", "split"), Den: "Baseline/op=rawpipe/pin=split/size=64", Unit: "ns/op", Bound: 1.15, AtMost: true,
		Doc: "pipe raw round trip against the bare Go pipe loop, pin=split"},
	{ID: "pipe-bare-same", Issue: 2, Num: pp("pipe", "same"), Den: "Baseline/op=rawpipe/pin=same/size=64", Unit: "ns/op", Bound: 1.15, AtMost: true,
		Doc: "pipe raw round trip against the bare Go pipe loop, pin=same"},
	{ID: "harness-cost", Issue: 2, Num: "Baseline/op=harness/pin=same/size=64", Den: pp("pipe", "same"), Unit: "ns/op", Bound: 0.05, AtMost: true,
		Doc: "the harness's own cost per round trip against the pipe raw round trip, pin=same"},
	{ID: "shm-spin-floor", Issue: 3, Num: pp("shm-spin", "split"), Den: "Floor/op=cacheline/pin=split/size=64", Unit: "ns/op", Bound: 2, AtMost: true,
		Doc: "shm-spin 64 B round trip against the two-process cache-line floor, pin=split"},
	{ID: "shm-spin-copyloop", Issue: 3, Num: "Stream/transport=shm-spin/api=raw/pin=split/size=65536", Den: "Floor/op=copyloop/pin=split/size=65536", Unit: "MB/s", Bound: 0.8,
		Doc: "shm-spin 64 KiB stream throughput against the minimal two-process copy loop, pin=split"},
	{ID: "shm-spin-ring", Issue: 18, Num: "Stream/transport=shm-spin/api=raw/pin=split/size=65536", Den: "Floor/op=ring/pin=split/size=65536", Unit: "MB/s", Bound: 0.7,
		Doc: "shm-spin 64 KiB stream throughput, every byte verified, against the minimal SPSC ring, pin=split"},
	{ID: "shm-spin-zerocopy-ring", Issue: 18, Num: "Stream/transport=shm-spin/api=zerocopy/pin=split/size=65536", Den: "Floor/op=ring/pin=split/size=65536", Unit: "MB/s", Bound: 1,
		Doc: "shm-spin zero-copy 64 KiB stream throughput against the minimal SPSC ring, pin=split"},
	{ID: "shm-spin-zerocopy-copyloop", Issue: 18, Num: "Stream/transport=shm-spin/api=zerocopy/pin=split/size=65536", Den: "Floor/op=copyloop/pin=split/size=65536", Unit: "MB/s", Bound: 1,
		Doc: "shm-spin zero-copy 64 KiB stream throughput against the two-slot copy loop, pin=split (with shm-spin-zerocopy-ring: against the stronger floor)"},
	{ID: "shm-futex-socket-split", Issue: 3, Num: pp("shm-futex", "split"), Den: pp("unix-stream", "split"), Unit: "ns/op", Bound: 1, AtMost: true,
		Doc: "shm-futex 64 B round trip no slower than unix-stream raw, pin=split"},
	{ID: "shm-hybrid-socket-split", Issue: 3, Num: pp("shm-hybrid", "split"), Den: pp("unix-stream", "split"), Unit: "ns/op", Bound: 1, AtMost: true,
		Doc: "shm-hybrid 64 B round trip no slower than unix-stream raw, pin=split"},
	{ID: "shm-futex-socket-same", Issue: 3, Num: pp("shm-futex", "same"), Den: pp("unix-stream", "same"), Unit: "ns/op", Bound: 1, AtMost: true,
		Doc: "shm-futex 64 B round trip no slower than unix-stream raw, pin=same"},
	{ID: "shm-hybrid-socket-same", Issue: 3, Num: pp("shm-hybrid", "same"), Den: pp("unix-stream", "same"), Unit: "ns/op", Bound: 1, AtMost: true,
		Doc: "shm-hybrid 64 B round trip no slower than unix-stream raw, pin=same"},
	{ID: "shm-spin-same", Issue: 3, Num: pp("shm-spin", "same"), Den: pp("shm-futex", "same"), Unit: "ns/op", Bound: 2, AtMost: true,
		Doc: "shm-spin 64 B round trip at pin=same (both on one CPU) no slower than 2× shm-futex there"},
	{ID: "shm-hybrid-same", Issue: 3, Num: pp("shm-hybrid", "same"), Den: pp("shm-futex", "same"), Unit: "ns/op", Bound: 2, AtMost: true,
		Doc: "shm-hybrid 64 B round trip at pin=same no slower than 2× shm-futex there"},
	{ID: "zerocopy-raw", Issue: 7, Num: "Stream/transport=shm-hybrid/api=zerocopy/pin=split/size=1048576", Den: "Stream/transport=shm-hybrid/api=raw/pin=split/size=1048576", Unit: "MB/s", Bound: 2,
		Doc: "shm-hybrid zero-copy 1 MiB stream throughput at least 2× its copying api, pin=split"},
}

// Cases returns the benchmark names the targets need, each once, in the
// order of All (numerator before denominator).
func Cases() []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range All {
		for _, n := range []string{t.Num, t.Den} {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	return out
}
