package reports

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ipcbench/ipcbench/results"
)

// ratePt is one synthetic rate point: the p99 response time (ns) and
// whether each round fell behind.
type ratePt struct {
	rate    int
	p99     float64
	invalid []bool // by round
}

// rateText writes BenchmarkRate lines of transport t for points, one line
// per point and round, with a ping-pong line so that the closed-loop
// sections have something of their own.
func rateText(t string, pts []ratePt) string {
	var b strings.Builder
	b.WriteString("BenchmarkPingPong/transport=pipe/api=raw/pin=split/size=64-2 1000 9000 ns/op 8000 p50-ns\n")
	for _, p := range pts {
		for _, inv := range p.invalid {
			bad := 0
			if inv {
				bad = 1
			}
			fmt.Fprintf(&b, "BenchmarkRate/transport=%s/api=raw/pin=split/size=64/rate=%d-2 1 %g ns/op %g resp-p50-ns %g resp-p99-ns 900 svc-p50-ns 100 lag-p99-ns 5000 cpu-ns/op 2000 recv-cpu-ns/op %d sent/s %d invalid\n",
				t, p.rate, 1e9/float64(p.rate), p.p99/2, p.p99, p.rate, bad)
		}
	}
	return b.String()
}

func ok3() []bool { return []bool{false, false, false} }

// TestRateKnee: the knee from measured points, every outcome: all within
// the bound, the bound crossed, a point that fell behind with a low p99,
// the lowest rate already over, and a non-monotone sweep (the knee stays
// at the end of the first run of good points).
func TestRateKnee(t *testing.T) {
	const bound = 100 * time.Microsecond
	for _, c := range []struct {
		name      string
		pts       []ratePt
		knee, sat int
	}{
		{"all within", []ratePt{{100, 20e3, ok3()}, {1000, 30e3, ok3()}, {10000, 50e3, ok3()}}, 10000, 0},
		{"bound crossed", []ratePt{{100, 20e3, ok3()}, {1000, 30e3, ok3()}, {10000, 150e3, ok3()}}, 1000, 0},
		{"fell behind in one round of three", []ratePt{{100, 20e3, ok3()}, {1000, 30e3, []bool{false, true, false}}, {10000, 50e3, ok3()}}, 10000, 1000},
		{"fell behind in two rounds of three", []ratePt{{100, 20e3, ok3()}, {1000, 30e3, []bool{true, true, false}}, {10000, 50e3, ok3()}}, 100, 1000},
		{"lowest over", []ratePt{{100, 200e3, ok3()}, {1000, 30e3, ok3()}}, 0, 0},
		{"not monotone", []ratePt{{100, 20e3, ok3()}, {300, 20e3, ok3()}, {1000, 300e3, ok3()}, {10000, 50e3, ok3()}}, 300, 0},
	} {
		r := load(t, rateText("shm-futex", c.pts))
		sw := r.RateSweeps(bound)
		if len(sw) != 1 {
			t.Fatalf("%s: %d sweeps, want 1", c.name, len(sw))
		}
		if sw[0].Knee != c.knee || sw[0].Saturated != c.sat {
			t.Errorf("%s: knee %d, saturated at %d; want %d and %d", c.name, sw[0].Knee, sw[0].Saturated, c.knee, c.sat)
		}
		if len(sw[0].Points) != len(c.pts) || sw[0].Points[0].Rounds != 3 {
			t.Errorf("%s: %d points of %d rounds, want %d of 3", c.name, len(sw[0].Points), sw[0].Points[0].Rounds, len(c.pts))
		}
	}
}

// TestLoadSeriesApart: rate results stay out of the closed-loop sections
// (no size, transport or ranking sees them) and make their own section
// and charts, the knee in words.
func TestLoadSeriesApart(t *testing.T) {
	r := load(t, rateText("shm-spin", []ratePt{{100, 20e3, ok3()}, {1000, 30e3, ok3()}, {10000, 2e6, []bool{true, true, true}}}))
	if len(r.Load) == 0 || len(r.Keys(results.BenchRate)) != 0 {
		t.Fatalf("rate series: %d in Load, %d among the local keys; want all in Load", len(r.Load), len(r.Keys(results.BenchRate)))
	}
	if ts := r.Transports(""); len(ts) != 1 || ts[0] != "pipe" {
		t.Errorf("local transports %v, want [pipe] alone", ts)
	}
	rep, err := Build(r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	md := string(rep.Markdown())
	for _, want := range []string{"## Under load", "| shm-spin | raw | 1k/s |", "✗ fell behind in 3 of 3 rounds"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	var files []string
	for _, c := range rep.Charts {
		files = append(files, c.File)
	}
	for _, want := range []string{"rate-latency-split-64.png", "rate-cpu-split-64.png"} {
		if !strings.Contains(strings.Join(files, " "), want) {
			t.Errorf("charts %v lack %s", files, want)
		}
	}
	if _, err := rep.PNGs(); err != nil {
		t.Fatal(err)
	}
	js := string(mustJSON(t, rep))
	if !strings.Contains(js, `"rate": 10000`) {
		t.Errorf("results.json lacks the rate cases")
	}
}

func mustJSON(t *testing.T, rep *Report) []byte {
	t.Helper()
	b, err := rep.JSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPairsTable: the scaling efficiency is paired round by round: the
// machine's drift between rounds cancels (the aggregate of two pairs is
// 1.5 times one pair's in every round, at very different levels).
func TestPairsTable(t *testing.T) {
	var b strings.Builder
	b.WriteString("BenchmarkPingPong/transport=pipe/api=raw/pin=split/size=64-2 1000 9000 ns/op 8000 p50-ns\n")
	for _, d := range []float64{1, 3, 0.5} {
		for _, n := range []int{1, 2} {
			rate := 100e3 * d
			if n == 2 {
				rate *= 1.5
			}
			fmt.Fprintf(&b, "BenchmarkPairs/transport=shm-spin/api=raw/pin=split/size=64/pairs=%d-2 1 %g ns/op %g msg/s 0.98 fairness 40000 worst-p99-ns 3000 cpu-ns/op %d oversub\n", n, 1e9/rate, rate, n-1)
		}
	}
	rep, err := Build(load(t, b.String()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	md := string(rep.Markdown())
	for _, want := range []string{"### Many pairs at once", "(efficiency 0.75)", "fairness 0.98", "oversubscribed", "100k msg/s"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// TestC11: the verdict on "shared memory suits many processes" from
// measured pairs and fan-in rates, each outcome: shared memory ahead
// everywhere, nowhere, and in one class only; and not measured without
// N ≥ 2.
func TestC11(t *testing.T) {
	line := func(b *strings.Builder, bench, tr string, n int, rate float64) {
		key := "pairs"
		if bench == "FanIn" {
			key = "clients"
		}
		fmt.Fprintf(b, "Benchmark%s/transport=%s/api=raw/pin=split/size=64/%s=%d-2 1 %g ns/op %g msg/s 0.99 fairness 50000 worst-p99-ns 3000 cpu-ns/op\n", bench, tr, key, n, 1e9/rate, rate)
	}
	drift := []float64{1, 1.4, 0.8, 1.2, 0.9, 1.1}
	run := func(rates map[string]float64, ns ...int) *Results {
		var b strings.Builder
		b.WriteString("BenchmarkPingPong/transport=pipe/api=raw/pin=split/size=64-2 1000 9000 ns/op 8000 p50-ns\n")
		for _, d := range drift {
			for _, bench := range []string{"Pairs", "FanIn"} {
				for _, n := range ns {
					for _, tr := range []string{"unix-stream", "shm-futex", "shm-spin"} {
						line(&b, bench, tr, n, rates[tr]*d*float64(n))
					}
				}
			}
		}
		return load(t, b.String())
	}
	for _, c := range []struct {
		name  string
		rates map[string]float64
		ns    []int
		want  Status
		cond  string
	}{
		{"shared memory ahead", map[string]float64{"unix-stream": 50e3, "shm-futex": 60e3, "shm-spin": 2e6}, []int{1, 2, 4}, Holds, "blocking shared memory with many clients at pin=split"},
		{"kernel ahead", map[string]float64{"unix-stream": 50e3, "shm-futex": 40e3, "shm-spin": 30e3}, []int{1, 2}, DoesNotHold, "at no size and count"},
		{"spinning only", map[string]float64{"unix-stream": 50e3, "shm-futex": 40e3, "shm-spin": 2e6}, []int{2}, HoldsOnlyWhen, "spinning shared memory with many pairs at pin=split"},
		{"one process each", map[string]float64{"unix-stream": 50e3, "shm-futex": 60e3, "shm-spin": 2e6}, []int{1}, NotMeasured, "N ≥ 2"},
	} {
		v := judgeC11(run(c.rates, c.ns...))
		if v.Status != c.want || !strings.Contains(v.Condition, c.cond) {
			t.Errorf("%s: %s, want %s containing %q", c.name, v.Text(), c.want, c.cond)
		}
		if c.want != NotMeasured && len(v.Figures) == 0 {
			t.Errorf("%s: no figures", c.name)
		}
	}
}

// TestRatePointLeavesOutFellBehind: a round that fell behind is left out
// of the point's figures, not averaged in.
func TestRatePointLeavesOutFellBehind(t *testing.T) {
	var b strings.Builder
	for i, p99 := range []float64{20e3, 5e9, 30e3} {
		bad := 0
		if i == 1 {
			bad = 1
		}
		fmt.Fprintf(&b, "BenchmarkRate/transport=pipe/api=raw/pin=split/size=64/rate=1000-2 1 1e6 ns/op 1000 resp-p50-ns %g resp-p99-ns %d invalid\n", p99, bad)
	}
	sw := load(t, b.String()).RateSweeps(time.Millisecond)
	if len(sw) != 1 || len(sw[0].Points) != 1 {
		t.Fatalf("sweeps %+v", sw)
	}
	p := sw[0].Points[0]
	if p.Resp99.Median != 25e3 || p.Resp99.N != 2 || !p.Kept() || p.Invalid != 1 {
		t.Errorf("p99 median %v over %d rounds, kept %v, invalid %d; want 25 µs over the 2 rounds that kept up", p.Resp99.Median, p.Resp99.N, p.Kept(), p.Invalid)
	}
	if sw[0].Knee != 1000 {
		t.Errorf("knee %d, want 1000", sw[0].Knee)
	}
}
