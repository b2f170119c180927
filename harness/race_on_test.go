//go:build race

package harness

// raceEnabled reports whether the tests run under the race detector.
const raceEnabled = true
