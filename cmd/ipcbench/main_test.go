package main

import (
	"os"
	"testing"

	"github.com/ipcbench/ipcbench/harness"
)

// mainEnv makes the test binary run as the ipcbench command itself (for
// tests that need a whole ipcbench process somewhere else, such as in
// another network namespace).
const mainEnv = "IPCBENCH_TEST_MAIN"

// TestMain lets the test binary serve as a peer, as main does: `ipcbench
// peer` re-executes it for every session; with mainEnv set it is the
// command.
func TestMain(m *testing.M) {
	if !harness.IsPeer() && os.Getenv(mainEnv) == "1" {
		os.Exit(run(os.Stdout, os.Stderr, os.Args[1:]))
	}
	harness.TestMain(m)
}
