// Package resultsjson is the schema of results.json, the machine-readable
// form of a report that `ipcbench report` writes beside report.md: the
// run's context, every case's aggregates (medians, intervals, the values
// of every round), the rounds the drift probes marked disturbed, the
// verdicts on the claims, the cells of the fastest tables and, when the
// report compares with an earlier run, the regression gate's verdict on
// each case. docs/results-json.md documents every field with an example.
//
// Package reports fills a Document (Report.Document); a dashboard reads
// one back with Read. The package holds data only: it imports nothing of
// the suite.
package resultsjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Version is the schema version a Document carries. It goes up by one
// with every change that a reader of the previous version could misread
// (a field renamed, removed or given another meaning); fields added
// leave it alone.
const Version = 1

// A Document is the whole of results.json.
type Document struct {
	// Version is the schema version (Version).
	Version int `json:"version"`
	// Source names the results file the report was built from.
	Source string `json:"source"`
	// Statistics states the settings every figure was computed with.
	Statistics Statistics `json:"statistics"`
	// Context holds the results file's configuration lines, key to
	// value (goos, cpu, commit, ipcbench-profile, ipcbench-rounds, …),
	// the transport catalogue lines (transport-<name>: family=… wait=…
	// order=…) among them. A key that took several values within the
	// file has them joined by " | ".
	Context map[string]string `json:"context"`
	// Cases are the benchmark configurations, one per Key, in key order.
	Cases []Case `json:"cases"`
	// Disturbances are the rounds the drift probes mark as disturbed, in
	// cluster order, then round order; empty for a quiet run.
	Disturbances []Disturbance `json:"disturbances"`
	// Unprobed are the clusters with drift probes that lack a round, so
	// that their rounds could not be checked.
	Unprobed []Cluster `json:"unprobed"`
	// Verdicts are the report's verdicts on the claims, C1 to C10.
	Verdicts []Verdict `json:"verdicts"`
	// Rankings are the cells of the report's fastest tables.
	Rankings []Ranking `json:"rankings"`
	// Changes is the comparison with an earlier run; absent when the
	// report was built without one.
	Changes *Changes `json:"changes,omitempty"`
	// Warnings are what the report warns of: syntax errors in the
	// results, config lines that changed within the file.
	Warnings []string `json:"warnings"`
}

// Statistics are the settings of the report's figures.
type Statistics struct {
	// Alpha is the significance level: intervals are 1-Alpha
	// confidence intervals of the median.
	Alpha float64 `json:"alpha"`
	// MinCIRounds is the fewest rounds for which a unit's interval is a
	// confidence interval; with fewer it is the min–max range.
	MinCIRounds int `json:"min_ci_rounds"`
	// DriftFactor is how far above the run's median drift probe a probe
	// must be for its round of the cluster to count as disturbed.
	DriftFactor float64 `json:"drift_factor"`
}

// A Case is one benchmark configuration and its figures.
type Case struct {
	// ID is the benchmark name without "Benchmark" and the GOMAXPROCS
	// suffix, its keys in the suite's order:
	// "PingPong/transport=pipe/api=raw/pin=split/size=64".
	ID string `json:"id"`
	// Bench is the benchmark function: PingPong, Stream, Floor,
	// Baseline, SignalFlood, SignalNotify, Rate, Pairs, FanIn, Probe.
	Bench string `json:"bench"`
	// The keys of the name; absent when the name lacks them. Path is
	// the link a socket case ran across (veth, netem, remote), absent
	// for a case over loopback in one namespace, as every case was
	// before the path key: a case with a path is not a second local
	// case of its transport.
	Transport string `json:"transport,omitempty"`
	API       string `json:"api,omitempty"`
	Path      string `json:"path,omitempty"`
	Pin       string `json:"pin,omitempty"`
	Op        string `json:"op,omitempty"`
	Kind      string `json:"kind,omitempty"`
	// Size is the message size in bytes; absent for a name without
	// /size.
	Size *int `json:"size,omitempty"`
	// Rate, Pairs and Clients are the load benchmarks' keys: the offered
	// rate in messages per second (Rate), the pairs (Pairs), the clients
	// (FanIn); absent for the other benchmarks.
	Rate    int `json:"rate,omitempty"`
	Pairs   int `json:"pairs,omitempty"`
	Clients int `json:"clients,omitempty"`
	// Rounds is the number of result lines of the case: one per round.
	Rounds int `json:"rounds"`
	// Iterations are the ops each round measured (the iteration count
	// of its result line), in round order.
	Iterations []int `json:"iterations"`
	// DisturbedRounds are the rounds (from 1) that the drift probes
	// mark as disturbed in the case's cluster: the report leaves them
	// out of every comparison of the case. Absent when none is.
	DisturbedRounds []int `json:"disturbed_rounds,omitempty"`
	// Units holds the figures of each unit the case has, by unit as
	// written in the results: ns/op, MB/s, cpu-ns/op, ctxsw/op, p50-ns,
	// p90-ns, p99-ns, p999-ns, max-ns, lost-%, ….
	Units map[string]Unit `json:"units"`
}

// Interval kinds of a Unit.
const (
	// IntervalCI: a distribution-free confidence interval of the median
	// (golang.org/x/perf/benchmath) at Unit.Confidence.
	IntervalCI = "ci"
	// IntervalRange: the min–max range, because there are fewer than
	// Statistics.MinCIRounds rounds.
	IntervalRange = "range"
)

// A Unit is one unit of one case: its median over rounds, the interval
// around it and the value of every round.
type Unit struct {
	// Median is the median of Values.
	Median float64 `json:"median"`
	// Lo and Hi bound the interval around Median (see Interval).
	Lo float64 `json:"lo"`
	Hi float64 `json:"hi"`
	// Interval is IntervalCI or IntervalRange.
	Interval string `json:"interval"`
	// Confidence is the actual confidence of a confidence interval (at
	// least 1-Alpha); absent for a range.
	Confidence float64 `json:"confidence,omitempty"`
	// N is the number of values (rounds).
	N int `json:"n"`
	// Values are the value of each round, in round order.
	Values []float64 `json:"values"`
}

// A Cluster is the set of cases a clustered run measures next to each
// other in each round, between two drift probes: one workload at one
// placement and size.
type Cluster struct {
	// Name is the cluster in words: "PingPong pin=split size=64".
	Name     string `json:"name"`
	Workload string `json:"workload"`
	Pin      string `json:"pin,omitempty"`
	Size     *int   `json:"size,omitempty"`
}

// A Disturbance is one round of one cluster that the drift probes mark
// as disturbed: a probe before or after the cluster above DriftFactor
// times the run's median probe.
type Disturbance struct {
	Cluster Cluster `json:"cluster"`
	// Round counts from 1.
	Round int `json:"round"`
	// BeforeNs and AfterNs are the probes around the cluster in that
	// round, MedianNs the median of every probe of the run (ns/op).
	BeforeNs float64 `json:"before_ns"`
	AfterNs  float64 `json:"after_ns"`
	MedianNs float64 `json:"median_ns"`
}

// A Verdict is the report's verdict on one claim of the article.
type Verdict struct {
	// ID is the claim: "C1" … "C10".
	ID string `json:"id"`
	// Claim is the claim, shortened.
	Claim string `json:"claim"`
	// Status is "holds", "holds only when", "does not hold" or "not
	// measured here" (as `ipcbench verdict` prints it).
	Status string `json:"status"`
	// Condition is the condition of "holds only when", else a short
	// reason; absent when there is none.
	Condition string `json:"condition,omitempty"`
	// Figures are the figures of the run that bear on the claim, in
	// words.
	Figures []string `json:"figures"`
}

// A Ranking is one cell of the report's fastest tables.
type Ranking struct {
	// ID is "rank:pin=<pin>/size=<size>/<column>", as `ipcbench
	// verdict -rankings` prints it.
	ID   string `json:"id"`
	Pin  string `json:"pin"`
	Size int    `json:"size"`
	// Column is the question: latency, latency-sleeping, throughput,
	// throughput-sleeping, cpu, zerocopy-latency.
	Column string `json:"column"`
	// Best is the best transport.
	Best string `json:"best"`
	// Set is every transport not distinguishable from Best, Best
	// included, sorted.
	Set []string `json:"set"`
}

// Changes is the comparison of the run with an earlier one (the base), as
// `ipcbench compare <base> <run>` makes it: the regression gate of
// package regress.
type Changes struct {
	// Base names the base results file.
	Base string `json:"base"`
	// SameMachine is true when the two runs' machine fingerprints (cpu,
	// cpus-online, kernel, go) agree; MachineDiffs lists those that do
	// not. A comparison across machines is information only.
	SameMachine  bool     `json:"same_machine"`
	MachineDiffs []string `json:"machine_diffs"`
	// Alpha is the significance level of the Mann–Whitney U test.
	Alpha float64 `json:"alpha"`
	// MinRounds is the fewest rounds a side needs for a verdict.
	MinRounds int `json:"min_rounds"`
	// Thresholds are the gate's effect-size thresholds by unit, as
	// fractions (0.1 = 10 %): a slowdown past one fails the gate.
	Thresholds map[string]float64 `json:"thresholds"`
	// Cases are the verdicts, one per case and gated unit present in
	// both runs, in key order, then unit order.
	Cases []Change `json:"cases"`
	// OnlyBase and OnlyNew are the cases of one run only (their IDs).
	OnlyBase []string `json:"only_base"`
	OnlyNew  []string `json:"only_new"`
}

// Verdicts of a Change.
const (
	// ChangeFaster and ChangeSlower are for times (ns/op, p99-ns, …) and
	// rates (MB/s): significant, the better or the worse way.
	ChangeFaster = "faster"
	ChangeSlower = "slower"
	// ChangeLower and ChangeHigher are significant changes of any other
	// unit (cpu-ns/op, ctxsw/op, …).
	ChangeLower  = "lower"
	ChangeHigher = "higher"
	// ChangeUnchanged: the U test is not significant.
	ChangeUnchanged = "unchanged"
	// ChangeTooFew: too few rounds for a verdict (Note says why).
	ChangeTooFew = "too few samples"
)

// A Change is one case and unit of the run against the base.
type Change struct {
	// ID is the case's ID (Case.ID).
	ID string `json:"id"`
	// Unit is as written in the results: ns/op, p99-ns, MB/s, cpu-ns/op.
	Unit string `json:"unit"`
	// Base and New are the medians of the base and of this run, in Unit.
	Base float64 `json:"base"`
	New  float64 `json:"new"`
	// Delta is New/Base - 1 (0.1 = 10 % more); absent when Base is 0.
	Delta *float64 `json:"delta,omitempty"`
	// P is the Mann–Whitney U test's p-value; NBase and NNew are the
	// rounds of each side.
	P     float64 `json:"p"`
	NBase int     `json:"n_base"`
	NNew  int     `json:"n_new"`
	// Verdict is one of the Change constants.
	Verdict string `json:"verdict"`
	// Regression is true when the change is for the worse by more than
	// the unit's threshold: the gate would fail on it (on the same
	// machine).
	Regression bool `json:"regression"`
	// Note explains ChangeTooFew.
	Note string `json:"note,omitempty"`
}

// Read decodes a Document and checks that it is of schema Version.
func Read(r io.Reader) (*Document, error) {
	var d Document
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("resultsjson: %w", err)
	}
	if d.Version != Version {
		return nil, fmt.Errorf("resultsjson: schema version %d, this reader knows version %d", d.Version, Version)
	}
	return &d, nil
}

// Marshal encodes d as results.json: indented, but each unit, verdict,
// ranking and change on one line, and every array of numbers or strings,
// so that the file stays small and a diff of two runs shows one line per
// figure that moved. It ends with a newline.
func (d *Document) Marshal() ([]byte, error) {
	compact, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("resultsjson: %w", err)
	}
	var b bytes.Buffer
	if err := layout(&b, compact, 0); err != nil {
		return nil, fmt.Errorf("resultsjson: %w", err)
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// layout writes the compact JSON value v, at depth (the document is 0),
// one member per line indented by two spaces a level, except that below
// depth 1 a container that holds no object (a unit, a verdict, a
// ranking, an array of numbers or strings) stays on one line.
func layout(b *bytes.Buffer, v json.RawMessage, depth int) error {
	members, keys, err := split(v)
	if err != nil {
		return err
	}
	if members == nil || depth > 1 && !holdsObject(members) {
		b.Write(v)
		return nil
	}
	b.WriteByte(v[0])
	for i, m := range members {
		b.WriteByte('\n')
		b.WriteString(strings.Repeat("  ", depth+1))
		if keys != nil {
			k, _ := json.Marshal(keys[i])
			b.Write(k)
			b.WriteString(": ")
		}
		if err := layout(b, m, depth+1); err != nil {
			return err
		}
		if i < len(members)-1 {
			b.WriteByte(',')
		}
	}
	b.WriteByte('\n')
	b.WriteString(strings.Repeat("  ", depth))
	b.WriteByte(v[len(v)-1])
	return nil
}

// split returns the members of the object or array v, in order, and for
// an object their keys; nil for a value that is neither or is empty.
func split(v json.RawMessage) (members []json.RawMessage, keys []string, err error) {
	if len(v) == 0 || (v[0] != '{' && v[0] != '[') {
		return nil, nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(v))
	if _, err := dec.Token(); err != nil { // the opening delimiter
		return nil, nil, err
	}
	for dec.More() {
		if v[0] == '{' {
			t, err := dec.Token()
			if err != nil {
				return nil, nil, err
			}
			k, _ := t.(string)
			keys = append(keys, k)
		}
		var m json.RawMessage
		if err := dec.Decode(&m); err != nil {
			return nil, nil, err
		}
		members = append(members, m)
	}
	return members, keys, nil
}

// holdsObject reports whether one of members is an object or an array
// that holds one.
func holdsObject(members []json.RawMessage) bool {
	for _, m := range members {
		if len(m) > 0 && m[0] == '{' {
			return true
		}
		if len(m) > 0 && m[0] == '[' {
			if inner, _, _ := split(m); holdsObject(inner) {
				return true
			}
		}
	}
	return false
}
