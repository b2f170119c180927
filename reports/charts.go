package reports

import (
	"cmp"
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/ipcbench/ipcbench/results"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Chart size. Every PNG is ChartWidth × ChartHeight at ChartDPI:
// 1100 × 700 pixels.
const (
	ChartWidth  = 11 * vg.Inch
	ChartHeight = 7 * vg.Inch
	ChartDPI    = 100
)

// ChartPixels returns the pixel dimensions of every chart PNG.
func ChartPixels() (w, h int) {
	return int(math.Round(float64(ChartWidth/vg.Inch) * ChartDPI)), int(math.Round(float64(ChartHeight/vg.Inch) * ChartDPI))
}

// A Chart is one figure of the report: a plot and its legend, which is
// drawn beside the data so it hides none of it.
type Chart struct {
	File    string // file name in the report directory, e.g. "latency-split.png"
	Title   string
	Caption string // one or two sentences under the image: what is drawn and how to read it

	plot   *plot.Plot // the figure; for a chart of panels, its title and the axis labels the panels share
	legend plot.Legend
	panels [][]*plot.Plot // small multiples: rows of panels (nil for an empty tile) under one title; nil for a single plot
}

// errNoData marks a chart that cannot be drawn from the results.
var errNoData = errors.New("no data")

func noData(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errNoData}, args...)...)
}

// A chartSpec builds one chart from the results.
type chartSpec struct {
	File, Title string
	build       func(r *Results, c *Chart) error
}

// A placedSpec builds one chart per placement: its File and Title get the
// pin ("latency-split.png", "…, pin=split").
type placedSpec struct {
	File, Title string // File without ".png"
	build       func(r *Results, c *Chart, pin string) error
}

// The report's charts, in the order it shows them: placed charts are
// expanded over chartPins at their place in the list.
var chartList = []any{
	placedSpec{"latency", "Round-trip latency against message size, by family", buildLatencyPanels},
	chartSpec{"throughput.png", "Streaming throughput against message size", buildThroughput},
	placedSpec{"frontier", "Latency against CPU: the transports not beaten on both", buildFrontier},
	chartSpec{"ladder.png", "Latency percentile ladder", buildLadder},
	placedSpec{"api", "api=raw against api=runtime and api=zerocopy", buildAPIs},
	chartSpec{"pin.png", "pin=same against pin=split", buildPin},
	chartSpec{"signals.png", "Signal loss: standard against real-time", buildSignals},
}

// chartPins are the placements that get charts of their own: pin=split
// and pin=same always (a chart is missing, with the reason, where the run
// has no results at one), and any other placement claimPins counts.
func (r *Results) chartPins() []string {
	pins := []string{"split", "same"}
	for _, p := range r.claimPins() {
		if !slices.Contains(pins, p) {
			pins = append(pins, p)
		}
	}
	return pins
}

// chartSpecs returns the specs of every chart the report tries to draw
// from r, the placed ones expanded over r.chartPins.
func (r *Results) chartSpecs() []chartSpec {
	var specs []chartSpec
	for _, s := range chartList {
		switch s := s.(type) {
		case chartSpec:
			specs = append(specs, s)
		case placedSpec:
			for _, pin := range r.chartPins() {
				specs = append(specs, chartSpec{
					File:  s.File + "-" + pin + ".png",
					Title: s.Title + ", pin=" + pin,
					build: func(r *Results, c *Chart) error { return s.build(r, c, pin) },
				})
			}
		}
	}
	return specs
}

// A MissingChart is a chart the report does not draw, and why.
type MissingChart struct {
	File, Title, Reason string
}

// Charts builds every chart the results allow. Charts whose data is
// absent are returned in missing with the reason.
func Charts(r *Results) (drawn []*Chart, missing []MissingChart, err error) {
	for _, spec := range r.chartSpecs() {
		c := &Chart{File: spec.File, Title: spec.Title, plot: newPlot(spec.Title)}
		c.legend = newLegend()
		if e := spec.build(r, c); e != nil {
			if errors.Is(e, errNoData) {
				missing = append(missing, MissingChart{spec.File, spec.Title, trimNoData(e)})
				continue
			}
			return nil, nil, fmt.Errorf("reports: chart %s: %w", spec.File, e)
		}
		drawn = append(drawn, c)
	}
	return drawn, missing, nil
}

func trimNoData(e error) string {
	s := e.Error()
	p := errNoData.Error() + ": "
	if len(s) > len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}

func newPlot(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = 16
	p.Title.Padding = 8
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font.Size = 13
		a.Tick.Label.Font.Size = 11
	}
	p.X.Padding, p.Y.Padding = 4, 4
	p.BackgroundColor = color.White
	return p
}

func newLegend() plot.Legend {
	l := plot.NewLegend()
	l.TextStyle.Font.Size = 10
	l.Top, l.Left = true, true
	l.ThumbnailWidth = 24
	l.Padding = 1
	return l
}

// WriterTo renders the chart as PNG: the plot (or the grid of panels) on
// the left, the legend in a column on the right, beside the data.
func (c *Chart) WriterTo() (io.WriterTo, error) {
	img := vgimg.NewWith(vgimg.UseWH(ChartWidth, ChartHeight), vgimg.UseDPI(ChartDPI), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(img)
	legendW := c.legend.Rectangle(dc).Size().X
	if legendW > 0 {
		legendW += 16
	}
	area := draw.Crop(dc, 6, -legendW-6, 4, -6)
	if c.panels != nil {
		c.drawPanels(area)
	} else {
		c.plot.Draw(area)
	}
	if legendW > 0 {
		top := c.plot.Title.TextStyle.Rectangle(c.plot.Title.Text).Size().Y + c.plot.Title.Padding + 8
		lc := draw.Crop(dc, ChartWidth-legendW+4, 0, 0, -top)
		c.legend.Draw(lc)
	}
	return vgimg.PngCanvas{Canvas: img}, nil
}

// Glyphs for transports: index style.glyph.
var glyphShapes = []draw.GlyphDrawer{
	draw.CircleGlyph{}, draw.BoxGlyph{}, draw.PyramidGlyph{}, draw.CrossGlyph{},
	draw.PlusGlyph{}, draw.RingGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{},
}

func lineStyle(t string) draw.LineStyle {
	s := styleOf(t)
	ls := draw.LineStyle{Color: s.color, Width: vg.Points(1.8)}
	if s.dashed {
		ls.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
	}
	return ls
}

func glyphStyle(t string) draw.GlyphStyle {
	s := styleOf(t)
	return draw.GlyphStyle{Color: s.color, Radius: vg.Points(3.5), Shape: glyphShapes[s.glyph%len(glyphShapes)]}
}

var familyTitles = map[string]string{
	"pipe": "pipes", "socket": "sockets", "mq": "message queues",
	"shm": "shared memory", "signal": "signals", FamilyRPC: "frameworks (rpc)", "other": "other",
}

// addTransportLegend adds the transports to the legend grouped under
// family headings, in palette order.
func addTransportLegend(r *Results, c *Chart, ts []string, thumbs map[string][]plot.Thumbnailer) {
	fam := ""
	for _, t := range ts {
		if f := r.Family(t); f != fam {
			fam = f
			title, ok := familyTitles[f]
			if !ok {
				title = f
			}
			c.legend.Add(title + ":")
		}
		c.legend.Add(t, thumbs[t]...)
	}
}

// An axisScale maps data values to plot coordinates: identity, or log10.
// Log axes are drawn by plotting log10 of the values on a linear axis with
// ticks labelled in data units (gonum's LogScale misplaces long axis
// labels' glyph boxes and then shrinks the data area).
type axisScale struct{ log bool }

func (a axisScale) f(v float64) float64 {
	if a.log {
		return math.Log10(v)
	}
	return v
}

// ok reports whether v can be drawn on the axis.
func (a axisScale) ok(v float64) bool { return !a.log || v > 0 }

// setAxis configures axis for the scale and labels it; a log axis gets
// ticks at powers of ten (and 2×, 5× when it spans under two decades).
func (a axisScale) setAxis(ax *plot.Axis, label string) {
	ax.Label.Text = label
	if a.log {
		ax.Label.Text += ", log scale"
		ax.Tick.Marker = log10Ticks{}
	} else {
		ax.Tick.Marker = linTicks{}
	}
}

// linTicks labels a linear axis every 1, 2 or 5 × 10^k, about six labels.
type linTicks struct{}

func (linTicks) Ticks(min, max float64) []plot.Tick {
	if !(max > min) {
		return nil
	}
	raw := (max - min) / 6
	step := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if step*m >= raw {
			step *= m
			break
		}
	}
	var ticks []plot.Tick
	for v := math.Ceil(min/step) * step; v <= max+step*1e-9; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(math.Round(v/step)*step, 'f', -1, 64)})
	}
	return ticks
}

// log10Ticks marks an axis that plots log10 of the data (axisScale) at 1
// to 9 of every decade and labels them in data units: 1 of each decade,
// and 2 and 5 as well when the axis spans under three decades.
type log10Ticks struct{}

func (log10Ticks) Ticks(min, max float64) []plot.Tick {
	dense := max-min < 3
	var ticks []plot.Tick
	for e := math.Floor(min); e <= math.Ceil(max); e++ {
		for i := 1; i < 10; i++ {
			v := e + math.Log10(float64(i))
			if v < min-1e-9 || v > max+1e-9 {
				continue
			}
			t := plot.Tick{Value: v}
			if i == 1 || (dense && (i == 2 || i == 5)) {
				t.Label = strconv.FormatFloat(math.Pow(10, e)*float64(i), 'f', -1, 64)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// sizeAxis sets a log10 size axis labelled at the measured sizes.
func sizeAxis(ax *plot.Axis, sizes []int) {
	ax.Label.Text = "message size (bytes, log scale)"
	var ts plot.ConstantTicks
	for _, s := range sizes {
		ts = append(ts, plot.Tick{Value: math.Log10(float64(s)), Label: SizeLabel(s)})
	}
	ax.Tick.Marker = ts
	if len(sizes) > 0 {
		ax.Min = math.Log10(float64(sizes[0])) - 0.1
		ax.Max = math.Log10(float64(sizes[len(sizes)-1])) + 0.1
	}
}

// spansDecades reports whether positive values span at least a factor 10.
func spansDecades(vals []float64) bool {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		if v > 0 {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	return hi/lo >= 10
}

var logScale = axisScale{log: true}

// dodge spreads transports sideways on a log axis so whiskers at the same
// size do not hide each other: factor for the i-th of n series.
func dodge(i, n int) float64 {
	if n <= 1 {
		return 1
	}
	return math.Pow(1.035, float64(i)-float64(n-1)/2)
}

func refLine(xs []float64, ys []float64) (*plotter.Line, error) {
	xy := make(plotter.XYs, len(xs))
	for i := range xs {
		xy[i].X, xy[i].Y = xs[i], ys[i]
	}
	l, err := plotter.NewLine(xy)
	if err != nil {
		return nil, err
	}
	l.LineStyle = draw.LineStyle{Color: refColor, Width: vg.Points(1.5), Dashes: []vg.Length{vg.Points(2), vg.Points(3)}}
	return l, nil
}

// floor returns the summary of the reference floor op at pin (another
// pin, by preference, if op lacks it) at its smallest size, and the key.
func (r *Results) floor(op, pin, unit string) (Summary, Key, bool) {
	for _, p := range append([]string{pin}, pinPreference...) {
		for _, k := range r.Keys(results.BenchFloor) {
			if k.Op == op && k.Pin == p {
				if s, ok := r.Stat(k, unit); ok {
					return s, k, true
				}
			}
		}
	}
	return Summary{}, Key{}, false
}

func buildThroughput(r *Results, c *Chart) error {
	ts := r.Transports(results.BenchStream)
	sizes := r.mainSizes(results.BenchStream)
	if len(ts) == 0 || len(sizes) == 0 {
		return noData("no BenchmarkStream results")
	}
	pin := r.mainPin(results.BenchStream)
	type line struct {
		t  string
		xy plotter.XYs
	}
	var lines []line
	var all []float64
	for _, t := range ts {
		var xy plotter.XYs
		for _, size := range sizes {
			k, ok := r.primaryKey(results.BenchStream, t, size, pin, results.UnitMBs)
			if !ok {
				continue
			}
			s, _ := r.Stat(k, results.UnitMBs)
			if s.Median <= 0 {
				continue
			}
			xy = append(xy, plotter.XY{X: math.Log10(float64(size)), Y: s.Median})
			all = append(all, s.Median)
		}
		if len(xy) > 0 {
			lines = append(lines, line{t, xy})
		}
	}
	if len(lines) == 0 {
		return noData("no BenchmarkStream MB/s figures")
	}
	// References: memcpy on one core (op=memcpy, one-process, named
	// pin=same) and the two-process copy loop at the chart's pin.
	refs := []struct {
		op, pin, label string
		xs, ys         []float64
	}{
		{op: "memcpy", pin: "same", label: "memcpy, one core"},
		{op: "copyloop", pin: pin, label: "copy loop, 2 processes, pin=" + pin},
	}
	for i := range refs {
		for _, size := range r.Sizes(results.BenchFloor, "") {
			k := Key{Bench: results.BenchFloor, Op: refs[i].op, Pin: refs[i].pin, Size: size}
			if s, ok := r.Stat(k, results.UnitMBs); ok && s.Median > 0 {
				refs[i].xs = append(refs[i].xs, math.Log10(float64(size)))
				refs[i].ys = append(refs[i].ys, s.Median)
				all = append(all, s.Median)
			}
		}
	}
	ys := axisScale{log: spansDecades(all)}
	p := c.plot
	p.Title.Text += ", pin=" + pin
	sizeAxis(&p.X, sizes)
	ys.setAxis(&p.Y, "throughput (MB/s, a per-round mean rate): median over rounds")
	if !ys.log {
		p.Y.Min = 0
	}
	p.Add(plotter.NewGrid())
	thumbs := map[string][]plot.Thumbnailer{}
	var drawnTs []string
	for _, ln := range lines {
		for i := range ln.xy {
			ln.xy[i].Y = ys.f(ln.xy[i].Y)
		}
		l, s, err := plotter.NewLinePoints(ln.xy)
		if err != nil {
			return err
		}
		l.LineStyle, s.GlyphStyle = lineStyle(ln.t), glyphStyle(ln.t)
		p.Add(l, s)
		thumbs[ln.t] = []plot.Thumbnailer{l, s}
		drawnTs = append(drawnTs, ln.t)
	}
	addTransportLegend(r, c, drawnTs, thumbs)
	c.Caption = fmt.Sprintf("BenchmarkStream, pin=%s, api=raw where the transport has it (zero-copy is not drawn here): bytes delivered and verified per second in each round, median over rounds.", pin)
	var drawn []string
	for i, ref := range refs {
		if len(ref.xs) == 0 {
			continue
		}
		for j := range ref.ys {
			ref.ys[j] = ys.f(ref.ys[j])
		}
		l, err := refLine(ref.xs, ref.ys)
		if err != nil {
			return err
		}
		if i == 1 {
			l.LineStyle.Color = color.RGBA{R: 110, G: 110, B: 110, A: 255}
			l.LineStyle.Dashes = []vg.Length{vg.Points(7), vg.Points(3), vg.Points(2), vg.Points(3)}
		}
		p.Add(l)
		if len(drawn) == 0 {
			c.legend.Add("reference:")
		}
		c.legend.Add(ref.label, l)
		drawn = append(drawn, ref.op)
	}
	if slices.Contains(drawn, "memcpy") {
		c.Caption += " The dotted black line is memcpy bandwidth on one core (BenchmarkFloor/op=memcpy), the ceiling for any copy."
	} else {
		c.Caption += " No memcpy reference in these results (BenchmarkFloor/op=memcpy)."
	}
	if slices.Contains(drawn, "copyloop") {
		c.Caption += fmt.Sprintf(" The grey dash-dot line is the copy loop (BenchmarkFloor/op=copyloop, pin=%s): the shortest two-process stream through one shared mapping, the ceiling for a copying shared-memory transport.", pin)
	} else {
		c.Caption += fmt.Sprintf(" No copy-loop reference at pin=%s in these results (BenchmarkFloor/op=copyloop).", pin)
	}
	return nil
}

// smallestSize returns 64 if bench measured it, else its smallest size.
func (r *Results) smallestSize(bench string) (int, bool) {
	sizes := r.Sizes(bench, "")
	if len(sizes) == 0 {
		return 0, false
	}
	for _, s := range sizes {
		if s == 64 {
			return 64, true
		}
	}
	return sizes[0], true
}

var ladderUnits = []struct{ unit, label string }{
	{results.UnitP50, "p50"}, {results.UnitP90, "p90"}, {results.UnitP99, "p99"}, {results.UnitP999, "p99.9"}, {results.UnitMax, "max"},
}

func buildLadder(r *Results, c *Chart) error {
	size, ok := r.smallestSize(results.BenchPingPong)
	if !ok {
		return noData("no BenchmarkPingPong results")
	}
	pts := r.at(results.BenchPingPong, results.UnitP50, size)
	if len(pts) == 0 {
		return noData("no percentile metrics (p50-ns …) in BenchmarkPingPong at %s", SizeLabel(size))
	}
	p := c.plot
	p.Title.Text = fmt.Sprintf("Round-trip latency percentiles at %s, pin=%s", SizeLabel(size), r.mainPin(results.BenchPingPong))
	var names []string
	for _, u := range ladderUnits {
		names = append(names, u.label)
	}
	p.NominalX(names...)
	p.X.Label.Text = "percentile of round trips within a run"
	logScale.setAxis(&p.Y, "round-trip time (µs): median over rounds")
	p.Add(plotter.NewGrid())
	thumbs := map[string][]plot.Thumbnailer{}
	var drawnTs []string
	for _, pt := range pts {
		var xy plotter.XYs
		for i, u := range ladderUnits {
			if s, ok := r.Stat(pt.Key, u.unit); ok && s.Median > 0 {
				xy = append(xy, plotter.XY{X: float64(i), Y: math.Log10(s.Median / 1e3)})
			}
		}
		if len(xy) == 0 {
			continue
		}
		l, s, err := plotter.NewLinePoints(xy)
		if err != nil {
			return err
		}
		l.LineStyle, s.GlyphStyle = lineStyle(pt.Transport), glyphStyle(pt.Transport)
		p.Add(l, s)
		thumbs[pt.Transport] = []plot.Thumbnailer{l, s}
		drawnTs = append(drawnTs, pt.Transport)
	}
	addTransportLegend(r, c, drawnTs, thumbs)
	c.Caption = fmt.Sprintf("BenchmarkPingPong at %s, pin=%s: the p50, p90, p99, p99.9 and maximum of the round trips of each round (median over rounds). A steep right end is a long tail.", SizeLabel(size), r.mainPin(results.BenchPingPong))
	return nil
}

// A variant is one of the figures a dumbbell chart sets side by side for
// each transport, told apart by the shape of its glyph.
type variant struct {
	Name  string
	Shape draw.GlyphDrawer
}

// A pairRow is one transport in a dumbbell chart: its figure for each
// variant of the chart, in order (a Summary that is not Valid where it
// lacks one).
type pairRow struct {
	Transport string
	Vals      []Summary
}

// dumbbellScale returns the scale of a dumbbell chart of rows: log when
// their medians span a factor 10.
func dumbbellScale(rows ...[]pairRow) axisScale {
	var all []float64
	for _, rs := range rows {
		for _, r := range rs {
			for _, v := range r.Vals {
				if v.Valid() {
					all = append(all, v.Median)
				}
			}
		}
	}
	return axisScale{log: spansDecades(all)}
}

// drawDumbbells draws on p, on scale sc, a horizontal dumbbell chart: one
// row per transport, each variant's median (ns, drawn in µs) as a glyph
// of the variant's shape in the transport's colour, joined by a line from
// the lowest to the highest. An empty xLabel leaves the X axis unlabelled
// (a chart of panels labels it once); labelRows false leaves the rows
// unnamed, for a panel beside another with the same rows.
func drawDumbbells(p *plot.Plot, rows []pairRow, vs []variant, sc axisScale, xLabel string, labelRows bool) error {
	var names []string
	// NominalY puts the first name at the bottom: reverse for reading order.
	for i := len(rows) - 1; i >= 0; i-- {
		name := rows[i].Transport
		if !labelRows {
			name = ""
		}
		names = append(names, name)
	}
	p.NominalY(names...)
	if labelRows {
		p.Y.Label.Text = "transport"
	}
	sc.setAxis(&p.X, xLabel)
	if xLabel == "" {
		p.X.Label.Text = ""
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range rows {
		for _, v := range r.Vals {
			if v.Valid() && sc.ok(v.Median) {
				lo, hi = math.Min(lo, sc.f(v.Median/1e3)), math.Max(hi, sc.f(v.Median/1e3))
			}
		}
	}
	// Leave room so no glyph sits on the frame; a linear axis starts at 0.
	if sc.log {
		p.X.Min, p.X.Max = lo-0.05, hi+0.05
	} else {
		p.X.Min, p.X.Max = 0, hi*1.05
	}
	p.Y.Min, p.Y.Max = -0.6, float64(len(rows))-0.4
	p.Add(plotter.NewGrid())
	for i, row := range rows {
		y := float64(len(rows) - 1 - i)
		col := styleOf(row.Transport).color
		var xy plotter.XYs
		var gs []*plotter.Scatter
		for j, v := range row.Vals {
			if !v.Valid() || !sc.ok(v.Median) {
				continue
			}
			pt := plotter.XYs{{X: sc.f(v.Median / 1e3), Y: y}}
			g, err := plotter.NewScatter(pt)
			if err != nil {
				return err
			}
			g.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(5), Shape: vs[j].Shape}
			xy = append(xy, pt...)
			gs = append(gs, g)
		}
		if len(xy) > 1 {
			slices.SortFunc(xy, func(a, b plotter.XY) int { return cmp.Compare(a.X, b.X) })
			l, err := plotter.NewLine(plotter.XYs{xy[0], xy[len(xy)-1]})
			if err != nil {
				return err
			}
			l.LineStyle = draw.LineStyle{Color: col, Width: vg.Points(2)}
			p.Add(l)
		}
		for _, g := range gs {
			p.Add(g)
		}
	}
	return nil
}

// addVariantLegend adds to l each variant's glyph in black, and that the
// colour is the transport's.
func addVariantLegend(l *plot.Legend, vs []variant) {
	for _, v := range vs {
		k, _ := plotter.NewScatter(plotter.XYs{{}})
		k.GlyphStyle = draw.GlyphStyle{Color: color.Black, Radius: vg.Points(5), Shape: v.Shape}
		l.Add(v.Name, k)
	}
	l.Add("colour: the transport's,")
	l.Add("as in every chart")
}

// pinVariants are the two placements of the pin chart.
var pinVariants = []variant{{"filled: pin=split (two CPUs)", draw.CircleGlyph{}}, {"open: pin=same (one CPU)", draw.RingGlyph{}}}

func buildPin(r *Results, c *Chart) error {
	size, ok := r.smallestSize(results.BenchPingPong)
	if !ok {
		return noData("no BenchmarkPingPong results")
	}
	var rows []pairRow
	for _, t := range r.Transports(results.BenchPingPong) {
		for _, api := range apiPreference {
			split, ok1 := r.Stat(Key{Bench: results.BenchPingPong, Transport: t, API: api, Pin: "split", Size: size}, latencyUnit)
			same, ok2 := r.Stat(Key{Bench: results.BenchPingPong, Transport: t, API: api, Pin: "same", Size: size}, latencyUnit)
			if ok1 && ok2 {
				rows = append(rows, pairRow{t, []Summary{split, same}})
				break
			}
		}
	}
	if len(rows) == 0 {
		return noData("no transport has both pin=same and pin=split in BenchmarkPingPong at %s", SizeLabel(size))
	}
	c.plot.Title.Text = fmt.Sprintf("pin=split against pin=same: round trip at %s", SizeLabel(size))
	if err := drawDumbbells(c.plot, rows, pinVariants, dumbbellScale(rows), "p50 round trip (µs): median over rounds", true); err != nil {
		return err
	}
	addVariantLegend(&c.legend, pinVariants)
	c.Caption = fmt.Sprintf("BenchmarkPingPong at %s (api=raw where present): both processes on different CPUs (filled) against both on one CPU (open).", SizeLabel(size))
	return nil
}

func buildSignals(r *Results, c *Chart) error {
	kinds := []struct{ kind, label string }{{"standard", "standard"}, {"realtime", "real-time"}}
	var vals plotter.Values
	var names []string
	var labels []string
	var counts []string
	pin := ""
	hi := 0.0
	for _, k := range kinds {
		key, ok := r.signalKey(k.kind)
		if !ok {
			continue
		}
		s, ok := r.Stat(key, results.UnitLostPct)
		if !ok {
			continue
		}
		pin = key.Pin
		vals = append(vals, s.Median)
		hi = math.Max(hi, s.Max)
		names = append(names, k.label+" signals")
		lab := fmtPct(s.Median) + " lost"
		if s.N > 1 && s.Max > s.Min {
			lab += fmt.Sprintf(" (runs: %s to %s)", fmtPct(s.Min), fmtPct(s.Max))
		}
		labels = append(labels, lab)
		if cs := signalCounts(r, key); cs != "" {
			counts = append(counts, k.label+cs)
		}
	}
	if len(vals) == 0 {
		return noData("no BenchmarkSignalFlood results")
	}
	p := c.plot
	bars, err := plotter.NewBarChart(vals, vg.Points(90))
	if err != nil {
		return err
	}
	sig := styleOf("signal").color
	bars.Color = sig
	bars.LineStyle.Width = 0
	p.Add(plotter.NewGrid(), bars)
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.8, float64(len(vals))-0.2
	p.X.Label.Text = "kind of signal (flooded by one sender)"
	p.Y.Label.Text = "signals lost (% of those the kernel accepted): median over rounds"
	p.Y.Tick.Marker = linTicks{}
	p.Y.Min, p.Y.Max = 0, math.Min(100, math.Max(10, math.Ceil(hi*1.4/10)*10))
	xy := make(plotter.XYs, len(vals))
	for i, v := range vals {
		xy[i] = plotter.XY{X: float64(i), Y: v + p.Y.Max*0.03}
	}
	lab, err := plotter.NewLabels(plotter.XYLabels{XYs: xy, Labels: labels})
	if err != nil {
		return err
	}
	for i := range lab.TextStyle {
		lab.TextStyle[i].Font.Size = 13
		lab.TextStyle[i].XAlign = draw.XCenter
	}
	p.Add(lab)
	if pin != "" {
		p.Title.Text += ", pin=" + pin
	}
	c.Caption = "BenchmarkSignalFlood: a sender fires signals as fast as it can at a receiver. Standard signals of one number coalesce while pending; real-time signals queue (up to RLIMIT_SIGPENDING; a send over it is refused with EAGAIN, which is not a loss)."
	if len(counts) > 0 {
		c.Caption += " " + strings.Join(counts, "; ") + "."
	}
	return nil
}
