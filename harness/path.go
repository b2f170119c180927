package harness

import (
	"fmt"
	"time"

	"github.com/ipcbench/ipcbench/internal/netns"
	"github.com/ipcbench/ipcbench/transports"
)

// Path is the network path between the two ends of a socket transport
// that supports one (transports.Info.Net): key "path" of a benchmark
// name. The zero Path is the loopback device of one namespace, as the
// socket transports ran before paths existed; such names carry no path.
type Path string

const (
	// PathLoopback is one network namespace: both sockets on 127.0.0.1.
	PathLoopback Path = ""
	// PathVeth puts the peer process in a network namespace of its own,
	// joined to the parent's sockets' namespace by a veth pair that the
	// session makes and removes (internal/netns).
	PathVeth Path = "veth"
	// PathNetem is PathVeth with both ends shaped by tc netem
	// (Config.Netem; NetemDelay when it is zero).
	PathNetem Path = "netem"
	// PathRemote is a peer on another host, served by `ipcbench peer
	// -listen` and reached through Config.Remote.
	PathRemote Path = "remote"
)

// Paths lists the paths off loopback, in the order the suite runs them.
var Paths = []Path{PathVeth, PathNetem, PathRemote}

// NetemDelay is the one-way delay of PathNetem when Config.Netem is nil:
// a link between two hosts of one data centre.
const NetemDelay = 250 * time.Microsecond

// ParsePath converts a name to a Path ("lo" or "" is loopback), with an
// error listing the valid ones.
func ParsePath(s string) (Path, error) {
	if s == "lo" {
		return PathLoopback, nil
	}
	for _, p := range append([]Path{PathLoopback}, Paths...) {
		if string(p) == s {
			return p, nil
		}
	}
	return "", fmt.Errorf("unknown path %q (valid: lo, veth, netem, remote)", s)
}

// String is the path's name: "lo" for loopback.
func (p Path) String() string {
	if p == PathLoopback {
		return "lo"
	}
	return string(p)
}

// Remote is where a PathRemote session finds its peer: the address of an
// `ipcbench peer -listen` and the token it was given.
type Remote struct {
	Addr  string
	Token string
	// In, when set, runs the dialling of the control connection and the
	// making of the parent's data socket in another network namespace
	// (netns.NS.Do): the tests reach a peer in a namespace of their own.
	In func(func() error) error
}

// CheckPath returns why cfg's network path cannot be used here with its
// transport and pin (an error wrapping errors.ErrUnsupported when this
// process lacks the privileges to make it), or nil.
func CheckPath(cfg Config) error {
	info, err := transports.Lookup(cfg.Transport)
	if err != nil {
		return err
	}
	return checkPath(cfg, info)
}

func checkPath(cfg Config, info transports.Info) error {
	if cfg.Path == PathLoopback {
		if cfg.Remote != nil || cfg.Netem != nil {
			return fmt.Errorf("%s: Remote and Netem need path=remote and path=netem, not loopback", cfg.Transport)
		}
		return nil
	}
	if !info.Net {
		return fmt.Errorf("%s: path=%s: only the socket transports that dial an address (tcp, udp) have a network path", cfg.Transport, cfg.Path)
	}
	switch cfg.Path {
	case PathVeth, PathNetem:
		if cfg.Remote != nil {
			return fmt.Errorf("%s: path=%s: Remote is for path=remote", cfg.Transport, cfg.Path)
		}
		if cfg.Path == PathVeth && cfg.Netem != nil {
			return fmt.Errorf("%s: path=veth: Netem is for path=netem", cfg.Transport)
		}
		if cfg.Path == PathNetem {
			return netns.NetemAvailable()
		}
		return netns.Available()
	case PathRemote:
		if cfg.Remote == nil || cfg.Remote.Addr == "" {
			return fmt.Errorf("%s: path=remote needs the address of a peer (ipcbench peer -listen ADDR, then -remote ADDR)", cfg.Transport)
		}
		if cfg.Pin != PinNone {
			return fmt.Errorf("%s: path=remote: pin=%s: a peer on another host is placed by that host's scheduler; use pin=none", cfg.Transport, cfg.Pin)
		}
		return nil
	}
	return fmt.Errorf("%s: unknown path %q", cfg.Transport, cfg.Path)
}

// netPath makes the session's network path: for veth and netem the two
// namespaces and their link, the parent's sockets in one and the peer
// process in the other; for remote the control connection to the remote
// peer. It fills opts.Net.
func (s *Session) netPath(opts *transports.Options) error {
	switch s.cfg.Path {
	case PathVeth, PathNetem:
		var shape *netns.Netem
		if s.cfg.Path == PathNetem {
			shape = netemOrDefault(s.cfg.Netem)
		}
		v, err := netns.NewVeth(shape)
		if err != nil {
			return err
		}
		s.veth = v
		if shape != nil {
			if _, err := v.CheckNetem(); err != nil {
				return err
			}
		}
		opts.Net = &transports.NetPath{Addr: netns.ParentAddr, In: v.Parent.Do}
	case PathRemote:
		p, err := dialRemote(s.cfg.Transport, *s.cfg.Remote)
		if err != nil {
			return err
		}
		s.peer = p
		opts.Net = &transports.NetPath{Addr: p.LocalAddr(), In: s.cfg.Remote.In}
	}
	return nil
}

// netemOrDefault is the shaping of a path=netem link: netem, or NetemDelay
// each way when it is nil.
func netemOrDefault(netem *netns.Netem) *netns.Netem {
	if netem == nil {
		return &netns.Netem{Delay: NetemDelay}
	}
	return netem
}

// peerNS is the network namespace the peer process starts in: the veth's
// far end, or -1 (this process's).
func (s *Session) peerNS() int {
	if s.veth == nil {
		return -1
	}
	return s.veth.Peer.Fd()
}

// closePath releases the namespaces of a veth path; the peer must be gone
// (its namespace goes with its last process).
func (s *Session) closePath() {
	if s.veth != nil {
		s.veth.Close()
	}
}

// PathNamespaces are the inode numbers of the network namespaces of a
// veth or netem path (netns.Holders tells a leak check whether anything
// still holds them), none for other paths.
func (s *Session) PathNamespaces() []uint64 {
	if s.veth == nil {
		return nil
	}
	var out []uint64
	for _, n := range []*netns.NS{&s.veth.Parent, &s.veth.Peer} {
		if ino, err := n.Inode(); err == nil {
			out = append(out, ino)
		}
	}
	return out
}

// PathInfo describes the session's network path for the config lines
// ("if=ipcb0 driver=veth mtu=1500 …"), or "" on loopback.
func (s *Session) PathInfo() string {
	switch {
	case s.veth != nil:
		return s.veth.Describe()
	case s.cfg.Path == PathRemote && s.peer != nil:
		return describeRemote(s.peer, *s.cfg.Remote)
	}
	return ""
}

// DescribePath describes path for the config lines before a run
// (results.PathKey): the veth link and its shaping (netem nil:
// NetemDelay), or, for PathRemote, the remote peer and the interface of
// this host that reaches it, which it learns by connecting to the peer
// once: a refused token or an unreachable peer is an error here, before
// anything is measured.
func DescribePath(path Path, netem *netns.Netem, remote *Remote) (string, error) {
	switch path {
	case PathVeth:
		return netns.DescribeVeth(nil), nil
	case PathNetem:
		return netns.DescribeVeth(netemOrDefault(netem)), nil
	case PathRemote:
		if remote == nil {
			return "", fmt.Errorf("path=remote: no remote peer given")
		}
		p, err := dialRemote("path", *remote)
		if err != nil {
			return "", err
		}
		defer p.Close()
		return describeRemote(p, *remote), nil
	}
	return "", nil
}

// dialRemote connects to the remote peer of r (dialPeer), from r.In's
// namespace when it is set.
func dialRemote(name string, r Remote) (p *Peer, err error) {
	if r.In == nil {
		return dialPeer(name, r.Addr, r.Token)
	}
	if e := r.In(func() error { p, err = dialPeer(name, r.Addr, r.Token); return nil }); e != nil {
		return nil, e
	}
	return p, err
}

// describeRemote describes the path to remote peer p: its address and
// this host's interface that reaches it (netns.DescribeAddr, in r.In's
// namespace when it is set).
func describeRemote(p *Peer, r Remote) string {
	var local string
	describe := func() error { local = netns.DescribeAddr(p.LocalAddr()); return nil }
	if r.In != nil {
		if err := r.In(describe); err != nil {
			local = "addr=" + p.LocalAddr().String() + " if=unknown"
		}
	} else {
		describe()
	}
	return "peer=" + p.RemoteAddr().String() + " " + local
}
