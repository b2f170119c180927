package reports

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipcbench/ipcbench/results"
	"gonum.org/v1/plot"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// The golden files are regenerated with
//
//	go test ./reports -run Golden -update
//
// testdata/results.txt is a real run (make report, default profile: 9
// clustered rounds, every benchmark group, 2026-12-01), copied unedited;
// testdata/disturbed.txt a real clustered run (ping-pong and stream of
// pipe, shm-spin and shm-futex at 64 B and 4 KiB, pin=split, 9 rounds)
// during which two busy loops ran on both CPUs for 1.5 s, copied
// unedited: the drift probes catch the rounds it disturbed. The golden
// HTML embeds a placeholder PNG (PlaceholderImages) for each chart: the
// page's text is what it pins down; TestHTMLPage checks the page that
// Write makes, real charts and all.
func TestGolden(t *testing.T) {
	for _, fx := range []struct{ results, golden string }{
		{"results.txt", "report"},
		{"disturbed.txt", "disturbed"},
	} {
		res, err := LoadFile(filepath.Join("testdata", fx.results))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Build(res, Options{Source: fx.results})
		if err != nil {
			t.Fatal(err)
		}
		checkGolden(t, fx.golden+".md", rep.Markdown())
		page, err := rep.HTML(rep.PlaceholderImages())
		if err != nil {
			t.Fatal(err)
		}
		checkGolden(t, fx.golden+".html", page)
	}
}

// checkGolden compares got with testdata/<name>.golden, or with -update
// writes it there.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run Golden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gotPath := filepath.Join(t.TempDir(), name+".got")
		os.WriteFile(gotPath, got, 0o644)
		t.Errorf("%s differs from %s; got written to %s (rerun with -update if the change is intended)", name, golden, gotPath)
	}
}

// TestDisturbedRun: in the real disturbed run, the drift probes mark the
// rounds the busy loops hit, every comparison involving those clusters
// leaves them out, and the report says so.
func TestDisturbedRun(t *testing.T) {
	res, err := LoadFile(filepath.Join("testdata", "disturbed.txt"))
	if err != nil {
		t.Fatal(err)
	}
	ds := res.Disturbances()
	if len(ds) == 0 {
		t.Fatal("no disturbed round found in the disturbed run")
	}
	for _, d := range ds {
		if d.Round != 6 || math.Max(d.Before, d.After) <= DriftFactor*d.Median {
			t.Errorf("disturbance %s: want round 6 and a probe above %.0f× the median", d.Text(), DriftFactor)
		}
	}
	k := func(tr string) Key {
		return Key{Bench: results.BenchPingPong, Transport: tr, API: "raw", Pin: "split", Size: 64}
	}
	p := res.Pair(k("shm-spin"), k("pipe"), results.UnitP50)
	if len(p.Excluded) != 1 || p.Excluded[0] != 6 || len(p.Ratios) != 8 {
		t.Errorf("shm-spin ÷ pipe at 64 B: excluded %v, %d ratios; want round 6 out and 8 ratios", p.Excluded, len(p.Ratios))
	}
	rep, err := Build(res, Options{})
	if err != nil {
		t.Fatal(err)
	}
	md := string(rep.Markdown())
	if !strings.Contains(md, fmt.Sprintf("%d disturbed rounds of clusters, left out:", len(ds))) || !strings.Contains(md, "PingPong pin=split size=64, round 6:") {
		t.Error("the report does not list the disturbed rounds")
	}
}

// TestReportOpensWithTheAnswer: the run line first (date, commit,
// machine, profile, what ran, disturbed rounds), then the recommendation
// per placement (a row per size with p50, p99, CPU and n), then the short
// verdict table with each claim's figures in its own subsection.
func TestReportOpensWithTheAnswer(t *testing.T) {
	res, err := LoadFile(filepath.Join("testdata", "results.txt"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Build(res, Options{})
	if err != nil {
		t.Fatal(err)
	}
	md := string(rep.Markdown())
	lines := strings.Split(md, "\n")
	if !strings.HasPrefix(lines[0], "# ") || !strings.HasPrefix(lines[2], "Run (date not recorded) · commit 9021b3e · AMD EPYC, 2 CPUs, virtual machine") ||
		!strings.Contains(lines[2], "profile default: 9 rounds") || !strings.Contains(lines[2], "disturbed: 20 of 333 cluster-rounds") {
		t.Fatalf("report does not open with the run line:\n%s", strings.Join(lines[:3], "\n"))
	}
	answer, verdict := strings.Index(md, "## The answer"), strings.Index(md, "## Verdict on the article's claims")
	split := strings.Index(md, "### Recommended at pin=split")
	if answer < 0 || verdict < answer || split < answer || split > verdict || strings.Index(md, "\n## ") != answer-1 {
		t.Fatalf("the answer does not come first (answer at %d, pin=split table at %d, verdict at %d)", answer, split, verdict)
	}
	row := ""
	for _, l := range strings.Split(md[split:verdict], "\n") {
		if strings.HasPrefix(l, "| 4 KiB |") {
			row = l
			break
		}
	}
	cells := strings.Split(row, " | ")
	if len(cells) != 6 || !strings.Contains(row, "n=9×") || !strings.Contains(md[split:verdict], "lowest p99 round trip") || !strings.Contains(md[split:verdict], "lowest CPU per message") {
		t.Fatalf("no 4 KiB row with five answers and n at pin=split: %q", row)
	}
	for i := 1; i <= 10; i++ {
		if !strings.Contains(md, fmt.Sprintf("| C%d | ", i)) || !strings.Contains(md, fmt.Sprintf("### C%d: the figures", i)) {
			t.Errorf("verdict table or figures lack C%d", i)
		}
	}
	for _, want := range []string{"## Environment", "| kernel | 6.18.44-fc-v1045 |", "## Stability of this run", "## Reference floors and the harness's own cost", "pipe ÷ rawpipe", "### pin=same (both processes on one CPU)", "Hyndman & Fan type 7", "alpha = 0.05", "## Fastest transport at each size"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestChartsArePNGsWithContent(t *testing.T) {
	res, err := LoadFile(filepath.Join("testdata", "results.txt"))
	if err != nil {
		t.Fatal(err)
	}
	charts, missing, err := Charts(res)
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) != 0 {
		t.Errorf("full fixture: charts not drawn: %+v", missing)
	}
	if len(charts) != len(res.chartSpecs()) {
		t.Errorf("drew %d charts, want %d", len(charts), len(res.chartSpecs()))
	}
	wantW, wantH := ChartPixels()
	for _, c := range charts {
		wt, err := c.WriterTo()
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := wt.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(&buf)
		if err != nil {
			t.Fatalf("%s: %v", c.File, err)
		}
		if b := img.Bounds(); b.Dx() != wantW || b.Dy() != wantH {
			t.Errorf("%s: %dx%d, want %dx%d", c.File, b.Dx(), b.Dy(), wantW, wantH)
		}
		if n := distinctColours(img); n < 8 {
			t.Errorf("%s: only %d distinct colours: blank?", c.File, n)
		}
		if c.Caption == "" || c.plot.Title.Text == "" || !hasAxisLabels(c) {
			t.Errorf("%s: missing caption, title or axis label", c.File)
		}
	}
}

// hasAxisLabels reports whether both axes of c are labelled: a single
// plot's own, or for a chart of panels the label the panels share or, on
// an axis with none, each panel's.
func hasAxisLabels(c *Chart) bool {
	if c.panels == nil {
		return c.plot.X.Label.Text != "" && c.plot.Y.Label.Text != ""
	}
	for _, ax := range []func(*plot.Plot) *plot.Axis{func(p *plot.Plot) *plot.Axis { return &p.X }, func(p *plot.Plot) *plot.Axis { return &p.Y }} {
		if ax(c.plot).Label.Text != "" {
			continue
		}
		for _, row := range c.panels {
			for i, p := range row {
				// Rows of a dumbbell panel are named in the first panel only.
				if p != nil && ax(p).Label.Text == "" && !(i > 0 && ax(p) == &p.Y) {
					return false
				}
			}
		}
	}
	return true
}

func distinctColours(img image.Image) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bb, a := img.At(x, y).RGBA()
			seen[[4]uint32{r >> 8, g >> 8, bb >> 8, a >> 8}] = true
		}
	}
	return len(seen)
}

func TestWriteFiles(t *testing.T) {
	res, err := LoadFile(filepath.Join("testdata", "results.txt"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	paths, err := Write(dir, res, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 3+len(res.chartSpecs()) || filepath.Base(paths[0]) != "report.md" || filepath.Base(paths[2]) != "results.json" {
		t.Fatalf("paths = %v", paths)
	}
	for _, p := range paths {
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", p, err)
		}
	}
}

func TestLoad(t *testing.T) {
	_, err := Load(strings.NewReader("goos: linux\nnot a benchmark\n"))
	if !errors.Is(err, ErrNoResults) {
		t.Errorf("no results: err = %v, want ErrNoResults", err)
	}
	in := "kernel: 6.1\nBenchmarkPingPong/transport=pipe/api=raw/pin=split/size=64-2 100 8000 ns/op 7900 p50-ns\n" +
		"BenchmarkPingPong/transport=pipe/api=raw/pin=split/size=64-2 100 bogus ns/op\n" +
		"BenchmarkPingPong/transport=pipe/api=raw/pin=split/size=64-2 100 8200 ns/op 8000 p50-ns\n"
	res, err := Load(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 1 {
		t.Errorf("warnings = %q, want one syntax error", res.Warnings)
	}
	k := Key{Bench: results.BenchPingPong, Transport: "pipe", API: "raw", Pin: "split", Size: 64}
	s := res.Get(k, results.UnitNsOp)
	if s == nil || len(s.Values) != 2 || s.Values[0] != 8000 || s.Values[1] != 8200 {
		t.Fatalf("series = %+v", s)
	}
	if p := res.Get(k, results.UnitP50); p == nil || p.Values[0] != 7900 {
		t.Errorf("p50-ns kept in ns: %+v", p)
	}
	if v, ok := res.ConfigValue("kernel"); !ok || v != "6.1" {
		t.Errorf("kernel = %q, %v", v, ok)
	}
	if k.String() != "PingPong/transport=pipe/api=raw/pin=split/size=64" {
		t.Errorf("Key.String = %q", k.String())
	}
}

func TestSummarize(t *testing.T) {
	s := Summarize([]float64{4, 1, 3, 2})
	if s.Median != 2.5 || s.P25 != 1.75 || s.P75 != 3.25 {
		t.Errorf("median/quartiles = %v %v %v, want 2.5 1.75 3.25 (type 7)", s.Median, s.P25, s.P75)
	}
	if s.CI || s.Lo != 1 || s.Hi != 4 {
		t.Errorf("n=4: want min-max range, got CI=%v [%v, %v]", s.CI, s.Lo, s.Hi)
	}
	s = Summarize([]float64{10, 11, 12, 13, 14, 15})
	if !s.CI || s.Lo > 12.5 || s.Hi < 12.5 {
		t.Errorf("n=6: want a finite CI around 12.5, got CI=%v [%v, %v]", s.CI, s.Lo, s.Hi)
	}
}

func TestFormatting(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{fmtNs(412), "412 ns"}, {fmtNs(8750), "8.75 µs"}, {fmtNs(708000), "708 µs"}, {fmtNs(2.5e6), "2.50 ms"},
		{fmtMBs(42.3), "42.3 MB/s"}, {fmtMBs(23500), "23.5 GB/s"},
		{SizeLabel(64), "64 B"}, {SizeLabel(4096), "4 KiB"}, {SizeLabel(1 << 20), "1 MiB"}, {SizeLabel(1000), "1000 B"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// TestPlacementWarning: a cache-line floor that moved by more than
// placementShift between runs is reported, one that held still is not.
func TestPlacementWarning(t *testing.T) {
	load := func(ns ...string) *Results {
		t.Helper()
		var b strings.Builder
		for _, v := range ns {
			b.WriteString("BenchmarkFloor/op=cacheline/pin=split/size=64-2 1000 " + v + " ns/op\n")
		}
		r, err := Load(strings.NewReader(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if w := placementWarning(load("75", "80", "110")); w != "" {
		t.Errorf("steady floor (1.47×): warning %q", w)
	}
	w := placementWarning(load("75", "80", "380"))
	if !strings.Contains(w, "75.0 ns") || !strings.Contains(w, "380 ns") || !strings.Contains(w, "5.1×") {
		t.Errorf("moved floor: warning %q, want the range 75 ns to 380 ns and 5.1×", w)
	}
	if w := placementWarning(load("75")); w != "" {
		t.Errorf("one run: warning %q", w)
	}
}

// TestReportSaysWhatWasSkipped: the skip lines of a run (cases that
// cannot run here, per transport) reach the run line and What is missing
// with their reasons.
func TestReportSaysWhatWasSkipped(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("testdata", "results.txt"))
	if err != nil {
		t.Fatal(err)
	}
	line := results.SkippedKey("udp") + ": 20 cases: udp: size 65536 exceeds the limit of 65507 bytes (IPv4 UDP payload maximum)\n"
	res, err := Load(strings.NewReader(line + string(text)))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Build(res, Options{})
	if err != nil {
		t.Fatal(err)
	}
	md := string(rep.Markdown())
	first := strings.Split(md, "\n")[2]
	if !strings.Contains(first, "cases that cannot run here, skipped: udp 20 (What is missing says why)") {
		t.Errorf("run line %q does not name the skipped cases", first)
	}
	if !strings.Contains(md, "- udp: 20 cases not run, as they cannot run here: udp: size 65536 exceeds the limit of 65507 bytes (IPv4 UDP payload maximum).") {
		t.Error("What is missing does not give the reason")
	}
}
