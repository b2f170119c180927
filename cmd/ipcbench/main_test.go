package main

import (
	"testing"

	"github.com/ipcbench/ipcbench/harness"
)

// TestMain lets the test binary serve as a peer, as main does: `ipcbench
// peer` re-executes it for every session.
func TestMain(m *testing.M) { harness.TestMain(m) }
