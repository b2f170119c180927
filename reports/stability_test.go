package reports

import (
	"strings"
	"testing"
)

// TestTwoSpeeds: a series counts as measured at two speeds when two of
// its sorted rounds are TwoSpeedGap apart, split at the widest such gap;
// drift that never jumps that far does not count, whatever its total.
func TestTwoSpeeds(t *testing.T) {
	for _, c := range []struct {
		values []float64
		below  int
		ok     bool
	}{
		{[]float64{5, 1, 1.1, 5.2, 1.2}, 3, true},
		{[]float64{1, 2, 2.5, 4, 7}, 0, false}, // 7× in all, never 3× at once
		{[]float64{12, 1, 3.5}, 1, true},       // 3.5× then 3.43×: the wider
		{[]float64{40, 400, 410, 390}, 1, true},
		{[]float64{7}, 0, false},
		{nil, 0, false},
	} {
		below, ok := twoSpeeds(c.values)
		if ok != c.ok || (ok && below != c.below) {
			t.Errorf("twoSpeeds(%v) = %d, %v; want %d, %v", c.values, below, ok, c.below, c.ok)
		}
	}
	r := load(t, clustered(9, []string{"PingPong/transport=a/api=raw/pin=split", "PingPong/transport=b/api=raw/pin=split"}, func(int, int) float64 { return 100 }, func(name string, round int) float64 {
		if strings.Contains(name, "transport=b/") && strings.HasSuffix(name, "size=64") && round > 6 {
			return 4000
		}
		return 1000
	}))
	var text string
	for _, b := range twoSpeedBlocks(r) {
		if l, ok := b.(list); ok {
			text = strings.Join(l.Items, "\n")
		}
	}
	if text != "PingPong at pin=split: 1 of 4 series: b raw 64 B (6|3)" {
		t.Errorf("two-speed list %q", text)
	}
}
