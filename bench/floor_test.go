package bench

import (
	"testing"

	"github.com/ipcbench/ipcbench/harness"
)

// TestFloorsAndBaseline: every floor and the bare-pipe baseline run
// through their function sessions at each placement and report both
// processes' usage per op.
func TestFloorsAndBaseline(t *testing.T) {
	for _, pin := range []harness.Pin{harness.PinSplit, harness.PinSame} {
		t.Run(string(pin), func(t *testing.T) {
			needPin(t, pin)
			cases, err := floorCases(Options{Pins: []harness.Pin{pin}, Sizes: []int{64}})
			if err != nil {
				t.Fatal(err)
			}
			cases = append(cases, Case{Name: "op=rawpipe", Run: func(b *testing.B) { RunRawPipe(b, pin, 64) }})
			for _, c := range cases {
				t.Run(c.Name, func(t *testing.T) {
					r := benchN(t, 200, c.Run)
					if r.NsPerOp() <= 0 {
						t.Errorf("ns/op %d, want > 0", r.NsPerOp())
					}
					if _, twoProc := r.Extra["cpu-ns/op"]; twoProc && r.Extra["cpu-ns/op"] <= 0 {
						t.Errorf("cpu-ns/op %v, want > 0", r.Extra["cpu-ns/op"])
					}
				})
			}
		})
	}
}
