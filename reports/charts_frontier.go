package reports

import (
	"cmp"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"

	"github.com/ipcbench/ipcbench/results"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The chart of the recommendation: at a small and a large message, each
// transport's round trip against the CPU it costs, and the transports no
// other beats on both.

// recommendSizes are the message sizes the frontier and api charts show:
// a small message, where waking the peer dominates, and a large one,
// where copying does.
var recommendSizes = []int{64, 64 << 10}

// A frontierPoint is one transport at one size and pin, through its
// copying API (raw, else runtime): its p50 round trip and the CPU time
// both processes spent per round trip, medians over rounds.
type frontierPoint struct {
	Transport    string
	Key          Key
	Latency, CPU float64 // ns
	Frontier     bool    // no other point is as good on both and better on one
}

// frontierPoints returns every transport's point at pin and size that has
// both a p50-ns and a cpu-ns/op figure, in palette order, with the Pareto
// frontier marked (markFrontier).
func (r *Results) frontierPoints(pin string, size int) []frontierPoint {
	var pts []frontierPoint
	for _, p := range r.atPin(results.BenchPingPong, latencyUnit, size, pin) {
		cpu, ok := r.Stat(p.Key, results.UnitCPU)
		if !ok || cpu.Median <= 0 || p.Sum.Median <= 0 {
			continue
		}
		pts = append(pts, frontierPoint{Transport: p.Transport, Key: p.Key, Latency: p.Sum.Median, CPU: cpu.Median})
	}
	markFrontier(pts)
	return pts
}

// markFrontier sets Frontier on the points that no other point dominates:
// a point is dominated by one whose latency and CPU are both at most its
// own and one of them lower.
func markFrontier(pts []frontierPoint) {
	for i := range pts {
		pts[i].Frontier = !slices.ContainsFunc(pts, func(o frontierPoint) bool {
			return o.Latency <= pts[i].Latency && o.CPU <= pts[i].CPU && (o.Latency < pts[i].Latency || o.CPU < pts[i].CPU)
		})
	}
}

// frontierNames returns the transports on the frontier, fastest first.
func frontierNames(pts []frontierPoint) []string {
	f := slices.DeleteFunc(slices.Clone(pts), func(p frontierPoint) bool { return !p.Frontier })
	slices.SortStableFunc(f, func(a, b frontierPoint) int { return cmp.Compare(a.Latency, b.Latency) })
	var out []string
	for _, p := range f {
		out = append(out, p.Transport)
	}
	return out
}

// buildFrontier draws, at pin, one panel per size of recommendSizes: each
// transport's p50 round trip against its CPU per round trip, the
// transports on the frontier ringed, named and joined by a staircase.
func buildFrontier(r *Results, c *Chart, pin string) error {
	var ps []*plot.Plot
	var notes, absent []string
	thumbs := map[string][]plot.Thumbnailer{}
	for _, size := range recommendSizes {
		pts := r.frontierPoints(pin, size)
		if len(pts) == 0 {
			absent = append(absent, SizeLabel(size))
			continue
		}
		p := newPanel(SizeLabel(size) + " message")
		if err := drawFrontier(p, pts, thumbs); err != nil {
			return err
		}
		ps = append(ps, p)
		notes = append(notes, fmt.Sprintf("at %s, %s", SizeLabel(size), strings.Join(frontierNames(pts), ", ")))
	}
	if len(ps) == 0 {
		return noData("no BenchmarkPingPong figures with both p50-ns and cpu-ns/op at %s, pin=%s", sizeList(recommendSizes), pin)
	}
	c.panels = [][]*plot.Plot{ps}
	c.plot.X.Label.Text = "p50 round trip (µs), median over rounds, log scale"
	c.plot.Y.Label.Text = "CPU per round trip, both processes (µs, cpu-ns/op), log scale"
	var ts []string
	for _, t := range r.Transports(results.BenchPingPong) {
		if thumbs[t] != nil {
			ts = append(ts, t)
		}
	}
	addTransportLegend(r, c, ts, thumbs)
	c.legend.Add("reference:")
	one, two := cpuRefLines()
	c.legend.Add("CPU = round trip (1 CPU busy)", one)
	c.legend.Add("CPU = 2 × round trip", two)
	c.Caption = fmt.Sprintf("BenchmarkPingPong, pin=%s%s, through api=raw where the transport has it, else api=runtime: each transport is one point, its p50 round trip against the CPU time both processes used per round trip (user + system), medians over rounds. Lower and further left is better on both. A transport is on the frontier (ringed, named and joined by the black staircase) when no other has a round trip and a CPU cost both at most its own: %s. The frontier compares medians: a point just off it may not be distinguishable from one on it (the tables give the intervals). On the dotted line one CPU is busy for the whole round trip, on the dashed grey line both are; spinning transports sit near the dashed line.", pin, pinGloss(pin), strings.Join(notes, "; "))
	if len(absent) > 0 {
		c.Caption += fmt.Sprintf(" Not measured at pin=%s: %s.", pin, strings.Join(absent, ", "))
	}
	return nil
}

// cpuRefLines returns the styles of the reference lines CPU = round trip
// and CPU = 2 × round trip, with no points.
func cpuRefLines() (one, two *plotter.Line) {
	one = &plotter.Line{}
	one.LineStyle = draw.LineStyle{Color: refColor, Width: vg.Points(1.5), Dashes: []vg.Length{vg.Points(2), vg.Points(3)}}
	two = &plotter.Line{}
	two.LineStyle = draw.LineStyle{Color: color.RGBA{R: 140, G: 140, B: 140, A: 255}, Width: vg.Points(1.5), Dashes: []vg.Length{vg.Points(6), vg.Points(3)}}
	return one, two
}

// drawFrontier draws pts on p on log axes, with the reference lines, and
// records each transport's glyph in thumbs for the shared legend.
func drawFrontier(p *plot.Plot, pts []frontierPoint, thumbs map[string][]plot.Thumbnailer) error {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, q := range pts {
		lo = math.Min(lo, math.Min(q.Latency, q.CPU/2))
		hi = math.Max(hi, math.Max(q.Latency, q.CPU))
	}
	lo, hi = math.Log10(lo/1e3), math.Log10(hi/1e3)
	logScale.setAxis(&p.X, "")
	logScale.setAxis(&p.Y, "")
	p.X.Label.Text, p.Y.Label.Text = "", ""
	pad := 0.08 * (hi - lo + 0.2)
	p.X.Min, p.X.Max = lo-pad, hi+3*pad // room on the right for the names
	p.Y.Min, p.Y.Max = lo-pad, hi+pad
	p.Add(plotter.NewGrid())
	one, two := cpuRefLines()
	one.XYs = plotter.XYs{{X: p.X.Min, Y: p.X.Min}, {X: p.X.Max, Y: p.X.Max}}
	two.XYs = plotter.XYs{{X: p.X.Min, Y: p.X.Min + math.Log10(2)}, {X: p.X.Max, Y: p.X.Max + math.Log10(2)}}
	p.Add(one, two)
	xy := func(q frontierPoint) plotter.XY {
		return plotter.XY{X: math.Log10(q.Latency / 1e3), Y: math.Log10(q.CPU / 1e3)}
	}
	var front plotter.XYs
	var names []string
	for _, q := range pts {
		if q.Frontier {
			front = append(front, xy(q))
			names = append(names, q.Transport)
		}
	}
	slices.SortFunc(front, func(a, b plotter.XY) int { return cmp.Compare(a.X, b.X) })
	var stairs plotter.XYs
	for i, f := range front {
		if i > 0 {
			stairs = append(stairs, plotter.XY{X: f.X, Y: front[i-1].Y})
		}
		stairs = append(stairs, f)
	}
	if len(stairs) > 1 {
		l, err := plotter.NewLine(stairs)
		if err != nil {
			return err
		}
		l.LineStyle = draw.LineStyle{Color: color.Black, Width: vg.Points(1)}
		p.Add(l)
	}
	for _, q := range pts {
		s, err := plotter.NewScatter(plotter.XYs{xy(q)})
		if err != nil {
			return err
		}
		s.GlyphStyle = glyphStyle(q.Transport)
		s.GlyphStyle.Radius = vg.Points(4.5)
		p.Add(s)
		thumbs[q.Transport] = []plot.Thumbnailer{s}
		if q.Frontier {
			ring, err := plotter.NewScatter(plotter.XYs{xy(q)})
			if err != nil {
				return err
			}
			ring.GlyphStyle = draw.GlyphStyle{Color: color.Black, Radius: vg.Points(8), Shape: draw.RingGlyph{}}
			p.Add(ring)
		}
	}
	return addFrontierLabels(p, pts, xy)
}

// addFrontierLabels names the frontier's points to their right, fastest
// first, each joined to its point by a thin leader line; a name that
// would touch the one before it moves down below it.
func addFrontierLabels(p *plot.Plot, pts []frontierPoint, xy func(frontierPoint) plotter.XY) error {
	var f []plotter.XY
	var labels plotter.XYLabels
	for _, q := range pts {
		if q.Frontier {
			f = append(f, xy(q))
			labels.Labels = append(labels.Labels, q.Transport)
		}
	}
	if len(f) == 0 {
		return nil
	}
	order := make([]int, len(f))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(f[a].X, f[b].X) })
	near := 0.055 * (p.Y.Max - p.Y.Min) // a name's height, in decades
	wide := 0.3 * (p.X.Max - p.X.Min)   // a name's width, in decades
	dx := 0.025 * (p.X.Max - p.X.Min)   // from a point to its name
	labels.XYs = make(plotter.XYs, len(f))
	for n, i := range order {
		at := plotter.XY{X: f[i].X + dx, Y: f[i].Y}
		if n > 0 {
			prev := labels.XYs[order[n-1]]
			if at.X-prev.X < wide && at.Y > prev.Y-near {
				at.Y = prev.Y - near
			}
		}
		labels.XYs[i] = at
		{
			l, err := plotter.NewLine(plotter.XYs{f[i], at})
			if err != nil {
				return err
			}
			l.LineStyle = draw.LineStyle{Color: color.Gray{Y: 90}, Width: vg.Points(0.6)}
			p.Add(l)
		}
	}
	l, err := plotter.NewLabels(labels)
	if err != nil {
		return err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].Font.Size = 10
		l.TextStyle[i].YAlign = draw.YCenter
	}
	l.Offset = vg.Point{X: vg.Points(2)}
	p.Add(l)
	return nil
}
