package results

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"golang.org/x/perf/benchfmt"
)

// ErrNoResults is the error of Read for input that holds no benchmark
// result line at all.
var ErrNoResults = errors.New("no benchmark results")

// A File is a parsed results file.
type File struct {
	// Name is where the results came from (a file name), for messages.
	Name string
	// Config holds the file's config lines but the catalogue lines, each
	// key with every distinct value it took, in order of first appearance.
	Config Config
	// Catalogue describes the transports, from the catalogue lines; for a
	// file without any, it is Legacy().
	Catalogue Catalogue
	// Names lists the benchmark names of the result lines (as benchstat
	// prints them: without "Benchmark" and the -GOMAXPROCS suffix), in
	// order of first appearance.
	Names []string
	// Groups lists, for ReadBy, the values the config key took on result
	// lines ("" for lines without it), in order of first appearance.
	Groups []string
	// Series holds the samples, one series per group, benchmark name and
	// unit, in order of first appearance.
	Series []*Series
	// Units is the unit metadata of the file ("Unit p99-ns better=lower").
	Units benchfmt.UnitMetadataMap
	// Warnings lists, in file order, what was skipped: syntax errors,
	// lines whose size key is not a size, values that are not finite
	// numbers, catalogue lines that cannot be read or that change.
	Warnings []string
}

// A Series holds the samples of one unit of one benchmark: one value per
// result line (a -count N run gives N values).
type Series struct {
	Group  string    // ReadBy: the value of its config key on these lines; "" for Read
	Name   string    // the benchmark name, as File.Names holds it
	Key    Key       // the name's keys
	Unit   string    // as written: "ns/op", "MB/s", "p99-ns", …
	Values []float64 // in file order
	// Iters are the iterations (ops) of the result line of each value.
	Iters []int
}

// A ConfigEntry is one config key of a results file with every distinct
// value it took, in order of first appearance.
type ConfigEntry struct {
	Key    string
	Values []string
}

// Value returns the entry's values joined by " | " (usually just one).
func (c ConfigEntry) Value() string { return strings.Join(c.Values, " | ") }

// Config is the config lines of a results file, in order of first
// appearance.
type Config []ConfigEntry

// Value returns the value of key (all its values joined by " | " if it
// changed within the file) and whether the file has it.
func (c Config) Value(key string) (string, bool) {
	for _, e := range c {
		if e.Key == key {
			return e.Value(), true
		}
	}
	return "", false
}

// add records value for key, once.
func (c *Config) add(key, value string) {
	for i, e := range *c {
		if e.Key == key {
			for _, v := range e.Values {
				if v == value {
					return
				}
			}
			(*c)[i].Values = append(e.Values, value)
			return
		}
	}
	*c = append(*c, ConfigEntry{Key: key, Values: []string{value}})
}

// Read reads Go benchmark format text (as go test -bench and ipcbench run
// write it) from r; name names it in warnings and errors. Lines it cannot
// use do not stop it: they are skipped and listed in File.Warnings. It
// fails with the reader's error (which names the file and line), or,
// wrapping ErrNoResults, when the input holds no benchmark result line.
func Read(r io.Reader, name string) (*File, error) { return ReadBy(r, name, "") }

// ReadBy is Read that also tells series apart by the value of the config
// key by: a history file keys each run with a "commit: <sha>" line, and
// ReadBy(r, name, "commit") gives each commit its own series.
func ReadBy(r io.Reader, name, by string) (*File, error) {
	type seriesID struct{ group, name, unit string }
	f := &File{Name: name}
	index := map[seriesID]*Series{}
	names, groups := map[string]bool{}, map[string]bool{}
	catalogue := map[string]string{} // catalogue key → value as first read
	lines := 0
	br := benchfmt.NewReader(r, name)
	for br.Scan() {
		switch rec := br.Result().(type) {
		case *benchfmt.SyntaxError:
			f.Warnings = append(f.Warnings, rec.Error())
		case *benchfmt.Result:
			lines++
			for _, c := range rec.Config {
				if !c.File {
					continue
				}
				if t, ok := strings.CutPrefix(c.Key, CataloguePrefix); ok {
					f.addCatalogue(catalogue, t, string(c.Value))
					continue
				}
				f.Config.add(c.Key, string(c.Value))
			}
			k, err := keyOf(rec.Name)
			if err != nil {
				file, line := rec.Pos()
				f.Warnings = append(f.Warnings, fmt.Sprintf("%s:%d: %v in %s: line skipped", file, line, err, rec.Name.Full()))
				continue
			}
			bench := shortName(rec.Name)
			if !names[bench] {
				names[bench] = true
				f.Names = append(f.Names, bench)
			}
			group := ""
			if by != "" {
				group = rec.GetConfig(by)
			}
			if !groups[group] {
				groups[group] = true
				f.Groups = append(f.Groups, group)
			}
			for _, v := range rec.Values {
				// benchmath's U test never returns on NaN, and an
				// infinite value is no measurement: skip both, say so.
				if math.IsNaN(v.Value) || math.IsInf(v.Value, 0) {
					f.Warnings = append(f.Warnings, fmt.Sprintf("%s: %s %v is not a finite number: sample skipped", rec.Name.Full(), v.Unit, v.Value))
					continue
				}
				unit, val := v.Unit, v.Value
				if v.OrigUnit != "" {
					unit, val = v.OrigUnit, v.OrigValue
				}
				id := seriesID{group, bench, unit}
				s := index[id]
				if s == nil {
					s = &Series{Group: group, Name: bench, Key: k, Unit: unit}
					index[id] = s
					f.Series = append(f.Series, s)
				}
				s.Values = append(s.Values, val)
				s.Iters = append(s.Iters, rec.Iters)
			}
		}
	}
	if err := br.Err(); err != nil {
		return nil, err
	}
	if lines == 0 {
		return nil, fmt.Errorf("%s: %w", name, ErrNoResults)
	}
	f.Units = br.Units()
	if len(catalogue) == 0 {
		f.Catalogue = Legacy()
	}
	return f, nil
}

// addCatalogue reads the catalogue line of transport t the first time it
// appears; a value that changes later is reported and ignored.
func (f *File) addCatalogue(seen map[string]string, t, value string) {
	first, ok := seen[t]
	if ok {
		if value != first {
			f.Warnings = append(f.Warnings, fmt.Sprintf("%s: catalogue line %s%s changes within the file (%q, then %q): the first is used", f.Name, CataloguePrefix, t, first, value))
			seen[t] = value // warn once per change
		}
		return
	}
	seen[t] = value
	d, err := parseCatalogue(t, value)
	if err != nil {
		f.Warnings = append(f.Warnings, fmt.Sprintf("%s: catalogue line %s%s: %v: line ignored", f.Name, CataloguePrefix, t, err))
		return
	}
	if f.Catalogue == nil {
		f.Catalogue = Catalogue{}
	}
	f.Catalogue[t] = d
}
