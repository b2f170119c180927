package results

import (
	"testing"

	"golang.org/x/perf/benchfmt"
)

// TestKeyOf: the keys of result lines (names as benchfmt holds them,
// without "Benchmark"), read as benchstat's projections read them.
func TestKeyOf(t *testing.T) {
	for _, c := range []struct {
		name string
		want Key
	}{
		{"PingPong/transport=pipe/api=raw/pin=split/size=64-2",
			Key{Bench: BenchPingPong, Transport: "pipe", API: "raw", Pin: "split", Size: 64}},
		{"Stream/transport=shm-futex/api=zerocopy/pin=same/size=1048576",
			Key{Bench: BenchStream, Transport: "shm-futex", API: "zerocopy", Pin: "same", Size: 1048576}},
		{"Floor/op=cacheline/pin=split/size=64-2",
			Key{Bench: BenchFloor, Op: "cacheline", Pin: "split", Size: 64}},
		{"SignalFlood/kind=realtime/pin=same-2",
			Key{Bench: BenchSignalFlood, Kind: "realtime", Pin: "same", Size: NoSize}},
		{"PingPong/transport=tcp/api=raw/path=veth/pin=split/size=64-2",
			Key{Bench: BenchPingPong, Transport: "tcp", API: "raw", Path: "veth", Pin: "split", Size: 64}},
		{"SignalNotify/api=runtime/pin=none/size=0",
			Key{Bench: BenchSignalNotify, API: "runtime", Pin: "none", Size: 0}},
		// Keys in another order, parts that are no key, the first of two.
		{"PingPong/size=8/extra/pin=same/transport=signal/pin=split",
			Key{Bench: BenchPingPong, Transport: "signal", Pin: "same", Size: 8}},
		// An empty value is no value; a name without keys is its function.
		{"Plant-2", Key{Bench: "Plant", Size: NoSize}},
		{"X/size=/api=", Key{Bench: "X", Size: NoSize}},
		{"Rate/transport=pipe/api=raw/pin=split/size=64/rate=1000-2",
			Key{Bench: BenchRate, Transport: "pipe", API: "raw", Pin: "split", Size: 64, Rate: 1000}},
		{"Pairs/transport=shm-spin/api=raw/pin=split/size=64/pairs=8",
			Key{Bench: BenchPairs, Transport: "shm-spin", API: "raw", Pin: "split", Size: 64, Pairs: 8}},
		// "-16" is GOMAXPROCS, not part of the size.
		{"PingPong/transport=tcp/size=64-16", Key{Bench: BenchPingPong, Transport: "tcp", Size: 64}},
	} {
		got, err := keyOf(benchfmt.Name(c.name))
		if err != nil || got != c.want {
			t.Errorf("keyOf(%q) = %+v, %v; want %+v", c.name, got, err, c.want)
		}
	}
	// "-1-2": size -1 at GOMAXPROCS 2.
	for _, bad := range []string{"PingPong/size=-1-2", "PingPong/size=64k", "PingPong/size=1e3", "Rate/rate=0", "Rate/rate=1k", "Pairs/pairs=-2-2"} {
		if k, err := keyOf(benchfmt.Name(bad)); err == nil {
			t.Errorf("keyOf(%q) = %+v, want an error (bad size, rate or count)", bad, k)
		}
	}
}

// TestParseKey: a name of the suite, strictly (moved here from package
// reports with ParseKey).
func TestParseKey(t *testing.T) {
	for _, tc := range []struct {
		name string
		want Key
	}{
		{"PingPong/transport=pipe/api=raw/pin=split/size=64", Key{Bench: "PingPong", Transport: "pipe", API: "raw", Pin: "split", Size: 64}},
		{"Baseline/op=rawpipe/pin=same/size=64", Key{Bench: "Baseline", Op: "rawpipe", Pin: "same", Size: 64}},
		{"SignalFlood/kind=standard/pin=split", Key{Bench: "SignalFlood", Kind: "standard", Pin: "split", Size: NoSize}},
		{"Stream/size=65536/pin=same/api=zerocopy/transport=shm-futex", Key{Bench: "Stream", Transport: "shm-futex", API: "zerocopy", Pin: "same", Size: 65536}},
		{"PingPong/transport=udp/api=runtime/path=remote/pin=split/size=1024", Key{Bench: "PingPong", Transport: "udp", API: "runtime", Path: "remote", Pin: "split", Size: 1024}},
		{"Plant", Key{Bench: "Plant", Size: NoSize}},
	} {
		got, err := ParseKey(tc.name)
		if err != nil || got != tc.want {
			t.Errorf("ParseKey(%q) = %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
	// The GOMAXPROCS suffix is no part of a name here: "64-2" is no size.
	for _, bad := range []string{"PingPong/transport", "PingPong/colour=red", "Stream/size=-1", "Stream/size=x", "PingPong/size=64-2", "Rate/rate=0", "FanIn/clients=x", "Pairs/pairs=-1"} {
		if _, err := ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) accepted", bad)
		}
	}
}

func TestKeyString(t *testing.T) {
	for _, c := range []struct {
		k         Key
		full, sub string
	}{
		{Key{Bench: BenchPingPong, Transport: "pipe", API: "raw", Pin: "split", Size: 64},
			"PingPong/transport=pipe/api=raw/pin=split/size=64", "transport=pipe/api=raw/pin=split/size=64"},
		{Key{Bench: BenchStream, Transport: "tcp", API: "runtime", Path: "veth", Pin: "same", Size: 65536},
			"Stream/transport=tcp/api=runtime/path=veth/pin=same/size=65536", "transport=tcp/api=runtime/path=veth/pin=same/size=65536"},
		{Key{Bench: BenchFloor, Op: "futex", Pin: "same", Size: 0}, "Floor/op=futex/pin=same/size=0", "op=futex/pin=same/size=0"},
		{Key{Bench: BenchSignalFlood, Kind: "standard", Pin: "split", Size: NoSize}, "SignalFlood/kind=standard/pin=split", "kind=standard/pin=split"},
		{Key{Bench: BenchRate, Transport: "shm-spin", API: "raw", Pin: "split", Size: 64, Rate: 100},
			"Rate/transport=shm-spin/api=raw/pin=split/size=64/rate=100", "transport=shm-spin/api=raw/pin=split/size=64/rate=100"},
		{Key{Bench: BenchFanIn, Transport: "unix-stream", API: "runtime", Pin: "none", Size: 4096, Clients: 4},
			"FanIn/transport=unix-stream/api=runtime/pin=none/size=4096/clients=4", "transport=unix-stream/api=runtime/pin=none/size=4096/clients=4"},
		{Key{Bench: "Plant", Size: NoSize}, "Plant", ""},
	} {
		if got := c.k.String(); got != c.full {
			t.Errorf("%+v.String() = %q, want %q", c.k, got, c.full)
		}
		if got := c.k.SubName(); got != c.sub {
			t.Errorf("%+v.SubName() = %q, want %q", c.k, got, c.sub)
		}
		if back, err := ParseKey(c.full); err != nil || back != c.k {
			t.Errorf("ParseKey(%q) = %+v, %v; want %+v back", c.full, back, err, c.k)
		}
	}
}

func TestKeyLess(t *testing.T) {
	// In order: function, transport, api, pin, op, kind, size.
	keys := []Key{
		{Bench: "Floor", Op: "cacheline", Pin: "split", Size: 64},
		{Bench: "PingPong", Transport: "fifo", API: "raw", Pin: "split", Size: 1 << 20},
		{Bench: "PingPong", Transport: "pipe", API: "raw", Pin: "same", Size: 64},
		{Bench: "PingPong", Transport: "pipe", API: "raw", Pin: "split", Size: 64},
		{Bench: "PingPong", Transport: "pipe", API: "raw", Pin: "split", Size: 1024},
		{Bench: "PingPong", Transport: "pipe", API: "runtime", Pin: "none", Size: 64},
		{Bench: "Rate", Transport: "pipe", API: "raw", Pin: "split", Size: 64, Rate: 100},
		{Bench: "Rate", Transport: "pipe", API: "raw", Pin: "split", Size: 64, Rate: 1000},
	}
	for i := range keys {
		for j := range keys {
			if got, want := keys[i].Less(keys[j]), i < j; got != want {
				t.Errorf("%v.Less(%v) = %v, want %v", keys[i], keys[j], got, want)
			}
		}
	}
}
