package ipcbench_test

import (
	"flag"
	"os"
	"testing"

	"github.com/ipcbench/ipcbench/bench"
	"github.com/ipcbench/ipcbench/harness"
)

func TestMain(m *testing.M) {
	if harness.IsPeer() {
		os.Exit(harness.PeerMain())
	}
	flag.Parse()
	if f := flag.Lookup("test.bench"); f != nil && f.Value.String() != "" {
		harness.WriteConfig(os.Stdout, false)
	}
	os.Exit(m.Run())
}

// BenchmarkPingPong: ns/op is one verified round trip of size bytes.
func BenchmarkPingPong(b *testing.B) { bench.RunGroup(b, "PingPong") }

// BenchmarkStream: ns/op is one message delivered and verified.
func BenchmarkStream(b *testing.B) { bench.RunGroup(b, "Stream") }

// BenchmarkBaseline: the bare-pipe round trip (op=rawpipe) and the
// harness's own cost per round trip (op=harness), for judging the suite.
func BenchmarkBaseline(b *testing.B) { bench.RunGroup(b, "Baseline") }

// BenchmarkFloor: reference floors (cache line, futex, copy loop, memcpy,
// system call) that the transports are judged against.
func BenchmarkFloor(b *testing.B) { bench.RunGroup(b, "Floor") }

// BenchmarkSignalFlood: ns/op is one signal fired without waiting;
// sent/op, received/op, lost/op and lost-% count what arrived (claim C4).
func BenchmarkSignalFlood(b *testing.B) { bench.RunGroup(b, "SignalFlood") }

// BenchmarkSignalNotify: ns/op is one round trip of a bare notification
// (raw: signalfd on a locked thread; runtime: os/signal).
func BenchmarkSignalNotify(b *testing.B) { bench.RunGroup(b, "SignalNotify") }

// BenchmarkRate: open-loop latency at a fixed offered rate; resp-*-ns are
// response times from the intended send, invalid is 1 when the run fell
// behind its schedule.
func BenchmarkRate(b *testing.B) { bench.RunGroup(b, "Rate") }

// BenchmarkPairs: N independent ping-pong pairs over one shared window
// (the bench time); ns/op is the aggregate's wall time per verified round
// trip (1 ÷ msg/s), with the per-pair percentiles, fairness, CPU of every
// process per message and the oversubscription flag. Run only when asked
// for (-bench Pairs; a profile that names the group).
func BenchmarkPairs(b *testing.B) { bench.RunGroup(b, "Pairs") }

// BenchmarkFanIn: clients=N client processes ping-pong at once with one
// server, this process, each over its own channel; ns/op is the
// aggregate's wall time per message (1/msg/s), with per-client latency
// percentiles, fairness and the server's CPU per message (bench/fanin.go).
func BenchmarkFanIn(b *testing.B) { bench.RunGroup(b, "FanIn") }
