package results

import (
	"reflect"
	"testing"
)

// TestObservations: observations read back as written, a "; " in an
// outcome included (it becomes ", "), and the verb is the first word.
func TestObservations(t *testing.T) {
	obs := []Observation{
		{ProbeProcFD, "joined (1 byte read)"},
		{ProbeSCMRights, "error: connect: refused; retry"},
	}
	v := FormatObservations(obs)
	if v != "/proc/PID/fd: joined (1 byte read); SCM_RIGHTS: error: connect: refused, retry" {
		t.Fatalf("FormatObservations = %q", v)
	}
	got := ParseObservations(v)
	want := []Observation{obs[0], {ProbeSCMRights, "error: connect: refused, retry"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseObservations = %q, want %q", got, want)
	}
	if o, ok := Observed(got, ProbeSCMRights); !ok || o.Verb() != Failed {
		t.Errorf("SCM_RIGHTS: %v %v, want verb %q", o, ok, Failed)
	}
	if _, ok := Observed(got, ProbeFIFOBlocking); ok {
		t.Errorf("found a probe that is not there")
	}
}
