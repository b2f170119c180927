package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	code := run(&out, &errb, []string{"report", "-o", dir, filepath.Join("..", "..", "reports", "testdata", "results.txt")})
	if code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, errb.String())
	}
	paths := strings.Fields(out.String())
	if len(paths) < 3 || filepath.Base(paths[0]) != "report.md" {
		t.Fatalf("printed paths: %q", out.String())
	}
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
		}
	}
}

func TestReportCommandErrors(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.txt")
	os.WriteFile(empty, []byte("PASS\n"), 0o644)
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"report"}, 2, "want exactly one results file"},
		{[]string{"report", "-bogus", "x"}, 2, "flag provided but not defined"},
		{[]string{"report", "/nonexistent/results.txt"}, 1, "no such file"},
		{[]string{"report", "-o", t.TempDir(), empty}, 1, "no benchmark results"},
	} {
		var out, errb bytes.Buffer
		if code := run(&out, &errb, c.args); code != c.code || !strings.Contains(errb.String(), c.msg) {
			t.Errorf("%q: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, errb.String(), c.code, c.msg)
		}
	}
}

// TestTargetsCommand runs `ipcbench targets` on a real clustered
// default-profile run (its targets' sides ran in one cluster: no warning)
// and on a real run from before clustering (not paired: it must say so),
// and checks its usage errors; and `report -targets` with a file that does
// not load.
func TestTargetsCommand(t *testing.T) {
	real := filepath.Join("..", "..", "reports", "testdata", "results.txt")
	var out, errb bytes.Buffer
	if code := run(&out, &errb, []string{"targets", real}); code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, errb.String())
	}
	if errb.Len() != 0 {
		t.Errorf("a warning on a clustered run: %q", errb.String())
	}
	var old bytes.Buffer
	errb.Reset()
	if code := run(&old, &errb, []string{"targets", filepath.Join("..", "..", "docs", "results", "2026-12-01-default-profile.txt")}); code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "not a run of -profile targets nor a clustered run") {
		t.Errorf("no warning about unpaired rounds: %q", errb.String())
	}
	for _, want := range []string{"shm-spin-floor", "harness-cost", "ROUNDS"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"targets"}, 2, "want exactly one results file"},
		{[]string{"targets", "/nonexistent/results.txt"}, 1, "no such file"},
		{[]string{"report", "-o", t.TempDir(), "-targets", "/nonexistent/t.txt", real}, 1, "no such file"},
	} {
		out.Reset()
		errb.Reset()
		if code := run(&out, &errb, c.args); code != c.code || !strings.Contains(errb.String(), c.msg) {
			t.Errorf("%q: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, errb.String(), c.code, c.msg)
		}
	}
}

// TestReportBase: report -base adds the section "Changes since <base>" to
// report.md and the changes to results.json; a base that is missing or
// holds no benchmark results is an error that names the file.
func TestReportBase(t *testing.T) {
	real := filepath.Join("..", "..", "reports", "testdata", "results.txt")
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := run(&out, &errb, []string{"report", "-o", dir, "-base", real, real}); code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, errb.String())
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "## Changes since "+real+"\n") || !strings.Contains(string(md), "No case changed significantly.") {
		t.Errorf("report.md lacks the section on changes against itself")
	}
	js, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `"changes": {`) {
		t.Errorf("results.json lacks the changes")
	}

	notResults := filepath.Join(t.TempDir(), "log.txt")
	os.WriteFile(notResults, []byte("PASS\nok  \tgithub.com/ipcbench/ipcbench\t1.0s\n"), 0o644)
	for _, base := range []struct{ path, msg string }{
		{"/nonexistent/base.txt", "-base: open /nonexistent/base.txt: no such file"},
		{notResults, "-base: reports: " + notResults + ": no benchmark results"},
	} {
		out.Reset()
		errb.Reset()
		if code := run(&out, &errb, []string{"report", "-o", t.TempDir(), "-base", base.path, real}); code != 1 || !strings.Contains(errb.String(), base.msg) {
			t.Errorf("-base %s: exit %d, stderr %q; want exit 1 mentioning %q", base.path, code, errb.String(), base.msg)
		}
	}
}
