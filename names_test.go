package ipcbench_test

import (
	"bufio"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ipcbench/ipcbench/bench"
	"golang.org/x/perf/benchfmt"
)

// groupKeys are the sub-benchmark keys of each group, in order: what the
// README promises and what benchstat's -col/-row projections rely on.
var groupKeys = map[string][]string{
	"PingPong":     {"transport", "api", "pin", "size"},
	"Stream":       {"transport", "api", "pin", "size"},
	"Floor":        {"op", "pin", "size"},
	"Baseline":     {"op", "pin", "size"},
	"SignalFlood":  {"kind", "pin"},
	"SignalNotify": {"api", "pin", "size"},
	"Rate":         {"transport", "api", "pin", "size", "rate"},
	"Pairs":        {"transport", "api", "pin", "size", "pairs"},
	"FanIn":        {"transport", "api", "pin", "size", "clients"},
}

// pathGroups are the groups whose socket transports off loopback carry
// a path key between api and pin (…/api=raw/path=veth/pin=split/…).
var pathGroups = []string{"PingPong", "Stream"}

// checkName parses full (a benchmark name with its -GOMAXPROCS suffix) with
// benchfmt and checks the keys of its group, in order, and that size is a
// whole number.
func checkName(t *testing.T, full string) {
	t.Helper()
	base, parts := benchfmt.Name(full).Parts()
	group := strings.TrimPrefix(string(base), "Benchmark")
	want, ok := groupKeys[group]
	if !ok {
		t.Errorf("%s: unknown group %q", full, group)
		return
	}
	var keys []string
	for _, p := range parts {
		s := string(p)
		if strings.HasPrefix(s, "-") { // -GOMAXPROCS
			continue
		}
		k, v, ok := strings.Cut(strings.TrimPrefix(s, "/"), "=")
		if !ok {
			t.Errorf("%s: part %q is not key=value", full, s)
			continue
		}
		if k == "size" {
			if _, err := strconv.Atoi(v); err != nil {
				t.Errorf("%s: size %q is not a number", full, v)
			}
		}
		keys = append(keys, k)
	}
	if slices.Contains(pathGroups, group) && slices.Contains(keys, "path") {
		want = slices.Insert(slices.Clone(want), slices.Index(want, "pin"), "path")
	}
	if !slices.Equal(keys, want) {
		t.Errorf("%s: keys %v, want %v", full, keys, want)
	}
}

// TestSuiteNames checks every case the suite can run, as go test and
// ipcbench run name it.
func TestSuiteNames(t *testing.T) {
	for _, g := range bench.Groups {
		cases, err := g.Cases(bench.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(cases) == 0 {
			t.Errorf("group %s has no cases", g.Name)
		}
		for _, c := range cases {
			checkName(t, "Benchmark"+g.Name+"/"+c.Name+"-2")
		}
	}
	for name := range groupKeys {
		if !slices.ContainsFunc(bench.Groups, func(g bench.Group) bool { return g.Name == name }) {
			t.Errorf("README group %s is not in the suite", name)
		}
	}
}

// TestReadmeNames checks the benchmark names quoted in README.md.
func TestReadmeNames(t *testing.T) {
	f, err := os.Open("README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	re := regexp.MustCompile(`^Benchmark[A-Za-z]+/\S+-\d+$`)
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); re.MatchString(line) {
			checkName(t, line)
			n++
		}
	}
	if n < 5 {
		t.Fatalf("found %d benchmark names in README.md, want the examples", n)
	}
}
