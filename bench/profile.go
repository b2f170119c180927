package bench

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ipcbench/ipcbench/harness"
	"github.com/ipcbench/ipcbench/internal/targets"
	"github.com/ipcbench/ipcbench/transports"
)

// A Profile is a named choice of what to run and how long: what
// `make report`, `make baseline` and `ipcbench run -profile` use.
type Profile struct {
	Name    string
	Doc     string
	Groups  []string // nil: every group but LoadGroups
	Options Options
	// Count is the number of repetitions (rounds over every case,
	// interleaved, so that slow drift of the machine spreads over all).
	Count     int
	BenchTime time.Duration
	Warmup    time.Duration
	// Cases, when set, are the full case names ("PingPong/transport=…")
	// to run, in this order, out of those Groups and Options generate.
	Cases []string
	// Alternate runs every second round in reverse order, so that each
	// case runs as often just before its neighbour as just after it.
	Alternate bool
	// Load are the load groups (LoadGroups) a profile with nil Groups runs
	// beside the others, each with options of its own (a short sweep
	// inside a long profile).
	Load map[string]Options
	// Clustered runs each round cluster by cluster (results.Cluster: the
	// cases a report compares with one another, next to each other), each
	// cluster between two drift probes, in alternating order (Runner).
	Clustered bool
}

// loadTransports are the transports of the load profile: a pipe, the
// sockets, a queue and the three waits of the memfd ring.
var loadTransports = []string{"pipe", "unix-stream", "tcp", "posix-mq", "shm-futex", "shm-hybrid", "shm-spin"}

// shortLoad is the load of the default profile, at 64 B, api=raw,
// pin=split: a short rate sweep of a pipe and a sleeping and a spinning
// shared-memory wait, 1, 2 and 4 pairs of a pipe and the two
// waits, and 1, 2 and 4 clients of a Unix socket and of the two waits.
var shortLoad = map[string]Options{
	"Rate": {
		Transports: []string{"pipe", "shm-futex", "shm-spin"},
		APIs:       []transports.API{transports.Raw},
		Pins:       []harness.Pin{harness.PinSplit},
		Sizes:      []int{64},
		Rates:      []int{100, 1000, 10000, 100000},
		// The p99 of 40 messages is their largest: coarse, for the shape
		// of the curve; the load profile sends 200 at least.
		RateMessages: 40,
	},
	"Pairs": {
		Transports: []string{"pipe", "shm-futex", "shm-spin"},
		APIs:       []transports.API{transports.Raw},
		Pins:       []harness.Pin{harness.PinSplit},
		Sizes:      []int{64},
		Pairs:      []int{1, 2, 4},
	},
	"FanIn": {
		Transports: []string{"unix-stream", "shm-futex", "shm-spin"},
		APIs:       []transports.API{transports.Raw},
		Pins:       []harness.Pin{harness.PinSplit},
		Sizes:      []int{64},
		Clients:    []int{1, 2, 4},
	},
}

// LoadGroups are the load benchmarks: a profile runs them only when it
// names them in Groups (they measure for seconds per case, at rates and
// process counts of their own).
var LoadGroups = []string{"Rate", "Pairs", "FanIn"}

// Profiles are the predefined profiles.
var Profiles = map[string]Profile{
	"default": {
		Name: "default", Doc: "every transport, api, size and both default placements (and pin=none for api=runtime); 9 rounds (the fewest for which the 95 % interval of a median leaves out the smallest and largest value) of 13 ms, clustered, and a short version of the load benchmarks (at most 10 minutes on 2 cores)",
		Count: 9, BenchTime: 13 * time.Millisecond, Warmup: 4 * time.Millisecond, Clustered: true,
		Load: shortLoad,
	},
	"load": {
		Name: "load", Doc: "the load benchmarks (Rate, Pairs, FanIn) for pipe, unix-stream, tcp, posix-mq, shm-futex, shm-hybrid and shm-spin, every api, at 64 B and 4 KiB: the rate sweep 100 to 10^6 msg/s, 1 to 8 pairs, 1 to 8 clients; 6 rounds (the fewest for a 95 % interval) of 250 ms per case, clustered",
		Groups: LoadGroups,
		Options: Options{
			Transports: loadTransports,
			Sizes:      []int{64, 4096},
		},
		// 250 ms per case: in an open loop one stall of the machine makes
		// every message late until the sender has caught up, so a short
		// window turns one stall into a p99 (a 1 ms stall at 30k msg/s
		// delays 30 messages: 1 % of 100 ms, 0.4 % of 250 ms).
		Count: 6, BenchTime: 250 * time.Millisecond, Warmup: 20 * time.Millisecond, Clustered: true,
	},
	"quick": {
		Name: "quick", Doc: "representative transports at 64 B, 64 KiB and 1 MiB (and the claim cells), every api they have; 9 rounds, clustered, short runs (about 2 minutes)",
		Options: Options{
			Transports: []string{"pipe", "unix-stream", "tcp", "posix-mq", "sysv-mq", "shm-spin", "shm-futex", "shm-hybrid", "shm-sem", "signal"},
			APIs:       nil,
			Sizes:      []int{64, 65536, 1048576},
			Claims:     true,
		},
		Count: 9, BenchTime: 10 * time.Millisecond, Warmup: 5 * time.Millisecond, Clustered: true,
	},
	targets.Profile: {
		Name: targets.Profile, Doc: "the cases of the issues' speed targets (internal/targets), each next to its reference where the list allows, in alternating order; 12 rounds (about 40 s)",
		Groups: []string{"PingPong", "Stream", "Baseline", "Floor"},
		Options: Options{
			Transports: []string{"pipe", "unix-stream", "shm-spin", "shm-futex", "shm-hybrid"},
			APIs:       []transports.API{transports.Raw, transports.ZeroCopy},
			Sizes:      []int{64, 65536, 1048576},
			Claims:     true,
		},
		Cases: targets.Cases(),
		Count: 12, BenchTime: 100 * time.Millisecond, Warmup: 30 * time.Millisecond, Alternate: true,
	},
}

// ProfileNames lists the profiles, sorted.
func ProfileNames() []string {
	var n []string
	for k := range Profiles {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// LookupProfile returns a profile by name, with an error listing the valid
// names for an unknown one.
func LookupProfile(name string) (Profile, error) {
	p, ok := Profiles[name]
	if !ok {
		return Profile{}, fmt.Errorf("unknown profile %q (valid: %s)", name, strings.Join(ProfileNames(), ", "))
	}
	return p, nil
}

// groupOptions are the options profile p runs group with, and whether it
// runs it at all: a group named in Groups with the profile's Options;
// when Groups is nil, any group but the load groups with the profile's
// Options and a load group of Load with its own.
func (p Profile) groupOptions(group string) (Options, bool) {
	switch {
	case p.Groups != nil:
		return p.Options, contains(p.Groups, group)
	case !contains(LoadGroups, group):
		return p.Options, true
	}
	o, ok := p.Load[group]
	return o, ok
}
