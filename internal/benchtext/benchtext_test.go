package benchtext

import "testing"

func TestHead(t *testing.T) {
	in := "goos: linux\nBenchmarkA 1 2 ns/op\nkey: v\nBenchmarkB 1 3 ns/op\nBenchmarkC 1 4 ns/op\n"
	if got, want := string(Head([]byte(in), 2)), "goos: linux\nBenchmarkA 1 2 ns/op\nkey: v\nBenchmarkB 1 3 ns/op\n"; got != want {
		t.Errorf("Head(2) = %q, want %q", got, want)
	}
	if got := string(Head([]byte(in), 9)); got != in {
		t.Errorf("Head(9) = %q, want all of it", got)
	}
}
