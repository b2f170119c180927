package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/ipcbench/ipcbench/regress"
)

func init() {
	commands["compare"] = command{
		summary: "compare two results files; exit 0 ok, 1 regression, 2 unusable input",
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
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ipcbench compare [flags] <old-results> <new-results>")
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
