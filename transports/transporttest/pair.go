// Package transporttest holds helpers for testing transports that need no
// peer process: Pair, a channel with both ends in the test's process, and
// the leak checker (CheckLeaks). The real-peer conformance suite, which
// needs the harness, is package conformance.
package transporttest

import (
	"runtime"
	"testing"

	"github.com/ipcbench/ipcbench/transports"
)

// Pair creates a channel of the named transport and attaches its other end
// in this same process. It is for unit tests of a transport's logic; the
// conformance suite (package conformance) uses a real peer process
// instead. Both Conns are closed, and the files handed over released, when
// the test ends.
func Pair(tb testing.TB, name string, opts transports.Options) (parent, peer transports.Conn) {
	tb.Helper()
	info, err := transports.Lookup(name)
	if err != nil {
		tb.Fatal(err)
	}
	tr := info.New()
	parent, ep, err := tr.Create(opts)
	if err != nil {
		tb.Fatalf("%s: create: %v", name, err)
	}
	tb.Cleanup(func() { parent.Close() })
	// Attach on a locked thread, as the peer does: transports that record
	// a thread id (signals) need it.
	type result struct {
		c   transports.Conn
		err error
	}
	ch := make(chan result)
	go func() {
		runtime.LockOSThread()
		c, err := tr.Attach(ep.Spec, ep.Files)
		ch <- result{c, err}
	}()
	r := <-ch
	if r.err != nil {
		for _, f := range ep.Files {
			f.Close()
		}
		tb.Fatalf("%s: attach: %v", name, r.err)
	}
	tb.Cleanup(func() { r.c.Close() })
	var reply map[string]string
	if rp, ok := r.c.(transports.Replier); ok {
		reply = rp.Reply()
	}
	if cn, ok := parent.(transports.Connector); ok {
		if err := cn.Connect(reply); err != nil {
			tb.Fatalf("%s: connect: %v", name, err)
		}
	}
	return parent, r.c
}
