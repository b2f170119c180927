package results

import (
	"strconv"
	"strings"
)

// BenchProbe is the function name of the drift probes a clustered run
// writes around each cluster of cases (see Cluster).
const BenchProbe = "Probe"

// Probe ops: the probe measured just before a cluster's cases and the one
// measured just after them, in every round.
const (
	ProbeBefore = "before"
	ProbeAfter  = "after"
)

// ConfigRounds is the config key under which a clustered run states its
// number of rounds, so that a reader can tell a complete probe series (one
// value per round) from one with a gap.
const ConfigRounds = "ipcbench-rounds"

// ConfigDate and ConfigBenchTime are the config keys under which a run
// states when it started (UTC, RFC 3339) and how long it measured each
// case per round, for the report's first line.
const (
	ConfigDate      = "ipcbench-date"
	ConfigBenchTime = "ipcbench-benchtime"
)

// SkippedPrefix starts the config key under which a run states the cases
// of one transport it did not run because they cannot run here (a size
// above the transport's limit): "ipcbench-skipped-udp: 20 cases: <reasons>".
const SkippedPrefix = "ipcbench-skipped-"

// PathPrefix begins the config key of a network path's description
// (PathKey).
const PathPrefix = "ipcbench-path-"

// PathKey is the config key that describes network path (veth, netem,
// remote) in a run that measured it: "ipcbench-path-veth: if=ipcb0
// driver=veth mtu=1500 …".
func PathKey(path string) string { return PathPrefix + path }

// SkippedKey is the config key of transport's skipped cases.
func SkippedKey(transport string) string { return SkippedPrefix + transport }

// A Cluster is the set of cases that a report compares with one another:
// the benchmarks of one workload at one placement and one message size
// (every transport and api, with the floors and baselines of that
// workload: the ping-pong cluster holds BenchmarkBaseline and the latency
// floors, the stream cluster the copy loop and memcpy). A clustered run
// measures a cluster's cases next to each other in every round, with a
// drift probe (the two-process cache-line round trip at pin=split) before
// and after them, so that a round in which the machine changed under the
// cluster can be told and left out.
type Cluster struct {
	Workload string // BenchPingPong, BenchStream, or the load benchmark (BenchRate, BenchPairs, BenchFanIn)
	Pin      string // "" for a benchmark without /pin
	Size     int    // NoSize for a benchmark without /size
}

// Cluster is the cluster of k.
func (k Key) Cluster() Cluster {
	w := BenchPingPong
	if k.Bench == BenchStream || (k.Bench == BenchFloor && (k.Op == "copyloop" || k.Op == "memcpy")) {
		w = BenchStream
	}
	switch k.Bench {
	case BenchProbe:
		w = probeWorkload(k.Kind)
	case BenchRate, BenchPairs, BenchFanIn:
		w = k.Bench
	}
	return Cluster{Workload: w, Pin: k.Pin, Size: k.Size}
}

// probeWorkload is the workload of a probe's /kind.
func probeWorkload(kind string) string {
	for _, w := range []string{BenchStream, BenchRate, BenchPairs, BenchFanIn} {
		if kind == strings.ToLower(w) {
			return w
		}
	}
	return BenchPingPong
}

// ProbeKey is the key of the probe op (ProbeBefore or ProbeAfter) of c:
// "Probe/op=before/kind=pingpong/pin=split/size=64". The kind, pin and
// size in the name are the cluster's; the probe itself always runs at
// pin=split, where a change of the host's placement of the two vCPUs
// shows.
func (c Cluster) ProbeKey(op string) Key {
	return Key{Bench: BenchProbe, Op: op, Kind: strings.ToLower(c.Workload), Pin: c.Pin, Size: c.Size}
}

// String is the cluster in words: "PingPong pin=split size=64".
func (c Cluster) String() string {
	s := c.Workload + " pin=" + c.Pin
	if c.Pin == "" {
		s = c.Workload + " (no pin)"
	}
	if c.Size != NoSize {
		s += " size=" + strconv.Itoa(c.Size)
	}
	return s
}
