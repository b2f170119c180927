package conformance_test

import (
	"testing"

	"github.com/ipcbench/ipcbench/conformance"
	"github.com/ipcbench/ipcbench/harness"
)

// TestMain runs the peer's side when the harness re-executes this test
// binary as a peer, and the tests otherwise.
func TestMain(m *testing.M) { harness.TestMain(m) }

// TestConformance runs every registered transport through the conformance
// suite with a real peer process.
func TestConformance(t *testing.T) { conformance.RunAll(t) }
