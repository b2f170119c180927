package reports

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ipcbench/ipcbench/results"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The section "Under load": the load benchmarks (results.BenchRate,
// BenchPairs, BenchFanIn). Their series are Results.Load, never
// Results.Series (parse.go), so that no closed-loop section ranks a rate
// point as a ping-pong or counts its sizes; they are read here only.

// DefaultKneeP99 is the bound on the p99 response time that defines a
// rate sweep's knee when Options.KneeP99 is not set.
const DefaultKneeP99 = time.Millisecond

// isLoad reports whether k is a load benchmark's key.
func isLoad(k Key) bool {
	switch k.Bench {
	case results.BenchRate, results.BenchPairs, results.BenchFanIn:
		return true
	}
	return false
}

// LoadKeys returns the distinct keys of load benchmark bench (every load
// benchmark if ""), sorted.
func (r *Results) LoadKeys(bench string) []Key { return distinctKeys(r.Load, bench) }

// A RatePoint is one offered rate of a sweep: medians over the rounds
// that kept their schedule (all rounds when none did) of the response,
// service and lag percentiles and the CPU per message, and how many of its
// rounds fell behind (results.UnitInvalid): a round that fell behind is
// left out of the figures, never averaged in.
type RatePoint struct {
	Rate                  int
	Resp50, Resp99, Svc50 Summary
	Lag99, CPU, RecvCPU   Summary
	SentRate              Summary
	Rounds, Invalid       int
}

// Kept reports whether most rounds of p kept their schedule: its figures
// are then those of the rounds that did.
func (p RatePoint) Kept() bool { return p.Rounds > 0 && 2*p.Invalid < p.Rounds }

// A RateSweep is the rate points of one transport, api, pin and size, by
// rising rate, and its knee under a bound on the p99 response time.
type RateSweep struct {
	Key    Key // the points' key without the rate
	Points []RatePoint
	// Knee is the highest offered rate up to which every point kept its
	// schedule in most rounds (Kept) with a median p99 response time
	// within the bound; 0 when the lowest rate already did not.
	Knee int
	// Saturated is the lowest offered rate at which a round fell behind
	// its schedule (0: none did).
	Saturated int
}

// RateSweeps returns the sweeps of the run's BenchmarkRate results, in
// key order, with their knees under bound (DefaultKneeP99 if 0).
func (r *Results) RateSweeps(bound time.Duration) []RateSweep {
	if bound <= 0 {
		bound = DefaultKneeP99
	}
	var out []RateSweep
	at := map[Key]int{}
	for _, k := range r.LoadKeys(results.BenchRate) {
		base := k
		base.Rate = 0
		i, ok := at[base]
		if !ok {
			i = len(out)
			at[base] = i
			out = append(out, RateSweep{Key: base})
		}
		out[i].Points = append(out[i].Points, r.ratePoint(k))
	}
	for i := range out {
		sw := &out[i]
		slices.SortFunc(sw.Points, func(a, b RatePoint) int { return a.Rate - b.Rate })
		sw.Knee = kneeOf(sw.Points, float64(bound.Nanoseconds()))
		for _, p := range sw.Points {
			if p.Invalid > 0 {
				sw.Saturated = p.Rate
				break
			}
		}
	}
	return out
}

func (r *Results) ratePoint(k Key) RatePoint {
	p := RatePoint{Rate: k.Rate}
	// The rounds that kept the schedule; all of them when none did, so
	// that the point still shows what happened (marked).
	var kept []bool
	if s := r.Get(k, results.UnitInvalid); s != nil {
		p.Rounds = len(s.Values)
		for _, v := range s.Values {
			kept = append(kept, v == 0)
			if v != 0 {
				p.Invalid++
			}
		}
	}
	stat := func(unit string) Summary {
		s := r.Get(k, unit)
		if s == nil || len(s.Values) == 0 {
			return Summary{}
		}
		var vs []float64
		for i, v := range s.Values {
			if p.Invalid == p.Rounds || i >= len(kept) || kept[i] {
				vs = append(vs, v)
			}
		}
		return Summarize(vs)
	}
	p.Resp50, p.Resp99, p.Svc50 = stat(results.UnitRespP50), stat(results.UnitRespP99), stat(results.UnitSvcP50)
	p.Lag99, p.CPU, p.RecvCPU = stat(results.UnitLagP99), stat(results.UnitCPU), stat(results.UnitRecvCPU)
	p.SentRate = stat(results.UnitSentRate)
	return p
}

// kneeOf is the highest rate of points (by rising rate) up to which every
// point kept its schedule in most rounds with a median p99 response time
// within bound (ns); 0 when the first did not.
func kneeOf(points []RatePoint, bound float64) int {
	knee := 0
	for _, p := range points {
		if !p.Kept() || !p.Resp99.Valid() || p.Resp99.Median > bound {
			break
		}
		knee = p.Rate
	}
	return knee
}

// fmtRate is an offered rate in messages per second: "100/s", "30k/s",
// "1M/s".
func fmtRate(rate int) string {
	switch {
	case rate >= 1e6 && rate%1e6 == 0:
		return strconv.Itoa(rate/1e6) + "M/s"
	case rate >= 1e3 && rate%1e3 == 0:
		return strconv.Itoa(rate/1e3) + "k/s"
	}
	return strconv.Itoa(rate) + "/s"
}

// fmtMsgRate is a measured rate in messages per second, to three
// significant digits: "41.2k msg/s".
func fmtMsgRate(v float64) string {
	switch {
	case v >= 1e6:
		return sig3(v/1e6) + "M msg/s"
	case v >= 1e3:
		return sig3(v/1e3) + "k msg/s"
	}
	return sig3(v) + " msg/s"
}

// loadBlocks is the section "Under load": the rate sweeps' tables and
// knees (bound: the knee's p99 bound), many pairs and many clients.
func loadBlocks(r *Results, bound time.Duration) []block {
	if bound <= 0 {
		bound = DefaultKneeP99
	}
	d := rateBlocks(r, bound)
	if b := countBlocks(r, results.BenchPairs, "pairs", func(k Key) int { return k.Pairs }); len(b) > 0 {
		d = append(d, heading{3, "Many pairs at once"},
			para{"BenchmarkPairs: N independent ping-pong pairs (2N processes), started behind one barrier and measured over one shared window. Each cell: the round trips of all pairs per second; its scaling efficiency, the ratio to pairs=1 of the same round divided by N (1: N pairs do N times the work of one); Jain's fairness index of the pairs' rates (1: equal shares, 1/N: one pair got everything); the worst pair's p99; the CPU time of every process per round trip; \"oversubscribed\" when the spinning sides outnumber the CPUs. Medians over rounds; " + r.loadN(results.BenchPairs)})
		d = append(d, b...)
	}
	if b := countBlocks(r, results.BenchFanIn, "clients", func(k Key) int { return k.Clients }); len(b) > 0 {
		d = append(d, heading{3, "Many clients, one server"},
			para{"BenchmarkFanIn: N client processes ping-pong with one server process that serves them all, the way a local daemon is used: api=runtime serves each client on a goroutine of its own (the runtime's poller), api=raw on one locked thread with epoll; the shared-memory transports give each client its own ring pair and the server waits on all of them with the transport's wait (shm-spin polls every ring, shm-futex sleeps on every ring's futex word at once with futex_waitv, shm-hybrid spins over the rings and then sleeps as shm-futex). Each cell: as for the pairs, and the server's CPU time per round trip. Medians over rounds; " + r.loadN(results.BenchFanIn)})
		d = append(d, b...)
	}
	return d
}

// rateBlocks are the rate sweeps' tables.
func rateBlocks(r *Results, bound time.Duration) []block {
	sweeps := r.RateSweeps(bound)
	if len(sweeps) == 0 {
		return nil
	}
	var d []block
	d = append(d, heading{3, "Latency at a fixed offered rate (open loop)"},
		para{fmt.Sprintf("BenchmarkRate: the parent sends message i at its intended time t0 + i/rate whatever became of the earlier ones, and the peer times each arrival from the intended send (response time: it includes any queue the schedule built up) and from the actual send (service time). A round falls behind its schedule when its achieved rate is under %.0f %% of the offered one or the sender's lag p99 over one interval: it is left out of the figures (never averaged in), and a point where most rounds fell behind is marked ✗, its figures those of every round, shown and never used. The knee is the highest offered rate up to which every point kept its schedule with a p99 response time within %v (ipcbench report -knee-p99). Figures: medians over the rounds that kept the schedule; %s", 100*minAchieved, bound, r.loadN(results.BenchRate))})
	type group struct {
		pin  string
		size int
	}
	var groups []group
	for _, sw := range sweeps {
		g := group{sw.Key.Pin, sw.Key.Size}
		if !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	for _, g := range groups {
		var rates []int
		var rows []RateSweep
		for _, sw := range sweeps {
			if sw.Key.Pin != g.pin || sw.Key.Size != g.size {
				continue
			}
			rows = append(rows, sw)
			for _, p := range sw.Points {
				if !slices.Contains(rates, p.Rate) {
					rates = append(rates, p.Rate)
				}
			}
		}
		slices.Sort(rates)
		sortByTransport(r, rows, func(sw RateSweep) Key { return sw.Key })
		t := table{Header: []string{"transport", "api", "knee", "CPU/msg at " + fmtRate(rates[0]) + " (receiver)"}}
		for _, rate := range rates {
			t.Header = append(t.Header, fmtRate(rate))
		}
		for _, sw := range rows {
			knee := "below " + fmtRate(sw.Points[0].Rate)
			if sw.Knee > 0 {
				knee = fmtRate(sw.Knee)
			}
			row := []string{sw.Key.Transport, sw.Key.API, knee, ""}
			if p := sw.Points[0]; p.Rate == rates[0] && p.CPU.Valid() {
				row[3] = fmtNs(p.CPU.Median) + " (" + fmtNs(p.RecvCPU.Median) + ")"
			}
			for _, rate := range rates {
				i := slices.IndexFunc(sw.Points, func(p RatePoint) bool { return p.Rate == rate })
				if i < 0 {
					row = append(row, "")
					continue
				}
				row = append(row, ratePointCell(sw.Points[i]))
			}
			t.Rows = append(t.Rows, row)
		}
		d = append(d, heading{4, fmt.Sprintf("pin=%s, %d B: response time p50 / p99", g.pin, g.size)}, t)
	}
	d = append(d, para{"Each cell: response time p50 / p99, then the service time p50 (from the actual send) and the sender's lag p99 (how late the sender itself was: the response time holds it, so where it is large, as when an idle CPU is slow to wake from a sleep, the p99 response time is the machine's wake-up and not the transport's). The CPU column is the CPU time of both processes per message at the lowest rate, the receiving peer's in brackets: a spinning wait burns its CPU there while it waits for the next message."})
	return d
}

// countBlocks are the tables of a load benchmark that scales a count of
// processes (Pairs: pairs=N; FanIn: clients=N): per pin and size, a row
// per transport and api, a column per N with the aggregate rate, its
// scaling efficiency against N = 1 of the same rounds, fairness, the worst
// p99 and CPU per message.
func countBlocks(r *Results, bench, what string, count func(Key) int) []block {
	keys := r.LoadKeys(bench)
	if len(keys) == 0 {
		return nil
	}
	type group struct {
		pin  string
		size int
	}
	var groups []group
	var counts []int
	rows := map[group][]Key{} // keys without the count
	for _, k := range keys {
		g := group{k.Pin, k.Size}
		if !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
		if n := count(k); !slices.Contains(counts, n) {
			counts = append(counts, n)
		}
		base := k
		base.Pairs, base.Clients = 0, 0
		if !slices.Contains(rows[g], base) {
			rows[g] = append(rows[g], base)
		}
	}
	slices.Sort(counts)
	with := func(k Key, n int) Key {
		if bench == results.BenchPairs {
			k.Pairs = n
		} else {
			k.Clients = n
		}
		return k
	}
	var d []block
	for _, g := range groups {
		t := table{Header: []string{"transport", "api"}}
		for _, n := range counts {
			t.Header = append(t.Header, fmt.Sprintf("%s=%d", what, n))
		}
		ks := rows[g]
		sortByTransport(r, ks, func(k Key) Key { return k })
		for _, base := range ks {
			row := []string{base.Transport, base.API}
			for _, n := range counts {
				row = append(row, r.countCell(with(base, n), with(base, 1), n))
			}
			t.Rows = append(t.Rows, row)
		}
		d = append(d, heading{4, fmt.Sprintf("pin=%s, %d B", g.pin, g.size)}, t)
	}
	return d
}

// countCell is one cell of a count table: the aggregate messages per
// second, the scaling efficiency against one (paired round by round), the
// fairness, the worst p99 and the CPU per message.
func (r *Results) countCell(k, one Key, n int) string {
	rate, ok := r.Stat(k, results.UnitMsgRate)
	if !ok {
		return ""
	}
	lines := []string{fmtMsgRate(rate.Median)}
	if n > 1 {
		if p := r.Pair(k, one, results.UnitMsgRate); p.Summary.Valid() {
			lines[0] += fmt.Sprintf(" (efficiency %.2f)", p.Summary.Median/float64(n))
		}
	}
	if f, ok := r.Stat(k, results.UnitFairness); ok && n > 1 {
		lines = append(lines, fmt.Sprintf("fairness %.2f", f.Median))
	}
	if w, ok := r.Stat(k, results.UnitWorstP99); ok {
		lines = append(lines, "worst p99 "+fmtNs(w.Median))
	}
	if c, ok := r.Stat(k, results.UnitCPU); ok {
		lines = append(lines, "CPU/msg "+fmtNs(c.Median))
	}
	if c, ok := r.Stat(k, results.UnitServerCPU); ok {
		lines = append(lines, "server CPU/msg "+fmtNs(c.Median))
	}
	if o, ok := r.Stat(k, results.UnitOversub); ok && o.Max > 0 {
		lines = append(lines, "oversubscribed")
	}
	return strings.Join(lines, "\n")
}

// minAchieved is harness.MinAchieved, the share of the offered rate a run
// must achieve (the report does not import the harness).
const minAchieved = 0.99

// ratePointCell is one point of a sweep table.
func ratePointCell(p RatePoint) string {
	if !p.Resp50.Valid() {
		return ""
	}
	s := fmtNs(p.Resp50.Median) + " / " + fmtNs(p.Resp99.Median) + "\nsvc " + fmtNs(p.Svc50.Median)
	if p.Lag99.Valid() {
		s += " · lag p99 " + fmtNs(p.Lag99.Median)
	}
	switch {
	case !p.Kept():
		s += fmt.Sprintf("\n✗ fell behind in %d of %d rounds", p.Invalid, p.Rounds)
	case p.Invalid > 0:
		s += fmt.Sprintf("\n%d of %d rounds fell behind, left out", p.Invalid, p.Rounds)
	}
	return s
}

// loadN says how many rounds the load benchmark bench has: "n = 3 rounds".
func (r *Results) loadN(bench string) string {
	lo, hi := math.MaxInt, 0
	for _, s := range r.Load {
		if s.Key.Bench == bench {
			lo, hi = min(lo, len(s.Values)), max(hi, len(s.Values))
		}
	}
	switch {
	case hi == 0:
		return "no rounds."
	case lo == hi:
		return fmt.Sprintf("n = %d rounds per point.", hi)
	}
	return fmt.Sprintf("n = %d to %d rounds per point.", lo, hi)
}

// loadCharts are the charts of the load benchmarks the run has: for each
// pin and size of the rate sweeps, the response time and the CPU per
// message against the offered rate; for each pin and size of the pairs
// and of the fan-in, the aggregate rate against the count.
func loadCharts(r *Results, bound time.Duration) ([]*Chart, error) {
	var charts []*Chart
	add := func(file, title, caption string, x, y axisLabel, ss []curveSeries) error {
		c := &Chart{File: file, Title: title, Caption: caption, plot: newPlot(title), legend: newLegend()}
		if err := drawCurves(c, x, y, ss); err != nil {
			return fmt.Errorf("reports: chart %s: %w", file, err)
		}
		charts = append(charts, c)
		return nil
	}
	sweeps := r.RateSweeps(bound)
	for _, g := range pinSizes(len(sweeps), func(i int) Key { return sweeps[i].Key }) {
		var rows []RateSweep
		for _, sw := range sweeps {
			if sw.Key.Pin == g.Pin && sw.Key.Size == g.Size {
				rows = append(rows, sw)
			}
		}
		sortByTransport(r, rows, func(sw RateSweep) Key { return sw.Key })
		curve := func(of func(RatePoint) Summary, dashed bool) []curveSeries {
			var ss []curveSeries
			for _, sw := range rows {
				cs := curveSeries{transport: sw.Key.Transport, api: sw.Key.API, dashed: dashed}
				for _, p := range sw.Points {
					cs.pts = append(cs.pts, curvePt{float64(p.Rate), of(p), p.Kept()})
				}
				ss = append(ss, cs)
			}
			return ss
		}
		rate := axisLabel{"offered rate (messages/s)", true}
		base := fmt.Sprintf("BenchmarkRate at %d B, pin=%s, one line per transport and api (thinner: not api=raw). A hollow ring is a point at which a round fell behind its schedule: drawn, not trusted.", g.Size, g.Pin)
		lat := append(curve(func(p RatePoint) Summary { return p.Resp99 }, false), curve(func(p RatePoint) Summary { return p.Resp50 }, true)...)
		if err := add(fmt.Sprintf("rate-latency-%s-%d.png", g.Pin, g.Size), fmt.Sprintf("Response time against offered rate, %d B, pin=%s", g.Size, g.Pin), base+" Solid: p99; dashed: p50.",
			rate, axisLabel{"response time (ns, from the intended send): median over rounds", true}, lat); err != nil {
			return nil, err
		}
		if err := add(fmt.Sprintf("rate-cpu-%s-%d.png", g.Pin, g.Size), fmt.Sprintf("CPU per message against offered rate, %d B, pin=%s", g.Size, g.Pin), base+" A spinning wait's CPU per message falls as the rate rises: it burns the time between messages.",
			rate, axisLabel{"CPU time of both processes per message (ns): median over rounds", true}, curve(func(p RatePoint) Summary { return p.CPU }, false)); err != nil {
			return nil, err
		}
	}
	for _, sc := range []struct {
		bench, what, file, title string
		count                    func(Key) int
	}{
		{results.BenchPairs, "pairs", "pairs", "Aggregate rate against the number of pairs", func(k Key) int { return k.Pairs }},
		{results.BenchFanIn, "clients", "fanin", "Aggregate rate against the number of clients of one server", func(k Key) int { return k.Clients }},
	} {
		keys := r.LoadKeys(sc.bench)
		for _, g := range pinSizes(len(keys), func(i int) Key { return keys[i] }) {
			var ss []curveSeries
			at := map[Key]int{}
			for _, k := range keys {
				if k.Pin != g.Pin || k.Size != g.Size {
					continue
				}
				s, ok := r.Stat(k, results.UnitMsgRate)
				if !ok {
					continue
				}
				base := k
				base.Pairs, base.Clients = 0, 0
				i, seen := at[base]
				if !seen {
					i = len(ss)
					at[base] = i
					ss = append(ss, curveSeries{transport: k.Transport, api: k.API})
				}
				ss[i].pts = append(ss[i].pts, curvePt{float64(sc.count(k)), s, true})
			}
			sortByTransport(r, ss, func(c curveSeries) Key { return Key{Transport: c.transport, API: c.api} })
			if err := add(fmt.Sprintf("%s-%s-%d.png", sc.file, g.Pin, g.Size), fmt.Sprintf("%s, %d B, pin=%s", sc.title, g.Size, g.Pin),
				fmt.Sprintf("Benchmark%s at %d B, pin=%s: the round trips of all %s per second (median over rounds), one line per transport and api (thinner: not api=raw), both axes log scale. A line that stays flat as N grows shares a fixed capacity among more processes; one that rises scales.", sc.bench, g.Size, g.Pin, sc.what),
				axisLabel{"number of " + sc.what, true}, axisLabel{"messages/s, all " + sc.what + " together", true}, ss); err != nil {
				return nil, err
			}
		}
	}
	return charts, nil
}

// A pinSize is one placement and size of load keys.
type pinSize struct {
	Pin  string
	Size int
}

// pinSizes lists the placements and sizes of n keys, in order of first
// appearance.
func pinSizes(n int, key func(int) Key) []pinSize {
	var out []pinSize
	for i := range n {
		k := key(i)
		if g := (pinSize{k.Pin, k.Size}); !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out
}

// An axisLabel is a load chart's axis: its label and whether it is log
// scale.
type axisLabel struct {
	text string
	log  bool
}

// A curvePt is one point of a load chart: x, the summary drawn at y, and
// whether it is trusted (a hollow ring if not).
type curvePt struct {
	x    float64
	y    Summary
	kept bool
}

// A curveSeries is one line of a load chart: a transport and api's points.
type curveSeries struct {
	transport, api string
	dashed         bool
	pts            []curvePt
}

// drawCurves draws ss on c: a line per series in its transport's style
// (thinner when its api is not raw, dashed when the series is), a glyph
// per trusted point and a hollow ring per other one. The legend names
// each transport and api once, after its first series.
func drawCurves(c *Chart, x, y axisLabel, ss []curveSeries) error {
	p := c.plot
	xs, ys := axisScale{log: x.log}, axisScale{log: y.log}
	xs.setAxis(&p.X, x.text)
	ys.setAxis(&p.Y, y.text)
	p.Add(plotter.NewGrid())
	var labels []string
	thumbs := map[string][]plot.Thumbnailer{}
	for _, cs := range ss {
		label := cs.transport + " " + cs.api
		var line, kept, fell plotter.XYs
		for _, pt := range cs.pts {
			if !pt.y.Valid() || !xs.ok(pt.x) || !ys.ok(pt.y.Median) {
				continue
			}
			xy := plotter.XY{X: xs.f(pt.x), Y: ys.f(pt.y.Median)}
			line = append(line, xy)
			if pt.kept {
				kept = append(kept, xy)
			} else {
				fell = append(fell, xy)
			}
		}
		if len(line) == 0 {
			continue
		}
		slices.SortFunc(line, func(a, b plotter.XY) int { return cmp.Compare(a.X, b.X) })
		l, err := plotter.NewLine(line)
		if err != nil {
			return err
		}
		l.LineStyle = lineStyle(cs.transport)
		if cs.api != "raw" {
			l.LineStyle.Width = vg.Points(1)
		}
		if cs.dashed {
			l.LineStyle.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		p.Add(l)
		th := []plot.Thumbnailer{l}
		for _, set := range []struct {
			xy     plotter.XYs
			hollow bool
		}{{kept, false}, {fell, true}} {
			if len(set.xy) == 0 {
				continue
			}
			sc, err := plotter.NewScatter(set.xy)
			if err != nil {
				return err
			}
			sc.GlyphStyle = glyphStyle(cs.transport)
			if set.hollow {
				sc.GlyphStyle.Shape = draw.RingGlyph{}
				sc.GlyphStyle.Radius = vg.Points(5)
			} else {
				th = append(th, sc)
			}
			p.Add(sc)
		}
		if thumbs[label] == nil {
			labels = append(labels, label)
			thumbs[label] = th
		}
	}
	if len(labels) == 0 {
		return noData("no figures")
	}
	for _, t := range labels {
		c.legend.Add(t, thumbs[t]...)
	}
	return nil
}

// judgeC11 judges "shared memory usually suits communication among
// multiple processes" on the load benchmarks that run several processes
// at once: many pairs (Pairs) and many clients of one server (FanIn). For
// each of them, each placement, size and count N ≥ 2, the best
// transport of each shared-memory class (spinning, blocking) is compared
// with the best kernel transport on the aggregate messages per second,
// round by round (a paired ratio; a tie is not a win); each transport by
// its copying api (raw, else runtime). A class at a benchmark and
// placement suits many processes when it wins at every size and count
// measured there. Figures: each comparison with its ratio, and the
// fairness and worst p99 of both sides.
func judgeC11(r *Results) Verdict {
	var v Verdict
	var holds, fails []group
	any := false
	for _, bench := range []string{results.BenchPairs, results.BenchFanIn} {
		what, count := "pairs", func(k Key) int { return k.Pairs }
		if bench == results.BenchFanIn {
			what, count = "clients", func(k Key) int { return k.Clients }
		}
		type cell struct {
			pin     string
			size, n int
		}
		var cells []cell
		pts := map[cell][]point{}
		for _, k := range r.LoadKeys(bench) {
			if count(k) < 2 || (k.API != "raw" && k.API != "runtime") {
				continue
			}
			p, ok := r.pointOf(k, results.UnitMsgRate)
			if !ok {
				continue
			}
			c := cell{k.Pin, k.Size, count(k)}
			if pts[c] == nil {
				cells = append(cells, c)
			}
			pts[c] = append(pts[c], p)
		}
		var pins []string
		for _, c := range cells {
			if !slices.Contains(pins, c.pin) {
				pins = append(pins, c.pin)
			}
		}
		for _, pin := range pins {
			for _, sd := range []side{sideSpinning, sideBlocking} {
				who := fmt.Sprintf("%s with many %s at pin=%s", sd.Name, what, pin)
				wins, lost := 0, 0
				for _, c := range cells {
					if c.pin != pin {
						continue
					}
					cp := primaryPoints(pts[c])
					shm, _, ok1 := r.best(filter(cp, sd.keeps(r)), false)
					kern, _, ok2 := r.best(filter(cp, sideKernel.keeps(r)), false)
					if !ok1 || !ok2 {
						continue
					}
					any = true
					o := r.Compare(shm, kern, false)
					if o == Better {
						wins++
					} else {
						lost++
					}
					ratio := ""
					if p := r.Pair(shm.Key, kern.Key, results.UnitMsgRate); p.Summary.Valid() {
						ratio = fmt.Sprintf(" (×%s, paired)", sig3(p.Summary.Median))
					}
					v.Figures = append(v.Figures, fmt.Sprintf("%s, %s=%d, pin=%s, %s: %s %s %s %s%s; %s",
						bench, what, c.n, pin, SizeLabel(c.size), shm.Transport, fmtMsgRate(shm.Sum.Median), relWord(o, false), kern.Transport+" "+fmtMsgRate(kern.Sum.Median), ratio, r.spreadFigure(shm.Key, kern.Key)))
				}
				switch {
				case wins+lost == 0:
				case lost == 0:
					holds = groupAdd(holds, "has the higher aggregate rate at every size and count", who)
				case wins == 0:
					fails = groupAdd(fails, "has the higher aggregate rate at no size and count", who)
				default:
					fails = groupAdd(fails, fmt.Sprintf("has the higher aggregate rate in %d of %d size-and-count cells", wins, wins+lost), who)
				}
			}
		}
	}
	if !any {
		return Verdict{Status: NotMeasured, Condition: "needs Pairs or FanIn results (N ≥ 2) of both shared-memory and kernel transports: ipcbench run -profile load"}
	}
	switch {
	case len(fails) == 0:
		v.Status, v.Condition = Holds, groupText(holds)
	case len(holds) == 0:
		v.Status, v.Condition = DoesNotHold, groupText(fails)
	default:
		v.Status, v.Condition = HoldsOnlyWhen, groupText(holds)+" (elsewhere it does not: "+groupText(fails)+")"
	}
	return v
}

// primaryPoints keeps each transport's copying api among pts: raw where
// the transport has it, else runtime.
func primaryPoints(pts []point) []point {
	hasRaw := map[string]bool{}
	for _, p := range pts {
		if p.Key.API == "raw" {
			hasRaw[p.Transport] = true
		}
	}
	var out []point
	for _, p := range pts {
		if p.Key.API == "raw" || !hasRaw[p.Transport] {
			out = append(out, p)
		}
	}
	return out
}

// spreadFigure is the fairness and worst p99 of a and b: "fairness 0.99
// and 0.97, worst p99 4.1 µs and 61 µs".
func (r *Results) spreadFigure(a, b Key) string {
	var parts []string
	fa, ok1 := r.Stat(a, results.UnitFairness)
	fb, ok2 := r.Stat(b, results.UnitFairness)
	if ok1 && ok2 {
		parts = append(parts, fmt.Sprintf("fairness %.2f and %.2f", fa.Median, fb.Median))
	}
	wa, ok1 := r.Stat(a, results.UnitWorstP99)
	wb, ok2 := r.Stat(b, results.UnitWorstP99)
	if ok1 && ok2 {
		parts = append(parts, fmt.Sprintf("worst p99 %s and %s", fmtNs(wa.Median), fmtNs(wb.Median)))
	}
	ca, ok1 := r.Stat(a, results.UnitCPU)
	cb, ok2 := r.Stat(b, results.UnitCPU)
	if ok1 && ok2 {
		parts = append(parts, fmt.Sprintf("CPU/msg %s and %s", fmtNs(ca.Median), fmtNs(cb.Median)))
	}
	return strings.Join(parts, ", ")
}

// sortByTransport orders xs by the transport of their keys (catalogue
// order), then by key.
func sortByTransport[T any](r *Results, xs []T, key func(T) Key) {
	var ts []string
	for _, x := range xs {
		if t := key(x).Transport; !slices.Contains(ts, t) {
			ts = append(ts, t)
		}
	}
	r.SortTransports(ts)
	slices.SortStableFunc(xs, func(a, b T) int {
		ka, kb := key(a), key(b)
		if d := slices.Index(ts, ka.Transport) - slices.Index(ts, kb.Transport); d != 0 {
			return d
		}
		return keyOrder(ka, kb)
	})
}
