package bench

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ipcbench/ipcbench/harness"
	"github.com/ipcbench/ipcbench/results"
	"github.com/ipcbench/ipcbench/transports"
)

// BenchmarkFanIn: many clients, one server, as a local daemon is used
// (harness.FanIn): clients=N client processes, each with its own channel,
// ping-pong with one server process, the benchmark's, all at once over
// one shared window:
//
//	transport=T/api=A/pin=P/size=S/clients=N
//
// The server waits for the next request of any client as the transport
// and api allow (harness.FanIn.Server): api=runtime one goroutine per
// client (the runtime's poller); api=raw one locked thread, with epoll
// over the clients' descriptors (pipe, unix-stream, tcp, posix-mq) or,
// for shared memory (one ring pair per client), the transport's own wait
// over every ring: shm-spin spins over the rings, shm-futex sleeps on
// every ring's futex word at once (futex_waitv), shm-hybrid spins over
// them, then sleeps as shm-futex. pin=split puts the server on one CPU
// and every client on the other, pin=same all on one.
//
// The window is the bench time (-test.benchtime, or -ipcbench.window),
// run once per benchmark call after a warm-up window (-ipcbench.warmup);
// with a count bench time (Nx) each client makes N round trips instead.
// Metrics: ns/op is the aggregate's wall time per message (1/msg/s; it
// replaces the timer's); msg/s every client's round trips over the window;
// p50-ns and p99-ns the median over the clients of their own percentiles,
// worst-p50-ns and worst-p99-ns the worst client's; fairness Jain's index
// of the clients' rates; server-cpu-ns/op the server's CPU time per
// message, cpu-ns/op and ctxsw/op every process's; oversub 1 when the
// spinning sides outnumber their CPUs. Every request is checked by the
// server (length, sequence number) and every echo byte for byte by its
// client.
func init() {
	addGroup(Group{Name: results.BenchFanIn, Cases: fanInCases})
}

// FanInTransports are the transports FanIn measures unless narrowed.
var FanInTransports = []string{"pipe", "unix-stream", "tcp", "posix-mq", "shm-futex", "shm-hybrid", "shm-spin"}

// FanInSizes are the message sizes of FanIn unless narrowed.
var FanInSizes = []int{64, 4096}

// DefaultClients are FanIn's client counts unless narrowed.
var DefaultClients = []int{1, 2, 4, 8}

// ParseClients parses a comma-separated list of client counts, each 1 to
// harness.MaxClients.
func ParseClients(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > harness.MaxClients {
			return nil, fmt.Errorf("bad client count %q: want 1 to %d", f, harness.MaxClients)
		}
		out = append(out, n)
	}
	return out, nil
}

// fanInCell is one FanIn measurement.
type fanInCell struct {
	cfg     harness.Config
	clients int
}

func (c fanInCell) name() string {
	return results.Key{Transport: c.cfg.Transport, API: string(c.cfg.API), Pin: string(c.cfg.Pin), Size: c.cfg.Size, Clients: c.clients}.SubName()
}

func fanInCases(o Options) ([]Case, error) {
	names, explicit := o.Transports, o.Transports != nil
	if !explicit {
		names = FanInTransports
	}
	pins := o.Pins
	if pins == nil {
		pins = DefaultPins
	}
	sizes := o.Sizes
	if sizes == nil {
		sizes = FanInSizes
	}
	clients := o.Clients
	if clients == nil {
		clients = DefaultClients
	}
	var cases []Case
	for _, name := range names {
		info, err := transports.Lookup(name)
		if err != nil {
			return nil, err
		}
		// The apis the server serves; for a transport named explicitly
		// that has none, every api, skipped with the reason.
		var apis, all []transports.API
		for _, api := range info.APIs {
			if o.APIs != nil && !contains(o.APIs, api) {
				continue
			}
			all = append(all, api)
			if harness.FanInCheck(name, api) == nil {
				apis = append(apis, api)
			}
		}
		if len(apis) == 0 && explicit {
			apis = all
		}
		for _, api := range apis {
			for _, pin := range pins {
				for _, size := range sizes {
					for _, n := range clients {
						c := fanInCell{cfg: harness.Config{Transport: name, API: api, Pin: pin, Size: size}, clients: n}
						cases = append(cases, Case{Name: c.name(), Check: c.check, Run: c.run})
					}
				}
			}
		}
	}
	return cases, nil
}

// check says why the cell cannot run here: no fan-in server for its
// transport and api, or a size above the transport's limit.
func (c fanInCell) check() error {
	if err := harness.FanInCheck(c.cfg.Transport, c.cfg.API); err != nil {
		return err
	}
	info, err := transports.Lookup(c.cfg.Transport)
	if err != nil {
		return err
	}
	if lim := info.Limits(c.cfg.API); c.cfg.Size > lim.MaxMessage {
		return fmt.Errorf("%s: size %d exceeds the limit of %d bytes (%s)", c.cfg.Transport, c.cfg.Size, lim.MaxMessage, lim.Source)
	}
	return nil
}

// fanInWindow is the measured window: -ipcbench.window, else the bench
// time's duration; count is the round trips per client of a count bench
// time (Nx), with window 0.
func fanInWindow() (window time.Duration, count int) {
	if *windowFlag > 0 {
		return *windowFlag, 0
	}
	if f := flag.Lookup("test.benchtime"); f != nil {
		v := f.Value.String()
		if n, err := strconv.Atoi(strings.TrimSuffix(v, "x")); err == nil && strings.HasSuffix(v, "x") && n > 0 {
			return 0, n
		}
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			return d, 0
		}
	}
	return time.Second, 0
}

// run measures the cell: it starts the clients, runs a warm-up window,
// then the measured one, and reports its metrics. The body ignores b.N:
// one window per call, as long as the bench time, so that the testing
// package calls it once (a count bench time Nx calls it twice, and each
// call runs N round trips per client).
func (c fanInCell) run(b *testing.B) {
	f, err := harness.StartFanIn(c.cfg, c.clients)
	if err != nil {
		if errors.Is(err, errors.ErrUnsupported) {
			skipf(b, "%s: not available here: %v", c.cfg.Transport, err)
		}
		fatal(b, err)
	}
	defer f.Close()
	window, count := fanInWindow()
	if w := warmup(b); w > 0 {
		if count > 0 {
			_, err = f.RunCount(count)
		} else {
			_, err = f.Run(w)
		}
		if err != nil {
			fatal(b, err)
		}
	}
	b.ResetTimer()
	var res *harness.FanInResult
	if count > 0 {
		res, err = f.RunCount(count)
	} else {
		res, err = f.Run(window)
	}
	b.StopTimer()
	if err != nil {
		fatal(b, err)
	}
	res.Report(b)
}
