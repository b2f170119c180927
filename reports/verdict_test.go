package reports

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ipcbench/ipcbench/results"
)

// fx builds SYNTHETIC results files for the table-driven verdict-rule
// tests only (shared memory wins, loses, ties): six rounds per line with
// ±1 % spread, so 95 % intervals exist and are narrow. Each configuration
// (the name without its size) takes its own rotation of the spread over
// the rounds, so that two configurations a fraction of a per cent apart
// are not distinguishable round by round, as in a real run. The golden
// report tests use the real runs in testdata, never these.
type fx struct {
	b   strings.Builder
	rot map[string]int
}

func (f *fx) config(k, v string) *fx { fmt.Fprintf(&f.b, "%s: %s\n", k, v); return f }

func (f *fx) line(name string, metrics ...any) *fx {
	if f.rot == nil {
		f.rot = map[string]int{}
	}
	conf, _, _ := strings.Cut(name, "/size=")
	rot, ok := f.rot[conf]
	if !ok {
		rot = len(f.rot) % 6
		f.rot[conf] = rot
	}
	for i := 0; i < 6; i++ {
		j := 1 + 0.01*(float64((i+rot)%6)-2.5)/2.5
		fmt.Fprintf(&f.b, "Benchmark%s-2 1000", name)
		for m := 0; m < len(metrics); m += 2 {
			fmt.Fprintf(&f.b, " %g %s", metrics[m].(float64)*j, metrics[m+1])
		}
		f.b.WriteString("\n")
	}
	return f
}

// ping adds PingPong lines for transport at sizes with round-trip ns
// given by lat(size), at pin=split.
func (f *fx) ping(tr string, lat func(int) float64, sizes ...int) *fx {
	return f.pingAt("split", tr, lat, sizes...)
}

// pingAt is ping at pin.
func (f *fx) pingAt(pin, tr string, lat func(int) float64, sizes ...int) *fx {
	for _, s := range sizes {
		v := lat(s)
		f.line(fmt.Sprintf("PingPong/transport=%s/api=raw/pin=%s/size=%d", tr, pin, s), v, "ns/op", 0.9*v, "cpu-ns/op", 2*v, "p99-ns", 0.95*v, "p50-ns")
	}
	return f
}

// observed adds the config line of a semantics experiment: probe,
// outcome, probe, outcome, ….
func (f *fx) observed(key string, probeOutcome ...string) *fx {
	var obs []results.Observation
	for i := 0; i < len(probeOutcome); i += 2 {
		obs = append(obs, results.Observation{Probe: probeOutcome[i], Outcome: probeOutcome[i+1]})
	}
	return f.config(key, results.FormatObservations(obs))
}

// stream adds Stream lines with MB/s given by mbs(size).
func (f *fx) stream(tr string, mbs func(int) float64, sizes ...int) *fx {
	for _, s := range sizes {
		v := mbs(s)
		f.line(fmt.Sprintf("Stream/transport=%s/api=raw/pin=split/size=%d", tr, s), float64(s)/v*1e3, "ns/op", v, "MB/s", float64(s)/v*1e3, "cpu-ns/op")
	}
	return f
}

func (f *fx) results(t *testing.T) *Results {
	t.Helper()
	r, err := Load(strings.NewReader(f.b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func flat(v float64) func(int) float64 { return func(int) float64 { return v } }

var std = []int{64, 1024, 4096, 65536}

func verdict(t *testing.T, r *Results, id string) Verdict {
	t.Helper()
	for _, v := range Verdicts(r) {
		if v.ID == id {
			return v
		}
	}
	t.Fatalf("no verdict %s", id)
	return Verdict{}
}

func TestVerdictRulesSynthetic(t *testing.T) {
	// mbs grows with size; the shm figure is scaled by k(size).
	grow := func(base float64) func(int) float64 { return func(s int) float64 { return base * float64(s) / 64 } }
	crossing := func(s int) float64 { // loses below 4 KiB, wins from 4 KiB
		if s < 4096 {
			return 0.5 * 40 * float64(s) / 64
		}
		return 3 * 40 * float64(s) / 64
	}
	cases := []verdictCase{
		{"C1 shm wins everywhere", func() *fx {
			return new(fx).ping("pipe", flat(9000), std...).ping("shm-spin", flat(500), std...).
				stream("pipe", grow(40), std...).stream("shm-spin", grow(400), std...)
		}, "C1", Holds, "every size", "", ""},
		{"C1 shm loses everywhere", func() *fx {
			return new(fx).ping("pipe", flat(9000), std...).ping("shm-futex", flat(20000), std...)
		}, "C1", DoesNotHold, "no size", "", ""},
		{"C1 tie is no win", func() *fx {
			return new(fx).ping("pipe", flat(9000), std...).ping("shm-futex", flat(9010), std...)
		}, "C1", DoesNotHold, "ties are not wins", "", ""},
		{"C1 wins only at large sizes", func() *fx {
			return new(fx).stream("pipe", grow(40), std...).stream("shm-futex", crossing, std...)
		}, "C1", HoldsOnlyWhen, "blocking wins throughput at some sizes", "blocking wins against the best kernel transport: throughput from 4 KiB up", ""},
		{"C1 nothing to compare", func() *fx { return new(fx).ping("pipe", flat(9000), std...) }, "C1", NotMeasured, "", "", ""},

		{"C10 crossover", func() *fx {
			return new(fx).stream("pipe", grow(40), std...).stream("shm-futex", crossing, std...)
		}, "C10", Holds, "from a crossover size up", "wins throughput from 4 KiB up", ""},
		{"C10 not monotone", func() *fx {
			return new(fx).stream("pipe", grow(40), std...).stream("shm-futex", func(s int) float64 {
				if s == 1024 {
					return 40 * float64(s) / 64 // a tie at 1 KiB only
				}
				return 400 * float64(s) / 64
			}, std...)
		}, "C10", DoesNotHold, "from a crossover up and also below it, not monotone", "from 4 KiB up and also at 64 B below it, not monotone (kernel transports keep up at 1 KiB only)", ""},
		{"C10 shm wins everywhere", func() *fx {
			return new(fx).stream("pipe", grow(40), std...).stream("shm-spin", grow(400), std...)
		}, "C10", DoesNotHold, "every size, even the smallest", "every size, even 64 B", ""},
		{"C10 shm never wins (tie)", func() *fx {
			return new(fx).stream("pipe", grow(40), std...).stream("shm-futex", grow(40.1), std...)
		}, "C10", DoesNotHold, "no size", "", ""},
		{"C10 opposite", func() *fx {
			return new(fx).stream("pipe", grow(40), std...).stream("shm-sem", func(s int) float64 {
				if s <= 1024 {
					return 400 * float64(s) / 64
				}
				return 4 * float64(s) / 64
			}, std...)
		}, "C10", DoesNotHold, "the opposite", "", ""},
		{"C10 latency fallback", func() *fx {
			return new(fx).ping("pipe", flat(9000), std...).ping("shm-spin", func(s int) float64 {
				if s >= 4096 {
					return 500
				}
				return 9000
			}, std...)
		}, "C10", Holds, "round-trip latency from a crossover size up", "round-trip latency from 4 KiB up", ""},

		{"C4 standard lost", func() *fx {
			return new(fx).line("SignalFlood/kind=standard", 60.0, "lost-%").line("SignalFlood/kind=realtime", 0.0, "lost-%")
		}, "C4", Holds, "", "", ""},
		{"C4 none lost", func() *fx { return new(fx).line("SignalFlood/kind=standard", 0.0, "lost-%") }, "C4", DoesNotHold, "no standard signal", "", ""},
		{"C4 absent", func() *fx { return new(fx).ping("pipe", flat(9000), 64) }, "C4", NotMeasured, "", "", ""},

		{"C9 cgo off", func() *fx { return new(fx).config("cgo", "0").ping("shm-spin", flat(400), 64) }, "C9", DoesNotHold, "CGO_ENABLED=0", "", ""},
		{"C9 unknown", func() *fx { return new(fx).ping("shm-spin", flat(400), 64) }, "C9", NotMeasured, "cgo", "", ""},
		{"C9 cgo on", func() *fx { return new(fx).config("cgo", "1").ping("shm-spin", flat(400), 64) }, "C9", NotMeasured, "", "", ""},
	}
	runVerdictCases(t, cases)
}

func TestFastestNamesTies(t *testing.T) {
	r := new(fx).ping("pipe", flat(9000), 64).ping("fifo", flat(9010), 64).ping("tcp", flat(20000), 64).results(t)
	got := fastestCell(r, metricLatency, 64)
	if !strings.HasPrefix(got, "pipe 8.55 µs (p99 18.0 µs, CPU 8.10 µs)") || !strings.Contains(got, "not distinguishable: fifo") {
		t.Errorf("fastest = %q", got)
	}
}

// A run missing most transports still gives a report that says so.
func TestReportSaysWhatIsMissing(t *testing.T) {
	r := new(fx).config("kernel", "6.1").ping("pipe", flat(9000), std...).ping("shm-spin", flat(400), 64, 1024).results(t)
	rep, err := Build(r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	md := string(rep.Markdown())
	for _, want := range []string{
		"Transports with no results at all (21 of 23 known): fifo, vmsplice,",
		"shm-spin (4 KiB, 64 KiB)",
		"No BenchmarkStream results.",
		"Streaming throughput against message size (throughput.png): not drawn, no BenchmarkStream results",
		"Signal loss: standard against real-time (signals.png): not drawn",
		"Claims not measured here: C2, C3, C4",
		"| C4 | ",
		"not measured here",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if len(rep.Charts) == 0 || len(rep.Missing) == 0 {
		t.Errorf("charts drawn %d, missing %d", len(rep.Charts), len(rep.Missing))
	}
}

// TestClaimPins: a placement at which fewer transports ran than at the
// others (the default suite's pin=none, api=runtime only) is not one the
// verdicts and rankings are computed at; when every placement has the
// same transports, all count.
func TestClaimPins(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lines []string
		want  []string
	}{
		{"none has fewer", []string{
			"BenchmarkPingPong/transport=pipe/api=raw/pin=split/size=64-2 10 100 ns/op",
			"BenchmarkPingPong/transport=shm-spin/api=raw/pin=split/size=64-2 10 100 ns/op",
			"BenchmarkPingPong/transport=pipe/api=raw/pin=same/size=64-2 10 100 ns/op",
			"BenchmarkPingPong/transport=shm-spin/api=raw/pin=same/size=64-2 10 100 ns/op",
			"BenchmarkPingPong/transport=pipe/api=runtime/pin=none/size=64-2 10 100 ns/op",
		}, []string{"split", "same"}},
		{"runtime only, every pin", []string{
			"BenchmarkPingPong/transport=pipe/api=runtime/pin=split/size=64-2 10 100 ns/op",
			"BenchmarkPingPong/transport=pipe/api=runtime/pin=same/size=64-2 10 100 ns/op",
			"BenchmarkPingPong/transport=pipe/api=runtime/pin=none/size=64-2 10 100 ns/op",
		}, []string{"split", "none", "same"}},
	} {
		r, err := Load(strings.NewReader(strings.Join(tc.lines, "\n") + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		if got := r.claimPins(); strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: claimPins %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestCrossoverText: every pattern of wins over sizes is said as it is,
// a win at small sizes beside a crossover included.
func TestCrossoverText(t *testing.T) {
	ds := func(outcomes ...Order) []duel {
		var out []duel
		for i, o := range outcomes {
			out = append(out, duel{Size: 64 << (4 * i), Outcome: o, Measurable: true})
		}
		return out
	}
	for _, tc := range []struct {
		ds   []duel
		want string
	}{
		{ds(Better, Better, Better), "wins at every size measured, from 64 B"},
		{ds(Worse, Better, Better), "starts to win at 1 KiB and wins at every larger size"},
		{ds(Better, Worse, Better), "wins at every size from 16 KiB up, and also at 64 B below it: not monotone (no win at 1 KiB)"},
		{ds(Better, Worse, Worse), "no crossover; wins at 64 B only"},
		{ds(Worse, Worse, Worse), "wins at no size measured"},
	} {
		if got := crossoverText(tc.ds); got != tc.want {
			t.Errorf("%v: got %q, want %q", tc.ds, got, tc.want)
		}
	}
}

// A verdictCase is a table test of a verdict rule: the results it builds,
// the claim, the status it must give, and substrings of its text and of
// its figures (joined by " | ") that must, and one that must not, appear.
type verdictCase struct {
	name   string
	build  func() *fx
	id     string
	status Status
	cond   string // substring of the verdict text
	fig    string // substring of the figures joined by " | "
	notFig string // not a substring of the figures
}

func runVerdictCases(t *testing.T, cases []verdictCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := verdict(t, c.build().results(t), c.id)
			figs := strings.Join(v.Figures, " | ")
			if v.Status != c.status || !strings.Contains(v.Text(), c.cond) || !strings.Contains(figs, c.fig) || (c.notFig != "" && strings.Contains(figs, c.notFig)) {
				t.Errorf("%s: got %q (%v), want status %v containing %q\nfigures: %s\nwant among them %q, not %q", c.id, v.Text(), v.Status, c.status, c.cond, figs, c.fig, c.notFig)
			}
		})
	}
}
