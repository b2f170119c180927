package results

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	in := strings.Join([]string{
		"kernel: 6.1",
		"Unit p50-ns better=lower",
		"BenchmarkPingPong/transport=pipe/api=raw/pin=split/size=64-2 100 8000 ns/op 7900 p50-ns",
		"BenchmarkPingPong/transport=pipe/api=raw/pin=split/size=64-2 100 bogus ns/op", // syntax error
		"BenchmarkStream/transport=udp/api=raw/pin=same/size=64k-2 100 1 ns/op",        // bad size
		"BenchmarkPingPong/transport=pipe/api=raw/pin=split/size=64-2 100 NaN ns/op 8000 p50-ns",
		"kernel: 6.2",
		"BenchmarkPingPong/transport=pipe/api=raw/pin=split/size=64-2 100 8200 ns/op 8100 p50-ns",
		"BenchmarkPlant-2 10 5 ns/op 3.5 MB/s",
		"PASS",
	}, "\n") + "\n"
	f, err := Read(strings.NewReader(in), "in.txt")
	if err != nil {
		t.Fatal(err)
	}
	pp := "PingPong/transport=pipe/api=raw/pin=split/size=64"
	k, _ := ParseKey(pp)
	want := []*Series{
		{Name: pp, Key: k, Unit: UnitNsOp, Values: []float64{8000, 8200}, Iters: []int{100, 100}},
		{Name: pp, Key: k, Unit: UnitP50, Values: []float64{7900, 8000, 8100}, Iters: []int{100, 100, 100}},
		{Name: "Plant", Key: Key{Bench: "Plant", Size: NoSize}, Unit: UnitNsOp, Values: []float64{5}, Iters: []int{10}},
		{Name: "Plant", Key: Key{Bench: "Plant", Size: NoSize}, Unit: UnitMBs, Values: []float64{3.5}, Iters: []int{10}},
	}
	if !reflect.DeepEqual(f.Series, want) {
		for _, s := range f.Series {
			t.Logf("%+v", *s)
		}
		t.Errorf("series differ from %v", want)
	}
	if !reflect.DeepEqual(f.Names, []string{pp, "Plant"}) {
		t.Errorf("Names = %q", f.Names)
	}
	if v, ok := f.Config.Value("kernel"); !ok || v != "6.1 | 6.2" {
		t.Errorf("kernel = %q, %v; want both values", v, ok)
	}
	if _, ok := f.Config.Value("goos"); ok {
		t.Error("goos: no such line")
	}
	wantWarn := []string{
		"in.txt:4: parsing measurement: invalid syntax",
		`in.txt:5: bad size "64k" in Stream/transport=udp/api=raw/pin=same/size=64k-2: line skipped`,
		"PingPong/transport=pipe/api=raw/pin=split/size=64-2: sec/op NaN is not a finite number: sample skipped",
	}
	if !reflect.DeepEqual(f.Warnings, wantWarn) {
		t.Errorf("warnings:\n%q\nwant\n%q", f.Warnings, wantWarn)
	}
	if f.Units.GetBetter("p50-sec") != -1 {
		t.Error("Unit line not kept")
	}
	if len(f.Groups) != 1 || f.Groups[0] != "" {
		t.Errorf("Read: groups %q, want one, unnamed", f.Groups)
	}
}

func TestReadErrors(t *testing.T) {
	for _, in := range []string{"", "goos: linux\nnot a benchmark\n", "BenchmarkX 1\n"} {
		if _, err := Read(strings.NewReader(in), "empty"); !errors.Is(err, ErrNoResults) || err.Error() != "empty: no benchmark results" {
			t.Errorf("Read(%q): err = %v, want empty: ErrNoResults", in, err)
		}
	}
}

func TestReadBy(t *testing.T) {
	in := "BenchmarkX 1 5 ns/op\ncommit: a\nBenchmarkX 1 1 ns/op\nBenchmarkY 1 2 ns/op\ncommit: b\nBenchmarkX 1 3 ns/op\ncommit: a\nBenchmarkX 1 4 ns/op\n"
	f, err := ReadBy(strings.NewReader(in), "history", "commit")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.Groups, []string{"", "a", "b"}) {
		t.Errorf("groups %q, want \"\", a, b", f.Groups)
	}
	got := map[string][]float64{}
	for _, s := range f.Series {
		got[s.Group+" "+s.Name] = s.Values
	}
	want := map[string][]float64{" X": {5}, "a X": {1, 4}, "a Y": {2}, "b X": {3}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("series by commit %v, want %v", got, want)
	}
	if v, _ := f.Config.Value("commit"); v != "a | b" {
		t.Errorf("commit config %q", v)
	}
}
