package bench

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipcbench/ipcbench/harness"
	"github.com/ipcbench/ipcbench/results"
)

// A Runner runs the cases of a profile outside go test: every case
// Profile.Count times, round by round (every second round reversed when
// Profile.Alternate is set), each run measured by testing.Benchmark for
// Profile.BenchTime after Profile.Warmup. For a clustered profile
// (Profile.Clustered) each round runs the cases cluster by cluster
// (results.Cluster: one pin and size), each cluster between two drift
// probes, clusters and cases in reverse order every second round (see
// schedule). It writes the results to Out in the Go benchmark format
// (config lines first, among them ipcbench-rounds, then one line per run,
// named Benchmark<group>/<case>-<GOMAXPROCS>), and to Progress one line
// before each run, the cases it skips or could not measure with the
// reason, and a closing line with the number of runs.
//
// Runs of one process do not overlap: a Runner holds the process's
// -test.benchtime flag while it runs.
type Runner struct {
	// Profile says what to run (Groups, Options, Cases), how often
	// (Count, Alternate) and how long (BenchTime, Warmup).
	Profile Profile
	// Match, when set, keeps only the cases whose full name
	// ("PingPong/transport=…") contains it.
	Match string
	// Out receives the results; Progress the progress, skips and
	// failures.
	Out, Progress io.Writer
	// Probe, when set, is the body of the drift probes of a clustered
	// profile instead of the cache-line round trip at pin=split (tests).
	Probe func(b *testing.B)
}

// A Summary is what a Runner's Run did.
type Summary struct {
	// Runs is the number of runs accounted for: the cases that passed
	// their Check, times the rounds, and the drift probes (a case not
	// measured counts in every round, as in the closing line).
	Runs int
	// Measured is the number of result lines written.
	Measured int
	// Skipped are the cases whose Check failed: not run at all.
	Skipped []Unmeasured
	// NotMeasured are the cases that skipped or failed in a run: not run
	// in later rounds.
	NotMeasured []Unmeasured
	// Elapsed is the time from the first run to the last.
	Elapsed time.Duration
}

// Unmeasured is a case that a Runner left without results, and why.
type Unmeasured struct {
	Case   string // the full name
	Reason string
}

// noReason is the reason given for a run that skipped or failed without
// saying why (a body calling b.SkipNow or b.FailNow itself).
const noReason = "failed or skipped without a reason"

// Cases returns the cases of r.Profile whose full name contains r.Match,
// each named by its full name ("PingPong/transport=…"): those its groups
// generate for its options or, when the profile lists its cases, those of
// the list that they generate, in the list's order (a narrowed profile
// drops the others). No case matching is an error.
func (r *Runner) Cases() ([]Case, error) {
	p := r.Profile
	var out []Case
	byName := map[string]Case{}
	for _, g := range Groups {
		opts, ok := p.groupOptions(g.Name)
		if !ok {
			continue
		}
		cases, err := g.Cases(opts)
		if err != nil {
			return nil, err
		}
		for _, c := range cases {
			c.Name = g.Name + "/" + c.Name
			if r.Match == "" || strings.Contains(c.Name, r.Match) {
				out = append(out, c)
				byName[c.Name] = c
			}
		}
	}
	if p.Cases != nil {
		out = out[:0]
		for _, name := range p.Cases {
			if c, ok := byName[name]; ok {
				out = append(out, c)
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no benchmark matches")
	}
	return out, nil
}

// Run runs cases (full names, as Cases returns them) as the Runner's doc
// says. A case that fails its Check is reported once and left out; one
// that skips or fails in a run is reported with its reason and not run
// again. Neither is an error: Run fails only when it cannot set the bench
// time.
func (r *Runner) Run(cases []Case) (Summary, error) {
	var sum Summary
	err := withBenchTime(r.Profile.BenchTime.String(), func() { sum = r.run(cases) })
	return sum, err
}

func (r *Runner) run(cases []Case) Summary {
	p := r.Profile
	harness.WriteConfig(r.Out, true)
	fmt.Fprintf(r.Out, "ipcbench-profile: %s\n", p.Name)
	fmt.Fprintf(r.Out, "%s: %d\n", results.ConfigRounds, p.Count)
	fmt.Fprintf(r.Out, "%s: %s\n", results.ConfigBenchTime, p.BenchTime)
	fmt.Fprintf(r.Out, "%s: %s\n", results.ConfigDate, time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(r.Out, "pkg: github.com/ipcbench/ipcbench\n")
	var sum Summary
	var runnable []Case
	for _, c := range cases {
		if c.Check != nil {
			if err := c.Check(); err != nil {
				fmt.Fprintf(r.Progress, "skip %s: %v\n", c.Name, err)
				sum.Skipped = append(sum.Skipped, Unmeasured{c.Name, err.Error()})
				continue
			}
		}
		runnable = append(runnable, c)
	}
	writeSkipped(r.Out, sum.Skipped)
	for _, line := range r.pathLines(runnable) {
		fmt.Fprintln(r.Out, line)
	}
	rounds := make([][]Case, p.Count)
	for i := range rounds {
		rounds[i] = r.schedule(runnable, i+1)
		sum.Runs += len(rounds[i])
	}
	start := time.Now()
	done := 0
	notMeasured := map[string]bool{}
	for i, order := range rounds {
		round := i + 1
		for _, c := range order {
			if notMeasured[c.Name] {
				done++
				continue
			}
			eta := "?"
			if done > 0 {
				eta = (time.Since(start) / time.Duration(done) * time.Duration(sum.Runs-done)).Round(time.Second).String()
			}
			fmt.Fprintf(r.Progress, "[%d/%d round %d/%d, %s left] %s\n", done+1, sum.Runs, round, p.Count, eta, c.Name)
			var res testing.BenchmarkResult
			var reason string
			if c.probe {
				res, reason = probeBenchmark(c.Run)
			} else {
				res, reason = benchmark(c.Run, p.Warmup)
			}
			done++
			if res.N == 0 {
				if reason == "" {
					reason = noReason
				}
				fmt.Fprintf(r.Progress, "  not measured: %s\n", reason)
				if c.probe {
					continue // a probe runs again in the next cluster and round
				}
				notMeasured[c.Name] = true
				sum.NotMeasured = append(sum.NotMeasured, Unmeasured{c.Name, reason})
				continue
			}
			fmt.Fprintf(r.Out, "Benchmark%s-%d\t%s\n", c.Name, runtime.GOMAXPROCS(0), res.String())
			sum.Measured++
		}
	}
	sum.Elapsed = time.Since(start)
	fmt.Fprintf(r.Progress, "done: %d runs in %v, %d cases not measured\n", sum.Runs, sum.Elapsed.Round(time.Second), len(sum.NotMeasured))
	return sum
}

// schedule is the order of the runs of round (from 1): for a clustered
// profile, the cases cluster by cluster (results.Cluster: every case at
// one pin and size, in the order the clusters first appear), each cluster
// between its two drift probes, and in even rounds the clusters and the
// cases within each in reverse order; otherwise roundOrder's.
func (r *Runner) schedule(cases []Case, round int) []Case {
	p := r.Profile
	if !p.Clustered {
		return roundOrder(cases, round, p.Alternate)
	}
	var order []results.Cluster
	members := map[results.Cluster][]Case{}
	for _, c := range cases {
		cl := clusterOf(c.Name)
		if members[cl] == nil {
			order = append(order, cl)
		}
		members[cl] = append(members[cl], c)
	}
	reverse := round%2 == 0
	if reverse {
		slices.Reverse(order)
	}
	var out []Case
	for _, cl := range order {
		out = append(out, r.probeCase(cl, results.ProbeBefore))
		out = append(out, roundOrder(members[cl], round, reverse)...)
		out = append(out, r.probeCase(cl, results.ProbeAfter))
	}
	return out
}

// clusterOf is the cluster of the case with the full name: its pin and
// size (neither, for a name that is not one of the suite's).
func clusterOf(name string) results.Cluster {
	k, err := results.ParseKey(name)
	if err != nil {
		return results.Cluster{Size: results.NoSize}
	}
	return k.Cluster()
}

// probeCase is cl's drift probe op: the two-process cache-line round trip
// at pin=split (or r.Probe).
func (r *Runner) probeCase(cl results.Cluster, op string) Case {
	body := r.Probe
	if body == nil {
		body = cachelineRun(harness.PinSplit)
	}
	return Case{Name: cl.ProbeKey(op).String(), Run: body, probe: true}
}

// Drift probes are short: they need the cache-line round trip's level,
// not its tail, and a clustered round runs two per cluster.
const (
	probeBenchTime = "5ms"
	probeWarmup    = time.Millisecond
)

// probeBenchmark runs a drift probe's body for probeBenchTime, inside a
// Run (which holds benchMu and restores the flag after).
func probeBenchmark(body func(*testing.B)) (testing.BenchmarkResult, string) {
	fl := flag.Lookup("test.benchtime")
	old := fl.Value.String()
	fl.Value.Set(probeBenchTime)
	defer fl.Value.Set(old)
	return benchmark(body, probeWarmup)
}

// roundOrder is the order of cases in round (from 1): as given, or with
// alternate reversed in even rounds.
func roundOrder(cases []Case, round int, alternate bool) []Case {
	if !alternate || round%2 == 1 {
		return cases
	}
	r := slices.Clone(cases)
	slices.Reverse(r)
	return r
}

// benchMu serialises withBenchTime: the flag it sets is the process's.
var benchMu sync.Mutex

// withBenchTime runs f with the -test.benchtime flag set to benchtime
// ("80ms", or "100x" for a number of iterations) and restores the flag
// after. It is the one place ipcbench sets the flag: testing.Benchmark
// reads the time to measure from it and from nowhere else, and the case
// bodies' b.Loop ramps up to that time by itself, so a caller cannot
// choose b.N instead (a testing.B exists only inside testing.Benchmark).
func withBenchTime(benchtime string, f func()) error {
	benchMu.Lock()
	defer benchMu.Unlock()
	testing.Init() // registers the flag outside a test binary
	fl := flag.Lookup("test.benchtime")
	old := fl.Value.String()
	if err := fl.Value.Set(benchtime); err != nil {
		return fmt.Errorf("bench time %q: %w", benchtime, err)
	}
	defer fl.Value.Set(old)
	f()
	return nil
}

// A run is what a case's body learns from the Runner that measures it,
// beyond its testing.B: the warm-up, and where the reason it skipped or
// failed goes (testing.Benchmark discards b's log).
type run struct {
	warmup time.Duration
	reason string // set by skipf and fatal
}

// runs holds the run of each testing.B that benchmark is measuring, for
// the case bodies' skipf, fatal and warmup to find by their b. Under go
// test it is empty: b's log keeps the reason and -ipcbench.warmup gives
// the warm-up.
var runs sync.Map // *testing.B → *run

// benchmark runs body under testing.Benchmark (for the bench time
// withBenchTime set) with the given warm-up, and returns the result and
// the reason the body gave if it skipped or failed ("" if it gave none).
func benchmark(body func(*testing.B), warmup time.Duration) (testing.BenchmarkResult, string) {
	rn := &run{warmup: warmup}
	res := testing.Benchmark(func(b *testing.B) {
		runs.Store(b, rn)
		defer runs.Delete(b)
		body(b)
	})
	return res, rn.reason
}

// runOf returns b's run, or nil under go test.
func runOf(b *testing.B) *run {
	if rn, ok := runs.Load(b); ok {
		return rn.(*run)
	}
	return nil
}

// warmup is the time a case warms up before it measures: the Runner's
// warm-up, or under go test the -ipcbench.warmup flag.
func warmup(b *testing.B) time.Duration {
	if rn := runOf(b); rn != nil {
		return rn.warmup
	}
	return *warmupFlag
}

// skipf skips b with the reason, which also reaches the Runner.
func skipf(b *testing.B, format string, args ...any) {
	if rn := runOf(b); rn != nil {
		rn.reason = fmt.Sprintf(format, args...)
	}
	b.Skipf(format, args...)
}

// fatal fails b with err, which also reaches the Runner.
func fatal(b *testing.B, err error) {
	if rn := runOf(b); rn != nil {
		rn.reason = err.Error()
	}
	b.Fatal(err)
}

// pathLines are the config lines that describe the network paths of
// cases (results.PathKey), in the order the paths first appear; a path
// that cannot be described is described by the reason.
func (r *Runner) pathLines(cases []Case) []string {
	var lines []string
	seen := map[string]bool{}
	for _, c := range cases {
		k, err := results.ParseKey(c.Name)
		if err != nil || k.Path == "" || seen[k.Path] {
			continue
		}
		seen[k.Path] = true
		o := r.Profile.Options
		desc, err := harness.DescribePath(harness.Path(k.Path), o.Netem, o.Remote)
		if err != nil {
			desc = "not described: " + err.Error()
		}
		lines = append(lines, results.PathKey(k.Path)+": "+desc)
	}
	return lines
}

// writeSkipped writes, before the first result, one config line per
// transport with cases that failed their Check (results.SkippedKey): how
// many, and each distinct reason, so that a report can say what did not
// run and why. Cases without a transport key share the line of "-".
func writeSkipped(w io.Writer, skipped []Unmeasured) {
	type group struct {
		n       int
		reasons []string
	}
	byTransport := map[string]*group{}
	var order []string
	for _, u := range skipped {
		t := "-"
		if k, err := results.ParseKey(u.Case); err == nil && k.Transport != "" {
			t = k.Transport
		}
		g := byTransport[t]
		if g == nil {
			g = &group{}
			byTransport[t] = g
			order = append(order, t)
		}
		g.n++
		if !slices.Contains(g.reasons, u.Reason) {
			g.reasons = append(g.reasons, u.Reason)
		}
	}
	for _, t := range order {
		g := byTransport[t]
		fmt.Fprintf(w, "%s: %d cases: %s\n", results.SkippedKey(t), g.n, strings.Join(g.reasons, "; "))
	}
}
