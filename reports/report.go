package reports

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// Options adjusts a report.
type Options struct {
	// Title heads the report; "ipcbench report" if empty.
	Title string
	// Source names the results file in the report; Results.Source if empty.
	Source string
}

// A Report is a built report: the document and the charts it shows.
// Build it with Build, write it with Write or read its text with
// Markdown and HTML.
type Report struct {
	Verdicts []Verdict
	Charts   []*Chart
	Missing  []MissingChart
	doc      []block
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
	rep := &Report{Verdicts: Verdicts(res), Charts: charts, Missing: missing}
	rep.doc = rep.document(res, opts)
	return rep, nil
}

// Write builds the report of res and writes into dir (created if needed)
// report.md, report.html and one PNG per chart. It returns the paths
// written, report.md first.
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
	if err := write("report.md", rep.Markdown()); err != nil {
		return nil, err
	}
	if err := write("report.html", rep.HTML()); err != nil {
		return nil, err
	}
	for _, c := range rep.Charts {
		wt, err := c.WriterTo()
		if err != nil {
			return nil, fmt.Errorf("reports: chart %s: %w", c.File, err)
		}
		var buf bytes.Buffer
		if _, err := wt.WriteTo(&buf); err != nil {
			return nil, fmt.Errorf("reports: chart %s: %w", c.File, err)
		}
		if err := write(c.File, buf.Bytes()); err != nil {
			return nil, err
		}
	}
	return paths, nil
}

// document lays out the report.
func (rep *Report) document(res *Results, opts Options) []block {
	var d []block
	add := func(b ...block) { d = append(d, b...) }
	nLines := 0
	for _, k := range res.Keys("") {
		for _, s := range res.Series {
			if s.Key == k {
				nLines = max(nLines, len(s.Values))
			}
		}
	}
	head := fmt.Sprintf("Results: %s — %d benchmark configurations, up to %d runs each.", opts.Source, len(res.Keys("")), nLines)
	if c, ok := res.ConfigValue("commit"); ok {
		head += " Commit " + c + "."
	}
	add(heading{1, opts.Title}, para{head})

	// Verdict table.
	add(heading{2, "Verdict on the article's claims"})
	t := table{Header: []string{"#", "claim", "figures from this run", "verdict"}}
	for _, v := range rep.Verdicts {
		t.Rows = append(t.Rows, []string{v.ID, v.Claim, strings.Join(v.Figures, "\n"), v.Text()})
	}
	add(t, para{fmt.Sprintf("Each verdict is computed from this run by a rule in reports/verdict.go (one function per claim); the claims are those of seed/CLAIMS.md. Figures are medians over runs. Two figures whose intervals overlap are called not distinguishable and never count as a win. Intervals: %s", intervalMethod())})

	// Fastest at each size.
	add(heading{2, "Fastest transport at each size"})
	cm := res.cpuMetric()
	ms := []metric{metricLatency, metricThroughput, cm}
	sizes := map[int]bool{}
	for _, m := range ms {
		for _, s := range res.mainSizes(m.Bench) {
			sizes[s] = true
		}
	}
	if len(sizes) == 0 {
		add(para{"No ping-pong or stream results: nothing to rank."})
	} else {
		ft := table{Header: []string{"size", "lowest round-trip latency (PingPong ns/op)", "highest throughput (Stream MB/s)", "lowest " + cm.Name + " (" + cm.Bench + " cpu-ns/op)"}}
		for _, size := range sortedInts(sizes) {
			row := []string{SizeLabel(size)}
			for _, m := range ms {
				row = append(row, fastestCell(res, m, size))
			}
			ft.Rows = append(ft.Rows, row)
		}
		add(ft)
		var items []string
		for _, m := range []metric{metricLatency, metricThroughput} {
			ds := measurable(res.shmDuels(m))
			if len(ds) == 0 {
				items = append(items, fmt.Sprintf("%s: not measured (needs shared-memory and message-passing results)", m.Name))
				continue
			}
			if x, ok := crossover(ds); ok {
				if x == ds[0].Size {
					items = append(items, fmt.Sprintf("%s: shared memory wins at every size measured, from %s", m.Name, SizeLabel(x)))
				} else {
					items = append(items, fmt.Sprintf("%s: shared memory starts to win at %s and wins at every larger size", m.Name, SizeLabel(x)))
				}
			} else if w := sizesWhere(ds, Better); len(w) > 0 {
				items = append(items, fmt.Sprintf("%s: no crossover; shared memory wins at %s only", m.Name, sizeList(w)))
			} else {
				items = append(items, fmt.Sprintf("%s: shared memory does not win at any size measured", m.Name))
			}
		}
		add(para{"Crossover (best shared-memory transport against the best of the others, size by size):"}, list{items})
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

	// Per-transport tables.
	for _, m := range []metric{metricLatency, metricThroughput, cm} {
		add(heading{2, strings.ToUpper(m.Name[:1]) + m.Name[1:] + " by transport (" + m.Bench + " " + m.Unit + ")"})
		add(transportTable(res, m)...)
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
		"Samples: one value per result line; a run with -count N gives N samples per benchmark configuration. Figures are medians of those samples (github.com/montanaflynn/stats).",
		"Percentiles over samples (quartiles): " + PercentileDefinition + ". The p50/p90/p99/p99.9/max figures are measured within each run by the harness; the report shows their median over runs.",
		"Intervals: " + intervalMethod(),
		fmt.Sprintf("Cross-transport comparisons use pin=%s (ping-pong) and pin=%s (stream) and, per transport, api=raw where it exists (then zerocopy, then runtime).", res.mainPin(BenchPingPong), res.mainPin(BenchStream)),
		"Shared memory = the shm-*, mmap-* and sysvshm-* transports; message passing = every other transport.",
		fmt.Sprintf("C7 treats fifo and pipe as the same when their intervals overlap or their medians differ by at most %.0f %%.", 100*SameTolerance),
	}})

	if len(res.Warnings) > 0 {
		add(heading{2, "Warnings"})
		add(list{res.Warnings})
	}
	return d
}

func intervalMethod() string {
	return fmt.Sprintf("%.0f %% confidence interval of the median (golang.org/x/perf/benchmath, distribution-free, alpha = %.2f) when a configuration has at least %d runs; with fewer runs the min–max range of the runs, marked †.", 100*(1-Alpha), Alpha, MinCISamples)
}

// fastestCell names the best transport for m at size, and those not
// distinguishable from it.
func fastestCell(r *Results, m metric, size int) string {
	b, ties, ok := best(r.at(m.Bench, m.Unit, size), m.LowerBetter)
	if !ok {
		return "not measured"
	}
	s := pointFig(b, m.Format)
	if len(ties) > 0 {
		s += "; not distinguishable: " + transportList(ties)
	}
	return s
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

func transportTable(r *Results, m metric) []block {
	sizes := r.mainSizes(m.Bench)
	ts := r.Transports(m.Bench)
	if len(sizes) == 0 || len(ts) == 0 {
		return []block{para{"Not measured in this run."}}
	}
	var notes []block
	pin := r.mainPin(m.Bench)
	t := table{Header: []string{"transport", "family", "api"}}
	for _, s := range sizes {
		t.Header = append(t.Header, SizeLabel(s))
	}
	rows := 0
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
		row := []string{tr, Family(tr), ""}
		any := false
		for _, size := range sizes {
			k, ok := r.primaryKey(m.Bench, tr, size, pin, m.Unit)
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
			row = append(row, m.Format(s.Median)+spread(s))
			any = true
		}
		if any {
			t.Rows = append(t.Rows, row)
			rows++
		}
	}
	if rows == 0 {
		return []block{para{"Not measured in this run."}}
	}
	return append([]block{para{fmt.Sprintf("pin=%s. Median over runs ± the half-width of its interval as a percentage of the median; — = not measured (a size above the transport's limit is skipped).", pin)}, t}, notes...)
}

// missingItems lists what the run lacks: transports, sizes, reference
// floors, experiments.
func missingItems(r *Results, rep *Report) []string {
	var items []string
	have := map[string]bool{}
	for _, t := range r.Transports("") {
		have[t] = true
	}
	var absent []string
	for _, t := range transportOrder {
		if !have[t] {
			absent = append(absent, t)
		}
	}
	if len(absent) > 0 {
		items = append(items, fmt.Sprintf("Transports with no results at all (%d of %d known): %s.", len(absent), len(transportOrder), strings.Join(absent, ", ")))
	} else {
		items = append(items, "Every known transport has results.")
	}
	for _, b := range []string{BenchPingPong, BenchStream} {
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
	for _, k := range r.Keys(BenchFloor) {
		floors[k.Op] = true
	}
	var noFloor []string
	for _, op := range []string{"cacheline", "memcpy", "syscall", "futex", "copyloop"} {
		if !floors[op] {
			noFloor = append(noFloor, op)
		}
	}
	if len(noFloor) > 0 {
		items = append(items, "Reference floors absent (BenchmarkFloor/op=…): "+strings.Join(noFloor, ", ")+".")
	}
	if len(r.Keys(BenchSignalFlood)) == 0 {
		items = append(items, "No BenchmarkSignalFlood results (signal loss).")
	}
	if len(r.Keys(BenchBaseline)) == 0 {
		items = append(items, "No BenchmarkBaseline results (minimal raw pipe ping-pong).")
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
