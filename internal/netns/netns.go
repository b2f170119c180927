// Package netns makes the network path of ipcbench's path=veth and
// path=netem cases: two fresh network namespaces joined by a veth pair,
// optionally shaped by tc netem on both ends, through netlink
// (github.com/vishvananda/netlink), never by running ip or tc.
//
// Both namespaces are anonymous: no name under /run/netns, no bind mount.
// They are held by this process's descriptors and by the processes that
// run in them (the peer), and the kernel removes a namespace, with the
// veth end and the qdisc in it, when the last of those is gone. So nothing
// outlives the run even when it is killed with SIGKILL: the parent's
// descriptors close with it and the peer dies with it (Pdeathsig). Veth
// makes nothing in the namespace this process runs in. Holders tells a
// leak check whether anything still refers to a namespace.
//
// Traffic between two addresses of one namespace takes the loopback
// device whatever the addresses, so each side has a namespace of its own:
// the parent's sockets are made in Parent (NS.Do), the peer process runs
// in Peer.
package netns

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// NS is a network namespace held by a descriptor of this process.
type NS struct {
	fd int
}

// Fd is the namespace's descriptor (for setns), or -1 once closed.
func (n *NS) Fd() int { return n.fd }

// Inode is the namespace's inode number, as /proc/<pid>/ns/net names it
// ("net:[<inode>]").
func (n *NS) Inode() (uint64, error) {
	var st unix.Stat_t
	if err := unix.Fstat(n.fd, &st); err != nil {
		return 0, fmt.Errorf("netns: fstat: %w", err)
	}
	return st.Ino, nil
}

// Do runs f on the calling goroutine locked to an OS thread that is in
// the namespace n, and moves the thread back before it returns: sockets
// that f makes belong to n for their whole life, and processes that f
// starts run in n. If the thread cannot be moved back, it stays locked
// and the runtime ends it with the goroutine's thread lock, so no other
// goroutine ever runs in n by accident.
func (n *NS) Do(f func() error) error {
	runtime.LockOSThread()
	back, err := vnetns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("netns: this thread's namespace: %w", err)
	}
	defer back.Close()
	if err := unix.Setns(n.fd, unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("netns: setns: %w", err)
	}
	ferr := f()
	if err := unix.Setns(int(back), unix.CLONE_NEWNET); err != nil {
		return errors.Join(ferr, fmt.Errorf("netns: setns back: %w (the thread is left to end)", err))
	}
	runtime.UnlockOSThread()
	return ferr
}

func (n *NS) close() {
	if n.fd >= 0 {
		unix.Close(n.fd)
		n.fd = -1
	}
}

// Netem shapes a link with tc netem: both ends delay every packet by
// Delay and, when Rate is not zero, send at most Rate bytes per second
// (netem shapes egress only, so both ends carry the qdisc and a round
// trip is delayed twice).
type Netem struct {
	Delay time.Duration
	Rate  uint64 // bytes per second; 0: unlimited
}

// String is the shaping as the config lines give it, e.g.
// "delay=1ms rate=125000000B/s".
func (n Netem) String() string {
	s := "delay=" + n.Delay.String()
	if n.Rate > 0 {
		s += " rate=" + strconv.FormatUint(n.Rate, 10) + "B/s"
	}
	return s
}

// The veth ends' names and addresses. The names are the same in both
// namespaces' own views only by choice; each namespace has just its end
// and its loopback device.
const (
	ParentIf = "ipcb0"
	PeerIf   = "ipcb1"
	prefix   = 24
)

var (
	// ParentAddr is the address of the parent's end.
	ParentAddr = netip.MustParseAddr("10.213.0.1")
	// PeerAddr is the address of the peer's end.
	PeerAddr = netip.MustParseAddr("10.213.0.2")
)

// A Veth is two fresh network namespaces joined by a veth pair: ParentIf
// with ParentAddr in Parent, PeerIf with PeerAddr in Peer, both up, each
// namespace's loopback up too.
type Veth struct {
	Parent, Peer NS
	// Netem is the shaping of both ends, nil for none.
	Netem *Netem
	// MTU of both ends.
	MTU int
}

// Available returns nil when this process can make network namespaces
// (CAP_SYS_ADMIN) and links in them (CAP_NET_ADMIN), else an error
// wrapping errors.ErrUnsupported that names what is missing.
func Available() error {
	caps, err := effectiveCaps()
	if err != nil {
		return fmt.Errorf("netns: %w: reading capabilities: %v", errors.ErrUnsupported, err)
	}
	var missing []string
	if caps&(1<<unix.CAP_SYS_ADMIN) == 0 {
		missing = append(missing, "CAP_SYS_ADMIN (to create a network namespace)")
	}
	if caps&(1<<unix.CAP_NET_ADMIN) == 0 {
		missing = append(missing, "CAP_NET_ADMIN (to create a veth pair and its addresses)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("netns: %w: needs %s; run as root", errors.ErrUnsupported, strings.Join(missing, " and "))
	}
	return nil
}

// effectiveCaps reads this process's effective capability set.
func effectiveCaps() (uint64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			return strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		}
	}
	return 0, errors.New("no CapEff line in /proc/self/status")
}

// NetemAvailable returns nil when this process can make a veth pair
// shaped by netem, else the reason (wrapping errors.ErrUnsupported where
// a privilege or the kernel's netem qdisc is missing). It finds out once,
// by making such a link and removing it.
func NetemAvailable() error {
	netemOnce.Do(func() {
		v, err := NewVeth(&Netem{Delay: time.Millisecond})
		if err == nil {
			v.Close()
		}
		netemErr = err
	})
	return netemErr
}

var (
	netemOnce sync.Once
	netemErr  error
)

// NewVeth makes the two namespaces and the link, shaped by netem when it
// is not nil. On any error it removes what it made.
func NewVeth(netem *Netem) (_ *Veth, err error) {
	if err := Available(); err != nil {
		return nil, err
	}
	if netem != nil && netem.Delay < 0 {
		return nil, fmt.Errorf("netns: netem delay %v is negative", netem.Delay)
	}
	v := &Veth{Parent: NS{-1}, Peer: NS{-1}, Netem: netem, MTU: vethMTU}
	defer func() {
		if err != nil {
			v.Close()
		}
	}()
	if v.Parent.fd, v.Peer.fd, err = twoNamespaces(); err != nil {
		return nil, err
	}
	hp, err := netlink.NewHandleAt(vnetns.NsHandle(v.Parent.fd))
	if err != nil {
		return nil, fmt.Errorf("netns: netlink in the parent's namespace: %w", err)
	}
	defer hp.Close()
	hq, err := netlink.NewHandleAt(vnetns.NsHandle(v.Peer.fd))
	if err != nil {
		return nil, fmt.Errorf("netns: netlink in the peer's namespace: %w", err)
	}
	defer hq.Close()
	veth := &netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: ParentIf, MTU: v.MTU},
		PeerName:      PeerIf,
		PeerNamespace: netlink.NsFd(v.Peer.fd),
	}
	if err := hp.LinkAdd(veth); err != nil {
		return nil, fmt.Errorf("netns: add veth %s/%s: %w", ParentIf, PeerIf, err)
	}
	for _, side := range []struct {
		h    *netlink.Handle
		name string
		addr netip.Addr
	}{{hp, ParentIf, ParentAddr}, {hq, PeerIf, PeerAddr}} {
		if err := setUp(side.h, side.name, side.addr, netem); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// twoNamespaces makes two network namespaces on a locked thread (unshare
// moves the calling thread into the new one) and moves the thread back.
func twoNamespaces() (a, b int, err error) {
	runtime.LockOSThread()
	back, err := vnetns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return -1, -1, fmt.Errorf("netns: this thread's namespace: %w", err)
	}
	defer back.Close()
	a, b = -1, -1
	for _, fd := range []*int{&a, &b} {
		h, e := vnetns.New()
		if e != nil {
			err = fmt.Errorf("netns: unshare(CLONE_NEWNET): %w", e)
			break
		}
		*fd = int(h)
	}
	if e := vnetns.Set(back); e != nil {
		// The thread stays locked and ends with the goroutine.
		err = errors.Join(err, fmt.Errorf("netns: setns back: %w", e))
	} else {
		runtime.UnlockOSThread()
	}
	if err != nil {
		for _, fd := range []int{a, b} {
			if fd >= 0 {
				unix.Close(fd)
			}
		}
		return -1, -1, err
	}
	return a, b, nil
}

// setUp brings up the namespace's loopback and the veth end name with
// addr, shaped by netem.
func setUp(h *netlink.Handle, name string, addr netip.Addr, netem *Netem) error {
	lo, err := h.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("netns: lo: %w", err)
	}
	if err := h.LinkSetUp(lo); err != nil {
		return fmt.Errorf("netns: set lo up: %w", err)
	}
	link, err := h.LinkByName(name)
	if err != nil {
		return fmt.Errorf("netns: %s: %w", name, err)
	}
	ipnet := &net.IPNet{IP: addr.AsSlice(), Mask: net.CIDRMask(prefix, 32)}
	if err := h.AddrAdd(link, &netlink.Addr{IPNet: ipnet}); err != nil {
		return fmt.Errorf("netns: address %s/%d on %s: %w", addr, prefix, name, err)
	}
	if netem != nil {
		q := netlink.NewNetem(netlink.QdiscAttrs{
			LinkIndex: link.Attrs().Index,
			Handle:    netlink.MakeHandle(1, 0),
			Parent:    netlink.HANDLE_ROOT,
		}, netlink.NetemQdiscAttrs{
			Latency: uint32(netem.Delay / time.Microsecond),
			Rate64:  netem.Rate,
			Limit:   10000,
		})
		if err := h.QdiscAdd(q); err != nil {
			if errors.Is(err, unix.ENOENT) {
				return fmt.Errorf("netns: %w: this kernel has no netem qdisc (tc qdisc add netem on %s: %v; the kernel needs CONFIG_NET_SCH_NETEM)", errors.ErrUnsupported, name, err)
			}
			return fmt.Errorf("netns: netem %s on %s: %w", netem, name, err)
		}
	}
	if err := h.LinkSetUp(link); err != nil {
		return fmt.Errorf("netns: set %s up: %w", name, err)
	}
	return nil
}

// Close releases this process's hold on both namespaces: the kernel
// removes them, with the veth pair and its qdiscs, once no process runs
// in them (the peer must have exited). It is idempotent.
func (v *Veth) Close() error {
	v.Parent.close()
	v.Peer.close()
	return nil
}

// Describe is the link as the config lines give it (DescribeVeth).
func (v *Veth) Describe() string { return DescribeVeth(v.Netem) }

// DescribeVeth is what NewVeth(netem) makes, as the config lines give it,
// e.g. "if=ipcb0 driver=veth mtu=1500 addr=10.213.0.1 peer=10.213.0.2
// netem=delay=1ms".
func DescribeVeth(netem *Netem) string {
	s := fmt.Sprintf("if=%s driver=veth mtu=%d addr=%s peer=%s", ParentIf, vethMTU, ParentAddr, PeerAddr)
	if netem != nil {
		s += " netem=" + strings.ReplaceAll(netem.String(), " ", ",")
	}
	return s
}

// vethMTU is the MTU of both veth ends, Ethernet's.
const vethMTU = 1500

// Holders lists what still refers to the network namespace with inode
// ino: processes and threads running in it ("pid 123", "pid 123 task
// 125") and descriptors of any process that hold it ("pid 123 fd 7").
// A namespace nothing holds is gone. Processes it may not inspect are
// skipped.
func Holders(ino uint64) []string {
	want := "net:[" + strconv.FormatUint(ino, 10) + "]"
	var out []string
	pids, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range pids {
		pid := filepath.Base(p)
		tasks, _ := filepath.Glob(p + "/task/[0-9]*")
		for _, t := range tasks {
			if l, err := os.Readlink(t + "/ns/net"); err == nil && l == want {
				if tid := filepath.Base(t); tid == pid {
					out = append(out, "pid "+pid)
				} else {
					out = append(out, "pid "+pid+" task "+tid)
				}
			}
		}
		fds, _ := filepath.Glob(p + "/fd/[0-9]*")
		for _, fd := range fds {
			if l, err := os.Readlink(fd); err == nil && l == want {
				out = append(out, "pid "+pid+" fd "+filepath.Base(fd))
			}
		}
	}
	return out
}

// RoundTrip measures the link's smallest round trip: n exchanges of one
// byte over a UDP socket in each namespace, the parent's side timing
// them. With netem it is what the shaping achieved (two delays, one per
// direction, plus the stack's own time), for CheckNetem.
func (v *Veth) RoundTrip(n int) (time.Duration, error) {
	var pfd, qfd int = -1, -1
	defer func() {
		for _, fd := range []int{pfd, qfd} {
			if fd >= 0 {
				unix.Close(fd)
			}
		}
	}()
	sock := func(fd *int, local, remote netip.Addr) func() error {
		return func() error {
			s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				return fmt.Errorf("netns: socket: %w", err)
			}
			*fd = s
			if err := unix.Bind(s, &unix.SockaddrInet4{Addr: local.As4(), Port: probePort}); err != nil {
				return fmt.Errorf("netns: bind %s:%d: %w", local, probePort, err)
			}
			tv := unix.NsecToTimeval(int64(time.Second))
			if err := unix.SetsockoptTimeval(s, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
				return fmt.Errorf("netns: SO_RCVTIMEO: %w", err)
			}
			if err := unix.Connect(s, &unix.SockaddrInet4{Addr: remote.As4(), Port: probePort}); err != nil {
				return fmt.Errorf("netns: connect %s:%d: %w", remote, probePort, err)
			}
			return nil
		}
	}
	if err := v.Parent.Do(sock(&pfd, ParentAddr, PeerAddr)); err != nil {
		return 0, err
	}
	if err := v.Peer.Do(sock(&qfd, PeerAddr, ParentAddr)); err != nil {
		return 0, err
	}
	echoed := make(chan error, 1)
	go func() {
		b := make([]byte, 1)
		for range n {
			if _, err := unix.Read(qfd, b); err != nil {
				echoed <- fmt.Errorf("netns: probe echo read: %w", err)
				return
			}
			if _, err := unix.Write(qfd, b); err != nil {
				echoed <- fmt.Errorf("netns: probe echo write: %w", err)
				return
			}
		}
		echoed <- nil
	}()
	best := time.Duration(-1)
	b := []byte{1}
	for range n {
		t0 := time.Now()
		if _, err := unix.Write(pfd, b); err != nil {
			return 0, fmt.Errorf("netns: probe write: %w", err)
		}
		if _, err := unix.Read(pfd, b); err != nil {
			return 0, fmt.Errorf("netns: probe read (no echo within 1 s): %w", err)
		}
		if d := time.Since(t0); best < 0 || d < best {
			best = d
		}
	}
	if err := <-echoed; err != nil {
		return 0, err
	}
	return best, nil
}

// probePort is the UDP port of RoundTrip's sockets: the namespaces are
// the run's own, so no other socket can hold it.
const probePort = 9

// CheckNetem returns the smallest of 20 round trips over a shaped link
// and an error when it is not what netem was asked for: at least two
// delays (one per direction) and at most two delays plus a quarter and
// 2 ms of slack for the stack and the wake-ups.
func (v *Veth) CheckNetem() (time.Duration, error) {
	if v.Netem == nil {
		return 0, errors.New("netns: the link has no netem shaping")
	}
	rt, err := v.RoundTrip(20)
	if err != nil {
		return 0, err
	}
	want := 2 * v.Netem.Delay
	if rt < want || rt > want+want/4+2*time.Millisecond {
		return rt, fmt.Errorf("netns: netem asked for a round trip of %v (delay %v each way); the link gave %v", want, v.Netem.Delay, rt)
	}
	return rt, nil
}

// DescribeAddr describes the interface of this thread's network namespace
// that holds ip, as the config lines give a path: its name, driver (as
// ethtool reports it), MTU and, where the kernel says, the link speed,
// e.g. "if=eth0 driver=virtio_net mtu=1500 speed=10000Mb/s addr=10.0.0.5".
// What cannot be read is left out; an address no interface holds gives
// "addr=<ip> if=unknown".
func DescribeAddr(ip netip.Addr) string {
	ifs, err := net.Interfaces()
	if err != nil {
		return "addr=" + ip.String() + " if=unknown"
	}
	for _, ifc := range ifs {
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			n, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			if got, ok := netip.AddrFromSlice(n.IP); !ok || got.Unmap() != ip.Unmap() {
				continue
			}
			s := "if=" + ifc.Name
			if d := driverOf(ifc.Name); d != "" {
				s += " driver=" + d
			}
			s += " mtu=" + strconv.Itoa(ifc.MTU)
			if b, err := os.ReadFile("/sys/class/net/" + ifc.Name + "/speed"); err == nil {
				if v, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && v > 0 {
					s += " speed=" + strconv.Itoa(v) + "Mb/s"
				}
			}
			return s + " addr=" + ip.String()
		}
	}
	return "addr=" + ip.String() + " if=unknown"
}

// driverOf is the driver of interface name as ethtool reports it, or "".
func driverOf(name string) string {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return ""
	}
	defer unix.Close(fd)
	info, err := unix.IoctlGetEthtoolDrvinfo(fd, name)
	if err != nil {
		return ""
	}
	return unix.ByteSliceToString(info.Driver[:])
}
