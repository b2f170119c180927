package results

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// How a side of a transport waits for its peer, as a catalogue line says.
const (
	WaitSleep = "sleep" // it sleeps in the kernel until woken
	WaitSpin  = "spin"  // it polls memory, keeping its CPU busy, before or instead of sleeping
)

// CataloguePrefix starts the config key of a catalogue line: one line per
// registered transport, "transport-shm-spin: family=shm wait=spin order=1".
// Every transport has its own key, written once before the first result,
// so the lines hold for every result of the file, as one configuration:
// benchstat splits no table by them within a file.
const CataloguePrefix = "transport-"

// A Transport is what a report needs to know of one transport, as the
// registry (transports.Info) says it when the results are written.
type Transport struct {
	Name   string // as in benchmark names: "shm-spin"
	Family string // pipe, socket, mq, shm, signal, other
	Wait   string // WaitSleep or WaitSpin
	Order  int    // its place among its family in listings: lower first
}

// ConfigKey is the config key of t's catalogue line: CataloguePrefix and
// the transport's name.
func (t Transport) ConfigKey() string { return CataloguePrefix + t.Name }

// ConfigValue is the value of t's catalogue line: "family=shm wait=spin order=1".
func (t Transport) ConfigValue() string {
	return fmt.Sprintf("family=%s wait=%s order=%d", t.Family, t.Wait, t.Order)
}

// parseCatalogue reads the catalogue line of transport name from its
// value. Fields it does not know are ignored, so that a later version may
// add some; family, wait and order are required.
func parseCatalogue(name, value string) (Transport, error) {
	t := Transport{Name: name}
	var haveOrder bool
	for _, f := range strings.Fields(value) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return t, fmt.Errorf("field %q is not key=value", f)
		}
		switch k {
		case "family":
			t.Family = v
		case "wait":
			if v != WaitSleep && v != WaitSpin {
				return t, fmt.Errorf("wait=%s: want %s or %s", v, WaitSleep, WaitSpin)
			}
			t.Wait = v
		case "order":
			n, err := strconv.Atoi(v)
			if err != nil {
				return t, fmt.Errorf("order=%s: not a whole number", v)
			}
			t.Order, haveOrder = n, true
		}
	}
	switch {
	case t.Family == "":
		return t, fmt.Errorf("no family=")
	case t.Wait == "":
		return t, fmt.Errorf("no wait=")
	case !haveOrder:
		return t, fmt.Errorf("no order=")
	}
	return t, nil
}

// A Catalogue describes the transports of a results file, by name.
type Catalogue map[string]Transport

// Lookup returns the description of transport name: the catalogue's, else
// what the reports of the versions without catalogue lines made of the
// name (see Legacy).
func (c Catalogue) Lookup(name string) Transport {
	if t, ok := c[name]; ok {
		return t
	}
	return guess(name)
}

// Names returns the names of the catalogue's transports, sorted.
func (c Catalogue) Names() []string {
	names := make([]string, 0, len(c))
	for n := range c {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Legacy returns the catalogue of the results files written before the
// catalogue lines: every transport those versions had, described as their
// reports described it. Read gives it to a file without catalogue lines.
func Legacy() Catalogue {
	c := Catalogue{}
	for _, n := range legacyOrder {
		c[n] = guess(n)
	}
	return c
}

// legacyOrder lists the transports of the versions without catalogue
// lines, in the order their reports listed them (grouped by family), and
// legacyFamily the families of those that are not shared memory. Frozen:
// a transport added since comes with its catalogue line.
var (
	legacyOrder = []string{
		"pipe", "fifo", "vmsplice",
		"unix-stream", "unix-dgram", "unix-seqpacket", "tcp", "udp",
		"posix-mq", "sysv-mq",
		"shm-spin", "shm-hybrid", "shm-futex", "shm-sem", "shm-sysvsem", "shm-eventfd", "shm-signal",
		"mmap-spin", "mmap-futex", "sysvshm-spin", "sysvshm-futex",
		"signal",
		"cma",
	}
	legacyFamily = map[string]string{
		"pipe": "pipe", "fifo": "pipe", "vmsplice": "pipe",
		"unix-stream": "socket", "unix-dgram": "socket", "unix-seqpacket": "socket", "tcp": "socket", "udp": "socket",
		"posix-mq": "mq", "sysv-mq": "mq",
		"signal": "signal",
		"cma":    "other",
	}
)

// guess describes name by the rules of the reports without catalogue
// lines: the family of legacyFamily, else shared memory for a name that
// starts with "shm-", "mmap-" or "sysvshm-", else "other"; shared memory
// spins when the name ends in "-spin" or "-hybrid"; the order of
// legacyOrder, names it lacks after the others.
func guess(name string) Transport {
	t := Transport{Name: name, Family: "other", Wait: WaitSleep, Order: len(legacyOrder) + 1}
	if i := slices.Index(legacyOrder, name); i >= 0 {
		t.Order = i + 1
	}
	if f, ok := legacyFamily[name]; ok {
		t.Family = f
	} else if strings.HasPrefix(name, "shm-") || strings.HasPrefix(name, "mmap-") || strings.HasPrefix(name, "sysvshm-") {
		t.Family = "shm"
	}
	if t.Family == "shm" && (strings.HasSuffix(name, "-spin") || strings.HasSuffix(name, "-hybrid")) {
		t.Wait = WaitSpin
	}
	return t
}
