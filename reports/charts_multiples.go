package reports

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/ipcbench/ipcbench/results"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Charts of panels (small multiples): several plots under one title,
// laid out in a grid, with the axis labels they share drawn once at the
// left and the bottom.

// newPanel returns a plot for one panel of a chart of panels: its title
// names the panel, its fonts are a little smaller than a chart's, and its
// legend (if any) sits in its top left corner.
func newPanel(title string) *plot.Plot {
	p := newPlot(title)
	p.Title.TextStyle.Font.Size = 12
	p.Title.Padding = 4
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Tick.Label.Font.Size = 10
	}
	p.Legend.TextStyle.Font.Size = 9
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.ThumbnailWidth = 18
	p.Legend.Padding = 0.5
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(4), -vg.Points(2)
	return p
}

// gridOf lays panels out in rows of cols, the last row padded with nil
// (empty tiles).
func gridOf(panels []*plot.Plot, cols int) [][]*plot.Plot {
	var rows [][]*plot.Plot
	for i := 0; i < len(panels); i += cols {
		row := make([]*plot.Plot, cols)
		copy(row, panels[i:min(i+cols, len(panels))])
		rows = append(rows, row)
	}
	return rows
}

// drawPanels draws c.plot's title at the top of dc, its X and Y axis
// labels once at the bottom and the left, and c.panels aligned in a grid
// in between.
func (c *Chart) drawPanels(dc draw.Canvas) {
	t := c.plot.Title
	dc.FillText(t.TextStyle, vg.Point{X: dc.Center().X, Y: dc.Max.Y + t.TextStyle.FontExtents().Descent}, t.Text)
	dc.Max.Y -= t.TextStyle.Rectangle(t.Text).Size().Y + t.Padding
	if xl := c.plot.X.Label; xl.Text != "" {
		sty := xl.TextStyle
		sty.YAlign = draw.YBottom
		dc.FillText(sty, vg.Point{X: dc.Center().X, Y: dc.Min.Y + sty.FontExtents().Descent}, xl.Text)
		dc.Min.Y += sty.Height(xl.Text) + 4
	}
	if yl := c.plot.Y.Label; yl.Text != "" {
		sty := yl.TextStyle
		sty.Rotation += math.Pi / 2
		h := yl.TextStyle.Height(yl.Text)
		dc.FillText(sty, vg.Point{X: dc.Min.X + h - yl.TextStyle.FontExtents().Descent, Y: dc.Center().Y}, yl.Text)
		dc.Min.X += h + 4
	}
	rows, cols := len(c.panels), len(c.panels[0])
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(12), PadY: vg.Points(10)}
	cs := plot.Align(c.panels, tiles, dc)
	for i, row := range c.panels {
		for j, p := range row {
			if p != nil {
				p.Draw(cs[i][j])
			}
		}
	}
}

// Latency against size as small multiples: one panel per family.

// A panelGroup is one panel of the latency small multiples: the
// transports of one family, shared memory split by how it waits.
type panelGroup struct {
	ID, Title string
}

// panelGroups are the panels in the order they are laid out; a family
// not named here gets a panel of its own after them.
var panelGroups = []panelGroup{
	{"pipe", "pipes"}, {"socket", "sockets"}, {"mq", "message queues"},
	{"shm-" + ClassSpinning, "spinning shared memory"}, {"shm-" + ClassBlocking, "blocking shared memory"},
	{"signal", "signals"}, {FamilyRPC, "frameworks (rpc)"}, {"other", "other"},
}

// panelGroup returns the panel transport t belongs in: its family, and
// for shared memory its family and wait class ("shm-spinning").
func (r *Results) panelGroup(t string) string {
	if r.IsSharedMemory(t) {
		return "shm-" + r.WaitClass(t)
	}
	return r.Family(t)
}

// A sizePoint is one measured size of a series: the summary over rounds
// of the p50 round trip there.
type sizePoint struct {
	Size int
	Sum  Summary
}

// A sizeSeries is one transport's p50 round trip at every size it was
// measured at, at one pin and through one API.
type sizeSeries struct {
	Transport, API string
	Points         []sizePoint
}

// A familyPanel is the data of one panel: the series of its transports.
type familyPanel struct {
	Group  panelGroup
	Series []sizeSeries
}

// seriesAPI returns the API a chart over sizes draws transport t with at
// pin: the first of apiPreference it has any results in unit for
// (never api=zerocopy), so that one line never mixes two APIs.
func (r *Results) seriesAPI(bench, t, pin, unit string) (string, bool) {
	for _, api := range apiPreference {
		for _, k := range r.Keys(bench) {
			if k.Transport == t && k.API == api && k.Pin == pin && k.Size != results.NoSize && r.Get(k, unit) != nil {
				return api, true
			}
		}
	}
	return "", false
}

// latencyPanels returns, for pin, one panel per group of transports that
// has a PingPong p50 at pin, in panelGroups order, and every size measured
// there (ascending). A series has a point at exactly the sizes its
// transport was measured at.
func (r *Results) latencyPanels(pin string) ([]familyPanel, []int) {
	bench := results.BenchPingPong
	byGroup := map[string]*familyPanel{}
	var order []string
	sizeSet := map[int]bool{}
	for _, t := range r.Transports(bench) {
		api, ok := r.seriesAPI(bench, t, pin, latencyUnit)
		if !ok {
			continue
		}
		s := sizeSeries{Transport: t, API: api}
		for _, size := range r.Sizes(bench, t) {
			if sum, ok := r.Stat(Key{Bench: bench, Transport: t, API: api, Pin: pin, Size: size}, latencyUnit); ok && sum.Median > 0 {
				s.Points = append(s.Points, sizePoint{size, sum})
				sizeSet[size] = true
			}
		}
		if len(s.Points) == 0 {
			continue
		}
		g := r.panelGroup(t)
		if byGroup[g] == nil {
			byGroup[g] = &familyPanel{Group: groupOf(g)}
			order = append(order, g)
		}
		byGroup[g].Series = append(byGroup[g].Series, s)
	}
	rank := func(g string) int {
		if i := slices.IndexFunc(panelGroups, func(p panelGroup) bool { return p.ID == g }); i >= 0 {
			return i
		}
		return len(panelGroups) + slices.Index(order, g)
	}
	slices.SortStableFunc(order, func(a, b string) int { return rank(a) - rank(b) })
	var out []familyPanel
	for _, g := range order {
		out = append(out, *byGroup[g])
	}
	return out, sortedInts(sizeSet)
}

// groupOf returns the panel group of id, titled by panelGroups or, for a
// family it does not name, by the family.
func groupOf(id string) panelGroup {
	for _, g := range panelGroups {
		if g.ID == id {
			return g
		}
	}
	return panelGroup{id, id}
}

// segments splits points (ascending by size) into runs of consecutive
// sizes of the axis: a line joins the points of one run and never crosses
// a size the series was not measured at.
func segments(points []sizePoint, sizes []int) [][]sizePoint {
	var out [][]sizePoint
	prev := -2
	for _, p := range points {
		i := slices.Index(sizes, p.Size)
		if i != prev+1 || len(out) == 0 {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], p)
		prev = i
	}
	return out
}

// shortSize labels a size axis tick compactly: "64B", "4K", "1M".
func shortSize(n int) string {
	return strings.NewReplacer(" ", "", "KiB", "K", "MiB", "M").Replace(SizeLabel(n))
}

// latencyPanelCols is how many panels the latency chart puts in a row.
const latencyPanelCols = 4

// buildLatencyPanels draws the p50 round trip against size at pin as
// small multiples: one panel per family (latencyPanels), every panel on
// the same axes, each with its interval as whiskers and the cache-line
// floor at pin as a reference line.
func buildLatencyPanels(r *Results, c *Chart, pin string) error {
	panels, sizes := r.latencyPanels(pin)
	if len(panels) == 0 {
		return noData("no BenchmarkPingPong p50-ns results at pin=%s", pin)
	}
	floor, fk, hasFloor := r.floor("cacheline", pin, results.UnitNsOp)
	hasFloor = hasFloor && floor.Median > 0 && fk.Pin == pin
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, fp := range panels {
		for _, s := range fp.Series {
			for _, p := range s.Points {
				lo, hi = math.Min(lo, p.Sum.Lo), math.Max(hi, p.Sum.Hi)
			}
		}
	}
	if hasFloor {
		lo = math.Min(lo, floor.Median)
	}
	lo = math.Max(lo, 1) // a non-positive Lo would have no logarithm
	// Head room above the data for each panel's legend.
	span := math.Log10(hi / lo)
	yMin, yMax := math.Log10(lo/1e3)-0.04*span-0.05, math.Log10(hi/1e3)+0.14*span+0.1
	var ps []*plot.Plot
	for _, fp := range panels {
		p := newPanel(fp.Group.Title)
		sizeAxis(&p.X, sizes)
		p.X.Label.Text = ""
		ticks := p.X.Tick.Marker.(plot.ConstantTicks)
		for i := range ticks {
			ticks[i].Label = shortSize(sizes[i])
		}
		logScale.setAxis(&p.Y, "")
		p.Y.Label.Text = ""
		p.Y.Min, p.Y.Max = yMin, yMax
		p.Add(plotter.NewGrid())
		for i, s := range fp.Series {
			if err := addSizeSeries(p, s, sizes, dodge(i, len(fp.Series))); err != nil {
				return err
			}
		}
		if hasFloor {
			y := math.Log10(floor.Median / 1e3)
			l, err := refLine([]float64{p.X.Min, p.X.Max}, []float64{y, y})
			if err != nil {
				return err
			}
			p.Add(l)
			p.Legend.Add("cache-line floor", l)
		}
		ps = append(ps, p)
	}
	c.panels = gridOf(ps, latencyPanelCols)
	c.plot.X.Label.Text = "message size (bytes; K = KiB, M = MiB), log scale"
	c.plot.Y.Label.Text = "p50 round trip (µs), median over rounds, log scale"
	var fams []string
	for _, fp := range panels {
		fams = append(fams, fp.Group.Title)
	}
	c.Caption = fmt.Sprintf("BenchmarkPingPong, pin=%s%s, one panel per family (%s; shared memory in two panels, by how it waits), every panel on the same axes. Each point is a transport's p50 round trip at a size it was measured at (median over rounds), through api=raw where it has it, else api=runtime (zero-copy is in the api chart); the whisker is the interval of that median (%s). A line joins only neighbouring measured sizes: a gap is a size that transport was not measured at. Points at one size are spread sideways a little so whiskers do not overlap.", pin, pinGloss(pin), strings.Join(fams, ", "), intervalShort())
	if hasFloor {
		c.Caption += fmt.Sprintf(" The dotted line is the cache-line floor (BenchmarkFloor/op=cacheline, pin=%s, ns/op): two processes bouncing one cache line, %s per round trip.", pin, fmtNs(floor.Median))
	} else {
		c.Caption += fmt.Sprintf(" No cache-line floor at pin=%s in these results (BenchmarkFloor/op=cacheline).", pin)
	}
	return nil
}

// intervalShort names the report's interval in a few words.
func intervalShort() string {
	return fmt.Sprintf("%.0f %% confidence interval with %d rounds or more, else the min–max range", 100*(1-Alpha), MinCISamples)
}

// addSizeSeries draws s on p, x = log10(size × spread): each run of
// consecutive sizes (segments) as a line with points, each point with a
// whisker over its interval, and s in p's legend.
func addSizeSeries(p *plot.Plot, s sizeSeries, sizes []int, spread float64) error {
	var thumbs []plot.Thumbnailer
	for _, seg := range segments(s.Points, sizes) {
		xy := make(plotter.XYs, len(seg))
		ye := make(plotter.YErrors, len(seg))
		for i, pt := range seg {
			y := math.Log10(pt.Sum.Median / 1e3)
			xy[i] = plotter.XY{X: math.Log10(float64(pt.Size) * spread), Y: y}
			ye[i].Low = y - math.Log10(math.Max(pt.Sum.Lo, 1)/1e3)
			ye[i].High = math.Log10(pt.Sum.Hi/1e3) - y
		}
		l, sc, err := plotter.NewLinePoints(xy)
		if err != nil {
			return err
		}
		l.LineStyle, sc.GlyphStyle = lineStyle(s.Transport), glyphStyle(s.Transport)
		eb, err := plotter.NewYErrorBars(struct {
			plotter.XYs
			plotter.YErrors
		}{xy, ye})
		if err != nil {
			return err
		}
		eb.LineStyle = draw.LineStyle{Color: styleOf(s.Transport).color, Width: vg.Points(1)}
		eb.CapWidth = vg.Points(4)
		if len(seg) > 1 {
			p.Add(l)
		}
		p.Add(sc, eb)
		thumbs = []plot.Thumbnailer{l, sc}
	}
	p.Legend.Add(s.Transport, thumbs...)
	return nil
}
