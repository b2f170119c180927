package reports

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ipcbench/ipcbench/results"
)

// Options adjusts a report.
type Options struct {
	// Title heads the report; "ipcbench report" if empty.
	Title string
	// Source names the results file in the report; Results.Source if empty.
	Source string
	// Targets, if set, are the results the speed targets are judged on
	// (a run of the targets profile); else the main results.
	Targets *Results
	// Base, if set, is an earlier run: the report gets a section
	// "Changes since <base>" (CompareRuns) and Report.Changes.
	Base *Results
	// KneeP99 is the bound on the p99 response time that defines a rate
	// sweep's knee (DefaultKneeP99 if 0).
	KneeP99 time.Duration
}

// A Report is a built report: the document and the charts it shows.
// Build it with Build, write it with Write or read its text with
// Markdown and HTML.
type Report struct {
	Verdicts []Verdict
	Changes  *Changes // with Options.Base
	Charts   []*Chart
	Missing  []MissingChart
	doc      []block
	res      *Results // for Document
	opts     Options  // as Build completed them
}

// Build computes everything a report shows from res: verdicts, charts,
// tables. It writes nothing.
func Build(res *Results, opts Options) (*Report, error) {
	if res == nil {
		return nil, fmt.Errorf("reports: nil results")
	}
	if opts.Title == "" {
		opts.Title = "ipcbench report"
	}
	if opts.Source == "" {
		opts.Source = res.Source
	}
	charts, missing, err := Charts(res)
	if err != nil {
		return nil, err
	}
	lc, err := loadCharts(res, opts.KneeP99)
	if err != nil {
		return nil, err
	}
	charts = append(charts, lc...)
	rep := &Report{Verdicts: Verdicts(res), Charts: charts, Missing: missing, res: res, opts: opts}
	if opts.Base != nil {
		rep.Changes = CompareRuns(opts.Base, res)
	}
	rep.doc = rep.document(res, opts)
	return rep, nil
}

// Write builds the report of res and writes into dir (created if needed)
// report.md, report.html (the charts embedded), results.json
// (Report.JSON) and one PNG per chart (for report.md). It returns the
// paths written, report.md first.
func Write(dir string, res *Results, opts Options) ([]string, error) {
	rep, err := Build(res, opts)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	var paths []string
	write := func(name string, data []byte) error {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return fmt.Errorf("reports: %w", err)
		}
		paths = append(paths, p)
		return nil
	}
	pngs, err := rep.PNGs()
	if err != nil {
		return nil, err
	}
	page, err := rep.HTML(pngs)
	if err != nil {
		return nil, err
	}
	if err := write("report.md", rep.Markdown()); err != nil {
		return nil, err
	}
	if err := write("report.html", page); err != nil {
		return nil, err
	}
	js, err := rep.JSON()
	if err != nil {
		return nil, err
	}
	if err := write("results.json", js); err != nil {
		return nil, err
	}
	for _, c := range rep.Charts {
		if err := write(c.File, pngs[c.File]); err != nil {
			return nil, err
		}
	}
	return paths, nil
}

// document lays out the report.
func (rep *Report) document(res *Results, opts Options) []block {
	var d []block
	add := func(b ...block) { d = append(d, b...) }
	add(heading{1, opts.Title}, para{runLine(res, opts)})
	if w := placementWarning(res); w != "" {
		add(para{w})
	}

	// The answer: what to use, per placement and size.
	add(heading{2, "The answer: which mechanism for your messages"})
	add(recommendBlocks(res)...)

	// Verdict table, then each claim's figures.
	add(heading{2, "Verdict on the article's claims"})
	t := table{Header: []string{"#", "claim", "verdict"}, Class: "verdict"}
	for _, v := range rep.Verdicts {
		t.Rows = append(t.Rows, []string{v.ID, v.Claim, v.Text()})
	}
	add(t, para{fmt.Sprintf("Each verdict is computed from this run by a rule in reports/verdict.go (one function per claim); the claims are those of seed/CLAIMS.md; the figures behind each follow. Latency is the p50 round trip (the per-op median, median over rounds), throughput MB/s (median over rounds). %s Intervals: %s %s", pairedMethod, intervalMethod(), res.nText(results.BenchPingPong, results.BenchStream))})
	for _, v := range rep.Verdicts {
		add(heading{3, v.ID + ": the figures"})
		if len(v.Figures) == 0 {
			add(para{"No figures: " + v.Text() + "."})
			continue
		}
		add(list{v.Figures})
	}

	if rep.Changes != nil {
		add(heading{2, "Changes since " + rep.Changes.Base})
		add(changeBlocks(rep.Changes, opts.Source)...)
	}

	// Fastest at each size, per placement.
	add(heading{2, "Fastest transport at each size"})
	cm := res.cpuMetric()
	if len(res.mainSizes(results.BenchPingPong))+len(res.mainSizes(results.BenchStream)) == 0 {
		add(para{"No ping-pong or stream results: nothing to rank."})
	} else {
		add(para{"The placement changes the answer, so each placement has its own table. \"Any\" ranks every transport by its copying API (raw, else runtime); \"sleeping\" leaves out the spinning shared-memory transports (*-spin, shm-hybrid), which win only by keeping a CPU busy while they wait; zero-copy (api=zerocopy) is ranked on its own. Transports named after \"not distinguishable\" are those whose ratio to the best one, round by round, has an interval that contains 1. " + res.nText(results.BenchPingPong, results.BenchStream)})
		for _, pin := range res.claimPins() {
			add(heading{3, "pin=" + pin + pinGloss(pin)})
			add(fastestTable(res, pin, cm))
		}
		var items []string
		for _, pin := range res.claimPins() {
			for _, m := range []metric{metricLatency, metricThroughput} {
				for _, sd := range shmSides {
					ds := measurable(res.duels(m, pin, sd, sideKernel))
					if len(ds) == 0 {
						continue
					}
					lead := fmt.Sprintf("pin=%s, %s, %s", pin, m.Name, sd.Name)
					items = append(items, lead+": "+crossoverText(ds))
				}
			}
		}
		add(para{"Crossover (the best shared-memory transport of each class against the best kernel transport, size by size; a tie is not a win):"}, list{items})
	}

	// Stability: the drift probes' verdict on each round.
	add(heading{2, "Stability of this run"})
	add(stabilityBlocks(res)...)
	undecidedAt := len(d) // filled in last, once every comparison is made

	// The Go runtime path.
	if b := runtimeBlocks(res); len(b) > 0 {
		add(heading{2, "The Go runtime path at every placement"})
		add(b...)
	}

	// The frameworks: gRPC and HTTP over a Unix socket.
	if b := frameworkBlocks(res); len(b) > 0 {
		add(heading{2, "What a framework costs"})
		add(b...)
	}

	// The sockets across a link (path=veth, netem, remote) against the
	// local ones: the only section that reads Results.Links.
	if b := linkBlocks(res); len(b) > 0 {
		add(heading{2, "Local versus across a link"})
		add(b...)
	}

	// Load: fixed rates, many pairs, many clients (Results.Load).
	if b := loadBlocks(res, opts.KneeP99); len(b) > 0 {
		add(heading{2, "Under load"})
		add(b...)
	}

	// Floors and the harness's own cost.
	add(heading{2, "Reference floors and the harness's own cost"})
	add(floorBlocks(res)...)

	// Speed targets, round by round.
	add(heading{2, "Speed targets, round by round"})
	if opts.Targets != nil {
		add(targetBlocks(opts.Targets, opts.Targets.Source)...)
	} else {
		add(targetBlocks(res, opts.Source)...)
	}

	// Charts.
	add(heading{2, "Charts"})
	for _, c := range rep.Charts {
		add(heading{3, c.plot.Title.Text}, imageBlock{c.File, c.plot.Title.Text}, para{c.Caption})
	}
	if len(rep.Missing) > 0 {
		var items []string
		for _, m := range rep.Missing {
			items = append(items, fmt.Sprintf("%s (%s): not drawn, %s", m.Title, m.File, m.Reason))
		}
		add(para{"Charts not drawn because their data is absent from the results:"}, list{items})
	}

	// Per-transport tables, one per placement.
	for _, m := range []metric{metricLatency, metricThroughput, cm} {
		for _, pin := range res.pins(m.Bench) {
			add(heading{2, strings.ToUpper(m.Name[:1]) + m.Name[1:] + " by transport (" + m.Bench + " " + m.Unit + ", pin=" + pin + ")"})
			add(transportTable(res, m, pin)...)
		}
		if len(res.pins(m.Bench)) == 0 {
			add(heading{2, strings.ToUpper(m.Name[:1]) + m.Name[1:] + " by transport (" + m.Bench + " " + m.Unit + ")"})
			add(para{"Not measured in this run."})
		}
	}

	// Missing.
	add(heading{2, "What is missing"})
	add(list{missingItems(res, rep)})

	// Environment.
	add(heading{2, "Environment"})
	if len(res.Config) == 0 {
		add(para{"The results carry no configuration lines."})
	} else {
		et := table{Header: []string{"key", "value"}}
		for _, c := range res.Config {
			et.Rows = append(et.Rows, []string{c.Key, c.Value()})
		}
		add(et)
	}

	// Method.
	add(heading{2, "Method"})
	add(list{[]string{
		"Samples: one value per result line, one result line per case and round (ipcbench run measures every case once per round; go test -count N gives N). Figures are medians over rounds (github.com/montanaflynn/stats). ns/op is the mean time per op within a round; p50/p90/p99/p99.9/max are percentiles of every op's time within a round (the harness's histogram); the headline latency is p50.",
		"Comparisons: " + pairedMethod,
		"Percentiles over samples (quartiles): " + PercentileDefinition + ".",
		"Intervals: " + intervalMethod(),
		"Placement: pin=split puts the two processes on different CPUs, pin=same on one CPU. Verdicts and rankings are computed at every placement in the results; the latency, frontier and api charts are drawn at each placement, the other charts at pin=" + res.mainPin(results.BenchPingPong) + ", and the pin chart sets the two side by side.",
		"API: per transport, api=raw where it exists, else api=runtime. api=zerocopy (the shared-memory transports' borrow/commit interface, no copy into or out of the ring) is always reported on its own, never mixed with the copying APIs.",
		"Classes: shared memory = the shm-*, mmap-* and sysvshm-* transports; kernel transports (message passing) = every other transport. Shared memory is judged in two classes, like with like: spinning (*-spin, and shm-hybrid, which spins up to about a futex wake-up's cost before it sleeps) and blocking (futex, sem, sysvsem, eventfd, signal waits), each against the best kernel transport. A spinner's price is its CPU: cpu-ns/op covers both processes, and CPUs busy = cpu-ns/op ÷ ns/op.",
		fmt.Sprintf("C7 treats fifo and pipe as the same when their paired ratio is not distinguishable from 1 or its median differs from 1 by at most %.0f %%; C5 counts a queue as keeping up with pipes and Unix sockets on the same terms.", 100*SameTolerance),
	}})

	if len(res.Warnings) > 0 {
		add(heading{2, "Warnings"})
		add(list{res.Warnings})
	}
	return slices.Insert(d, undecidedAt, undecidedBlocks(res)...)
}

func intervalMethod() string {
	return fmt.Sprintf("%.0f %% confidence interval of the median (golang.org/x/perf/benchmath, distribution-free, alpha = %.2f) when there are at least %d rounds; with fewer the min–max range, marked †.", 100*(1-Alpha), Alpha, MinCISamples)
}

// fastestCell names the best transport for m at size at the main pin,
// and those not distinguishable from it.
func fastestCell(r *Results, m metric, size int) string {
	return r.rankCell(r.at(m.Bench, m.Unit, size), m)
}

// rankCell names the best of pts for m and those not distinguishable
// from it.
func (r *Results) rankCell(pts []point, m metric) string {
	b, ties, ok := r.best(pts, m.LowerBetter)
	if !ok {
		return "not measured"
	}
	s := pointFig(b, m.Format) + r.tail(b.Key, m)
	if len(ties) > 0 {
		s += "; not distinguishable: " + transportList(ties)
	}
	return s
}

func pinGloss(pin string) string {
	switch pin {
	case "split":
		return " (two processes on two CPUs)"
	case "same":
		return " (both processes on one CPU)"
	}
	return ""
}

// A rankColumn is one question of the "fastest transport" tables: which
// transports it ranks at a size and pin, and on which metric.
type rankColumn struct {
	ID, Header string
	Metric     metric
	Points     func(r *Results, size int, pin string) []point
}

// rankColumns are the columns of the fastest tables, in order, with cm the
// run's CPU-cost metric (cpuMetric).
func rankColumns(cm metric) []rankColumn {
	lat := func(r *Results, size int, pin string) []point {
		return r.atPin(results.BenchPingPong, latencyUnit, size, pin)
	}
	thr := func(r *Results, size int, pin string) []point {
		return r.atPin(results.BenchStream, results.UnitMBs, size, pin)
	}
	sleeping := func(f func(*Results, int, string) []point) func(*Results, int, string) []point {
		return func(r *Results, size int, pin string) []point { return filter(f(r, size, pin), r.notSpinning) }
	}
	return []rankColumn{
		{"latency", "lowest round-trip latency, any (PingPong p50)", metricLatency, lat},
		{"latency-sleeping", "lowest round-trip latency, sleeping waits only", metricLatency, sleeping(lat)},
		{"throughput", "highest throughput, any (Stream MB/s)", metricThroughput, thr},
		{"throughput-sleeping", "highest throughput, sleeping waits only", metricThroughput, sleeping(thr)},
		{"cpu", "lowest " + cm.Name + " (" + cm.Bench + " cpu-ns/op, both processes)", cm, func(r *Results, size int, pin string) []point {
			return r.atPin(cm.Bench, cm.Unit, size, pin)
		}},
		{"zerocopy-latency", "zero-copy round trip (api=zerocopy)", metricLatency, func(r *Results, size int, pin string) []point {
			return r.atAPI(results.BenchPingPong, latencyUnit, size, pin, APIZeroCopy)
		}},
	}
}

// rankSizes are the sizes the fastest tables have a row for: the main
// sizes of PingPong and Stream.
func (r *Results) rankSizes() []int {
	sizes := map[int]bool{}
	for _, b := range []string{results.BenchPingPong, results.BenchStream} {
		for _, s := range r.mainSizes(b) {
			sizes[s] = true
		}
	}
	return sortedInts(sizes)
}

// fastestTable ranks the transports at pin, size by size.
func fastestTable(r *Results, pin string, cm metric) table {
	cols := rankColumns(cm)
	t := table{Header: []string{"size"}}
	for _, c := range cols {
		t.Header = append(t.Header, c.Header)
	}
	for _, size := range r.rankSizes() {
		row := []string{SizeLabel(size)}
		for _, c := range cols {
			row = append(row, r.rankCell(c.Points(r, size, pin), c.Metric))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// A Ranking is one cell of the fastest tables as data: at Pin and Size,
// on the question Column (a rankColumn ID), the Best transport and every
// transport of the cell not distinguishable from it, Best included,
// sorted (Set). Two runs that answer alike have equal Rankings.
type Ranking struct {
	Pin    string
	Size   int
	Column string
	Best   string
	Set    []string
}

// ID names the cell: "rank:<pin>/<size>/<column>".
func (k Ranking) ID() string {
	return fmt.Sprintf("rank:pin=%s/size=%d/%s", k.Pin, k.Size, k.Column)
}

// Rankings are the cells of the report's fastest tables (every placement
// of claimPins, every size of rankSizes, every column), in table order,
// leaving out the cells with nothing measured.
func Rankings(r *Results) []Ranking {
	var out []Ranking
	cols := rankColumns(r.cpuMetric())
	for _, pin := range r.claimPins() {
		for _, size := range r.rankSizes() {
			for _, c := range cols {
				b, ties, ok := r.best(c.Points(r, size, pin), c.Metric.LowerBetter)
				if !ok {
					continue
				}
				k := Ranking{Pin: pin, Size: size, Column: c.ID, Best: b.Transport, Set: []string{b.Transport}}
				for _, p := range ties {
					k.Set = append(k.Set, p.Transport)
				}
				slices.Sort(k.Set)
				out = append(out, k)
			}
		}
	}
	return out
}

// runtimeBlocks is the section on api=runtime: its round trip at each
// placement with api=raw beside it, at the smallest size and at 64 KiB.
func runtimeBlocks(r *Results) []block {
	var sizes []int
	if s, ok := r.smallestSize(results.BenchPingPong); ok {
		sizes = append(sizes, s)
	}
	if s := 65536; len(sizes) == 0 || sizes[0] != s {
		sizes = append(sizes, s)
	}
	pins := []string{"split", "same", "none"}
	// pin=none is measured for api=runtime only: no ratio column.
	withRaw := map[string]bool{"split": true, "same": true}
	hdr := []string{"transport", "size"}
	for _, pin := range pins {
		hdr = append(hdr, "pin="+pin+" runtime")
		if withRaw[pin] {
			hdr = append(hdr, "pin="+pin+" runtime ÷ raw")
		}
	}
	t := table{Header: hdr}
	for _, tr := range r.Transports(results.BenchPingPong) {
		for _, size := range sizes {
			row := []string{tr, SizeLabel(size)}
			any := false
			for _, pin := range pins {
				k := Key{Bench: results.BenchPingPong, Transport: tr, API: "runtime", Pin: pin, Size: size}
				rt, ok := r.Stat(k, results.UnitP50)
				if !ok {
					row = append(row, "—")
					if withRaw[pin] {
						row = append(row, "—")
					}
					continue
				}
				any = true
				row = append(row, fmtNs(rt.Median)+spread(rt))
				if !withRaw[pin] {
					continue
				}
				rawKey := Key{Bench: results.BenchPingPong, Transport: tr, API: "raw", Pin: pin, Size: size}
				raw := r.Get(rawKey, results.UnitP50)
				if raw == nil || len(raw.Values) != rt.N {
					row = append(row, "—")
					continue
				}
				row = append(row, r.pairCell(k, rawKey, results.UnitP50))
			}
			if any {
				t.Rows = append(t.Rows, row)
			}
		}
	}
	if len(t.Rows) == 0 {
		return nil
	}
	return []block{
		para{"api=runtime is what a Go program gets: os.File and net.Conn on the runtime's poller, the data goroutine an ordinary goroutine. Its pin confines each process as a whole (every thread, as taskset does; GOMAXPROCS as the runtime picks it for that mask: the gomaxprocs-pin-* lines under Environment), and pin=none is a Go service that nobody placed. api=raw pins only the data thread of each process (the pin-scope line). Figures: the p50 round trip, median over rounds; runtime ÷ raw is the ratio of the two in each round, median of those ratios [interval]; — = not measured. " + r.nText(results.BenchPingPong)},
		t,
	}
}

// floorBlocks writes the reference floors (BenchmarkFloor) and the
// harness's own cost (BenchmarkBaseline) against the pipe transport.
func floorBlocks(r *Results) []block {
	var out []block
	pins := []string{"split", "same"}
	cell := func(k Key, unit string, f func(float64) string) string {
		s, ok := r.Stat(k, unit)
		if !ok {
			return "—"
		}
		return f(s.Median) + spread(s)
	}
	lat := table{Header: []string{"floor", "what it measures", "pin=split", "pin=same"}}
	for _, fl := range []struct{ op, name, what string }{
		{"cacheline", "cache line", "two processes bounce one cache line: the fastest possible round trip (BenchmarkFloor/op=cacheline, size 64)"},
		{"futex", "futex", "futex wake round trip between two processes: the cheapest sleeping wait (op=futex)"},
		{"syscall", "system call", "one trivial system call, getppid (op=syscall)"},
	} {
		row := []string{fl.name, fl.what}
		any := false
		for _, pin := range pins {
			k, ok := r.findKey(results.BenchFloor, func(k Key) bool { return k.Op == fl.op && k.Pin == pin })
			if !ok {
				row = append(row, "—")
				continue
			}
			any = true
			row = append(row, cell(k, results.UnitNsOp, fmtNs))
		}
		if any {
			lat.Rows = append(lat.Rows, row)
		}
	}
	if len(lat.Rows) > 0 {
		out = append(out, para{"Latency floors (ns/op, the mean time per op in a round, median over rounds; — = not measured at that placement; one-process operations are named pin=same). " + r.nText(results.BenchFloor)}, lat)
	}
	sizes := map[int]bool{}
	for _, k := range r.Keys(results.BenchFloor) {
		if (k.Op == "copyloop" || k.Op == "ring" || k.Op == "memcpy") && k.Size > 0 {
			sizes[k.Size] = true
		}
	}
	if len(sizes) > 0 {
		bw := table{Header: []string{"floor", "pin"}}
		for _, s := range sortedInts(sizes) {
			bw.Header = append(bw.Header, SizeLabel(s))
		}
		for _, fl := range []struct{ op, name string }{{"copyloop", "copy loop (two processes, one mapping)"}, {"ring", "SPSC ring (two processes, 1 MiB of slots)"}, {"memcpy", "memcpy (one core)"}} {
			for _, pin := range pins {
				row := []string{fl.name, pin}
				any := false
				for _, s := range sortedInts(sizes) {
					k := Key{Bench: results.BenchFloor, Op: fl.op, Pin: pin, Size: s}
					if r.Get(k, results.UnitMBs) != nil {
						any = true
					}
					row = append(row, cell(k, results.UnitMBs, fmtMBs))
				}
				if any {
					bw.Rows = append(bw.Rows, row)
				}
			}
		}
		out = append(out, para{"Bandwidth floors (MB/s, median over rounds): the copy loop is the shortest two-process stream through one shared mapping (two slots); the SPSC ring is the single-producer single-consumer ring a careful C programmer writes (1 MiB of slots, an index per side on its own cache line, each side caching the other's): the two ceilings for a copying shared-memory transport at that placement; memcpy is one core copying, the ceiling for any copy."}, bw)
	}
	// The harness's own cost.
	if hk, ok := r.findKey(results.BenchBaseline, func(k Key) bool { return k.Op == "harness" }); ok {
		h, _ := r.Stat(hk, results.UnitNsOp)
		out = append(out, para{fmt.Sprintf("The harness's own cost per operation (BenchmarkBaseline/op=harness, pin=%s): %s%s.", hk.Pin, fmtNs(h.Median), spread(h))})
	}
	size, _ := r.smallestSize(results.BenchPingPong)
	ht := table{Header: []string{"pin", "bare pipe loop (Baseline/op=rawpipe)", fmt.Sprintf("pipe transport (PingPong/transport=pipe/api=raw, %s)", SizeLabel(size)), "pipe ÷ rawpipe", "verdict"}}
	for _, pin := range pins {
		rk, ok1 := r.findKey(results.BenchBaseline, func(k Key) bool {
			return k.Op == "rawpipe" && k.Pin == pin && (k.Size == size || k.Size == results.NoSize)
		})
		rs, ok2 := r.Stat(rk, results.UnitNsOp)
		pk := Key{Bench: results.BenchPingPong, Transport: "pipe", API: "raw", Pin: pin, Size: size}
		ps, ok3 := r.Stat(pk, results.UnitNsOp)
		if !ok1 || !ok2 || !ok3 {
			continue
		}
		o := r.Pair(pk, rk, results.UnitNsOp).Order(true)
		ht.Rows = append(ht.Rows, []string{pin, fmtNs(rs.Median) + spread(rs), fmtNs(ps.Median) + spread(ps), ratio(ps.Median, rs.Median), "the transport is " + relWord(o, true) + " the bare loop"})
	}
	if len(ht.Rows) > 0 {
		out = append(out, para{"What the suite adds to a bare pipe: the pipe transport's round trip through the harness against a minimal two-process pipe loop with no harness, same message size:"}, ht)
	}
	if len(out) == 0 {
		out = append(out, para{"No BenchmarkFloor or BenchmarkBaseline results."})
	}
	return out
}

// placementShift is the ratio between the slowest and the fastest run of
// the two-process cache-line floor beyond which the report warns that the
// machine itself changed during the run.
const placementShift = 1.5

// placementWarning says so when the cache-line floor at pin=split moved by
// more than placementShift between runs: on a virtual machine the host may
// place the two virtual CPUs on cores further apart for a while (seen on
// the development machine: 75 ns and 380 ns round trips, seconds to
// minutes apart), which shifts every cross-CPU figure. Ratios of figures from different rounds
// then compare two machines; "" when the floor held still or is missing.
func placementWarning(r *Results) string {
	k, ok := r.findKey(results.BenchFloor, func(k Key) bool { return k.Op == "cacheline" && k.Pin == "split" })
	if !ok {
		return ""
	}
	s, ok := r.Stat(k, results.UnitNsOp)
	if !ok || s.N < 2 || s.Min <= 0 || s.Max/s.Min <= placementShift {
		return ""
	}
	return fmt.Sprintf("Warning: the cache-line floor at pin=split ranged from %s to %s over %d runs (%.1f×): the machine changed under the run (on a virtual machine, most likely the host placing the two virtual CPUs on cores further apart for a while). Every cross-CPU figure moves with it, so medians mix two machines; compare ratios within one round (the results file keeps the rounds in order) or run again.", fmtNs(s.Min), fmtNs(s.Max), s.N, s.Max/s.Min)
}

// spread formats a summary's interval as ±percent of the median.
func spread(s Summary) string {
	if s.N < 2 || s.Median == 0 {
		return " (n=1)"
	}
	v := math.Max(s.Hi/s.Median-1, 1-s.Lo/s.Median)
	mark := ""
	if !s.CI {
		mark = "†"
	}
	return fmt.Sprintf(" ±%.0f%%%s", 100*v, mark)
}

func transportTable(r *Results, m metric, pin string) []block {
	sizes := r.mainSizes(m.Bench)
	ts := r.Transports(m.Bench)
	if len(sizes) == 0 || len(ts) == 0 {
		return []block{para{"Not measured in this run."}}
	}
	var notes []block
	t := table{Header: []string{"transport", "class", "api"}}
	for _, s := range sizes {
		t.Header = append(t.Header, SizeLabel(s))
	}
	addRow := func(tr string, key func(size int) (Key, bool)) {
		row := []string{tr, r.WaitClass(tr), ""}
		any := false
		for _, size := range sizes {
			k, ok := key(size)
			if !ok {
				row = append(row, "—")
				continue
			}
			s, _ := r.Stat(k, m.Unit)
			if row[2] == "" {
				row[2] = k.API
			} else if !strings.Contains(row[2], k.API) {
				row[2] += "/" + k.API
			}
			row = append(row, m.Format(s.Median)+spread(s)+r.tail(k, m))
			any = true
		}
		if any {
			t.Rows = append(t.Rows, row)
		}
	}
	for _, tr := range ts {
		if tr == "signal" {
			var figs []string
			for _, size := range r.Sizes(m.Bench, tr) {
				if k, ok := r.primaryKey(m.Bench, tr, size, pin, m.Unit); ok {
					s, _ := r.Stat(k, m.Unit)
					figs = append(figs, fmt.Sprintf("%s at %s", m.Format(s.Median)+spread(s), SizeLabel(size)))
				}
			}
			if len(figs) > 0 {
				notes = append(notes, para{"signal (payload: one sigqueue value): " + strings.Join(figs, ", ") + "."})
			}
			continue
		}
		addRow(tr, func(size int) (Key, bool) { return r.primaryKey(m.Bench, tr, size, pin, m.Unit) })
	}
	for _, tr := range ts {
		addRow(tr, func(size int) (Key, bool) {
			k := Key{Bench: m.Bench, Transport: tr, API: APIZeroCopy, Pin: pin, Size: size}
			return k, r.Get(k, m.Unit) != nil
		})
	}
	if len(t.Rows) == 0 {
		return []block{para{"Not measured in this run."}}
	}
	what := "Median over rounds"
	if m.Unit == latencyUnit {
		what = "p50 round trip, median over rounds"
	}
	return append([]block{para{fmt.Sprintf("pin=%s%s. %s ± the half-width of its interval as a percentage of the median; — = not measured (a size above the transport's limit is skipped). Zero-copy rows (api=zerocopy) come last. %s", pin, pinGloss(pin), what, r.nText(m.Bench))}, t}, notes...)
}

// missingItems lists what the run lacks: transports, sizes, reference
// floors, experiments.
func missingItems(r *Results, rep *Report) []string {
	var items []string
	have := map[string]bool{}
	for _, t := range r.Transports("") {
		have[t] = true
	}
	known := r.knownTransports()
	var absent []string
	for _, t := range known {
		if !have[t] {
			absent = append(absent, t)
		}
	}
	if len(absent) > 0 {
		items = append(items, fmt.Sprintf("Transports with no results at all (%d of %d known): %s.", len(absent), len(known), strings.Join(absent, ", ")))
	} else {
		items = append(items, "Every known transport has results.")
	}
	for _, sk := range r.skipped() {
		items = append(items, fmt.Sprintf("%s: %d cases not run, as they cannot run here: %s.", sk.Transport, sk.Cases, sk.Reasons))
	}
	for _, b := range []string{results.BenchPingPong, results.BenchStream} {
		all := r.mainSizes(b)
		if len(all) == 0 {
			items = append(items, fmt.Sprintf("No Benchmark%s results.", b))
			continue
		}
		var lines []string
		for _, t := range r.Transports(b) {
			if t == "signal" {
				continue
			}
			has := map[int]bool{}
			for _, s := range r.Sizes(b, t) {
				has[s] = true
			}
			var lack []int
			for _, s := range all {
				if !has[s] {
					lack = append(lack, s)
				}
			}
			if len(lack) > 0 {
				lines = append(lines, fmt.Sprintf("%s (%s)", t, sizeList(lack)))
			}
		}
		if len(lines) > 0 {
			items = append(items, fmt.Sprintf("Benchmark%s sizes skipped (above the transport's limit, or not run): %s.", b, strings.Join(lines, "; ")))
		}
		var notIn []string
		for _, t := range r.Transports("") {
			if len(r.Sizes(b, t)) == 0 && t != "signal" {
				notIn = append(notIn, t)
			}
		}
		if len(notIn) > 0 {
			items = append(items, fmt.Sprintf("Transports without Benchmark%s results: %s.", b, strings.Join(notIn, ", ")))
		}
	}
	floors := map[string]bool{}
	for _, k := range r.Keys(results.BenchFloor) {
		floors[k.Op] = true
	}
	var noFloor []string
	for _, op := range []string{"cacheline", "memcpy", "syscall", "futex", "copyloop", "ring"} {
		if !floors[op] {
			noFloor = append(noFloor, op)
		}
	}
	if len(noFloor) > 0 {
		items = append(items, "Reference floors absent (BenchmarkFloor/op=…): "+strings.Join(noFloor, ", ")+".")
	}
	if len(r.Keys(results.BenchSignalFlood)) == 0 {
		items = append(items, "No BenchmarkSignalFlood results (signal loss).")
	}
	if len(r.Keys(results.BenchBaseline)) == 0 {
		items = append(items, "No BenchmarkBaseline results (minimal raw pipe ping-pong).")
	}
	for _, l := range r.unmeasuredPaths() {
		items = append(items, fmt.Sprintf("path=%s was set up (%s: %s) but no case across it has a result: every one failed or was skipped.", l.Path, l.Key, l.Value))
	}
	for _, m := range rep.Missing {
		items = append(items, fmt.Sprintf("Chart %s not drawn: %s.", m.File, m.Reason))
	}
	var nm []string
	for _, v := range rep.Verdicts {
		if v.Status == NotMeasured {
			nm = append(nm, v.ID)
		}
	}
	if len(nm) > 0 {
		items = append(items, "Claims not measured here: "+strings.Join(nm, ", ")+".")
	}
	return items
}
