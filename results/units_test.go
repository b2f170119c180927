package results

import (
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"
)

// unitLines are the Unit lines of the results files written before this
// package existed (harness.WriteConfig), in their order.
const unitLines = `Unit p50-ns better=lower
Unit p90-ns better=lower
Unit p99-ns better=lower
Unit p999-ns better=lower
Unit max-ns better=lower
Unit cpu-ns/op better=lower
Unit ctxsw/op better=lower
Unit lost-% better=lower
Unit lost/op better=lower
Unit refused/op better=lower
Unit sent/op better=higher
Unit received/op better=higher
`

// loadUnitLines follow them: the load benchmarks' units (Rate, Pairs,
// FanIn).
const loadUnitLines = `Unit resp-p50-ns better=lower
Unit resp-p99-ns better=lower
Unit resp-p999-ns better=lower
Unit svc-p50-ns better=lower
Unit svc-p99-ns better=lower
Unit lag-p50-ns better=lower
Unit lag-p99-ns better=lower
Unit sent/s better=higher
Unit recv/s better=higher
Unit invalid better=lower
Unit recv-cpu-ns/op better=lower
Unit pace-cpu-ns/op better=lower
Unit msg/s better=higher
Unit worst-p50-ns better=lower
Unit worst-p99-ns better=lower
Unit fairness better=higher
Unit oversub better=lower
Unit server-cpu-ns/op better=lower
`

func TestWriteUnits(t *testing.T) {
	var b strings.Builder
	if err := WriteUnits(&b); err != nil {
		t.Fatal(err)
	}
	if want := unitLines + loadUnitLines; b.String() != want {
		t.Errorf("WriteUnits wrote\n%s\nwant\n%s", b.String(), want)
	}
}

func TestUnits(t *testing.T) {
	for _, c := range []struct {
		name   string
		higher bool
	}{
		{UnitNsOp, false}, {UnitMBs, true}, {UnitP50, false}, {UnitP90, false}, {UnitP99, false},
		{UnitP999, false}, {UnitMax, false}, {UnitCPU, false}, {UnitCtxsw, false}, {UnitLostPct, false},
		{UnitSent, true}, {UnitRecv, true}, {UnitLost, false}, {UnitRefused, false},
	} {
		found := false
		for _, u := range Units() {
			if u.Name == c.name {
				found = true
				if u.HigherBetter != c.higher {
					t.Errorf("%s: higher better %v, want %v", c.name, u.HigherBetter, c.higher)
				}
			}
		}
		if !found {
			t.Errorf("Units() lacks %s", c.name)
		}
	}
	seen := map[string]bool{}
	for _, u := range Units() {
		if seen[u.Name] {
			t.Errorf("unit %s listed twice", u.Name)
		}
		seen[u.Name] = true
	}
	// The Unit lines read back with the direction of each unit, in
	// benchfmt's tidied form.
	in := unitLines + "BenchmarkX 1 1 ns/op 1 p50-ns 1 sent/op\n"
	br := benchfmt.NewReader(strings.NewReader(in), "units")
	for br.Scan() {
	}
	for unit, want := range map[string]int{"p50-sec": -1, "sent/op": 1, "lost-%": -1, "cpu-sec/op": -1} {
		if got := br.Units().GetBetter(unit); got != want {
			t.Errorf("better of %s = %d, want %d", unit, got, want)
		}
	}
}

func TestWriteConfig(t *testing.T) {
	var b strings.Builder
	WriteConfig(&b, "kernel", "6.1")
	WriteConfig(&b, "clocksource", "")
	if got, want := b.String(), "kernel: 6.1\nclocksource: unknown\n"; got != want {
		t.Errorf("WriteConfig wrote %q, want %q", got, want)
	}
}
