package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ipcbench/ipcbench/reports"
)

// TestVerdictCommand: one line per claim, the same ids, statuses and
// conditions as the report's verdicts, in text and in JSON; the same
// file gives the same lines twice.
func TestVerdictCommand(t *testing.T) {
	file := filepath.Join("..", "..", "reports", "testdata", "results.txt")
	res, err := reports.LoadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	want := reports.Verdicts(res)
	var out, errb bytes.Buffer
	if code := run(&out, &errb, []string{"verdict", file}); code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want one per claim (%d):\n%s", len(lines), len(want), out.String())
	}
	for i, v := range want {
		f := strings.Split(lines[i], "\t")
		if f[0] != v.ID || f[1] != v.Status.String() || (v.Condition != "" && (len(f) != 3 || f[2] != v.Condition)) {
			t.Errorf("line %d %q, want %s %s %q", i, lines[i], v.ID, v.Status, v.Condition)
		}
	}
	var again bytes.Buffer
	run(&again, &errb, []string{"verdict", file})
	if again.String() != out.String() {
		t.Error("two runs on one file printed different verdicts")
	}
	var js bytes.Buffer
	if code := run(&js, &errb, []string{"verdict", "-json", file}); code != 0 {
		t.Fatalf("-json: exit %d", code)
	}
	var got []verdictLine
	if err := json.Unmarshal(js.Bytes(), &got); err != nil || len(got) != len(want) {
		t.Fatalf("-json: %v, %d entries", err, len(got))
	}
	for i, v := range want {
		if got[i] != (verdictLine{v.ID, v.Status.String(), v.Condition}) {
			t.Errorf("-json entry %d %+v, want %s %s", i, got[i], v.ID, v.Status)
		}
	}
}

// TestVerdictTargets: -targets, before or after the results file, adds
// one line per speed target with its outcome on that file.
func TestVerdictTargets(t *testing.T) {
	file := filepath.Join("..", "..", "reports", "testdata", "results.txt")
	tfile := filepath.Join("..", "..", "docs", "results", "2026-12-01-targets.txt")
	tres, err := reports.LoadFile(tfile)
	if err != nil {
		t.Fatal(err)
	}
	want := reports.Targets(tres)
	var outs []string
	for _, args := range [][]string{{"verdict", file, "-targets", tfile}, {"verdict", "-targets", tfile, file}} {
		var out, errb bytes.Buffer
		if code := run(&out, &errb, args); code != 0 {
			t.Fatalf("%v: exit %d, stderr: %s", args, code, errb.String())
		}
		outs = append(outs, out.String())
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		tl := lines[len(lines)-len(want):]
		for i, tr := range want {
			f := strings.Split(tl[i], "\t")
			if f[0] != "target:"+tr.Target.ID || f[1] != tr.Outcome {
				t.Errorf("%v: target line %q, want target:%s %s", args, tl[i], tr.Target.ID, tr.Outcome)
			}
		}
	}
	if outs[0] != outs[1] {
		t.Error("-targets before and after the file printed different lines")
	}
	var out, errb bytes.Buffer
	if code := run(&out, &errb, []string{"verdict", "-targets", "/nonexistent/t.txt", file}); code != 2 || !strings.Contains(errb.String(), "-targets") {
		t.Errorf("missing targets file: exit %d, stderr %q", code, errb.String())
	}
}

// TestVerdictRankings: -rankings adds, after the claims, one line per
// cell of the fastest tables: its id, the best transport and the sorted
// set of those not distinguishable from it.
func TestVerdictRankings(t *testing.T) {
	file := filepath.Join("..", "..", "reports", "testdata", "results.txt")
	res, err := reports.LoadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	want := reports.Rankings(res)
	if len(want) == 0 {
		t.Fatal("test premise: the golden run has fastest tables")
	}
	var out, errb bytes.Buffer
	if code := run(&out, &errb, []string{"verdict", file, "-rankings"}); code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != len(reports.Verdicts(res))+len(want) {
		t.Fatalf("%d lines, want the claims and %d rankings", len(lines), len(want))
	}
	for i, k := range want {
		l := lines[len(lines)-len(want)+i]
		if l != k.ID()+"\t"+k.Best+"\t"+strings.Join(k.Set, ",") || !strings.HasPrefix(l, "rank:pin=") || !slices.Contains(k.Set, k.Best) {
			t.Errorf("ranking line %q, want %s %s %v", l, k.ID(), k.Best, k.Set)
		}
	}
}

func TestVerdictCommandErrors(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.txt")
	os.WriteFile(empty, []byte("PASS\n"), 0o644)
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"verdict"}, "want exactly one results file"},
		{[]string{"verdict", "/nonexistent/results.txt"}, "no such file"},
		{[]string{"verdict", empty}, "no benchmark results"},
	} {
		var out, errb bytes.Buffer
		if code := run(&out, &errb, c.args); code != 2 || !strings.Contains(errb.String(), c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, errb.String(), c.msg)
		}
	}
}
