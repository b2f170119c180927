// Package clock is the harness's per-operation timer: a monotonic tick
// counter that is cheap to read, and the factor that turns ticks into
// nanoseconds.
//
// On amd64 with an invariant time-stamp counter (the CPU flags constant_tsc
// and nonstop_tsc: it ticks at a fixed rate in every power state, and the
// kernel keeps it in step across CPUs) a tick is one TSC cycle, read with
// RDTSC in a few nanoseconds; the rate is calibrated once per process
// against the runtime's monotonic clock. Elsewhere a tick is a nanosecond
// of the monotonic clock (time.Since, a vDSO call, slower than RDTSC).
// Which one is in use is reported by Source.
package clock

import (
	"os"
	"runtime"
	"strings"
	"sync"
	"time"
)

var (
	useTSC = runtime.GOARCH == "amd64" && invariantTSC()
	base   = time.Now()

	calOnce   sync.Once
	nsPerTick float64
)

// invariantTSC reports whether /proc/cpuinfo lists the flags that make the
// TSC a clock.
func invariantTSC() bool {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "flags") {
			f := " " + line + " "
			return strings.Contains(f, " constant_tsc ") && strings.Contains(f, " nonstop_tsc ")
		}
	}
	return false
}

// Ticks returns the current tick count.
func Ticks() uint64 {
	if useTSC {
		return rdtsc()
	}
	return uint64(time.Since(base))
}

// NsPerTick is the length of a tick in nanoseconds. The first call
// calibrates the TSC over 20 ms.
func NsPerTick() float64 {
	calOnce.Do(func() {
		if !useTSC {
			nsPerTick = 1
			return
		}
		t0, k0 := time.Now(), rdtsc()
		for time.Since(t0) < 20*time.Millisecond {
		}
		nsPerTick = float64(time.Since(t0)) / float64(rdtsc()-k0)
	})
	return nsPerTick
}

// Source names the tick source, for the results' config lines.
func Source() string {
	if useTSC {
		return "tsc (invariant, calibrated against the monotonic clock)"
	}
	return "monotonic clock (time.Since)"
}
