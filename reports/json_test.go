package reports

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ipcbench/ipcbench/reports/resultsjson"
	"github.com/ipcbench/ipcbench/results"
)

// buildJSON builds the report of testdata/<file> and returns its results
// and results.json.
func buildJSON(t *testing.T, file string) (*Results, *Report, []byte) {
	t.Helper()
	res, err := LoadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Build(res, Options{Source: file})
	if err != nil {
		t.Fatal(err)
	}
	js, err := rep.JSON()
	if err != nil {
		t.Fatal(err)
	}
	return res, rep, js
}

// TestJSONGolden: results.json of the two real runs of TestGolden
// (regenerated with go test ./reports -run Golden -update).
func TestJSONGolden(t *testing.T) {
	for _, fx := range []struct{ results, golden string }{
		{"results.txt", "results.json"},
		{"disturbed.txt", "disturbed.json"},
	} {
		_, _, js := buildJSON(t, fx.results)
		checkGolden(t, fx.golden, js)
	}
}

// TestJSONRoundTrip: results.json of the real runs decodes into
// resultsjson.Document with no field the struct lacks and encodes back to
// the same bytes; every series of the text results is in it with the
// values of the file and the median and interval the report uses
// (Results.Stat); the disturbed rounds, verdicts and rankings are the
// report's.
func TestJSONRoundTrip(t *testing.T) {
	for _, file := range []string{"results.txt", "disturbed.txt"} {
		res, rep, js := buildJSON(t, file)
		doc, err := resultsjson.Read(bytes.NewReader(js))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		again, err := doc.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, js) {
			t.Errorf("%s: results.json does not encode back to the same bytes", file)
		}
		if doc.Version != resultsjson.Version || doc.Source != file {
			t.Errorf("%s: version %d, source %q", file, doc.Version, doc.Source)
		}
		for _, k := range []string{"goos", "cpu", "commit", "ipcbench-profile", "ipcbench-rounds", "transport-pipe"} {
			if doc.Context[k] == "" {
				t.Errorf("%s: context lacks %s", file, k)
			}
		}

		// Every series of the file, read by package results itself.
		f, err := os.Open(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := results.Read(f, file)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		cases := map[string]resultsjson.Case{}
		for _, c := range doc.Cases {
			cases[c.ID] = c
		}
		if len(cases) != len(doc.Cases) || len(cases) != len(res.AllKeys()) {
			t.Errorf("%s: %d cases (%d distinct IDs), want one per key: %d", file, len(doc.Cases), len(cases), len(res.AllKeys()))
		}
		for _, s := range raw.Series {
			c, ok := cases[s.Key.String()]
			if !ok {
				t.Errorf("%s: case %s missing", file, s.Key)
				continue
			}
			u, ok := c.Units[s.Unit]
			want, _ := res.Stat(s.Key, s.Unit)
			switch {
			case !ok:
				t.Errorf("%s: %s lacks unit %s", file, s.Key, s.Unit)
			case u.Median != want.Median || u.Lo != want.Lo || u.Hi != want.Hi || u.N != want.N || (u.Interval == resultsjson.IntervalCI) != want.CI:
				t.Errorf("%s: %s %s: median %v [%v, %v] n=%d %s; the report's is %v [%v, %v] n=%d ci=%v", file, s.Key, s.Unit, u.Median, u.Lo, u.Hi, u.N, u.Interval, want.Median, want.Lo, want.Hi, want.N, want.CI)
			case !slices.Equal(u.Values, s.Values):
				t.Errorf("%s: %s %s: values %v, the file's %v", file, s.Key, s.Unit, u.Values, s.Values)
			case !slices.Equal(c.Iterations, s.Iters) || c.Rounds != len(s.Iters):
				t.Errorf("%s: %s: iterations %v (rounds %d), the file's %v", file, s.Key, c.Iterations, c.Rounds, s.Iters)
			}
		}

		ds := res.Disturbances()
		if len(doc.Disturbances) != len(ds) {
			t.Errorf("%s: %d disturbances, the report has %d", file, len(doc.Disturbances), len(ds))
		}
		for i, d := range ds {
			if i >= len(doc.Disturbances) {
				break
			}
			got := doc.Disturbances[i]
			if got.Cluster.Name != d.Cluster.String() || got.Round != d.Round || got.AfterNs != d.After {
				t.Errorf("%s: disturbance %d is %+v, want %s", file, i, got, d.Text())
			}
			for _, c := range doc.Cases {
				k, err := results.ParseKey(c.ID)
				if err == nil && k.Cluster() == d.Cluster && !slices.Contains(c.DisturbedRounds, d.Round) {
					t.Errorf("%s: %s: disturbed rounds %v lack round %d", file, c.ID, c.DisturbedRounds, d.Round)
				}
			}
		}
		if len(doc.Verdicts) != len(rep.Verdicts) {
			t.Fatalf("%s: %d verdicts, the report has %d", file, len(doc.Verdicts), len(rep.Verdicts))
		}
		for i, v := range rep.Verdicts {
			if got := doc.Verdicts[i]; got.ID != v.ID || got.Status != v.Status.String() || got.Condition != v.Condition {
				t.Errorf("%s: verdict %+v, the report's %s %s", file, got, v.ID, v.Text())
			}
		}
		rk := Rankings(res)
		if len(doc.Rankings) != len(rk) {
			t.Fatalf("%s: %d rankings, the report has %d", file, len(doc.Rankings), len(rk))
		}
		for i, k := range rk {
			if got := doc.Rankings[i]; got.ID != k.ID() || got.Best != k.Best || !slices.Equal(got.Set, k.Set) {
				t.Errorf("%s: ranking %+v, the report's %+v", file, got, k)
			}
		}
	}
}
