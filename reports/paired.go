package reports

import (
	"fmt"
	"strings"

	"github.com/ipcbench/ipcbench/results"
)

// A PairError says why two series cannot be paired run by run: their
// numbers of runs differ, or a denominator is not positive.
type PairError struct {
	NumRuns, DenRuns int // the runs of each side
	// Run is the run (from 1) whose denominator is not positive; 0 when
	// the numbers of runs differ.
	Run int
	// Den is that run's denominator.
	Den float64
}

func (e *PairError) Error() string { return e.Describe("the numerator", "the denominator", "") }

// Describe is the error with the two sides named (numName, denName) and
// the unit of their values.
func (e *PairError) Describe(numName, denName, unit string) string {
	if e.Run == 0 {
		return fmt.Sprintf("%d runs of %s against %d of %s: rounds cannot be paired", e.NumRuns, numName, e.DenRuns, denName)
	}
	return strings.TrimSpace(fmt.Sprintf("run %d of %s is %v %s", e.Run, denName, e.Den, unit))
}

// PairRatios divides run i of num by run i of den, for every i: the
// ratios of two series measured round by round, each ratio within one
// moment of the machine. It fails with a *PairError when the series have
// different numbers of runs or a denominator is not positive.
func PairRatios(num, den []float64) ([]float64, error) {
	if len(num) != len(den) {
		return nil, &PairError{NumRuns: len(num), DenRuns: len(den)}
	}
	ratios := make([]float64, len(num))
	for i := range num {
		if den[i] <= 0 {
			return nil, &PairError{NumRuns: len(num), DenRuns: len(den), Run: i + 1, Den: den[i]}
		}
		ratios[i] = num[i] / den[i]
	}
	return ratios, nil
}

// describePairError is err in words, with the sides named when it is a
// *PairError.
func describePairError(err error, numName, denName, unit string) string {
	if pe, ok := err.(*PairError); ok {
		return pe.Describe(numName, denName, unit)
	}
	return err.Error()
}

// Outcomes of ComparePaired, for the median ratio new/old.
const (
	// PairedFaster and PairedSlower are for time units (ns/op, p50-ns,
	// p99-ns, …): the whole interval of the ratio is below 1 (new takes
	// less time) or above 1.
	PairedFaster = "faster"
	PairedSlower = "slower"
	// PairedLower and PairedHigher are the same for other units (MB/s,
	// cpu-ns/op, ctxsw/op, …), whose better direction varies.
	PairedLower  = "lower"
	PairedHigher = "higher"
	// PairedTie: the interval contains 1.
	PairedTie = "not distinguishable"
	// PairedUnpaired: the runs cannot be paired (Why says why).
	PairedUnpaired = TargetUnpaired
	// PairedMissing: the unit is in one file only.
	PairedMissing = TargetNotRun
)

// A PairedResult is one benchmark configuration and unit of two results
// files compared run by run: the i-th result line of the new file divided
// by the i-th of the old.
type PairedResult struct {
	Key  Key
	Unit string
	// Ratios are new_i / old_i, in file order.
	Ratios []float64
	// Summary summarises Ratios: median and interval (benchmath 95 %
	// confidence interval from MinCISamples runs on, min–max below).
	Summary Summary
	// Outcome is one of the Paired constants.
	Outcome string
	// Why explains PairedUnpaired and PairedMissing.
	Why string
}

// Text is the outcome in words, with the reason for PairedUnpaired and
// PairedMissing.
func (p PairedResult) Text() string {
	if p.Why != "" {
		return p.Outcome + ": " + p.Why
	}
	return p.Outcome
}

// timeUnit reports whether unit is a time per operation, where lower is
// faster: ns/op and the latency percentiles (p50-ns, p99-ns, max-ns, …).
func timeUnit(unit string) bool {
	return unit == results.UnitNsOp || strings.HasSuffix(unit, "-ns")
}

// ComparePaired compares two results files whose runs were made in pairs
// (run i of each side close together in time, as scripts/crosscheck.sh
// runs them): for each benchmark configuration present in both and each
// of units present in either, the ratios new_i/old_i (PairRatios), their
// summary and an outcome. A unit present in one file only gives
// PairedMissing; a unit in neither, no result. Results come in old's key
// order, then in the order of units.
func ComparePaired(old, new *Results, units []string) []PairedResult {
	var out []PairedResult
	inNew := map[Key]bool{}
	for _, k := range new.AllKeys() {
		inNew[k] = true
	}
	for _, k := range old.AllKeys() {
		if !inNew[k] {
			continue
		}
		for _, u := range units {
			o, n := old.Get(k, u), new.Get(k, u)
			hasOld, hasNew := o != nil && len(o.Values) > 0, n != nil && len(n.Values) > 0
			if !hasOld && !hasNew {
				continue
			}
			pr := PairedResult{Key: k, Unit: u}
			switch {
			case !hasOld:
				pr.Outcome, pr.Why = PairedMissing, u+" is not in the old file"
			case !hasNew:
				pr.Outcome, pr.Why = PairedMissing, u+" is not in the new file"
			default:
				judgePaired(&pr, n.Values, o.Values)
			}
			out = append(out, pr)
		}
	}
	return out
}

func judgePaired(pr *PairedResult, newValues, oldValues []float64) {
	ratios, err := PairRatios(newValues, oldValues)
	if err != nil {
		pr.Outcome, pr.Why = PairedUnpaired, describePairError(err, "new", "old", pr.Unit)
		return
	}
	pr.Ratios = ratios
	pr.Summary = Summarize(ratios)
	below, above := PairedLower, PairedHigher
	if timeUnit(pr.Unit) {
		below, above = PairedFaster, PairedSlower
	}
	switch s := pr.Summary; {
	case s.Hi < 1:
		pr.Outcome = below
	case s.Lo > 1:
		pr.Outcome = above
	default:
		pr.Outcome = PairedTie
	}
}
