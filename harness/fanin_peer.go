package harness

import (
	"encoding/json"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcbench/ipcbench/harness/internal/clock"
)

// sleepUntil sleeps until CLOCK_MONOTONIC reaches t (nanoseconds).
func sleepUntil(t int64) {
	ts := unix.NsecToTimespec(t)
	for unix.ClockNanosleep(unix.CLOCK_MONOTONIC, unix.TIMER_ABSTIME, &ts, nil) == unix.EINTR {
	}
}

// client is a fan-in client: it sleeps until r.Start (the barrier every
// client of the run shares), then runs the measured ping-pong loop of a
// session (pingLoop: a Size-byte message stamped with its sequence number,
// its echo checked byte for byte and timed) until r.Until (or for r.Count
// round trips, when set), ends with the
// end-flagged round trip, and reports its round trips, its span and its
// latency percentiles.
func (p *peerState) client(r request) (response, error) {
	var resp response
	if r.Size < MinWorkloadSize || r.Size > cap(p.buf) {
		return resp, fmt.Errorf("size %d: want %d to the channel capacity %d", r.Size, MinWorkloadSize, cap(p.buf))
	}
	pat := pattern(r.Seed, r.Size)
	x := &copyExchange{conn: p.conn, msg: append([]byte(nil), pat...), buf: p.buf[:cap(p.buf)], pat: pat}
	hist := newHist()
	var progress atomic.Uint64 // the server's watchdog watches the server's count
	sleepUntil(r.Start)
	start := monotonicNS()
	l := &looper{max: math.MaxInt}
	if r.Count > 0 {
		l.max, l.deadline = r.Count, time.Now().Add(100*365*24*time.Hour)
	} else {
		l.deadline = time.Now().Add(time.Duration(r.Until - start))
	}
	seq, err := pingLoop(l, x, hist, &progress)
	end := monotonicNS()
	if err == nil {
		err = roundTrip(x, seq|endFlag)
	}
	if err != nil {
		// The server waits for this client's next request: closing the
		// channel ends that wait at once, and the server then reads
		// this error from the control channel.
		p.closeConn()
		if _, ok := err.(*VerifyError); ok {
			return resp, err // names its message
		}
		return resp, fmt.Errorf("message %d: %w", seq, err)
	}
	resp.Received = int64(seq) + 1
	ns := clock.NsPerTick()
	rep := Share{
		Ops: int64(seq), StartNS: start, EndNS: end,
		P50NS: float64(hist.ValueAtQuantile(50)) * ns, P99NS: float64(hist.ValueAtQuantile(99)) * ns, MaxNS: float64(hist.Max()) * ns,
	}
	b, err := json.Marshal(rep)
	if err != nil {
		return resp, err
	}
	resp.Result = b
	return resp, nil
}
