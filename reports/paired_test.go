package reports

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/ipcbench/ipcbench/results"
)

func TestPairRatios(t *testing.T) {
	for _, tc := range []struct {
		name     string
		num, den []float64
		want     []float64
		err      string // in the error, "" for none
		run      int    // PairError.Run
	}{
		{"equal runs", []float64{200, 300, 50}, []float64{100, 600, 50}, []float64{2, 0.5, 1}, "", 0},
		{"none", nil, nil, []float64{}, "", 0},
		{"unequal counts", []float64{1, 2}, []float64{1, 2, 3}, nil, "2 runs of the numerator against 3 of the denominator: rounds cannot be paired", 0},
		{"zero denominator", []float64{1, 2}, []float64{1, 0}, nil, "run 2 of the denominator is 0", 2},
		{"negative denominator", []float64{1, 2}, []float64{-1, 1}, nil, "run 1 of the denominator is -1", 1},
	} {
		got, err := PairRatios(tc.num, tc.den)
		if tc.err != "" {
			var pe *PairError
			if err == nil || err.Error() != tc.err || !errors.As(err, &pe) || pe.Run != tc.run || got != nil {
				t.Errorf("%s: %v, %v; want error %q (run %d)", tc.name, got, err, tc.err, tc.run)
			}
			continue
		}
		if err != nil || len(got) != len(tc.want) {
			t.Errorf("%s: %v, %v; want %v", tc.name, got, err, tc.want)
			continue
		}
		for i := range got {
			if math.Abs(got[i]-tc.want[i]) > 1e-12 {
				t.Errorf("%s: ratio %d = %v, want %v", tc.name, i, got[i], tc.want[i])
			}
		}
	}
	// The targets' texts, with the sides named.
	_, err := PairRatios([]float64{1}, []float64{0})
	if got := describePairError(err, "A", "B", "ns/op"); got != "run 1 of B is 0 ns/op" {
		t.Errorf("described: %q", got)
	}
	_, err = PairRatios([]float64{1}, []float64{1, 1})
	if got := describePairError(err, "A", "B", "ns/op"); got != "1 runs of A against 2 of B: rounds cannot be paired" {
		t.Errorf("described: %q", got)
	}
}

// resultLines writes one result line per value of name in unit.
func resultLines(name, unit string, values ...float64) string {
	var b strings.Builder
	for _, v := range values {
		fmt.Fprintf(&b, "Benchmark%s-2 100 %g %s\n", name, v, unit)
	}
	return b.String()
}

func mustLoad(t *testing.T, text string) *Results {
	t.Helper()
	r, err := Load(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestComparePaired(t *testing.T) {
	const (
		pipe = "PingPong/transport=pipe/api=runtime/pin=split/size=64"
		unix = "PingPong/transport=unix-stream/api=runtime/pin=split/size=64"
	)
	// The old side swings between two machines; the new follows it, so
	// the ratios are steady where a comparison of medians would not be.
	old := []float64{100, 500, 100, 500, 100, 500}
	for _, tc := range []struct {
		name     string
		old, new string
		units    []string
		outcomes []string // one per result, in order
		median   float64  // of the first result, when it has ratios
	}{
		{"faster", resultLines(pipe, "ns/op", old...), resultLines(pipe, "ns/op", scale(old, 0.8)...),
			[]string{"ns/op"}, []string{PairedFaster}, 0.8},
		{"slower", resultLines(pipe, "ns/op", old...), resultLines(pipe, "ns/op", scale(old, 1.25)...),
			[]string{"ns/op"}, []string{PairedSlower}, 1.25},
		{"not distinguishable", resultLines(pipe, "ns/op", old...),
			resultLines(pipe, "ns/op", 90, 550, 105, 480, 110, 450),
			[]string{"ns/op"}, []string{PairedTie}, 1.005},
		{"a percentile is a time", resultLines(pipe, "p99-ns", old...), resultLines(pipe, "p99-ns", scale(old, 0.5)...),
			[]string{"p99-ns"}, []string{PairedFaster}, 0.5},
		{"other units are lower or higher", resultLines(pipe, "MB/s", old...), resultLines(pipe, "MB/s", scale(old, 0.5)...),
			[]string{"MB/s"}, []string{PairedLower}, 0.5},
		{"higher", resultLines(pipe, "cpu-ns/op", old...), resultLines(pipe, "cpu-ns/op", scale(old, 2)...),
			[]string{"cpu-ns/op"}, []string{PairedHigher}, 2},
		{"one run: min–max", resultLines(pipe, "ns/op", 100), resultLines(pipe, "ns/op", 120),
			[]string{"ns/op"}, []string{PairedSlower}, 1.2},
		{"not paired: run counts differ", resultLines(pipe, "ns/op", old...), resultLines(pipe, "ns/op", 100, 500),
			[]string{"ns/op"}, []string{PairedUnpaired}, 0},
		{"not paired: a zero in old", resultLines(pipe, "ns/op", 100, 0), resultLines(pipe, "ns/op", 100, 500),
			[]string{"ns/op"}, []string{PairedUnpaired}, 0},
		{"a unit missing on one side", resultLines(pipe, "ns/op", old...),
			resultLines(pipe, "ns/op", scale(old, 0.8)...) + resultLines(pipe, "p50-ns", old...),
			[]string{"ns/op", "p50-ns", "p99-ns"}, []string{PairedFaster, PairedMissing}, 0.8},
		{"a unit missing in new", resultLines(pipe, "p50-ns", old...), resultLines(pipe, "ns/op", old...),
			[]string{"p50-ns"}, []string{PairedMissing}, 0},
		{"benchmarks in one file only are left out",
			resultLines(pipe, "ns/op", old...) + resultLines(unix, "ns/op", old...),
			resultLines(unix, "ns/op", old...) + resultLines("PingPong/transport=tcp/api=runtime/pin=split/size=64", "ns/op", old...),
			[]string{"ns/op"}, []string{PairedTie}, 1},
		{"nothing in common", resultLines(pipe, "ns/op", old...), resultLines(unix, "ns/op", old...),
			[]string{"ns/op"}, nil, 0},
	} {
		got := ComparePaired(mustLoad(t, tc.old), mustLoad(t, tc.new), tc.units)
		var outcomes []string
		for _, p := range got {
			outcomes = append(outcomes, p.Outcome)
		}
		if strings.Join(outcomes, ",") != strings.Join(tc.outcomes, ",") {
			t.Errorf("%s: outcomes %q, want %q", tc.name, outcomes, tc.outcomes)
			continue
		}
		if len(got) == 0 {
			continue
		}
		p := got[0]
		switch p.Outcome {
		case PairedUnpaired, PairedMissing:
			if p.Why == "" || len(p.Ratios) != 0 || p.Summary.Valid() || !strings.Contains(p.Text(), p.Why) {
				t.Errorf("%s: %+v: want a reason and no ratios", tc.name, p)
			}
		default:
			if math.Abs(p.Summary.Median-tc.median) > 1e-9 || p.Summary.N != len(p.Ratios) || p.Why != "" {
				t.Errorf("%s: median %v over %d runs (%q); want %v", tc.name, p.Summary.Median, p.Summary.N, p.Why, tc.median)
			}
		}
	}
}

func TestComparePairedReasons(t *testing.T) {
	const name = "PingPong/transport=pipe/api=runtime/pin=same/size=64"
	old := mustLoad(t, resultLines(name, "ns/op", 100, 200, 300)+resultLines(name, "p50-ns", 1))
	new := mustLoad(t, resultLines(name, "ns/op", 100, 200)+resultLines(name, "p99-ns", 1))
	got := ComparePaired(old, new, []string{"ns/op", "p50-ns", "p99-ns"})
	want := []string{
		"not paired: 2 runs of new against 3 of old: rounds cannot be paired",
		"not measured: p50-ns is not in the new file",
		"not measured: p99-ns is not in the old file",
	}
	if len(got) != len(want) {
		t.Fatalf("%d results, want %d: %+v", len(got), len(want), got)
	}
	for i, p := range got {
		if p.Text() != want[i] || p.Key.String() != name {
			t.Errorf("result %d: %s %q, want %q", i, p.Key, p.Text(), want[i])
		}
	}
}

// TestKeyStringOrder checks that a key prints as the suite names its
// benchmarks (names_test.go's groupKeys), so that tables show the names
// of the results files.
func TestKeyStringOrder(t *testing.T) {
	for _, name := range []string{
		"PingPong/transport=pipe/api=runtime/pin=split/size=64",
		"Floor/op=cacheline/pin=same/size=64",
		"Baseline/op=rawpipe/pin=split/size=64",
		"SignalFlood/kind=standard/pin=split",
		"SignalNotify/api=raw/pin=same/size=0",
	} {
		k, err := results.ParseKey(name)
		if err != nil || k.String() != name {
			t.Errorf("results.ParseKey(%q).String() = %q, %v", name, k.String(), err)
		}
	}
}
