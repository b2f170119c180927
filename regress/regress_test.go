package regress

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

var machineA = map[string]string{
	"cpu": "AMD EPYC 7B13", "cpus-online": "2", "kernel": "6.8.0-45-generic", "go": "go1.26.8",
}

// synth writes a results file: for each benchmark, n samples of ns/op
// around base*scale with ±noise (uniform, relative), plus derived MB/s,
// p99-ns and cpu-ns/op lines.
type synthBench struct {
	name  string  // e.g. "PingPong/transport=pipe/api=raw/pin=same/size=64"
	ns    float64 // centre of ns/op
	n     int     // samples
	noise float64 // relative half-width of the uniform noise
}

func synth(t *testing.T, seed uint64, config map[string]string, benches ...synthBench) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 99))
	var b bytes.Buffer
	for _, k := range []string{"goos", "goarch", "pkg", "cpu", "kernel", "go", "cpus-online", "gomaxprocs"} {
		if v, ok := config[k]; ok {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	b.WriteString("Unit p99-ns better=lower\nUnit cpu-ns/op better=lower\n")
	for i := 0; i < 10; i++ { // interleave benchmarks, as -count does
		for _, sb := range benches {
			if i >= sb.n {
				continue
			}
			ns := sb.ns * (1 + sb.noise*(2*rng.Float64()-1))
			size := 64.0
			fmt.Fprintf(&b, "Benchmark%s-2\t100000\t%.1f ns/op\t%.2f MB/s\t%.0f p99-ns\t%.0f cpu-ns/op\n",
				sb.name, ns, 2*size/ns*1e3, 1.5*ns, 1.04*ns)
		}
	}
	return b.Bytes()
}

func parse(t *testing.T, name string, data []byte) *Results {
	t.Helper()
	r, err := Parse(bytes.NewReader(data), name)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

const pp = "PingPong/transport=pipe/api=raw/pin=same/size=64"
const st = "Stream/transport=unix-stream/api=raw/pin=split/size=65536"

func rowOf(t *testing.T, rep *Report, bench, unit string) Row {
	t.Helper()
	for _, r := range rep.Rows {
		if r.Benchmark == bench && r.Unit == unit {
			return r
		}
	}
	t.Fatalf("no row %s %s in %+v", bench, unit, rep.Rows)
	return Row{}
}

func render(t *testing.T, rep *Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestSlowdown20PercentFlagged(t *testing.T) {
	old := parse(t, "old", synth(t, 1, machineA, synthBench{pp, 8000, 10, 0.03}, synthBench{st, 20000, 10, 0.03}))
	new := parse(t, "new", synth(t, 2, machineA, synthBench{pp, 9600, 10, 0.03}, synthBench{st, 20000, 10, 0.03}))
	rep := Compare(old, new, DefaultThresholds())
	out := render(t, rep)
	if !rep.Failed() {
		t.Fatalf("20%% slowdown not flagged:\n%s", out)
	}
	for _, u := range []string{"sec/op", "B/s", "cpu-sec/op"} {
		if r := rowOf(t, rep, pp, u); r.Verdict != Regression {
			t.Errorf("%s: verdict %v, want regression (worse %.3f, p %.4f)", u, r.Verdict, r.Worse, r.Cmp.P)
		}
	}
	// p99 has a 30% threshold: a 20% shift is significant but within it.
	if r := rowOf(t, rep, pp, "p99-sec"); r.Verdict != SlowerWithinThreshold {
		t.Errorf("p99: verdict %v, want slower within threshold", r.Verdict)
	}
	if r := rowOf(t, rep, st, "sec/op"); r.Verdict == Regression {
		t.Errorf("unchanged benchmark flagged: %+v", r)
	}
	for _, want := range []string{"REGRESSION", "sec/op", "machine: same", "verdict: REGRESSION"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

func TestNoiseNotFlagged(t *testing.T) {
	// Many seeds: 3% noise (and a real 3% shift) must never fail the gate.
	for seed := uint64(0); seed < 50; seed++ {
		old := parse(t, "old", synth(t, seed, machineA, synthBench{pp, 8000, 10, 0.03}))
		new := parse(t, "new", synth(t, seed+1000, machineA, synthBench{pp, 8240, 10, 0.03}))
		rep := Compare(old, new, DefaultThresholds())
		if rep.Failed() {
			t.Fatalf("seed %d: 3%% noise flagged:\n%s", seed, render(t, rep))
		}
	}
}

func TestSpeedupNeverFails(t *testing.T) {
	old := parse(t, "old", synth(t, 1, machineA, synthBench{pp, 8000, 10, 0.02}))
	new := parse(t, "new", synth(t, 2, machineA, synthBench{pp, 4000, 10, 0.02}))
	rep := Compare(old, new, DefaultThresholds())
	if rep.Failed() {
		t.Fatalf("speed-up failed the gate:\n%s", render(t, rep))
	}
	for _, u := range []string{"sec/op", "B/s", "p99-sec", "cpu-sec/op"} {
		if r := rowOf(t, rep, pp, u); r.Verdict != Improved {
			t.Errorf("%s: verdict %v, want improved", u, r.Verdict)
		}
	}
	if r := rowOf(t, rep, pp, "B/s"); r.Delta <= 0 || r.Worse >= 0 {
		t.Errorf("B/s doubled: delta %v worse %v", r.Delta, r.Worse)
	}
}

func TestTooFewSamplesWarns(t *testing.T) {
	old := parse(t, "old", synth(t, 1, machineA, synthBench{pp, 8000, 3, 0.01}))
	new := parse(t, "new", synth(t, 2, machineA, synthBench{pp, 16000, 3, 0.01}))
	rep := Compare(old, new, DefaultThresholds())
	out := render(t, rep)
	if rep.Failed() {
		t.Fatalf("3 samples a side gave a verdict:\n%s", out)
	}
	if r := rowOf(t, rep, pp, "sec/op"); r.Verdict != TooFewSamples || r.Note == "" {
		t.Errorf("verdict %v (%q), want too few samples", r.Verdict, r.Note)
	}
	if !strings.Contains(out, "too few samples") {
		t.Errorf("no warning in report:\n%s", out)
	}
	// One side short is enough for a warning.
	old = parse(t, "old", synth(t, 1, machineA, synthBench{pp, 8000, 10, 0.01}))
	new = parse(t, "new", synth(t, 2, machineA, synthBench{pp, 16000, 4, 0.01}))
	if rep := Compare(old, new, DefaultThresholds()); rep.Failed() || rep.Count(TooFewSamples) == 0 {
		t.Errorf("10+4 samples: failed=%v, too-few=%d", rep.Failed(), rep.Count(TooFewSamples))
	}
}

func TestMissingAndRenamedListed(t *testing.T) {
	renamed := "PingPong/transport=pipe/api=raw/pin=split/size=64"
	old := parse(t, "old", synth(t, 1, machineA, synthBench{pp, 8000, 10, 0.02}, synthBench{st, 20000, 10, 0.02}))
	new := parse(t, "new", synth(t, 2, machineA, synthBench{renamed, 8000, 10, 0.02}, synthBench{st, 20000, 10, 0.02}))
	rep := Compare(old, new, DefaultThresholds())
	if rep.Failed() {
		t.Fatalf("failed:\n%s", render(t, rep))
	}
	if len(rep.OnlyOld) != 1 || rep.OnlyOld[0] != pp || len(rep.OnlyNew) != 1 || rep.OnlyNew[0] != renamed {
		t.Errorf("only-old %v only-new %v", rep.OnlyOld, rep.OnlyNew)
	}
	out := render(t, rep)
	if !strings.Contains(out, "only in old") || !strings.Contains(out, "only in new") || !strings.Contains(out, renamed) {
		t.Errorf("missing benchmarks not listed:\n%s", out)
	}

	// A metric present on one side only is listed too.
	noCPU := bytes.ReplaceAll(synth(t, 3, machineA, synthBench{st, 20000, 10, 0.02}), []byte("cpu-ns/op"), []byte("other/op"))
	rep = Compare(old, parse(t, "new", noCPU), DefaultThresholds())
	if len(rep.MissingMetrics) != 1 || !strings.Contains(rep.MissingMetrics[0], "cpu-sec/op only in old") {
		t.Errorf("missing metrics %v", rep.MissingMetrics)
	}
}

func TestNothingInCommon(t *testing.T) {
	old := parse(t, "old", synth(t, 1, machineA, synthBench{pp, 8000, 10, 0.02}))
	new := parse(t, "new", synth(t, 2, machineA, synthBench{st, 8000, 10, 0.02}))
	rep := Compare(old, new, DefaultThresholds())
	if len(rep.Rows) != 0 || rep.Failed() {
		t.Fatalf("rows %d failed %v", len(rep.Rows), rep.Failed())
	}
	if out := render(t, rep); !strings.Contains(out, "no benchmark metric present in both") {
		t.Errorf("report:\n%s", out)
	}
}

func TestMachineMismatchIsInformation(t *testing.T) {
	machineB := map[string]string{}
	for k, v := range machineA {
		machineB[k] = v
	}
	machineB["kernel"] = "6.1.0-13-amd64"
	old := parse(t, "old", synth(t, 1, machineA, synthBench{pp, 8000, 10, 0.02}))
	new := parse(t, "new", synth(t, 2, machineB, synthBench{pp, 12000, 10, 0.02}))
	th := DefaultThresholds()
	rep := Compare(old, new, th)
	out := render(t, rep)
	if rep.Failed() || !rep.InfoOnly || len(rep.Regressions()) == 0 {
		t.Fatalf("failed=%v infoOnly=%v regressions=%d:\n%s", rep.Failed(), rep.InfoOnly, len(rep.Regressions()), out)
	}
	for _, want := range []string{"INFORMATION ONLY", "kernel", "6.1.0-13-amd64"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	th.IgnoreMachine = true
	if rep := Compare(old, new, th); !rep.Failed() {
		t.Errorf("-ignore-machine did not gate")
	}
}

func TestFingerprintSlug(t *testing.T) {
	r := parse(t, "x", synth(t, 1, machineA, synthBench{pp, 8000, 1, 0}))
	fp := r.Fingerprint()
	if !fp.Complete() {
		t.Fatalf("incomplete %v", fp)
	}
	slug := fp.Slug()
	if !strings.HasPrefix(slug, "amd-epyc-7b13_2cpu_6.8.0-45-generic_go1.26.8_") {
		t.Errorf("slug %q", slug)
	}
	for _, c := range slug {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.ContainsRune("._-", c)) {
			t.Errorf("slug %q has %q", slug, c)
		}
	}
	other := fp
	other.Kernel = "6.8.0-45-generic " // differs only in what the slug drops
	if other.Slug() == slug {
		t.Errorf("slug ignores exact values")
	}
	if (Fingerprint{}).Slug() == "" || strings.ContainsAny(Fingerprint{CPU: "a/b\\c"}.Slug(), "/\\ ") {
		t.Errorf("bad slug for odd input")
	}
}

func TestParseErrors(t *testing.T) {
	if _, err := Parse(strings.NewReader("goos: linux\nnot a benchmark\n"), "empty"); !errors.Is(err, ErrNoResults) {
		t.Errorf("err %v, want ErrNoResults", err)
	}
	r, err := Parse(strings.NewReader("BenchmarkX-2 10 5 ns/op\nBenchmarkY-2 ten 5 ns/op\n"), "bad")
	if err != nil || len(r.Warnings) != 1 || len(r.Benchmarks) != 1 || r.Benchmarks[0] != "X" {
		t.Errorf("r=%+v err=%v", r, err)
	}
}

func TestThresholdSet(t *testing.T) {
	th := DefaultThresholds()
	for _, s := range []string{"p99-ns=25%", "ctxsw/op=0.2", "cpu-ns/op=off"} {
		if err := th.Set(s); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]float64{}
	for _, m := range th.Metrics {
		got[m.Unit] = m.Threshold
	}
	if got["p99-sec"] != 0.25 || got["ctxsw/op"] != 0.2 || got["sec/op"] != 0.10 {
		t.Errorf("metrics %v", got)
	}
	if _, ok := got["cpu-sec/op"]; ok {
		t.Errorf("cpu not removed: %v", got)
	}
	for _, bad := range []string{"p99-ns", "=3", "x=abc", "x=-1%"} {
		if err := th.Set(bad); err == nil {
			t.Errorf("Set(%q) accepted", bad)
		}
	}
}

func TestConfirm(t *testing.T) {
	old := parse(t, "old", synth(t, 1, machineA, synthBench{pp, 8000, 10, 0.02}, synthBench{st, 20000, 10, 0.02}))
	slowPP := parse(t, "new", synth(t, 2, machineA, synthBench{pp, 9600, 10, 0.02}, synthBench{st, 20000, 10, 0.02}))
	slowST := parse(t, "new2", synth(t, 3, machineA, synthBench{pp, 8000, 10, 0.02}, synthBench{st, 24000, 10, 0.02}))
	slowBoth := parse(t, "new3", synth(t, 4, machineA, synthBench{pp, 9600, 10, 0.02}, synthBench{st, 24000, 10, 0.02}))

	// A regression of another benchmark in the rerun confirms nothing.
	rep := Compare(old, slowPP, DefaultThresholds())
	if n := rep.Confirm(Compare(old, slowST, DefaultThresholds())); n != 0 || rep.Failed() || rep.Count(Unconfirmed) == 0 {
		t.Errorf("confirmed %d, failed %v:\n%s", n, rep.Failed(), render(t, rep))
	}
	if out := render(t, rep); !strings.Contains(out, "not confirmed by the rerun") {
		t.Errorf("report:\n%s", out)
	}
	rep = Compare(old, slowPP, DefaultThresholds())
	if n := rep.Confirm(Compare(old, slowBoth, DefaultThresholds())); n == 0 || !rep.Failed() {
		t.Errorf("confirmed %d, failed %v", n, rep.Failed())
	}
}
