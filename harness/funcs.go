package harness

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/ipcbench/ipcbench/transports"
)

// FuncSession runs a registered PeerFunc in a peer process while the
// calling goroutine does the parent's half, placed like a Session of the
// same API (processScope): api=raw pins the two halves' locked threads,
// api=runtime confines both processes and locks nothing. It is for
// measurements that are not transport workloads: reference floors, the
// bare-pipe baseline, signal experiments.
type FuncSession struct {
	name    string
	api     transports.API
	peer    *Peer
	place   Placement
	restore func()
	usage0  Usage
}

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
	return &FuncSession{name: name, api: api, peer: p, place: pl, restore: restore}, nil
}

// Placement is where the two processes run.
func (f *FuncSession) Placement() Placement { return f.place }

// Peer is the peer process.
func (f *FuncSession) Peer() *Peer { return f.peer }

// Begin starts the peer function with args (marshalled to JSON) and
// records the parent's CPU usage from now on.
func (f *FuncSession) Begin(args any) error {
	b, err := json.Marshal(args)
	if err != nil {
		return err
	}
	f.usage0 = readUsage()
	if err := f.peer.ctl.send(request{Op: "func", Func: f.name, Args: b, CPU: f.place.Peer, API: f.api}); err != nil {
		return f.peer.fail("func", err)
	}
	return nil
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

// Finish waits for the function to return, decodes its result into result
// (if not nil) and returns both processes' usage since Begin.
func (f *FuncSession) Finish(result any) (parent, peer Usage, err error) {
	r, err := f.peer.await(f.name, 0)
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

// Close ends the peer and undoes the placement.
func (f *FuncSession) Close() error {
	f.peer.Close()
	if f.restore != nil {
		f.restore()
		f.restore = nil
	}
	return nil
}
