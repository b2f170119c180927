package harness

import (
	"fmt"
	"testing"
)

// BenchmarkPayloadWork measures, on one core, the payload work that the
// zero-copy workloads keep inside their timed region, so that it can be
// set against their figures:
//
//	op=write+verify       one streamed message: the sender's pattern copy
//	                      and stamps, the receiver's verifyFull
//	op=write+echo+verify  one ping-pong round trip: the same plus the
//	                      peer's echo copy
//
// In one process the bytes stay in this core's caches; between two
// processes on two cores each pass also moves them across (see
// BenchmarkFloor/op=copyloop).
func BenchmarkPayloadWork(b *testing.B) {
	for _, op := range []string{"write+verify", "write+echo+verify"} {
		for _, size := range []int{64, 1024, 4096, 65536, 1048576} {
			b.Run(fmt.Sprintf("op=%s/size=%d", op, size), func(b *testing.B) {
				pat := pattern(0x1234, size)
				ring := make([]byte, size)
				echo := make([]byte, size)
				if op == "write+verify" {
					b.SetBytes(int64(size))
				} else {
					b.SetBytes(int64(2 * size))
				}
				var seq uint64
				for b.Loop() {
					copy(ring, pat)
					stamp(ring, seq)
					v := ring
					if op != "write+verify" {
						copy(echo, ring)
						v = echo
					}
					if err := verifyFull(v, pat, size, seq); err != nil {
						b.Fatal(err)
					}
					seq++
				}
			})
		}
	}
}

// TestZeroCopyLoopsRefuseCopyingConns: the zero-copy workloads name the
// problem when the Conn has no zero-copy path.
func TestZeroCopyLoopsRefuseCopyingConns(t *testing.T) {
	s := &Session{cfg: Config{Transport: "pipe", API: "zerocopy", Size: 64}}
	if _, err := s.zeroCopyConn(); err == nil {
		t.Fatal("zeroCopyConn accepted a nil Conn")
	}
}
