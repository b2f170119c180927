package regress

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/ipcbench/ipcbench/results"
	"golang.org/x/perf/benchmath"
)

// A Metric is one gated unit and its effect-size threshold.
type Metric struct {
	// Unit is the tidied unit (see TidyUnit): "sec/op", "p99-sec", …
	Unit string
	// Threshold is the smallest slowdown that fails the gate, as a
	// fraction of the old cost (0.10 = 10%). For higher-is-better units
	// the cost is the inverse (a 10% threshold on B/s fails when
	// old/new > 1.10), so one threshold means the same on time and rate.
	Threshold float64
}

// Thresholds configures Compare.
type Thresholds struct {
	// Alpha is the significance level of the Mann–Whitney U test.
	Alpha float64
	// Confidence is the level of the medians' confidence intervals.
	Confidence float64
	// MinSamples is the fewest samples per side for a verdict; with fewer
	// a difference is reported as a warning, never as a regression.
	MinSamples int
	// Metrics are the gated units, in table order. Units not listed are
	// not compared.
	Metrics []Metric
	// IgnoreMachine gates even when the machine fingerprints differ
	// (normally such a comparison is information only).
	IgnoreMachine bool
}

// DefaultThresholds returns the gate's defaults:
//
//	sec/op (ns/op, median of the samples)  10%
//	B/s    (MB/s, higher is better)        10%
//	cpu-sec/op (cpu-ns/op)                 15%  CPU accounting is coarser
//	p99-sec (p99-ns)                       30%  tails move with every hiccup
//
// with alpha 0.05, 95% confidence intervals and at least 5 samples a
// side (a U test on 4+4 samples can only just reach p<0.05, and one
// outlier then decides it).
func DefaultThresholds() Thresholds {
	return Thresholds{
		Alpha:      0.05,
		Confidence: 0.95,
		MinSamples: 5,
		Metrics: []Metric{
			{Unit: TidyUnit(results.UnitNsOp), Threshold: 0.10},
			{Unit: TidyUnit(results.UnitP99), Threshold: 0.30},
			{Unit: TidyUnit(results.UnitMBs), Threshold: 0.10},
			{Unit: TidyUnit(results.UnitCPU), Threshold: 0.15},
		},
	}
}

// Set adds or replaces the threshold of one metric from a "unit=value"
// spec: "p99-ns=25%", "ctxsw/op=0.2". The unit may be given as printed by
// go test (ns, MB); a threshold of 0 or "off" removes the metric.
func (t *Thresholds) Set(spec string) error {
	unit, val, ok := strings.Cut(spec, "=")
	if !ok || unit == "" {
		return fmt.Errorf("threshold %q: want unit=percent, e.g. p99-ns=30%%", spec)
	}
	var th float64
	if val != "off" {
		pct := strings.HasSuffix(val, "%")
		f, err := strconv.ParseFloat(strings.TrimSuffix(val, "%"), 64)
		if err != nil || f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("threshold %q: bad value %q", spec, val)
		}
		if pct {
			f /= 100
		}
		th = f
	}
	u := TidyUnit(unit)
	for i, m := range t.Metrics {
		if m.Unit == u {
			if th == 0 {
				t.Metrics = append(t.Metrics[:i:i], t.Metrics[i+1:]...)
			} else {
				t.Metrics[i].Threshold = th
			}
			return nil
		}
	}
	if th != 0 {
		t.Metrics = append(t.Metrics, Metric{Unit: u, Threshold: th})
	}
	return nil
}

// A Verdict is the outcome of one benchmark × metric comparison.
type Verdict int

// Verdicts, from good to bad. Only Regression fails the gate.
const (
	// Unchanged: no significant difference (benchstat's "~").
	Unchanged Verdict = iota
	// Improved: significantly better; never a failure.
	Improved
	// SlowerWithinThreshold: significantly worse but by less than the
	// metric's threshold; reported, not a failure.
	SlowerWithinThreshold
	// TooFewSamples: not enough samples for a verdict; a warning.
	TooFewSamples
	// Unconfirmed: a Regression the confirmation comparison did not
	// reproduce (see Confirm); reported, not a failure.
	Unconfirmed
	// Regression: significantly worse by more than the threshold.
	Regression
)

func (v Verdict) String() string {
	switch v {
	case Unchanged:
		return "unchanged"
	case Improved:
		return "improved"
	case SlowerWithinThreshold:
		return "slower, within threshold"
	case TooFewSamples:
		return "too few samples"
	case Unconfirmed:
		return "unconfirmed"
	case Regression:
		return "REGRESSION"
	}
	return "verdict(" + strconv.Itoa(int(v)) + ")"
}

// A Row is the comparison of one metric of one benchmark.
type Row struct {
	Benchmark string
	Unit      string
	// Better is +1 when higher is better, -1 when lower is.
	Better int
	// Old and New are the medians with their confidence intervals.
	Old, New benchmath.Summary
	// Cmp is the Mann–Whitney U test (p, sample counts, warnings).
	Cmp benchmath.Comparison
	// Delta is New/Old−1 of the medians (as benchstat prints it).
	Delta float64
	// Worse is how much costlier new is than old (new/old−1 for
	// lower-is-better units, old/new−1 for higher-is-better ones):
	// positive is a slowdown, whatever the unit's direction.
	Worse float64
	// Threshold is the metric's effect-size threshold.
	Threshold float64
	Verdict   Verdict
	// Note explains a TooFewSamples verdict.
	Note string
}

// Report is the outcome of Compare.
type Report struct {
	OldName, NewName string
	OldMachine       Fingerprint
	NewMachine       Fingerprint
	// MachineDiffs lists fingerprint fields that differ; when it is not
	// empty (and IgnoreMachine is off) the report is information only.
	MachineDiffs []string
	// InfoOnly is set when regressions do not fail the gate because the
	// machines differ.
	InfoOnly   bool
	Thresholds Thresholds
	Rows       []Row
	// OnlyOld are benchmarks of the old file missing from the new one
	// (removed, renamed or skipped); OnlyNew the reverse.
	OnlyOld, OnlyNew []string
	// MissingMetrics lists "benchmark: unit" pairs gated but present on
	// one side only.
	MissingMetrics []string
	// Warnings collects input problems (syntax errors, mixed configs).
	Warnings []string
	// Confirmed is set once Confirm has checked the regressions against
	// an independent second comparison.
	Confirmed bool
}

// Compare compares every gated metric of every benchmark present in both
// old and new. A row is a Regression when the U test is significant
// (p ≤ Alpha), both sides have at least MinSamples samples, benchmath
// raises no warning, and the medians differ in the worse direction by
// more than the metric's threshold.
func Compare(old, new *Results, th Thresholds) *Report {
	if th.Alpha == 0 {
		th.Alpha = 0.05
	}
	if th.Confidence == 0 {
		th.Confidence = 0.95
	}
	rep := &Report{
		OldName:    old.Name,
		NewName:    new.Name,
		OldMachine: old.Fingerprint(),
		NewMachine: new.Fingerprint(),
		Thresholds: th,
	}
	rep.MachineDiffs = rep.OldMachine.Diff(rep.NewMachine)
	rep.InfoOnly = len(rep.MachineDiffs) > 0 && !th.IgnoreMachine
	for _, r := range []*Results{old, new} {
		for _, w := range r.Warnings {
			rep.Warnings = append(rep.Warnings, w)
		}
		for _, k := range FingerprintKeys {
			if len(r.Config[k]) > 1 {
				rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: mixed %q config lines: %s", r.Name, k, r.ConfigValue(k)))
			}
		}
	}
	if a, b := old.ConfigValue("gomaxprocs"), new.ConfigValue("gomaxprocs"); a != b && a != "" && b != "" {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("gomaxprocs differs: %s ≠ %s", a, b))
	}

	bt := &benchmath.Thresholds{CompareAlpha: th.Alpha}
	for _, m := range th.Metrics {
		for _, name := range old.Benchmarks {
			nu, ok := new.Samples[name]
			if !ok {
				continue
			}
			ov, oOK := old.Samples[name][m.Unit]
			nv, nOK := nu[m.Unit]
			switch {
			case !oOK && !nOK:
				continue
			case !oOK || !nOK:
				side := "old"
				if !oOK {
					side = "new"
				}
				rep.MissingMetrics = append(rep.MissingMetrics, fmt.Sprintf("%s: %s only in %s", name, m.Unit, side))
				continue
			}
			rep.Rows = append(rep.Rows, compareRow(name, m, new.Better(m.Unit), ov, nv, bt, th))
		}
	}
	for _, name := range old.Benchmarks {
		if _, ok := new.Samples[name]; !ok {
			rep.OnlyOld = append(rep.OnlyOld, name)
		}
	}
	for _, name := range new.Benchmarks {
		if _, ok := old.Samples[name]; !ok {
			rep.OnlyNew = append(rep.OnlyNew, name)
		}
	}
	return rep
}

func compareRow(name string, m Metric, better int, ov, nv []float64, bt *benchmath.Thresholds, th Thresholds) Row {
	so := benchmath.NewSample(append([]float64(nil), ov...), bt)
	sn := benchmath.NewSample(append([]float64(nil), nv...), bt)
	a := benchmath.AssumeNothing
	row := Row{
		Benchmark: name,
		Unit:      m.Unit,
		Better:    better,
		Old:       a.Summary(so, th.Confidence),
		New:       a.Summary(sn, th.Confidence),
		Cmp:       a.Compare(so, sn),
		Threshold: m.Threshold,
	}
	o, n := row.Old.Center, row.New.Center
	switch {
	case o == n:
		row.Delta, row.Worse = 0, 0
	case o == 0 || n == 0:
		row.Delta = math.Inf(sign(n - o))
		row.Worse = math.Inf(sign(n-o) * -better)
	default:
		row.Delta = n/o - 1
		if better > 0 {
			row.Worse = o/n - 1
		} else {
			row.Worse = n/o - 1
		}
	}
	significant := row.Cmp.P <= row.Cmp.Alpha
	var notes []string
	if len(ov) < th.MinSamples || len(nv) < th.MinSamples {
		notes = append(notes, fmt.Sprintf("need >= %d samples a side, have %d+%d", th.MinSamples, len(ov), len(nv)))
	}
	for _, w := range row.Cmp.Warnings {
		notes = append(notes, w.Error())
	}
	switch {
	case len(notes) > 0:
		row.Verdict = TooFewSamples
		row.Note = strings.Join(notes, "; ")
	case !significant || row.Worse == 0:
		row.Verdict = Unchanged
	case row.Worse < 0:
		row.Verdict = Improved
	case row.Worse > m.Threshold:
		row.Verdict = Regression
	default:
		row.Verdict = SlowerWithinThreshold
	}
	return row
}

func sign(x float64) int {
	if x < 0 {
		return -1
	}
	return 1
}

// Regressions returns the rows whose verdict is Regression (whether or
// not they fail the gate; see Failed).
func (r *Report) Regressions() []Row {
	var out []Row
	for _, row := range r.Rows {
		if row.Verdict == Regression {
			out = append(out, row)
		}
	}
	return out
}

// Failed reports whether the gate fails: a regression on a comparable
// machine.
func (r *Report) Failed() bool {
	return !r.InfoOnly && len(r.Regressions()) > 0
}

// Count returns how many rows have verdict v.
func (r *Report) Count(v Verdict) int {
	n := 0
	for _, row := range r.Rows {
		if row.Verdict == v {
			n++
		}
	}
	return n
}

// Units returns the units of the report's rows in threshold order.
func (r *Report) units() []string {
	seen := map[string]bool{}
	for _, row := range r.Rows {
		seen[row.Unit] = true
	}
	var out []string
	for _, m := range r.Thresholds.Metrics {
		if seen[m.Unit] {
			out = append(out, m.Unit)
			delete(seen, m.Unit)
		}
	}
	var rest []string
	for u := range seen {
		rest = append(rest, u)
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// Confirm downgrades to Unconfirmed every regression of r that second (a
// comparison of fresh, independent samples of the same two sides) does
// not flag as a Regression too, so that a noise burst during one run
// cannot fail the gate alone. It returns how many regressions remain.
func (r *Report) Confirm(second *Report) int {
	again := map[[2]string]bool{}
	for _, row := range second.Regressions() {
		again[[2]string{row.Benchmark, row.Unit}] = true
	}
	r.Confirmed = true
	n := 0
	for i, row := range r.Rows {
		if row.Verdict != Regression {
			continue
		}
		if again[[2]string{row.Benchmark, row.Unit}] {
			n++
			continue
		}
		r.Rows[i].Verdict = Unconfirmed
	}
	return n
}
