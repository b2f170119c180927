package regress

import (
	"os"
	"strconv"
	"testing"
)

// BenchmarkPlant is the gate's own calibration benchmark, used by
// scripts/ci-gate.sh: a fixed CPU-bound workload (FNV-1a over 16 KiB)
// whose cost is multiplied by $IPCBENCH_PLANT_FACTOR (default 1). Run
// against itself it must not be flagged; with the factor at 2 on one side
// it must be. It reports ns/op, MB/s and the gated p99-ns and cpu-ns/op
// stand-ins so every gated metric goes through the pipeline.
func BenchmarkPlant(b *testing.B) {
	reps := 4
	if f, err := strconv.ParseFloat(os.Getenv("IPCBENCH_PLANT_FACTOR"), 64); err == nil && f > 0 {
		reps = int(4*f + 0.5)
	}
	buf := make([]byte, 16<<10)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	b.SetBytes(int64(len(buf)))
	var h uint32
	for b.Loop() {
		for r := 0; r < reps; r++ {
			h = 2166136261
			for _, c := range buf {
				h = (h ^ uint32(c)) * 16777619
			}
		}
	}
	sink = h
	perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(perOp*1.2, "p99-ns")
	b.ReportMetric(perOp, "cpu-ns/op")
}

var sink uint32
