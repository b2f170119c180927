package transports_test

import (
	"os"
	"testing"

	"github.com/ipcbench/ipcbench/harness"
	"github.com/ipcbench/ipcbench/transports/transporttest"
)

func TestMain(m *testing.M) {
	if harness.IsPeer() {
		os.Exit(harness.PeerMain())
	}
	os.Exit(m.Run())
}

// TestConformance runs every registered transport through the conformance
// suite with a real peer process.
func TestConformance(t *testing.T) { transporttest.RunAll(t) }
