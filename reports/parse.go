package reports

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"

	"github.com/ipcbench/ipcbench/results"
)

// Key is results.Key, the keys of a benchmark name: the report indexes
// the series of a file by it. An alias, so that the report's code and its
// callers keep writing reports.Key.
type Key = results.Key

// Results is a parsed results file as a report reads it: samples grouped
// by benchmark configuration (Key) and unit, the file's configuration
// lines, what the file says of its transports (family, wait class, order)
// and warnings (syntax errors and oddities) that a report should show.
//
// The series are split in three where they are read (fromFile), the one
// place that decides what is local and closed-loop: the load benchmarks'
// series (Rate, Pairs, FanIn) go to Load, read only by the section
// "Under load" (load.go); of the others, Series holds the local series, every
// key without a path (results.Key.Path: loopback in one namespace, as
// every name was before the path key), and Links the series across a link
// (path=veth, netem, remote). Everything built on Series (Keys,
// Transports, Sizes, the pins, and through them every section, table,
// chart, ranking, recommendation and verdict of the local run) therefore
// sees only local series: a tcp over veth is no local IPC candidate and
// never a second "tcp". Links are read by what is about the link only,
// by explicit key or LinkKeys: the section "Local versus across a link"
// and C8. Get, Stat and Pair take any key, local or across a link, and
// results.json and ComparePaired list the cases of both.
type Results struct {
	Source   string            // file name, for messages
	Config   results.Config    // in order of first appearance
	Series   []*results.Series // the local series (Key.Path == ""), sorted by Key, then Unit
	Links    []*results.Series // the series across a link (Key.Path != ""), sorted likewise
	Load     []*results.Series // the load benchmarks' series (isLoad: Rate, Pairs, FanIn), sorted likewise
	Warnings []string

	catalogue results.Catalogue
	index     map[seriesID]*results.Series
	// file is the file as results.Read read it (CompareRuns).
	file *results.File
	// disturbed and unprobed are the drift probes' verdicts (Pair).
	disturbed map[results.Cluster]map[int]Disturbance
	unprobed  []results.Cluster
	// undecided are the ties Compare noted (Undecided).
	undecided map[[2]Key]Pairing
}

type seriesID struct {
	key  Key
	unit string
}

// ErrNoResults is returned by Load when the input holds no benchmark
// result lines at all: results.ErrNoResults.
var ErrNoResults = results.ErrNoResults

// Load reads Go benchmark format text (as written by go test -bench or
// ipcbench run) with results.Read and groups its samples by Key. Syntax
// errors do not stop it: they become Warnings. It fails on an I/O error or
// when the input holds no benchmark results.
func Load(r io.Reader) (*Results, error) { return LoadNamed(r, "results") }

// LoadFile opens and loads the results file at path.
func LoadFile(path string) (*Results, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return LoadNamed(f, path)
}

// LoadNamed is Load with a file name used in warnings and errors.
func LoadNamed(r io.Reader, name string) (*Results, error) {
	f, err := results.Read(r, name)
	if errors.Is(err, ErrNoResults) {
		return nil, fmt.Errorf("reports: %w (expected lines such as \"BenchmarkPingPong/transport=pipe/api=raw/pin=split/size=64-2  1000  8120 ns/op ...\")", err)
	}
	if err != nil {
		return nil, fmt.Errorf("reports: read %s: %w", name, err)
	}
	return fromFile(f), nil
}

// fromFile indexes the series of f by Key and unit, and puts each in
// Series (local: no path) or Links (across a link). Names that differ
// only in parts a Key does not hold (the order of the keys, parts that are
// no key of the suite) give one series: their values in the order the
// names first appear.
func fromFile(f *results.File) *Results {
	res := &Results{Source: f.Name, Config: f.Config, Warnings: f.Warnings, catalogue: f.Catalogue, index: map[seriesID]*results.Series{}, file: f}
	for _, s := range f.Series {
		id := seriesID{s.Key, s.Unit}
		if m := res.index[id]; m != nil {
			m.Values = append(slices.Clip(m.Values), s.Values...)
			m.Iters = append(slices.Clip(m.Iters), s.Iters...)
			continue
		}
		m := &results.Series{Name: s.Name, Key: s.Key, Unit: s.Unit, Values: s.Values, Iters: s.Iters}
		res.index[id] = m
		switch {
		case isLoad(m.Key):
			res.Load = append(res.Load, m)
		case m.Key.Path != "":
			res.Links = append(res.Links, m)
		default:
			res.Series = append(res.Series, m)
		}
	}
	for _, c := range res.Config {
		if len(c.Values) > 1 && c.Key != "commit" {
			res.Warnings = append(res.Warnings, fmt.Sprintf("config %q changes within the file (%s): samples of all its values are merged", c.Key, c.Value()))
		}
	}
	sortSeries(res.Series)
	sortSeries(res.Links)
	sortSeries(res.Load)
	return res
}

// sortSeries sorts ss by Key, then Unit.
func sortSeries(ss []*results.Series) {
	sort.Slice(ss, func(i, j int) bool {
		a, b := ss[i], ss[j]
		if a.Key != b.Key {
			return a.Key.Less(b.Key)
		}
		return a.Unit < b.Unit
	})
}

// Get returns the series of key k in unit, local or across a link, or nil
// if the results lack it.
func (r *Results) Get(k Key, unit string) *results.Series {
	if r == nil {
		return nil
	}
	return r.index[seriesID{k, unit}]
}

// ConfigValue returns the value of configuration key (all its values
// joined by " | " if it changed within the file) and whether it is present.
func (r *Results) ConfigValue(key string) (string, bool) { return r.Config.Value(key) }

// Keys returns the distinct local keys (no path) of benchmark function
// bench (all functions if bench is ""), sorted. LinkKeys has the others.
func (r *Results) Keys(bench string) []Key { return distinctKeys(r.Series, bench) }

// LinkKeys returns the distinct keys across a link (Key.Path set) of
// benchmark function bench (all functions if bench is ""), sorted.
func (r *Results) LinkKeys(bench string) []Key { return distinctKeys(r.Links, bench) }

// AllKeys returns every distinct key of the file, local and across a
// link, in key order: the cases of a case-by-case listing
// (ComparePaired, results.json).
func (r *Results) AllKeys() []Key {
	keys := append(append(r.Keys(""), r.LinkKeys("")...), r.LoadKeys("")...)
	slices.SortFunc(keys, keyOrder)
	return keys
}

// distinctKeys returns the distinct keys of bench among ss (sorted by
// key), in their order.
func distinctKeys(ss []*results.Series, bench string) []Key {
	var keys []Key
	seen := map[Key]bool{}
	for _, s := range ss {
		if (bench == "" || s.Key.Bench == bench) && !seen[s.Key] {
			seen[s.Key] = true
			keys = append(keys, s.Key)
		}
	}
	return keys
}

// Transports returns the transports that have results in benchmark
// function bench (any function if bench is ""), in catalogue order:
// grouped by family (SortTransports).
func (r *Results) Transports(bench string) []string {
	seen := map[string]bool{}
	var ts []string
	for _, k := range r.Keys(bench) {
		if k.Transport != "" && !seen[k.Transport] {
			seen[k.Transport] = true
			ts = append(ts, k.Transport)
		}
	}
	r.SortTransports(ts)
	return ts
}

// mainSizes returns the sizes measured by bench for any transport but
// signal (which runs at its limit only), ascending, without partial
// sizes: a size at which some transport measured at every other size has
// no results (the default suite's 8 B claim cells run a subset of the
// transports, for C3 and C5): rankings, crossovers and charts over sizes
// compare like with like.
func (r *Results) mainSizes(bench string) []int {
	bySize := map[int]map[string]bool{}
	for _, k := range r.Keys(bench) {
		if k.Size != results.NoSize && k.Transport != "signal" {
			if bySize[k.Size] == nil {
				bySize[k.Size] = map[string]bool{}
			}
			bySize[k.Size][k.Transport] = true
		}
	}
	seen := map[int]bool{}
	for size, ts := range bySize {
		seen[size] = true
		for _, t := range r.Transports(bench) {
			if ts[t] {
				continue
			}
			everywhereElse := true
			for other, ots := range bySize {
				if other != size && !ots[t] {
					everywhereElse = false
					break
				}
			}
			if everywhereElse {
				delete(seen, size)
				break
			}
		}
	}
	return sortedInts(seen)
}

// Sizes returns the distinct sizes measured by benchmark function bench
// for transport (any transport if ""), ascending.
func (r *Results) Sizes(bench, transport string) []int {
	seen := map[int]bool{}
	var sizes []int
	for _, k := range r.Keys(bench) {
		if k.Size == results.NoSize || (transport != "" && k.Transport != transport) {
			continue
		}
		if !seen[k.Size] {
			seen[k.Size] = true
			sizes = append(sizes, k.Size)
		}
	}
	sort.Ints(sizes)
	return sizes
}
