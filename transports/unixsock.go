package transports

// unix-stream, unix-dgram, unix-seqpacket: a pair of connected Unix domain
// sockets made by socketpair(AF_UNIX, type|SOCK_CLOEXEC). The parent keeps
// one end, the peer inherits the other (Endpoint.Files[0]). Each message
// is copied twice: into a socket buffer (skb) by the sender, out of it by
// the receiver.
//
//   - unix-stream is a byte stream: messages are framed (internal/frame).
//   - unix-dgram and unix-seqpacket keep boundaries themselves: one send is
//     one datagram. The largest one is bounded by the sender's socket
//     buffer (the kernel refuses len > sk_sndbuf - 32 with EMSGSIZE, and
//     sk_sndbuf is twice the SO_SNDBUF value, capped by
//     /proc/sys/net/core/wmem_max unless root uses SO_SNDBUFFORCE) and by
//     the largest buffer one skb can get (a 4 MiB contiguous allocation
//     plus 17 pages). Create makes the buffers as large as allowed and
//     Limits reports the result, checked once per process by sending a
//     datagram of exactly that size. A connected unix-dgram sender blocks
//     while the receiver's queue holds /proc/sys/net/unix/max_dgram_qlen
//     datagrams: nothing is lost.
//
// A unix-dgram socket sees no end of file when its peer dies (a Send
// then fails with ECONNREFUSED, reported as ErrPeerGone), so its Conn is an
// Interrupter. On unix-seqpacket a zero-length read means end of file, so
// Send refuses empty messages there.
//
// Cleanup: the sockets have no name; closing the descriptors frees them.

import (
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/ipcbench/ipcbench/transports/internal/frame"
)

type unixSockType struct {
	name string
	typ  int
	doc  string
}

var unixSockTypes = []unixSockType{
	{"unix-stream", unix.SOCK_STREAM, "socketpair(AF_UNIX, SOCK_STREAM), length-prefixed framing"},
	{"unix-dgram", unix.SOCK_DGRAM, "socketpair(AF_UNIX, SOCK_DGRAM), one datagram per message"},
	{"unix-seqpacket", unix.SOCK_SEQPACKET, "socketpair(AF_UNIX, SOCK_SEQPACKET), one record per message"},
}

// unixSockInfos holds the registered Info of each type, by index.
var unixSockInfos [3]Info

func init() {
	for i, t := range unixSockTypes {
		i, t := i, t
		unixSockInfos[i] = Info{
			Name:   t.name,
			Family: "socket",
			Wait:   WaitSleep,
			Order:  1 + i, // in unixSockTypes order, before tcp and udp
			Doc:    t.doc,
			APIs:   []API{Raw, Runtime},
			Limits: func(API) Limits { return unixSockLimits(t.typ) },
			New:    func() Transport { return unixSock{i: i} },
		}
		Register(unixSockInfos[i])
	}
}

type unixSock struct{ i int }

var _ Transport = unixSock{}

// Create makes the socket pair. Files: [0] the peer's socket.
func (u unixSock) Create(opts Options) (Conn, Endpoint, error) {
	info, typ := unixSockInfos[u.i], unixSockTypes[u.i].typ
	cfg, err := resolveCreate(info, opts)
	if err != nil {
		return nil, Endpoint{}, err
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, Endpoint{}, fmt.Errorf("%s: create: %w", cfg.name, os.NewSyscallError("socketpair", err))
	}
	if typ != unix.SOCK_STREAM {
		for _, fd := range fds {
			growSockBuffers(fd)
		}
	}
	return handOver(cfg, typ, fds[0], fds[1])
}

// Attach takes the inherited socket. It owns (and closes) files.
func (u unixSock) Attach(spec Spec, files []*os.File) (Conn, error) {
	return attachInherited(unixSockInfos[u.i], spec, files, unixSockTypes[u.i].typ)
}

// sockBufWant is the SO_SNDBUF/SO_RCVBUF value asked for datagram
// sockets: the kernel doubles it, so the send buffer holds two of the
// largest datagrams a skb can carry, with room to spare.
const sockBufWant = 8 << 20

// growSockBuffers makes fd's buffers as large as allowed: SO_*BUFFORCE as
// root (CAP_NET_ADMIN), else SO_*BUF, which the kernel caps at
// net.core.wmem_max / rmem_max. Errors leave the defaults, which Limits
// then reports.
func growSockBuffers(fd int) (forced bool) {
	forced = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, sockBufWant) == nil
	if !forced {
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, sockBufWant)
	}
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, sockBufWant) != nil {
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, sockBufWant)
	}
	return forced
}

var unixSockLimitCache sync.Map // socket type → Limits

// unixSockLimits reports the largest message for a socket type: the
// framing limit for a stream, the probed datagram limit otherwise.
func unixSockLimits(typ int) Limits {
	if typ == unix.SOCK_STREAM {
		return Limits{MaxMessage: frame.MaxMessage, Source: frameLimitSource}
	}
	if l, ok := unixSockLimitCache.Load(typ); ok {
		return l.(Limits)
	}
	l := probeDgramLimit(typ)
	unixSockLimitCache.Store(typ, l)
	return l
}

// skbAllocLimit is the largest datagram one skb can carry on Linux: a
// linear part of at most PAGE_SIZE<<MAX_PAGE_ORDER (4 MiB) less
// skb_shared_info (320 bytes), plus MAX_SKB_FRAGS (17) page fragments.
// probeDgramLimit checks it on the running kernel.
func skbAllocLimit() int {
	pg := os.Getpagesize()
	return pg<<10 - 320 + 17*pg
}

// probeDgramLimit makes a socket pair as Create does, reads the send
// buffer the kernel granted, and checks by sending that the computed
// limit holds: a datagram of exactly that size goes through. If it does
// not (another kernel configuration), it searches for the largest that
// does.
func probeDgramLimit(typ int) Limits {
	wmemMax := readSysctlInt("/proc/sys/net/core/wmem_max")
	fds, err := unix.Socketpair(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return Limits{MaxMessage: 0, Source: fmt.Sprintf("socketpair failed: %v", err)}
	}
	defer closeFDs(fds[:]...)
	var forced bool
	for _, fd := range fds {
		forced = growSockBuffers(fd)
	}
	sndbuf, err := unix.GetsockoptInt(fds[0], unix.SOL_SOCKET, unix.SO_SNDBUF)
	if err != nil {
		return Limits{MaxMessage: 0, Source: fmt.Sprintf("getsockopt(SO_SNDBUF) failed: %v", err)}
	}
	bySndbuf, bySkb := sndbuf-32, skbAllocLimit()
	max := min(bySndbuf, bySkb)
	buf := make([]byte, max+1)
	sends := func(n int) bool {
		if _, err := unix.Write(fds[0], buf[:n]); err != nil {
			return false
		}
		unix.Read(fds[1], buf[:1]) // drop it (the rest is truncated)
		return true
	}
	if !sends(max) {
		lo, hi := 0, max-1 // lo always sends
		for lo < hi {
			m := (lo + hi + 1) / 2
			if sends(m) {
				lo = m
			} else {
				hi = m - 1
			}
		}
		max = lo
	}
	var how string
	if forced {
		how = fmt.Sprintf("SO_SNDBUFFORCE as root: %d, granted %d", sockBufWant, sndbuf)
	} else {
		how = fmt.Sprintf("SO_SNDBUF %d capped by /proc/sys/net/core/wmem_max=%d, granted %d; root raises it with SO_SNDBUFFORCE", sockBufWant, wmemMax, sndbuf)
	}
	src := fmt.Sprintf("send buffer less 32 bytes (%s)", how)
	if bySkb < bySndbuf {
		src = fmt.Sprintf("largest skb: 4 MiB contiguous allocation less 320 + 17 pages (send buffer allows %d: %s)", bySndbuf, how)
	}
	if max != min(bySndbuf, bySkb) {
		src = fmt.Sprintf("largest datagram this kernel accepted when probed (computed %d from the %s)", min(bySndbuf, bySkb), src)
	}
	return Limits{MaxMessage: max, Source: src}
}

// readSysctlInt reads an integer from a /proc/sys file, -1 if it cannot.
func readSysctlInt(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return -1
	}
	var n int
	if _, err := fmt.Sscan(string(b), &n); err != nil {
		return -1
	}
	return n
}
