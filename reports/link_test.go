package reports

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ipcbench/ipcbench/results"
)

// linkSection renders the section "Local versus across a link" of res
// alone, as Markdown.
func linkSection(t *testing.T, res *Results) []byte {
	t.Helper()
	b := linkBlocks(res)
	if len(b) == 0 {
		t.Fatal("no section Local versus across a link")
	}
	rep := &Report{doc: append([]block{heading{2, "Local versus across a link"}}, b...)}
	return rep.Markdown()
}

// TestLinkGolden: the section of testdata/link.txt (regenerated with go
// test ./reports -run Golden -update). link.txt holds the first six
// rounds of unix-stream, tcp and udp of the real run testdata/results.txt
// (PingPong and Stream, api raw and runtime, pin split and same, 64 B and
// 64 KiB) with their drift probes, unedited, and after each tcp and udp
// line SYNTHETIC copies across path=veth (1.2× the time) and path=netem
// (100 µs each way, 100 Mbit/s: UDP streams lose what the rate does not
// carry), derived from that line: test input for the section's layout,
// not a measurement.
func TestLinkGolden(t *testing.T) {
	res, err := LoadFile(filepath.Join("testdata", "link.txt"))
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "link.md", linkSection(t, res))
}

// TestLocalSectionsStayLocal: the golden run with a copy of each of its
// tcp and udp PingPong and Stream lines across path=veth (the same
// figures, in the same rounds) gives the same report but for what is
// about the link: the run line's count, C8 (verdict, figures, and the
// claims not measured) and the new section. A copy with the same
// figures as the local case would tie with it in every ranking and table
// that let it in; the rankings, the verdicts but C8, the charts and the
// recommendation stay as they are.
func TestLocalSectionsStayLocal(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("testdata", "results.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var linked strings.Builder
	copies := 0
	for _, l := range strings.SplitAfter(string(text), "\n") {
		linked.WriteString(l)
		for _, tr := range []string{"tcp", "udp"} {
			for _, b := range []string{"PingPong", "Stream"} {
				prefix := "Benchmark" + b + "/transport=" + tr + "/api="
				if rest, ok := strings.CutPrefix(l, prefix); ok {
					api, after, _ := strings.Cut(rest, "/")
					linked.WriteString(prefix + api + "/path=veth/" + after)
					copies++
				}
			}
		}
	}
	if copies == 0 {
		t.Fatal("no tcp or udp lines in results.txt")
	}
	// And a size no local case has, which a leak would add to the sizes
	// the local sections know (C5's sizes not run, for one).
	for range 9 {
		linked.WriteString("BenchmarkPingPong/transport=tcp/api=raw/path=veth/pin=split/size=12345-2 300 80000 ns/op 70000 p50-ns\n")
	}
	base, err := Load(strings.NewReader(string(text)))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Load(strings.NewReader(linked.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Links) == 0 || len(res.Series) != len(base.Series) {
		t.Fatalf("%d series across a link, %d local; want some and the %d of the golden run", len(res.Links), len(res.Series), len(base.Series))
	}
	for _, s := range res.Series {
		if s.Key.Path != "" {
			t.Fatalf("local series %s has a path", s.Key)
		}
	}
	if !reflect.DeepEqual(Rankings(res), Rankings(base)) {
		t.Error("the rankings change when cases across a link are added")
	}
	vb, vl := Verdicts(base), Verdicts(res)
	for i := range vb {
		if vb[i].ID == "C8" {
			if vl[i].Status == vb[i].Status {
				t.Errorf("C8 stays %v with the links measured", vb[i].Status)
			}
			continue
		}
		if !reflect.DeepEqual(vb[i], vl[i]) {
			t.Errorf("%s changes with cases across a link:\n%s\nwant\n%s", vb[i].ID, vl[i].Text(), vb[i].Text())
		}
	}
	rb, err := Build(base, Options{Source: "results.txt"})
	if err != nil {
		t.Fatal(err)
	}
	rl, err := Build(res, Options{Source: "results.txt"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rl.Charts) != len(rb.Charts) {
		t.Fatalf("%d charts, want %d", len(rl.Charts), len(rb.Charts))
	}
	for i := range rb.Charts {
		if rl.Charts[i].File != rb.Charts[i].File || rl.Charts[i].Caption != rb.Charts[i].Caption {
			t.Errorf("chart %s changes: %q, want %q", rb.Charts[i].File, rl.Charts[i].Caption, rb.Charts[i].Caption)
		}
	}
	// results.json: every case, those across a link with their path.
	doc := rl.Document()
	paths := 0
	for _, c := range doc.Cases {
		if c.Path != "" {
			paths++
			if !strings.Contains(c.ID, "/path="+c.Path+"/") {
				t.Errorf("case %s has path %q", c.ID, c.Path)
			}
		}
	}
	if paths != len(res.LinkKeys("")) || len(doc.Cases) != len(res.AllKeys()) {
		t.Errorf("results.json: %d cases, %d with a path; want %d and %d", len(doc.Cases), paths, len(res.AllKeys()), len(res.LinkKeys("")))
	}
	// The Markdown, section by section, C8's lines left out.
	sections := func(md string) map[string]string {
		out := map[string]string{}
		for _, s := range strings.Split(md, "\n## ") {
			head, body, _ := strings.Cut(s, "\n")
			var keep []string
			skip := false
			for _, l := range strings.Split(body, "\n") {
				switch {
				case strings.HasPrefix(l, "### "):
					skip = l == "### C8: the figures"
				case strings.HasPrefix(l, "| C8 |"), strings.HasPrefix(l, "- Claims not measured here:"):
					continue
				}
				if !skip {
					keep = append(keep, l)
				}
			}
			out[head] = strings.Join(keep, "\n")
		}
		return out
	}
	mb, ml := string(rb.Markdown()), string(rl.Markdown())
	sb, sl := sections(mb), sections(ml)
	const linkHead = "Local versus across a link"
	if _, ok := sb[linkHead]; ok {
		t.Error("the golden run, with no path, has a section " + linkHead)
	}
	if _, ok := sl[linkHead]; !ok {
		t.Error("no section " + linkHead)
	}
	for head, body := range sb {
		if strings.HasPrefix(head, "# ") {
			body = strings.Replace(body, fmt.Sprintf(" and %d across a link (Local versus across a link)", len(res.LinkKeys(""))), "", 1)
			lbody := strings.Replace(sl[head], fmt.Sprintf(" and %d across a link (Local versus across a link)", len(res.LinkKeys(""))), "", 1)
			if lbody != body {
				t.Errorf("the run line changes beyond the count across a link:\n%s", lbody)
			}
			continue
		}
		if sl[head] != body {
			t.Errorf("section %q changes with cases across a link", head)
		}
	}
}

// pingVia adds PingPong lines of transport at pin=split, api=raw, across
// path ("" = loopback), with a round trip of lat ns, at sizes.
func (f *fx) pingVia(path, tr string, lat float64, sizes ...int) *fx {
	for _, s := range sizes {
		f.line(linkName("PingPong", tr, path, s), lat, "ns/op", 0.95*lat, "p50-ns", 0.9*lat, "cpu-ns/op")
	}
	return f
}

// streamVia adds Stream lines of transport at pin=split, api=raw, across
// path ("" = loopback), at mbs MB/s and size, with lost-% lost unless
// lost is negative (a case that does not count its losses).
func (f *fx) streamVia(path, tr string, mbs, lost float64, size int) *fx {
	ns := float64(size) / mbs * 1e3
	if lost < 0 {
		return f.line(linkName("Stream", tr, path, size), ns, "ns/op", mbs, "MB/s")
	}
	return f.line(linkName("Stream", tr, path, size), ns, "ns/op", mbs, "MB/s", lost, "lost-%")
}

// failedVia adds a PingPong case across path that ran only rounds of
// the fx's six: it failed in the next one.
func (f *fx) failedVia(path, tr string, lat float64, rounds int) *fx {
	for range rounds {
		fmt.Fprintf(&f.b, "Benchmark%s-2 1000 %g ns/op %g p50-ns\n", linkName("PingPong", tr, path, 64), lat, 0.95*lat)
	}
	return f
}

func linkName(bench, tr, path string, size int) string {
	k := Key{Bench: bench, Transport: tr, API: "raw", Path: path, Pin: "split", Size: size}
	return k.String()
}

// TestC8AcrossALink: every status of C8's cross-host half (c8CrossHost),
// each from measured inputs, synthetic results files with cases across a
// link; the local half holds in all of them (unix-stream and tcp over
// loopback), so the claim's status is the link's.
func TestC8AcrossALink(t *testing.T) {
	// local is the local half, after config lines (key, value, …): a
	// config line holds for the results after it.
	local := func(config ...string) *fx {
		f := new(fx).config(results.ConfigRounds, "6")
		for i := 0; i+1 < len(config); i += 2 {
			f.config(config[i], config[i+1])
		}
		return f.pingVia("", "unix-stream", 9000, 64).pingVia("", "tcp", 20000, 64)
	}
	cases := []verdictCase{
		{"C8 across veth, every message", func() *fx { return local().pingVia("veth", "tcp", 24000, 64) }, "C8", Holds,
			"sockets serve communication across a link, between network namespaces on one host (path=veth; no second host was measured): tcp over veth delivered every message in every round; the first choice for distributed work by elimination only",
			"tcp over veth: round trip 64 B at pin=split (api=raw) 22.8 µs; ÷ unix-stream 2.6", "not measured"},
		{"C8 to another host", func() *fx {
			return local(PathConfigPrefix+"remote", "addr=10.0.0.2 if=eth1 driver=virtio_net mtu=1500").pingVia("remote", "tcp", 90000, 64).
				pingVia("", "udp", 19000, 64).pingVia("remote", "udp", 85000, 64)
		}, "C8", Holds, "between hosts (path=remote): tcp over remote and udp over remote delivered every message in every round",
			"ipcbench-path-remote: addr=10.0.0.2 if=eth1 driver=virtio_net mtu=1500", ""},
		{"C8 UDP loses across netem", func() *fx {
			return local().pingVia("veth", "tcp", 24000, 64).streamVia("", "unix-stream", 40, -1, 64).
				streamVia("", "udp", 12, 0, 64).streamVia("netem", "udp", 7, 3, 64)
		}, "C8", HoldsOnlyWhen, "the socket delivers every message across the link or its loss is tolerated, between network namespaces on one host (path=veth, netem; no second host was measured): tcp over veth delivered every message in every round, while udp over netem: Stream 64 B pin=split api=raw: lost 3.0",
			"udp over netem: throughput 64 B at pin=split (api=raw) 7.00 MB/s; ÷ unix-stream 0.18 [0.172–0.176]", ""},
		{"C8 nothing delivered", func() *fx {
			return local().failedVia("veth", "tcp", 24000, 3).streamVia("", "unix-stream", 40, -1, 64).streamVia("veth", "udp", 9, 5, 64)
		}, "C8", DoesNotHold, "no socket delivered every message across the link, between network namespaces on one host (path=veth; no second host was measured): tcp over veth: PingPong 64 B pin=split api=raw: failed, 3 of 6 rounds; udp over veth: Stream 64 B pin=split api=raw: lost 5.0",
			"tcp over veth: 1 case; PingPong 64 B pin=split api=raw: failed, 3 of 6 rounds", ""},
		{"C8 link set up, no result", func() *fx {
			return local(PathConfigPrefix+"veth", "if=ipcb0 driver=veth mtu=1500 speed=10000Mb/s")
		}, "C8", NotMeasured, "the run set up path=veth but has no socket result across it: every case across the link failed or was skipped",
			"set up but with no result across them (every case failed or was skipped): path=veth", ""},
		{"C8 loss not reported", func() *fx {
			return local().streamVia("", "unix-stream", 40, -1, 64).streamVia("", "udp", 12, 0, 64).streamVia("veth", "udp", 10, -1, 64)
		}, "C8", NotMeasured, "whether every message arrived is not reported (udp over veth)",
			"udp over veth: 1 case; Stream 64 B pin=split api=raw: no lost-% reported (its loopback case reports it)", ""},
		{"C8 across veth, no local Unix socket", func() *fx {
			return new(fx).pingVia("", "tcp", 20000, 64).pingVia("veth", "tcp", 24000, 64)
		}, "C8", NotMeasured, "the local half: needs Unix socket and TCP/UDP ping-pong results at the same size and pin. Measured: holds: sockets serve communication across a link",
			"tcp over veth: round trip 64 B at pin=split (api=raw) 22.8 µs; ÷ unix-stream —", ""},
	}
	runVerdictCases(t, cases)
}

// TestLinkSection: the section is there only with cases across a link;
// it names a path measured without a config line and one set up without
// a result, and has its anchor and entry in the page's contents; What is
// missing names the path set up without a result.
func TestLinkSection(t *testing.T) {
	none := new(fx).config(PathConfigPrefix+"netem", "if=ipcb1 driver=veth qdisc=netem delay=100us").pingVia("", "unix-stream", 9000, 64).pingVia("", "tcp", 20000, 64).results(t)
	if b := linkBlocks(none); b != nil {
		t.Errorf("a section without cases across a link: %v", b)
	}
	rep, err := Build(none, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if md := string(rep.Markdown()); strings.Contains(md, "## Local versus across a link") || !strings.Contains(md, "- path=netem was set up (ipcbench-path-netem: if=ipcb1 driver=veth qdisc=netem delay=100us) but no case across it has a result") {
		t.Error("without cases across a link: a section, or What is missing does not name the path set up")
	}

	r := new(fx).config(PathConfigPrefix+"netem", "if=ipcb1 driver=veth qdisc=netem delay=100us").pingVia("", "unix-stream", 9000, 64).pingVia("", "tcp", 20000, 64).pingVia("veth", "tcp", 24000, 64).results(t)
	md := string(linkSection(t, r))
	for _, want := range []string{
		"- ipcbench-path-netem: if=ipcb1 driver=veth qdisc=netem delay=100us",
		"- path=veth: measured, but the run wrote no ipcbench-path-veth line",
		"Set up but with no result across them (every case failed or was skipped): path=netem.",
		"| pin | api | size | unix-stream | tcp loopback | tcp over veth |",
		"| split | raw | 64 B | 8.55 µs ±1% | 19.0 µs ±1%<br>÷ unix-stream 2.23",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("section lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "Throughput (Stream MB/s)") {
		t.Error("a throughput table without streams across a link")
	}

	res, err := LoadFile(filepath.Join("testdata", "link.txt"))
	if err != nil {
		t.Fatal(err)
	}
	full, err := Build(res, Options{})
	if err != nil {
		t.Fatal(err)
	}
	page, err := full.HTML(full.PlaceholderImages())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<h2 id="local-versus-across-a-link">`, `<a href="#local-versus-across-a-link">`, `<h3 id="round-trip-pingpong-p50-local-against-across-a-link">`, `<h3 id="throughput-stream-mbs-local-against-across-a-link">`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("report.html lacks %s", want)
		}
	}
}

// TestComparePairedAcrossALink: ipcbench compare -paired compares the
// cases across a link too, each under its own key.
func TestComparePairedAcrossALink(t *testing.T) {
	before := new(fx).pingVia("", "tcp", 20000, 64).pingVia("veth", "tcp", 24000, 64).results(t)
	after := new(fx).pingVia("", "tcp", 20000, 64).pingVia("veth", "tcp", 30000, 64).results(t)
	var veth []PairedResult
	for _, p := range ComparePaired(before, after, []string{results.UnitP50}) {
		if p.Key.Path == "veth" {
			veth = append(veth, p)
		}
	}
	if len(veth) != 1 || veth[0].Outcome != PairedSlower {
		t.Errorf("tcp across veth: %+v, want one row, slower", veth)
	}
}
