// Package memcopy copies bytes the way a cross-process handoff wants them
// copied: through the cache.
//
// Go's runtime memmove (amd64, AVX) switches to non-temporal stores for
// copies of 1 MiB and more (runtime/memmove_amd64.s, gobble_big_data_fwd):
// the destination bypasses the cache and goes to memory. For a message
// that another core reads right after, that is the wrong choice: the
// reader then fetches it from DRAM, and a 1 MiB shared-memory handoff
// measured half the speed of a Unix socket, whose kernel copy keeps the
// data in cache. Copy splits large copies into chunks below that
// threshold; below it, it is the built-in copy.
package memcopy

// Chunk is the largest piece copied at once: below the runtime's
// non-temporal threshold of 1 MiB.
const Chunk = 512 << 10

// Copy copies min(len(dst), len(src)) bytes from src to dst and returns
// the count, as the built-in copy does, keeping the destination in cache.
func Copy(dst, src []byte) int {
	n := min(len(dst), len(src))
	if n < 1<<20 {
		return copy(dst, src)
	}
	for off := 0; off < n; off += Chunk {
		end := min(off+Chunk, n)
		copy(dst[off:end], src[off:end])
	}
	return n
}

// Piece is the size of the pieces CopyPieces hands on: small enough to be
// read back from the first-level cache right after it is written.
const Piece = 4 << 10

// CopyPieces copies min(len(dst), len(src)) bytes from src to dst, Piece
// bytes at a time, and calls fn with each piece of dst as soon as it is
// written (off: where the piece starts). A reader that goes over every
// byte of what it received (a check of the content) does it in the same
// pass as the copy, while the piece is still in cache, instead of a
// second pass over the whole of dst. It returns the count.
func CopyPieces(dst, src []byte, fn func(off int, piece []byte)) int {
	n := min(len(dst), len(src))
	for off := 0; off < n; off += Piece {
		end := min(off+Piece, n)
		copy(dst[off:end], src[off:end])
		fn(off, dst[off:end])
	}
	return n
}
