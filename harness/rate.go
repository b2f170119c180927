package harness

// The rate workload: open loop, at a fixed rate. The parent sends message i
// at its intended time t0 + i/rate whatever became of the messages before
// (it never waits for the peer), stamps the intended and the actual send
// time into the message, and the peer times each arrival against both
// stamps on the same clock (the TSC or CLOCK_MONOTONIC, which every CPU
// shares). So a transport that falls behind shows as a growing response
// time (from the intended send: the queueing the schedule saw) rather than
// as a slower schedule, which a closed loop would hide (coordinated
// omission). The times are taken from the intended start and nothing else
// corrects them: HdrHistogram's coordinated-omission correction would
// count the same delay twice.
//
// Per message, in the parent: wait until the intended time (pacer: sleep
// when it is at least rateSleepMin away, else yield the CPU in a loop: on
// a CPU shared with the peer the yield lets the peer run); build the message
// (the pattern, with the sequence number in its first and last 8 bytes
// and the two send times in bytes 8 to 24); read the clock (the actual
// send time); send. In the peer: receive; read the clock (the arrival);
// record arrival - intended (response time) and arrival - actual (service
// time); check the sequence number (a lossy transport's gaps are losses)
// and every other byte against the pattern.

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/ipcbench/ipcbench/harness/internal/clock"
	"github.com/ipcbench/ipcbench/internal/memcopy"
	"github.com/ipcbench/ipcbench/results"
	"github.com/ipcbench/ipcbench/transports"
	"golang.org/x/sys/unix"
)

// Rate is the open-loop workload's name.
const Rate = "rate"

// MinRateSize is the smallest message of the rate workload: the sequence
// number at both ends and the two send times.
const MinRateSize = 32

// rateStamps is where the pattern starts being checked in a rate message:
// after the sequence number and the intended and actual send times.
const rateStamps = 24

// MaxRate is the highest offered rate, in messages per second.
const MaxRate = 10_000_000

// Validity bounds of a rate run (RateResult.Invalid): the achieved send
// and receive rates must reach MinAchieved of the offered rate, and the
// sender's lag at p99 must stay under one interval.
const MinAchieved = 0.99

// rateSleepMin is the shortest wait before a send that the parent sleeps
// through (up to half of it before the time); shorter waits, and the end
// of longer ones, yield the CPU in a loop (pacer).
const rateSleepMin = 2 * time.Millisecond

// rateMeasuredWait is the shortest wait whose CPU time the pacer measures
// (a getrusage call at each end); the CPU of shorter waits stays in the
// run's CPU per message.
const rateMeasuredWait = 20 * time.Microsecond

// rateDrain is how long the parent of a lossy transport keeps resending
// the end-flagged message after the last one (the end itself may be
// dropped); messages that have not arrived by then count as lost.
const rateDrain = time.Second

// Latency summarises a distribution of times, in nanoseconds.
type Latency struct {
	P50, P90, P99, P999, Max float64
	N                        int64 // the number of values
}

func summarize(h *hdrhistogram.Histogram, nsPerTick float64) Latency {
	at := func(q float64) float64 { return float64(h.ValueAtQuantile(q)) * nsPerTick }
	return Latency{P50: at(50), P90: at(90), P99: at(99), P999: at(99.9), Max: float64(h.Max()) * nsPerTick, N: h.TotalCount()}
}

// RateResult is what one rate run produced.
type RateResult struct {
	Size int
	// Offered is the rate asked for; SentRate and RecvRate are the rates
	// achieved by the parent's sends and the peer's arrivals (messages per
	// second, from the first to the last).
	Offered            int
	SentRate, RecvRate float64
	Sent               int64 // messages sent, the end-flagged one not counted
	Received, Lost     int64
	// Response is arrival less intended send, Service arrival less actual
	// send, Lag actual less intended send.
	Response, Service, Lag Latency
	// Invalid says why the run fell behind its schedule ("" when it kept
	// up): an achieved rate below MinAchieved of the offered one, or the
	// sender's lag at p99 above one interval.
	Invalid string
	// Parent and Peer are the two processes' CPU time and context
	// switches over the run.
	Parent, Peer Usage
	// WaitCPU is the parent's CPU time, in nanoseconds, while its sender
	// waited for the schedule (pacer): the load generator's, not the
	// transport's.
	WaitCPU int64
	Lossy   bool
}

// rateArgs is the rate request's payload. T0 is a tick read before the
// run's schedule starts: the peer discards end-flagged messages intended
// before it, an earlier run's, which a lossy transport's resending may
// have left. Lossy says that gaps in the sequence are losses.
type rateArgs struct {
	T0    uint64 `json:"t0"`
	Lossy bool   `json:"lossy,omitempty"`
}

// rateReport is the peer's account of a rate run.
type rateReport struct {
	Response, Service Latency
	RecvRate          float64
}

// WarmupRate runs the rate workload unmeasured for d (at least 15
// messages, as every warm-up), at the offered rate or 1000 messages per
// second, whichever is higher, so that a slow rate still warms up in
// milliseconds.
func (s *Session) WarmupRate(rate int, d time.Duration) error {
	_, err := s.rate(&looper{max: MaxWarmupOps, deadline: time.Now().Add(d)}, max(rate, 1000))
	return err
}

// RunRate measures the rate workload at rate messages per second over
// b.Loop (one iteration per message, so b.N messages over about the bench
// time) and returns the result; the caller reports it (RateResult.Report).
func (s *Session) RunRate(b *testing.B, rate int) (*RateResult, error) {
	return s.rate(&looper{b: b}, rate)
}

// RunRateCount runs the rate workload for n messages at rate, or until d
// has passed: for tests and soaks.
func (s *Session) RunRateCount(rate, n int, d time.Duration) (*RateResult, error) {
	return s.rate(&looper{max: n, deadline: time.Now().Add(d)}, rate)
}

// rateSender is the parent's end of the rate workload, copying or
// zero-copy: send sends message seq with its two send times, the actual
// one read by stamp just before the message leaves.
type rateSender interface {
	send(seq, intended uint64) (actual uint64, err error)
}

type copyRateSender struct {
	conn transports.Conn
	msg  []byte
}

func (x *copyRateSender) send(seq, intended uint64) (uint64, error) {
	stamp(x.msg, seq)
	actual := stampTimes(x.msg, intended)
	if err := x.conn.Send(x.msg); err != nil {
		return actual, fmt.Errorf("send: %w", err)
	}
	return actual, nil
}

type zcRateSender struct {
	zc  transports.ZeroCopyConn
	pat []byte
}

func (x *zcRateSender) send(seq, intended uint64) (uint64, error) {
	b, err := x.zc.Borrow(len(x.pat))
	if err != nil {
		return 0, fmt.Errorf("borrow: %w", err)
	}
	memcopy.Copy(b, x.pat)
	stamp(b, seq)
	actual := stampTimes(b, intended)
	if err := x.zc.Commit(len(x.pat)); err != nil {
		return actual, fmt.Errorf("commit: %w", err)
	}
	return actual, nil
}

// stampTimes writes the intended send time and the actual one (the clock
// read now, which it returns) into bytes 8 to 24 of msg.
func stampTimes(msg []byte, intended uint64) uint64 {
	binary.LittleEndian.PutUint64(msg[8:], intended)
	actual := clock.Ticks()
	binary.LittleEndian.PutUint64(msg[16:], actual)
	return actual
}

// rateSenderFor is the session's rate sender for a run's pattern.
func (s *Session) rateSenderFor(pat []byte) (rateSender, error) {
	if s.cfg.API != transports.ZeroCopy {
		return &copyRateSender{conn: s.conn, msg: append([]byte(nil), pat...)}, nil
	}
	zc, err := s.zeroCopyConn()
	if err != nil {
		return nil, err
	}
	return &zcRateSender{zc: zc, pat: pat}, nil
}

// CheckRate returns why rate cannot be offered (nil: it can).
func CheckRate(rate int) error {
	if rate < 1 || rate > MaxRate {
		return fmt.Errorf("rate %d messages/s: want 1 to %d", rate, MaxRate)
	}
	return nil
}

// rate runs the open-loop schedule while l allows: message i at t0 +
// i/rate.
func (s *Session) rate(l *looper, rate int) (*RateResult, error) {
	if err := CheckRate(rate); err != nil {
		return nil, err
	}
	if s.cfg.Size < MinRateSize {
		return nil, fmt.Errorf("%s: rate workload size %d is below %d bytes (sequence number at both ends and two send times)", s.cfg.Transport, s.cfg.Size, MinRateSize)
	}
	lossy := s.Limits().Lossy
	seed := newSeed()
	x, err := s.rateSenderFor(pattern(seed, s.cfg.Size))
	if err != nil {
		return nil, err
	}
	if !processScope(s.cfg.API) {
		defer tightTimerSlack()()
	}
	s.progress.Store(0)
	u0 := readUsage()
	args, _ := json.Marshal(rateArgs{T0: clock.Ticks(), Lossy: lossy})
	if err := s.begin(request{Op: Rate, Size: s.cfg.Size, Seed: seed, Args: args}); err != nil {
		return nil, err
	}
	sc, err := rateSchedule(l, x, rate, &s.progress)
	if err != nil {
		s.stopWatchdog()
		return nil, s.runError(Rate, sc.sent, err)
	}
	if l.b != nil {
		l.b.StartTimer() // the drain belongs to the run
	}
	rep, err := s.endRate(x, sc.sent, sc.t0, lossy)
	if l.b != nil {
		l.b.StopTimer()
	}
	if err != nil {
		return nil, err
	}
	var pr rateReport
	if err := json.Unmarshal(rep.result, &pr); err != nil {
		return nil, s.runError(Rate, sc.sent, fmt.Errorf("peer report: %w", err))
	}
	if got := rep.Received + rep.Lost; got != int64(sc.sent) {
		return nil, s.runError(Rate, sc.sent, fmt.Errorf("peer accounted for %d messages (received %d, lost %d), parent sent %d", got, rep.Received, rep.Lost, sc.sent))
	}
	if !lossy && rep.Lost != 0 {
		return nil, s.runError(Rate, sc.sent, fmt.Errorf("reliable transport lost %d messages", rep.Lost))
	}
	r := sc.result(rate, s.cfg.Size, rep.Received, rep.Lost, pr)
	r.Parent, r.Peer, r.Lossy = readUsage().Sub(u0), rep.Usage, lossy
	return r, nil
}

// schedule is what the parent's loop of a rate run did: the messages
// sent, the schedule's start, the first and last actual send times (in
// ticks) and the sender's lag of each message.
type schedule struct {
	sent            uint64
	t0, first, last uint64
	lag             *hdrhistogram.Histogram
	nsPerTick       float64
	waitCPU         int64 // ns: the pacer's (pacer.waitCPU)
}

// rateSchedule is the parent's loop of a rate run: while l allows, it
// waits for the intended time of message seq, t0 + seq/rate, and sends it
// through x, recording the sender's lag. It tells progress every
// progressEvery messages. On an error, the schedule's sent is the number
// of the message that failed.
func rateSchedule(l *looper, x rateSender, rate int, progress *atomic.Uint64) (sc schedule, err error) {
	sc = schedule{lag: newHist(), nsPerTick: clock.NsPerTick()}
	interval := 1e9 / float64(rate) / sc.nsPerTick // ticks
	pace := &pacer{nsPerTick: sc.nsPerTick}
	defer func() { sc.waitCPU = pace.waitCPU }()
	sc.t0 = clock.Ticks()
	for l.next() {
		intended := sc.t0 + uint64(math.Round(float64(sc.sent)*interval))
		pace.until(intended)
		actual, serr := x.send(sc.sent, intended)
		if serr != nil {
			return sc, serr
		}
		if sc.sent == 0 {
			sc.first = actual
		}
		sc.last = actual
		record(sc.lag, actual-min(actual, intended))
		sc.sent++
		if sc.sent%progressEvery == 0 {
			progress.Store(sc.sent)
		}
	}
	return sc, nil
}

// result is the rate run of sc at rate, with the receiver's account of
// it, judged (RateResult.Invalid).
func (sc schedule) result(rate, size int, received, lost int64, pr rateReport) *RateResult {
	r := &RateResult{
		Size: size, Offered: rate, Sent: int64(sc.sent), Received: received, Lost: lost,
		Response: pr.Response, Service: pr.Service, Lag: summarize(sc.lag, sc.nsPerTick), RecvRate: pr.RecvRate,
		WaitCPU: sc.waitCPU,
	}
	if sc.sent > 1 && sc.last > sc.first {
		r.SentRate = float64(sc.sent-1) / (float64(sc.last-sc.first) * sc.nsPerTick / 1e9)
	}
	r.Invalid = r.judge()
	return r
}

// judge says why r fell behind its schedule, or "".
func (r *RateResult) judge() string {
	if r.Sent < 2 || r.Received < 2 {
		return fmt.Sprintf("%d messages sent and %d received: too few for a rate", r.Sent, r.Received)
	}
	want := MinAchieved * float64(r.Offered)
	switch interval := 1e9 / float64(r.Offered); {
	case r.SentRate < want:
		return fmt.Sprintf("sent %.0f/s, below %.0f %% of the offered %d/s", r.SentRate, 100*MinAchieved, r.Offered)
	case r.RecvRate < want:
		return fmt.Sprintf("received %.0f/s, below %.0f %% of the offered %d/s", r.RecvRate, 100*MinAchieved, r.Offered)
	case r.Lag.P99 > interval:
		return fmt.Sprintf("sender lag p99 %.0f ns, above one interval (%.0f ns)", r.Lag.P99, interval)
	}
	return ""
}

// A pacer waits for each message's intended time. A wait of at least
// rateSleepMin is slept through, up to rateSleepMin/2 before the time
// (clock_nanosleep on the calling thread: time.Sleep's wake-up comes from
// the runtime's timers at up to a millisecond's granularity); the rest of
// it, and every shorter wait, yields the CPU in a loop (sched_yield: on a
// CPU shared with the peer, the peer runs). An idle CPU is slow to wake
// from a sleep, by a millisecond or more at times on a virtual machine;
// the spin makes the sender's lag the residue of a yield instead, for the
// CPU it costs, which the pacer measures: the parent process's CPU time
// over every wait of at least rateMeasuredWait (getrusage before and
// after), so that the run's CPU per message can leave the load
// generator's waiting out.
type pacer struct {
	nsPerTick float64
	waitCPU   int64 // ns
}

// until returns at tick t.
func (p *pacer) until(t uint64) {
	now := clock.Ticks()
	if now >= t {
		return
	}
	var u0 Usage
	measured := float64(t-now)*p.nsPerTick >= float64(rateMeasuredWait)
	if measured {
		u0 = readUsage()
	}
	for ; now < t; now = clock.Ticks() {
		rem := time.Duration(float64(t-now) * p.nsPerTick)
		if rem < rateSleepMin {
			schedYield()
			continue
		}
		ts := unix.NsecToTimespec((rem - rateSleepMin/2).Nanoseconds())
		_ = unix.ClockNanosleep(unix.CLOCK_MONOTONIC, 0, &ts, nil) // EINTR: the loop goes on
	}
	if measured {
		p.waitCPU += readUsage().Sub(u0).CPUNS()
	}
}

// schedYield gives the CPU to another runnable thread on it, if any
// (sched_yield(2); x/sys/unix has no wrapper).
func schedYield() { unix.Syscall(unix.SYS_SCHED_YIELD, 0, 0, 0) }

// tightTimerSlack sets the calling thread's timer slack to 1 ns, so that
// the sender's sleeps end when asked rather than up to the default 50 µs
// later, and returns the function that restores it. The caller's goroutine
// must be locked to its thread (api=raw, api=zerocopy). It does nothing
// when prctl refuses.
func tightTimerSlack() func() {
	old, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err != nil {
		return func() {}
	}
	if err := unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0); err != nil {
		return func() {}
	}
	return func() { _ = unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(old), 0, 0, 0) }
}

// rateEnd is the peer's report on a rate run.
type rateEnd struct {
	PeerReport
	result json.RawMessage
}

// endRate sends the end-flagged message and waits for the peer's report.
// On a lossy transport the end itself may be dropped: it is sent again
// every millisecond until the peer reports, for up to rateDrain.
func (s *Session) endRate(x rateSender, seq, t0 uint64, lossy bool) (rateEnd, error) {
	end := seq | endFlag
	if _, err := x.send(end, t0); err != nil {
		s.stopWatchdog()
		return rateEnd{}, s.runError(Rate, seq, err)
	}
	if !lossy {
		defer s.stopWatchdog()
		resp, err := s.peer.await(Rate, 0)
		if err != nil {
			return rateEnd{}, s.runError(Rate, seq, err)
		}
		return rateEnd{PeerReport{Received: resp.Received, Lost: resp.Lost, Usage: resp.Usage}, resp.Result}, nil
	}
	type answer struct {
		r   response
		err error
	}
	got := make(chan answer, 1)
	go func() {
		r, err := s.peer.await(Rate, 0)
		got <- answer{r, err}
	}()
	deadline := time.Now().Add(rateDrain)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case a := <-got:
			s.stopWatchdog()
			if a.err != nil {
				return rateEnd{}, s.runError(Rate, seq, a.err)
			}
			return rateEnd{PeerReport{Received: a.r.Received, Lost: a.r.Lost, Usage: a.r.Usage}, a.r.Result}, nil
		case now := <-tick.C:
			if now.After(deadline) {
				s.peer.kill(fmt.Errorf("%w: the end of a rate run did not arrive within the drain deadline %v", ErrPeerHung, rateDrain))
				a := <-got
				s.stopWatchdog()
				return rateEnd{}, s.runError(Rate, seq, errors.Join(a.err, errors.New("drain deadline passed")))
			}
			if _, err := x.send(end, t0); err != nil {
				s.stopWatchdog()
				<-got
				return rateEnd{}, s.runError(Rate, seq, err)
			}
		}
	}
}

// rate is the peer's half of the rate workload: it receives until the
// end-flagged message of this run, timing each arrival against the two
// send times and checking every byte.
func (p *peerState) rate(r request) (response, error) {
	var resp response
	var args rateArgs
	if err := json.Unmarshal(r.Args, &args); err != nil {
		return resp, fmt.Errorf("rate arguments: %w", err)
	}
	lossy := args.Lossy
	pt := p.port()
	pat := pattern(r.Seed, r.Size)
	nsPerTick := clock.NsPerTick()
	respH, svcH := newHist(), newHist()
	var next, first, last uint64
	for {
		msg, err := pt.recv()
		if err != nil {
			return resp, fmt.Errorf("message %d: %w", next, err)
		}
		arrival := clock.Ticks()
		if len(msg) < MinRateSize {
			pt.done()
			return resp, &VerifyError{next, fmt.Sprintf("length %d, want %d", len(msg), r.Size)}
		}
		seq := seqOf(msg)
		intended := binary.LittleEndian.Uint64(msg[8:])
		actual := binary.LittleEndian.Uint64(msg[16:])
		end := seq&endFlag != 0
		num := seq &^ endFlag
		if end && intended < args.T0 { // an earlier run's end, sent again
			if err := pt.done(); err != nil {
				return resp, fmt.Errorf("message %d: %w", next, err)
			}
			continue
		}
		if lossy && num > next {
			resp.Lost += int64(num - next)
		} else if num != next {
			pt.done()
			return resp, &VerifyError{next, fmt.Sprintf("sequence number %d, want %d (lost or reordered)", num, next)}
		}
		err = verifyFrom(msg, pat, r.Size, seq, rateStamps)
		if derr := pt.done(); derr != nil && err == nil {
			err = fmt.Errorf("message %d: %w", next, derr)
		}
		if err != nil {
			return resp, err
		}
		next = num + 1
		if end {
			break
		}
		record(respH, arrival-min(arrival, intended))
		record(svcH, arrival-min(arrival, actual))
		if resp.Received == 0 {
			first = arrival
		}
		last = arrival
		resp.Received++
	}
	rep := rateReport{Response: summarize(respH, nsPerTick), Service: summarize(svcH, nsPerTick)}
	if resp.Received > 1 {
		rep.RecvRate = float64(resp.Received-1) / (float64(last-first) * nsPerTick / 1e9)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		return resp, err
	}
	resp.Result = b
	return resp, nil
}

// Report writes the result's metrics on b: response, service and lag
// percentiles, the achieved rates, losses, whether the run was invalid;
// cpu-ns/op, the CPU time of both processes per message sent but for the
// sender's waits for the schedule (WaitCPU), which pace-cpu-ns/op shows
// apart; recv-cpu-ns/op, the receiving peer's alone (a spinning wait
// shows there); ctxsw/op, both processes' context switches per message.
// It sets no bytes: a rate run's MB/s is its rate times the size, not a
// speed.
func (r *RateResult) Report(b *testing.B) {
	for _, m := range []struct {
		unit string
		v    float64
	}{
		{results.UnitRespP50, r.Response.P50}, {results.UnitRespP99, r.Response.P99}, {results.UnitRespP999, r.Response.P999},
		{results.UnitSvcP50, r.Service.P50}, {results.UnitSvcP99, r.Service.P99},
		{results.UnitLagP50, r.Lag.P50}, {results.UnitLagP99, r.Lag.P99},
		{results.UnitSentRate, r.SentRate}, {results.UnitRecvRate, r.RecvRate},
		{results.UnitRecvCPU, float64(r.Peer.CPUNS()) / float64(max(r.Sent, 1))},
	} {
		b.ReportMetric(m.v, m.unit)
	}
	invalid := 0.0
	if r.Invalid != "" {
		invalid = 1
		b.Logf("invalid: %s", r.Invalid)
	}
	b.ReportMetric(invalid, results.UnitInvalid)
	ReportUsage(b, r.Parent, r.Peer, r.Sent)
	n := float64(max(r.Sent, 1))
	b.ReportMetric(float64(r.Parent.CPUNS()-r.WaitCPU+r.Peer.CPUNS())/n, results.UnitCPU)
	b.ReportMetric(float64(r.WaitCPU)/n, results.UnitPaceCPU)
	if r.Lossy {
		b.ReportMetric(100*float64(r.Lost)/float64(max(r.Sent, 1)), results.UnitLostPct)
	}
}
