package bench

import (
	"testing"

	"github.com/ipcbench/ipcbench/harness"
)

// TestMain hands a re-executed test binary over to the peer's loop: the
// harness starts peers as copies of the running binary.
func TestMain(m *testing.M) { harness.TestMain(m) }
