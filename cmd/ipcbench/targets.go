package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/ipcbench/ipcbench/reports"
)

func init() {
	commands["targets"] = command{
		summary: "judge the issues' speed targets, round by round, on a results file (a run of -profile targets)",
		run:     targetsCmd,
	}
}

// targetsCmd implements `ipcbench targets <results-file>`: one line per
// target with its median per-round ratio, interval and outcome. It
// reports; it never fails on an outcome (timings of a shared machine are
// no gate).
func targetsCmd(stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("targets", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ipcbench targets <results-file>")
		fmt.Fprintln(stderr, "Pairs run i of each target's two sides and prints the median ratio per round;")
		fmt.Fprintln(stderr, "`ipcbench run -profile targets` runs the two sides back to back.")
	}
	file, err := oneFileArg(fs, args)
	if file == "" {
		return err
	}
	res, err := reports.LoadFile(file)
	if err != nil {
		return err
	}
	if !reports.PairedRun(res) {
		fmt.Fprintf(stderr, "warning: %s is not a run of -profile targets nor a clustered run: the two sides of a target may have run far apart\n", file)
	}
	tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "TARGET\tISSUE\tBOUND\tMEDIAN RATIO\tINTERVAL\tROUNDS\tOUTCOME")
	for _, t := range reports.Targets(res) {
		bound := t.Target.BoundText()
		if !t.Summary.Valid() {
			fmt.Fprintf(tw, "%s\t#%d\t%s\t—\t—\t0\t%s\n", t.Target.ID, t.Target.Issue, bound, t.Text())
			continue
		}
		s := t.Summary
		iv := fmt.Sprintf("%.3f–%.3f", s.Lo, s.Hi)
		if !s.CI {
			iv += " (min–max)"
		}
		fmt.Fprintf(tw, "%s\t#%d\t%s\t%.3f\t%s\t%d\t%s\n", t.Target.ID, t.Target.Issue, bound, s.Median, iv, s.N, t.Text())
	}
	return tw.Flush()
}

// oneFileArg parses the flags of a command that takes exactly one results
// file and returns its path; "" with a nil error for -h, "" with an
// *exitError (status 2) for bad flags or arguments.
func oneFileArg(fs *flag.FlagSet, args []string) (string, error) {
	parse := func(args []string) error {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return &exitError{2, err}
		}
		return nil
	}
	err := parse(args)
	if err == nil && fs.NArg() > 1 {
		// Flags may follow the file too: "verdict results.txt -targets t.txt".
		file, rest := fs.Arg(0), fs.Args()[1:]
		if err = parse(rest); err == nil {
			err = parse(append([]string{file}, fs.Args()...))
		}
	}
	if errors.Is(err, flag.ErrHelp) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return "", &exitError{2, fmt.Errorf("want exactly one results file, got %d arguments", fs.NArg())}
	}
	return fs.Arg(0), nil
}
