package bench

import (
	"testing"

	"github.com/ipcbench/ipcbench/harness"
	"github.com/ipcbench/ipcbench/transports"
)

// TestDefaultPins: by default api=runtime is measured at split, same and
// none (an unplaced Go service), the other APIs at split and same; pins
// given explicitly apply to every API.
func TestDefaultPins(t *testing.T) {
	pinsOf := func(o Options) map[transports.API]map[harness.Pin]bool {
		cells, err := Cells(harness.PingPong, o)
		if err != nil {
			t.Fatal(err)
		}
		got := map[transports.API]map[harness.Pin]bool{}
		for _, c := range cells {
			if got[c.API] == nil {
				got[c.API] = map[harness.Pin]bool{}
			}
			got[c.API][c.Pin] = true
		}
		return got
	}
	def := pinsOf(Options{Transports: []string{"unix-stream", "shm-spin"}, Sizes: []int{64}})
	for api, want := range map[transports.API][]harness.Pin{
		transports.Runtime:  {harness.PinSplit, harness.PinSame, harness.PinNone},
		transports.Raw:      {harness.PinSplit, harness.PinSame},
		transports.ZeroCopy: {harness.PinSplit, harness.PinSame},
	} {
		if len(def[api]) != len(want) {
			t.Errorf("api=%s: pins %v, want %v", api, def[api], want)
		}
		for _, p := range want {
			if !def[api][p] {
				t.Errorf("api=%s: pin=%s missing by default", api, p)
			}
		}
	}
	only := pinsOf(Options{Transports: []string{"unix-stream"}, Sizes: []int{64}, Pins: []harness.Pin{harness.PinSame}})
	for api, pins := range only {
		if len(pins) != 1 || !pins[harness.PinSame] {
			t.Errorf("api=%s with -pins same: %v", api, pins)
		}
	}
}
