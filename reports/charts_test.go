package reports

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ipcbench/ipcbench/results"
)

func realRun(t *testing.T) *Results {
	t.Helper()
	res, err := LoadFile(filepath.Join("testdata", "results.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// chartsOf returns the charts drawn from r by file name, and the reasons
// of those missing.
func chartsOf(t *testing.T, r *Results) (map[string]*Chart, map[string]string) {
	t.Helper()
	drawn, missing, err := Charts(r)
	if err != nil {
		t.Fatal(err)
	}
	d, m := map[string]*Chart{}, map[string]string{}
	for _, c := range drawn {
		d[c.File] = c
	}
	for _, c := range missing {
		m[c.File] = c.Reason
	}
	return d, m
}

// TestChartList: the real run draws each placed chart at both placements
// and none of the charts they replaced.
func TestChartList(t *testing.T) {
	drawn, _, err := Charts(realRun(t))
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, c := range drawn {
		files = append(files, c.File)
		if !strings.Contains(c.plot.Title.Text, "pin=") && c.File != "signals.png" {
			t.Errorf("%s: title %q does not say at which placement", c.File, c.plot.Title.Text)
		}
	}
	want := []string{"latency-split.png", "latency-same.png", "throughput.png", "frontier-split.png", "frontier-same.png", "ladder.png", "api-split.png", "api-same.png", "pin.png", "signals.png"}
	if !slices.Equal(files, want) {
		t.Errorf("charts %v, want %v", files, want)
	}
}

// TestLatencyPanelsRealRun: on the real run, at each placement, the panels
// are the families present (shared memory split by its wait), each
// transport is drawn in its own family's panel and no other, and a series
// has a point at exactly the sizes its transport was measured at.
func TestLatencyPanelsRealRun(t *testing.T) {
	r := realRun(t)
	wantGroups := []string{"pipe", "socket", "mq", "shm-spinning", "shm-blocking", "signal", "other"}
	for _, pin := range []string{"split", "same"} {
		panels, sizes := r.latencyPanels(pin)
		var groups []string
		seen := map[string]string{}
		for _, fp := range panels {
			groups = append(groups, fp.Group.ID)
			for _, s := range fp.Series {
				if prev, dup := seen[s.Transport]; dup {
					t.Errorf("pin=%s: %s in panels %s and %s", pin, s.Transport, prev, fp.Group.ID)
				}
				seen[s.Transport] = fp.Group.ID
				if g := r.panelGroup(s.Transport); g != fp.Group.ID {
					t.Errorf("pin=%s: %s (%s) in the %s panel", pin, s.Transport, g, fp.Group.ID)
				}
				var got, measured []int
				for _, p := range s.Points {
					got = append(got, p.Size)
				}
				for _, size := range sizes {
					if _, ok := r.Stat(Key{Bench: results.BenchPingPong, Transport: s.Transport, API: s.API, Pin: pin, Size: size}, latencyUnit); ok {
						measured = append(measured, size)
					}
				}
				if !slices.Equal(got, measured) {
					t.Errorf("pin=%s: %s api=%s drawn at %v, measured at %v", pin, s.Transport, s.API, got, measured)
				}
			}
		}
		if !slices.Equal(groups, wantGroups) {
			t.Errorf("pin=%s: panels %v, want %v", pin, groups, wantGroups)
		}
		for _, tr := range r.Transports(results.BenchPingPong) {
			if _, ok := seen[tr]; !ok {
				t.Errorf("pin=%s: %s in no panel", pin, tr)
			}
		}
		if !slices.Equal(sizes, []int{8, 64, 1024, 4096, 65536, 1 << 20}) {
			t.Errorf("pin=%s: sizes %v", pin, sizes)
		}
		if seen["shm-spin"] != "shm-spinning" || seen["shm-futex"] != "shm-blocking" || seen["cma"] != "other" {
			t.Errorf("pin=%s: shm-spin in %q, shm-futex in %q, cma in %q", pin, seen["shm-spin"], seen["shm-futex"], seen["cma"])
		}
	}
	drawn, _ := chartsOf(t, r)
	c := drawn["latency-split.png"]
	if c == nil {
		t.Fatal("latency-split.png not drawn")
	}
	n := 0
	for _, row := range c.panels {
		for _, p := range row {
			if p != nil {
				n++
			}
		}
	}
	if n != len(wantGroups) || !strings.Contains(c.Caption, "cache-line floor") {
		t.Errorf("latency-split.png: %d panels, want %d; caption %q", n, len(wantGroups), c.Caption)
	}
}

// TestLatencyPanelsGaps: a transport not measured at one size of the axis
// has no point there, and its line breaks: the points on either side are
// in different segments. A framework transport gets the rpc panel.
func TestLatencyPanelsGaps(t *testing.T) {
	f := new(fx).config("transport-grpc-unix", "family=rpc wait=sleep order=1").
		ping("pipe", flat(9000), std...).ping("fifo", flat(9500), 64, 1024, 65536).ping("shm-spin", flat(400), std...)
	for _, s := range std {
		f.line(fmt.Sprintf("PingPong/transport=grpc-unix/api=runtime/pin=split/size=%d", s), 30000.0, "ns/op", 30000.0, "p50-ns")
	}
	r := f.results(t)
	panels, sizes := r.latencyPanels("split")
	var groups []string
	for _, fp := range panels {
		groups = append(groups, fp.Group.ID)
	}
	if !slices.Equal(groups, []string{"pipe", "shm-spinning", FamilyRPC}) {
		t.Errorf("panels %v, want pipe, shm-spinning, rpc", groups)
	}
	if !slices.Equal(sizes, std) {
		t.Errorf("sizes %v, want %v", sizes, std)
	}
	var fifo sizeSeries
	for _, s := range panels[0].Series {
		if s.Transport == "fifo" {
			fifo = s
		}
	}
	var segs [][]int
	for _, seg := range segments(fifo.Points, sizes) {
		var ss []int
		for _, p := range seg {
			ss = append(ss, p.Size)
		}
		segs = append(segs, ss)
	}
	if fmt.Sprint(segs) != "[[64 1024] [65536]]" {
		t.Errorf("fifo segments %v, want [[64 1024] [65536]]: no line across 4 KiB", segs)
	}
	if g := panels[2]; len(g.Series) != 1 || g.Series[0].API != "runtime" || g.Group.Title != "frameworks (rpc)" {
		t.Errorf("rpc panel %+v", g)
	}
}

// frontierRun is a run at 64 B, pin=split, whose frontier is known:
// pipe (fastest), unix-stream and shm-futex (cheapest) are not beaten on
// both; fifo is beaten by unix-stream on both, tcp by pipe on both, and
// udp ties pipe's round trip at a higher CPU cost.
func frontierRun(t *testing.T) *Results {
	f := new(fx)
	for _, c := range []struct {
		tr       string
		lat, cpu float64
	}{
		{"pipe", 1000, 9000}, {"unix-stream", 2000, 3000}, {"fifo", 3000, 4000},
		{"shm-futex", 4000, 1000}, {"tcp", 1500, 9500}, {"udp", 1000, 9900},
	} {
		f.line("PingPong/transport="+c.tr+"/api=raw/pin=split/size=64", c.lat, "ns/op", c.cpu, "cpu-ns/op", c.lat, "p50-ns")
	}
	return f.results(t)
}

// TestFrontierKnown: the frontier is exactly the transports no other is
// at least as good as on both and better on one, named in the caption.
func TestFrontierKnown(t *testing.T) {
	r := frontierRun(t)
	pts := r.frontierPoints("split", 64)
	if got := frontierNames(pts); !slices.Equal(got, []string{"pipe", "unix-stream", "shm-futex"}) {
		t.Errorf("frontier %v, want pipe, unix-stream, shm-futex", got)
	}
	if len(pts) != 6 {
		t.Errorf("%d points, want 6", len(pts))
	}
	drawn, missing := chartsOf(t, r)
	c := drawn["frontier-split.png"]
	if c == nil {
		t.Fatalf("frontier-split.png not drawn: %q", missing["frontier-split.png"])
	}
	if !strings.Contains(c.Caption, "at 64 B, pipe, unix-stream, shm-futex") || !strings.Contains(c.Caption, "Not measured at pin=split: 64 KiB") {
		t.Errorf("caption %q", c.Caption)
	}
	if len(c.panels) != 1 || len(c.panels[0]) != 1 {
		t.Errorf("panels %v: want one (64 B)", c.panels)
	}
}

// TestFrontierRealRun: on the real run, at each placement and size, a
// transport is on the frontier exactly when no other beats it (a
// brute-force check), and the frontier holds the fastest transport.
func TestFrontierRealRun(t *testing.T) {
	r := realRun(t)
	for _, pin := range []string{"split", "same"} {
		for _, size := range recommendSizes {
			pts := r.frontierPoints(pin, size)
			if len(pts) < 15 {
				t.Fatalf("pin=%s %s: %d points", pin, SizeLabel(size), len(pts))
			}
			fastest := pts[0]
			for _, p := range pts {
				beaten := false
				for _, o := range pts {
					if o.Transport != p.Transport && o.Latency <= p.Latency && o.CPU <= p.CPU && (o.Latency < p.Latency || o.CPU < p.CPU) {
						beaten = true
					}
				}
				if p.Frontier == beaten {
					t.Errorf("pin=%s %s: %s frontier=%v, beaten=%v", pin, SizeLabel(size), p.Transport, p.Frontier, beaten)
				}
				if p.Latency < fastest.Latency {
					fastest = p
				}
				if p.Key.API == APIZeroCopy {
					t.Errorf("%s: zero-copy in the frontier chart", p.Key)
				}
			}
			if !fastest.Frontier {
				t.Errorf("pin=%s %s: the fastest, %s, is not on the frontier", pin, SizeLabel(size), fastest.Transport)
			}
		}
	}
	if got := frontierNames(r.frontierPoints("split", 64)); !slices.Equal(got, []string{"shm-spin"}) {
		t.Errorf("pin=split 64 B frontier %v, want shm-spin alone (fastest and cheapest)", got)
	}
}

// TestAPIRowsRealRun: on the real run the api chart has a row for every
// transport measured through two APIs, fd transports raw against runtime,
// shared memory raw against zero-copy, and none for a transport with one.
func TestAPIRowsRealRun(t *testing.T) {
	r := realRun(t)
	for _, pin := range []string{"split", "same"} {
		rows := r.apiRows(pin, 64)
		var names []string
		for _, row := range rows {
			names = append(names, row.Transport)
			raw, rt, zc := row.Vals[0].Valid(), row.Vals[1].Valid(), row.Vals[2].Valid()
			shm := r.IsSharedMemory(row.Transport)
			if !raw || rt == shm || zc != shm {
				t.Errorf("pin=%s: %s raw=%v runtime=%v zerocopy=%v", pin, row.Transport, raw, rt, zc)
			}
		}
		for _, one := range []string{"cma", "vmsplice", "sysv-mq", "signal"} {
			if slices.Contains(names, one) {
				t.Errorf("pin=%s: %s has one API but a row", pin, one)
			}
		}
		if !slices.Contains(names, "pipe") || !slices.Contains(names, "shm-spin") {
			t.Errorf("pin=%s: rows %v lack pipe or shm-spin", pin, names)
		}
	}
	drawn, _ := chartsOf(t, r)
	for _, f := range []string{"api-split.png", "api-same.png"} {
		if c := drawn[f]; c == nil || len(c.panels) != 1 || len(c.panels[0]) != 2 {
			t.Errorf("%s: want two panels (64 B, 64 KiB)", f)
		}
	}
}

// TestChartsMissingReasons: data a chart needs that the run lacks gives
// that chart a missing reason that names it, not an empty chart.
func TestChartsMissingReasons(t *testing.T) {
	// pin=split only, raw only, no cpu-ns/op.
	f := new(fx)
	for _, s := range std {
		for _, tr := range []string{"pipe", "shm-spin"} {
			f.line(fmt.Sprintf("PingPong/transport=%s/api=raw/pin=split/size=%d", tr, s), 9000.0, "ns/op", 8000.0, "p50-ns")
		}
	}
	drawn, missing := chartsOf(t, f.results(t))
	for file, want := range map[string]string{
		"latency-same.png":   "no BenchmarkPingPong p50-ns results at pin=same",
		"frontier-split.png": "both p50-ns and cpu-ns/op at 64 B, 64 KiB, pin=split",
		"api-split.png":      "no transport has two of api=raw, api=runtime and api=zerocopy",
	} {
		if !strings.Contains(missing[file], want) {
			t.Errorf("%s: missing reason %q, want %q", file, missing[file], want)
		}
		if drawn[file] != nil {
			t.Errorf("%s drawn", file)
		}
	}
	if drawn["latency-split.png"] == nil {
		t.Errorf("latency-split.png not drawn: %q", missing["latency-split.png"])
	}
}
