package reports

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ipcbench/ipcbench/results"
)

// metricP99 ranks round trips by their tail: the p99 of every op's time
// within a round, median over rounds.
var metricP99 = metric{"p99 round trip", results.BenchPingPong, results.UnitP99, true, fmtNs}

// recommendColumns are the questions of the recommendation table, the
// report's answer: the lowest p50 and p99 round trip, the lowest CPU per
// message (cm, the run's CPU metric), the best sleeping wait (no CPU burnt
// while idle) and the best ordinary Go program (api=runtime).
func recommendColumns(cm metric) []rankColumn {
	lat := func(r *Results, size int, pin string) []point {
		return r.atPin(results.BenchPingPong, latencyUnit, size, pin)
	}
	return []rankColumn{
		{"p50", "lowest p50 round trip", metricLatency, lat},
		{"p99", "lowest p99 round trip", metricP99, func(r *Results, size int, pin string) []point {
			return r.atPin(results.BenchPingPong, results.UnitP99, size, pin)
		}},
		{"cpu", "lowest " + cm.Name + " (both processes)", cm, func(r *Results, size int, pin string) []point {
			return r.atPin(cm.Bench, cm.Unit, size, pin)
		}},
		{"sleeping", "best sleeping wait (p50; no CPU burnt while idle)", metricLatency, func(r *Results, size int, pin string) []point {
			return filter(lat(r, size, pin), r.notSpinning)
		}},
		{"runtime", "best as a Go program (api=runtime, p50)", metricLatency, func(r *Results, size int, pin string) []point {
			return r.atAPI(results.BenchPingPong, latencyUnit, size, pin, "runtime")
		}},
	}
}

// recommendBlocks is the report's answer: per placement, for each message
// size, the transport each question of recommendColumns picks, with its
// figure, interval and n, and the runner-up when the paired rounds do not
// tell the two apart.
func recommendBlocks(r *Results) []block {
	sizes := r.mainSizes(results.BenchPingPong)
	if len(sizes) == 0 {
		return []block{para{"No ping-pong results: nothing to recommend."}}
	}
	cols := recommendColumns(r.cpuMetric())
	var out []block
	for _, pin := range r.claimPins() {
		t := table{Header: []string{"size"}}
		for _, c := range cols {
			t.Header = append(t.Header, c.Header)
		}
		for _, size := range sizes {
			row := []string{SizeLabel(size)}
			for _, c := range cols {
				row = append(row, r.recommendCell(c.Points(r, size, pin), c.Metric))
			}
			t.Rows = append(t.Rows, row)
		}
		out = append(out, heading{3, "Recommended at pin=" + pin + pinGloss(pin)}, t)
	}
	return append(out, para{"For each message size, the transport that answers each question at that placement: its median over rounds [95 % interval], n (rounds × median ops per round), and after ≈ the runner-up when the paired rounds cannot tell it from the winner (with how many more are in that case; no ≈: the winner is ahead of every other transport, round by round). Sleeping waits leave the CPU idle while they wait; spinning shared memory (*-spin, shm-hybrid) wins the latency columns by keeping a CPU busy. The sections below give the evidence."})
}

// recommendCell names the best of pts for m with its figure, interval,
// its p99 and CPU beside a p50 (tail) and n, and the closest of those not
// distinguishable from it.
func (r *Results) recommendCell(pts []point, m metric) string {
	b, ties, ok := r.best(pts, m.LowerBetter)
	if !ok {
		return "not measured"
	}
	s := b.Transport + " " + m.Format(b.Sum.Median) + interval(b.Sum, m.Format) + r.tail(b.Key, m) + ", " + r.nShort(b.Key, m.Unit)
	if len(ties) > 0 {
		slices.SortFunc(ties, func(x, y point) int {
			if (x.Sum.Median < y.Sum.Median) == m.LowerBetter {
				return -1
			}
			return 1
		})
		s += "\n≈ " + ties[0].Transport + " " + m.Format(ties[0].Sum.Median)
		if len(ties) > 1 {
			s += fmt.Sprintf(" (+%d more)", len(ties)-1)
		}
	}
	return s
}

// interval is s's interval in f's format: " [lo–hi]", marked † when it is
// the min–max range of too few rounds.
func interval(s Summary, f func(float64) string) string {
	if s.N < 2 {
		return ""
	}
	mark := ""
	if !s.CI {
		mark = "†"
	}
	return " [" + f(s.Lo) + "–" + f(s.Hi) + "]" + mark
}

// nShort is how many rounds and ops per round k's figure in unit rests
// on: "n=9×52k" (rounds × median iterations per round).
func (r *Results) nShort(k Key, unit string) string {
	s := r.Get(k, unit)
	if s == nil {
		return "n=0"
	}
	n := fmt.Sprintf("n=%d", len(s.Values))
	if len(s.Iters) == 0 {
		return n
	}
	it := slices.Clone(s.Iters)
	slices.Sort(it)
	return n + "×" + countLabel(it[len(it)/2])
}

// countLabel writes a count in three significant figures with k or M.
func countLabel(n int) string {
	switch {
	case n >= 1e6:
		return sig3(float64(n)/1e6) + "M"
	case n >= 1e3:
		return sig3(float64(n)/1e3) + "k"
	}
	return fmt.Sprint(n)
}

// runLine is the report's first line: when and where the run was made,
// with which profile, what it measured and left out, and how many of its
// rounds the drift probes marked as disturbed.
func runLine(r *Results, opts Options) string {
	cfg := func(key, missing string) string {
		if v, ok := r.ConfigValue(key); ok && v != "" {
			return v
		}
		return missing
	}
	machine := cfg("cpu", "unknown CPU") + ", " + cfg("cpus-online", "?") + " CPUs"
	if cfg("virtualized", "") == "yes" {
		machine += ", virtual machine"
	}
	machine += ", Linux " + cfg("kernel", "?") + ", " + cfg("go", "Go ?")
	profile := "profile " + cfg("ipcbench-profile", "not recorded")
	if n := r.rounds(); n > 0 {
		profile += fmt.Sprintf(": %d rounds", n)
		if bt, ok := r.ConfigValue(results.ConfigBenchTime); ok {
			profile += " × " + bt
		}
	}
	parts := []string{
		"Run " + cfg(results.ConfigDate, "(date not recorded)"),
		"commit " + cfg("commit", "unknown"),
		machine,
		profile,
		fmt.Sprintf("%d benchmark configurations from %s", len(r.Keys("")), opts.Source),
	}
	if n := len(r.LinkKeys("")); n > 0 {
		parts[len(parts)-1] = fmt.Sprintf("%d benchmark configurations and %d across a link (Local versus across a link) from %s", len(r.Keys("")), n, opts.Source)
	}
	have := map[string]bool{}
	for _, t := range r.Transports("") {
		have[t] = true
	}
	var absent []string
	for _, t := range r.knownTransports() {
		if !have[t] {
			absent = append(absent, t)
		}
	}
	if len(absent) > 0 {
		parts = append(parts, "not run: "+strings.Join(absent, ", ")+" (What is missing)")
	}
	if sk := r.skipped(); len(sk) > 0 {
		var names []string
		for _, s := range sk {
			names = append(names, fmt.Sprintf("%s %d", s.Transport, s.Cases))
		}
		parts = append(parts, "cases that cannot run here, skipped: "+strings.Join(names, ", ")+" (What is missing says why)")
	}
	if r.clustered() {
		probed := 0
		for _, s := range r.Series {
			if s.Key.Bench == results.BenchProbe && s.Key.Op == results.ProbeBefore && s.Unit == results.UnitNsOp {
				probed += len(s.Values)
			}
		}
		parts = append(parts, fmt.Sprintf("disturbed: %d of %d cluster-rounds, left out of the comparisons (Stability of this run)", len(r.Disturbances()), probed))
	}
	return strings.Join(parts, " · ") + "."
}

// A skip is what a run states of the cases of one transport it did not
// run because they cannot run here (results.SkippedKey).
type skip struct {
	Transport string
	Cases     int
	Reasons   string
}

// skipped lists the run's skip lines, in their order.
func (r *Results) skipped() []skip {
	var out []skip
	for _, c := range r.Config {
		t, ok := strings.CutPrefix(c.Key, results.SkippedPrefix)
		if !ok {
			continue
		}
		s := skip{Transport: t}
		if _, err := fmt.Sscanf(c.Value(), "%d cases: ", &s.Cases); err != nil {
			continue
		}
		_, s.Reasons, _ = strings.Cut(c.Value(), "cases: ")
		out = append(out, s)
	}
	return out
}
