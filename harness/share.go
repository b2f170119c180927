package harness

import (
	"slices"
	"testing"
	"time"

	"github.com/ipcbench/ipcbench/internal/load"
	"github.com/ipcbench/ipcbench/results"
)

// A Share is one process's part of a load run of several at once (a pair
// of RunPairs, a client of a FanIn): its measured round trips, the span
// they took on CLOCK_MONOTONIC (which every process of the host shares)
// and their percentiles. Drivers and clients report it as JSON.
type Share struct {
	// Ops is the number of round trips measured, every message verified.
	Ops int64 `json:"ops"`
	// StartNS and EndNS bound them: the first request's send and the
	// last echo's arrival.
	StartNS int64 `json:"start_ns"`
	EndNS   int64 `json:"end_ns"`
	// P50NS, P99NS and MaxNS are the round trips' percentiles.
	P50NS float64 `json:"p50_ns"`
	P99NS float64 `json:"p99_ns"`
	MaxNS float64 `json:"max_ns"`
}

// Rate is the share's round trips per second over its own span.
func (s Share) Rate() float64 {
	if s.EndNS <= s.StartNS {
		return 0
	}
	return float64(s.Ops) * 1e9 / float64(s.EndNS-s.StartNS)
}

// Shares are the parts of one load run.
type Shares []Share

// Ops is the round trips of every share.
func (ss Shares) Ops() int64 {
	var n int64
	for _, s := range ss {
		n += s.Ops
	}
	return n
}

// Span is the run as it happened: from the first share's start to the
// last share's end.
func (ss Shares) Span() time.Duration {
	if len(ss) == 0 {
		return 0
	}
	lo, hi := ss[0].StartNS, ss[0].EndNS
	for _, s := range ss[1:] {
		lo, hi = min(lo, s.StartNS), max(hi, s.EndNS)
	}
	return time.Duration(hi - lo)
}

// Rate is the aggregate: every share's round trips per second of Span.
func (ss Shares) Rate() float64 {
	if d := ss.Span(); d > 0 {
		return float64(ss.Ops()) / d.Seconds()
	}
	return 0
}

// Report writes on b what the shares of a run of size-byte messages say
// together: ns/op, the aggregate's wall time per round trip (1 ÷ msg/s,
// overriding the testing package's, which times the whole call); MB/s,
// both directions of every round trip at the aggregate rate; msg/s, the
// aggregate rate; p50-ns and p99-ns, the median over the shares of each
// share's own; worst-p50-ns and worst-p99-ns, the largest of them;
// max-ns, the longest round trip of any; fairness, Jain's index of the
// shares' rates; oversub, 1 when oversub.
func (ss Shares) Report(b *testing.B, size int, oversub bool) {
	if rate := ss.Rate(); rate > 0 {
		b.ReportMetric(1e9/rate, results.UnitNsOp)
		b.ReportMetric(rate*float64(2*size)/1e6, results.UnitMBs)
		b.ReportMetric(rate, results.UnitMsgRate)
	}
	var p50s, p99s, rates []float64
	var maxNS float64
	for _, s := range ss {
		p50s, p99s, rates = append(p50s, s.P50NS), append(p99s, s.P99NS), append(rates, s.Rate())
		maxNS = max(maxNS, s.MaxNS)
	}
	if len(ss) > 0 {
		b.ReportMetric(load.Median(p50s), results.UnitP50)
		b.ReportMetric(load.Median(p99s), results.UnitP99)
		b.ReportMetric(slices.Max(p50s), results.UnitWorstP50)
		b.ReportMetric(slices.Max(p99s), results.UnitWorstP99)
		b.ReportMetric(maxNS, results.UnitMax)
		b.ReportMetric(load.Jain(rates), results.UnitFairness)
	}
	flag := 0.0
	if oversub {
		flag = 1
	}
	b.ReportMetric(flag, results.UnitOversub)
}
