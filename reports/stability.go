package reports

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ipcbench/ipcbench/results"
)

// pairedMethod says how the report compares two figures.
var pairedMethod = fmt.Sprintf("every comparison is paired: the ratio of the two figures measured in the same round (a clustered run measures the cases of one workload, pin and size next to each other, in alternating order), median of those ratios and its interval; a ratio whose interval contains 1 is not distinguishable and never counts as a win. Rounds of a cluster whose drift probe exceeds %.0f× the run's median probe are left out of every comparison that involves the cluster (Stability of this run).", DriftFactor)

// tail is the p99 and the CPU per op beside a p50 latency figure of k
// (" (p99 12.3 µs, CPU 8.1 µs)"), "" for other metrics or without them.
func (r *Results) tail(k Key, m metric) string {
	if m.Unit != latencyUnit {
		return ""
	}
	var parts []string
	if s, ok := r.Stat(k, results.UnitP99); ok {
		parts = append(parts, "p99 "+fmtNs(s.Median))
	}
	if s, ok := r.Stat(k, results.UnitCPU); ok {
		parts = append(parts, "CPU "+fmtNs(s.Median))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// nText says how many rounds and ops per round the local figures of the
// benchmarks rest on: "n: 7 rounds, 120 to 221000 ops per round."
func (r *Results) nText(benches ...string) string { return r.nTextOf(r.Series, benches...) }

// nTextOf is nText over the series ss (r.Links for the figures across a
// link).
func (r *Results) nTextOf(ss []*results.Series, benches ...string) string {
	minR, maxR, minI, maxI := 0, 0, 0, 0
	for _, s := range ss {
		if !slices.Contains(benches, s.Key.Bench) || len(s.Values) == 0 {
			continue
		}
		if minR == 0 || len(s.Values) < minR {
			minR = len(s.Values)
		}
		maxR = max(maxR, len(s.Values))
		for _, it := range s.Iters {
			if minI == 0 || it < minI {
				minI = it
			}
			maxI = max(maxI, it)
		}
	}
	if maxR == 0 {
		return ""
	}
	rounds := fmt.Sprintf("%d rounds", maxR)
	if minR != maxR {
		rounds = fmt.Sprintf("%d to %d rounds", minR, maxR)
	}
	ops := ""
	if maxI > 0 {
		ops = fmt.Sprintf(", %d to %d ops per round", minI, maxI)
		if minI == maxI {
			ops = fmt.Sprintf(", %d ops per round", minI)
		}
	}
	left := ""
	if n := len(r.Disturbances()); n > 0 {
		left = fmt.Sprintf("; %d disturbed rounds of clusters left out of the comparisons (Stability of this run)", n)
	}
	return "n: " + rounds + ops + left + "."
}

// stabilityBlocks is the section on the drift probes: which rounds of
// which clusters they mark as disturbed (and so left out of every
// comparison involving the cluster), which clusters could not be checked,
// or that the run has no probes.
func stabilityBlocks(r *Results) []block {
	if !r.clustered() {
		out := []block{para{"This run has no drift probes (it was not measured by a clustered ipcbench run): no round could be checked for a change of the machine under it, and comparisons pair the i-th value of each side."}}
		if w := placementWarning(r); w != "" {
			out = append(out, para{w})
		}
		return out
	}
	intro := fmt.Sprintf("Before and after each cluster (the cases of one workload, pin and size, measured next to each other) every round measures the two-process cache-line round trip at pin=split: on a virtual machine it moves when the host moves or shares the vCPUs. A round of a cluster is disturbed when either probe exceeds %.0f× the median of all the run's probes; its figures are left out of every comparison that involves the cluster. Smaller moves are the machine's ordinary state, absorbed by pairing adjacent cases. The probes of this run: %s.", DriftFactor, r.probeRange())
	out := []block{para{intro}}
	ds := r.Disturbances()
	if len(ds) == 0 {
		out = append(out, para{fmt.Sprintf("No round was disturbed: every comparison uses all %d rounds.", r.rounds())})
	} else {
		var items []string
		for _, d := range ds {
			items = append(items, d.Text())
		}
		out = append(out, para{fmt.Sprintf("%d disturbed rounds of clusters, left out:", len(ds))}, list{items})
	}
	if u := r.Unprobed(); len(u) > 0 {
		var names []string
		for _, c := range u {
			names = append(names, c.String())
		}
		out = append(out, para{"Clusters whose probes lack a round (a probe failed), not checked: " + strings.Join(names, "; ") + "."})
	}
	return append(out, twoSpeedBlocks(r)...)
}

// probeRange describes the run's drift probes: "median 112 ns, 69 ns to
// 3.02 µs".
func (r *Results) probeRange() string {
	var all []float64
	for _, s := range r.Series {
		if s.Key.Bench == results.BenchProbe && s.Unit == results.UnitNsOp {
			all = append(all, s.Values...)
		}
	}
	sum := Summarize(all)
	return fmt.Sprintf("median %s, %s to %s (%d probes)", fmtNs(sum.Median), fmtNs(sum.Min), fmtNs(sum.Max), sum.N)
}

// clustered reports whether r comes from a clustered run: it has drift
// probes.
func (r *Results) clustered() bool {
	for _, s := range r.Series {
		if s.Key.Bench == results.BenchProbe {
			return true
		}
	}
	return false
}

// undecidedBlocks lists the comparisons of the report that came out not
// distinguishable although their medians differ by more than
// UndecidedRatio, with their paired intervals; it is built after the rest
// of the report, whose comparisons it lists.
func undecidedBlocks(r *Results) []block {
	us := r.Undecided()
	if len(us) == 0 {
		return []block{para{fmt.Sprintf("Every comparison in this report whose two medians differ by more than %.1f× is decided (a win or a loss): none was left not distinguishable.", UndecidedRatio)}}
	}
	var items []string
	for _, p := range us {
		s := p.Summary
		items = append(items, fmt.Sprintf("%s ÷ %s (%s): median ratio %.2f, interval %.2f–%.2f%s over %d rounds", p.Num, p.Den, p.Unit, s.Median, s.Lo, s.Hi, map[bool]string{false: "†", true: ""}[s.CI], s.N))
	}
	return []block{para{fmt.Sprintf("Comparisons of this report whose medians differ by more than %.1f× but whose paired ratio is not distinguishable from 1 (the rounds disagree on the order):", UndecidedRatio)}, list{items}}
}

// TwoSpeedGap is the ratio between two consecutive rounds of a series,
// sorted by value, from which the series counts as measured at two speeds:
// its rounds fall into two groups that no drift of a few tens of percent
// joins.
const TwoSpeedGap = 3.0

// twoSpeeds reports whether the values fall into two groups, a gap of at
// least TwoSpeedGap between consecutive sorted values, and how many lie
// below the widest such gap.
func twoSpeeds(values []float64) (below int, ok bool) {
	s := slices.Clone(values)
	slices.Sort(s)
	widest := 0.0
	for i := 0; i+1 < len(s); i++ {
		if s[i] > 0 && s[i+1]/s[i] >= TwoSpeedGap && s[i+1]/s[i] > widest {
			widest, below = s[i+1]/s[i], i+1
		}
	}
	return below, widest > 0
}

// twoSpeedBlocks counts, per workload and placement, the headline series
// (PingPong p50, Stream MB/s) whose rounds fall at two speeds (twoSpeeds),
// and names the transports of each group, so that a median that sits
// between two behaviours of the machine is shown as such.
func twoSpeedBlocks(r *Results) []block {
	type group struct{ bench, pin string }
	total := map[group]int{}
	found := map[group][]string{}
	var order []group
	for _, s := range r.Series {
		k := s.Key
		if !(k.Bench == results.BenchPingPong && s.Unit == latencyUnit) && !(k.Bench == results.BenchStream && s.Unit == results.UnitMBs) {
			continue
		}
		g := group{k.Bench, k.Pin}
		if total[g] == 0 {
			order = append(order, g)
		}
		total[g]++
		if below, ok := twoSpeeds(s.Values); ok {
			found[g] = append(found[g], fmt.Sprintf("%s %s %s (%d|%d)", k.Transport, k.API, SizeLabel(k.Size), below, len(s.Values)-below))
		}
	}
	if len(order) == 0 {
		return nil
	}
	var items []string
	for _, g := range order {
		if len(found[g]) == 0 {
			continue
		}
		items = append(items, fmt.Sprintf("%s at pin=%s: %d of %d series: %s", g.bench, g.pin, len(found[g]), total[g], strings.Join(found[g], "; ")))
	}
	if len(items) == 0 {
		return []block{para{fmt.Sprintf("No headline series (PingPong p50, Stream MB/s) has rounds at two speeds (a gap of %.0f× or more between two of its rounds, sorted).", TwoSpeedGap)}}
	}
	return []block{para{fmt.Sprintf("Series measured at two speeds: the rounds of a case fall into two groups at least %.0f× apart (sorted, the widest such gap); (a|b) is how many rounds fell below and above the gap. Its median is one of the two, or between them, and a comparison that involves it depends on how many rounds fell on each side; the paired ratios still compare the cases round by round.", TwoSpeedGap)}, list{items}}
}
