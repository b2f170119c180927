package regress

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/ipcbench/ipcbench/results"
	"golang.org/x/perf/benchunit"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
)

// A history file is Go benchmark format too: run after run appended, each
// run introduced by a "commit: <sha>" config line (benchfmt config lines
// hold until changed), so benchstat and Compare read it as well.

// AppendHistory copies the results in r to w, introduced by a
// "commit: <commit>" config line; commit lines of the input are dropped
// so the given commit keys every result. It returns ErrNoResults when r
// has no benchmark line.
func AppendHistory(w io.Writer, r io.Reader, commit string) error {
	commit = strings.TrimSpace(commit)
	if commit == "" || strings.ContainsAny(commit, " \t\n") {
		return fmt.Errorf("history: bad commit %q", commit)
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "\ncommit: %s\n", commit)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	results := 0
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "commit:") {
			continue
		}
		if strings.HasPrefix(line, "Benchmark") {
			results++
		}
		buf.WriteString(line)
		buf.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	if results == 0 {
		return fmt.Errorf("history: %w", ErrNoResults)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// History is a history file read back: samples per commit.
type History struct {
	// Commits in order of first appearance (the order runs were appended).
	Commits []string
	// Benchmarks in order of first appearance (keys as in Results).
	Benchmarks []string
	// Samples maps benchmark → tidied unit → commit index → values.
	Samples map[string]map[string]map[int][]float64
}

// LoadHistory reads a history file written by AppendHistory. Results
// without a commit config line are filed under "unknown".
func LoadHistory(path string) (*History, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	file, err := results.ReadBy(f, path, "commit")
	if err != nil {
		return nil, err
	}
	commit := func(group string) string {
		if group == "" {
			return "unknown"
		}
		return group
	}
	h := &History{Benchmarks: file.Names, Samples: map[string]map[string]map[int][]float64{}}
	index := map[string]int{}
	for _, g := range file.Groups {
		c := commit(g)
		if _, ok := index[c]; !ok {
			index[c] = len(h.Commits)
			h.Commits = append(h.Commits, c)
		}
	}
	for _, b := range file.Names {
		h.Samples[b] = map[string]map[int][]float64{}
	}
	for _, s := range file.Series {
		ci := index[commit(s.Group)]
		unit, vs := tidy(s)
		units := h.Samples[s.Name]
		if units[unit] == nil {
			units[unit] = map[int][]float64{}
		}
		units[unit][ci] = append(units[unit][ci], vs...)
	}
	return h, nil
}

// MaxSeries caps the lines of one chart: more would hide each other.
const MaxSeries = 10

// ErrNoSeries is returned by Chart when no benchmark has the metric.
var ErrNoSeries = errors.New("no benchmark matches with that metric")

// Chart draws unit (as go test prints it or tidied: "ns/op", "p99-ns",
// "MB/s") over commits for the benchmarks match accepts (nil: all), one
// line per benchmark through the medians with min–max bars, and writes
// it to w as a width×height PNG. It returns the benchmarks drawn; past
// MaxSeries the rest are left out (narrow the selection).
func (h *History) Chart(w io.Writer, unit string, match func(string) bool, width, height vg.Length) ([]string, error) {
	label := unit
	unit = TidyUnit(unit)
	var names []string
	var all []float64
	for _, b := range h.Benchmarks {
		if (match == nil || match(b)) && len(h.Samples[b][unit]) > 0 {
			if len(names) == MaxSeries {
				break
			}
			names = append(names, b)
			for _, vs := range h.Samples[b][unit] {
				all = append(all, median(vs))
			}
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("history: %s: %w", unit, ErrNoSeries)
	}
	sc := benchunit.CommonScale(all, benchunit.Decimal) // MB/s, not MiB/s, on charts
	p := plot.New()
	p.Title.Text = label + " over commits (median of the samples, bars: min–max)"
	p.X.Label.Text = "commit (oldest → newest)"
	p.Y.Label.Text = scaledUnit(unit, sc.Prefix)
	p.Legend.Top = true
	p.Legend.Left = true
	minV, maxV := math.Inf(1), math.Inf(-1)
	for i, b := range names {
		var xy plotter.XYs
		var ye plotter.YErrors
		idx := make([]int, 0, len(h.Samples[b][unit]))
		for ci := range h.Samples[b][unit] {
			idx = append(idx, ci)
		}
		sort.Ints(idx)
		for _, ci := range idx {
			vs := h.Samples[b][unit][ci]
			m, lo, hi := median(vs)/sc.Factor, minOf(vs)/sc.Factor, maxOf(vs)/sc.Factor
			xy = append(xy, plotter.XY{X: float64(ci), Y: m})
			ye = append(ye, struct{ Low, High float64 }{m - lo, hi - m})
			minV, maxV = math.Min(minV, lo), math.Max(maxV, hi)
		}
		line, scatter, err := plotter.NewLinePoints(xy)
		if err != nil {
			return nil, err
		}
		line.Color = plotutil.Color(i)
		line.Dashes = plotutil.Dashes(i / 7)
		scatter.Color = plotutil.Color(i)
		scatter.Shape = plotutil.Shape(i)
		bars, err := plotter.NewYErrorBars(struct {
			plotter.XYs
			plotter.YErrors
		}{xy, ye})
		if err != nil {
			return nil, err
		}
		bars.Color = plotutil.Color(i)
		p.Add(line, scatter, bars)
		p.Legend.Add(b, line, scatter)
	}
	// Leave the top of the plot to the legend so that it hides no data.
	frac := math.Min(0.6, (float64(len(names))*14+12)/(height.Points()-60))
	if minV > 0 && maxV/minV > 20 {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logScaleTicks{}
		lo, hi := math.Log10(minV), math.Log10(maxV)
		p.Y.Min = math.Pow(10, lo-0.02*(hi-lo))
		p.Y.Max = math.Pow(10, hi+(hi-lo)*frac/(1-frac))
	} else {
		span := maxV - minV
		if span == 0 {
			span = math.Abs(maxV)*0.1 + 1
		}
		p.Y.Min = math.Max(0, minV-0.05*span)
		if minV < 0 {
			p.Y.Min = minV - 0.05*span
		}
		p.Y.Max = maxV + (maxV-p.Y.Min)*frac/(1-frac)
	}
	var ticks []plot.Tick
	for i, c := range h.Commits {
		ticks = append(ticks, plot.Tick{Value: float64(i), Label: shortCommit(c)})
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.X.Min, p.X.Max = -0.5, float64(len(h.Commits))-0.5
	if len(h.Commits) > 8 {
		p.X.Tick.Label.Rotation = math.Pi / 4
		p.X.Tick.Label.XAlign = text.XRight
		p.X.Tick.Label.YAlign = text.YCenter
	}
	wt, err := p.WriterTo(width, height, "png")
	if err != nil {
		return nil, err
	}
	_, err = wt.WriteTo(w)
	return names, err
}

// logScaleTicks marks a plot.LogScale axis (values in data units) at 1 to
// 9 of every decade and labels 1, 2 and 5 (plot.LogTicks labels only
// powers of ten, too few when the data spans one or two decades).
type logScaleTicks struct{}

func (logScaleTicks) Ticks(min, max float64) []plot.Tick {
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		d := math.Pow(10, e)
		for i := 1; i < 10; i++ {
			v := float64(i) * d
			if v < min || v > max {
				continue
			}
			t := plot.Tick{Value: v}
			if i == 1 || i == 2 || i == 5 {
				t.Label = strconv.FormatFloat(v, 'g', -1, 64)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

func scaledUnit(unit, prefix string) string {
	switch {
	case strings.Contains(unit, "sec"):
		return strings.Replace(unit, "sec", prefix+"s", 1)
	case strings.HasPrefix(unit, "B/"):
		return prefix + unit
	case prefix != "":
		return unit + " (×" + prefix + ")"
	}
	return unit
}

func shortCommit(c string) string {
	if len(c) > 10 && strings.Trim(c, "0123456789abcdef") == "" {
		return c[:8]
	}
	if len(c) > 16 {
		return c[:16]
	}
	return c
}

func median(vs []float64) float64 {
	s := append([]float64(nil), vs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func minOf(vs []float64) float64 {
	m := math.Inf(1)
	for _, v := range vs {
		m = math.Min(m, v)
	}
	return m
}

func maxOf(vs []float64) float64 {
	m := math.Inf(-1)
	for _, v := range vs {
		m = math.Max(m, v)
	}
	return m
}
