package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/ipcbench/ipcbench/sweep"
)

func init() {
	commands["sweep"] = command{summary: "remove what crashed ipcbench runs left behind (-n: only show)", run: sweepCmd}
}

func sweepCmd(stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("sweep", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dry := fs.Bool("n", false, "dry run: list what would be removed, remove nothing")
	minAge := fs.Duration("min-age", sweep.DefaultMinAge, "how long a System V queue or semaphore set must be idle to count as left behind")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ipcbench sweep [-n] [-min-age d]")
		fmt.Fprintln(stderr, "Removes this user's leftovers of ipcbench runs whose process is gone:")
		fmt.Fprintln(stderr, "ipcbench-<pid>-* temporary files, /dev/shm entries and POSIX queues,")
		fmt.Fprintln(stderr, "unused private 0600 System V objects, and orphaned peer processes.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return &exitError{2, err}
	}
	if fs.NArg() > 0 {
		return &exitError{2, fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	if *minAge == 0 {
		*minAge = -time.Nanosecond // Options: negative means no minimum
	}
	rep := sweep.Sweep(sweep.Options{DryRun: *dry, MinAge: *minAge})
	verb := "removed"
	if *dry {
		verb = "would remove"
	}
	for _, it := range rep.Removed {
		fmt.Fprintf(stdout, "%s %s\n", verb, it)
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(stderr, "note: %s\n", n)
	}
	for _, f := range rep.Failed {
		fmt.Fprintf(stderr, "failed to remove %s: %v\n", f.Item, f.Err)
	}
	switch {
	case len(rep.Failed) > 0:
		return fmt.Errorf("%d leftover(s) could not be removed", len(rep.Failed))
	case len(rep.Removed) == 0:
		fmt.Fprintln(stdout, "nothing left behind")
	}
	return nil
}
