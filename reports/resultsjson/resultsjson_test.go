package resultsjson

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const schemaDoc = "../../docs/results-json.md"

// jsonFields returns the JSON names of the fields of t and of every
// struct it holds, depth first.
func jsonFields(t reflect.Type, seen map[reflect.Type]bool) []string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || seen[t] {
		return nil
	}
	seen[t] = true
	var names []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		names = append(names, name)
		names = append(names, jsonFields(f.Type, seen)...)
	}
	return names
}

// TestSchemaDocumented: docs/results-json.md names every field of the
// Document (in backquotes, as its tables do), and its example decodes
// with Read: no field the types lack, the current version.
func TestSchemaDocumented(t *testing.T) {
	doc, err := os.ReadFile(schemaDoc)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range jsonFields(reflect.TypeFor[Document](), map[reflect.Type]bool{}) {
		if !bytes.Contains(doc, []byte("`"+name+"`")) {
			t.Errorf("%s does not document field %q", filepath.Base(schemaDoc), name)
		}
	}
	_, rest, ok := strings.Cut(string(doc), "```json\n")
	example, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatalf("%s has no ```json example", schemaDoc)
	}
	d, err := Read(strings.NewReader(example))
	if err != nil {
		t.Fatalf("the example of %s: %v", schemaDoc, err)
	}
	out, err := d.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != example {
		t.Errorf("the example of %s is not laid out as Marshal writes it:\n%s", schemaDoc, out)
	}
}

func TestReadErrors(t *testing.T) {
	for _, c := range []struct{ in, msg string }{
		{`{"version": 2}`, "schema version 2, this reader knows version 1"},
		{`{"version": 1, "colour": "red"}`, `unknown field "colour"`},
		{`[1, 2]`, "cannot unmarshal array"},
		{`PASS`, "invalid character"},
	} {
		if _, err := Read(strings.NewReader(c.in)); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("Read(%s): %v, want an error with %q", c.in, err, c.msg)
		}
	}
}

// TestMarshalLayout: containers that hold no object stay on one line
// below the document's fields; the rest has one member per line.
func TestMarshalLayout(t *testing.T) {
	size := 64
	d := &Document{
		Version: Version, Source: "r.txt", Context: map[string]string{"a": "1", "b": "<2>"},
		Cases: []Case{{ID: "x", Bench: "Floor", Size: &size, Rounds: 2, Iterations: []int{3, 4}, Units: map[string]Unit{
			"ns/op": {Median: 1.5, Lo: 1, Hi: 2, Interval: IntervalRange, N: 2, Values: []float64{1, 2}},
		}}},
		Disturbances: []Disturbance{}, Unprobed: []Cluster{{Name: "PingPong (no pin)", Workload: "PingPong"}},
		Verdicts: []Verdict{}, Rankings: []Ranking{}, Warnings: []string{"w"},
	}
	got, err := d.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "version": 1,
  "source": "r.txt",
  "statistics": {
    "alpha": 0,
    "min_ci_rounds": 0,
    "drift_factor": 0
  },
  "context": {
    "a": "1",
    "b": "\u003c2\u003e"
  },
  "cases": [
    {
      "id": "x",
      "bench": "Floor",
      "size": 64,
      "rounds": 2,
      "iterations": [3,4],
      "units": {
        "ns/op": {"median":1.5,"lo":1,"hi":2,"interval":"range","n":2,"values":[1,2]}
      }
    }
  ],
  "disturbances": [],
  "unprobed": [
    {"name":"PingPong (no pin)","workload":"PingPong"}
  ],
  "verdicts": [],
  "rankings": [],
  "warnings": [
    "w"
  ]
}
`
	if string(got) != want {
		t.Errorf("Marshal wrote\n%s\nwant\n%s", got, want)
	}
}
