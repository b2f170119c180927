package regress

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ipcbench/ipcbench/results"
	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchunit"
)

// ErrNoResults is returned by Parse and Load for input that holds no
// benchmark result line: such a file cannot be compared. It is
// results.ErrNoResults.
var ErrNoResults = results.ErrNoResults

// Results holds the samples of one results file (Go benchmark format):
// for each benchmark, every value of every unit, one per result line.
type Results struct {
	// Name is where the results came from (a file name).
	Name string
	// Benchmarks lists the benchmark keys in order of first appearance.
	// A key is the benchmark name without the "Benchmark" prefix and
	// without the -GOMAXPROCS suffix, as benchstat prints it.
	Benchmarks []string
	// Samples maps benchmark key → tidied unit (sec/op, B/s, p99-sec,
	// cpu-sec/op…) → one value per result line, in file order.
	Samples map[string]map[string][]float64
	// Config maps each file configuration key to its distinct values, in
	// order of first appearance (several when files were concatenated).
	Config map[string][]string
	// Units is the unit metadata ("Unit p50-ns better=lower") of the file.
	Units benchfmt.UnitMetadataMap
	// Warnings lists syntax errors and non-finite values that were skipped.
	Warnings []string
}

// Load reads a results file; see Parse.
func Load(path string) (*Results, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(f, path)
}

// Parse reads Go benchmark format from r with results.Read. Malformed
// lines and non-finite values are skipped and listed in Warnings; input
// without any result line gives ErrNoResults.
func Parse(r io.Reader, name string) (*Results, error) {
	f, err := results.Read(r, name)
	if errors.Is(err, ErrNoResults) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return FromFile(f), nil
}

// FromFile groups the series of a file read by results.Read as the gate
// compares them: by benchmark name and tidied unit.
func FromFile(f *results.File) *Results {
	res := &Results{
		Name:       f.Name,
		Benchmarks: f.Names,
		Samples:    map[string]map[string][]float64{},
		Config:     map[string][]string{},
		Units:      f.Units,
		Warnings:   f.Warnings,
	}
	for _, c := range f.Config {
		res.Config[c.Key] = c.Values
	}
	for _, b := range f.Names {
		res.Samples[b] = map[string][]float64{}
	}
	for _, s := range f.Series {
		unit, vs := tidy(s)
		res.Samples[s.Name][unit] = append(res.Samples[s.Name][unit], vs...)
	}
	return res
}

// tidy returns the series' values in the unit benchfmt tidies its unit to
// (ns/op → sec/op, MB/s → B/s).
func tidy(s *results.Series) (string, []float64) {
	unit := TidyUnit(s.Unit)
	vs := make([]float64, len(s.Values))
	for i, v := range s.Values {
		vs[i], _ = benchunit.Tidy(v, s.Unit)
	}
	return unit, vs
}

// ConfigValue returns the configuration value of key, "" when absent, and
// the values joined with " | " when the file holds several.
func (r *Results) ConfigValue(key string) string {
	return strings.Join(r.Config[key], " | ")
}

// TidyUnit returns the unit benchfmt stores a unit as ("ns/op" → "sec/op",
// "p99-ns" → "p99-sec", "MB/s" → "B/s").
func TidyUnit(unit string) string {
	_, u := benchunit.Tidy(1, unit)
	return u
}

// Better returns +1 when higher values of the (tidied) unit are better and
// -1 when lower ones are: from the file's "Unit <u> better=…" metadata,
// else benchfmt's defaults, else higher for rates (a unit ending in "/s")
// and lower for everything else (times, CPU, counts per op).
func (r *Results) Better(unit string) int {
	if r != nil && r.Units != nil {
		if b := r.Units.GetBetter(unit); b != 0 {
			return b
		}
	}
	if strings.HasSuffix(unit, "/s") {
		return 1
	}
	return -1
}

// FingerprintKeys are the config lines that identify a machine: results
// are only comparable as a gate when all of them agree.
var FingerprintKeys = []string{"cpu", "cpus-online", "kernel", "go"}

// Fingerprint identifies the machine (and toolchain) a results file was
// measured on.
type Fingerprint struct {
	CPU, CPUsOnline, Kernel, Go string
}

// Fingerprint returns the machine fingerprint from r's config lines.
func (r *Results) Fingerprint() Fingerprint {
	return Fingerprint{
		CPU:        r.ConfigValue("cpu"),
		CPUsOnline: r.ConfigValue("cpus-online"),
		Kernel:     r.ConfigValue("kernel"),
		Go:         r.ConfigValue("go"),
	}
}

func (f Fingerprint) values() []string {
	return []string{f.CPU, f.CPUsOnline, f.Kernel, f.Go}
}

// Complete reports whether every fingerprint field is known.
func (f Fingerprint) Complete() bool {
	for _, v := range f.values() {
		if v == "" {
			return false
		}
	}
	return true
}

// Diff lists the fields that differ between f and g, as
// "key: old-value ≠ new-value" ("(none)" for a missing line).
func (f Fingerprint) Diff(g Fingerprint) []string {
	var out []string
	a, b := f.values(), g.values()
	for i, k := range FingerprintKeys {
		if a[i] != b[i] {
			out = append(out, fmt.Sprintf("%s: %q ≠ %q", k, orNone(a[i]), orNone(b[i])))
		}
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// String returns the fingerprint as "cpu=…, cpus-online=…, kernel=…, go=…".
func (f Fingerprint) String() string {
	var parts []string
	for i, v := range f.values() {
		parts = append(parts, FingerprintKeys[i]+"="+orNone(v))
	}
	return strings.Join(parts, ", ")
}

// Slug returns a filesystem-safe name for the fingerprint: a readable part
// (CPU model, core count, kernel, Go version) and a hash of the four exact
// values, e.g. "amd-epyc-7b13_2cpu_6.8.0-45-generic_go1.26.8_3fa9c2d1".
func (f Fingerprint) Slug() string {
	sum := sha256.Sum256([]byte(strings.Join(f.values(), "\x00")))
	cpus := slugPart(f.CPUsOnline, 8)
	if cpus == "" {
		cpus = "x"
	}
	parts := []string{
		orUnknown(slugPart(f.CPU, 40)),
		cpus + "cpu",
		orUnknown(slugPart(f.Kernel, 32)),
		orUnknown(slugPart(f.Go, 24)),
		hex.EncodeToString(sum[:4]),
	}
	return strings.Join(parts, "_")
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// slugPart keeps [a-z0-9.], turns every other run of characters into one
// '-', trims dashes and caps the length.
func slugPart(s string, max int) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '.':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(c)
		default:
			dash = true
		}
	}
	out := b.String()
	if len(out) > max {
		out = strings.TrimRight(out[:max], "-.")
	}
	return out
}
