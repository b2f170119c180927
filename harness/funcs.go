package harness

import (
	"encoding/json"
	"fmt"
	"os"
)

// FuncSession runs a registered PeerFunc in a peer process while the
// calling goroutine, locked to its thread and pinned per the placement,
// does the parent's half. It is for measurements that are not transport
// workloads: reference floors, the bare-pipe baseline, signal floods.
type FuncSession struct {
	name    string
	peer    *Peer
	place   Placement
	restore func()
	usage0  Usage
}

// StartFunc spawns a peer that will run the PeerFunc registered as name
// with files at fd 4, 5, …; the caller's copies of files are closed. The
// function starts when Begin is called.
func StartFunc(name string, pin Pin, files []*os.File) (*FuncSession, error) {
	place, err := Place(pin)
	if err != nil {
		for _, f := range files {
			f.Close()
		}
		return nil, err
	}
	restore, err := pinThread(place.Parent)
	if err != nil {
		for _, f := range files {
			f.Close()
		}
		return nil, err
	}
	p, err := spawn(name, files)
	for _, f := range files {
		f.Close()
	}
	if err != nil {
		restore()
		return nil, err
	}
	return &FuncSession{name: name, peer: p, place: place, restore: restore}, nil
}

// Placement is where the two threads run.
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
	if err := f.peer.ctl.send(request{Op: "func", Func: f.name, Args: b, CPU: f.place.Peer}); err != nil {
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

// Close ends the peer and unpins the calling thread.
func (f *FuncSession) Close() error {
	f.peer.Close()
	if f.restore != nil {
		f.restore()
		f.restore = nil
	}
	return nil
}
