package bench

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcbench/ipcbench/harness"
	"github.com/ipcbench/ipcbench/internal/sig"
	"github.com/ipcbench/ipcbench/transports/transporttest"
)

// benchN runs f under testing.Benchmark for exactly n b.Loop iterations
// and fails t, with the reason, if the benchmark skipped or failed.
func benchN(t *testing.T, n int, f func(b *testing.B)) testing.BenchmarkResult {
	t.Helper()
	var r testing.BenchmarkResult
	var reason string
	if err := withBenchTime(fmt.Sprintf("%dx", n), func() { r, reason = benchmark(f, *warmupFlag) }); err != nil {
		t.Fatal(err)
	}
	if reason != "" {
		t.Fatalf("benchmark failed: %s", reason)
	}
	if r.N != n {
		t.Fatalf("benchmark ran %d iterations, want %d", r.N, n)
	}
	return r
}

// count converts a per-op metric back to a count.
func count(t *testing.T, r testing.BenchmarkResult, unit string) int64 {
	t.Helper()
	v, ok := r.Extra[unit]
	if !ok {
		t.Fatalf("no %s metric in %v", unit, r.Extra)
	}
	return int64(math.Round(v * float64(r.N)))
}

func needPin(t *testing.T, pin harness.Pin) {
	t.Helper()
	if _, err := harness.Place(pin); err != nil {
		t.Skip(err)
	}
}

// blockedAnywhere lists the threads of this process that block one of
// signos (a mask a benchmark failed to restore). A thread that blocks
// SIGUSR2 and signal 41 too, which nothing here uses, is one the runtime
// has blocked every signal on for a moment (creating a thread, forking):
// it is looked at again, a few times.
func blockedAnywhere(t *testing.T, signos ...unix.Signal) []string {
	t.Helper()
	var bad []string
	for range 50 {
		var transient bool
		if bad, transient = blockedNow(t, signos); !transient {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	return bad
}

func blockedNow(t *testing.T, signos []unix.Signal) (bad []string, transient bool) {
	tasks, err := filepath.Glob("/proc/self/task/*/status")
	if err != nil {
		t.Fatal(err)
	}
	const all = 1<<(unix.SIGUSR2-1) | 1<<(41-1)
	for _, p := range tasks {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // the thread exited
		}
		for _, l := range strings.Split(string(b), "\n") {
			v, ok := strings.CutPrefix(l, "SigBlk:")
			if !ok {
				continue
			}
			m, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				t.Fatal(err)
			}
			if m&all == all {
				transient = true
				continue
			}
			for _, s := range signos {
				if m&(1<<(s-1)) != 0 {
					bad = append(bad, fmt.Sprintf("%s blocks signal %d", p, s))
				}
			}
		}
	}
	return bad, transient
}

var benchSignals = []unix.Signal{unix.SIGUSR1, sig.Data, sig.Flood, sig.FloodEnd}

func TestSignalCaseNames(t *testing.T) {
	names := func(cs []Case, err error) string {
		if err != nil {
			t.Fatal(err)
		}
		var n []string
		for _, c := range cs {
			n = append(n, c.Name)
		}
		return strings.Join(n, " ")
	}
	if got, want := names(signalFloodCases(Options{})), "kind=standard/pin=split kind=realtime/pin=split"; got != want {
		t.Errorf("flood cases %q, want %q", got, want)
	}
	if got, want := names(signalFloodCases(Options{Pins: []harness.Pin{harness.PinSame}})), "kind=standard/pin=same kind=realtime/pin=same"; got != want {
		t.Errorf("flood cases without split %q, want %q", got, want)
	}
	want := "api=raw/pin=split/size=0 api=raw/pin=same/size=0 api=runtime/pin=split/size=0 api=runtime/pin=same/size=0"
	if got := names(signalNotifyCases(Options{})); got != want {
		t.Errorf("notify cases %q, want %q", got, want)
	}
}

// TestSignalFloodRealtime: real-time signals queue, so none is lost: each
// one fired was either received or refused (EAGAIN) by the kernel.
func TestSignalFloodRealtime(t *testing.T) {
	transporttest.CheckLeaks(t)
	needPin(t, harness.PinSplit)
	const n = 20000
	r := benchN(t, n, func(b *testing.B) { RunSignalFlood(b, floodRealtime, harness.PinSplit) })
	sent, recv, refused, lost := count(t, r, "sent/op"), count(t, r, "received/op"), count(t, r, "refused/op"), count(t, r, "lost/op")
	if sent != n || recv+refused != sent || lost != 0 || r.Extra["lost-%"] != 0 {
		t.Errorf("real-time flood of %d: sent %d, received %d, refused %d, lost %d (%.2f%%); want received+refused = sent, none lost",
			n, sent, recv, refused, lost, r.Extra["lost-%"])
	}
	if recv < 1 {
		t.Errorf("nothing received")
	}
	if bad := blockedAnywhere(t, benchSignals...); len(bad) > 0 {
		t.Errorf("signal mask not restored: %v", bad)
	}
}

// TestSignalFloodRefused: with a tiny RLIMIT_SIGPENDING (inherited by the
// peer, whose limit is the one checked) and both processes on one CPU,
// sends are refused with EAGAIN; they are counted as refused, not lost.
func TestSignalFloodRefused(t *testing.T) {
	transporttest.CheckLeaks(t)
	pin := harness.PinSame
	needPin(t, pin)
	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_SIGPENDING, &old); err != nil {
		t.Fatal(err)
	}
	low := old
	low.Cur = 16
	if err := unix.Setrlimit(unix.RLIMIT_SIGPENDING, &low); err != nil {
		t.Skip(err)
	}
	defer func() {
		if err := unix.Setrlimit(unix.RLIMIT_SIGPENDING, &old); err != nil {
			t.Error(err)
		}
	}()
	const n = 20000
	r := benchN(t, n, func(b *testing.B) { RunSignalFlood(b, floodRealtime, pin) })
	sent, recv, refused, lost := count(t, r, "sent/op"), count(t, r, "received/op"), count(t, r, "refused/op"), count(t, r, "lost/op")
	if refused == 0 || recv+refused != sent || lost != 0 || recv < 1 {
		t.Errorf("real-time flood of %d with RLIMIT_SIGPENDING=16: sent %d, received %d, refused %d, lost %d; want some refused, received+refused = sent, none lost",
			n, sent, recv, refused, lost)
	}
	t.Logf("%d of %d real-time signals refused, none lost", refused, sent)
}

// TestSignalFloodStandard: the counts add up (what was not received was
// lost; standard signals are never refused), at every placement.
func TestSignalFloodStandard(t *testing.T) {
	transporttest.CheckLeaks(t)
	for _, pin := range []harness.Pin{harness.PinSplit, harness.PinSame} {
		t.Run(string(pin), func(t *testing.T) {
			needPin(t, pin)
			const n = 20000
			r := benchN(t, n, func(b *testing.B) { RunSignalFlood(b, floodStandard, pin) })
			sent, recv, lost := count(t, r, "sent/op"), count(t, r, "received/op"), count(t, r, "lost/op")
			if _, ok := r.Extra["refused/op"]; ok {
				t.Errorf("standard flood reports refused/op")
			}
			if sent != n || recv+lost != sent || recv < 1 {
				t.Errorf("standard flood of %d: sent %d, received %d, lost %d; want received+lost = sent, received >= 1", n, sent, recv, lost)
			}
			if pct := 100 * float64(lost) / float64(sent); math.Abs(pct-r.Extra["lost-%"]) > 0.01 {
				t.Errorf("lost-%% %.3f, want %.3f", r.Extra["lost-%"], pct)
			}
			t.Logf("pin=%s: %d of %d standard signals lost (%.1f%%)", pin, lost, sent, r.Extra["lost-%"])
		})
	}
	if bad := blockedAnywhere(t, benchSignals...); len(bad) > 0 {
		t.Errorf("signal mask not restored: %v", bad)
	}
}

// TestSignalNotify: round trips complete in both APIs and placements
// (the peer checks every answer's count and, raw, its value), and
// nothing is left blocked or running.
func TestSignalNotify(t *testing.T) {
	transporttest.CheckLeaks(t)
	for _, api := range []string{"raw", "runtime"} {
		for _, pin := range []harness.Pin{harness.PinSplit, harness.PinSame} {
			t.Run(api+"/"+string(pin), func(t *testing.T) {
				needPin(t, pin)
				r := benchN(t, 500, func(b *testing.B) { RunSignalNotify(b, api, pin) })
				if r.Extra["cpu-ns/op"] <= 0 {
					t.Errorf("cpu-ns/op %v, want > 0", r.Extra["cpu-ns/op"])
				}
				if _, ok := r.Extra["ctxsw/op"]; !ok {
					t.Errorf("no ctxsw/op metric")
				}
			})
		}
	}
	if bad := blockedAnywhere(t, benchSignals...); len(bad) > 0 {
		t.Errorf("signal mask not restored: %v", bad)
	}
}
