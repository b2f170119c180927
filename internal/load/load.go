// Package load holds the arithmetic of the load benchmarks (many pairs,
// fan-in): how evenly the pairs were served, how well the aggregate
// scales, and whether the spinning sides outnumber the CPUs.
package load

import (
	"math"
	"slices"
)

// Jain is Jain's fairness index of rates, (Σx)² ÷ (n × Σx²): 1 when every
// rate is equal, 1/n when one pair got everything and the others nothing.
// It is 0 for no rates or when every rate is 0 (nothing to judge), and
// NaN when a rate is negative or not finite.
func Jain(rates []float64) float64 {
	var sum, sq float64
	for _, x := range rates {
		if x < 0 || math.IsInf(x, 0) || math.IsNaN(x) {
			return math.NaN()
		}
		sum += x
		sq += x * x
	}
	if sq == 0 {
		return 0
	}
	return sum * sum / (float64(len(rates)) * sq)
}

// Efficiency is the scaling efficiency of n pairs: their aggregate rate
// aggN over n times the rate of one pair alone, agg1 (1: n pairs do n
// times the work of one). It is NaN when n < 1 or agg1 is not positive.
func Efficiency(aggN, agg1 float64, n int) float64 {
	if n < 1 || !(agg1 > 0) {
		return math.NaN()
	}
	return aggN / (float64(n) * agg1)
}

// Oversubscribed reports whether the sides that spin while they wait,
// spinning sides per pair times pairs, outnumber the CPUs they run on: a
// spinning side then holds a CPU its peer may need to answer.
func Oversubscribed(pairs, spinningSides, cpus int) bool {
	return pairs*spinningSides > cpus
}

// Median is the median of xs (the mean of the two middle values for an
// even count); 0 for none. xs is not modified.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}
