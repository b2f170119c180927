package ring

import (
	"runtime"
	"sort"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// pinned runs f on a goroutine locked to a thread pinned to cpu.
func pinned(cpu int, f func()) chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer pinSelf(cpu)()
		f()
	}()
	return done
}

// pinSelf locks the calling goroutine to its thread and pins the thread
// to cpu (modulo the CPU count); the returned function unlocks it.
func pinSelf(cpu int) func() {
	runtime.LockOSThread()
	var set unix.CPUSet
	set.Set(cpu % runtime.NumCPU())
	unix.SchedSetaffinity(0, &set)
	return runtime.UnlockOSThread
}

// BenchmarkCacheline is the in-process floor: two threads on two CPUs
// bounce one cache line (one op = one round trip).
func BenchmarkCacheline(b *testing.B) {
	mem := alignedMem(256)

	pp := (*uint64)(unsafe.Pointer(&mem[0]))
	po := (*uint64)(unsafe.Pointer(&mem[128]))
	n := uint64(b.N)
	done := pinned(1, func() {
		for i := uint64(1); i <= n; i++ {
			for atomic.LoadUint64(pp) != i {
			}
			atomic.StoreUint64(po, i)
		}
	})

	defer pinSelf(0)()
	b.ResetTimer()
	for i := uint64(1); i <= n; i++ {
		atomic.StoreUint64(pp, i)
		for atomic.LoadUint64(po) != i {
		}
	}
	<-done
}

// BenchmarkRingPingPong: two rings, spin strategy, 64-byte messages, two
// threads on two CPUs (one op = one round trip).
func BenchmarkRingPingPong(b *testing.B) {
	there, back := newPair(b, 64, "spin"), newPair(b, 64, "spin")
	n := b.N
	done := pinned(1, func() {
		buf := make([]byte, 64)
		for range n {
			m, _ := there.c.Recv(buf)
			back.p.Send(buf[:m])
		}
	})
	defer pinSelf(0)()
	msg, buf := make([]byte, 64), make([]byte, 64)
	b.ResetTimer()
	for range n {
		there.p.Send(msg)
		back.c.Recv(buf)
	}
	<-done
}

// BenchmarkRingOverCacheline measures the ratio the shm-spin target of
// issue 3 is about (64-byte ring round trip ÷ cache-line round trip,
// threads on CPUs 0 and 1) so that it holds still while the host moves
// the virtual CPUs: the two loops alternate in slices of 2000 round trips
// (0.2-2 ms), each slice gives one ratio, and the metric is their
// median (with each loop's median time per round trip). Run it with
// -benchtime 1x; one op is the whole alternation.
func BenchmarkRingOverCacheline(b *testing.B) {
	const slices, per = 400, 2000
	mem := alignedMem(256)
	pp := (*uint64)(unsafe.Pointer(&mem[0]))
	po := (*uint64)(unsafe.Pointer(&mem[128]))
	there, back := newPair(b, 64, "spin"), newPair(b, 64, "spin")
	rounds := b.N * slices
	done := pinned(1, func() {
		buf := make([]byte, 64)
		var seq uint64
		for range rounds {
			for range per {
				seq++
				for atomic.LoadUint64(pp) != seq {
				}
				atomic.StoreUint64(po, seq)
			}
			for range per {
				m, _ := there.c.Recv(buf)
				back.p.Send(buf[:m])
			}
		}
	})
	defer pinSelf(0)()
	msg, buf := make([]byte, 64), make([]byte, 64)
	var seq uint64
	var ratios, line, ring []float64
	b.ResetTimer()
	for range rounds {
		t0 := time.Now()
		for range per {
			seq++
			atomic.StoreUint64(pp, seq)
			for atomic.LoadUint64(po) != seq {
			}
		}
		t1 := time.Now()
		for range per {
			there.p.Send(msg)
			back.c.Recv(buf)
		}
		t2 := time.Now()
		l, r := float64(t1.Sub(t0))/per, float64(t2.Sub(t1))/per
		line, ring, ratios = append(line, l), append(ring, r), append(ratios, r/l)
	}
	<-done
	median := func(x []float64) float64 { sort.Float64s(x); return x[len(x)/2] }
	b.ReportMetric(median(ratios), "ring/line")
	b.ReportMetric(median(line), "line-ns")
	b.ReportMetric(median(ring), "ring-ns")
}
