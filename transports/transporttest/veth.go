package transporttest

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/ipcbench/ipcbench/internal/netns"
)

// Veth returns two fresh network namespaces joined by a veth pair
// (netns.NewVeth, unshaped), released when the test ends, or skips the
// test, with the reason, where this process may not make them. It also
// keeps a race-detector peer from sleeping at exit (GORACE
// atexit_sleep_ms=0), since the tests that need a link start peers.
func Veth(t testing.TB) *netns.Veth {
	t.Helper()
	if err := netns.Available(); err != nil {
		t.Skip(err)
	}
	t.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	v, err := netns.NewVeth(nil)
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}
