package harness_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ipcbench/ipcbench/harness"
	"github.com/ipcbench/ipcbench/internal/netns"
	"github.com/ipcbench/ipcbench/transports"
	"github.com/ipcbench/ipcbench/transports/transporttest"
)

// TestVethSession: over path=veth the peer process runs in a network
// namespace of its own, not this process's, and dials the parent's end of
// the link, whose address only the parent's namespace has; ping-pong
// works; after Close nothing holds either namespace.
func TestVethSession(t *testing.T) {
	transporttest.CheckLeaks(t)
	for _, tr := range []string{"tcp", "udp"} {
		t.Run("transport="+tr, func(t *testing.T) {
			s, err := harness.Start(harness.Config{Transport: tr, Path: harness.PathVeth, Pin: harness.PinSplit, Size: 64})
			if errors.Is(err, errors.ErrUnsupported) {
				t.Skip(err)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			inos := s.PathNamespaces()
			if len(inos) != 2 {
				t.Fatalf("PathNamespaces = %v, want two", inos)
			}
			peerNS, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", s.Peer().PID()))
			if err != nil {
				t.Fatal(err)
			}
			ownNS, _ := os.Readlink("/proc/self/ns/net")
			if want := fmt.Sprintf("net:[%d]", inos[1]); peerNS != want || peerNS == ownNS {
				t.Errorf("peer runs in %s, want the path's second namespace %s (this process: %s)", peerNS, want, ownNS)
			}
			if addr := s.Spec().Params["addr"]; !strings.HasPrefix(addr, netns.ParentAddr.String()+":") {
				t.Errorf("the peer was told to dial %q, want the parent's end %s", addr, netns.ParentAddr)
			}
			if got := s.PathInfo(); !strings.Contains(got, "driver=veth") {
				t.Errorf("PathInfo = %q, want the veth described", got)
			}
			if _, err := s.RunCount(harness.PingPong, 200, 10*time.Second); err != nil {
				t.Fatal(err)
			}
			s.Close()
			for _, ino := range inos {
				if h := netns.Holders(ino); len(h) > 0 {
					t.Errorf("namespace net:[%d] held after Close: %v", ino, h)
				}
			}
		})
	}
}

// TestPathRefused: a path a transport or placement cannot have is refused
// before anything is made, naming the problem.
func TestPathRefused(t *testing.T) {
	transporttest.CheckLeaks(t)
	for _, c := range []struct {
		cfg  harness.Config
		want string
	}{
		{harness.Config{Transport: "pipe", Path: harness.PathVeth, Size: 64}, "network path"},
		{harness.Config{Transport: "tcp", Path: harness.PathRemote, Pin: harness.PinNone, Size: 64}, "needs the address"},
		{harness.Config{Transport: "tcp", Path: harness.PathRemote, Pin: harness.PinSplit, Size: 64, Remote: &harness.Remote{Addr: "192.0.2.1:1", Token: "x"}}, "pin=none"},
		{harness.Config{Transport: "tcp", Path: harness.PathVeth, Size: 64, Remote: &harness.Remote{Addr: "192.0.2.1:1"}}, "Remote is for path=remote"},
		{harness.Config{Transport: "tcp", Path: "wormhole", Size: 64}, "unknown path"},
		{harness.Config{Transport: "tcp", Size: 64, Remote: &harness.Remote{Addr: "192.0.2.1:1"}}, "not loopback"},
	} {
		s, err := harness.Start(c.cfg)
		if err == nil {
			s.Close()
			t.Errorf("Start(%+v): no error", c.cfg)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("Start(%+v): %v; want it to say %q", c.cfg, err, c.want)
		}
	}
	for _, s := range []string{"lo", "veth", "netem", "remote"} {
		if _, err := harness.ParsePath(s); err != nil {
			t.Errorf("ParsePath(%q): %v", s, err)
		}
	}
	if _, err := harness.ParsePath("eth0"); err == nil || !strings.Contains(err.Error(), "valid: lo, veth, netem, remote") {
		t.Errorf("ParsePath(eth0): %v, want the valid names", err)
	}
}

// TestRemoteOverVeth runs tcp and udp sessions against a remote peer that
// lives in another network namespace: ServePeers listens in the veth's
// far namespace and starts each peer there (the namespace of its control
// connection), the parent dials from the near one (Remote.In). The data
// socket of a peer outside the far namespace could not reach the
// parent's address, so a working ping-pong and stream show the peer where
// it should be. A wrong token is refused, naming it.
func TestRemoteOverVeth(t *testing.T) {
	transporttest.CheckLeaks(t)
	v := transporttest.Veth(t)
	var ln net.Listener
	if err := v.Peer.Do(func() (err error) {
		ln, err = net.Listen("tcp", netns.PeerAddr.String()+":0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	token := harness.NewToken()
	served := make(chan error, 1)
	go func() { served <- harness.ServePeers(ln, token, io.Discard) }()
	defer func() {
		ln.Close()
		if err := <-served; err != nil {
			t.Errorf("ServePeers: %v", err)
		}
	}()
	remote := &harness.Remote{Addr: ln.Addr().String(), Token: token, In: v.Parent.Do}
	for _, tr := range []string{"tcp", "udp"} {
		for _, api := range []transports.API{transports.Raw, transports.Runtime} {
			t.Run(fmt.Sprintf("transport=%s/api=%s", tr, api), func(t *testing.T) {
				s, err := harness.Start(harness.Config{Transport: tr, API: api, Path: harness.PathRemote, Pin: harness.PinNone, Size: 1024, Remote: remote})
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				if got := s.PathInfo(); !strings.Contains(got, "peer="+remote.Addr) || !strings.Contains(got, "driver=veth") {
					t.Errorf("PathInfo = %q, want the peer's address and this side's veth", got)
				}
				for _, w := range []string{harness.PingPong, harness.Stream} {
					res, err := s.RunCount(w, 300, 10*time.Second)
					if err != nil {
						t.Fatalf("%s: %v", w, err)
					}
					if res.Ops == 0 {
						t.Errorf("%s: no ops", w)
					}
				}
			})
		}
	}
	bad := *remote
	bad.Token = harness.NewToken()
	_, err := harness.Start(harness.Config{Transport: "tcp", Path: harness.PathRemote, Pin: harness.PinNone, Size: 64, Remote: &bad})
	if !errors.Is(err, harness.ErrRemoteRefused) || !strings.Contains(err.Error(), "wrong token") {
		t.Errorf("a wrong token: %v, want a refusal naming it", err)
	}
	if _, err := harness.DescribePath(harness.PathRemote, nil, &bad); err == nil {
		t.Error("DescribePath with a wrong token: no error")
	}
}
