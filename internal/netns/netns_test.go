package netns

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"
)

func newVeth(t *testing.T, netem *Netem) *Veth {
	t.Helper()
	if err := Available(); err != nil {
		if !errors.Is(err, errors.ErrUnsupported) {
			t.Fatalf("Available: %v does not wrap ErrUnsupported", err)
		}
		t.Skip(err)
	}
	v, err := NewVeth(netem)
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// inodes returns both namespaces' inodes.
func inodes(t *testing.T, v *Veth) []uint64 {
	t.Helper()
	var out []uint64
	for _, n := range []*NS{&v.Parent, &v.Peer} {
		ino, err := n.Inode()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ino)
	}
	return out
}

// TestVethCarriesTraffic: a round trip between the namespaces crosses the
// veth pair (its packet counters grow), the two namespaces are new ones,
// and after Close nothing holds either.
func TestVethCarriesTraffic(t *testing.T) {
	v := newVeth(t, nil)
	defer v.Close()
	inos := inodes(t, v)
	self, err := vnetns.Get()
	if err != nil {
		t.Fatal(err)
	}
	var st [2]uint64
	var selfIno uint64
	{
		ns := NS{int(self)}
		selfIno, _ = ns.Inode()
		self.Close()
	}
	if inos[0] == inos[1] || inos[0] == selfIno || inos[1] == selfIno {
		t.Fatalf("namespaces %v and this process's %d are not three", inos, selfIno)
	}
	packets := func() uint64 {
		h, err := netlink.NewHandleAt(vnetns.NsHandle(v.Parent.Fd()))
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		l, err := h.LinkByName(ParentIf)
		if err != nil {
			t.Fatal(err)
		}
		return l.Attrs().Statistics.RxPackets
	}
	st[0] = packets()
	rt, err := v.RoundTrip(5)
	if err != nil {
		t.Fatal(err)
	}
	st[1] = packets()
	if st[1] < st[0]+5 {
		t.Errorf("%s received %d packets during 5 round trips, want >= 5", ParentIf, st[1]-st[0])
	}
	if rt <= 0 || rt > time.Second {
		t.Errorf("round trip %v", rt)
	}
	if h := Holders(inos[0]); len(h) == 0 {
		t.Errorf("Holders of the open parent namespace: none, want this process's descriptor")
	}
	v.Close()
	v.Close()
	for _, ino := range inos {
		if h := Holders(ino); len(h) != 0 {
			t.Errorf("namespace %d still held after Close: %v", ino, h)
		}
	}
}

// TestNetemDelay: a shaped link delays a round trip by the two delays
// asked for, and CheckNetem says so; an unshaped one is refused by
// CheckNetem. A kernel without netem makes NewVeth fail as unsupported,
// naming it, and leaves both namespaces to go.
func TestNetemDelay(t *testing.T) {
	if _, err := NewVeth(&Netem{Delay: -time.Millisecond}); err == nil {
		t.Error("NewVeth with a negative delay: no error")
	}
	plain := newVeth(t, nil)
	defer plain.Close()
	if _, err := plain.CheckNetem(); err == nil {
		t.Error("CheckNetem on an unshaped link: no error")
	}
	avail := NetemAvailable()
	v, err := NewVeth(&Netem{Delay: 5 * time.Millisecond})
	if (err == nil) != (avail == nil) {
		t.Fatalf("NetemAvailable says %v, NewVeth with netem %v", avail, err)
	}
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	rt, err := v.CheckNetem()
	if err != nil {
		t.Fatal(err)
	}
	if rt < 10*time.Millisecond {
		t.Errorf("round trip %v under netem delay 5ms each way", rt)
	}
}

// TestDoRunsInNamespace: a socket made in Do belongs to the namespace, and
// the thread is back in this process's namespace afterwards.
func TestDoRunsInNamespace(t *testing.T) {
	v := newVeth(t, nil)
	defer v.Close()
	want, _ := v.Peer.Inode()
	var got uint64
	if err := v.Peer.Do(func() error {
		h, err := vnetns.Get()
		if err != nil {
			return err
		}
		defer h.Close()
		ns := NS{int(h)}
		got, err = ns.Inode()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("Do ran in namespace %d, want %d", got, want)
	}
	sentinel := errors.New("f failed")
	if err := v.Peer.Do(func() error { return sentinel }); !errors.Is(err, sentinel) {
		t.Errorf("Do returned %v, want f's error", err)
	}
}

// TestDescribeAddr: the parent's end of a veth is described as a veth
// with its MTU, from inside its namespace; an address nobody holds says so.
func TestDescribeAddr(t *testing.T) {
	v := newVeth(t, nil)
	defer v.Close()
	var got string
	if err := v.Parent.Do(func() error { got = DescribeAddr(ParentAddr); return nil }); err != nil {
		t.Fatal(err)
	}
	if want := "if=" + ParentIf + " driver=veth mtu=1500"; !strings.HasPrefix(got, want) || !strings.HasSuffix(got, "addr="+ParentAddr.String()) {
		t.Errorf("DescribeAddr(%s) in the parent's namespace = %q, want %q… addr=%s", ParentAddr, got, want, ParentAddr)
	}
	if got := DescribeAddr(netip.MustParseAddr("192.0.2.77")); got != "addr=192.0.2.77 if=unknown" {
		t.Errorf("DescribeAddr of an address nobody holds = %q", got)
	}
}
