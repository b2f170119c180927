package reports

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ipcbench/ipcbench/results"
)

// The section "Local versus across a link" and what C8 reads of the
// links. A socket case with a path (results.Key.Path) ran across a link
// instead of over loopback in one namespace: path=veth (the peer in a
// second network namespace, joined by a veth pair), path=netem (the same
// veth with tc netem delay or rate), path=remote (a peer on another
// host). Its series are Results.Links, never Results.Series, so that no
// local section sees them (parse.go); they are measured in the rounds of
// the local cases of their cluster (workload, pin, size), so that a link
// cell pairs round by round with unix-stream of the same round.

// PathConfigPrefix starts the config key of the line a run writes for
// each path it measures across, "ipcbench-path-veth: if=ipcb0
// driver=veth mtu=1500 speed=10000Mb/s" (and "ipcbench-path-remote:
// addr=… if=… driver=… mtu=…"): free text, shown as written.
const PathConfigPrefix = "ipcbench-path-"

// linkBase is the local reference of the network tax: the Unix stream
// socket, the socket a local program would use instead of TCP or UDP.
const linkBase = "unix-stream"

// pathOrder lists the known paths from the nearest to the farthest;
// another path comes after them, by name.
var pathOrder = []string{"veth", "netem", "remote"}

// linkMetrics are the workloads of the section, each by its headline
// figure: the round trip (p50) and the streaming throughput.
var linkMetrics = []metric{metricLatency, metricThroughput}

// A pathLine is one path config line: the path it describes and its text.
type pathLine struct{ Path, Key, Value string }

// pathLines are the run's path config lines, in their order.
func (r *Results) pathLines() []pathLine {
	var out []pathLine
	for _, c := range r.Config {
		if p, ok := strings.CutPrefix(c.Key, PathConfigPrefix); ok && p != "" {
			out = append(out, pathLine{p, c.Key, c.Value()})
		}
	}
	return out
}

// linkPaths are the paths that have series across them, in pathOrder.
func (r *Results) linkPaths() []string {
	seen := map[string]bool{}
	for _, k := range r.LinkKeys("") {
		seen[k.Path] = true
	}
	return sortPaths(seen)
}

// sortPaths returns the paths of set in pathOrder, others after by name.
func sortPaths(set map[string]bool) []string {
	var out, others []string
	for _, p := range pathOrder {
		if set[p] {
			out = append(out, p)
		}
	}
	for p := range set {
		if !slices.Contains(pathOrder, p) {
			others = append(others, p)
		}
	}
	slices.Sort(others)
	return append(out, others...)
}

// linkTransports are the transports with series across a link in bench
// (any bench if ""), in catalogue order.
func (r *Results) linkTransports(bench string) []string {
	seen := map[string]bool{}
	var ts []string
	for _, k := range r.LinkKeys(bench) {
		if !seen[k.Transport] {
			seen[k.Transport] = true
			ts = append(ts, k.Transport)
		}
	}
	r.SortTransports(ts)
	return ts
}

// unmeasuredPaths are the paths a config line describes that no series
// runs across: the link was set up, and every case across it failed or
// was skipped.
func (r *Results) unmeasuredPaths() []pathLine {
	measured := map[string]bool{}
	for _, p := range r.linkPaths() {
		measured[p] = true
	}
	var out []pathLine
	for _, l := range r.pathLines() {
		if !measured[l.Path] {
			out = append(out, l)
		}
	}
	return out
}

// linkBaseKey is the local reference of link key k: unix-stream with k's
// api, pin and size, no path.
func linkBaseKey(k Key) Key {
	return Key{Bench: k.Bench, Transport: linkBase, API: k.API, Pin: k.Pin, Size: k.Size}
}

// linkTax is k ÷ unix-stream (linkBaseKey) in unit, round by round: the
// network tax of k's route.
func (r *Results) linkTax(k Key, unit string) Pairing {
	return r.Pair(k, linkBaseKey(k), unit)
}

// taxText is a tax as "1.90 [1.850–1.960]" (three significant figures
// from 10 up and below 0.1), with ", not distinguishable" when its
// interval contains 1, or "—" when nothing pairs.
func taxText(p Pairing) string {
	s := p.Summary
	if !s.Valid() {
		return "—"
	}
	txt := fmt.Sprintf("%.2f%s", s.Median, ratioSpread(s))
	switch {
	case s.Median >= 10:
		txt = sig3(s.Median) + ratioSpread(s)
	case s.Median < 0.1 && s.N < 2:
		txt = sig3(s.Median)
	case s.Median < 0.1: // ratioSpread's three decimals would say 0.003
		txt = fmt.Sprintf("%s [%s–%s]", sig3(s.Median), sig3(s.Lo), sig3(s.Hi))
		if !s.CI {
			txt += "†"
		}
	}
	if s.Lo <= 1 && s.Hi >= 1 {
		txt += ", not distinguishable"
	}
	return txt
}

// A route is one column of the section's tables: a transport over
// loopback (Path "") or across a path.
type route struct{ Transport, Path string }

func (c route) header() string {
	switch {
	case c.Transport == linkBase && c.Path == "":
		return linkBase
	case c.Path == "":
		return c.Transport + " loopback"
	}
	return c.Transport + " over " + c.Path
}

// linkRoutes are the columns of bench's table: unix-stream, each link
// transport over loopback, then each path with each link transport
// across it, keeping those with a figure in unit.
func (r *Results) linkRoutes(m metric) []route {
	ts := r.linkTransports(m.Bench)
	all := []route{{linkBase, ""}}
	for _, t := range ts {
		all = append(all, route{t, ""})
	}
	for _, p := range r.linkPaths() {
		for _, t := range ts {
			all = append(all, route{t, p})
		}
	}
	var out []route
	for _, c := range all {
		if r.routeHas(m, c) {
			out = append(out, c)
		}
	}
	return out
}

// routeHas reports whether route c has a figure of m at some pin, api and
// size at which a link cell of m was measured.
func (r *Results) routeHas(m metric, c route) bool {
	for _, k := range r.LinkKeys(m.Bench) {
		k.Transport, k.Path = c.Transport, c.Path
		if _, ok := r.Stat(k, m.Unit); ok {
			return true
		}
	}
	return false
}

// A linkRow is one row of the section's tables: a pin, api and size at
// which some link cell was measured.
type linkRow struct {
	Pin, API string
	Size     int
}

// linkRows are the rows of bench's table: by pin (pinPreference), then
// api (apiPreference), then size, those at which a link cell has a
// figure in unit.
func (r *Results) linkRows(m metric) []linkRow {
	have := map[linkRow]bool{}
	for _, k := range r.LinkKeys(m.Bench) {
		if _, ok := r.Stat(k, m.Unit); ok {
			have[linkRow{k.Pin, k.API, k.Size}] = true
		}
	}
	var out []linkRow
	for row := range have {
		out = append(out, row)
	}
	slices.SortFunc(out, func(a, b linkRow) int {
		if c := slices.Index(pinPreference, a.Pin) - slices.Index(pinPreference, b.Pin); c != 0 {
			return c
		}
		if c := apiRank(a.API) - apiRank(b.API); c != 0 {
			return c
		}
		return a.Size - b.Size
	})
	return out
}

// apiRank is api's place in apiPreference, zerocopy and others after.
func apiRank(api string) int {
	if i := slices.Index(apiPreference, api); i >= 0 {
		return i
	}
	return len(apiPreference)
}

// linkCell is route c's figure of m at row: the median ± spread, for any
// route but unix-stream its tax (÷ unix-stream, paired), and the messages
// lost where the case counts them (UDP streams); "—" when not measured.
func (r *Results) linkCell(m metric, row linkRow, c route) string {
	k := Key{Bench: m.Bench, Transport: c.Transport, API: row.API, Path: c.Path, Pin: row.Pin, Size: row.Size}
	s, ok := r.Stat(k, m.Unit)
	if !ok {
		return "—"
	}
	lines := []string{m.Format(s.Median) + spread(s)}
	if c.Transport != linkBase || c.Path != "" {
		lines = append(lines, "÷ "+linkBase+" "+taxText(r.linkTax(k, m.Unit)))
	}
	if l, ok := r.Stat(k, results.UnitLostPct); ok {
		lines = append(lines, "lost "+fmtPct(l.Median))
	}
	return strings.Join(lines, "\n")
}

// linkBlocks is the section "Local versus across a link": for each
// workload (the round trip, p50; the throughput, MB/s) one table with a
// row per pin, api and size at which a socket ran across a link, and a
// column per route: unix-stream, tcp and udp over loopback, tcp and udp
// across each path measured (veth, netem, remote); each figure with its
// network tax, the ratio to unix-stream of the same api, pin and size in
// each round, median of those ratios [interval]. Then the path config
// lines as the run wrote them, and the paths set up without a result.
// Nil when no series runs across a link.
func linkBlocks(r *Results) []block {
	if len(r.Links) == 0 {
		return nil
	}
	out := []block{para{"The socket transports across a link instead of over loopback in one namespace: path=veth is the peer in a second network namespace, joined by a veth pair; path=netem the same veth with tc netem delay or rate; path=remote a peer on another host. These cases are measured in the same rounds as the local cases of their workload, pin and size, and left out of every other section of this report: a socket across a link is no local IPC candidate. Each cell is the median over rounds ± the half-width of its interval; below it, ÷ unix-stream is the network tax: the route's figure divided by unix-stream's (same api, pin and size) in each round, median of those ratios [interval], \"not distinguishable\" when the interval contains 1. For the round trip above 1 is slower; for throughput below 1 is slower. A row is a pin, api and size at which some route across a link was measured; — = not measured there (a UDP datagram above 65507 bytes is not sent). " + r.nTextOf(r.Links, results.BenchPingPong, results.BenchStream)}}
	var items []string
	for _, l := range r.pathLines() {
		items = append(items, l.Key+": "+l.Value)
	}
	for _, p := range r.linkPaths() {
		if !slices.ContainsFunc(r.pathLines(), func(l pathLine) bool { return l.Path == p }) {
			items = append(items, "path="+p+": measured, but the run wrote no "+PathConfigPrefix+p+" line")
		}
	}
	out = append(out, para{"The paths, as the run describes them:"}, list{items})
	if un := r.unmeasuredPaths(); len(un) > 0 {
		var names []string
		for _, l := range un {
			names = append(names, "path="+l.Path)
		}
		out = append(out, para{"Set up but with no result across them (every case failed or was skipped): " + strings.Join(names, ", ") + "."})
	}
	for _, m := range linkMetrics {
		routes := r.linkRoutes(m)
		rows := r.linkRows(m)
		if len(rows) == 0 {
			continue
		}
		t := table{Header: []string{"pin", "api", "size"}}
		for _, c := range routes {
			t.Header = append(t.Header, c.header())
		}
		for _, row := range rows {
			cells := []string{row.Pin, row.API, SizeLabel(row.Size)}
			for _, c := range routes {
				cells = append(cells, r.linkCell(m, row, c))
			}
			t.Rows = append(t.Rows, cells)
		}
		title := "Round trip (PingPong p50): local against across a link"
		if m.Bench == results.BenchStream {
			title = "Throughput (Stream MB/s): local against across a link"
		}
		out = append(out, heading{3, title}, t)
	}
	return out
}

// A linkRun is what one transport across one path delivered: the cases
// of its PingPong and Stream series that failed before the run's last
// round, that lost messages, or whose loss is not reported where its
// loopback case reports it.
type linkRun struct {
	route
	Cases   int      // PingPong and Stream cases across the path
	Counted int      // of which count their lost messages (lost-%)
	Failed  []string // "PingPong 64 B pin=split api=raw: failed, 4 of 9 rounds"
	Lossy   []string // "Stream 64 B pin=split api=raw: lost 2.31 % of its messages (…)"
	Hidden  []string // "Stream 64 B pin=split api=raw: no lost-% reported (…)"
}

// delivered reports whether every case of the run completed every round
// and lost no message.
func (l linkRun) delivered() bool { return len(l.Failed)+len(l.Lossy)+len(l.Hidden) == 0 }

func (l linkRun) name() string { return l.Transport + " over " + l.Path }

// linkRuns are the runs of each link transport across each path, by path
// (pathOrder), then transport (catalogue order). A case completed when
// it has a value for every round of the run (ipcbench-rounds; without
// it, as many as the longest series of its workload): the harness checks
// every message and drops a case that fails from the later rounds.
func (r *Results) linkRuns() []linkRun {
	want := r.rounds()
	if want == 0 {
		for _, s := range append(slices.Clone(r.Series), r.Links...) {
			if (s.Key.Bench == results.BenchPingPong || s.Key.Bench == results.BenchStream) && s.Unit == results.UnitNsOp {
				want = max(want, len(s.Values))
			}
		}
	}
	var out []linkRun
	for _, p := range r.linkPaths() {
		for _, t := range r.linkTransports("") {
			run := linkRun{route: route{t, p}}
			for _, bench := range []string{results.BenchPingPong, results.BenchStream} {
				for _, k := range r.LinkKeys(bench) {
					if k.Transport != t || k.Path != p {
						continue
					}
					run.Cases++
					at := fmt.Sprintf("%s %s pin=%s api=%s", k.Bench, SizeLabel(k.Size), k.Pin, k.API)
					if s := r.Get(k, results.UnitNsOp); s == nil || len(s.Values) < want {
						n := 0
						if s != nil {
							n = len(s.Values)
						}
						run.Failed = append(run.Failed, fmt.Sprintf("%s: failed, %d of %d rounds", at, n, want))
					}
					lost := r.Get(k, results.UnitLostPct)
					if lost != nil {
						run.Counted++
					}
					local := k
					local.Path = ""
					switch {
					case lost == nil && r.Get(local, results.UnitLostPct) != nil:
						run.Hidden = append(run.Hidden, at+": no lost-% reported (its loopback case reports it)")
					case lost != nil && slices.Max(lost.Values) > 0:
						s := Summarize(lost.Values)
						run.Lossy = append(run.Lossy, fmt.Sprintf("%s: lost %s of its messages (median over rounds), up to %s in a round", at, fmtPct(s.Median), fmtPct(s.Max)))
					}
				}
			}
			if run.Cases > 0 {
				out = append(out, run)
			}
		}
	}
	return out
}

// taxFigures are C8's figures of the network tax of run: at each pin, its
// round trip at its smallest size and its throughput at its largest, each
// by its api nearest the mechanism (raw, else runtime) against
// unix-stream of that api: "tcp over veth: round trip 64 B at pin=split
// (api=raw) 150 µs; ÷ unix-stream 1.90 [1.850–1.960]".
func (r *Results) taxFigures(run linkRun) []string {
	var out []string
	for _, m := range linkMetrics {
		byPin := map[string][]Key{}
		for _, k := range r.LinkKeys(m.Bench) {
			if k.Transport == run.Transport && k.Path == run.Path && r.Get(k, m.Unit) != nil && k.API != APIZeroCopy {
				byPin[k.Pin] = append(byPin[k.Pin], k)
			}
		}
		for _, pin := range pinPreference {
			ks := byPin[pin]
			if len(ks) == 0 {
				continue
			}
			slices.SortFunc(ks, func(a, b Key) int {
				if c := apiRank(a.API) - apiRank(b.API); c != 0 {
					return c
				}
				if m.LowerBetter {
					return a.Size - b.Size // the round trip at the smallest size
				}
				return b.Size - a.Size // the throughput at the largest
			})
			k := ks[0]
			s, _ := r.Stat(k, m.Unit)
			what := "round trip"
			if !m.LowerBetter {
				what = "throughput"
			}
			out = append(out, fmt.Sprintf("%s: %s %s at pin=%s (api=%s) %s; ÷ %s %s", run.name(), what, SizeLabel(k.Size), pin, k.API, m.Format(s.Median), linkBase, taxText(r.linkTax(k, m.Unit))))
		}
	}
	return out
}
