package load

import (
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestJain(t *testing.T) {
	for _, c := range []struct {
		name  string
		rates []float64
		want  float64
	}{
		{"one pair", []float64{5}, 1},
		{"equal", []float64{3, 3, 3, 3}, 1},
		{"one starved of two", []float64{10, 0}, 0.5},
		{"one served of four", []float64{0, 7, 0, 0}, 0.25},
		{"one served of eight", []float64{1, 0, 0, 0, 0, 0, 0, 0}, 0.125},
		{"uneven", []float64{1, 3}, 16.0 / 20},
		{"none", nil, 0},
		{"all zero", []float64{0, 0}, 0},
		{"negative", []float64{1, -1}, math.NaN()},
		{"infinite", []float64{1, math.Inf(1)}, math.NaN()},
	} {
		got := Jain(c.rates)
		if math.IsNaN(c.want) != math.IsNaN(got) || !math.IsNaN(c.want) && !near(got, c.want) {
			t.Errorf("%s: Jain(%v) = %v, want %v", c.name, c.rates, got, c.want)
		}
	}
}

func TestEfficiency(t *testing.T) {
	for _, c := range []struct {
		aggN, agg1 float64
		n          int
		want       float64
	}{
		{100, 100, 1, 1},
		{400, 100, 4, 1},
		{200, 100, 4, 0.5},
		{100, 100, 8, 0.125},
		{900, 100, 8, 1.125},
		{100, 0, 2, math.NaN()},
		{100, -1, 2, math.NaN()},
		{100, 100, 0, math.NaN()},
	} {
		got := Efficiency(c.aggN, c.agg1, c.n)
		if math.IsNaN(c.want) != math.IsNaN(got) || !math.IsNaN(c.want) && !near(got, c.want) {
			t.Errorf("Efficiency(%v, %v, %d) = %v, want %v", c.aggN, c.agg1, c.n, got, c.want)
		}
	}
}

func TestOversubscribed(t *testing.T) {
	for _, c := range []struct {
		pairs, spinning, cpus int
		want                  bool
	}{
		{8, 0, 2, false}, // sleeping transports never
		{1, 2, 2, false}, // one spinning pair on two CPUs
		{2, 2, 2, true},
		{1, 2, 1, true}, // pin=same: both sides on one CPU
		{4, 2, 8, false},
		{4, 2, 7, true},
		{3, 1, 2, true},
	} {
		if got := Oversubscribed(c.pairs, c.spinning, c.cpus); got != c.want {
			t.Errorf("Oversubscribed(pairs %d, spinning sides %d, CPUs %d) = %v, want %v", c.pairs, c.spinning, c.cpus, got, c.want)
		}
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		want float64
	}{
		{nil, 0}, {[]float64{4}, 4}, {[]float64{9, 1, 5}, 5}, {[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := Median(c.xs); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.xs, got, c.want)
		}
	}
}
