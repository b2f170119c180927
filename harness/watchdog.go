package harness

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// A watchdog ends a run whose peer makes no progress: once started, it
// kills the peer with an ErrPeerHung error when the progress counter has
// not moved for the hang timeout, calls onHang (to interrupt a parent
// blocked on the peer) and waits for the peer to be reaped. Session and
// FuncSession each own one; their loops store the number of ops done in
// the counter.
type watchdog struct {
	timeout  time.Duration
	progress *atomic.Uint64
	unit     string // what progress counts, for the error: "message", "op"

	stop chan struct{}
	done sync.WaitGroup
	hung atomic.Pointer[error]
}

// start (re)starts the watchdog on peer p.
func (w *watchdog) start(p *Peer, onHang func()) {
	w.halt()
	stop := make(chan struct{})
	w.stop = stop
	w.done.Add(1)
	go func() {
		defer w.done.Done()
		tick := time.NewTicker(w.timeout / 20)
		defer tick.Stop()
		last, since := w.progress.Load(), time.Now()
		for {
			select {
			case <-stop:
				return
			case <-p.dead:
				return
			case now := <-tick.C:
				if v := w.progress.Load(); v != last {
					last, since = v, now
					continue
				}
				if now.Sub(since) >= w.timeout {
					err := fmt.Errorf("%w for %v (at %s %d)", ErrPeerHung, w.timeout, w.unit, last)
					w.hung.Store(&err)
					p.kill(err)
					if onHang != nil {
						onHang()
					}
					select {
					case <-p.exited:
					case <-time.After(2 * time.Second):
					}
					return
				}
			}
		}
	}()
}

// halt stops the watchdog and waits until it has, so that a hang it found
// is recorded, and the hung peer reaped, when halt returns.
func (w *watchdog) halt() {
	if w.stop != nil {
		close(w.stop)
		w.stop = nil
	}
	w.done.Wait()
}

// err is the hang the watchdog found, or nil.
func (w *watchdog) err() error {
	if h := w.hung.Load(); h != nil {
		return *h
	}
	return nil
}

// explain returns err, the failure of a run with peer p, with the peer's
// own account of what happened when it has one: the hang the watchdog
// found, its death, or the error it reported (waiting briefly for it);
// and the tail of its stderr unless err carries it already.
func explain(p *Peer, wd *watchdog, err error) error {
	if h := wd.err(); h != nil {
		err = fmt.Errorf("%w (then: %v)", h, err)
	} else if p != nil {
		select {
		case <-p.dead:
			err = fmt.Errorf("%v (then: %w)", p.deathCause(), err)
		case r := <-p.resp:
			if r.Error != "" {
				err = fmt.Errorf("peer: %s (then: %w)", r.Error, err)
			}
		case <-time.After(200 * time.Millisecond):
		}
	}
	var perr *PeerError
	if errors.As(err, &perr) && perr.Stderr != "" {
		// already carries the peer's stderr
	} else if p != nil {
		if tail := p.Stderr(); tail != "" {
			err = fmt.Errorf("%w\npeer stderr:\n%s", err, tail)
		}
	}
	return err
}
