package results

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"
)

// Benchmark function names: the name of a result without "Benchmark".
const (
	BenchPingPong     = "PingPong"
	BenchStream       = "Stream"
	BenchFloor        = "Floor"
	BenchSignalFlood  = "SignalFlood"
	BenchBaseline     = "Baseline"
	BenchSignalNotify = "SignalNotify"
	BenchRate         = "Rate"  // open-loop, fixed-rate latency (/rate)
	BenchPairs        = "Pairs" // N independent pairs over one window (/pairs)
	BenchFanIn        = "FanIn" // N clients of one server (/clients)
)

// NoSize is Key.Size for a benchmark whose name has no /size key.
const NoSize = -1

// A Key identifies one benchmark configuration: the function and the
// values of its name keys. Keys that a name lacks are empty (Size: NoSize).
type Key struct {
	Bench     string // PingPong, Stream, Floor, SignalFlood, Baseline, SignalNotify
	Transport string // /transport
	API       string // /api: raw, runtime, zerocopy
	Path      string // /path: veth, netem, remote (none: loopback in one namespace)
	Pin       string // /pin: split, same, none
	Op        string // /op (Floor, Baseline)
	Kind      string // /kind (SignalFlood)
	Size      int    // /size in bytes, or NoSize
	Rate      int    // /rate: offered messages per second (Rate); 0: none
	Pairs     int    // /pairs: pairs of processes (Pairs); 0: none
	Clients   int    // /clients: client processes (FanIn); 0: none
}

// String returns the key in benchmark-name form, without the GOMAXPROCS
// suffix, e.g. "PingPong/transport=pipe/api=raw/pin=split/size=64", its
// keys in the suite's order ("Floor/op=cacheline/pin=split/size=64": op
// and kind, which no group has with a transport, come first).
func (k Key) String() string {
	sub := k.SubName()
	if sub == "" {
		return k.Bench
	}
	return k.Bench + "/" + sub
}

// SubName returns the keys after the function name, in the suite's order,
// as a sub-benchmark is named: "transport=pipe/api=raw/pin=split/size=64".
func (k Key) SubName() string {
	var parts []string
	add := func(name, v string) {
		if v != "" {
			parts = append(parts, name+"="+v)
		}
	}
	add("op", k.Op)
	add("kind", k.Kind)
	add("transport", k.Transport)
	add("api", k.API)
	add("path", k.Path)
	add("pin", k.Pin)
	if k.Size != NoSize {
		add("size", strconv.Itoa(k.Size))
	}
	for _, n := range []struct {
		name string
		v    int
	}{{"rate", k.Rate}, {"pairs", k.Pairs}, {"clients", k.Clients}} {
		if n.v != 0 {
			add(n.name, strconv.Itoa(n.v))
		}
	}
	return strings.Join(parts, "/")
}

// Less orders keys by function, transport, api, path, pin, op, kind,
// size, then rate, pairs and clients.
func (k Key) Less(o Key) bool {
	return cmp.Or(
		strings.Compare(k.Bench, o.Bench),
		strings.Compare(k.Transport, o.Transport),
		strings.Compare(k.API, o.API),
		strings.Compare(k.Path, o.Path),
		strings.Compare(k.Pin, o.Pin),
		strings.Compare(k.Op, o.Op),
		strings.Compare(k.Kind, o.Kind),
		cmp.Compare(k.Size, o.Size),
		cmp.Compare(k.Rate, o.Rate),
		cmp.Compare(k.Pairs, o.Pairs),
		cmp.Compare(k.Clients, o.Clients),
	) < 0
}

// ParseKey reads a benchmark name of the suite, without "Benchmark" and
// the GOMAXPROCS suffix ("PingPong/transport=pipe/api=raw/pin=split/size=64"),
// into its Key: the function, then key=value parts in any order. It fails
// on a part that is not key=value, a key the suite does not have, or a
// size that is not a whole number of bytes. (Read is lenient, as
// benchstat is: see File.Series.)
func ParseKey(name string) (Key, error) {
	parts := strings.Split(name, "/")
	k := Key{Bench: parts[0], Size: NoSize}
	for _, p := range parts[1:] {
		key, v, ok := strings.Cut(p, "=")
		if !ok {
			return Key{}, fmt.Errorf("results: %q: %q is not key=value", name, p)
		}
		switch key {
		case "transport":
			k.Transport = v
		case "api":
			k.API = v
		case "path":
			k.Path = v
		case "pin":
			k.Pin = v
		case "op":
			k.Op = v
		case "kind":
			k.Kind = v
		case "size":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return Key{}, fmt.Errorf("results: %q: bad size %q", name, v)
			}
			k.Size = n
		case "rate", "pairs", "clients":
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return Key{}, fmt.Errorf("results: %q: bad %s %q: want a whole number above 0", name, key, v)
			}
			*k.count(key) = n
		default:
			return Key{}, fmt.Errorf("results: %q: unknown key %q", name, key)
		}
	}
	return k, nil
}

// keyOf reads the keys of a result line's name as benchfmt holds it
// (without "Benchmark"), as benchstat's projections do: the function is
// the name up to the first '/', a key's value is that of its first
// "/key=" part, an empty value is no value, other parts are ignored. It
// fails only when /size is not a whole number of bytes.
func keyOf(n benchfmt.Name) (Key, error) {
	_, parts := n.Parts()
	get := func(key string) string {
		prefix := "/" + key + "="
		for _, p := range parts {
			if s := string(p); strings.HasPrefix(s, prefix) {
				return s[len(prefix):]
			}
		}
		return ""
	}
	k := Key{
		Bench:     string(n.Base()),
		Transport: get("transport"),
		API:       get("api"),
		Path:      get("path"),
		Pin:       get("pin"),
		Op:        get("op"),
		Kind:      get("kind"),
		Size:      NoSize,
	}
	if s := get("size"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return k, fmt.Errorf("bad size %q", s)
		}
		k.Size = n
	}
	for _, key := range []string{"rate", "pairs", "clients"} {
		if s := get(key); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n <= 0 {
				return k, fmt.Errorf("bad %s %q", key, s)
			}
			*k.count(key) = n
		}
	}
	return k, nil
}

// count is the field of the load key named key (rate, pairs, clients).
func (k *Key) count(key string) *int {
	switch key {
	case "rate":
		return &k.Rate
	case "pairs":
		return &k.Pairs
	}
	return &k.Clients
}

// shortName is a name as benchstat prints it and as the regression gate
// matches results: without a "Benchmark" prefix and without the
// -GOMAXPROCS suffix (GOMAXPROCS is compared through the config lines).
func shortName(n benchfmt.Name) string {
	base, parts := n.Parts()
	var b strings.Builder
	b.WriteString(strings.TrimPrefix(string(base), "Benchmark"))
	for _, p := range parts {
		if len(p) > 0 && p[0] == '-' {
			continue
		}
		b.Write(p)
	}
	return b.String()
}
