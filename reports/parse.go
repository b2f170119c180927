package reports

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchproc"
)

// Benchmark function names (the .name of a result, without "Benchmark").
const (
	BenchPingPong     = "PingPong"
	BenchStream       = "Stream"
	BenchFloor        = "Floor"
	BenchSignalFlood  = "SignalFlood"
	BenchBaseline     = "Baseline"
	BenchSignalNotify = "SignalNotify"
)

// Units as they are written in results files. Values keep these units:
// Load does not convert ns to seconds nor MB/s to B/s.
const (
	UnitNsOp    = "ns/op"
	UnitMBs     = "MB/s"
	UnitP50     = "p50-ns"
	UnitP90     = "p90-ns"
	UnitP99     = "p99-ns"
	UnitP999    = "p999-ns"
	UnitMax     = "max-ns"
	UnitCPU     = "cpu-ns/op"
	UnitCtxsw   = "ctxsw/op"
	UnitLostPct = "lost-%"
	UnitSent    = "sent/op"
	UnitRecv    = "received/op"
	UnitLost    = "lost/op"
	UnitRefused = "refused/op"
)

// NoSize is Key.Size for a benchmark whose name has no /size key.
const NoSize = -1

// A Key identifies one benchmark configuration: the function and the
// values of its name keys. Keys that a name lacks are empty (Size: NoSize).
type Key struct {
	Bench     string // PingPong, Stream, Floor, SignalFlood, Baseline
	Transport string // /transport
	API       string // /api: raw, runtime, zerocopy
	Pin       string // /pin: split, same, none
	Op        string // /op (Floor, Baseline)
	Kind      string // /kind (SignalFlood)
	Size      int    // /size in bytes, or NoSize
}

// String returns the key in benchmark-name form, without the GOMAXPROCS
// suffix, e.g. "PingPong/transport=pipe/api=raw/pin=split/size=64", its
// keys in the suite's order ("Floor/op=cacheline/pin=split/size=64": op
// and kind, which no group has with a transport, come first).
func (k Key) String() string {
	var b strings.Builder
	b.WriteString(k.Bench)
	add := func(name, v string) {
		if v != "" {
			b.WriteString("/" + name + "=" + v)
		}
	}
	add("op", k.Op)
	add("kind", k.Kind)
	add("transport", k.Transport)
	add("api", k.API)
	add("pin", k.Pin)
	if k.Size != NoSize {
		add("size", strconv.Itoa(k.Size))
	}
	return b.String()
}

func (k Key) less(o Key) bool {
	if k.Bench != o.Bench {
		return k.Bench < o.Bench
	}
	if k.Transport != o.Transport {
		return k.Transport < o.Transport
	}
	if k.API != o.API {
		return k.API < o.API
	}
	if k.Pin != o.Pin {
		return k.Pin < o.Pin
	}
	if k.Op != o.Op {
		return k.Op < o.Op
	}
	if k.Kind != o.Kind {
		return k.Kind < o.Kind
	}
	return k.Size < o.Size
}

// A Series holds the samples of one unit of one benchmark configuration:
// one value per result line (a -count N run gives N values).
type Series struct {
	Key    Key
	Unit   string    // as written in the file: "ns/op", "MB/s", "p99-ns", ...
	Values []float64 // in file order
}

// A ConfigEntry is one configuration key of the results file with every
// distinct value it took, in order of first appearance.
type ConfigEntry struct {
	Key    string
	Values []string
}

// Value returns the entry's values joined by " | " (usually just one).
func (c ConfigEntry) Value() string { return strings.Join(c.Values, " | ") }

// Results is a parsed results file: samples grouped by benchmark
// configuration and unit, the file's configuration lines, and warnings
// (syntax errors and oddities) that a report should show.
type Results struct {
	Source   string        // file name, for messages
	Config   []ConfigEntry // in order of first appearance
	Series   []*Series     // sorted by Key, then Unit
	Warnings []string

	index map[seriesID]*Series
}

type seriesID struct {
	key  Key
	unit string
}

// ErrNoResults is returned by Load when the input holds no benchmark
// result lines at all.
var ErrNoResults = errors.New("no benchmark results")

// Load reads Go benchmark format text (as written by go test -bench or
// ipcbench run) and groups its samples. Syntax errors do not stop it:
// they become Warnings. It fails on an I/O error or when the input holds
// no benchmark results.
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

// projection is the benchproc projection that splits benchmark names.
const projection = ".name,/transport,/api,/pin,/op,/kind,/size"

// LoadNamed is Load with a file name used in warnings and errors.
func LoadNamed(r io.Reader, name string) (*Results, error) {
	var pp benchproc.ProjectionParser
	proj, err := pp.Parse(projection, nil)
	if err != nil {
		return nil, fmt.Errorf("reports: projection: %w", err)
	}
	fields := proj.Fields()
	field := func(k benchproc.Key, i int) string { return k.Get(fields[i]) }

	res := &Results{Source: name, index: map[seriesID]*Series{}}
	cfgIndex := map[string]int{}
	var lines int
	br := benchfmt.NewReader(r, name)
	for br.Scan() {
		switch rec := br.Result().(type) {
		case *benchfmt.SyntaxError:
			res.Warnings = append(res.Warnings, rec.Error())
		case *benchfmt.Result:
			lines++
			for _, c := range rec.Config {
				if !c.File {
					continue
				}
				v := string(c.Value)
				i, ok := cfgIndex[c.Key]
				if !ok {
					cfgIndex[c.Key] = len(res.Config)
					res.Config = append(res.Config, ConfigEntry{Key: c.Key, Values: []string{v}})
					continue
				}
				if !contains(res.Config[i].Values, v) {
					res.Config[i].Values = append(res.Config[i].Values, v)
				}
			}
			pk := proj.Project(rec)
			k := Key{
				Bench:     field(pk, 0),
				Transport: field(pk, 1),
				API:       field(pk, 2),
				Pin:       field(pk, 3),
				Op:        field(pk, 4),
				Kind:      field(pk, 5),
				Size:      NoSize,
			}
			if s := field(pk, 6); s != "" {
				n, err := strconv.Atoi(s)
				if err != nil || n < 0 {
					file, line := rec.Pos()
					res.Warnings = append(res.Warnings, fmt.Sprintf("%s:%d: bad size %q in %s: line skipped", file, line, s, rec.Name.Full()))
					continue
				}
				k.Size = n
			}
			for _, v := range rec.Values {
				unit, val := v.Unit, v.Value
				if v.OrigUnit != "" {
					unit, val = v.OrigUnit, v.OrigValue
				}
				id := seriesID{k, unit}
				s := res.index[id]
				if s == nil {
					s = &Series{Key: k, Unit: unit}
					res.index[id] = s
					res.Series = append(res.Series, s)
				}
				s.Values = append(s.Values, val)
			}
		}
	}
	if err := br.Err(); err != nil {
		return nil, fmt.Errorf("reports: read %s: %w", name, err)
	}
	if lines == 0 {
		return nil, fmt.Errorf("reports: %s: %w (expected lines such as \"BenchmarkPingPong/transport=pipe/api=raw/pin=split/size=64-2  1000  8120 ns/op ...\")", name, ErrNoResults)
	}
	for _, c := range res.Config {
		if len(c.Values) > 1 && c.Key != "commit" {
			res.Warnings = append(res.Warnings, fmt.Sprintf("config %q changes within the file (%s): samples of all its values are merged", c.Key, c.Value()))
		}
	}
	sort.Slice(res.Series, func(i, j int) bool {
		a, b := res.Series[i], res.Series[j]
		if a.Key != b.Key {
			return a.Key.less(b.Key)
		}
		return a.Unit < b.Unit
	})
	return res, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// Get returns the series of key k in unit, or nil if the results lack it.
func (r *Results) Get(k Key, unit string) *Series {
	if r == nil {
		return nil
	}
	return r.index[seriesID{k, unit}]
}

// ConfigValue returns the value of configuration key (all its values
// joined by " | " if it changed within the file) and whether it is present.
func (r *Results) ConfigValue(key string) (string, bool) {
	for _, c := range r.Config {
		if c.Key == key {
			return c.Value(), true
		}
	}
	return "", false
}

// Keys returns the distinct keys of benchmark function bench (all
// functions if bench is ""), sorted.
func (r *Results) Keys(bench string) []Key {
	var keys []Key
	seen := map[Key]bool{}
	for _, s := range r.Series {
		if (bench == "" || s.Key.Bench == bench) && !seen[s.Key] {
			seen[s.Key] = true
			keys = append(keys, s.Key)
		}
	}
	return keys
}

// Transports returns the transports that have results in benchmark
// function bench (any function if bench is ""), in palette order:
// grouped by family.
func (r *Results) Transports(bench string) []string {
	seen := map[string]bool{}
	var ts []string
	for _, k := range r.Keys(bench) {
		if k.Transport != "" && !seen[k.Transport] {
			seen[k.Transport] = true
			ts = append(ts, k.Transport)
		}
	}
	SortTransports(ts)
	return ts
}

// mainSizes returns the sizes measured by bench for any transport but
// signal (whose only size is one sigqueue value, 8 B).
func (r *Results) mainSizes(bench string) []int {
	seen := map[int]bool{}
	for _, k := range r.Keys(bench) {
		if k.Size != NoSize && k.Transport != "signal" {
			seen[k.Size] = true
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
		if k.Size == NoSize || (transport != "" && k.Transport != transport) {
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
