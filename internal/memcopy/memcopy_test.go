package memcopy

import (
	"bytes"
	"testing"
)

// eachCopy calls f with a source of each length in sizes (bytes that
// differ from one offset to the next) and destinations of that length,
// half of it and 3 bytes more.
func eachCopy(sizes []int, f func(src, dst []byte)) {
	for _, n := range sizes {
		src := make([]byte, n)
		for i := range src {
			src[i] = byte(i*7 + i>>9)
		}
		for _, dn := range []int{n, n / 2, n + 3} {
			f(src, make([]byte, dn))
		}
	}
}

func TestCopy(t *testing.T) {
	eachCopy([]int{0, 1, 4095, 1<<20 - 1, 1 << 20, 1<<20 + 1, 3*Chunk + 17, 5 << 20}, func(src, dst []byte) {
		got := Copy(dst, src)
		want := min(len(src), len(dst))
		if got != want || !bytes.Equal(dst[:want], src[:want]) {
			t.Fatalf("src %d dst %d: copied %d, want %d, equal %v", len(src), len(dst), got, want, bytes.Equal(dst[:want], src[:want]))
		}
	})
}

func TestCopyPieces(t *testing.T) {
	eachCopy([]int{0, 1, Piece - 1, Piece, Piece + 1, 3*Piece + 17, 1 << 20}, func(src, dst []byte) {
		n, dn := len(src), len(dst)
		want := min(n, dn)
		next := 0 // the pieces must tile dst[:want] in order, each already copied
		got := CopyPieces(dst, src, func(off int, piece []byte) {
			if off != next || len(piece) == 0 || len(piece) > Piece {
				t.Fatalf("src %d dst %d: piece at %d of %d bytes, want one at %d of 1..%d", n, dn, off, len(piece), next, Piece)
			}
			if &piece[0] != &dst[off] || !bytes.Equal(piece, src[off:off+len(piece)]) {
				t.Fatalf("src %d dst %d: piece at %d is not dst's bytes, copied", n, dn, off)
			}
			next = off + len(piece)
		})
		if got != want || next != want || !bytes.Equal(dst[:want], src[:want]) {
			t.Fatalf("src %d dst %d: copied %d, pieces to %d, want %d", n, dn, got, next, want)
		}
	})
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
