package reports

import (
	"fmt"
	"strconv"

	"github.com/ipcbench/ipcbench/internal/targets"
	"github.com/ipcbench/ipcbench/results"
)

// Target outcomes.
const (
	TargetMet      = "met"
	TargetMissed   = "missed"
	TargetAtBound  = "at the bound" // the interval of the ratio contains the bound
	TargetNotRun   = "not measured"
	TargetUnpaired = "not paired"
)

// A TargetResult is one target (internal/targets) judged on one results
// file: the ratio Num ÷ Den in each round, pairing the i-th result line of
// one side with the i-th of the other.
type TargetResult struct {
	Target targets.Target
	// Ratios are the per-round ratios, in file order, without the
	// rounds left out as disturbed (Excluded).
	Ratios   []float64
	Excluded []int
	// Summary summarises Ratios (median, interval).
	Summary Summary
	// Outcome is TargetMet (the whole interval of the median ratio
	// satisfies the bound), TargetMissed (none of it does), TargetAtBound
	// (it contains the bound), TargetNotRun (a side is absent) or
	// TargetUnpaired (the sides have different numbers of runs).
	Outcome string
	// Why explains TargetNotRun and TargetUnpaired.
	Why string
}

// MedianMet reports whether the median ratio satisfies the bound.
func (t TargetResult) MedianMet() bool { return t.Summary.Valid() && t.Target.Met(t.Summary.Median) }

// Text is the outcome in words: for TargetAtBound it says on which side
// the median falls, for TargetNotRun and TargetUnpaired why.
func (t TargetResult) Text() string {
	switch t.Outcome {
	case TargetAtBound:
		if t.MedianMet() {
			return TargetAtBound + " (the median meets it)"
		}
		return TargetAtBound + " (the median misses it)"
	case TargetNotRun, TargetUnpaired:
		return t.Outcome + ": " + t.Why
	}
	return t.Outcome
}

// Targets judges every target of internal/targets on r.
func Targets(r *Results) []TargetResult {
	var out []TargetResult
	for _, t := range targets.All {
		out = append(out, judgeTarget(r, t))
	}
	return out
}

func judgeTarget(r *Results, t targets.Target) TargetResult {
	tr := TargetResult{Target: t}
	var sides [2]*results.Series
	var keys [2]Key
	for i, name := range []string{t.Num, t.Den} {
		k, err := results.ParseKey(name)
		if err != nil {
			tr.Outcome, tr.Why = TargetNotRun, err.Error()
			return tr
		}
		keys[i] = k
		if sides[i] = r.Get(k, t.Unit); sides[i] == nil || len(sides[i].Values) == 0 {
			tr.Outcome, tr.Why = TargetNotRun, name+" is not in the results"
			return tr
		}
	}
	// Pair would pair the common rounds; a target wants every round of
	// both sides, each denominator positive.
	if _, err := PairRatios(sides[0].Values, sides[1].Values); err != nil {
		tr.Outcome, tr.Why = TargetUnpaired, describePairError(err, t.Num, t.Den, t.Unit)
		return tr
	}
	p := r.Pair(keys[0], keys[1], t.Unit)
	tr.Ratios, tr.Excluded, tr.Summary = p.Ratios, p.Excluded, p.Summary
	if !tr.Summary.Valid() {
		tr.Outcome, tr.Why = TargetUnpaired, "every round is disturbed"
		return tr
	}
	lo, hi := t.Met(tr.Summary.Lo), t.Met(tr.Summary.Hi)
	switch {
	case lo && hi:
		tr.Outcome = TargetMet
	case !lo && !hi:
		tr.Outcome = TargetMissed
	default:
		tr.Outcome = TargetAtBound
	}
	return tr
}

// PairedRun reports whether r was made by the targets profile, which runs
// the two sides of each target back to back, or by a clustered run, which
// runs the cases of one workload, pin and size (both sides of every target) next to
// each other; in any other file they may have run minutes apart within a
// round.
func PairedRun(r *Results) bool {
	p, _ := r.ConfigValue("ipcbench-profile")
	return p == targets.Profile || r.clustered()
}

// targetBlocks is the report's section on the targets of r.
func targetBlocks(r *Results, source string) []block {
	outcomes := Targets(r)
	tb := table{Header: []string{"target (issue)", "ratio", "median ratio per round", "rounds", "outcome"}}
	measured := 0
	for _, t := range outcomes {
		row := []string{fmt.Sprintf("%s (#%d): %s", t.Target.ID, t.Target.Issue, t.Target.Doc),
			fmt.Sprintf("%s ÷ %s (%s) %s", t.Target.Num, t.Target.Den, t.Target.Unit, t.Target.BoundText())}
		if !t.Summary.Valid() {
			tb.Rows = append(tb.Rows, append(row, "—", "—", t.Text()))
			continue
		}
		measured++
		s := t.Summary
		tb.Rows = append(tb.Rows, append(row, fmt.Sprintf("%.3f%s", s.Median, ratioSpread(s)), strconv.Itoa(s.N), t.Text()))
	}
	if measured == 0 {
		return []block{para{fmt.Sprintf("No target has both sides in %s: run `make targets` (ipcbench run -profile targets) for them.", source)}}
	}
	how := fmt.Sprintf("The two sides of each target ran close together in every round (profile %q: back to back where the list allows, every second round in reverse order), so each ratio compares two figures of one moment of the machine.", targets.Profile)
	if !PairedRun(r) {
		p, _ := r.ConfigValue("ipcbench-profile")
		how = fmt.Sprintf("These results are not from the %q profile (%s): the two sides of a target may have run minutes apart within a round, so the ratios carry the machine's drift between them. `make targets` runs each pair back to back.", targets.Profile, profileOr(p))
	}
	return []block{
		para{fmt.Sprintf("The issues' speed targets as ratios within one round of %s: run i of one side divided by run i of the other, then the median over rounds. %s Outcome: met when the whole interval of the median ratio meets the bound, missed when none of it does, at the bound otherwise. Intervals: %s", source, how, intervalMethod())},
		tb,
	}
}

func profileOr(p string) string {
	if p == "" {
		return "no ipcbench-profile line"
	}
	return "profile " + p
}

// ratioSpread formats the interval of a ratio summary like spread does
// for figures.
func ratioSpread(s Summary) string {
	if s.N < 2 {
		return ""
	}
	if s.CI {
		return fmt.Sprintf(" [%s–%s]", ratioFig(s.Lo), ratioFig(s.Hi))
	}
	return fmt.Sprintf(" [%s–%s]†", ratioFig(s.Lo), ratioFig(s.Hi))
}

// ratioFig writes a ratio with three decimals below 10 (the targets'
// bounds are near 1) and three significant figures above.
func ratioFig(v float64) string {
	if v < 10 {
		return fmt.Sprintf("%.3f", v)
	}
	return sig3(v)
}
