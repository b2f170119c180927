package ring

import (
	"runtime"
	"sync/atomic"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// pinned runs f on a goroutine locked to a thread pinned to cpu.
func pinned(cpu int, f func()) chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		var set unix.CPUSet
		set.Set(cpu % runtime.NumCPU())
		unix.SchedSetaffinity(0, &set)
		f()
	}()
	return done
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

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var set unix.CPUSet
	set.Set(0)
	unix.SchedSetaffinity(0, &set)
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
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var set unix.CPUSet
	set.Set(0)
	unix.SchedSetaffinity(0, &set)
	msg, buf := make([]byte, 64), make([]byte, 64)
	b.ResetTimer()
	for range n {
		there.p.Send(msg)
		back.c.Recv(buf)
	}
	<-done
}
