package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/ipcbench/ipcbench/regress"
	"github.com/ipcbench/ipcbench/reports"
	"github.com/ipcbench/ipcbench/results"
)

func init() {
	commands["compare"] = command{
		summary: "compare two results files; exit 0 ok, 1 regression, 2 unusable input (-paired: run-by-run ratios, a report)",
		run:     runCompare,
	}
	commands["fingerprint"] = command{
		summary: "print the machine fingerprint slug of a results file (baseline name)",
		run:     runFingerprint,
	}
}

// thresholdFlags collects repeated -threshold unit=pct flags.
type thresholdFlags struct{ th *regress.Thresholds }

func (f thresholdFlags) String() string { return "" }
func (f thresholdFlags) Set(s string) error {
	return f.th.Set(s)
}

// usageErr marks input the gate cannot use: exit status 2.
func usageErr(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

// runCompare is `ipcbench compare [flags] <old> <new>`: the regression
// gate. It prints the comparison table and returns an *exitError with
// status 1 when a metric regressed significantly past its threshold on a
// comparable machine, 2 when the input cannot be used (unreadable, no
// results, nothing in common, bad flags).
func runCompare(stdout, stderr io.Writer, args []string) error {
	th := regress.DefaultThresholds()
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(thresholdFlags{&th}, "threshold", "`unit=pct` effect-size threshold, repeatable (e.g. p99-ns=40%, ctxsw/op=20%, cpu-ns/op=off)")
	fs.Float64Var(&th.Alpha, "alpha", th.Alpha, "significance level of the Mann-Whitney U test")
	fs.IntVar(&th.MinSamples, "min-samples", th.MinSamples, "fewest samples a side for a verdict (fewer: warning)")
	fs.BoolVar(&th.IgnoreMachine, "ignore-machine", false, "gate even when the machine fingerprints differ")
	confirmNew := fs.String("confirm-new", "", "second, independent `results` of the new side: a regression fails the gate only if it shows in this comparison too")
	confirmOld := fs.String("confirm-old", "", "second `results` of the old side for -confirm-new (default: the old file)")
	paired := fs.Bool("paired", false, "instead of the gate: pair run i of new with run i of old and report the median ratio new/old per benchmark and unit (runs made in pairs, as scripts/crosscheck.sh makes them); exit 0 whatever the outcome")
	units := fs.String("units", "", "with -paired: comma-separated `units` to pair (default ns/op)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ipcbench compare [flags] <old-results> <new-results>")
		fmt.Fprintln(stderr, "       ipcbench compare -paired [-units ns/op,p50-ns] <old-results> <new-results>")
		fmt.Fprintln(stderr, "Default thresholds: ns/op 10%, MB/s 10%, cpu-ns/op 15%, p99-ns 30%.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageErr("%v", err)
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return usageErr("want two results files, got %d arguments", fs.NArg())
	}
	var gateFlags []string // set flags that only the gate reads
	fs.Visit(func(f *flag.Flag) {
		if f.Name != "paired" && f.Name != "units" {
			gateFlags = append(gateFlags, "-"+f.Name)
		}
	})
	if *paired {
		if len(gateFlags) > 0 {
			return usageErr("-paired is a report, not the gate: it takes no %s", strings.Join(gateFlags, ", "))
		}
		return runPaired(stdout, stderr, fs.Arg(0), fs.Arg(1), *units)
	}
	if *units != "" {
		return usageErr("-units needs -paired (the gate's units are set by -threshold)")
	}
	if th.Alpha <= 0 || th.Alpha >= 1 {
		return usageErr("-alpha %g: want 0 < alpha < 1", th.Alpha)
	}
	if len(th.Metrics) == 0 {
		return usageErr("every metric is switched off")
	}
	old, err := regress.Load(fs.Arg(0))
	if err != nil {
		return usageErr("old: %v", err)
	}
	new, err := regress.Load(fs.Arg(1))
	if err != nil {
		return usageErr("new: %v", err)
	}
	rep := regress.Compare(old, new, th)
	if *confirmNew != "" && len(rep.Regressions()) > 0 {
		old2 := old
		if *confirmOld != "" {
			if old2, err = regress.Load(*confirmOld); err != nil {
				return usageErr("confirm-old: %v", err)
			}
		}
		new2, err := regress.Load(*confirmNew)
		if err != nil {
			return usageErr("confirm-new: %v", err)
		}
		rep.Confirm(regress.Compare(old2, new2, th))
	}
	if err := rep.WriteText(stdout); err != nil {
		return err
	}
	switch {
	case len(rep.Rows) == 0:
		return usageErr("nothing to compare: no gated metric of any benchmark is in both files")
	case rep.Failed():
		return &exitError{code: 1, err: fmt.Errorf("significant regression in %d metric(s)", len(rep.Regressions()))}
	}
	return nil
}

// runPaired is `ipcbench compare -paired [-units list] <old> <new>`: for
// each benchmark in both files and each unit, the ratios new_i/old_i of
// the i-th runs (reports.ComparePaired), their median, interval and
// outcome. It is a report: any outcome exits 0; unreadable input, no
// benchmark in both files or nothing to pair exits 2.
func runPaired(stdout, stderr io.Writer, oldPath, newPath, unitList string) error {
	units := []string{results.UnitNsOp}
	if unitList != "" {
		units = nil
		for _, u := range strings.Split(unitList, ",") {
			if u = strings.TrimSpace(u); u == "" {
				return usageErr("-units %q: empty unit", unitList)
			}
			units = append(units, u)
		}
	}
	old, err := reports.LoadFile(oldPath)
	if err != nil {
		return usageErr("old: %v", err)
	}
	new, err := reports.LoadFile(newPath)
	if err != nil {
		return usageErr("new: %v", err)
	}
	for _, r := range []*reports.Results{old, new} {
		for _, w := range r.Warnings {
			fmt.Fprintf(stderr, "warning: %s: %s\n", r.Source, w)
		}
	}
	common, onlyOld, onlyNew := keyOverlap(old, new)
	if common == 0 {
		return usageErr("nothing to pair: no benchmark is in both %s and %s", oldPath, newPath)
	}
	rows := reports.ComparePaired(old, new, units)
	if len(rows) == 0 {
		return usageErr("nothing to pair: none of the units %s is in the %d benchmark(s) common to both files", strings.Join(units, ", "), common)
	}
	fmt.Fprintf(stdout, "paired: run i of %s (new) ÷ run i of %s (old), median over the runs; interval: %.0f %% confidence interval of the median from %d runs on, min–max below\n",
		newPath, oldPath, 100*(1-reports.Alpha), reports.MinCISamples)
	if onlyOld+onlyNew > 0 {
		fmt.Fprintf(stdout, "not paired: %d benchmark(s) only in old, %d only in new\n", onlyOld, onlyNew)
	}
	tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "BENCHMARK\tUNIT\tNEW/OLD\tINTERVAL\tRUNS\tOUTCOME")
	for _, p := range rows {
		if !p.Summary.Valid() {
			fmt.Fprintf(tw, "%s\t%s\t—\t—\t0\t%s\n", p.Key, p.Unit, p.Text())
			continue
		}
		s := p.Summary
		iv := fmt.Sprintf("%.3f–%.3f", s.Lo, s.Hi)
		if !s.CI {
			iv += " (min–max)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%.3f\t%s\t%d\t%s\n", p.Key, p.Unit, s.Median, iv, s.N, p.Text())
	}
	return tw.Flush()
}

// keyOverlap counts the benchmark keys in both results, in old only and
// in new only.
func keyOverlap(old, new *reports.Results) (common, onlyOld, onlyNew int) {
	inOld := map[reports.Key]bool{}
	for _, k := range old.AllKeys() {
		inOld[k] = true
	}
	for _, k := range new.AllKeys() {
		if inOld[k] {
			common++
			delete(inOld, k)
		} else {
			onlyNew++
		}
	}
	return common, len(inOld), onlyNew
}

// runFingerprint is `ipcbench fingerprint [-v] <results>`: it prints the
// slug `make baseline` names baselines/<slug>.txt by.
func runFingerprint(stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("fingerprint", flag.ContinueOnError)
	fs.SetOutput(stderr)
	verbose := fs.Bool("v", false, "also print the fingerprint's config values")
	if err := fs.Parse(args); err != nil {
		return usageErr("%v", err)
	}
	if fs.NArg() != 1 {
		return usageErr("usage: ipcbench fingerprint [-v] <results>")
	}
	r, err := regress.Load(fs.Arg(0))
	if err != nil {
		return usageErr("%v", err)
	}
	fp := r.Fingerprint()
	fmt.Fprintln(stdout, fp.Slug())
	if *verbose {
		fmt.Fprintln(stdout, fp)
	}
	if !fp.Complete() {
		fmt.Fprintf(stderr, "ipcbench fingerprint: warning: incomplete fingerprint (%s)\n", fp)
	}
	return nil
}
