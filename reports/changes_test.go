package reports

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ipcbench/ipcbench/reports/resultsjson"
	"github.com/ipcbench/ipcbench/results"
)

// synthRun is a results file of 9 rounds of three PingPong cases on one
// machine, named name: pipe, shm-spin and unix-stream at 64 B, each
// around 10 µs per op times its factor, the rounds' jitter (±4 %) in an
// order that seed shuffles.
func synthRun(t *testing.T, name string, seed int, factor map[string]float64) *Results {
	t.Helper()
	var b strings.Builder
	b.WriteString("cpu: Test CPU\ncpus-online: 2\nkernel: 6.1\ngo: go1.26\nipcbench-rounds: 9\n")
	for round := range 9 {
		for _, tr := range []string{"pipe", "shm-spin", "unix-stream"} {
			jitter := float64((round*seed)%9-4) / 100
			ns := 10000 * factor[tr] * (1 + jitter)
			fmt.Fprintf(&b, "BenchmarkPingPong/transport=%s/api=raw/pin=split/size=64-2\t1000\t%.0f ns/op\t%.0f p50-ns\n", tr, ns, 0.9*ns)
		}
	}
	res, err := LoadNamed(strings.NewReader(b.String()), name)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestChanges: against a base, a case made 30 % faster, one made 30 %
// slower and one left alone come out faster, slower (past the gate's
// ns/op threshold) and unchanged, in Report.Changes, in the section
// "Changes since <base>" and in results.json.
func TestChanges(t *testing.T) {
	base := synthRun(t, "base.txt", 2, map[string]float64{"pipe": 1, "shm-spin": 1, "unix-stream": 1})
	run := synthRun(t, "new.txt", 5, map[string]float64{"pipe": 0.7, "shm-spin": 1.3, "unix-stream": 1})
	rep, err := Build(run, Options{Base: base})
	if err != nil {
		t.Fatal(err)
	}
	key := func(tr string) string {
		return Key{Bench: results.BenchPingPong, Transport: tr, API: "raw", Pin: "split", Size: 64}.String()
	}
	want := map[string]string{
		key("pipe"):        resultsjson.ChangeFaster,
		key("shm-spin"):    resultsjson.ChangeSlower,
		key("unix-stream"): resultsjson.ChangeUnchanged,
	}
	if rep.Changes == nil || len(rep.Changes.Cases) != 6 {
		t.Fatalf("changes %+v: want the three cases' ns/op and p50-ns (the headline latency, added to the gate's units)", rep.Changes)
	}
	for _, ch := range rep.Changes.Cases {
		significant := ch.Row.Cmp.P <= 0.05
		if ch.Verdict != want[ch.Key.String()] || (ch.Unit != results.UnitNsOp && ch.Unit != results.UnitP50) || significant != (ch.Verdict != resultsjson.ChangeUnchanged) {
			t.Errorf("%s %s: %s (p=%.3f), want %s", ch.Key, ch.Unit, ch.Verdict, ch.Row.Cmp.P, want[ch.Key.String()])
		}
		if s, _ := run.Stat(ch.Key, ch.Unit); ch.New != s.Median {
			t.Errorf("%s: new median %v, the report's %v", ch.Key, ch.New, s.Median)
		}
	}

	md := string(rep.Markdown())
	_, sec, ok := strings.Cut(md, "## Changes since base.txt\n")
	if !ok {
		t.Fatalf("no section \"Changes since base.txt\":\n%s", md)
	}
	sec, _, _ = strings.Cut(sec, "\n## Fastest")
	for _, row := range []string{
		"| " + key("pipe") + " | ns/op | 10.0 µs | 7.00 µs | -30.0 % | < 0.001 | faster |",
		"| " + key("shm-spin") + " | ns/op | 10.0 µs | 13.0 µs | +30.0 % | < 0.001 | slower, past the 10 % threshold |",
		"| ns/op | 1 | 1 | 1 | 1 | 0 |",
		"| p50-ns | 1 | 1 | 1 | 1 | 0 |",
		"ipcbench compare -threshold p50-ns=10% base.txt new.txt",
		"Same machine",
	} {
		if !strings.Contains(sec, row) {
			t.Errorf("the section lacks %q:\n%s", row, sec)
		}
	}
	if strings.Contains(sec, "| "+key("unix-stream")) {
		t.Errorf("the unchanged case is listed among the changes:\n%s", sec)
	}

	doc := rep.Document()
	if doc.Changes == nil || doc.Changes.Base != "base.txt" || !doc.Changes.SameMachine || len(doc.Changes.Cases) != 6 {
		t.Fatalf("results.json changes: %+v", doc.Changes)
	}
	for _, c := range doc.Changes.Cases {
		if c.Verdict != want[c.ID] || c.Regression != (c.Verdict == resultsjson.ChangeSlower) || c.NBase != 9 || c.NNew != 9 || c.Delta == nil {
			t.Errorf("results.json change %+v, want verdict %s", c, want[c.ID])
		}
	}
	if js, err := rep.JSON(); err != nil || !strings.Contains(string(js), `"changes": {`) {
		t.Errorf("results.json without its changes (%v)", err)
	}
}

// TestChangesAcrossMachines: cases of one run only are listed, and a
// base from another machine is said to be information only.
func TestChangesAcrossMachines(t *testing.T) {
	one := map[string]float64{"pipe": 1, "shm-spin": 1, "unix-stream": 1}
	base := synthRun(t, "base.txt", 2, one)
	text := "cpu: Other CPU\ncpus-online: 2\nkernel: 6.1\ngo: go1.26\n"
	for range 9 {
		text += "BenchmarkPingPong/transport=pipe/api=raw/pin=split/size=64-2\t1000\t10000 ns/op\n" +
			"BenchmarkPingPong/transport=tcp/api=raw/pin=split/size=64-2\t1000\t20000 ns/op\n"
	}
	run, err := LoadNamed(strings.NewReader(text), "new.txt")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Build(run, Options{Base: base})
	if err != nil {
		t.Fatal(err)
	}
	md := string(rep.Markdown())
	for _, s := range []string{
		"The machines differ (cpu: \"Test CPU\" ≠ \"Other CPU\"): the gate takes this comparison as information only.",
		"2 cases only in base.txt, not compared: " + Key{Bench: "PingPong", Transport: "shm-spin", API: "raw", Pin: "split", Size: 64}.String() + ", ",
		"1 case only in this run, not compared: PingPong/transport=tcp/",
	} {
		if !strings.Contains(md, s) {
			t.Errorf("the section lacks %q", s)
		}
	}
	if d := rep.Document().Changes; d.SameMachine || len(d.OnlyBase) != 2 || len(d.OnlyNew) != 1 {
		t.Errorf("results.json changes: %+v", d)
	}
}
