package clock

import (
	"testing"
	"time"
)

// TestTicksTrackTime checks that ticks scaled by NsPerTick agree with the
// monotonic clock over a sleep, within 2% (a broken calibration or a TSC
// that is not a clock would be far off).
func TestTicksTrackTime(t *testing.T) {
	scale := NsPerTick()
	if scale <= 0 {
		t.Fatalf("NsPerTick = %v", scale)
	}
	t0, k0 := time.Now(), Ticks()
	time.Sleep(50 * time.Millisecond)
	wall, ticks := time.Since(t0), Ticks()-k0
	got := time.Duration(float64(ticks) * scale)
	if ratio := float64(got) / float64(wall); ratio < 0.98 || ratio > 1.02 {
		t.Fatalf("ticks say %v, the monotonic clock %v (source: %s)", got, wall, Source())
	}
}

func TestTicksMonotonic(t *testing.T) {
	prev := Ticks()
	for range 100000 {
		now := Ticks()
		if now < prev {
			t.Fatalf("ticks went back from %d to %d", prev, now)
		}
		prev = now
	}
}
