package regress

import (
	"strings"
	"testing"
	"time"
)

// TestNonFiniteSamplesSkipped: a NaN or infinite value is skipped with a
// warning; before, a NaN sample made the U test spin forever.
func TestNonFiniteSamplesSkipped(t *testing.T) {
	var b strings.Builder
	for i := range 6 {
		b.WriteString("BenchmarkX-2 100 ")
		if i == 2 {
			b.WriteString("NaN")
		} else if i == 4 {
			b.WriteString("+Inf")
		} else {
			b.WriteString("1000")
		}
		b.WriteString(" ns/op\n")
	}
	res, err := Parse(strings.NewReader(b.String()), "nan.txt")
	if err != nil {
		t.Fatal(err)
	}
	if got := len(res.Samples["X"]["sec/op"]) + len(res.Samples["X"]["ns/op"]); got != 4 {
		t.Errorf("kept %d samples, want the 4 finite ones (%v)", got, res.Samples)
	}
	if len(res.Warnings) != 2 {
		t.Errorf("warnings %q, want two", res.Warnings)
	}
	done := make(chan struct{})
	go func() {
		Compare(res, res, DefaultThresholds())
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Compare did not return")
	}
}
