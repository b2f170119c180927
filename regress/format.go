package regress

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"golang.org/x/perf/benchunit"
)

// WriteText writes the report as benchstat-like tables, one per metric,
// followed by the lists of unmatched benchmarks, the warnings and a
// one-line verdict.
func (r *Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("old: %s\nnew: %s\n", r.OldName, r.NewName)
	switch {
	case len(r.MachineDiffs) == 0 && r.OldMachine.Complete():
		ew.printf("machine: same (%s)\n", r.OldMachine)
	case len(r.MachineDiffs) == 0:
		ew.printf("machine: same as far as known (%s); fingerprint incomplete\n", r.OldMachine)
	case r.InfoOnly:
		ew.printf("machine: DIFFERENT; this comparison is INFORMATION ONLY and cannot fail the gate:\n")
	default:
		ew.printf("machine: DIFFERENT, gated anyway (-ignore-machine):\n")
	}
	for _, d := range r.MachineDiffs {
		ew.printf("  %s\n", d)
	}
	ew.printf("statistics: medians with %.0f%% CIs, Mann-Whitney U test at alpha=%g, >= %d samples a side\n",
		100*r.Thresholds.Confidence, r.Thresholds.Alpha, r.Thresholds.MinSamples)

	for _, unit := range r.units() {
		var rows []Row
		for _, row := range r.Rows {
			if row.Unit == unit {
				rows = append(rows, row)
			}
		}
		dir := "lower is better"
		if rows[0].Better > 0 {
			dir = "higher is better"
		}
		ew.printf("\n%s (%s; fails past %s worse)\n", unit, dir, pct(rows[0].Threshold))
		tw := tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "\t  old median ± CI\t  new median ± CI\tvs old\t(U test)\t  verdict\n")
		for _, row := range rows {
			cls := benchunit.ClassOf(unit)
			sc := benchunit.CommonScale([]float64{row.Old.Center, row.New.Center}, cls)
			fmt.Fprintf(tw, "%s\t  %s ± %s\t  %s ± %s\t%s\t(%s)\t  %s\n",
				row.Benchmark,
				sc.Format(row.Old.Center), row.Old.PctRangeString(),
				sc.Format(row.New.Center), row.New.PctRangeString(),
				deltaString(row), row.Cmp.String(), verdictString(row, r.InfoOnly))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(r.Rows) == 0 {
		ew.printf("\nno benchmark metric present in both files\n")
	}

	list := func(title string, items []string) {
		if len(items) == 0 {
			return
		}
		ew.printf("\n%s (%d):\n", title, len(items))
		for _, it := range items {
			ew.printf("  %s\n", it)
		}
	}
	list("only in old (missing from new: removed, renamed or skipped)", r.OnlyOld)
	list("only in new (not compared)", r.OnlyNew)
	list("metrics present on one side only", r.MissingMetrics)
	var notes []string
	noted := map[string]bool{}
	for _, row := range r.Rows {
		if row.Verdict == TooFewSamples && !noted[row.Benchmark] {
			noted[row.Benchmark] = true
			notes = append(notes, fmt.Sprintf("%s: %s", row.Benchmark, row.Note))
		}
	}
	list("warning: too few samples for a verdict", notes)
	list("input warnings", r.Warnings)

	ew.printf("\n%s\n", r.Summary())
	return ew.err
}

// Summary returns the one-line verdict of the report.
func (r *Report) Summary() string {
	regs := r.Regressions()
	counts := fmt.Sprintf("%d compared, %d improved, %d slower within threshold, %d too few samples, %d missing from new",
		len(r.Rows), r.Count(Improved), r.Count(SlowerWithinThreshold), r.Count(TooFewSamples), len(r.OnlyOld))
	if r.Confirmed {
		counts += fmt.Sprintf(", %d not confirmed by the rerun", r.Count(Unconfirmed))
	}
	switch {
	case len(regs) == 0:
		return "verdict: no significant regression (" + counts + ")"
	case r.InfoOnly:
		return fmt.Sprintf("verdict: %d slowdown(s) past threshold, INFORMATION ONLY (different machine) (%s)", len(regs), counts)
	}
	var names []string
	for i, row := range regs {
		if i == 3 {
			names = append(names, fmt.Sprintf("and %d more", len(regs)-i))
			break
		}
		names = append(names, fmt.Sprintf("%s %s %+.1f%%", row.Benchmark, row.Unit, 100*row.Worse))
	}
	return fmt.Sprintf("verdict: REGRESSION in %d metric(s): %s (%s)", len(regs), strings.Join(names, ", "), counts)
}

func deltaString(row Row) string {
	if row.Verdict == Unchanged && row.Cmp.P > row.Cmp.Alpha {
		return "~"
	}
	if math.IsInf(row.Delta, 0) {
		return "?"
	}
	return fmt.Sprintf("%+.2f%%", 100*row.Delta)
}

func verdictString(row Row, infoOnly bool) string {
	switch row.Verdict {
	case Regression:
		s := fmt.Sprintf("REGRESSION (%+.1f%% worse > %s)", 100*row.Worse, pct(row.Threshold))
		if infoOnly {
			s = fmt.Sprintf("slower past threshold (%+.1f%% > %s), info only", 100*row.Worse, pct(row.Threshold))
		}
		return s
	case SlowerWithinThreshold:
		return fmt.Sprintf("slower, within %s", pct(row.Threshold))
	case Unconfirmed:
		return fmt.Sprintf("slower past %s once, not confirmed by the rerun", pct(row.Threshold))
	case TooFewSamples:
		return "warning: too few samples"
	case Improved:
		return "improved"
	}
	return ""
}

func pct(f float64) string {
	return fmt.Sprintf("%g%%", math.Round(f*1000)/10)
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) {
	fmt.Fprintf(e, format, args...)
}
