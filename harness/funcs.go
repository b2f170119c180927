package harness

import (
	"encoding/json"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipcbench/ipcbench/transports"
)

// FuncSession runs a registered PeerFunc in a peer process while the
// calling goroutine does the parent's half, placed like a Session of the
// same API (processScope): api=raw pins the two halves' locked threads,
// api=runtime confines both processes and locks nothing. It is for
// measurements that are not transport workloads: reference floors, the
// bare-pipe baseline, signal experiments.
//
// The parent's half runs its op through Warmup (the warm-up rule) and Loop
// (the measured loop over b.Loop), which tell the session's watchdog about
// every op done. From Begin to the end of Finish the watchdog kills a peer
// under which no op completes for the hang timeout (DefaultHangTimeout, or
// SetHangTimeout): Finish then fails with an ErrPeerHung error, and so
// does an op blocked on the peer once the peer's death has woken it (the
// caller registers its interrupt with Peer.OnDeath). Close reaps the peer.
//
// Finish returns both processes' usage from Begin on, which covers every
// op of Warmup and Loop: per-op usage is reported over Ops.
type FuncSession struct {
	name    string
	api     transports.API
	peer    *Peer
	place   Placement
	restore func()
	usage0  Usage

	ops      int64 // ops done by Warmup and Loop since Begin
	progress atomic.Uint64
	wd       watchdog
}

// MaxWarmupOps is the most operations one warm-up runs.
const MaxWarmupOps = 100000

// StartFunc spawns a peer that will run the PeerFunc registered as name
// with files at fd 4, 5, …; the caller's copies of files are closed. api
// is transports.Raw (locked threads) or transports.Runtime (ordinary
// goroutines). The function starts when Begin is called.
func StartFunc(name string, pin Pin, api transports.API, files []*os.File) (_ *FuncSession, err error) {
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	if api != transports.Raw && api != transports.Runtime {
		return nil, fmt.Errorf("peer function %s: api %q: want raw or runtime", name, api)
	}
	pl, err := Place(pin)
	if err != nil {
		return nil, err
	}
	restore, err := place(pl.Parent, api)
	if err != nil {
		return nil, err
	}
	p, err := spawn(name, files, peerCPU(pl, api))
	if err != nil {
		restore()
		return nil, err
	}
	f := &FuncSession{name: name, api: api, peer: p, place: pl, restore: restore}
	f.wd.timeout, f.wd.progress, f.wd.unit = DefaultHangTimeout, &f.progress, "op"
	return f, nil
}

// SetHangTimeout overrides DefaultHangTimeout for the runs begun after it.
func (f *FuncSession) SetHangTimeout(d time.Duration) {
	if d <= 0 {
		d = DefaultHangTimeout
	}
	f.wd.timeout = d
}

// Placement is where the two processes run.
func (f *FuncSession) Placement() Placement { return f.place }

// Peer is the peer process.
func (f *FuncSession) Peer() *Peer { return f.peer }

// Begin starts the peer function with args (marshalled to JSON), records
// the parent's CPU usage from now on and starts the watchdog.
func (f *FuncSession) Begin(args any) error {
	if err := f.begin(args); err != nil {
		return err
	}
	f.wd.start(f.peer, nil)
	return nil
}

// begin is Begin without the watchdog, for a caller that bounds the
// function's run itself (RunPairs: its window and hang timeout from the
// barrier on).
func (f *FuncSession) begin(args any) error {
	b, err := json.Marshal(args)
	if err != nil {
		return err
	}
	f.usage0 = readUsage()
	if err := f.peer.ctl.send(request{Op: "func", Func: f.name, Args: b, CPU: f.place.Peer, API: f.api}); err != nil {
		return f.peer.fail("func", err)
	}
	f.ops = 0
	f.progress.Store(0)
	return nil
}

// Warmup runs op unmeasured under the suite's one warm-up rule, which
// Session.Warmup applies to the workloads too (looper): for d, reading the
// clock at every 16th op (so d = 0 still runs 15 ops), and at most
// MaxWarmupOps ops. It returns the number of ops done; on a failed op the
// error is the run's (Fail).
func (f *FuncSession) Warmup(d time.Duration, op func() error) (int64, error) {
	return f.run(&looper{max: MaxWarmupOps, deadline: time.Now().Add(d)}, op)
}

// Loop runs op over b.Loop: the measured loop. It returns the number of
// ops done; on a failed op the error is the run's (Fail).
func (f *FuncSession) Loop(b *testing.B, op func() error) (int64, error) {
	return f.run(&looper{b: b}, op)
}

// run runs op while l allows, telling the watchdog every progressEvery ops.
func (f *FuncSession) run(l *looper, op func() error) (int64, error) {
	var n int64
	defer func() { f.ops += n }()
	for l.next() {
		if err := op(); err != nil {
			return n, f.Fail(err)
		}
		n++
		if n%progressEvery == 0 {
			f.progress.Store(uint64(f.ops + n))
		}
	}
	return n, nil
}

// Ops is the number of ops Warmup and Loop have done since Begin.
func (f *FuncSession) Ops() int64 { return f.ops }

// Fail returns err, a failure of the parent's half, as the run's error:
// with the peer's own account of it when there is one (the hang the
// watchdog found, the peer's death, the error it reported). It stops the
// watchdog.
func (f *FuncSession) Fail(err error) error {
	f.wd.halt()
	return explain(f.peer, &f.wd, err)
}

// Recv waits for an intermediate message the function sent with
// PeerContext.Send, and decodes it into v.
func (f *FuncSession) Recv(v any) error {
	r, err := f.peer.await(f.name, HandshakeTimeout)
	if err != nil {
		return err
	}
	return json.Unmarshal(r.Result, v)
}

// Finish waits for the function to return (the watchdog still running),
// decodes its result into result (if not nil) and returns both processes'
// usage since Begin.
func (f *FuncSession) Finish(result any) (parent, peer Usage, err error) {
	r, err := f.peer.await(f.name, 0)
	f.wd.halt()
	parent = readUsage().Sub(f.usage0)
	if err != nil {
		return parent, Usage{}, err
	}
	if result != nil && len(r.Result) > 0 {
		if err := json.Unmarshal(r.Result, result); err != nil {
			return parent, r.Usage, fmt.Errorf("%s: result: %w", f.name, err)
		}
	}
	return parent, r.Usage, nil
}

// Close stops the watchdog, ends and reaps the peer and undoes the
// placement.
func (f *FuncSession) Close() error {
	f.wd.halt()
	f.peer.Close()
	if f.restore != nil {
		f.restore()
		f.restore = nil
	}
	return nil
}
