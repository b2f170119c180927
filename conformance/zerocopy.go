package conformance

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/ipcbench/ipcbench/harness"
	"github.com/ipcbench/ipcbench/transports"
	"github.com/ipcbench/ipcbench/transports/transporttest"
)

// testZeroCopy is the conformance suite's zero-copy part, for transports
// whose api=zerocopy Conn implements transports.ZeroCopyConn. The peer
// process echoes through the zero-copy path too (View, Borrow, copy,
// Commit, Release), so every message here is written in place by one
// process and read in place by the other. It checks delivery and integrity
// at 0 B, 1 B, 64 B, 4 KiB and the limit; ordering and boundaries with
// several messages in flight, commits shorter than their borrow, and the
// copying and in-place paths mixed message by message; the harness's
// zero-copy ping-pong and stream workloads (every byte verified in place);
// that misuse fails with ErrZeroCopyMisuse and leaves the channel working;
// and that nothing is left behind.
func testZeroCopy(t *testing.T, name string, api transports.API, lim transports.Limits) {
	t.Run("delivery", func(t *testing.T) {
		transporttest.CheckLeaks(t)
		s := start(t, harness.Config{Transport: name, API: api, MaxMessage: lim.MaxMessage, Size: min(lim.MaxMessage, 64)})
		zc := zeroCopyConn(t, s)
		r := rand.New(rand.NewPCG(7, 8))
		var msgs [][]byte
		for _, n := range append([]int{0}, sizesUpTo(lim.MaxMessage, 1, 64, 4096)...) {
			msgs = append(msgs, randomMessage(r, n))
		}
		zcEchoAll(t, s, zc, msgs, 1, func(int) mode { return mode{} })
	})
	t.Run("ordering", func(t *testing.T) {
		transporttest.CheckLeaks(t)
		capacity := min(lim.MaxMessage, 8192)
		s := start(t, harness.Config{Transport: name, API: api, MaxMessage: capacity, Size: min(capacity, 64)})
		zc := zeroCopyConn(t, s)
		msgs := mixedMessages(rand.New(rand.NewPCG(9, 10)), capacity)
		// In place by default; every third message sent by copying,
		// every fifth received by copying, every seventh borrowed at
		// the full capacity and committed shorter.
		zcEchoAll(t, s, zc, msgs, 4, func(i int) mode {
			return mode{sendCopy: i%3 == 1, recvCopy: i%5 == 2, borrowMax: i%7 == 3}
		})
	})
	t.Run("workloads", func(t *testing.T) {
		transporttest.CheckLeaks(t)
		for _, size := range sizesUpTo(min(lim.MaxMessage, 1<<20), harness.MinWorkloadSize, 64, 4096, 65536) {
			s := start(t, harness.Config{Transport: name, API: api, Size: size})
			zeroCopyConn(t, s)
			for _, wl := range []string{harness.PingPong, harness.Stream} {
				res, err := s.RunCount(wl, 300, maxDuration)
				if err != nil {
					t.Fatalf("size %d: %s: %v", size, wl, err)
				}
				if res.Ops == 0 {
					t.Fatalf("size %d: %s did nothing", size, wl)
				}
			}
			s.Close()
		}
	})
	t.Run("misuse", func(t *testing.T) {
		transporttest.CheckLeaks(t)
		s := start(t, harness.Config{Transport: name, API: api, MaxMessage: 4096, Size: 64})
		zc := zeroCopyConn(t, s)
		misuse := func(what string, err error) {
			t.Helper()
			if !errors.Is(err, transports.ErrZeroCopyMisuse) {
				t.Errorf("%s: %v, want an error wrapping ErrZeroCopyMisuse", what, err)
			}
		}
		misuse("commit without a borrow", zc.Commit(1))
		misuse("release without a view", zc.Release())
		if _, err := zc.Borrow(4097); !errors.Is(err, transports.ErrMessageTooLarge) {
			t.Errorf("borrow over the capacity: %v, want ErrMessageTooLarge", err)
		}
		b, err := zc.Borrow(64)
		if err != nil {
			t.Fatal(err)
		}
		_, err = zc.Borrow(64)
		misuse("borrow while a borrow is open", err)
		misuse("send while a borrow is open", zc.Send(make([]byte, 8)))
		misuse("commit of more than was borrowed", zc.Commit(65))
		// The open borrow survives the refused calls.
		msg := randomMessage(rand.New(rand.NewPCG(11, 12)), 64)
		copy(b, msg)
		if err := s.Begin("echo", 2); err != nil {
			t.Fatal(err)
		}
		if err := zc.Commit(64); err != nil {
			t.Fatal(err)
		}
		misuse("second commit", zc.Commit(64))
		v, err := zc.View()
		if err != nil {
			t.Fatal(err)
		}
		_, err = zc.View()
		misuse("view while a view is open", err)
		_, err = zc.Recv(make([]byte, 4096))
		misuse("recv while a view is open", err)
		if !bytes.Equal(v, msg) {
			t.Fatalf("echo differs at byte %d", firstDiff(v, msg))
		}
		if err := zc.Release(); err != nil {
			t.Fatal(err)
		}
		misuse("second release", zc.Release())
		// The channel still works, both ways.
		if err := zc.Send(msg); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 4096)
		n, err := zc.Recv(buf)
		if err != nil || !bytes.Equal(buf[:n], msg) {
			t.Fatalf("copying echo after misuse: %d bytes, %v", n, err)
		}
		if rep, err := s.Finish("echo"); err != nil || rep.Received != 2 {
			t.Fatalf("peer: %+v, %v", rep, err)
		}
	})
}

// maxDuration bounds a RunCount: the count ends it first.
const maxDuration = 1 << 62

func zeroCopyConn(t *testing.T, s *harness.Session) transports.ZeroCopyConn {
	t.Helper()
	zc, ok := s.Conn().(transports.ZeroCopyConn)
	if !ok {
		t.Fatalf("%s api=%s: Conn %T does not implement transports.ZeroCopyConn", s.Config().Transport, s.Config().API, s.Conn())
	}
	return zc
}

// mode says how one message of zcEchoAll travels on the parent's side.
type mode struct {
	sendCopy  bool // Send instead of Borrow/Commit
	recvCopy  bool // Recv instead of View/Release
	borrowMax bool // borrow the channel's capacity, commit the message
}

// zcEchoAll is echoAll through the zero-copy path, message by message as
// how says, with up to depth messages in flight.
func zcEchoAll(t *testing.T, s *harness.Session, zc transports.ZeroCopyConn, msgs [][]byte, depth int, how func(int) mode) {
	t.Helper()
	if err := s.Begin("echo", len(msgs)); err != nil {
		t.Fatal(err)
	}
	capacity := s.Config().MaxMessage
	buf := make([]byte, capacity)
	sent, got := 0, 0
	for got < len(msgs) {
		for sent < len(msgs) && sent-got < depth {
			m, msg := how(sent), msgs[sent]
			if m.sendCopy {
				if err := zc.Send(msg); err != nil {
					t.Fatalf("send message %d (%d bytes): %v", sent, len(msg), err)
				}
			} else {
				n := len(msg)
				if m.borrowMax {
					n = capacity
				}
				b, err := zc.Borrow(n)
				if err != nil {
					t.Fatalf("borrow for message %d (%d bytes): %v", sent, n, err)
				}
				if len(b) != n {
					t.Fatalf("borrow of %d bytes returned %d", n, len(b))
				}
				copy(b, msg)
				if err := zc.Commit(len(msg)); err != nil {
					t.Fatalf("commit message %d (%d bytes): %v", sent, len(msg), err)
				}
			}
			sent++
		}
		want := msgs[got]
		if how(got).recvCopy {
			n, err := zc.Recv(buf)
			if err != nil {
				t.Fatalf("recv echo of message %d: %v", got, err)
			}
			checkEcho(t, got, buf[:n], want)
		} else {
			v, err := zc.View()
			if err != nil {
				t.Fatalf("view echo of message %d: %v", got, err)
			}
			checkEcho(t, got, v, want)
			if err := zc.Release(); err != nil {
				t.Fatalf("release echo of message %d: %v", got, err)
			}
		}
		got++
	}
	finishEcho(t, s, len(msgs))
}
