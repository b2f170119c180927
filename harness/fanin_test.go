package harness_test

import (
	"errors"
	"math"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipcbench/ipcbench/harness"
	"github.com/ipcbench/ipcbench/transports"
	"github.com/ipcbench/ipcbench/transports/transporttest"
)

// runFanIn starts a fan-in of clients over transport through api, runs
// one window and checks the counts: every client did round trips, and
// the server served each client's measured ones plus its end.
func runFanIn(t *testing.T, transport string, api transports.API, pin harness.Pin, size, clients int) *harness.FanInResult {
	t.Helper()
	transporttest.CheckLeaks(t)
	f, err := harness.StartFanIn(harness.Config{Transport: transport, API: api, Pin: pin, Size: size}, clients)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := f.Close(); err != nil {
			t.Error(err)
		}
	}()
	res, err := f.Run(50 * time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Clients) != clients {
		t.Fatalf("%d client results, want %d", len(res.Clients), clients)
	}
	var sum int64
	for i, c := range res.Clients {
		if c.Ops <= 0 || c.EndNS <= c.StartNS || c.P50NS <= 0 || c.P99NS < c.P50NS {
			t.Errorf("client %d: %+v", i, c)
		}
		sum += c.Ops
	}
	if sum != res.Shares().Ops() || res.Served != sum+int64(clients) {
		t.Errorf("per-client round trips sum to %d, Ops %d, served %d (want the sum plus %d ends)", sum, res.Shares().Ops(), res.Served, clients)
	}
	if res.Shares().Rate() <= 0 || res.Shares().Span() <= 0 {
		t.Errorf("rate %v over %d ns", res.Shares().Rate(), res.Shares().Span())
	}
	// A second run on the same clients: the sequence starts again.
	if _, err := f.Run(10 * time.Millisecond); err != nil {
		t.Fatalf("second run: %v", err)
	}
	return res
}

func TestFanIn(t *testing.T) {
	for _, c := range []struct {
		transport string
		api       transports.API
		server    string
	}{
		{"unix-stream", transports.Raw, harness.ServerEpoll},
		{"unix-stream", transports.Runtime, harness.ServerGoroutines},
		{"pipe", transports.Raw, harness.ServerEpoll},
		{"pipe", transports.Runtime, harness.ServerGoroutines},
		{"tcp", transports.Raw, harness.ServerEpoll},
		{"posix-mq", transports.Raw, harness.ServerEpoll},
		{"posix-mq", transports.Runtime, harness.ServerGoroutines},
		{"shm-spin", transports.Raw, harness.ServerSpin},
		{"shm-futex", transports.Raw, harness.ServerFutex},
		{"shm-hybrid", transports.Raw, harness.ServerHybrid},
	} {
		t.Run("transport="+c.transport+"/api="+string(c.api), func(t *testing.T) {
			res := runFanIn(t, c.transport, c.api, harness.PinSplit, 64, 3)
			if res.Server != c.server {
				t.Errorf("server %q, want %q", res.Server, c.server)
			}
		})
	}
	t.Run("size=4096/pin=same", func(t *testing.T) {
		runFanIn(t, "unix-stream", transports.Raw, harness.PinSame, 4096, 2)
	})
}

// TestFanInClientKilled kills one client mid-run: the run must end with
// an error naming that client and its death within seconds, and Close
// must reap every client.
func TestFanInClientKilled(t *testing.T) {
	for _, c := range []struct {
		transport string
		api       transports.API
	}{
		{"unix-stream", transports.Raw},
		{"unix-stream", transports.Runtime},
		{"posix-mq", transports.Raw},
		{"shm-futex", transports.Raw},
		{"shm-spin", transports.Raw},
	} {
		t.Run("transport="+c.transport+"/api="+string(c.api), func(t *testing.T) {
			transporttest.CheckLeaks(t)
			f, err := harness.StartFanIn(harness.Config{Transport: c.transport, API: c.api, Pin: harness.PinSplit, Size: 64}, 3)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			victim := f.Client(1)
			go func() {
				time.Sleep(300 * time.Millisecond)
				victim.Signal(syscall.SIGKILL)
			}()
			start := time.Now()
			_, err = f.Run(time.Minute)
			took := time.Since(start)
			if err == nil {
				t.Fatal("run with a killed client succeeded")
			}
			if took > 10*time.Second {
				t.Errorf("the run took %v to notice the killed client", took)
			}
			var re *harness.RunError
			if !errors.As(err, &re) || !strings.Contains(re.Workload, "client=1 ") {
				t.Errorf("error does not name client 1: %v", err)
			}
			if !strings.Contains(err.Error(), "peer process died: signal: killed") {
				t.Errorf("error does not tell the death: %v", err)
			}
			if err := f.Close(); err != nil {
				t.Error(err)
			}
			for i := range f.Clients() {
				if pid := f.Client(i).PID(); syscall.Kill(pid, 0) == nil {
					t.Errorf("client %d (pid %d) still there after Close", i, pid)
				}
			}
		})
	}
}

func TestFanInBadInput(t *testing.T) {
	transporttest.CheckLeaks(t)
	for _, n := range []int{0, -1, harness.MaxClients + 1} {
		_, err := harness.StartFanIn(harness.Config{Transport: "pipe", Size: 64}, n)
		if err == nil || !strings.Contains(err.Error(), "64") {
			t.Errorf("clients=%d: %v, want an error naming the limit", n, err)
		}
	}
	for _, c := range []struct {
		transport string
		api       transports.API
	}{
		{"sysv-mq", transports.Raw}, {"shm-sem", transports.Raw}, {"shm-spin", transports.ZeroCopy},
		{"udp", transports.Raw}, {"grpc-unix", transports.Runtime}, {"signal", transports.Raw},
	} {
		err := harness.FanInCheck(c.transport, c.api)
		if err == nil || !strings.Contains(err.Error(), "not built") {
			t.Errorf("%s api=%s: %v, want not built", c.transport, c.api, err)
		}
		if _, err := harness.StartFanIn(harness.Config{Transport: c.transport, API: c.api, Size: 8}, 2); err == nil {
			t.Errorf("%s api=%s: started", c.transport, c.api)
		}
	}
}

// TestFanInClientHung stops one client mid-run: the watchdog must find
// it hung within the hang timeout and the run end with an error naming it.
func TestFanInClientHung(t *testing.T) {
	transporttest.CheckLeaks(t)
	f, err := harness.StartFanIn(harness.Config{Transport: "shm-futex", API: transports.Raw, Pin: harness.PinSplit, Size: 64, HangTimeout: time.Second}, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	victim := f.Client(0)
	go func() {
		time.Sleep(200 * time.Millisecond)
		victim.Signal(syscall.SIGSTOP)
	}()
	start := time.Now()
	_, err = f.Run(time.Minute)
	if err == nil {
		t.Fatal("run with a stopped client succeeded")
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the run took %v to notice the stopped client", took)
	}
	if !errors.Is(err, harness.ErrPeerHung) || !strings.Contains(err.Error(), "client=0 ") {
		t.Errorf("want a hang of client 0: %v", err)
	}
}

func TestFanInCount(t *testing.T) {
	transporttest.CheckLeaks(t)
	f, err := harness.StartFanIn(harness.Config{Transport: "pipe", API: transports.Raw, Pin: harness.PinSame, Size: 64}, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := f.RunCount(40)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range res.Clients {
		if c.Ops != 40 {
			t.Errorf("client %d: %d round trips, want 40", i, c.Ops)
		}
	}
	if res.Served != 82 {
		t.Errorf("served %d, want 82", res.Served)
	}
}

// TestFanInReport checks the metrics of a made-up result: ns/op is the
// aggregate's time per message, the percentiles the median and the worst
// client's, the CPU per message served.
func TestFanInReport(t *testing.T) {
	res := &harness.FanInResult{
		Size: 64,
		Clients: []harness.ClientResult{
			{Share: harness.Share{Ops: 1000, StartNS: 0, EndNS: 1e9, P50NS: 10, P99NS: 100}, Usage: harness.Usage{UserNS: 1000}},
			{Share: harness.Share{Ops: 3000, StartNS: 0, EndNS: 1e9, P50NS: 30, P99NS: 300}},
			{Share: harness.Share{Ops: 2000, StartNS: 0, EndNS: 2e9, P50NS: 20, P99NS: 200}},
		},
		Served:      6003,
		ServerUsage: harness.Usage{UserNS: 6003 * 5},
	}
	r := testing.Benchmark(func(b *testing.B) { res.Report(b) })
	for unit, want := range map[string]float64{
		"ns/op":            2e9 / 6000,
		"msg/s":            3000,
		"p50-ns":           20,
		"p99-ns":           200,
		"worst-p50-ns":     30,
		"worst-p99-ns":     300,
		"fairness":         (1000.0 + 3000 + 1000) * (1000 + 3000 + 1000) / (3 * (1e6 + 9e6 + 1e6)),
		"server-cpu-ns/op": 5,
		"cpu-ns/op":        (6003*5 + 1000) / 6003.0,
		"oversub":          0,
	} {
		got, ok := r.Extra[unit]
		if unit == "ns/op" {
			got, ok = float64(r.T.Nanoseconds())/float64(r.N), true
			if v, has := r.Extra[unit]; has {
				got = v
			}
		}
		if !ok || math.Abs(got-want) > 1e-9*math.Max(1, want) {
			t.Errorf("%s = %v (reported %v), want %v", unit, got, ok, want)
		}
	}
}

func init() {
	// The corrupting test transport, served by goroutines: the client's
	// request 10 is damaged past its sequence number, which the server's
	// check of length and sequence lets through and the client's check
	// of the echo catches.
	transports.Register(transports.Info{
		Name: "test-corrupt-fanin", Family: "pipe", APIs: []transports.API{transports.Runtime},
		Limits: func(transports.API) transports.Limits { return transports.Limits{MaxMessage: 4096, Source: "test"} },
		New:    func() transports.Transport { return testTransport{} },
	})
}

// TestFanInClientCatchesCorruption: a client that finds its echo damaged
// ends the run at once with its own account of the message.
func TestFanInClientCatchesCorruption(t *testing.T) {
	transporttest.CheckLeaks(t)
	f, err := harness.StartFanIn(harness.Config{Transport: "test-corrupt-fanin", Size: 64}, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	start := time.Now()
	_, err = f.Run(time.Minute)
	if err == nil {
		t.Fatal("corruption not caught")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v", took)
	}
	if !strings.Contains(err.Error(), "message 10") || !strings.Contains(err.Error(), "differs") {
		t.Errorf("error: %v", err)
	}
}
