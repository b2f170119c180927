package reports

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/ipcbench/ipcbench/results"
)

// DriftFactor is the change of the drift probe (the two-process cache-line
// round trip measured before and after each cluster of a clustered run)
// that marks a round of a cluster as disturbed: the probe after the
// cluster differs from the one before by more than this factor (the
// host moved the vCPUs while the cluster ran), or either exceeds the
// median of the cluster's probes over all rounds by more than it (the
// round ran on a different machine state from the others).
const DriftFactor = 2.0

// A Disturbance is one round of one cluster that the drift probes mark as
// disturbed.
type Disturbance struct {
	Cluster       results.Cluster
	Round         int     // from 1
	Before, After float64 // the probes' ns/op
	Median        float64 // the median of the cluster's probes over rounds
}

// Text says why the round is disturbed.
func (d Disturbance) Text() string {
	why := fmt.Sprintf("cache-line floor %s before and %s after the cluster", fmtNs(d.Before), fmtNs(d.After))
	if math.Max(d.Before, d.After) > DriftFactor*d.Median {
		why += fmt.Sprintf(", against a median of %s over rounds", fmtNs(d.Median))
	}
	return fmt.Sprintf("%s, round %d: %s", d.Cluster, d.Round, why)
}

// rounds is the number of rounds the file states (results.ConfigRounds),
// or 0.
func (r *Results) rounds() int {
	v, ok := r.ConfigValue(results.ConfigRounds)
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0
	}
	return n
}

// disturbances returns, per cluster, the rounds its drift probes mark as
// disturbed (computed once). A cluster whose probes lack a round (a probe
// that failed) cannot be aligned with the rounds and is not judged: it is
// in unprobed.
func (r *Results) disturbances() map[results.Cluster]map[int]Disturbance {
	if r.disturbed != nil {
		return r.disturbed
	}
	r.disturbed = map[results.Cluster]map[int]Disturbance{}
	n := r.rounds()
	for _, s := range r.Series {
		k := s.Key
		if k.Bench != results.BenchProbe || k.Op != results.ProbeBefore || s.Unit != results.UnitNsOp {
			continue
		}
		cl := k.Cluster()
		after := r.Get(cl.ProbeKey(results.ProbeAfter), results.UnitNsOp)
		if n == 0 || len(s.Values) != n || after == nil || len(after.Values) != n {
			r.unprobed = append(r.unprobed, cl)
			continue
		}
		med := Summarize(append(slices.Clone(s.Values), after.Values...)).Median
		for i := range n {
			b, a := s.Values[i], after.Values[i]
			if math.Max(a, b) > DriftFactor*math.Min(a, b) || math.Max(a, b) > DriftFactor*med {
				if r.disturbed[cl] == nil {
					r.disturbed[cl] = map[int]Disturbance{}
				}
				r.disturbed[cl][i+1] = Disturbance{Cluster: cl, Round: i + 1, Before: b, After: a, Median: med}
			}
		}
	}
	return r.disturbed
}

// Disturbances lists every disturbed round of every cluster, in the order
// of the clusters' keys, then rounds.
func (r *Results) Disturbances() []Disturbance {
	var out []Disturbance
	for _, m := range r.disturbances() {
		for _, d := range m {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b Disturbance) int {
		ka, kb := a.Cluster.ProbeKey(""), b.Cluster.ProbeKey("")
		switch {
		case ka.Less(kb):
			return -1
		case kb.Less(ka):
			return 1
		}
		return a.Round - b.Round
	})
	return out
}

// Unprobed lists the clusters that have drift probes but not one of each
// per round, so that their rounds could not be checked.
func (r *Results) Unprobed() []results.Cluster {
	r.disturbances()
	return r.unprobed
}

// A Pairing is two series of one unit compared round by round: the ratio
// Num ÷ Den of the values measured in the same round (the i-th value of
// each), leaving out the rounds disturbed in either side's cluster.
type Pairing struct {
	Num, Den Key
	Unit     string
	// Ratios are the ratios of the rounds kept, in round order.
	Ratios []float64
	// Excluded are the rounds (from 1) left out as disturbed.
	Excluded []int
	// Summary summarises Ratios (median and interval).
	Summary Summary
}

// Pair compares num with den in unit round by round. The i-th value of a
// series is its i-th round (a Runner drops a case that fails from later
// rounds, so a shorter series is a prefix); rounds beyond the shorter
// series and rounds with a denominator that is not positive are not
// paired. A Pairing with no ratios has an invalid Summary.
func (r *Results) Pair(num, den Key, unit string) Pairing {
	p := Pairing{Num: num, Den: den, Unit: unit}
	a, b := r.Get(num, unit), r.Get(den, unit)
	if a == nil || b == nil {
		return p
	}
	dist := r.disturbances()
	for i := range min(len(a.Values), len(b.Values)) {
		round := i + 1
		_, d1 := dist[num.Cluster()][round]
		_, d2 := dist[den.Cluster()][round]
		if d1 || d2 {
			p.Excluded = append(p.Excluded, round)
			continue
		}
		if b.Values[i] > 0 {
			p.Ratios = append(p.Ratios, a.Values[i]/b.Values[i])
		}
	}
	p.Summary = Summarize(p.Ratios)
	return p
}

// Order is the outcome of the pairing from Num's point of view:
// Better when the interval of the median ratio lies wholly on Num's better
// side of 1 (below for lowerBetter), Worse on the other side, Tie when it
// contains 1 or there is nothing to pair.
func (p Pairing) Order(lowerBetter bool) Order {
	s := p.Summary
	switch {
	case !s.Valid() || (s.Lo <= 1 && s.Hi >= 1):
		return Tie
	case (s.Hi < 1) == lowerBetter:
		return Better
	}
	return Worse
}

// Compare compares a with b in their unit, round by round (Pair).
func (r *Results) Compare(a, b point, lowerBetter bool) Order {
	return r.Pair(a.Key, b.Key, a.Unit).Order(lowerBetter)
}
