//go:build !amd64

package clock

func rdtsc() uint64 { panic("clock: no TSC on this architecture") }
