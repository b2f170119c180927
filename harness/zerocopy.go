package harness

// Zero-copy workloads: api=zerocopy, on Conns that implement
// transports.ZeroCopyConn (the shared-memory transports). The messages,
// the sequence stamps, the verification and the errors are those of the
// copy path (workload.go), and so are the loops: only the parent's
// exchange (zcExchange) and the peer's port (zcPort) differ, in how the
// bytes get into and out of the channel. Per message, inside the timed
// region:
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

// zcPort is the peer's port of api=zerocopy: View in place; the echo is
// copied into borrowed space (the two directions are two rings, so it
// cannot be handed back in place); done is Release.
type zcPort struct{ zc transports.ZeroCopyConn }

func (z *zcPort) recv() ([]byte, error) {
	v, err := z.zc.View()
	if err != nil {
		return nil, fmt.Errorf("view: %w", err)
	}
	return v, nil
}

func (z *zcPort) echo(v []byte) error {
	b, err := z.zc.Borrow(len(v))
	if err != nil {
		return fmt.Errorf("borrow: %w", err)
	}
	memcopy.Copy(b, v)
	if err := z.zc.Commit(len(v)); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return z.done()
}

func (z *zcPort) done() error {
	if err := z.zc.Release(); err != nil {
		return fmt.Errorf("release: %w", err)
	}
	return nil
}
