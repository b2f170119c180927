package reports

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ipcbench/ipcbench/results"
)

// clustered builds a synthetic clustered run of rounds rounds: per round,
// for each cluster (pin=split, size 64 and 4096) the probes before and
// after and the given cases' ns/op (and the same as p50-ns); probe(c, round) and val(name, round)
// give the values.
func clustered(rounds int, names []string, probe func(size, round int) float64, val func(name string, round int) float64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d\n", results.ConfigRounds, rounds)
	for round := 1; round <= rounds; round++ {
		for _, size := range []int{64, 4096} {
			cl := results.Cluster{Workload: results.BenchPingPong, Pin: "split", Size: size}
			fmt.Fprintf(&b, "Benchmark%s-2 1000 %g ns/op\n", cl.ProbeKey(results.ProbeBefore), probe(size, round))
			for _, n := range names {
				name := fmt.Sprintf("%s/size=%d", n, size)
				if v := val(name, round); v > 0 {
					fmt.Fprintf(&b, "Benchmark%s-2 1000 %g ns/op %g p50-ns\n", name, v, v)
				}
			}
			fmt.Fprintf(&b, "Benchmark%s-2 1000 %g ns/op\n", cl.ProbeKey(results.ProbeAfter), probe(size, round))
		}
	}
	return b.String()
}

func load(t *testing.T, text string) *Results {
	t.Helper()
	r, err := Load(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func pp(tr string, size int) Key {
	return Key{Bench: results.BenchPingPong, Transport: tr, API: "raw", Pin: "split", Size: size}
}

// TestPairOrders: the paired ratio decides where the two series' own
// ranges overlap (a drift common to both sides cancels), and a ratio
// whose interval contains 1 is a tie, from either side.
func TestPairOrders(t *testing.T) {
	names := []string{"PingPong/transport=a/api=raw/pin=split", "PingPong/transport=b/api=raw/pin=split", "PingPong/transport=c/api=raw/pin=split"}
	flatProbe := func(int, int) float64 { return 100 }
	drift := []float64{1, 1.5, 0.8, 1.2, 0.9, 1.4, 1.1, 0.7, 1.3}
	noise := []float64{1.02, 0.97, 1.01, 0.99, 1.03, 0.98, 1, 0.96, 1.04}
	r := load(t, clustered(9, names, flatProbe, func(name string, round int) float64 {
		d := drift[round-1]
		switch {
		case strings.Contains(name, "transport=a/"):
			return 1000 * d
		case strings.Contains(name, "transport=b/"):
			return 1100 * d // 10 % slower than a in every round
		}
		return 1000 * d * noise[round-1] // c: a ± 4 %
	}))
	a, _ := r.Stat(pp("a", 64), results.UnitNsOp)
	b, _ := r.Stat(pp("b", 64), results.UnitNsOp)
	if a.Hi < b.Lo {
		t.Fatalf("test premise: the ranges of a and b should overlap: a %v–%v, b %v–%v", a.Lo, a.Hi, b.Lo, b.Hi)
	}
	for _, c := range []struct {
		num, den string
		lower    bool
		want     Order
	}{
		{"a", "b", true, Better}, {"b", "a", true, Worse},
		{"a", "b", false, Worse}, {"b", "a", false, Better},
		{"a", "c", true, Tie}, {"c", "a", true, Tie},
	} {
		p := r.Pair(pp(c.num, 64), pp(c.den, 64), results.UnitNsOp)
		if got := p.Order(c.lower); got != c.want {
			t.Errorf("%s ÷ %s (lowerBetter=%v): %v, want %v (ratios %v, interval %v–%v)", c.num, c.den, c.lower, got, c.want, p.Ratios, p.Summary.Lo, p.Summary.Hi)
		}
		if len(p.Ratios) != 9 || !p.Summary.CI {
			t.Errorf("%s ÷ %s: %d ratios, CI %v; want 9 and a benchmath interval", c.num, c.den, len(p.Ratios), p.Summary.CI)
		}
	}
	if p := r.Pair(pp("a", 64), pp("missing", 64), results.UnitNsOp); p.Summary.Valid() || p.Order(true) != Tie {
		t.Errorf("a pairing with a missing side must be an invalid tie: %+v", p)
	}
}

// TestPairLeavesOutDisturbedRounds: a round whose probe exceeds
// DriftFactor × the run's median probe is left out of every pairing that
// involves its cluster, and only of those; a shorter series pairs over
// its rounds; a cluster whose probes lack a round is not judged.
func TestPairLeavesOutDisturbedRounds(t *testing.T) {
	names := []string{"PingPong/transport=a/api=raw/pin=split", "PingPong/transport=b/api=raw/pin=split"}
	probe := func(size, round int) float64 {
		if size == 64 && round == 4 {
			return 100 * (DriftFactor + 1)
		}
		return 100 + float64(round)
	}
	r := load(t, clustered(9, names, probe, func(name string, round int) float64 {
		v := 1000.0
		if strings.Contains(name, "transport=b/") {
			v = 2000
			if strings.HasSuffix(name, "size=4096") && round > 7 {
				return 0 // b fails at 4 KiB after round 7
			}
		}
		if round == 4 && strings.HasSuffix(name, "size=64") && strings.Contains(name, "transport=a/") {
			v *= 10 // what the disturbance did
		}
		return v
	}))
	ds := r.Disturbances()
	if len(ds) != 1 || ds[0].Round != 4 || ds[0].Cluster != (results.Cluster{Workload: results.BenchPingPong, Pin: "split", Size: 64}) {
		t.Fatalf("disturbances %+v, want round 4 of pin=split size=64", ds)
	}
	if !strings.Contains(ds[0].Text(), "round 4") {
		t.Errorf("text %q", ds[0].Text())
	}
	p := r.Pair(pp("a", 64), pp("b", 64), results.UnitNsOp)
	if !slices.Equal(p.Excluded, []int{4}) || len(p.Ratios) != 8 || p.Order(true) != Better {
		t.Errorf("64 B: excluded %v, %d ratios, %v; want round 4 out, 8 ratios, Better", p.Excluded, len(p.Ratios), p.Order(true))
	}
	p = r.Pair(pp("a", 4096), pp("b", 4096), results.UnitNsOp)
	if len(p.Excluded) != 0 || len(p.Ratios) != 7 {
		t.Errorf("4 KiB: excluded %v, %d ratios; want none out, 7 rounds paired", p.Excluded, len(p.Ratios))
	}
	p = r.Pair(pp("a", 64), pp("a", 4096), results.UnitNsOp)
	if !slices.Equal(p.Excluded, []int{4}) {
		t.Errorf("across clusters: excluded %v, want round 4 (disturbed on one side)", p.Excluded)
	}

	// A probe missing in one round: the cluster cannot be aligned.
	text := clustered(9, names, probe, func(string, int) float64 { return 1000 })
	text = strings.Replace(text, fmt.Sprintf("Benchmark%s-2 1000 %g ns/op\n", (results.Cluster{Workload: results.BenchPingPong, Pin: "split", Size: 64}).ProbeKey(results.ProbeAfter), probe(64, 4)), "", 1)
	r = load(t, text)
	if len(r.Disturbances()) != 0 || len(r.Unprobed()) != 1 {
		t.Errorf("gap in the probes: disturbances %v, unprobed %v; want none and one", r.Disturbances(), r.Unprobed())
	}
}

// TestRankings: a cell of the fastest tables names the best transport and
// those not distinguishable from it, round by round: a transport 10 %
// slower in every round is left out although the ranges overlap, one
// within a few percent either way is in; every cell is also in the
// report's table, best first.
func TestRankings(t *testing.T) {
	names := []string{"PingPong/transport=a/api=raw/pin=split", "PingPong/transport=b/api=raw/pin=split", "PingPong/transport=c/api=raw/pin=split"}
	drift := []float64{1, 1.5, 0.8, 1.2, 0.9, 1.4, 1.1, 0.7, 1.3}
	noise := []float64{1.02, 0.97, 1.01, 0.99, 1.03, 0.98, 1, 0.96, 1.04}
	r := load(t, clustered(9, names, func(int, int) float64 { return 100 }, func(name string, round int) float64 {
		d := drift[round-1]
		switch {
		case strings.Contains(name, "transport=a/"):
			return 1000 * d
		case strings.Contains(name, "transport=b/"):
			if strings.HasSuffix(name, "size=4096") {
				return 900 * d // b wins at 4 KiB
			}
			return 1100 * d
		}
		return 1000 * d * noise[round-1]
	}))
	var got []string
	for _, k := range Rankings(r) {
		got = append(got, k.ID()+" "+k.Best+" "+strings.Join(k.Set, ","))
	}
	want := []string{
		"rank:pin=split/size=64/latency a a,c",
		"rank:pin=split/size=64/latency-sleeping a a,c",
		"rank:pin=split/size=4096/latency b b",
		"rank:pin=split/size=4096/latency-sleeping b b",
	}
	if !slices.Equal(got, want) {
		t.Errorf("rankings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	tbl := fastestTable(r, "split", r.cpuMetric())
	if len(tbl.Rows) != 2 || !strings.HasPrefix(tbl.Rows[0][1], "a ") || !strings.Contains(tbl.Rows[0][1], "not distinguishable: c") || !strings.HasPrefix(tbl.Rows[1][1], "b ") {
		t.Errorf("the table does not show the rankings: %q", tbl.Rows)
	}
}

// TestFrameworkSection: each framework transport (family rpc) against
// unix-stream api=runtime and the best shared-memory transport, as the
// median of the rounds' ratios, for the round trip and the CPU.
func TestFrameworkSection(t *testing.T) {
	var b strings.Builder
	b.WriteString("transport-grpc-unix: family=rpc wait=sleep order=1\ntransport-unix-stream: family=socket wait=sleep order=1\ntransport-shm-futex: family=shm wait=sleep order=1\ntransport-shm-spin: family=shm wait=spin order=2\n")
	fmt.Fprintf(&b, "%s: 9\n", results.ConfigRounds)
	drift := []float64{1, 1.5, 0.8, 1.2, 0.9, 1.4, 1.1, 0.7, 1.3}
	for _, d := range drift {
		for _, c := range []struct {
			name     string
			lat, cpu float64
		}{
			{"grpc-unix/api=runtime", 3000, 8000},
			{"unix-stream/api=runtime", 1000, 2000},
			{"shm-futex/api=raw", 500, 1000},
			{"shm-spin/api=raw", 200, 900},
		} {
			fmt.Fprintf(&b, "BenchmarkPingPong/transport=%s/pin=split/size=64-2 1000 %g ns/op %g cpu-ns/op %g p50-ns\n", c.name, c.lat*d, c.cpu*d, c.lat*d)
		}
	}
	r := load(t, b.String())
	blocks := frameworkBlocks(r)
	var tbl *table
	for _, bl := range blocks {
		if tb, ok := bl.(table); ok {
			tbl = &tb
		}
	}
	if tbl == nil || len(tbl.Rows) != 1 {
		t.Fatalf("want one table with one row, got %#v", blocks)
	}
	row := strings.Join(tbl.Rows[0], " | ")
	for _, want := range []string{"64 B", "shm-spin 220 ns", "| 3.00 [3.000–3.000]", "| 15.0 [15.0–15.0]", "| 4.00"} {
		if !strings.Contains(row, want) {
			t.Errorf("row %q lacks %q", row, want)
		}
	}
	if frameworkBlocks(load(t, clustered(9, []string{"PingPong/transport=a/api=raw/pin=split"}, func(int, int) float64 { return 100 }, func(string, int) float64 { return 1000 }))) != nil {
		t.Error("a run without framework transports has no framework section")
	}
}
