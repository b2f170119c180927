package reports

import (
	"math"

	"github.com/montanaflynn/stats"
	"golang.org/x/perf/benchmath"
)

// Statistical settings. They are stated in every report.
const (
	// Alpha is the significance level: intervals are 1-Alpha confidence
	// intervals for the median.
	Alpha = 0.05
	// MinCISamples is the fewest samples for which benchmath gives a
	// finite distribution-free 95% confidence interval for the median.
	MinCISamples = 6
	// PercentileDefinition names how github.com/montanaflynn/stats
	// (v0.14.0) computes Percentile.
	PercentileDefinition = "linear interpolation between closest ranks (Hyndman & Fan type 7, as NumPy and R default), github.com/montanaflynn/stats v0.14.0"
)

// A Summary describes the samples of one series.
type Summary struct {
	N            int
	Median       float64 // montanaflynn/stats Median
	Min, Max     float64
	P25, P75     float64 // quartiles (montanaflynn/stats Percentile)
	Lo, Hi       float64 // interval around Median, see CI
	CI           bool    // true: benchmath 1-Alpha CI for the median; false: Min..Max because N < MinCISamples
	CIConfidence float64 // actual confidence of the CI (>= 1-Alpha) when CI is true
}

// Valid reports whether the summary has any samples.
func (s Summary) Valid() bool { return s.N > 0 }

// IQR returns the interquartile range P75-P25.
func (s Summary) IQR() float64 { return s.P75 - s.P25 }

// Summarize computes the summary of values (which it does not modify),
// its interval at confidence 1-Alpha. An empty input gives a Summary with
// N == 0.
func Summarize(values []float64) Summary { return SummarizeAt(values, 1-Alpha) }

// SummarizeAt is Summarize with the interval at the given confidence (a
// rule that makes k comparisons at once asks for 1-Alpha/k of each).
func SummarizeAt(values []float64, confidence float64) Summary {
	if len(values) == 0 {
		return Summary{}
	}
	data := stats.Float64Data(append([]float64(nil), values...))
	s := Summary{N: len(values)}
	s.Median, _ = stats.Median(data)
	s.Min, _ = stats.Min(data)
	s.Max, _ = stats.Max(data)
	s.P25, _ = stats.Percentile(data, 25)
	s.P75, _ = stats.Percentile(data, 75)
	s.Lo, s.Hi = s.Min, s.Max
	if s.N >= MinCISamples {
		th := benchmath.DefaultThresholds
		th.CompareAlpha = Alpha
		bs := benchmath.AssumeNothing.Summary(benchmath.NewSample(append([]float64(nil), values...), &th), confidence)
		if !math.IsInf(bs.Lo, 0) && !math.IsInf(bs.Hi, 0) {
			s.CI = true
			s.Lo, s.Hi = bs.Lo, bs.Hi
			s.CIConfidence = bs.Confidence
		}
	}
	return s
}

// An Order is the outcome of comparing two series (Pairing.Order).
type Order int

// Outcomes of a comparison.
const (
	Tie    Order = iota // the interval of the ratio contains 1: not distinguishable
	Better              // the first is better
	Worse               // the first is worse
)

// Stat returns the summary of series k in unit, and false if absent.
func (r *Results) Stat(k Key, unit string) (Summary, bool) {
	s := r.Get(k, unit)
	if s == nil || len(s.Values) == 0 {
		return Summary{}, false
	}
	return Summarize(s.Values), true
}
