package bench

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ipcbench/ipcbench/harness"
	"github.com/ipcbench/ipcbench/internal/targets"
	"github.com/ipcbench/ipcbench/results"
	"github.com/ipcbench/ipcbench/transports"
)

// TestLoadGroupsOnRequest: a profile runs a load group only when it names
// it in Groups (with its Options) or, with nil Groups, in Load (with the
// options there): quick and targets run none, default runs its short
// sweeps and nothing else of them, load runs all three groups.
func TestLoadGroupsOnRequest(t *testing.T) {
	count := func(p Profile) map[string]int {
		cases, err := (&Runner{Profile: p}).Cases()
		if err != nil {
			t.Fatalf("profile %s: %v", p.Name, err)
		}
		n := map[string]int{}
		for _, c := range cases {
			for _, g := range LoadGroups {
				if strings.HasPrefix(c.Name, g+"/") {
					n[g]++
				}
			}
		}
		return n
	}
	for _, name := range []string{"quick", targets.Profile} {
		if n := count(Profiles[name]); len(n) != 0 {
			t.Errorf("profile %s runs load cases: %v", name, n)
		}
	}
	// default: 3 transports × 4 rates; 3 transports × 3 pair counts;
	// 3 transports × 3 client counts.
	if n := count(Profiles["default"]); n["Rate"] != 12 || n["Pairs"] != 9 || n["FanIn"] != 9 {
		t.Errorf("profile default runs %v load cases, want Rate 12, Pairs 9, FanIn 9", n)
	}
	n := count(Profiles["load"])
	for _, g := range LoadGroups {
		if n[g] == 0 {
			t.Errorf("profile load runs no %s case", g)
		}
	}
	// The load profile's FanIn cases are those its server serves.
	cases, err := (&Runner{Profile: Profiles["load"]}).Cases()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if strings.HasPrefix(c.Name, "FanIn/") {
			if err := c.Check(); err != nil {
				t.Errorf("%s: %v", c.Name, err)
			}
		}
	}
	p := testProfile(1, false)
	p.Groups = []string{results.BenchPairs}
	p.Load = shortLoad
	if n := count(p); n["Pairs"] == 0 || n["Rate"] != 0 {
		t.Errorf("a profile naming Pairs in Groups: %v load cases, want Pairs alone", n)
	}
}

// TestPairsCases: the default cells (every transport and api of
// PairsTransports at PairsPins, PairsSizes and DefaultPairs), their keys,
// and pair counts out of range.
func TestPairsCases(t *testing.T) {
	cases, err := pairsCases(Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, name := range PairsTransports {
		info, err := transports.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		want += len(info.APIs) * len(PairsPins) * len(PairsSizes) * len(DefaultPairs)
	}
	if len(cases) != want {
		t.Errorf("%d cases, want %d", len(cases), want)
	}
	seen := map[int]bool{}
	for _, c := range cases {
		k, err := results.ParseKey(results.BenchPairs + "/" + c.Name)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if k.Bench != results.BenchPairs || k.Transport == "" || k.API == "" || k.Pin == "" || k.Size <= 0 || k.Pairs < 1 {
			t.Errorf("%s: key %+v", c.Name, k)
		}
		seen[k.Pairs] = true
	}
	for _, n := range DefaultPairs {
		if !seen[n] {
			t.Errorf("no case with pairs=%d", n)
		}
	}
	for _, bad := range [][]int{{0}, {2, harness.MaxPairs + 1}} {
		if _, err := pairsCases(Options{Pairs: bad}); err == nil || !strings.Contains(err.Error(), "want 1 to 64 pairs") {
			t.Errorf("pairs %v: got %v, want an error naming the limit", bad, err)
		}
	}
	for _, bad := range []string{"0", "65", "x", "2,,4", "-1"} {
		if _, err := ParsePairs(bad); err == nil || !strings.Contains(err.Error(), "from 1 to 64") {
			t.Errorf("ParsePairs(%q): got %v, want an error naming the limit", bad, err)
		}
	}
	if got, err := ParsePairs("1, 8,64"); err != nil || len(got) != 3 || got[2] != 64 {
		t.Errorf("ParsePairs(\"1, 8,64\") = %v, %v", got, err)
	}
}

// TestRunnerPairs runs one real Pairs case through the Runner for a short
// window: its result line carries the aggregate metrics, and ns/op is the
// aggregate's time per message.
func TestRunnerPairs(t *testing.T) {
	p := testProfile(1, false)
	p.BenchTime = 30 * time.Millisecond
	p.Groups = []string{results.BenchPairs}
	p.Options = Options{Transports: []string{"pipe"}, APIs: []transports.API{transports.Raw}, Pins: []harness.Pin{harness.PinNone}, Sizes: []int{64}, Pairs: []int{2}}
	var out, progress bytes.Buffer
	r := &Runner{Profile: p, Out: &out, Progress: &progress}
	cases, err := r.Cases()
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 1 || cases[0].Name != "Pairs/transport=pipe/api=raw/pin=none/size=64/pairs=2" {
		t.Fatalf("cases %v", caseNames(cases))
	}
	sum, err := r.Run(cases)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Measured != 1 {
		t.Fatalf("not measured: %v\n%s", sum.NotMeasured, progress.String())
	}
	var line string
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(l, "BenchmarkPairs/") {
			line = l
		}
	}
	t.Log(line)
	metrics := map[string]float64{}
	f := strings.Fields(line)
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		metrics[f[i+1]] = v
	}
	for _, u := range []string{results.UnitNsOp, results.UnitMsgRate, results.UnitP50, results.UnitP99, results.UnitWorstP50, results.UnitWorstP99, results.UnitMax, results.UnitFairness, results.UnitCPU, results.UnitCtxsw, results.UnitOversub} {
		if _, ok := metrics[u]; !ok {
			t.Errorf("no %s in %q", u, line)
		}
	}
	// MB/s is the aggregate's: both directions of every round trip.
	if mbs, rate := metrics[results.UnitMBs], metrics[results.UnitMsgRate]; math.Abs(mbs/(rate*2*64/1e6)-1) > 0.01 {
		t.Errorf("MB/s %v and msg/s %v: want MB/s = msg/s × 2 × 64 B", mbs, rate)
	}
	if ns, rate := metrics[results.UnitNsOp], metrics[results.UnitMsgRate]; rate <= 0 || math.Abs(ns*rate/1e9-1) > 0.01 {
		t.Errorf("ns/op %v and msg/s %v: want ns/op = 1e9 / msg/s", ns, rate)
	}
	if f := metrics[results.UnitFairness]; !(f > 0 && f <= 1) || metrics[results.UnitOversub] != 0 {
		t.Errorf("fairness %v, oversub %v: want in (0, 1] and 0", f, metrics[results.UnitOversub])
	}
	if metrics[results.UnitWorstP99] < metrics[results.UnitP99] {
		t.Errorf("worst p99 %v below the median p99 %v", metrics[results.UnitWorstP99], metrics[results.UnitP99])
	}
}
