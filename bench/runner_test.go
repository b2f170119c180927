package bench

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipcbench/ipcbench/harness"
	"github.com/ipcbench/ipcbench/internal/targets"
	"github.com/ipcbench/ipcbench/results"
)

// TestTargetsProfile checks that the targets profile generates every case
// of every target, in the order targets.Cases gives (the two sides of a
// target next to each other), and that a narrowing flag drops cases from
// the list instead of failing.
func TestTargetsProfile(t *testing.T) {
	p, err := LookupProfile("targets")
	if err != nil {
		t.Fatal(err)
	}
	cases, err := (&Runner{Profile: p}).Cases()
	if err != nil {
		t.Fatal(err)
	}
	got := caseNames(cases)
	if want := targets.Cases(); !slices.Equal(got, want) {
		t.Errorf("targets profile runs\n%v\nwant\n%v", got, want)
	}
	for _, tg := range targets.All {
		if !slices.Contains(got, tg.Num) || !slices.Contains(got, tg.Den) {
			t.Errorf("target %s: a side is not run", tg.ID)
		}
	}
	narrowed, err := (&Runner{Profile: p, Match: "pin=same"}).Cases()
	if err != nil {
		t.Fatal(err)
	}
	if len(narrowed) == 0 || len(narrowed) >= len(cases) {
		t.Errorf("-match pin=same kept %d of %d cases", len(narrowed), len(cases))
	}
	for _, c := range narrowed {
		if !slices.Contains(got, c.Name) {
			t.Errorf("-match added %s", c.Name)
		}
	}
	if _, err := (&Runner{Profile: p, Match: "no-such-case"}).Cases(); err == nil || err.Error() != "no benchmark matches" {
		t.Errorf("a -match of nothing: error %v, want \"no benchmark matches\"", err)
	}
}

func TestRoundOrder(t *testing.T) {
	cs := []Case{{Name: "a"}, {Name: "b"}, {Name: "c"}}
	for _, tc := range []struct {
		round int
		alt   bool
		want  []string
	}{
		{1, true, []string{"a", "b", "c"}},
		{2, true, []string{"c", "b", "a"}},
		{3, true, []string{"a", "b", "c"}},
		{2, false, []string{"a", "b", "c"}},
	} {
		if got := caseNames(roundOrder(cs, tc.round, tc.alt)); !slices.Equal(got, tc.want) {
			t.Errorf("round %d alternate=%v: %v, want %v", tc.round, tc.alt, got, tc.want)
		}
	}
	if cs[0].Name != "a" {
		t.Errorf("roundOrder reversed its input")
	}
}

func caseNames(cases []Case) []string {
	var n []string
	for _, c := range cases {
		n = append(n, c.Name)
	}
	return n
}

// loop is a case body that measures nothing but the loop.
func loop(b *testing.B) {
	for b.Loop() {
	}
}

// testProfile is a profile for test-only cases: short rounds.
func testProfile(count int, alternate bool) Profile {
	return Profile{Name: "test", Count: count, BenchTime: time.Millisecond, Warmup: 7 * time.Millisecond, Alternate: alternate}
}

// resultLine matches a result line of a test case, capturing its name.
var resultLine = regexp.MustCompile(`^Benchmark(T/\w+)-(\d+)\t\s*\d+\s+[0-9.]+ ns/op$`)

// resultLines returns the names of out's result lines, in order, and the
// lines before the first.
func resultLines(t *testing.T, out string) (names, header []string) {
	t.Helper()
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if !strings.HasPrefix(l, "Benchmark") {
			if names != nil {
				t.Errorf("line %q among the results", l)
			}
			header = append(header, l)
			continue
		}
		m := resultLine.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("result line %q not in the Go benchmark format", l)
			continue
		}
		if m[2] != fmt.Sprint(runtime.GOMAXPROCS(0)) {
			t.Errorf("result line %q: suffix -%s, want -GOMAXPROCS", l, m[2])
		}
		names = append(names, m[1])
	}
	return names, header
}

// TestRunnerRounds checks the results of a Runner: the config lines
// first, as harness.WriteConfig writes them, then the profile and package
// lines, then one result line per case and round, every second round in
// reverse order when the profile alternates; the Runner's warm-up reaches
// the case bodies and -test.benchtime is restored after the run.
func TestRunnerRounds(t *testing.T) {
	benchtime := flag.Lookup("test.benchtime").Value.String()
	var warmups []time.Duration
	body := func(b *testing.B) {
		warmups = append(warmups, warmup(b))
		loop(b)
	}
	cases := []Case{{Name: "T/a", Run: body}, {Name: "T/b", Run: body}, {Name: "T/c", Run: body}}
	for _, alt := range []bool{true, false} {
		warmups = nil
		var out, progress bytes.Buffer
		r := &Runner{Profile: testProfile(3, alt), Out: &out, Progress: &progress}
		sum, err := r.Run(cases)
		if err != nil {
			t.Fatal(err)
		}
		names, header := resultLines(t, out.String())
		want := []string{"T/a", "T/b", "T/c", "T/c", "T/b", "T/a", "T/a", "T/b", "T/c"}
		if !alt {
			want = []string{"T/a", "T/b", "T/c", "T/a", "T/b", "T/c", "T/a", "T/b", "T/c"}
		}
		if !slices.Equal(names, want) {
			t.Errorf("alternate=%v: results in order %v, want %v", alt, names, want)
		}
		if sum.Runs != 9 || sum.Measured != 9 || len(sum.Skipped) != 0 || len(sum.NotMeasured) != 0 {
			t.Errorf("alternate=%v: summary %+v, want 9 runs, all measured", alt, sum)
		}
		for _, w := range warmups {
			if w != r.Profile.Warmup {
				t.Errorf("a case body saw the warm-up %v, want the Runner's %v", w, r.Profile.Warmup)
			}
		}
		if !alt {
			continue
		}
		var config bytes.Buffer
		harness.WriteConfig(&config, true)
		wantHeader := append(strings.Split(strings.TrimSuffix(config.String(), "\n"), "\n"),
			"ipcbench-profile: test", "ipcbench-rounds: 3", "ipcbench-benchtime: "+r.Profile.BenchTime.String(), "ipcbench-date: ", "pkg: github.com/ipcbench/ipcbench")
		if len(header) != len(wantHeader) {
			t.Fatalf("header of %d lines, want %d:\n%s", len(header), len(wantHeader), strings.Join(header, "\n"))
		}
		for i := range header {
			if key(header[i]) != key(wantHeader[i]) {
				t.Errorf("header line %d: %q, want %q", i+1, header[i], wantHeader[i])
			}
			if key(header[i]) == "ipcbench-benchtime" && header[i] != wantHeader[i] {
				t.Errorf("header line %d: %q, want %q", i+1, header[i], wantHeader[i])
			}
			if k := key(header[i]); k == "ipcbench-date" {
				if _, err := time.Parse(time.RFC3339, strings.TrimPrefix(header[i], k+": ")); err != nil {
					t.Errorf("header line %d: %q: %v", i+1, header[i], err)
				}
			}
		}
		if !strings.HasPrefix(progress.String(), "[1/9 round 1/3, ? left] T/a\n[2/9 round 1/3, ") {
			t.Errorf("progress starts %q", progress.String())
		}
	}
	if got := flag.Lookup("test.benchtime").Value.String(); got != benchtime {
		t.Errorf("-test.benchtime is %s after the run, was %s", got, benchtime)
	}
}

// key is a config line's key, or a Unit line's unit and direction.
func key(line string) string {
	if k, _, ok := strings.Cut(line, ": "); ok {
		return k
	}
	return line
}

// TestRunnerNotMeasured checks the Runner's accounting of cases without
// results: one failing its Check is reported once, stated in a skip
// config line before the first result (per transport: how many, each
// distinct reason) and never run, one
// that skips or fails in a run is reported with its reason and not run
// again, and all count in the closing line's runs.
func TestRunnerNotMeasured(t *testing.T) {
	calls := map[string]int{}
	counted := func(name string, f func(b *testing.B)) Case {
		return Case{Name: name, Run: func(b *testing.B) { calls[name]++; f(b) }}
	}
	cases := []Case{
		counted("T/ok", loop),
		{Name: "T/checked", Check: func() error { return errors.New("not here") }, Run: func(b *testing.B) { calls["T/checked"]++ }},
		{Name: "PingPong/transport=udp/api=raw/pin=split/size=65536", Check: func() error { return errors.New("size 65536 above 65507") }},
		{Name: "Stream/transport=udp/api=raw/pin=split/size=65536", Check: func() error { return errors.New("size 65536 above 65507") }},
		{Name: "Stream/transport=udp/api=raw/pin=split/size=1048576", Check: func() error { return errors.New("size 1048576 above 65507") }},
		counted("T/skips", func(b *testing.B) { skipf(b, "no %s", "mechanism") }),
		counted("T/fails", func(b *testing.B) { fatal(b, errors.New("broke")) }),
		counted("T/silent", func(b *testing.B) { b.SkipNow() }),
	}
	var out, progress bytes.Buffer
	sum, err := (&Runner{Profile: testProfile(2, true), Out: &out, Progress: &progress}).Run(cases)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Skipped) != 4 || sum.Skipped[0] != (Unmeasured{"T/checked", "not here"}) {
		t.Errorf("skipped %v, want T/checked and the three udp cases", sum.Skipped)
	}
	head, _, _ := strings.Cut(out.String(), "\nBenchmark")
	for _, want := range []string{
		"\n" + results.SkippedKey("-") + ": 1 cases: not here\n",
		"\n" + results.SkippedKey("udp") + ": 3 cases: size 65536 above 65507; size 1048576 above 65507\n",
	} {
		if !strings.Contains(head+"\n", want) {
			t.Errorf("the header before the first result lacks %q:\n%s", want, head)
		}
	}
	wantNM := []Unmeasured{{"T/skips", "no mechanism"}, {"T/fails", "broke"}, {"T/silent", noReason}}
	if !slices.Equal(sum.NotMeasured, wantNM) {
		t.Errorf("not measured %v, want %v", sum.NotMeasured, wantNM)
	}
	if sum.Runs != 8 || sum.Measured != 2 { // the skipped cases never count
		t.Errorf("%d runs, %d measured; want 8 and 2", sum.Runs, sum.Measured)
	}
	if names, _ := resultLines(t, out.String()); !slices.Equal(names, []string{"T/ok", "T/ok"}) {
		t.Errorf("results of %v, want T/ok twice", names)
	}
	// One call per run (b.Loop ramps up inside it); none after a skip.
	for name, want := range map[string]int{"T/ok": 2, "T/checked": 0, "T/skips": 1, "T/fails": 1, "T/silent": 1} {
		if calls[name] != want {
			t.Errorf("%s ran %d times, want %d", name, calls[name], want)
		}
	}
	p := progress.String()
	for _, want := range []string{
		"skip T/checked: not here\n",
		"skip Stream/transport=udp/api=raw/pin=split/size=1048576: size 1048576 above 65507\n[1/8 round 1/2, ? left] T/ok\n",
		"] T/skips\n  not measured: no mechanism\n",
		"] T/fails\n  not measured: broke\n",
		"] T/silent\n  not measured: " + noReason + "\n",
		"[8/8 round 2/2, ",
	} {
		if !strings.Contains(p, want) {
			t.Errorf("progress lacks %q:\n%s", want, p)
		}
	}
	if !regexp.MustCompile(`\ndone: 8 runs in \S+, 3 cases not measured\n$`).MatchString(p) {
		t.Errorf("progress does not end with the closing line:\n%s", p)
	}
}

// TestRunnerFloor runs a real case, the system-call floor, through the
// Runner for a few iterations: its full name, its result line.
func TestRunnerFloor(t *testing.T) {
	p := testProfile(1, false)
	p.Groups = []string{"Floor"}
	var out, progress bytes.Buffer
	r := &Runner{Profile: p, Match: "op=syscall", Out: &out, Progress: &progress}
	cases, err := r.Cases()
	if err != nil {
		t.Fatal(err)
	}
	if got := caseNames(cases); !slices.Equal(got, []string{"Floor/op=syscall/pin=same/size=0"}) {
		t.Fatalf("-match op=syscall selects %v", got)
	}
	sum, err := r.Run(cases)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.NotMeasured) > 0 {
		t.Skipf("not measured here: %s", sum.NotMeasured[0].Reason)
	}
	want := regexp.MustCompile(fmt.Sprintf(`\nBenchmarkFloor/op=syscall/pin=same/size=0-%d\t\s*\d+\s+[0-9.]+ ns/op\n$`, runtime.GOMAXPROCS(0)))
	if !want.MatchString(out.String()) {
		t.Errorf("results end %q", out.String()[max(0, out.Len()-200):])
	}
}

// TestRunOutsideRunner checks the go test path of the case bodies' hooks:
// a testing.B that no Runner measures warms up for -ipcbench.warmup, and
// the runs a Runner measured are forgotten after it, skipped or not.
func TestRunOutsideRunner(t *testing.T) {
	var got time.Duration
	testing.Benchmark(func(b *testing.B) {
		got = warmup(b)
		b.SkipNow()
	})
	if got != *warmupFlag {
		t.Errorf("warm-up outside a Runner %v, want -ipcbench.warmup's %v", got, *warmupFlag)
	}
	cases := []Case{{Name: "T/ok", Run: loop}, {Name: "T/skips", Run: func(b *testing.B) { skipf(b, "skipped") }}}
	var out, progress bytes.Buffer
	if _, err := (&Runner{Profile: testProfile(1, false), Out: &out, Progress: &progress}).Run(cases); err != nil {
		t.Fatal(err)
	}
	runs.Range(func(b, _ any) bool {
		t.Errorf("the run of %p is still registered after the Runner", b)
		return true
	})
}

// TestRunnerClusters checks a clustered Runner's order: the cases of one
// pin and size next to each other, each cluster between its before and
// after probes, clusters and cases reversed in the second round; a probe
// that fails is reported and runs again in the next cluster.
func TestRunnerClusters(t *testing.T) {
	names := []string{
		"PingPong/transport=a/api=raw/pin=split/size=64",
		"PingPong/transport=a/api=raw/pin=split/size=1024",
		"PingPong/transport=b/api=raw/pin=split/size=64",
		"Stream/transport=a/api=raw/pin=split/size=64",
		"PingPong/transport=a/api=raw/pin=same/size=64",
	}
	var cases []Case
	for _, n := range names {
		cases = append(cases, Case{Name: n, Run: loop})
	}
	refused := false
	probe := func(b *testing.B) {
		if !refused {
			refused = true
			skipf(b, "probe refused")
		}
		loop(b)
	}
	p := testProfile(2, false)
	p.Clustered = true
	var out, progress bytes.Buffer
	r := &Runner{Profile: p, Out: &out, Progress: &progress, Probe: probe}
	sum, err := r.Run(cases)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range strings.Split(out.String(), "\n") {
		if name, _, ok := strings.Cut(l, "-"+fmt.Sprint(runtime.GOMAXPROCS(0))+"\t"); ok && strings.HasPrefix(l, "Benchmark") {
			got = append(got, strings.TrimPrefix(name, "Benchmark"))
		}
	}
	// Clusters in order of first appearance: PingPong split 64 (a, b),
	// PingPong split 1024, Stream split 64, PingPong same 64.
	cl := func(kind, pin string, size int, cases ...string) []string {
		p := fmt.Sprintf("/kind=%s/pin=%s/size=%d", kind, pin, size)
		return slices.Concat([]string{"Probe/op=before" + p}, cases, []string{"Probe/op=after" + p})
	}
	round1 := slices.Concat(
		cl("pingpong", "split", 64, names[0], names[2]),
		cl("pingpong", "split", 1024, names[1]),
		cl("stream", "split", 64, names[3]),
		cl("pingpong", "same", 64, names[4]))
	round2 := slices.Concat(
		cl("pingpong", "same", 64, names[4]),
		cl("stream", "split", 64, names[3]),
		cl("pingpong", "split", 1024, names[1]),
		cl("pingpong", "split", 64, names[2], names[0]))
	want := slices.Concat(round1, round2)
	want = want[1:] // the first probe skipped
	if !slices.Equal(got, want) {
		t.Errorf("results in order\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if sum.Runs != 26 || sum.Measured != 25 || len(sum.NotMeasured) != 0 {
		t.Errorf("summary %+v, want 26 runs, 25 measured, no case left out", sum)
	}
	if !strings.Contains(progress.String(), "not measured: probe refused") {
		t.Errorf("progress does not report the failed probe:\n%s", progress.String())
	}
	if !strings.Contains(out.String(), "\nipcbench-rounds: 2\n") {
		t.Error("no ipcbench-rounds line")
	}
}
