package bench

import (
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ipcbench/ipcbench/harness"
	"github.com/ipcbench/ipcbench/results"
)

// BenchmarkRate: the open-loop, fixed-rate workload (harness.Rate), every
// transport and api at each offered rate:
//
//	Rate/transport=pipe/api=raw/pin=split/size=64/rate=1000
//
// The parent sends message i at its intended time t0 + i/rate without
// waiting for anything; the peer times each arrival from the intended send
// (resp-*-ns: response time) and from the actual send (svc-*-ns: service
// time); lag-*-ns is the sender's own lateness. sent/s and recv/s are the
// achieved rates, invalid is 1 when the run fell behind its schedule
// (harness.RateResult.Invalid), cpu-ns/op the CPU time of both processes
// per message and recv-cpu-ns/op the receiving peer's alone. ns/op is the
// wall time per message sent, 1 / sent/s. A case sends max(rate × bench
// time, Options.RateMessages) messages, so that a slow rate still has
// enough for its p99; -benchtime=Nx asks for N messages exactly.

func init() { addGroup(Group{"Rate", rateCases}) }

// DefaultRates are the offered rates of the rate sweep: about 100 msg/s
// (where a sleeping wait pays the full wake-up for every message and a
// spinning one burns a CPU while idle) up to 10^6 msg/s, half a decade
// apart.
var DefaultRates = []int{100, 300, 1000, 3000, 10000, 30000, 100000, 300000, 1000000}

// DefaultRateSizes are the message sizes of the rate sweep.
var DefaultRateSizes = []int{64, 4096}

// DefaultRatePins are the placements of the rate sweep: a CPU for each
// process.
var DefaultRatePins = []harness.Pin{harness.PinSplit}

// DefaultRateMessages is the fewest messages a rate case sends: enough
// for a p99 that is not the maximum.
const DefaultRateMessages = 200

// ParseRates parses a comma-separated list of offered rates in messages
// per second.
func ParseRates(s string) ([]int, error) {
	var rates []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err == nil {
			err = harness.CheckRate(n)
		}
		if err != nil {
			return nil, fmt.Errorf("bad rate %q: want a whole number of messages per second, 1 to %d", f, harness.MaxRate)
		}
		rates = append(rates, n)
	}
	return rates, nil
}

// rateCases are the cases of BenchmarkRate: the transports' cells (Cells,
// on loopback) at the rate sizes and pins, each at every rate.
func rateCases(o Options) ([]Case, error) {
	co := o
	if co.Sizes == nil {
		co.Sizes = DefaultRateSizes
	}
	if co.Pins == nil {
		co.Pins = DefaultRatePins
	}
	co.Paths = []harness.Path{}
	cells, err := Cells(harness.Rate, co)
	if err != nil {
		return nil, err
	}
	rates := o.Rates
	if rates == nil {
		rates = DefaultRates
	}
	msgs := o.RateMessages
	if msgs <= 0 {
		msgs = DefaultRateMessages
	}
	var cases []Case
	for _, c := range cells {
		for _, rate := range rates {
			k := results.Key{Transport: c.Transport, API: string(c.API), Pin: string(c.Pin), Size: c.Size, Rate: rate}
			cases = append(cases, Case{
				Name:  k.SubName(),
				Check: func() error { return rateCheck(c) },
				Run:   func(b *testing.B) { runRate(b, c, rate, msgs) },
			})
		}
	}
	return cases, nil
}

// rateCheck is a rate cell's Check: the cell's own, and room for the
// stamps.
func rateCheck(c Cell) error {
	if err := c.Check(); err != nil {
		return err
	}
	if c.Size < harness.MinRateSize {
		return fmt.Errorf("%s: size %d is below the rate workload's %d bytes (sequence number at both ends and two send times)", c.Transport, c.Size, harness.MinRateSize)
	}
	return nil
}

// runRate measures one rate case: a session of the cell, warmed up, then
// one schedule of max(rate × bench time, msgs) messages.
func runRate(b *testing.B, c Cell, rate, msgs int) {
	s := startCell(b, c)
	defer s.Close()
	if err := s.WarmupRate(rate, warmup(b)); err != nil {
		fatal(b, err)
	}
	// A schedule of n messages lasts (n-1)/rate at least: at least the
	// bench time, so testing.Benchmark runs it once. A count (-benchtime
	// Nx) is the number of messages, with no minimum.
	d, n := benchTime()
	if n == 0 {
		n = max(msgs, int(math.Ceil(float64(rate)*d.Seconds()))+1)
	}
	limit := 3*time.Duration(float64(n)/float64(rate)*float64(time.Second)) + 10*time.Second
	b.ResetTimer()
	r, err := s.RunRateCount(rate, n, limit)
	b.StopTimer()
	if err != nil {
		fatal(b, err)
	}
	r.Report(b)
	if r.SentRate > 0 {
		b.ReportMetric(1e9/r.SentRate, results.UnitNsOp)
	}
}

// benchTime is the -test.benchtime flag: a duration, or a count ("100x").
// Under go test, b.N is the count; the Runner sets a duration.
func benchTime() (time.Duration, int) {
	fl := flag.Lookup("test.benchtime")
	if fl == nil {
		return time.Second, 0
	}
	v := fl.Value.String()
	if n, ok := strings.CutSuffix(v, "x"); ok {
		count, _ := strconv.Atoi(n)
		return 0, count
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return time.Second, 0
	}
	return d, 0
}
