package memcopy

import (
	"bytes"
	"testing"
)

func TestCopy(t *testing.T) {
	for _, n := range []int{0, 1, 4095, 1<<20 - 1, 1 << 20, 1<<20 + 1, 3*Chunk + 17, 5 << 20} {
		src := make([]byte, n)
		for i := range src {
			src[i] = byte(i*7 + i>>9)
		}
		for _, dn := range []int{n, n / 2, n + 3} {
			dst := make([]byte, dn)
			got := Copy(dst, src)
			want := min(n, dn)
			if got != want || !bytes.Equal(dst[:want], src[:want]) {
				t.Fatalf("src %d dst %d: copied %d, want %d, equal %v", n, dn, got, want, bytes.Equal(dst[:want], src[:want]))
			}
		}
	}
}

// BenchmarkCopy compares the built-in copy (non-temporal stores from 1 MiB
// on amd64) with Copy, reading the destination back as a receiver would.
func BenchmarkCopy(b *testing.B) {
	src, dst := make([]byte, 1<<20), make([]byte, 1<<20)
	for _, tc := range []struct {
		name string
		fn   func(d, s []byte) int
	}{{"builtin", func(d, s []byte) int { return copy(d, s) }}, {"chunked", Copy}} {
		b.Run("copy="+tc.name, func(b *testing.B) {
			b.SetBytes(1 << 20)
			for b.Loop() {
				tc.fn(dst, src)
				if !bytes.Equal(dst, src) {
					b.Fatal("differs")
				}
			}
		})
	}
}
