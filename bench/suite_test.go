package bench

import (
	"fmt"
	"testing"

	"github.com/ipcbench/ipcbench/harness"
	"github.com/ipcbench/ipcbench/transports"
)

// TestDefaultPins: by default api=runtime is measured at split, same and
// none (an unplaced Go service), the other APIs at split and same; pins
// given explicitly apply to every API.
func TestDefaultPins(t *testing.T) {
	pinsOf := func(o Options) map[transports.API]map[harness.Pin]bool {
		cells, err := Cells(harness.PingPong, o)
		if err != nil {
			t.Fatal(err)
		}
		got := map[transports.API]map[harness.Pin]bool{}
		for _, c := range cells {
			if got[c.API] == nil {
				got[c.API] = map[harness.Pin]bool{}
			}
			got[c.API][c.Pin] = true
		}
		return got
	}
	def := pinsOf(Options{Transports: []string{"unix-stream", "shm-spin"}, Sizes: []int{64}})
	for api, want := range map[transports.API][]harness.Pin{
		transports.Runtime:  {harness.PinSplit, harness.PinSame, harness.PinNone},
		transports.Raw:      {harness.PinSplit, harness.PinSame},
		transports.ZeroCopy: {harness.PinSplit, harness.PinSame},
	} {
		if len(def[api]) != len(want) {
			t.Errorf("api=%s: pins %v, want %v", api, def[api], want)
		}
		for _, p := range want {
			if !def[api][p] {
				t.Errorf("api=%s: pin=%s missing by default", api, p)
			}
		}
	}
	only := pinsOf(Options{Transports: []string{"unix-stream"}, Sizes: []int{64}, Pins: []harness.Pin{harness.PinSame}})
	for api, pins := range only {
		if len(pins) != 1 || !pins[harness.PinSame] {
			t.Errorf("api=%s with -pins same: %v", api, pins)
		}
	}
}

// TestClaimCells: with the sizes not narrowed, PingPong measures the claim
// transports (signal, pipes, sockets, queues, the memfd ring with every
// wait) at ClaimSize through api=raw at the default pins, once each; no
// other transport, api or workload gets the size; narrowed sizes drop the
// claim cells unless Claims asks for them.
func TestClaimCells(t *testing.T) {
	at := func(workload string, o Options) map[string]int {
		cells, err := Cells(workload, o)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, c := range cells {
			if c.Size != ClaimSize {
				continue
			}
			if c.API != transports.Raw {
				t.Errorf("%s: claim cell through api=%s", c.Name(), c.API)
			}
			got[c.Transport]++
		}
		return got
	}
	got := at(harness.PingPong, Options{})
	for _, name := range []string{"signal", "shm-signal", "pipe", "fifo", "unix-stream", "tcp", "posix-mq", "shm-futex", "shm-sem", "shm-sysvsem", "shm-spin"} {
		if _, err := transports.Lookup(name); err != nil {
			continue
		}
		if got[name] != len(DefaultPins) {
			t.Errorf("%s at %d B: %d cells, want one per default pin (%d)", name, ClaimSize, got[name], len(DefaultPins))
		}
	}
	for _, name := range []string{"mmap-spin", "sysvshm-futex", "cma"} {
		if got[name] != 0 {
			t.Errorf("%s at %d B: %d cells, want none (not a claim cell)", name, ClaimSize, got[name])
		}
	}
	// The signal runs at its limit, 8 B, in every workload: not a claim cell.
	if got := at(harness.Stream, Options{}); len(got) != 1 || got["signal"] == 0 {
		t.Errorf("Stream at %d B: %v, want the signal (at its limit) only", ClaimSize, got)
	}
	if got := at(harness.PingPong, Options{Sizes: []int{64}}); got["pipe"] != 0 {
		t.Errorf("sizes narrowed to 64: pipe at %d B %d times, want none", ClaimSize, got["pipe"])
	}
	if got := at(harness.PingPong, Options{Sizes: []int{64}, Claims: true, Pins: []harness.Pin{harness.PinSame}}); got["pipe"] != 1 {
		t.Errorf("sizes narrowed, Claims set, pin=same: pipe at %d B %d times, want 1", ClaimSize, got["pipe"])
	}
}

// TestPathCells: by default tcp and udp are measured over loopback and
// over veth at the same pins and sizes, and no other transport gets a
// path; an empty Paths leaves loopback alone; path=remote runs at
// pin=none only, and carries its peer; names put the path between api and
// pin.
func TestPathCells(t *testing.T) {
	count := func(o Options) map[string]int {
		cells, err := Cells(harness.Stream, o)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, c := range cells {
			got[c.Transport+"/"+c.Path.String()]++
			if c.Path == harness.PathRemote && (c.Pin != harness.PinNone || c.Remote == nil) {
				t.Errorf("%s: pin %s, remote %v; want pin=none and the peer", c.Name(), c.Pin, c.Remote)
			}
		}
		return got
	}
	o := Options{Transports: []string{"unix-stream", "tcp", "udp"}, APIs: []transports.API{transports.Raw}, Sizes: []int{64, 1024}}
	got := count(o)
	for k, want := range map[string]int{"unix-stream/lo": 4, "tcp/lo": 4, "tcp/veth": 4, "udp/lo": 4, "udp/veth": 4} {
		if got[k] != want {
			t.Errorf("%s: %d cells, want %d (all: %v)", k, got[k], want, got)
		}
	}
	if len(got) != 5 {
		t.Errorf("cells %v: want unix-stream on loopback only", got)
	}
	o.Paths = []harness.Path{}
	if got := count(o); got["tcp/veth"] != 0 || got["tcp/lo"] != 4 {
		t.Errorf("Paths empty: %v, want loopback alone", got)
	}
	o.Paths, o.Remote = []harness.Path{harness.PathRemote}, &harness.Remote{Addr: "192.0.2.1:7071", Token: "t"}
	if got := count(o); got["tcp/remote"] != 2 || got["udp/remote"] != 2 {
		t.Errorf("path=remote: %v, want one cell per size at pin=none", got)
	}
	c := Cell{Workload: harness.PingPong, Transport: "tcp", API: transports.Raw, Path: harness.PathVeth, Pin: harness.PinSplit, Size: 64}
	if got, want := c.Name(), "transport=tcp/api=raw/path=veth/pin=split/size=64"; got != want {
		t.Errorf("Name() = %q, want %q", got, want)
	}
	for in, want := range map[string]string{"veth": "[veth]", "none": "[]", "veth,netem,veth": "[veth netem]"} {
		ps, err := ParsePaths(in)
		if err != nil || fmt.Sprint(ps) != want {
			t.Errorf("ParsePaths(%q) = %v, %v; want %s", in, ps, err, want)
		}
	}
	for _, bad := range []string{"lo", "eth0", "veth,,"} {
		if _, err := ParsePaths(bad); err == nil {
			t.Errorf("ParsePaths(%q): no error", bad)
		}
	}
}
