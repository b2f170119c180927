package harness_test

import (
	"strings"
	"testing"

	"github.com/ipcbench/ipcbench/harness"
	"github.com/ipcbench/ipcbench/results"
	"github.com/ipcbench/ipcbench/transports"
)

// TestCatalogue: one catalogue line per registered transport, from its
// Info, that package results reads back as written.
func TestCatalogue(t *testing.T) {
	cat := harness.Catalogue()
	if len(cat) != len(transports.Names()) {
		t.Fatalf("%d catalogue entries for %d transports", len(cat), len(transports.Names()))
	}
	var b strings.Builder
	results.WriteCatalogue(&b, cat)
	b.WriteString("BenchmarkX 1 1 ns/op\n")
	f, err := results.Read(strings.NewReader(b.String()), "catalogue")
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range cat {
		info, _ := transports.Lookup(tr.Name)
		spins := info.Wait == transports.WaitSpin
		if tr.Family != info.Family || tr.Order != info.Order || (tr.Wait == results.WaitSpin) != spins {
			t.Errorf("%s: catalogue %+v, Info family %s wait %s order %d", tr.Name, tr, info.Family, info.Wait, info.Order)
		}
		if got := f.Catalogue[tr.Name]; got != tr {
			t.Errorf("%s: read back %+v, wrote %+v", tr.Name, got, tr)
		}
	}
	for name, wait := range map[string]string{"shm-spin": results.WaitSpin, "shm-hybrid": results.WaitSpin, "shm-futex": results.WaitSleep, "pipe": results.WaitSleep} {
		if got := f.Catalogue[name].Wait; got != wait {
			t.Errorf("%s: wait=%s, want %s", name, got, wait)
		}
	}
}
