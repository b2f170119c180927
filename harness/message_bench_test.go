package harness

import (
	"bytes"
	"fmt"
	"testing"
)

// The cost of the stream's verification on its own, in one process (issue
// 18): a 64 KiB or 1 MiB message copied out of one buffer into another (a
// copying Recv), verified (verifyFull: both stamps and every byte against
// the pattern), both one after the other as the peer does them, and both
// fused in 4 KiB chunks (each chunk compared while it is still in L1).
// Cross-core transfer is not in these figures: both buffers are this
// core's.
func BenchmarkVerify(b *testing.B) {
	for _, size := range []int{64 << 10, 1 << 20} {
		pat := pattern(7, size)
		src := append([]byte(nil), pat...)
		stamp(src, 42)
		dst := make([]byte, size)
		run := func(name string, op func()) {
			b.Run(fmt.Sprintf("op=%s/size=%d", name, size), func(b *testing.B) {
				b.SetBytes(int64(size))
				for b.Loop() {
					op()
				}
			})
		}
		check := func(err error) {
			if err != nil {
				b.Fatal(err)
			}
		}
		run("copy", func() { copy(dst, src) })
		run("verify", func() { check(verifyFull(src, pat, size, 42)) })
		run("copy+verify", func() { copy(dst, src); check(verifyFull(dst, pat, size, 42)) })
		run("fused4k", func() {
			const chunk = 4 << 10
			for off := 0; off < size; off += chunk {
				end := min(off+chunk, size)
				copy(dst[off:end], src[off:end])
				lo, hi := max(off, 8), min(end, size-8)
				if lo < hi && !bytes.Equal(dst[lo:hi], pat[lo:hi]) {
					b.Fatal("payload differs")
				}
			}
			check(verifyHead(dst, size, 42))
		})
	}
}
