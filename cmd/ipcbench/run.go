package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipcbench/ipcbench/bench"
	"github.com/ipcbench/ipcbench/harness"
	"github.com/ipcbench/ipcbench/transports"
)

func init() {
	commands["run"] = command{summary: "run benchmarks and write Go benchmark-format results", run: runCmd}
}

// runCmd runs a profile, narrowed by flags, and writes results in the Go
// benchmark format (config lines first), so that benchstat, ipcbench report
// and ipcbench compare read it. Progress goes to stderr.
func runCmd(stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	profile := fs.String("profile", "default", "profile: "+strings.Join(bench.ProfileNames(), ", "))
	groups := fs.String("groups", "", "comma-separated benchmark groups (default: the profile's; all: "+groupNames()+")")
	trs := fs.String("transports", "", "comma-separated transports (default: the profile's)")
	apis := fs.String("apis", "", "comma-separated apis: raw, runtime, zerocopy (default: each transport's)")
	pins := fs.String("pins", "", "comma-separated placements: split, same, none (default: split,same, and none too for api=runtime)")
	sizes := fs.String("sizes", "", "comma-separated message sizes in bytes (default: the profile's)")
	count := fs.Int("count", 0, "repetitions, interleaved round by round (default: the profile's)")
	benchtime := fs.Duration("benchtime", 0, "measuring time per case and round (default: the profile's)")
	warmup := fs.Duration("warmup", 0, "warm-up per case (default: the profile's)")
	out := fs.String("o", "", "write results to this file instead of stdout")
	match := fs.String("match", "", "only cases whose full name contains this string")
	if err := fs.Parse(args); err != nil {
		return &exitError{2, err}
	}
	if fs.NArg() > 0 {
		return &exitError{2, fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	p, err := bench.LookupProfile(*profile)
	if err != nil {
		return &exitError{2, err}
	}
	if err := applyRunFlags(&p, *groups, *trs, *apis, *pins, *sizes, *count, *benchtime, *warmup); err != nil {
		return &exitError{2, err}
	}
	cases, err := profileCases(p, *match)
	if err != nil {
		return &exitError{2, err}
	}
	if len(cases) == 0 {
		return &exitError{2, errors.New("no benchmark matches")}
	}
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	return runCases(w, stderr, p, cases)
}

func groupNames() string {
	var n []string
	for _, g := range bench.Groups {
		n = append(n, g.Name)
	}
	return strings.Join(n, ", ")
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func applyRunFlags(p *bench.Profile, groups, trs, apis, pins, sizes string, count int, benchtime, warmup time.Duration) error {
	if groups != "" {
		p.Groups = splitList(groups)
		for _, g := range p.Groups {
			if !strings.Contains(","+groupNames()+",", ","+g+",") && !strings.Contains(", "+groupNames()+",", ", "+g+",") {
				found := false
				for _, x := range bench.Groups {
					found = found || x.Name == g
				}
				if !found {
					return fmt.Errorf("unknown group %q (valid: %s)", g, groupNames())
				}
			}
		}
	}
	if trs != "" {
		p.Options.Transports = splitList(trs)
		for _, t := range p.Options.Transports {
			if _, err := transports.Lookup(t); err != nil {
				return err
			}
		}
	}
	if apis != "" {
		p.Options.APIs = nil
		for _, a := range splitList(apis) {
			switch transports.API(a) {
			case transports.Raw, transports.Runtime, transports.ZeroCopy:
				p.Options.APIs = append(p.Options.APIs, transports.API(a))
			default:
				return fmt.Errorf("unknown api %q (valid: raw, runtime, zerocopy)", a)
			}
		}
	}
	if pins != "" {
		p.Options.Pins = nil
		for _, s := range splitList(pins) {
			pin, err := harness.ParsePin(s)
			if err != nil {
				return err
			}
			p.Options.Pins = append(p.Options.Pins, pin)
		}
	}
	if sizes != "" {
		s, err := bench.ParseSizes(sizes)
		if err != nil {
			return err
		}
		p.Options.Sizes = s
	}
	if count < 0 || benchtime < 0 || warmup < 0 {
		return errors.New("-count, -benchtime and -warmup must not be negative")
	}
	if count > 0 {
		p.Count = count
	}
	if benchtime > 0 {
		p.BenchTime = benchtime
	}
	if warmup > 0 {
		p.Warmup = warmup
	}
	return nil
}

type namedCase struct {
	full string // "PingPong/transport=…"
	bench.Case
}

// profileCases returns the cases of p whose name contains match: those
// its groups and options generate or, when the profile lists its cases,
// those of the list that they generate, in the list's order (a flag that
// narrows the profile drops the others).
func profileCases(p bench.Profile, match string) ([]namedCase, error) {
	var out []namedCase
	byName := map[string]namedCase{}
	for _, g := range bench.Groups {
		if p.Groups != nil && !contains(p.Groups, g.Name) {
			continue
		}
		cases, err := g.Cases(p.Options)
		if err != nil {
			return nil, err
		}
		for _, c := range cases {
			full := g.Name + "/" + c.Name
			if match == "" || strings.Contains(full, match) {
				out = append(out, namedCase{full, c})
				byName[full] = out[len(out)-1]
			}
		}
	}
	if p.Cases == nil {
		return out, nil
	}
	out = out[:0]
	for _, name := range p.Cases {
		if c, ok := byName[name]; ok {
			out = append(out, c)
		}
	}
	return out, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// runCases runs every case p.Count times, round by round, writing one
// result line per run.
func runCases(w, stderr io.Writer, p bench.Profile, cases []namedCase) error {
	testing.Init()
	if err := flag.Set("test.benchtime", p.BenchTime.String()); err != nil {
		return err
	}
	bench.SetWarmup(p.Warmup)
	harness.WriteConfig(w, true)
	fmt.Fprintf(w, "ipcbench-profile: %s\n", p.Name)
	fmt.Fprintf(w, "pkg: github.com/ipcbench/ipcbench\n")
	// Cases that cannot run here are reported once and left out.
	var runnable []namedCase
	for _, c := range cases {
		if c.Check != nil {
			if err := c.Check(); err != nil {
				fmt.Fprintf(stderr, "skip %s: %v\n", c.full, err)
				continue
			}
		}
		runnable = append(runnable, c)
	}
	total := len(runnable) * p.Count
	start := time.Now()
	done, failed := 0, 0
	var problem string
	bench.Problem = func(skipped bool, msg string) { problem = msg }
	defer func() { bench.Problem = nil }()
	skipped := map[string]bool{}
	for round := 1; round <= p.Count; round++ {
		for _, c := range roundOrder(runnable, round, p.Alternate) {
			if skipped[c.full] {
				done++
				continue
			}
			eta := "?"
			if done > 0 {
				eta = (time.Since(start) / time.Duration(done) * time.Duration(total-done)).Round(time.Second).String()
			}
			fmt.Fprintf(stderr, "[%d/%d round %d/%d, %s left] %s\n", done+1, total, round, p.Count, eta, c.full)
			problem = ""
			r := testing.Benchmark(c.Run)
			done++
			if r.N == 0 {
				if problem == "" {
					problem = "failed or skipped without a reason"
				}
				fmt.Fprintf(stderr, "  not measured: %s\n", problem)
				skipped[c.full] = true
				failed++
				continue
			}
			fmt.Fprintf(w, "Benchmark%s-%d\t%s\n", c.full, runtime.GOMAXPROCS(0), r.String())
		}
	}
	fmt.Fprintf(stderr, "done: %d runs in %v, %d cases not measured\n", total, time.Since(start).Round(time.Second), failed)
	return nil
}

// roundOrder is the order of cases in round (from 1): as given, or with
// alternate reversed in even rounds.
func roundOrder(cases []namedCase, round int, alternate bool) []namedCase {
	if !alternate || round%2 == 1 {
		return cases
	}
	r := slices.Clone(cases)
	slices.Reverse(r)
	return r
}
