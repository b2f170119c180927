package harness

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipcbench/ipcbench/harness/internal/clock"
	"github.com/ipcbench/ipcbench/results"
	"github.com/ipcbench/ipcbench/transports"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Workload names, as used in benchmark names and errors.
const (
	PingPong = "pingpong"
	Stream   = "stream"
)

// histMax is the largest value, in ticks, the histograms hold (larger
// values are clamped to it, and max-ns then shows it): about an hour at
// any clock rate of up to 10 GHz.
const histMax = int64(10 * time.Hour)

// Result is what one measured workload produced.
type Result struct {
	Workload string
	Size     int
	// Ops is the number of measured operations: round trips (ping-pong)
	// or messages delivered (stream).
	Ops int64
	// Hist holds per-op times in clock ticks (see NsPerTick): the round
	// trip (ping-pong), or the sender's time per message (stream).
	Hist *hdrhistogram.Histogram
	// NsPerTick converts Hist's values to nanoseconds.
	NsPerTick float64
	// Parent and Peer are the two processes' CPU time and context switches
	// over the workload.
	Parent, Peer Usage
	// Lost counts messages a lossy transport dropped (stream only).
	Lost int64
	// Lossy says whether the transport may drop messages.
	Lossy bool
}

// looper is the loop condition: b.Loop in a benchmark; a count and a
// deadline for warm-up.
type looper struct {
	b        *testing.B
	n, max   int
	deadline time.Time
}

func (l *looper) next() bool {
	if l.b != nil {
		return l.b.Loop()
	}
	l.n++
	if l.n > l.max {
		return false
	}
	return l.n%16 != 0 || time.Now().Before(l.deadline)
}

// Warmup runs workload unmeasured for up to d or n operations.
func (s *Session) Warmup(workload string, d time.Duration, n int) error {
	_, err := s.RunCount(workload, n, d)
	return err
}

// RunCount runs workload for n operations, or until d has passed, with
// every message verified as always, and returns what it did (Ops may fall
// short of n when d ran out). Soak tests use it.
func (s *Session) RunCount(workload string, n int, d time.Duration) (*Result, error) {
	l := &looper{max: n, deadline: time.Now().Add(d)}
	switch workload {
	case PingPong:
		return s.pingpong(l)
	case Stream:
		return s.stream(l)
	}
	return nil, fmt.Errorf("unknown workload %q", workload)
}

// Run measures workload over b.Loop and returns the result; the caller
// reports it (Result.Report). The session must have been warmed up.
func (s *Session) Run(b *testing.B, workload string) (*Result, error) {
	l := &looper{b: b}
	switch workload {
	case PingPong:
		return s.pingpong(l)
	case Stream:
		return s.stream(l)
	}
	return nil, fmt.Errorf("unknown workload %q", workload)
}

func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(1, histMax, 3) }

// progressEvery is how often (in ops) the loops tell the watchdog they
// are alive: often enough for hang detection, rarely enough to keep the
// atomic store off most iterations.
const progressEvery = 16

func record(h *hdrhistogram.Histogram, ticks uint64) {
	v := int64(ticks)
	if v > histMax || v < 0 {
		v = histMax
	} else if v < 1 {
		v = 1
	}
	_ = h.RecordValue(v)
}

func (s *Session) checkSize() error {
	if s.cfg.Size < MinWorkloadSize {
		return fmt.Errorf("%s: workload size %d is below %d bytes (the sequence number)", s.cfg.Transport, s.cfg.Size, MinWorkloadSize)
	}
	return nil
}

// pingpong sends a message, waits for the echo and verifies every byte of
// it, once per loop iteration.
func (s *Session) pingpong(l *looper) (*Result, error) {
	newX, err := s.exchangeFor()
	if err != nil {
		return nil, err
	}
	r, err := s.startRun(PingPong, 0)
	if err != nil {
		return nil, err
	}
	x := newX(r.pat)
	seq, err := pingLoop(l, x, r.hist, &s.progress)
	return s.endPingPong(r, seq, err, x)
}

// exchangeFor checks that the session's API can run a workload and returns
// the constructor of its exchange for a run's pattern: copying, or
// zero-copy (zerocopy.go).
func (s *Session) exchangeFor() (func(pat []byte) exchange, error) {
	if s.cfg.API != transports.ZeroCopy {
		return func(pat []byte) exchange {
			return &copyExchange{conn: s.conn, msg: append([]byte(nil), pat...), buf: make([]byte, s.cfg.MaxMessage), pat: pat}
		}, nil
	}
	zc, err := s.zeroCopyConn()
	if err != nil {
		return nil, err
	}
	return func(pat []byte) exchange { return &zcExchange{zc: zc, pat: pat} }, nil
}

// endPingPong ends a ping-pong run of either path: it reports a failure of
// the measured loop (err), else makes the end-flagged round trip, waits
// for the peer's report and checks its count.
func (s *Session) endPingPong(r *run, seq uint64, err error, x exchange) (*Result, error) {
	if err == nil {
		err = roundTrip(x, seq|endFlag)
	}
	if err != nil {
		s.stopWatchdog()
		return nil, s.runError(PingPong, seq, err)
	}
	rep, err := s.Finish(PingPong)
	if err != nil {
		return nil, s.runError(PingPong, seq, err)
	}
	if rep.Received != int64(seq)+1 {
		return nil, s.runError(PingPong, seq, fmt.Errorf("peer echoed %d messages, parent sent %d", rep.Received, seq+1))
	}
	return &Result{Workload: PingPong, Size: s.cfg.Size, Ops: int64(seq), Hist: r.hist, NsPerTick: clock.NsPerTick(), Parent: readUsage().Sub(r.u0), Peer: rep.Usage}, nil
}

// An exchange is one side of the ping-pong as the measured loop drives
// it, split where the harness's own work can overlap the peer's turn:
// send puts message seq on its way; recv waits for its echo; check checks
// every byte of the echo received last (and, zero-copy, releases it).
type exchange interface {
	send(seq uint64) error
	recv() error
	check(seq uint64) error
}

// copyExchange is the exchange of the copying APIs: Send of a message
// built once and stamped, Recv into the parent's buffer.
type copyExchange struct {
	conn          transports.Conn
	msg, buf, pat []byte
	n             int
}

func (x *copyExchange) send(seq uint64) error {
	stamp(x.msg, seq)
	if err := x.conn.Send(x.msg); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	return nil
}

func (x *copyExchange) recv() error {
	n, err := x.conn.Recv(x.buf)
	if err != nil {
		return fmt.Errorf("recv: %w", err)
	}
	x.n = n
	return nil
}

func (x *copyExchange) check(seq uint64) error {
	return verifyFull(x.buf[:x.n], x.pat, len(x.msg), seq)
}

// roundTrip is one unmeasured round trip: send, receive, check.
func roundTrip(x exchange, seq uint64) error {
	if err := x.send(seq); err != nil {
		return err
	}
	if err := x.recv(); err != nil {
		return err
	}
	return x.check(seq)
}

// pingLoop is the measured ping-pong loop: one round trip per iteration,
// timed into hist, every echo checked byte for byte. It is pipelined by
// one step: once message seq is sent, the parent reads the clock, checks
// the echo of seq-1 and records its time while the peer handles seq, then
// waits for the echo of seq. So the harness's own work overlaps the peer's
// turn instead of lengthening every round trip (as a client handles a
// reply while its next request is on the wire). Op seq-1's interval runs
// from the clock read after its send to the one after the send of seq:
// the intervals tile the loop, each holds one send, one receive, one
// check and one record, and the clock read is off the critical path too. The last op ends at the clock
// read after its echo, checked after the loop. It tells the watchdog every
// progressEvery ops and returns the number of round trips done, or the
// number of the one that failed.
func pingLoop(l *looper, x exchange, hist *hdrhistogram.Histogram, progress *atomic.Uint64) (uint64, error) {
	var seq, prev uint64 // prev: the clock read after the send of seq-1, in ticks
	for l.next() {
		if err := x.send(seq); err != nil {
			return seq, err
		}
		now := clock.Ticks()
		if seq > 0 {
			if err := x.check(seq - 1); err != nil {
				return seq - 1, err
			}
			record(hist, now-prev)
		}
		prev = now
		if err := x.recv(); err != nil {
			return seq, err
		}
		seq++
		if seq%progressEvery == 0 {
			progress.Store(seq)
		}
	}
	if seq > 0 {
		now := clock.Ticks()
		if err := x.check(seq - 1); err != nil {
			return seq - 1, err
		}
		record(hist, now-prev)
	}
	return seq, nil
}

// run is what a workload starts with: the pattern both processes derive
// from the seed, the histogram, and the parent's usage at the start.
type run struct {
	pat  []byte
	hist *hdrhistogram.Histogram
	u0   Usage
}

// startRun checks the size, makes the run's pattern and histogram, notes
// the parent's usage and asks the peer to begin op (window: the stream's
// flow-control window on a lossy transport, else 0).
func (s *Session) startRun(op string, window int) (*run, error) {
	if err := s.checkSize(); err != nil {
		return nil, err
	}
	seed := newSeed()
	r := &run{pat: pattern(seed, s.cfg.Size), hist: newHist()}
	s.progress.Store(0)
	r.u0 = readUsage()
	if err := s.begin(request{Op: op, Size: s.cfg.Size, Seed: seed, Window: window}); err != nil {
		return nil, err
	}
	return r, nil
}

// streamWindow is the flow-control window for lossy transports: at most
// two windows of messages are in flight, about 1 MiB.
func streamWindow(size int) int { return max(1, min(64, (1<<19)/size)) }

// stream sends messages as fast as the transport takes them; the peer
// verifies every byte of each. The timed region includes the drain: the
// wait until the peer has received and checked the last message.
func (s *Session) stream(l *looper) (*Result, error) {
	newX, err := s.exchangeFor()
	if err != nil {
		return nil, err
	}
	size, conn := s.cfg.Size, s.conn
	lossy := s.Limits().Lossy
	window := 0
	var ackBuf []byte
	if lossy {
		window = streamWindow(size)
		ackBuf = make([]byte, max(64, s.cfg.MaxMessage))
	}
	r, err := s.startRun(Stream, window)
	if err != nil {
		return nil, err
	}
	x, hist, u0 := newX(r.pat), r.hist, r.u0
	var seq, acked uint64
	var acksRead int64
	prev := clock.Ticks()
	for l.next() {
		if err := x.send(seq); err != nil {
			s.stopWatchdog()
			return nil, s.runError(Stream, seq, err)
		}
		seq++
		if window > 0 && seq%uint64(window) == 0 && seq >= 2*uint64(window) {
			// Flow control: wait until the peer has seen the window
			// before the one just sent.
			for acked+uint64(window) < seq {
				n, err := conn.Recv(ackBuf)
				if err != nil {
					s.stopWatchdog()
					return nil, s.runError(Stream, seq, fmt.Errorf("recv ack: %w", err))
				}
				if n != 8 {
					s.stopWatchdog()
					return nil, s.runError(Stream, seq, fmt.Errorf("ack of %d bytes", n))
				}
				acked = seqOf(ackBuf)
				acksRead++
			}
		}
		now := clock.Ticks()
		record(hist, now-prev)
		prev = now
		if seq%progressEvery == 0 {
			s.progress.Store(seq)
		}
	}
	if l.b != nil {
		l.b.StartTimer() // the drain belongs to the measurement
	}
	if err := x.send(seq | endFlag); err != nil {
		s.stopWatchdog()
		return nil, s.runError(Stream, seq, err)
	}
	rep, err := s.Finish(Stream)
	if l.b != nil {
		l.b.StopTimer()
	}
	if err != nil {
		return nil, s.runError(Stream, seq, err)
	}
	if window > 0 {
		// Acks still in flight are not read: drain them so that the next
		// workload does not take them for its own messages.
		s.drainAcks(ackBuf, rep.Acks-acksRead)
	}
	if got := rep.Received + rep.Lost; got != int64(seq)+1 {
		return nil, s.runError(Stream, seq, fmt.Errorf("peer accounted for %d messages (received %d, lost %d), parent sent %d", got, rep.Received, rep.Lost, seq+1))
	}
	if !lossy && rep.Lost != 0 {
		return nil, s.runError(Stream, seq, fmt.Errorf("reliable transport lost %d messages", rep.Lost))
	}
	return &Result{Workload: Stream, Size: size, Ops: int64(seq), Hist: hist, NsPerTick: clock.NsPerTick(), Parent: readUsage().Sub(u0), Peer: rep.Usage, Lost: rep.Lost, Lossy: lossy}, nil
}

// drainAcks reads the n acknowledgements the peer sent that the parent
// has not read.
func (s *Session) drainAcks(buf []byte, n int64) {
	for ; n > 0; n-- {
		if _, err := s.conn.Recv(buf); err != nil {
			return
		}
	}
}

// Report writes the result's metrics on b: MB/s through SetBytes (ping-pong
// counts both directions), latency percentiles, CPU time and context
// switches of both processes per op, and losses for lossy transports.
func (r *Result) Report(b *testing.B) {
	if r.Workload == PingPong {
		b.SetBytes(int64(2 * r.Size))
	} else {
		b.SetBytes(int64(r.Size))
	}
	for _, q := range []struct {
		unit string
		q    float64
	}{{results.UnitP50, 50}, {results.UnitP90, 90}, {results.UnitP99, 99}, {results.UnitP999, 99.9}} {
		b.ReportMetric(float64(r.Hist.ValueAtQuantile(q.q))*r.NsPerTick, q.unit)
	}
	b.ReportMetric(float64(r.Hist.Max())*r.NsPerTick, results.UnitMax)
	ReportUsage(b, r.Parent, r.Peer, r.Ops)
	if r.Lossy && r.Workload == Stream {
		b.ReportMetric(100*float64(r.Lost)/float64(r.Ops+1), results.UnitLostPct)
	}
}
