package harness

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipcbench/ipcbench/harness/internal/clock"
	"github.com/ipcbench/ipcbench/transports"
)

// memConn is one end of an in-memory channel: a Go channel of copied
// messages each way. Each Send first busy-waits for delay (a transport of
// a fixed speed, whatever the machine's), so that the rate tests do not
// depend on how fast this machine is.
type memConn struct {
	in, out chan []byte
	delay   time.Duration
}

func memPair(delay time.Duration) (parent, peer *memConn) {
	a, b := make(chan []byte, 1<<16), make(chan []byte, 1<<16)
	return &memConn{in: a, out: b, delay: delay}, &memConn{in: b, out: a}
}

func (c *memConn) Send(msg []byte) error {
	if c.delay > 0 {
		until := clock.Ticks() + uint64(float64(c.delay)/clock.NsPerTick())
		for clock.Ticks() < until {
		}
	}
	c.out <- append([]byte(nil), msg...)
	return nil
}

func (c *memConn) Recv(buf []byte) (int, error) {
	m, ok := <-c.in
	if !ok {
		return 0, transports.ErrPeerGone
	}
	return copy(buf, m), nil
}

func (c *memConn) Close() error { close(c.out); return nil }

// memRate runs n messages of the rate workload at rate over an in-memory
// channel whose sends take delay: the parent's schedule on this goroutine,
// the peer's half on another, and returns the judged result.
func memRate(t *testing.T, rate, n int, delay time.Duration) *RateResult {
	t.Helper()
	const size = 64
	parent, peerEnd := memPair(delay)
	seed := newSeed()
	args, _ := json.Marshal(rateArgs{T0: clock.Ticks()})
	type answer struct {
		resp response
		err  error
	}
	done := make(chan answer, 1)
	go func() {
		p := &peerState{conn: peerEnd, buf: make([]byte, size)}
		resp, err := p.rate(request{Op: Rate, Size: size, Seed: seed, Args: args})
		done <- answer{resp, err}
	}()
	x := &copyRateSender{conn: parent, msg: pattern(seed, size)}
	var progress atomic.Uint64
	sc, err := rateSchedule(&looper{max: n, deadline: time.Now().Add(time.Minute)}, x, rate, &progress)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x.send(sc.sent|endFlag, sc.t0); err != nil {
		t.Fatal(err)
	}
	a := <-done
	if a.err != nil {
		t.Fatal(a.err)
	}
	var pr rateReport
	if err := json.Unmarshal(a.resp.Result, &pr); err != nil {
		t.Fatal(err)
	}
	if a.resp.Received != int64(n) || a.resp.Lost != 0 {
		t.Fatalf("peer received %d and lost %d of %d", a.resp.Received, a.resp.Lost, n)
	}
	return sc.result(rate, size, a.resp.Received, a.resp.Lost, pr)
}

// TestRateKeepsSchedule: at a rate an instant transport easily sustains,
// the schedule is kept: achieved send and receive rates within 1 % of the
// offered one, sender lag p99 under one interval, and the run valid. The
// rate is one at which the pacer never sleeps (an interval under
// rateSleepMin), so that the check is of the schedule and not of how late
// this machine wakes a sleeping thread; a machine may still stall the
// sender for longer than an interval now and then, so the run gets three
// tries: a wrong schedule fails all three.
func TestRateKeepsSchedule(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation stalls the sender's loop by milliseconds; the schedule is checked without it (make test)")
	}
	const rate, n = 1000, 300
	memRate(t, rate, 10, 0) // first-run costs: calibration, allocation
	var fails []string
	for try := 0; try < 3; try++ {
		fails = keptSchedule(memRate(t, rate, n, 0), rate, n)
		if len(fails) == 0 {
			return
		}
		t.Logf("try %d: %s", try+1, strings.Join(fails, "; "))
	}
	t.Error(strings.Join(fails, "; "))
}

// keptSchedule lists how r, a run of n messages at rate, did not keep its
// schedule.
func keptSchedule(r *RateResult, rate, n int) []string {
	var fails []string
	interval := 1e9 / float64(rate)
	for _, c := range []struct {
		name string
		got  float64
	}{{"send", r.SentRate}, {"receive", r.RecvRate}} {
		if d := c.got/float64(rate) - 1; d < -0.01 || d > 0.01 {
			fails = append(fails, fmt.Sprintf("achieved %s rate %.1f/s, want within 1 %% of %d/s", c.name, c.got, rate))
		}
	}
	if r.Lag.P99 >= interval {
		fails = append(fails, fmt.Sprintf("sender lag p99 %.0f ns, want under one interval (%.0f ns)", r.Lag.P99, interval))
	}
	if r.Invalid != "" {
		fails = append(fails, "run marked invalid: "+r.Invalid)
	}
	if r.Response.N != int64(n) || r.Service.N != int64(n) || r.Lag.N != int64(n) {
		fails = append(fails, fmt.Sprintf("histograms hold %d, %d and %d values, want %d each", r.Response.N, r.Service.N, r.Lag.N, n))
	}
	// The pacer's waits are measured: at this rate every wait is a yield
	// loop.
	if r.WaitCPU <= 0 {
		fails = append(fails, fmt.Sprintf("the sender's waits cost %d ns of CPU: want them measured", r.WaitCPU))
	}
	if r.Response.P50 < r.Service.P50 {
		fails = append(fails, fmt.Sprintf("response p50 %.0f ns below service p50 %.0f ns: the intended send comes first", r.Response.P50, r.Service.P50))
	}
	return fails
}

// TestRatePastSaturation: a transport whose every send takes two intervals
// cannot keep the schedule; the run is marked invalid, with the sender's
// shortfall as the reason, and the lag and the response time grow with
// the queue the schedule built up.
func TestRatePastSaturation(t *testing.T) {
	const rate, n = 2000, 60
	r := memRate(t, rate, n, time.Second/rate*2)
	if r.Invalid == "" {
		t.Fatalf("a run at twice the transport's capacity was judged valid: sent %.0f/s of %d/s", r.SentRate, rate)
	}
	if !strings.Contains(r.Invalid, "sent") {
		t.Errorf("invalid because %q, want the send rate named", r.Invalid)
	}
	// Message i leaves two intervals after message i-1 at the earliest:
	// i intervals late. The response time counts that delay.
	if behind := 0.9 * float64(n-1) * 1e9 / rate; r.Lag.Max < behind || r.Response.Max < r.Lag.Max {
		t.Errorf("lag max %.0f ns, response max %.0f ns: want both at least %.0f ns (the queue the schedule built up)", r.Lag.Max, r.Response.Max, behind)
	}
}

// TestRateJudge: every reason a run is invalid, from its figures.
func TestRateJudge(t *testing.T) {
	ok := RateResult{Offered: 1000, Sent: 100, Received: 100, SentRate: 1000, RecvRate: 1000, Lag: Latency{P99: 50e3}}
	for _, c := range []struct {
		name   string
		mutate func(*RateResult)
		want   string
	}{
		{"kept up", func(*RateResult) {}, ""},
		{"at 99 %", func(r *RateResult) { r.SentRate, r.RecvRate = 990, 990 }, ""},
		{"sender behind", func(r *RateResult) { r.SentRate = 989 }, "sent 989/s"},
		{"receiver behind", func(r *RateResult) { r.RecvRate = 900 }, "received 900/s"},
		{"lag over an interval", func(r *RateResult) { r.Lag.P99 = 1.1e6 }, "sender lag p99"},
		{"too few", func(r *RateResult) { r.Received = 1 }, "too few"},
	} {
		r := ok
		c.mutate(&r)
		got := r.judge()
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: judge() = %q, want %q", c.name, got, c.want)
		}
	}
}

// TestRateStaleEnd: an end-flagged message of an earlier run, as a lossy
// transport's resending leaves it, is discarded, and the run's own
// messages count.
func TestRateStaleEnd(t *testing.T) {
	const size = 64
	parent, peerEnd := memPair(0)
	seed := newSeed()
	old := clock.Ticks()
	args, _ := json.Marshal(rateArgs{T0: old + 1, Lossy: true})
	x := &copyRateSender{conn: parent, msg: pattern(seed, size)}
	x.send(7|endFlag, old) // the earlier run's end
	for seq := uint64(0); seq < 3; seq++ {
		x.send(seq, old+2)
	}
	x.send(5|endFlag, old+2) // messages 3 and 4 lost
	p := &peerState{conn: peerEnd, buf: make([]byte, size)}
	resp, err := p.rate(request{Op: Rate, Size: size, Seed: seed, Args: args})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Received != 3 || resp.Lost != 2 {
		t.Errorf("received %d, lost %d; want 3 and 2", resp.Received, resp.Lost)
	}
}
