package reports

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/ipcbench/ipcbench/regress"
	"github.com/ipcbench/ipcbench/reports/resultsjson"
	"github.com/ipcbench/ipcbench/results"
)

// Changes is a run against an earlier one, its base: the comparison that
// `ipcbench compare <base> <run>` prints, the regression gate of package
// regress with its default thresholds, case by case.
type Changes struct {
	// Base names the base results (its Results.Source).
	Base string
	// Gate is the gate's comparison of the two runs.
	Gate *regress.Report
	// Cases are the gate's rows, one per case and gated unit in both
	// runs, in key order, then in the order of the gate's units.
	Cases []Change
	// OnlyBase and OnlyNew are the cases of one run only, in key order.
	OnlyBase, OnlyNew []Key
}

// A Change is one row of the gate: one case and unit of the run against
// the base.
type Change struct {
	Key Key
	// Unit is as written in the results (ns/op, not the gate's sec/op).
	Unit string
	// Base and New are the medians of the two runs, in Unit, as the
	// report gives them (Results.Stat).
	Base, New float64
	// Verdict is a resultsjson.Change constant: faster or slower for
	// times and rates, lower or higher for other units, unchanged, too
	// few samples.
	Verdict string
	// Row is the gate's row: p-value, rounds, its own verdict.
	Row regress.Row
}

// CompareRuns compares res with base as `ipcbench compare` does
// (regress.Compare with regress.DefaultThresholds and the headline p50
// at 10 %, on the files as
// results.Read read them) and names its rows by Key and written unit.
func CompareRuns(base, res *Results) *Changes {
	th := regress.DefaultThresholds()
	if err := th.Set(results.UnitP50 + "=10%"); err != nil {
		panic(err) // a constant spec
	}
	gate := regress.Compare(regress.FromFile(base.file), regress.FromFile(res.file), th)
	keys := map[string]Key{}     // the gate's benchmark names
	units := map[string]string{} // the gate's tidied units, as written
	for _, f := range []*results.File{base.file, res.file} {
		for _, s := range f.Series {
			keys[s.Name] = s.Key
			units[regress.TidyUnit(s.Unit)] = s.Unit
		}
	}
	c := &Changes{Base: base.Source, Gate: gate}
	for _, row := range gate.Rows {
		k, unit := keys[row.Benchmark], units[row.Unit]
		b, _ := base.Stat(k, unit)
		n, _ := res.Stat(k, unit)
		c.Cases = append(c.Cases, Change{Key: k, Unit: unit, Base: b.Median, New: n.Median, Verdict: changeVerdict(row, unit), Row: row})
	}
	slices.SortStableFunc(c.Cases, func(a, b Change) int {
		if o := keyOrder(a.Key, b.Key); o != 0 {
			return o
		}
		return c.unitIndex(a.Unit) - c.unitIndex(b.Unit)
	})
	named := func(names []string) []Key {
		var ks []Key
		for _, n := range names {
			ks = append(ks, keys[n])
		}
		slices.SortFunc(ks, keyOrder)
		return ks
	}
	c.OnlyBase, c.OnlyNew = named(gate.OnlyOld), named(gate.OnlyNew)
	return c
}

// unitIndex is the place of unit (as written) among the gate's units.
func (c *Changes) unitIndex(unit string) int {
	return slices.IndexFunc(c.Gate.Thresholds.Metrics, func(m regress.Metric) bool { return m.Unit == regress.TidyUnit(unit) })
}

// changeVerdict is the gate's row in the words of a Change: which way a
// significant change went, in speed for times and rates.
func changeVerdict(row regress.Row, unit string) string {
	switch row.Verdict {
	case regress.Unchanged:
		return resultsjson.ChangeUnchanged
	case regress.TooFewSamples:
		return resultsjson.ChangeTooFew
	}
	if timeUnit(unit) || strings.HasSuffix(unit, "/s") {
		if row.Worse > 0 {
			return resultsjson.ChangeSlower
		}
		return resultsjson.ChangeFaster
	}
	if row.Delta > 0 {
		return resultsjson.ChangeHigher
	}
	return resultsjson.ChangeLower
}

// Delta is New/Base - 1 (0.1 = 10 % more); infinite or NaN when Base is
// 0.
func (c Change) Delta() float64 { return c.New/c.Base - 1 }

// changed reports whether the change is significant: faster, slower,
// lower or higher.
func (c Change) changed() bool {
	return c.Verdict != resultsjson.ChangeUnchanged && c.Verdict != resultsjson.ChangeTooFew
}

// document is c in the schema of results.json.
func (c *Changes) document() *resultsjson.Changes {
	g := c.Gate
	d := &resultsjson.Changes{
		Base: c.Base, SameMachine: len(g.MachineDiffs) == 0, MachineDiffs: append([]string{}, g.MachineDiffs...),
		Alpha: g.Thresholds.Alpha, MinRounds: g.Thresholds.MinSamples, Thresholds: map[string]float64{},
		Cases: []resultsjson.Change{}, OnlyBase: keyIDs(c.OnlyBase), OnlyNew: keyIDs(c.OnlyNew),
	}
	for _, ch := range c.Cases {
		d.Thresholds[ch.Unit] = ch.Row.Threshold
		jc := resultsjson.Change{
			ID: ch.Key.String(), Unit: ch.Unit, Base: ch.Base, New: ch.New,
			P: ch.Row.Cmp.P, NBase: ch.Row.Cmp.N1, NNew: ch.Row.Cmp.N2,
			Verdict: ch.Verdict, Regression: ch.Row.Verdict == regress.Regression, Note: ch.Row.Note,
		}
		if delta := ch.Delta(); !math.IsInf(delta, 0) && !math.IsNaN(delta) {
			jc.Delta = &delta
		}
		d.Cases = append(d.Cases, jc)
	}
	return d
}

// keyIDs are the IDs (Key.String) of ks; empty, not nil, for none.
func keyIDs(ks []Key) []string {
	ids := []string{}
	for _, k := range ks {
		ids = append(ids, k.String())
	}
	return ids
}

// maxListed is how many cases of one run only the section names.
const maxListed = 12

// changeBlocks is the section "Changes since <base>" of the report of
// run (its results' name): how the cases were judged, the count of each verdict per unit, every significant change,
// and the cases of one run only.
func changeBlocks(c *Changes, run string) []block {
	g := c.Gate
	// Counts per unit, in the order of the gate's units.
	type counts struct {
		better, worse, past, same, few int
		threshold                      float64
	}
	var units []string
	per := map[string]*counts{}
	cases := map[Key]bool{}
	var changed []Change
	for _, ch := range c.Cases {
		cases[ch.Key] = true
		n := per[ch.Unit]
		if n == nil {
			n = &counts{threshold: ch.Row.Threshold}
			per[ch.Unit] = n
			units = append(units, ch.Unit)
		}
		switch {
		case ch.Verdict == resultsjson.ChangeUnchanged:
			n.same++
		case ch.Verdict == resultsjson.ChangeTooFew:
			n.few++
		case ch.Row.Worse > 0:
			n.worse++
		default:
			n.better++
		}
		if ch.Row.Verdict == regress.Regression {
			n.past++
		}
		if ch.changed() {
			changed = append(changed, ch)
		}
	}
	slices.SortFunc(units, func(a, b string) int { return c.unitIndex(a) - c.unitIndex(b) })
	var thresholds []string
	ct := table{Header: []string{"unit", "better (faster, lower)", "worse (slower, higher)", "of which past the threshold", "unchanged", "too few samples"}}
	for _, u := range units {
		n := per[u]
		thresholds = append(thresholds, fmt.Sprintf("%s %.0f %%", u, 100*n.threshold))
		ct.Rows = append(ct.Rows, []string{u, fmt.Sprint(n.better), fmt.Sprint(n.worse), fmt.Sprint(n.past), fmt.Sprint(n.same), fmt.Sprint(n.few)})
	}

	machine := "Same machine (cpu, cpus-online, kernel and go agree)."
	if len(g.MachineDiffs) > 0 {
		machine = "The machines differ (" + strings.Join(g.MachineDiffs, "; ") + "): the gate takes this comparison as information only."
	}
	out := []block{para{fmt.Sprintf("Each case of this run against the same case of %s, as ipcbench compare -threshold p50-ns=10%% %s %s judges them (the regression gate, package regress, with the report's headline p50 added): per unit, the medians over rounds and the Mann–Whitney U test of the two runs' rounds (p) at alpha %g. Faster or slower (lower or higher for a unit that is neither a time nor a rate) when p ≤ %g, else unchanged; with fewer than %d rounds a side, no verdict. A change for the worse past the unit's threshold (%s) is one the gate fails on. The two runs were measured at different times, so a change is one of the code or of the machine. %s",
		c.Base, c.Base, run, g.Thresholds.Alpha, g.Thresholds.Alpha, g.Thresholds.MinSamples, strings.Join(thresholds, ", "), machine)}}
	if len(c.Cases) == 0 {
		out = append(out, para{"No case and unit of the gate is in both runs: nothing to compare."})
	} else {
		out = append(out, para{fmt.Sprintf("%d cases in both runs; verdicts per unit:", len(cases))}, ct)
	}
	if len(changed) > 0 {
		t := table{Header: []string{"case", "unit", c.Base, "this run", "change", "p", "verdict"}}
		for _, ch := range changed {
			v := ch.Verdict
			if ch.Row.Verdict == regress.Regression {
				v += fmt.Sprintf(", past the %.0f %% threshold", 100*ch.Row.Threshold)
			}
			t.Rows = append(t.Rows, []string{ch.Key.String(), ch.Unit, fmtIn(ch.Unit, ch.Base), fmtIn(ch.Unit, ch.New), fmtDelta(ch.Delta()), fmtP(ch.Row.Cmp.P), v})
		}
		out = append(out, para{"The cases that changed (every other case and unit is unchanged or has too few rounds; results.json lists them all); change = this run's median ÷ the base's − 1:"}, t)
	} else if len(c.Cases) > 0 {
		out = append(out, para{"No case changed significantly."})
	}
	var notes []string // why rows have too few samples, each once
	few := map[string]int{}
	for _, ch := range c.Cases {
		if ch.Verdict == resultsjson.ChangeTooFew {
			if few[ch.Row.Note] == 0 {
				notes = append(notes, ch.Row.Note)
			}
			few[ch.Row.Note]++
		}
	}
	for i, n := range notes {
		notes[i] = fmt.Sprintf("%s (%d)", n, few[n])
	}
	if len(notes) > 0 {
		out = append(out, para{"Too few samples for a verdict: " + strings.Join(notes, "; ") + "."})
	}
	for _, only := range []struct {
		where string
		keys  []Key
	}{{"only in " + c.Base, c.OnlyBase}, {"only in this run", c.OnlyNew}} {
		if len(only.keys) == 0 {
			continue
		}
		ids := keyIDs(only.keys[:min(len(only.keys), maxListed)])
		if len(only.keys) > maxListed {
			ids = append(ids, fmt.Sprintf("and %d more", len(only.keys)-maxListed))
		}
		noun := "cases"
		if len(only.keys) == 1 {
			noun = "case"
		}
		out = append(out, para{fmt.Sprintf("%d %s %s, not compared: %s.", len(only.keys), noun, only.where, strings.Join(ids, ", "))})
	}
	return out
}

// fmtIn formats v of unit as the report's tables do: times (ns/op,
// p99-ns, cpu-ns/op) in ns, µs, ms or s; MB/s in MB/s or GB/s.
func fmtIn(unit string, v float64) string {
	switch {
	case timeUnit(unit) || strings.HasSuffix(unit, "-ns/op"):
		return fmtNs(v)
	case unit == results.UnitMBs:
		return fmtMBs(v)
	}
	return sig3(v) + " " + unit
}

// fmtDelta formats a relative change as "+12.3 %"; "?" when infinite.
func fmtDelta(d float64) string {
	if math.IsInf(d, 0) || math.IsNaN(d) {
		return "?"
	}
	return fmt.Sprintf("%+.1f %%", 100*d)
}

// fmtP formats a p-value with three decimals, "< 0.001" below.
func fmtP(p float64) string {
	if p < 0.001 {
		return "< 0.001"
	}
	return fmt.Sprintf("%.3f", p)
}
