package bench

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/ipcbench/ipcbench/harness"
	"github.com/ipcbench/ipcbench/internal/reference"
	"github.com/ipcbench/ipcbench/transports"
	"golang.org/x/sys/unix"
)

// BenchmarkFloor: what the machine can do at best, measured in the same run
// as the transports, so the report can draw them as reference lines:
//
//	op=cacheline/pin=…/size=64   two processes bounce one cache line (round trip)
//	op=futex/pin=…/size=0        futex wake round trip between two processes
//	op=copyloop/pin=…/size=N     shortest two-process copy stream through one mapping (MB/s)
//	op=ring/pin=…/size=N         a minimal SPSC ring of 1 MiB of slots, memcpy in and out (MB/s)
//	op=memcpy/pin=same/size=N    one core copies N bytes (MB/s)
//	op=syscall/pin=same/size=0   a trivial system call (getppid)
//
// One-process operations are named pin=same.

func init() {
	addGroup(Group{Name: "Floor", Cases: floorCases})
	harness.RegisterPeerFunc("floor-cacheline", floorServe(func(s *reference.Shared, _ int) { s.CachelineServe() }))
	harness.RegisterPeerFunc("floor-futex", floorServe(func(s *reference.Shared, _ int) { s.FutexServe() }))
	harness.RegisterPeerFunc("floor-copyloop", floorServe(func(s *reference.Shared, size int) { s.CopyServe(make([]byte, size)) }))
	harness.RegisterPeerFunc("floor-ring", floorServe(func(s *reference.Shared, size int) { s.NewRing().Serve(make([]byte, size), nil) }))
}

// floorServe makes the peer function of a two-process floor: map the
// shared memory handed over as fd 4 and serve until stopped.
func floorServe(serve func(s *reference.Shared, size int)) harness.PeerFunc {
	return func(pc *harness.PeerContext) (any, error) {
		var size int
		if err := jsonArg(pc, &size); err != nil {
			return nil, err
		}
		if len(pc.Files) != 1 {
			return nil, errors.New("want one shared-memory file")
		}
		s, err := reference.Attach(pc.Files[0], size)
		if err != nil {
			return nil, err
		}
		defer s.Close()
		serve(s, size)
		return nil, nil
	}
}

func floorCases(o Options) ([]Case, error) {
	pins := o.Pins
	if pins == nil {
		pins = DefaultPins
	}
	sizes := o.Sizes
	if sizes == nil {
		sizes = DefaultSizes
	}
	var cases []Case
	add := func(name string, run func(b *testing.B)) { cases = append(cases, Case{Name: name, Run: run}) }
	for _, pin := range pins {
		add(fmt.Sprintf("op=cacheline/pin=%s/size=64", pin), cachelineRun(pin))
		add(fmt.Sprintf("op=futex/pin=%s/size=0", pin), func(b *testing.B) {
			runShared(b, "floor-futex", pin, 0, roundTrip((*reference.Shared).FutexPing), nil)
		})
	}
	for _, pin := range pins {
		for _, size := range sizes {
			add(fmt.Sprintf("op=copyloop/pin=%s/size=%d", pin, size), func(b *testing.B) {
				src := pattern(size)
				b.SetBytes(int64(size))
				runShared(b, "floor-copyloop", pin, size,
					func(s *reference.Shared, i uint64) bool { return s.CopySend(i, src) },
					(*reference.Shared).CopyDrain)
			})
			add(fmt.Sprintf("op=ring/pin=%s/size=%d", pin, size), func(b *testing.B) {
				src := pattern(size)
				b.SetBytes(int64(size))
				var r *reference.Ring // the producer's side, made with the mapping
				runShared(b, "floor-ring", pin, size,
					func(s *reference.Shared, i uint64) bool {
						if r == nil {
							r = s.NewRing()
						}
						return r.Send(src)
					},
					func(*reference.Shared) bool { return r == nil || r.Drain() })
			})
		}
	}
	for _, size := range sizes {
		add(fmt.Sprintf("op=memcpy/pin=same/size=%d", size), func(b *testing.B) {
			restore, err := harness.PinThread(harness.PinSame)
			if err != nil {
				fatal(b, err)
			}
			defer restore()
			src, dst := make([]byte, size), make([]byte, size)
			b.SetBytes(int64(size))
			for b.Loop() {
				copy(dst, src)
			}
		})
	}
	add("op=syscall/pin=same/size=0", func(b *testing.B) {
		restore, err := harness.PinThread(harness.PinSame)
		if err != nil {
			fatal(b, err)
		}
		defer restore()
		for b.Loop() {
			unix.Syscall(unix.SYS_GETPPID, 0, 0, 0)
		}
	})
	return cases, nil
}

// pattern is a size-byte message of a stream floor.
func pattern(size int) []byte {
	src := make([]byte, size)
	for i := range src {
		src[i] = byte(i)
	}
	return src
}

// roundTrip is the step of a round-trip floor: op with a seq that is
// never 0 (the peer's initial state) nor ^0 (the stop value).
func roundTrip(op func(s *reference.Shared, seq uint32) bool) func(*reference.Shared, uint64) bool {
	return func(s *reference.Shared, i uint64) bool { return op(s, uint32(i%(1<<31))+1) }
}

// cachelineRun is the body of the two-process cache-line round trip at
// pin: Floor/op=cacheline, and the drift probe of a clustered run.
func cachelineRun(pin harness.Pin) func(b *testing.B) {
	return func(b *testing.B) {
		runShared(b, "floor-cacheline", pin, 64, roundTrip((*reference.Shared).CachelinePing), nil)
	}
}

// errStopped is the error of a floor's op whose wait Stop ended: the peer
// died (FuncSession.Fail says why).
var errStopped = errors.New("floor: the wait for the peer was stopped")

// runShared runs a two-process floor: it creates the shared memory,
// starts the peer's serving function, warms up and measures step (op i)
// in the function session's loops (with drain, if any, inside the timed
// region), stops the peer and reports both processes' CPU time and
// context switches per op. The peer's death stops the parent's waits.
func runShared(b *testing.B, fn string, pin harness.Pin, size int, step func(s *reference.Shared, i uint64) bool, drain func(s *reference.Shared) bool) {
	s, f, err := reference.Create(size)
	if err != nil {
		fatal(b, err)
	}
	defer s.Close()
	fs, err := harness.StartFunc(fn, pin, transports.Raw, []*os.File{f})
	if err != nil {
		fatal(b, err)
	}
	defer fs.Close()
	fs.Peer().OnDeath(s.Stop)
	if err := fs.Begin(size); err != nil {
		fatal(b, err)
	}
	var i uint64
	op := func() error {
		if !step(s, i) {
			return errStopped
		}
		i++
		return nil
	}
	if _, err := fs.Warmup(warmup(b), op); err != nil {
		fatal(b, err)
	}
	if _, err := fs.Loop(b, op); err != nil {
		fatal(b, err)
	}
	if drain != nil {
		b.StartTimer() // the last messages' drain belongs to the measurement
		ok := drain(s)
		b.StopTimer()
		if !ok {
			fatal(b, fs.Fail(errStopped))
		}
	}
	s.Stop()
	parent, peer, err := fs.Finish(nil)
	if err != nil {
		fatal(b, err)
	}
	harness.ReportUsage(b, parent, peer, fs.Ops())
}
