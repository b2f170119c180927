// Command ipcbench runs the IPC benchmark suite outside `go test`, lists the
// transports with their limits, builds reports and compares results.
//
// Each subcommand lives in a file of its own and registers itself in
// commands from an init function.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/ipcbench/ipcbench/harness"
)

// A command is one ipcbench subcommand.
type command struct {
	summary string
	// run executes the subcommand with its arguments (without the
	// subcommand's name). An error of type exitError sets the exit status.
	run func(stdout, stderr io.Writer, args []string) error
}

var commands = map[string]command{}

// exitError carries an explicit exit status (compare uses 1 and 2).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func main() {
	if harness.IsPeer() { // re-executed by the harness as a peer
		os.Exit(harness.PeerMain())
	}
	os.Exit(run(os.Stdout, os.Stderr, os.Args[1:]))
}

// run dispatches to a subcommand and returns the process exit status.
func run(stdout, stderr io.Writer, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "ipcbench: unknown command %q (valid: %s)\n", args[0], strings.Join(commandNames(), ", "))
		return 2
	}
	if err := cmd.run(stdout, stderr, args[1:]); err != nil {
		fmt.Fprintf(stderr, "ipcbench %s: %v\n", args[0], err)
		var ee *exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		return 1
	}
	return 0
}

// parseOne parses a subcommand's flags and its one argument, what it
// names in the error. ok is false when the command is to stop: after -h
// (err nil), or on an exit-2 error (a bad flag, or not one argument, when
// it prints the usage too).
func parseOne(fs *flag.FlagSet, args []string, what string) (arg string, ok bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", false, nil
		}
		return "", false, &exitError{code: 2, err: err}
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return "", false, &exitError{code: 2, err: fmt.Errorf("want exactly one %s, got %d arguments", what, fs.NArg())}
	}
	return fs.Arg(0), true, nil
}

func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: ipcbench <command> [flags]")
	fmt.Fprintln(w, "commands:")
	for _, n := range commandNames() {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
}
