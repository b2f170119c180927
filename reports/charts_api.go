package reports

import (
	"fmt"

	"github.com/ipcbench/ipcbench/results"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg/draw"
)

// apiVariants are the APIs the api chart sets side by side, in the order
// of pairRow.Vals: the raw system calls, the Go runtime's poller, and the
// shared-memory transports' zero-copy interface.
var apiVariants = []struct {
	API string
	variant
}{
	{"raw", variant{"filled: api=raw (blocking syscalls)", draw.CircleGlyph{}}},
	{"runtime", variant{"open: api=runtime (Go poller)", draw.RingGlyph{}}},
	{APIZeroCopy, variant{"triangle: api=zerocopy (borrow/commit)", draw.TriangleGlyph{}}},
}

// apiRows returns, at pin and size, one row per transport measured
// through at least two of apiVariants there, in palette order.
func (r *Results) apiRows(pin string, size int) []pairRow {
	var rows []pairRow
	for _, t := range r.Transports(results.BenchPingPong) {
		row := pairRow{Transport: t}
		n := 0
		for _, v := range apiVariants {
			s, ok := r.Stat(Key{Bench: results.BenchPingPong, Transport: t, API: v.API, Pin: pin, Size: size}, latencyUnit)
			if ok {
				n++
			}
			row.Vals = append(row.Vals, s)
		}
		if n >= 2 {
			rows = append(rows, row)
		}
	}
	return rows
}

// buildAPIs draws, at pin, one dumbbell panel per size of recommendSizes:
// for every transport measured through more than one API, its p50 round
// trip through each. The panels share their rows: a transport measured
// both ways at one size only has an empty row at the other.
func buildAPIs(r *Results, c *Chart, pin string) error {
	bySize := map[int][]pairRow{}
	var names []string
	var sizes []int
	for _, size := range recommendSizes {
		rows := r.apiRows(pin, size)
		if len(rows) == 0 {
			continue
		}
		bySize[size] = rows
		sizes = append(sizes, size)
		for _, row := range rows {
			names = append(names, row.Transport)
		}
	}
	if len(sizes) == 0 {
		return noData("no transport has two of api=raw, api=runtime and api=zerocopy in BenchmarkPingPong at %s, pin=%s", sizeList(recommendSizes), pin)
	}
	names = uniq(names)
	r.SortTransports(names)
	var vs []variant
	for _, v := range apiVariants {
		vs = append(vs, v.variant)
	}
	var all [][]pairRow
	for _, size := range sizes {
		all = append(all, bySize[size])
	}
	sc := dumbbellScale(all...)
	var ps []*plot.Plot
	for i, size := range sizes {
		rows := make([]pairRow, len(names))
		for j, t := range names {
			rows[j] = pairRow{Transport: t, Vals: make([]Summary, len(vs))}
			for _, row := range bySize[size] {
				if row.Transport == t {
					rows[j] = row
				}
			}
		}
		p := newPanel(SizeLabel(size) + " message")
		if err := drawDumbbells(p, rows, vs, sc, "", i == 0); err != nil {
			return err
		}
		ps = append(ps, p)
	}
	c.panels = [][]*plot.Plot{ps}
	sc.setAxis(&c.plot.X, "p50 round trip (µs): median over rounds")
	addVariantLegend(&c.legend, vs)
	c.Caption = fmt.Sprintf("BenchmarkPingPong at %s, pin=%s%s, for every transport measured through more than one API: raw blocking system calls on a locked thread (filled), the Go runtime's poller (open ring; the fd transports), and zero-copy borrow/commit, where the peer reads the message in place in the ring (triangle; shared memory). The line across a row is the price or gain of leaving api=raw.", sizeList(sizes), pin, pinGloss(pin))
	return nil
}

// uniq returns names without repeats, in first-seen order.
func uniq(names []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}
