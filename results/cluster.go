package results

import "strconv"

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

// A Cluster is the set of cases that a report compares with one another:
// every benchmark at one placement and one message size (ping-pong,
// stream, floors and baselines of every transport and api). A clustered
// run measures a cluster's cases next to each other in every round, with
// a drift probe (the two-process cache-line round trip at pin=split)
// before and after them, so that a round in which the machine changed
// under the cluster can be told and left out.
type Cluster struct {
	Pin  string // "" for a benchmark without /pin
	Size int    // NoSize for a benchmark without /size
}

// Cluster is the cluster of k.
func (k Key) Cluster() Cluster { return Cluster{Pin: k.Pin, Size: k.Size} }

// ProbeKey is the key of the probe op (ProbeBefore or ProbeAfter) of c:
// "Probe/op=before/pin=split/size=64". The pin and size in the name are
// the cluster's; the probe itself always runs at pin=split, where a change
// of the host's placement of the two vCPUs shows.
func (c Cluster) ProbeKey(op string) Key {
	return Key{Bench: BenchProbe, Op: op, Pin: c.Pin, Size: c.Size}
}

// String is the cluster in words: "pin=split size=64".
func (c Cluster) String() string {
	s := "pin=" + c.Pin
	if c.Pin == "" {
		s = "no pin"
	}
	if c.Size != NoSize {
		s += " size=" + strconv.Itoa(c.Size)
	}
	return s
}
