package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/ipcbench/ipcbench/regress"
	"github.com/ipcbench/ipcbench/results"
	"gonum.org/v1/plot/vg"
)

func init() {
	commands["history"] = command{
		summary: "append results to a history file by commit, or chart metrics over commits (PNG)",
		run:     runHistory,
	}
}

// runHistory is `ipcbench history append|chart …`.
func runHistory(stdout, stderr io.Writer, args []string) error {
	usage := func() {
		fmt.Fprintln(stderr, "usage: ipcbench history append -commit <sha> -o <history.txt> <results>")
		fmt.Fprintln(stderr, "       ipcbench history chart [-metric ns/op,p99-ns] [-bench regexp] [-o dir] <history.txt>")
	}
	if len(args) == 0 {
		usage()
		return usageErr("missing history subcommand")
	}
	switch args[0] {
	case "append":
		return historyAppend(stdout, stderr, args[1:])
	case "chart":
		return historyChart(stdout, stderr, args[1:])
	case "-h", "--help", "help":
		usage()
		return nil
	}
	usage()
	return usageErr("unknown history subcommand %q", args[0])
}

func historyAppend(stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("history append", flag.ContinueOnError)
	fs.SetOutput(stderr)
	commit := fs.String("commit", "", "commit the results belong to (default: the results' commit config line)")
	out := fs.String("o", "", "history file to append to (created if missing)")
	if err := fs.Parse(args); err != nil {
		return usageErr("%v", err)
	}
	if fs.NArg() != 1 || *out == "" {
		return usageErr("usage: ipcbench history append [-commit sha] -o <history.txt> <results>")
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return usageErr("%v", err)
	}
	c := *commit
	if c == "" {
		r, err := regress.Parse(bytes.NewReader(data), fs.Arg(0))
		if err != nil {
			return usageErr("%v", err)
		}
		c = r.ConfigValue("commit")
		if c == "" || len(r.Config["commit"]) > 1 {
			return usageErr("%s: no single commit config line; pass -commit", fs.Arg(0))
		}
	}
	var buf bytes.Buffer
	if err := regress.AppendHistory(&buf, bytes.NewReader(data), c); err != nil {
		return usageErr("%s: %v", fs.Arg(0), err)
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "appended %s as commit %s to %s\n", fs.Arg(0), c, *out)
	return nil
}

func historyChart(stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("history chart", flag.ContinueOnError)
	fs.SetOutput(stderr)
	metrics := fs.String("metric", strings.Join([]string{results.UnitNsOp, results.UnitP99, results.UnitMBs, results.UnitCPU}, ","), "comma-separated metrics, one PNG each")
	bench := fs.String("bench", "", "regexp selecting benchmarks (default: all, at most 10 lines per chart)")
	outDir := fs.String("o", "out/history", "directory for the PNG files")
	if err := fs.Parse(args); err != nil {
		return usageErr("%v", err)
	}
	if fs.NArg() != 1 {
		return usageErr("usage: ipcbench history chart [flags] <history.txt>")
	}
	var match func(string) bool
	if *bench != "" {
		re, err := regexp.Compile(*bench)
		if err != nil {
			return usageErr("-bench: %v", err)
		}
		match = re.MatchString
	}
	h, err := regress.LoadHistory(fs.Arg(0))
	if err != nil {
		return usageErr("%v", err)
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return err
	}
	drawn := 0
	for _, m := range strings.Split(*metrics, ",") {
		m = strings.TrimSpace(m)
		if m == "" {
			continue
		}
		var png bytes.Buffer
		names, err := h.Chart(&png, m, match, 24*vg.Centimeter, 14*vg.Centimeter)
		if err != nil {
			fmt.Fprintf(stderr, "ipcbench history chart: %s: %v (skipped)\n", m, err)
			continue
		}
		path := filepath.Join(*outDir, "history-"+fileSafe(m)+".png")
		if err := os.WriteFile(path, png.Bytes(), 0o644); err != nil {
			return err
		}
		drawn++
		fmt.Fprintf(stdout, "%s: %d benchmark(s) over %d commit(s)\n", path, len(names), len(h.Commits))
	}
	if drawn == 0 {
		return usageErr("no chart drawn: no selected benchmark has any of the metrics %q", *metrics)
	}
	return nil
}

func fileSafe(s string) string {
	return strings.NewReplacer("/", "-per-", "%", "pct", " ", "_").Replace(s)
}
