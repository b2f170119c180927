package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/ipcbench/ipcbench/reports"
)

func init() {
	commands["report"] = command{
		summary: "build charts, report.md, report.html and results.json from a results file (runs nothing)",
		run:     runReport,
	}
}

// runReport implements `ipcbench report [-o dir] [-title text] [-targets
// file] [-base file] <results-file>`.
func runReport(stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "directory to write the report into (default: the results file's directory)")
	title := fs.String("title", "", "report title (default \"ipcbench report\")")
	tfile := fs.String("targets", "", "judge the speed targets on this results file (a run of -profile targets) instead of the main one")
	knee := fs.Duration("knee-p99", reports.DefaultKneeP99, "the bound on the p99 response time that defines a rate sweep's knee (the highest offered rate whose p99 stays within it)")
	base := fs.String("base", "", "an earlier `results` file: add the section \"Changes since <base>\", each case judged as ipcbench compare <base> <results-file> judges it")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ipcbench report [-o dir] [-title text] [-targets file] [-base file] <results-file>")
		fmt.Fprintln(stderr, "Reads Go benchmark format results (go test -bench or ipcbench run) and writes")
		fmt.Fprintln(stderr, "PNG charts, report.md, report.html and results.json (docs/results-json.md).")
		fmt.Fprintln(stderr, "It runs no benchmark.")
		fs.PrintDefaults()
	}
	path, ok, err := parseOne(fs, args, "results file")
	if !ok {
		return err
	}
	res, err := reports.LoadFile(path)
	if err != nil {
		return err
	}
	dir := *out
	if dir == "" {
		dir = filepath.Dir(path)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	if *knee <= 0 {
		return &exitError{2, fmt.Errorf("-knee-p99 %v: want a positive duration", *knee)}
	}
	opts := reports.Options{Title: *title, Source: filepath.Base(path), KneeP99: *knee}
	if *tfile != "" {
		if opts.Targets, err = reports.LoadFile(*tfile); err != nil {
			return err
		}
		opts.Targets.Source = filepath.Base(*tfile)
		for _, w := range opts.Targets.Warnings {
			fmt.Fprintf(stderr, "warning: %s: %s\n", *tfile, w)
		}
	}
	if *base != "" {
		if opts.Base, err = reports.LoadFile(*base); err != nil {
			return fmt.Errorf("-base: %w", err)
		}
		for _, w := range opts.Base.Warnings {
			fmt.Fprintf(stderr, "warning: %s: %s\n", *base, w)
		}
	}
	paths, err := reports.Write(dir, res, opts)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, strings.Join(paths, "\n"))
	return nil
}
