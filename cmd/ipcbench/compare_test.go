package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const td = "../../regress/testdata/"

func TestCompareExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string // in stdout+stderr
	}{
		{[]string{td + "old.txt", td + "new-noise.txt"}, 0, "no significant regression"},
		{[]string{td + "old.txt", td + "old.txt"}, 0, "no significant regression"},
		{[]string{td + "old.txt", td + "new-slow.txt"}, 1, "REGRESSION"},
		{[]string{td + "old.txt", td + "new-fast.txt"}, 0, "improved"},
		{[]string{td + "old.txt", td + "new-few.txt"}, 0, "too few samples"},
		{[]string{td + "old.txt", td + "new-missing.txt"}, 0, "only in old"},
		{[]string{td + "old.txt", td + "other-machine-slow.txt"}, 0, "INFORMATION ONLY"},
		{[]string{"-ignore-machine", td + "old.txt", td + "other-machine-slow.txt"}, 1, "gated anyway"},
		{[]string{"-threshold", "ns/op=25%", "-threshold", "MB/s=25%", "-threshold", "cpu-ns/op=25%", td + "old.txt", td + "new-slow.txt"}, 0, "slower, within 25%"},
		{[]string{"-confirm-new", td + "new-slow.txt", td + "old.txt", td + "new-slow.txt"}, 1, "REGRESSION"},
		{[]string{"-confirm-new", td + "new-noise.txt", td + "old.txt", td + "new-slow.txt"}, 0, "not confirmed by the rerun"},
		{[]string{"-confirm-old", td + "new-noise.txt", "-confirm-new", td + "new-slow.txt", td + "old.txt", td + "new-slow.txt"}, 1, "REGRESSION"},
		{[]string{"-confirm-new", td + "garbage.txt", td + "old.txt", td + "new-slow.txt"}, 2, "confirm-new"},
		{[]string{td + "old.txt", td + "garbage.txt"}, 2, "no benchmark results"},
		{[]string{td + "old.txt", td + "does-not-exist.txt"}, 2, "does-not-exist"},
		{[]string{td + "old.txt"}, 2, "want two results files"},
		{[]string{"-threshold", "bogus", td + "old.txt", td + "old.txt"}, 2, "threshold"},
		{[]string{"-alpha", "2", td + "old.txt", td + "old.txt"}, 2, "alpha"},
	} {
		var out, errb bytes.Buffer
		code := run(&out, &errb, append([]string{"compare"}, tc.args...))
		all := out.String() + errb.String()
		if code != tc.code || !strings.Contains(all, tc.want) {
			t.Errorf("compare %v: exit %d (want %d), output lacks %q?\n%s", tc.args, code, tc.code, tc.want, all)
		}
	}
}

func TestCompareNothingInCommon(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.txt")
	b := filepath.Join(dir, "b.txt")
	os.WriteFile(a, []byte("BenchmarkA-2 10 100 ns/op\n"), 0o644)
	os.WriteFile(b, []byte("BenchmarkB-2 10 100 ns/op\n"), 0o644)
	var out, errb bytes.Buffer
	if code := run(&out, &errb, []string{"compare", a, b}); code != 2 {
		t.Errorf("exit %d, want 2\n%s%s", code, out.String(), errb.String())
	}
}

func TestFingerprint(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(&out, &errb, []string{"fingerprint", td + "old.txt"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if got := strings.TrimSpace(out.String()); !strings.HasPrefix(got, "amd-epyc-7b13_2cpu_6.8.0-45-generic_go1.26.8_") {
		t.Errorf("slug %q", got)
	}
	if code := run(&out, &errb, []string{"fingerprint", td + "garbage.txt"}); code != 2 {
		t.Errorf("garbage: exit %d", code)
	}
}

func TestHistoryAppendAndChart(t *testing.T) {
	dir := t.TempDir()
	hist := filepath.Join(dir, "h", "history.txt")
	for i, f := range []string{"old.txt", "new-noise.txt", "new-slow.txt", "new-fast.txt"} {
		var out, errb bytes.Buffer
		args := []string{"history", "append", "-o", hist, td + f}
		if i == 0 {
			args = []string{"history", "append", "-commit", "c0ffee0", "-o", hist, td + f}
		}
		if code := run(&out, &errb, args); code != 0 {
			t.Fatalf("append %s: exit %d: %s", f, code, errb.String())
		}
	}
	data, _ := os.ReadFile(hist)
	if n := strings.Count(string(data), "\ncommit: "); n != 4 || !strings.Contains(string(data), "commit: c0ffee0\n") {
		t.Errorf("history has %d commit lines", n)
	}
	var out, errb bytes.Buffer
	pngDir := filepath.Join(dir, "png")
	code := run(&out, &errb, []string{"history", "chart", "-bench", "^PingPong/.*size=64$", "-metric", "ns/op,p99-ns,MB/s,nope/op", "-o", pngDir, hist})
	if code != 0 {
		t.Fatalf("chart: exit %d: %s", code, errb.String())
	}
	for _, f := range []string{"history-ns-per-op.png", "history-p99-ns.png", "history-MB-per-s.png"} {
		b, err := os.ReadFile(filepath.Join(pngDir, f))
		if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
			t.Errorf("%s: not a PNG (%v)", f, err)
		}
	}
	if !strings.Contains(errb.String(), "nope/op") || !strings.Contains(out.String(), "3 benchmark(s) over 4 commit(s)") {
		t.Errorf("stdout %q stderr %q", out.String(), errb.String())
	}
	// Append without a commit anywhere is unusable input.
	nc := filepath.Join(dir, "nocommit.txt")
	os.WriteFile(nc, []byte("BenchmarkA-2 10 100 ns/op\n"), 0o644)
	if code := run(&out, &errb, []string{"history", "append", "-o", hist, nc}); code != 2 {
		t.Errorf("append without commit: exit %d", code)
	}
}

// TestCompareSubprocess checks the real process exit status once.
func TestCompareSubprocess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "ipcbench")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		new  string
		code int
	}{{"new-noise.txt", 0}, {"new-slow.txt", 1}, {"garbage.txt", 2}} {
		err := exec.Command(bin, "compare", td+"old.txt", td+tc.new).Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tc.code {
			t.Errorf("%s: exit %d, want %d", tc.new, code, tc.code)
		}
	}
}

// TestComparePaired checks `compare -paired`: a report that exits 0
// whatever the outcome, 2 on unusable input or flags.
func TestComparePaired(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, lines ...string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const b = "BenchmarkPingPong/transport=pipe/api=runtime/pin=split/size=64"
	var oldLines, slowLines []string
	for i, ns := range []int{100, 500, 100, 500, 100, 500} {
		oldLines = append(oldLines, fmt.Sprintf("%s-1 100 %d ns/op %d p50-ns", b, ns, ns-i))
		slowLines = append(slowLines, fmt.Sprintf("%s-2 100 %d ns/op", b, ns*5/4))
	}
	old := write("old.txt", oldLines...)
	slow := write("slow.txt", slowLines...)
	few := write("few.txt", slowLines[:2]...)
	other := write("other.txt", "BenchmarkPingPong/transport=tcp/api=runtime/pin=split/size=64-2 100 100 ns/op")
	for _, tc := range []struct {
		args []string
		code int
		want []string // in stdout+stderr
	}{
		{[]string{"-paired", old, slow}, 0, []string{"NEW/OLD", "PingPong/transport=pipe/api=runtime/pin=split/size=64", "1.250", "slower", "old.txt (old)"}},
		{[]string{"-paired", old, old}, 0, []string{"1.000", "not distinguishable"}},
		{[]string{"-paired", slow, old}, 0, []string{"0.800", "faster"}},
		{[]string{"-paired", "-units", "ns/op,p50-ns", old, slow}, 0, []string{"slower", "p50-ns", "not measured: p50-ns is not in the new file"}},
		{[]string{"-paired", old, few}, 0, []string{"not paired: 2 runs of new against 6 of old"}},
		{[]string{"-paired", old, other}, 2, []string{"no benchmark is in both"}},
		{[]string{"-paired", "-units", "MB/s", old, slow}, 2, []string{"none of the units MB/s"}},
		{[]string{"-paired", "-units", "ns/op,", old, slow}, 2, []string{"empty unit"}},
		{[]string{"-paired", old}, 2, []string{"want two results files"}},
		{[]string{"-paired", old, td + "garbage.txt"}, 2, []string{"no benchmark results"}},
		{[]string{"-paired", filepath.Join(dir, "nope.txt"), old}, 2, []string{"nope.txt"}},
		{[]string{"-paired", "-threshold", "ns/op=5%", old, slow}, 2, []string{"takes no -threshold"}},
		{[]string{"-paired", "-confirm-new", slow, old, slow}, 2, []string{"takes no -confirm-new"}},
		{[]string{"-units", "ns/op", old, slow}, 2, []string{"-units needs -paired"}},
	} {
		var out, errb bytes.Buffer
		code := run(&out, &errb, append([]string{"compare"}, tc.args...))
		all := out.String() + errb.String()
		for _, w := range tc.want {
			if !strings.Contains(all, w) {
				t.Errorf("compare %v: output lacks %q:\n%s", tc.args, w, all)
			}
		}
		if code != tc.code {
			t.Errorf("compare %v: exit %d, want %d\n%s", tc.args, code, tc.code, all)
		}
	}
}
