package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ipcbench/ipcbench/harness"
	"github.com/ipcbench/ipcbench/reports"
	"github.com/ipcbench/ipcbench/results"
)

// TestCatalogueLinesKeepTheReport: the reports' golden results (written
// before results files carried catalogue lines) give the same report with
// the catalogue lines this version writes for its transports as without
// them: the registry says of each transport what the reports made of its
// name before (results.Legacy), so a file of either version reads alike.
func TestCatalogueLinesKeepTheReport(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "reports", "testdata", "results.txt"))
	if err != nil {
		t.Fatal(err)
	}
	old := report(t, data)
	ran := map[string]bool{}
	for _, tr := range old.res.Transports("") {
		ran[tr] = true
	}
	var cat []results.Transport
	for _, tr := range harness.Catalogue() {
		if ran[tr.Name] {
			cat = append(cat, tr)
		}
	}
	if len(cat) != len(ran) {
		t.Fatalf("the registry describes %d of the %d transports of the golden results", len(cat), len(ran))
	}
	var lines bytes.Buffer
	results.WriteCatalogue(&lines, cat)
	i := bytes.Index(data, []byte("\nUnit ")) + 1
	lined := report(t, slices.Concat(data[:i], lines.Bytes(), data[i:]))
	if len(lined.res.Warnings) != 0 {
		t.Errorf("warnings: %q", lined.res.Warnings)
	}
	firstDiff(t, "report.md", lined.rep.Markdown(), old.rep.Markdown())
	firstDiff(t, "report.html", lined.page(t), old.page(t))
}

type built struct {
	res *reports.Results
	rep *reports.Report
}

// page is the report's HTML page with placeholder charts.
func (b built) page(t *testing.T) []byte {
	t.Helper()
	h, err := b.rep.HTML(b.rep.PlaceholderImages())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// report builds the report of results data as the golden test does.
func report(t *testing.T, data []byte) built {
	t.Helper()
	res, err := reports.Load(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := reports.Build(res, reports.Options{Source: "results.txt"})
	if err != nil {
		t.Fatal(err)
	}
	return built{res, rep}
}

// firstDiff reports the first line where got differs from want.
func firstDiff(t *testing.T, name string, got, want []byte) {
	t.Helper()
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			t.Errorf("%s with catalogue lines, line %d:\n got %s\nwant %s", name, i+1, g[i], w[i])
			return
		}
	}
	if len(g) != len(w) {
		t.Errorf("%s with catalogue lines: %d lines, without %d", name, len(g), len(w))
	}
}
