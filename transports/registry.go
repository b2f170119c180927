package transports

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Info describes a registered transport.
type Info struct {
	// Name is the value used in benchmark names: lowercase, hyphenated,
	// without '/', '=', spaces or a trailing "-<digits>".
	Name string
	// Family groups transports in reports: "pipe", "socket", "mq", "shm",
	// "signal", "rpc" (RPC libraries over a socket), "other".
	Family string
	// Wait is how a side waits for its peer: WaitSleep or WaitSpin.
	// Reports class shared memory by it (spinning or blocking).
	Wait Wait
	// Order places the transport among its family in reports (listings,
	// legends, tables): lower first, equal orders by name.
	Order int
	// Doc is a one-line description for listings.
	Doc string
	// APIs lists the APIs the transport supports, the first being its
	// default.
	APIs []API
	// Net says that the transport supports Options.Net: its two ends on a
	// network path (another network namespace, another machine), the
	// parent's socket bound to an address the peer dials, instead of a
	// pair made in the parent. Create with Options.Net fails on a
	// transport without it.
	Net bool
	// Limits reports the mechanism's bounds for api on this machine.
	Limits func(api API) Limits
	// New returns the transport.
	New func() Transport
}

// Wait is how a side of a transport waits for its peer (Info.Wait).
type Wait string

// Wait classes.
const (
	// WaitSleep: a side sleeps in the kernel until its peer (or the
	// kernel, on its behalf) wakes it.
	WaitSleep Wait = "sleep"
	// WaitSpin: a side polls memory, keeping its CPU busy, before or
	// instead of sleeping.
	WaitSpin Wait = "spin"
)

var (
	regMu    sync.RWMutex
	registry = map[string]Info{}
)

// Register adds a transport. It is meant to be called from init functions
// and panics on a programming error: an empty or malformed name, a
// duplicate, or missing fields.
func Register(info Info) {
	if err := validName(info.Name); err != nil {
		panic("transports.Register: " + err.Error())
	}
	if info.New == nil || info.Limits == nil || len(info.APIs) == 0 || info.Family == "" {
		panic("transports.Register: " + info.Name + ": New, Limits, APIs and Family are required")
	}
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[info.Name]; dup {
		panic("transports.Register: duplicate transport " + info.Name)
	}
	registry[info.Name] = info
}

func validName(name string) error {
	if name == "" {
		return fmt.Errorf("empty transport name")
	}
	if strings.ContainsAny(name, "/= \t") || strings.ToLower(name) != name {
		return fmt.Errorf("transport name %q must be lowercase without '/', '=' or spaces", name)
	}
	if i := strings.LastIndexByte(name, '-'); i >= 0 && i+1 < len(name) && strings.Trim(name[i+1:], "0123456789") == "" {
		return fmt.Errorf("transport name %q must not end in -<digits> (benchfmt reads that as GOMAXPROCS)", name)
	}
	return nil
}

// Lookup returns the transport registered under name. For an unknown
// name the error wraps ErrUnknownTransport and lists the valid names.
func Lookup(name string) (Info, error) {
	regMu.RLock()
	info, ok := registry[name]
	regMu.RUnlock()
	if !ok {
		return Info{}, fmt.Errorf("%w %q (valid: %s)", ErrUnknownTransport, name, strings.Join(Names(), ", "))
	}
	return info, nil
}

// Names returns the registered transport names, sorted.
func Names() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Supports reports whether info supports api.
func (info Info) Supports(api API) bool { return slices.Contains(info.APIs, api) }

// CheckAPI returns nil if info supports api, or an error wrapping
// ErrUnsupportedAPI that lists the APIs it does support.
func (info Info) CheckAPI(api API) error {
	if info.Supports(api) {
		return nil
	}
	valid := make([]string, len(info.APIs))
	for i, a := range info.APIs {
		valid[i] = string(a)
	}
	return fmt.Errorf("%s: %w %q (valid: %s)", info.Name, ErrUnsupportedAPI, api, strings.Join(valid, ", "))
}

// Resolve is the first step of every Create, and of any caller that sets
// up a channel and needs to know its API and capacity before Create (the
// harness): it fills in the default API (the first of info.APIs) when
// opts.API is empty, checks that the API is supported, and resolves the
// channel capacity (see Capacity). It returns opts with both filled in.
// Options.Net on a transport without Info.Net fails with an error
// wrapping errors.ErrUnsupported; a Net.Addr no peer could dial fails too.
func (info Info) Resolve(opts Options) (Options, error) {
	if opts.API == "" {
		opts.API = info.APIs[0]
	}
	if err := info.CheckAPI(opts.API); err != nil {
		return opts, err
	}
	if err := info.checkNet(opts.Net); err != nil {
		return opts, err
	}
	capacity, err := info.Capacity(opts)
	if err != nil {
		return opts, err
	}
	opts.MaxMessage = capacity
	return opts, nil
}

// Capacity resolves the channel capacity a Create call should use: the
// requested opts.MaxMessage, or the transport's limit when it is zero. A
// request above the limit returns a *LimitError.
func (info Info) Capacity(opts Options) (int, error) {
	lim := info.Limits(opts.API)
	if opts.MaxMessage < 0 {
		return 0, fmt.Errorf("%s: negative MaxMessage %d", info.Name, opts.MaxMessage)
	}
	if opts.MaxMessage == 0 {
		return lim.MaxMessage, nil
	}
	if opts.MaxMessage > lim.MaxMessage {
		return 0, &LimitError{Transport: info.Name, What: "message size", Got: opts.MaxMessage, Max: lim.MaxMessage, Source: lim.Source}
	}
	return opts.MaxMessage, nil
}

// checkNet returns nil if net is nil or info supports it (Info.Net) with
// an address a peer can dial.
func (info Info) checkNet(net *NetPath) error {
	if net == nil {
		return nil
	}
	if !info.Net {
		var with []string
		regMu.RLock()
		for _, other := range registry {
			if other.Net {
				with = append(with, other.Name)
			}
		}
		regMu.RUnlock()
		sort.Strings(with)
		return fmt.Errorf("%s: a network path (Options.Net) is not supported (transports with one: %s): %w", info.Name, strings.Join(with, ", "), errors.ErrUnsupported)
	}
	if err := net.check(); err != nil {
		return fmt.Errorf("%s: %w", info.Name, err)
	}
	return nil
}
