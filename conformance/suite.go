// Package conformance is the conformance suite that every registered
// transport and API runs through a real peer process started by the
// harness: delivery, integrity, ordering, the message-size limit, a killed
// or stopped peer, the zero-copy path, and nothing left behind. It sits
// above the harness so that the transport layer (transports/...) needs no
// process management; in-process helpers for transport tests (Pair, the
// leak checker) are in transports/transporttest.
package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipcbench/ipcbench/harness"
	"github.com/ipcbench/ipcbench/internal/netns"
	"github.com/ipcbench/ipcbench/transports"
	"github.com/ipcbench/ipcbench/transports/transporttest"
)

// RunAll runs the conformance suite for every registered transport and
// API, each as a subtest "transport=<name>/api=<api>", and for the
// transports with a network path (transports.Info.Net) also over a veth
// pair between two network namespaces ("…/path=veth").
func RunAll(t *testing.T) {
	for _, name := range transports.Names() {
		info, _ := transports.Lookup(name)
		for _, api := range info.APIs {
			t.Run(fmt.Sprintf("transport=%s/api=%s", name, api), func(t *testing.T) { Run(t, name, api) })
			if info.Net {
				t.Run(fmt.Sprintf("transport=%s/api=%s/path=veth", name, api), func(t *testing.T) { RunPath(t, name, api, harness.PathVeth) })
			}
		}
	}
}

// Run is the conformance suite for one transport and API, through a real
// peer process started by the harness. It checks delivery and integrity at
// 1 B, 64 B, 4 KiB and the limit; ordering and boundaries of mixed sizes;
// that one byte over the limit fails naming the limit; that a killed or
// stopped peer ends a workload with an error within seconds; and that
// nothing is left behind after each part.
func Run(t *testing.T, name string, api transports.API) {
	RunPath(t, name, api, harness.PathLoopback)
}

// RunPath is Run over a network path (harness.Path) of a socket
// transport; after each part, the path's namespaces must be gone too.
func RunPath(t *testing.T, name string, api transports.API, path harness.Path) {
	base := harness.Config{Transport: name, API: api, Path: path}
	info, err := transports.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	lim := info.Limits(api)
	if lim.MaxMessage <= 0 {
		t.Skipf("%s api=%s carries no payload: %s", name, api, lim.Source)
	}
	t.Run("delivery", func(t *testing.T) { testDelivery(t, base, lim) })
	t.Run("ordering", func(t *testing.T) { testOrdering(t, base, lim) })
	t.Run("limit", func(t *testing.T) { testLimit(t, base, lim) })
	if api == transports.ZeroCopy {
		t.Run("zerocopy", func(t *testing.T) { testZeroCopy(t, name, api, lim) }) // zerocopy.go
	}
	if lim.MaxMessage >= harness.MinWorkloadSize {
		for _, w := range []string{harness.PingPong, harness.Stream} {
			t.Run("peer-killed/workload="+w, func(t *testing.T) { testPeerFault(t, base, w, syscall.SIGKILL) })
			t.Run("peer-stopped/workload="+w, func(t *testing.T) { testPeerFault(t, base, w, syscall.SIGSTOP) })
		}
	}
}

// start opens a session or skips the test when the mechanism is not
// available here (errors.ErrUnsupported), with the reason. Its cleanup
// closes the session and checks that nothing holds the namespaces of its
// network path any more.
func start(t *testing.T, cfg harness.Config) *harness.Session {
	t.Helper()
	s, err := harness.Start(cfg)
	if err != nil {
		if errors.Is(err, errors.ErrUnsupported) {
			t.Skipf("%s: not available here: %v", cfg.Transport, err)
		}
		t.Fatalf("start %s api=%s: %v", cfg.Transport, cfg.API, err)
	}
	inodes := s.PathNamespaces()
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		for _, ino := range inodes {
			if h := netns.Holders(ino); len(h) > 0 {
				t.Errorf("network namespace net:[%d] of path=%s still held after Close: %v", ino, cfg.Path, h)
			}
		}
	})
	return s
}

// with is base (transport, api, path) with the sizes of a part.
func with(base harness.Config, maxMessage, size int) harness.Config {
	base.MaxMessage, base.Size = maxMessage, size
	return base
}

func randomMessage(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// echoAll sends each message and checks that its echo comes back intact,
// keeping up to depth messages in flight.
func echoAll(t *testing.T, s *harness.Session, msgs [][]byte, depth int) {
	t.Helper()
	if err := s.Begin("echo", len(msgs)); err != nil {
		t.Fatal(err)
	}
	c := s.Conn()
	buf := make([]byte, s.Config().MaxMessage)
	sent, got := 0, 0
	for got < len(msgs) {
		for sent < len(msgs) && sent-got < depth {
			if err := c.Send(msgs[sent]); err != nil {
				t.Fatalf("send message %d (%d bytes): %v", sent, len(msgs[sent]), err)
			}
			sent++
		}
		n, err := c.Recv(buf)
		if err != nil {
			t.Fatalf("recv echo of message %d: %v", got, err)
		}
		checkEcho(t, got, buf[:n], msgs[got])
		got++
	}
	finishEcho(t, s, len(msgs))
}

// checkEcho fails t unless echo, the echo of message i, equals want.
func checkEcho(t *testing.T, i int, echo, want []byte) {
	t.Helper()
	if !bytes.Equal(echo, want) {
		t.Fatalf("echo of message %d: got %d bytes, want %d (first difference at %d)", i, len(echo), len(want), firstDiff(echo, want))
	}
}

// finishEcho ends an echo workload and checks that the peer received n
// messages.
func finishEcho(t *testing.T, s *harness.Session, n int) {
	t.Helper()
	rep, err := s.Finish("echo")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Received != int64(n) {
		t.Fatalf("peer received %d messages, want %d", rep.Received, n)
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func sizesUpTo(limit int, sizes ...int) []int {
	var out []int
	for _, s := range sizes {
		if s < limit {
			out = append(out, s)
		}
	}
	return append(out, limit)
}

func testDelivery(t *testing.T, base harness.Config, lim transports.Limits) {
	transporttest.CheckLeaks(t)
	s := start(t, with(base, lim.MaxMessage, min(lim.MaxMessage, 64)))
	r := rand.New(rand.NewPCG(1, 2))
	var msgs [][]byte
	for _, n := range sizesUpTo(lim.MaxMessage, 1, 64, 4096) {
		msgs = append(msgs, randomMessage(r, n))
	}
	echoAll(t, s, msgs, 1)
}

func testOrdering(t *testing.T, base harness.Config, lim transports.Limits) {
	transporttest.CheckLeaks(t)
	capacity := min(lim.MaxMessage, 8192)
	s := start(t, with(base, capacity, min(capacity, 64)))
	echoAll(t, s, mixedMessages(rand.New(rand.NewPCG(3, 4)), capacity), 4)
}

// mixedMessages are 500 messages of mixed sizes up to capacity, to send
// back to back: boundaries must be kept, order too. Each starts with its
// index where it has room.
func mixedMessages(r *rand.Rand, capacity int) [][]byte {
	msgs := make([][]byte, 500)
	for i := range msgs {
		n := 1 + r.IntN(min(capacity, 600))
		if i%50 == 0 {
			n = capacity
		}
		msgs[i] = randomMessage(r, n)
		if n >= 2 {
			msgs[i][0], msgs[i][1] = byte(i), byte(i>>8)
		}
	}
	return msgs
}

func testLimit(t *testing.T, base harness.Config, lim transports.Limits) {
	transporttest.CheckLeaks(t)
	s := start(t, with(base, lim.MaxMessage, min(lim.MaxMessage, 64)))
	over := make([]byte, lim.MaxMessage+1)
	err := s.Conn().Send(over)
	if !errors.Is(err, transports.ErrMessageTooLarge) {
		t.Fatalf("send of %d bytes (limit %d): got %v, want an error wrapping ErrMessageTooLarge", len(over), lim.MaxMessage, err)
	}
	var le *transports.LimitError
	if !errors.As(err, &le) || le.Max != lim.MaxMessage || le.Source == "" {
		t.Fatalf("send over the limit: %v: want a *LimitError naming max %d and its source", err, lim.MaxMessage)
	}
	if !strings.Contains(err.Error(), fmt.Sprint(lim.MaxMessage)) {
		t.Fatalf("error %q does not name the limit %d", err, lim.MaxMessage)
	}
	// The channel still works after a refused send, at exactly the limit.
	echoAll(t, s, [][]byte{randomMessage(rand.New(rand.NewPCG(5, 6)), lim.MaxMessage)}, 1)
}

// testPeerFault runs a workload (ping-pong or stream) and kills (SIGKILL)
// or stops (SIGSTOP) the peer in the middle: the workload must end with an
// error that names the transport and the message within a few seconds.
func testPeerFault(t *testing.T, base harness.Config, workload string, sig syscall.Signal) {
	transporttest.CheckLeaks(t)
	const hang = 700 * time.Millisecond
	name := base.Transport
	cfg := with(base, 0, harness.MinWorkloadSize)
	cfg.HangTimeout = hang
	s := start(t, cfg)
	timer := time.AfterFunc(100*time.Millisecond, func() { s.Peer().Signal(sig) })
	defer timer.Stop()
	begin := time.Now()
	err := s.Warmup(workload, time.Minute, 1<<40)
	took := time.Since(begin)
	if err == nil {
		t.Fatalf("ping-pong went on for %v after the peer got %v", took, sig)
	}
	var re *harness.RunError
	if !errors.As(err, &re) || re.Transport != name {
		t.Fatalf("error %v: want a *harness.RunError naming transport %s", err, name)
	}
	if limit := 100*time.Millisecond + hang + 5*time.Second; took > limit {
		t.Errorf("the failure took %v to surface (limit %v)", took, limit)
	}
	want := harness.ErrPeerDied
	if sig == syscall.SIGSTOP {
		want = harness.ErrPeerHung
	}
	if !errors.Is(err, want) && !errors.Is(err, transports.ErrPeerGone) && !errors.Is(err, transports.ErrInterrupted) {
		t.Errorf("error %v: want it to wrap %v (or the transport's peer-gone error)", err, want)
	}
	t.Logf("after %v: %v", took.Round(time.Millisecond), firstLine(err.Error()))
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
