package reports

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/ipcbench/ipcbench/internal/targets"
	"github.com/ipcbench/ipcbench/results"
)

// TestTargetNamesParse: every target names benchmarks of the suite, as
// results.ParseKey reads them (its own tests are in package results).
func TestTargetNamesParse(t *testing.T) {
	for _, tg := range targets.All {
		for _, n := range []string{tg.Num, tg.Den} {
			if _, err := results.ParseKey(n); err != nil {
				t.Errorf("target %s: %v", tg.ID, err)
			}
		}
	}
}

// pairs writes rounds of the two sides of target tg, num[i] and den[i] in
// round i, in the order ipcbench run writes them.
func pairs(tg targets.Target, num, den []float64) string {
	var b strings.Builder
	b.WriteString("ipcbench-profile: targets\n")
	for i := range num {
		fmt.Fprintf(&b, "Benchmark%s-2 100 %g %s\n", tg.Num, num[i], tg.Unit)
		fmt.Fprintf(&b, "Benchmark%s-2 100 %g %s\n", tg.Den, den[i], tg.Unit)
	}
	return b.String()
}

func targetByID(t *testing.T, id string) targets.Target {
	t.Helper()
	for _, tg := range targets.All {
		if tg.ID == id {
			return tg
		}
	}
	t.Fatalf("no target %s", id)
	return targets.Target{}
}

func TestTargets(t *testing.T) {
	floor := targetByID(t, "shm-spin-floor")       // ns/op, at most 2
	copyloop := targetByID(t, "shm-spin-copyloop") // MB/s, at least 0.8
	// The denominator swings between two machines (the host moved the
	// CPUs); the numerator follows it. Ratios of medians would mix them,
	// ratios per round do not.
	den := []float64{100, 500, 100, 500, 100, 500, 100, 500}
	for _, tc := range []struct {
		name    string
		tg      targets.Target
		num     []float64
		outcome string
		median  float64
	}{
		{"met", floor, scale(den, 1.5), TargetMet, 1.5},
		{"missed", floor, scale(den, 2.5), TargetMissed, 2.5},
		{"at the bound", floor, []float64{150, 1250, 150, 1250, 150, 1250, 150, 1250}, TargetAtBound, 2},
		{"higher is better, met", copyloop, scale(den, 0.9), TargetMet, 0.9},
		{"higher is better, missed", copyloop, scale(den, 0.5), TargetMissed, 0.5},
	} {
		r, err := Load(strings.NewReader(pairs(tc.tg, tc.num, den)))
		if err != nil {
			t.Fatal(err)
		}
		got := judgeTarget(r, tc.tg)
		if got.Outcome != tc.outcome || math.Abs(got.Summary.Median-tc.median) > 1e-9 || len(got.Ratios) != len(den) {
			t.Errorf("%s: outcome %q, median %v over %d rounds; want %q, %v over %d", tc.name, got.Outcome, got.Summary.Median, len(got.Ratios), tc.outcome, tc.median, len(den))
		}
	}

	// A side missing, or sides with different numbers of runs.
	r, err := Load(strings.NewReader("BenchmarkFloor/op=cacheline/pin=split/size=64-2 100 120 ns/op\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := judgeTarget(r, floor); got.Outcome != TargetNotRun || !strings.Contains(got.Why, floor.Num) {
		t.Errorf("missing side: %q (%s)", got.Outcome, got.Why)
	}
	text := pairs(floor, []float64{200, 210}, []float64{100, 100}) + "Benchmark" + floor.Den + "-2 100 100 ns/op\n"
	if r, err = Load(strings.NewReader(text)); err != nil {
		t.Fatal(err)
	}
	if got := judgeTarget(r, floor); got.Outcome != TargetUnpaired {
		t.Errorf("2 runs against 3: %q, want %q", got.Outcome, TargetUnpaired)
	}
}

func scale(xs []float64, f float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = x * f
	}
	return out
}

// TestTargetSection checks the report's section: outcomes shown, and the
// caveat when the results were not run as pairs.
func TestTargetSection(t *testing.T) {
	tg := targetByID(t, "shm-spin-floor")
	text := pairs(tg, []float64{150, 150, 150, 150, 150, 150}, []float64{100, 100, 100, 100, 100, 100})
	r, err := Load(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	md := string((&Report{doc: targetBlocks(r, "t.txt")}).Markdown())
	for _, want := range []string{"shm-spin-floor (#3)", "1.500", "| met |", "back to back", "not measured: "} {
		if !strings.Contains(md, want) {
			t.Errorf("section lacks %q:\n%s", want, md)
		}
	}
	r, err = Load(strings.NewReader(strings.Replace(text, "ipcbench-profile: targets", "ipcbench-profile: default", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if md := string((&Report{doc: targetBlocks(r, "t.txt")}).Markdown()); !strings.Contains(md, "may have run minutes apart") {
		t.Errorf("no caveat for unpaired rounds:\n%s", md)
	}
}
