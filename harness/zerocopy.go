package harness

// Zero-copy workloads: api=zerocopy, on Conns that implement
// transports.ZeroCopyConn (the shared-memory transports). The messages,
// the sequence stamps, the verification and the errors are those of the
// copy path (workload.go); only the way the bytes get into and out of the
// channel differs. Per message, inside the timed region:
//
//	ping-pong, parent  Borrow; copy the pattern into the borrowed space
//	                   and stamp the sequence number (the sender really
//	                   writes every byte); Commit. View the echo; verify
//	                   every byte in place (verifyFull) and Release it,
//	                   pipelined as the copy path (pingLoop): after the
//	                   next message is sent.
//	ping-pong, peer    View; check length and sequence number (verifyHead,
//	                   as the copy path); Borrow; copy the viewed message
//	                   into the borrowed space; Commit; Release. The two
//	                   directions are two rings, so the echo cannot be
//	                   handed back in place: this copy is the echo's
//	                   honest cost.
//	stream, parent     Borrow; copy the pattern in and stamp; Commit.
//	stream, peer       View; check the sequence number; verify every byte
//	                   in place (verifyFull); Release.
//
// What is saved against api=raw: the copy path's sender stamps a message
// it built once and Send copies it into the ring (one copy, which the
// zero-copy sender's pattern copy replaces); its receiver copies the
// message out of the ring before verifying it (the copy saved). A round
// trip thus makes two copies instead of four (parent's write, peer's echo
// against send, receive, echo-send, echo-receive), and a streamed message
// one instead of two; the writing and the verifying are the same.

import (
	"fmt"
	"github.com/ipcbench/ipcbench/internal/memcopy"

	"github.com/ipcbench/ipcbench/harness/internal/clock"
	"github.com/ipcbench/ipcbench/transports"
)

// zeroCopyConn returns the session's Conn as a ZeroCopyConn.
func (s *Session) zeroCopyConn() (transports.ZeroCopyConn, error) {
	zc, ok := s.conn.(transports.ZeroCopyConn)
	if !ok {
		return nil, fmt.Errorf("%s api=%s: the Conn (%T) does not implement transports.ZeroCopyConn", s.cfg.Transport, s.cfg.API, s.conn)
	}
	if s.Limits().Lossy {
		return nil, fmt.Errorf("%s api=%s: zero-copy workloads need a reliable transport", s.cfg.Transport, s.cfg.API)
	}
	return zc, nil
}

// zcSend writes the pattern stamped with seq into borrowed space and
// commits it.
func zcSend(zc transports.ZeroCopyConn, pat []byte, seq uint64) error {
	b, err := zc.Borrow(len(pat))
	if err != nil {
		return fmt.Errorf("borrow: %w", err)
	}
	memcopy.Copy(b, pat)
	stamp(b, seq)
	if err := zc.Commit(len(pat)); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// zcExchange is the exchange of api=zerocopy: the pattern written and
// stamped in borrowed space; the echo viewed, checked in place and
// released.
type zcExchange struct {
	zc   transports.ZeroCopyConn
	pat  []byte
	view []byte
}

func (x *zcExchange) send(seq uint64) error { return zcSend(x.zc, x.pat, seq) }

func (x *zcExchange) recv() error {
	v, err := x.zc.View()
	if err != nil {
		return fmt.Errorf("view: %w", err)
	}
	x.view = v
	return nil
}

func (x *zcExchange) check(seq uint64) error {
	err := verifyFull(x.view, x.pat, len(x.pat), seq)
	if rerr := x.zc.Release(); rerr != nil && err == nil {
		err = fmt.Errorf("release: %w", rerr)
	}
	x.view = nil
	return err
}

// zcPingpong is pingpong for api=zerocopy.
func (s *Session) zcPingpong(l *looper) (*Result, error) {
	zc, err := s.zeroCopyConn()
	if err != nil {
		return nil, err
	}
	r, err := s.startRun(PingPong, 0)
	if err != nil {
		return nil, err
	}
	x := &zcExchange{zc: zc, pat: r.pat}
	seq, err := pingLoop(l, x, r.hist, &s.progress)
	return s.endPingPong(r, seq, err, x)
}

// zcStream is stream for api=zerocopy (reliable transports only: no flow
// control window).
func (s *Session) zcStream(l *looper) (*Result, error) {
	zc, err := s.zeroCopyConn()
	if err != nil {
		return nil, err
	}
	r, err := s.startRun(Stream, 0)
	if err != nil {
		return nil, err
	}
	size, pat, hist, u0 := s.cfg.Size, r.pat, r.hist, r.u0
	var seq uint64
	prev := clock.Ticks()
	for l.next() {
		if err := zcSend(zc, pat, seq); err != nil {
			s.stopWatchdog()
			return nil, s.runError(Stream, seq, err)
		}
		seq++
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
	if err := zcSend(zc, pat, seq|endFlag); err != nil {
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
	if rep.Received != int64(seq)+1 || rep.Lost != 0 {
		return nil, s.runError(Stream, seq, fmt.Errorf("peer accounted for %d messages (received %d, lost %d), parent sent %d", rep.Received+rep.Lost, rep.Received, rep.Lost, seq+1))
	}
	return &Result{Workload: Stream, Size: size, Ops: int64(seq), Hist: hist, NsPerTick: clock.NsPerTick(), Parent: readUsage().Sub(u0), Peer: rep.Usage}, nil
}

// zcEcho is the peer's echo through the zero-copy path: each viewed
// message is copied into borrowed space, whatever its size.
func (p *peerState) zcEcho(zc transports.ZeroCopyConn, r request) (response, error) {
	var resp response
	for i := 0; i < r.Count; i++ {
		v, err := zc.View()
		if err != nil {
			return resp, fmt.Errorf("message %d: view: %w", i, err)
		}
		resp.Received++
		if err := zcEchoOne(zc, v); err != nil {
			return resp, fmt.Errorf("message %d: %w", i, err)
		}
	}
	return resp, nil
}

// zcEchoOne copies the viewed message v into borrowed space, commits the
// copy and releases v.
func zcEchoOne(zc transports.ZeroCopyConn, v []byte) error {
	b, err := zc.Borrow(len(v))
	if err != nil {
		return fmt.Errorf("borrow: %w", err)
	}
	memcopy.Copy(b, v)
	if err := zc.Commit(len(v)); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if err := zc.Release(); err != nil {
		return fmt.Errorf("release: %w", err)
	}
	return nil
}

// zcPingpong is the peer's pingpong through the zero-copy path: view,
// check length and sequence number, echo by copying into borrowed space.
func (p *peerState) zcPingpong(zc transports.ZeroCopyConn, r request) (response, error) {
	var resp response
	for seq := uint64(0); ; seq++ {
		v, err := zc.View()
		if err != nil {
			return resp, fmt.Errorf("message %d: view: %w", seq, err)
		}
		want := seq
		if len(v) >= 8 && seqOf(v)&endFlag != 0 {
			want |= endFlag
		}
		if err := verifyHead(v, r.Size, want); err != nil {
			zc.Release()
			return resp, err
		}
		resp.Received++
		if err := zcEchoOne(zc, v); err != nil {
			return resp, fmt.Errorf("message %d: %w", seq, err)
		}
		if want&endFlag != 0 {
			return resp, nil
		}
	}
}

// zcStream is the peer's stream through the zero-copy path: every byte
// verified in place.
func (p *peerState) zcStream(zc transports.ZeroCopyConn, r request) (response, error) {
	var resp response
	if r.Window > 0 {
		return resp, fmt.Errorf("zero-copy stream with a flow-control window of %d: lossy transports have no zero-copy path", r.Window)
	}
	pat := pattern(r.Seed, r.Size)
	for next := uint64(0); ; next++ {
		v, err := zc.View()
		if err != nil {
			return resp, fmt.Errorf("message %d: view: %w", next, err)
		}
		if len(v) < 8 {
			zc.Release()
			return resp, &VerifyError{next, fmt.Sprintf("length %d, want %d", len(v), r.Size)}
		}
		seq := seqOf(v)
		if num := seq &^ endFlag; num != next {
			zc.Release()
			return resp, &VerifyError{next, fmt.Sprintf("sequence number %d, want %d (lost or reordered)", num, next)}
		}
		err = verifyFull(v, pat, r.Size, seq)
		if rerr := zc.Release(); rerr != nil && err == nil {
			err = fmt.Errorf("message %d: release: %w", next, rerr)
		}
		if err != nil {
			return resp, err
		}
		resp.Received++
		if seq&endFlag != 0 {
			return resp, nil
		}
	}
}
