package results

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestCatalogueLines(t *testing.T) {
	ts := []Transport{
		{Name: "pipe", Family: "pipe", Wait: WaitSleep, Order: 1},
		{Name: "shm-spin", Family: "shm", Wait: WaitSpin, Order: 1},
		{Name: "ws-local", Family: "socket", Wait: WaitSleep, Order: 9},
	}
	var b strings.Builder
	if err := WriteCatalogue(&b, ts); err != nil {
		t.Fatal(err)
	}
	lines := "transport-pipe: family=pipe wait=sleep order=1\n" +
		"transport-shm-spin: family=shm wait=spin order=1\n" +
		"transport-ws-local: family=socket wait=sleep order=9\n"
	if b.String() != lines {
		t.Fatalf("WriteCatalogue wrote\n%s\nwant\n%s", b.String(), lines)
	}
	f, err := Read(strings.NewReader("kernel: 6.1\n"+lines+"BenchmarkPingPong/transport=ws-local/api=raw/pin=same/size=64-2 1 1 ns/op\n"), "new")
	if err != nil {
		t.Fatal(err)
	}
	want := Catalogue{}
	for _, tr := range ts {
		want[tr.Name] = tr
	}
	if !reflect.DeepEqual(f.Catalogue, want) {
		t.Errorf("catalogue read back %v, want %v", f.Catalogue, want)
	}
	if len(f.Config) != 1 || f.Config[0].Key != "kernel" {
		t.Errorf("config %v: want the catalogue lines apart, kernel alone", f.Config)
	}
	if len(f.Warnings) != 0 {
		t.Errorf("warnings %q", f.Warnings)
	}
	// The catalogue's word, not the name: a socket whatever it is called;
	// a transport without a line falls back to the old rules.
	if got := f.Catalogue.Lookup("ws-local"); got.Family != "socket" || got.Order != 9 {
		t.Errorf("ws-local = %+v", got)
	}
	if got := f.Catalogue.Lookup("fifo"); got != (Transport{Name: "fifo", Family: "pipe", Wait: WaitSleep, Order: 2}) {
		t.Errorf("fifo without a line = %+v, want the legacy description", got)
	}
}

func TestCatalogueLineProblems(t *testing.T) {
	in := "transport-a: family=pipe wait=sleep order=1 lossy=false\n" + // unknown field: ignored
		"transport-b: family=shm wait=sometimes order=1\n" + // bad wait
		"transport-c: family=shm order=1\n" + // no wait
		"transport-d: family=mq wait=sleep order=x\n" + // bad order
		"transport-e: family=mq wait=sleep order=1\n" +
		"BenchmarkX 1 1 ns/op\n" +
		"transport-e: family=pipe wait=sleep order=1\n" + // changes
		"BenchmarkX 1 1 ns/op\n"
	f, err := Read(strings.NewReader(in), "odd")
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Catalogue.Names(); !reflect.DeepEqual(got, []string{"a", "e"}) {
		t.Errorf("catalogue %q, want a and e", got)
	}
	if f.Catalogue["e"].Family != "mq" {
		t.Errorf("e = %+v, want the first line's family", f.Catalogue["e"])
	}
	if len(f.Warnings) != 4 {
		t.Errorf("warnings %q, want b, c, d and e's change", f.Warnings)
	}
	for _, w := range f.Warnings {
		if !strings.Contains(w, "catalogue line transport-") {
			t.Errorf("warning %q does not name the line", w)
		}
	}
}

// TestLegacyFile: a results file written before the catalogue lines (the
// reports' golden input) gets the catalogue its reports used.
func TestLegacyFile(t *testing.T) {
	path := filepath.Join("..", "reports", "testdata", "results.txt")
	b, err := os.ReadFile(path)
	if err != nil || strings.Contains(string(b), "\n"+CataloguePrefix) {
		t.Skipf("%s: %v, or it has catalogue lines", path, err)
	}
	f, err := Read(bytes.NewReader(b), path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.Catalogue, Legacy()) {
		t.Errorf("catalogue of an old file = %v, want Legacy()", f.Catalogue)
	}
	if len(f.Warnings) != 0 {
		t.Errorf("warnings %q", f.Warnings)
	}
	for _, n := range f.Names {
		k, err := ParseKey(n)
		if err != nil || k.String() != n {
			t.Errorf("%s: key %v (%v) writes back as %q", n, k, err, k.String())
		}
	}
}

func TestLegacy(t *testing.T) {
	c := Legacy()
	if len(c) != len(legacyOrder) {
		t.Fatalf("%d transports, want %d", len(c), len(legacyOrder))
	}
	for _, want := range []Transport{
		{"pipe", "pipe", WaitSleep, 1},
		{"udp", "socket", WaitSleep, 8},
		{"sysv-mq", "mq", WaitSleep, 10},
		{"shm-spin", "shm", WaitSpin, 11},
		{"shm-hybrid", "shm", WaitSpin, 12},
		{"shm-futex", "shm", WaitSleep, 13},
		{"sysvshm-spin", "shm", WaitSpin, 20},
		{"signal", "signal", WaitSleep, 22},
		{"cma", "other", WaitSleep, 23},
	} {
		if got := c[want.Name]; got != want {
			t.Errorf("Legacy()[%q] = %+v, want %+v", want.Name, got, want)
		}
	}
	// Names the old reports did not know, guessed as they guessed them.
	for _, want := range []Transport{
		{"shm-poll", "shm", WaitSleep, 24},
		{"mmap-hybrid", "shm", WaitSpin, 24},
		{"unix-spin", "other", WaitSleep, 24},
	} {
		if got := Catalogue(nil).Lookup(want.Name); got != want {
			t.Errorf("Lookup(%q) = %+v, want %+v", want.Name, got, want)
		}
	}
}
