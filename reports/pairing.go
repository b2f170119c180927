package reports

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/ipcbench/ipcbench/results"
)

// DriftFactor is how far above the run's median drift probe (the
// two-process cache-line round trip at pin=split, measured before and
// after each cluster of a clustered run) a probe must be for its round of
// the cluster to count as disturbed: the machine was not the one the rest
// of the run measured (on a virtual machine, the host moved or shared the
// vCPUs). Smaller moves are left to the pairing of adjacent cases; the
// probe study behind the factor is in docs/results (probe-study).
const DriftFactor = 5.0

// A Disturbance is one round of one cluster that the drift probes mark as
// disturbed.
type Disturbance struct {
	Cluster       results.Cluster
	Round         int     // from 1
	Before, After float64 // the probes' ns/op
	Median        float64 // the median of every probe of the run
}

// Text says why the round is disturbed.
func (d Disturbance) Text() string {
	return fmt.Sprintf("%s, round %d: cache-line floor %s before and %s after the cluster, against a median of %s over the run", d.Cluster, d.Round, fmtNs(d.Before), fmtNs(d.After), fmtNs(d.Median))
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
	type probes struct{ before, after []float64 }
	byCluster := map[results.Cluster]probes{}
	var all []float64
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
		byCluster[cl] = probes{s.Values, after.Values}
		all = append(append(all, s.Values...), after.Values...)
	}
	med := Summarize(all).Median
	for cl, p := range byCluster {
		for i := range n {
			b, a := p.before[i], p.after[i]
			if math.Max(a, b) > DriftFactor*med {
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
		if c := keyOrder(a.Cluster.ProbeKey(""), b.Cluster.ProbeKey("")); c != 0 {
			return c
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

// Compare compares a with b in their unit, round by round (Pair). It
// notes every tie whose medians differ by more than UndecidedRatio, for
// the report to list (Undecided).
func (r *Results) Compare(a, b point, lowerBetter bool) Order {
	p := r.Pair(a.Key, b.Key, a.Unit)
	o := p.Order(lowerBetter)
	if o == Tie && a.Sum.Valid() && b.Sum.Valid() {
		hi, lo := math.Max(a.Sum.Median, b.Sum.Median), math.Min(a.Sum.Median, b.Sum.Median)
		if lo > 0 && hi/lo > UndecidedRatio {
			if r.undecided == nil {
				r.undecided = map[[2]Key]Pairing{}
			}
			id := [2]Key{a.Key, b.Key}
			if b.Key.Less(a.Key) {
				id = [2]Key{b.Key, a.Key}
			}
			r.undecided[id] = p
		}
	}
	return o
}

// UndecidedRatio is the ratio of two medians beyond which a comparison
// that comes out not distinguishable is listed in the report: paired
// rounds should separate figures that far apart, and one that does not
// deserves a look.
const UndecidedRatio = 1.3

// Undecided lists the comparisons made so far whose medians differ by more
// than UndecidedRatio and whose paired ratio is still not distinguishable
// from 1, in key order.
func (r *Results) Undecided() []Pairing {
	var out []Pairing
	for _, p := range r.undecided {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Pairing) int {
		if c := keyOrder(a.Num, b.Num); c != 0 {
			return c
		}
		return keyOrder(a.Den, b.Den)
	})
	return out
}

// keyOrder is Key.Less as a comparison function.
func keyOrder(a, b Key) int {
	switch {
	case a.Less(b):
		return -1
	case b.Less(a):
		return 1
	}
	return 0
}
