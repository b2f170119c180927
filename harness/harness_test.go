package harness_test

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ipcbench/ipcbench/harness"
	"github.com/ipcbench/ipcbench/internal/memcopy"
	"github.com/ipcbench/ipcbench/transports"
	"github.com/ipcbench/ipcbench/transports/transporttest"
	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) { harness.TestMain(m) }

// corruptAt is the message number the test transport's peer side damages
// (byte 9 of the echo: past the sequence number, inside the payload).
const corruptAt = 10

// testConn is a minimal transport for harness tests: a SOCK_SEQPACKET
// socket pair whose peer side corrupts one message.
type testConn struct {
	fd      int
	corrupt bool
	at      int // the byte damaged: 9 if 0
	sent    int
}

func (c *testConn) Send(msg []byte) error {
	at := cmp.Or(c.at, 9)
	if c.corrupt && c.sent == corruptAt && len(msg) > at {
		msg = append([]byte(nil), msg...)
		msg[at] ^= 0xff
	}
	c.sent++
	_, err := unix.Write(c.fd, msg)
	return err
}

func (c *testConn) Recv(buf []byte) (int, error) {
	n, err := unix.Read(c.fd, buf)
	if err == nil && n == 0 {
		return 0, transports.ErrPeerGone
	}
	return n, err
}

func (c *testConn) Close() error { return unix.Close(c.fd) }

type testTransport struct{}

func (testTransport) Create(opts transports.Options) (transports.Conn, transports.Endpoint, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, transports.Endpoint{}, err
	}
	return &testConn{fd: fds[0]}, transports.Endpoint{Files: []*os.File{os.NewFile(uintptr(fds[1]), "peer")}}, nil
}

func (testTransport) Attach(spec transports.Spec, files []*os.File) (transports.Conn, error) {
	fd, err := unix.Dup(int(files[0].Fd()))
	if err != nil {
		return nil, err
	}
	files[0].Close()
	return &testConn{fd: fd, corrupt: true}, nil
}

// pieceAt is the byte the test-pieces transport's parent side damages in
// message corruptAt: in the third memcopy.Piece.
const pieceAt = 2*memcopy.Piece + 100

// pieceConn is a transports.PieceRecver for harness tests: a SOCK_SEQPACKET
// pair whose Recv reads into a scratch buffer and copies it out piece by
// piece. The parent side damages message corruptAt at pieceAt; the peer
// side refuses a plain Recv, so a stream that gets through has been
// checked piece by piece.
type pieceConn struct {
	testConn
	scratch []byte
	peer    bool
}

func (c *pieceConn) Recv(buf []byte) (int, error) {
	if c.peer {
		return 0, errors.New("test-pieces: plain Recv on the peer's side, where RecvPieces was expected")
	}
	return c.testConn.Recv(buf)
}

func (c *pieceConn) RecvPieces(buf []byte, fn func(off int, piece []byte)) (int, error) {
	n, err := c.testConn.Recv(c.scratch)
	if err != nil {
		return 0, err
	}
	if n > len(buf) {
		return 0, fmt.Errorf("test-pieces: %d bytes into %d", n, len(buf))
	}
	return memcopy.CopyPieces(buf, c.scratch[:n], fn), nil
}

type pieceTransport struct{}

const pieceLimit = 16 << 10

func (pieceTransport) Create(opts transports.Options) (transports.Conn, transports.Endpoint, error) {
	c, ep, err := testTransport{}.Create(opts)
	if err != nil {
		return nil, ep, err
	}
	return &pieceConn{testConn: testConn{fd: c.(*testConn).fd, corrupt: true, at: pieceAt}, scratch: make([]byte, pieceLimit)}, ep, nil
}

func (pieceTransport) Attach(spec transports.Spec, files []*os.File) (transports.Conn, error) {
	c, err := testTransport{}.Attach(spec, files)
	if err != nil {
		return nil, err
	}
	return &pieceConn{testConn: testConn{fd: c.(*testConn).fd}, scratch: make([]byte, pieceLimit), peer: true}, nil
}

func init() {
	transports.Register(transports.Info{
		Name: "test-pieces", Family: "other", APIs: []transports.API{transports.Raw},
		Limits: func(transports.API) transports.Limits {
			return transports.Limits{MaxMessage: pieceLimit, Source: "test"}
		},
		New: func() transports.Transport { return pieceTransport{} },
	})
	transports.Register(transports.Info{
		Name: "test-corrupt", Family: "other", APIs: []transports.API{transports.Raw},
		Limits: func(transports.API) transports.Limits { return transports.Limits{MaxMessage: 4096, Source: "test"} },
		New:    func() transports.Transport { return testTransport{} },
	})
	harness.RegisterPeerFunc("test-fail", func(*harness.PeerContext) (any, error) { return nil, errors.New("planned failure") })
	harness.RegisterPeerFunc("test-add", func(pc *harness.PeerContext) (any, error) {
		var xs []int
		if err := jsonDecode(pc.Args, &xs); err != nil {
			return nil, err
		}
		sum := 0
		for _, x := range xs {
			sum += x
		}
		return sum, nil
	})
}

func TestUnknownTransport(t *testing.T) {
	_, err := harness.Start(harness.Config{Transport: "no-such", Size: 64})
	if !errors.Is(err, transports.ErrUnknownTransport) {
		t.Fatalf("got %v, want ErrUnknownTransport", err)
	}
	if !strings.Contains(err.Error(), "test-corrupt") {
		t.Errorf("error %q does not list the valid transports", err)
	}
}

func TestUnsupportedAPI(t *testing.T) {
	_, err := harness.Start(harness.Config{Transport: "test-corrupt", API: transports.Runtime, Size: 64})
	if !errors.Is(err, transports.ErrUnsupportedAPI) || !strings.Contains(err.Error(), "raw") {
		t.Fatalf("got %v, want ErrUnsupportedAPI listing raw", err)
	}
}

func TestSizeOverCapacity(t *testing.T) {
	transporttest.CheckLeaks(t)
	_, err := harness.Start(harness.Config{Transport: "test-corrupt", Size: 8192})
	if !errors.Is(err, transports.ErrMessageTooLarge) || !strings.Contains(err.Error(), "4096") {
		t.Fatalf("got %v, want a limit error naming 4096", err)
	}
}

func TestCorruptionIsCaught(t *testing.T) {
	transporttest.CheckLeaks(t)
	s, err := harness.Start(harness.Config{Transport: "test-corrupt", Size: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Warmup(harness.PingPong, 10*time.Second, 1000)
	var re *harness.RunError
	var ve *harness.VerifyError
	if !errors.As(err, &re) || !errors.As(err, &ve) {
		t.Fatalf("got %v, want a RunError wrapping a VerifyError", err)
	}
	if re.Seq != corruptAt || re.Transport != "test-corrupt" || re.Workload != harness.PingPong || re.Size != 64 {
		t.Errorf("RunError %+v: want message %d of test-corrupt pingpong size 64", re, corruptAt)
	}
	if !strings.Contains(err.Error(), "byte 9") {
		t.Errorf("error %q does not say where the payload differs", err)
	}
}

func TestStreamCorruptionIsCaughtByPeer(t *testing.T) {
	transporttest.CheckLeaks(t)
	// The parent sends intact messages; make the parent side corrupt
	// instead by using the peer's verification: swap roles via a stream,
	// where the peer verifies every byte. The test transport corrupts only
	// what the peer sends, so a stream (peer only receives) passes.
	s, err := harness.Start(harness.Config{Transport: "test-corrupt", Size: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Warmup(harness.Stream, 100*time.Millisecond, 1000); err != nil {
		t.Fatalf("stream over an intact direction failed: %v", err)
	}
}

// TestStreamPieces streams through a PieceRecver: intact messages of sizes
// that end inside a piece and on a piece's edge pass, checked as they are
// copied (the peer refuses a plain Recv), and damage in a later piece of
// message corruptAt is reported with the message and the byte.
func TestStreamPieces(t *testing.T) {
	transporttest.CheckLeaks(t)
	for _, size := range []int{16, pieceAt - 1, memcopy.Piece, 3*memcopy.Piece + 5} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			s, err := harness.Start(harness.Config{Transport: "test-pieces", Size: size})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			err = s.Warmup(harness.Stream, 10*time.Second, 1000)
			if size <= pieceAt {
				if err != nil {
					t.Fatalf("intact stream: %v", err)
				}
				return
			}
			// The peer reports it, and closes its end, so the parent
			// learns it at once rather than from the hang watchdog.
			var re *harness.RunError
			if !errors.As(err, &re) || errors.Is(err, harness.ErrPeerHung) {
				t.Fatalf("got %v, want a RunError with the peer's report", err)
			}
			if want := fmt.Sprintf("peer: test-pieces stream: message %d: payload differs from the pattern at byte %d", corruptAt, pieceAt); !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		})
	}
}

func TestWorkloadSizeMinimum(t *testing.T) {
	transporttest.CheckLeaks(t)
	s, err := harness.Start(harness.Config{Transport: "test-corrupt", Size: 4, MaxMessage: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Warmup(harness.PingPong, time.Second, 10); err == nil || !strings.Contains(err.Error(), "below 8 bytes") {
		t.Fatalf("got %v, want an error about the 8-byte minimum", err)
	}
}

func TestPeerFunc(t *testing.T) {
	transporttest.CheckLeaks(t)
	fs, err := harness.StartFunc("test-add", harness.PinNone, transports.Raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	if err := fs.Begin([]int{1, 2, 39}); err != nil {
		t.Fatal(err)
	}
	var sum int
	if _, _, err := fs.Finish(&sum); err != nil || sum != 42 {
		t.Fatalf("sum %d, err %v; want 42", sum, err)
	}
}

func TestPeerFuncError(t *testing.T) {
	transporttest.CheckLeaks(t)
	fs, err := harness.StartFunc("test-fail", harness.PinNone, transports.Raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	if err := fs.Begin(nil); err != nil {
		t.Fatal(err)
	}
	_, _, err = fs.Finish(nil)
	var pe *harness.PeerError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "planned failure") {
		t.Fatalf("got %v, want a PeerError carrying the function's error", err)
	}
}

func TestUnknownPeerFunc(t *testing.T) {
	transporttest.CheckLeaks(t)
	fs, err := harness.StartFunc("no-such-func", harness.PinNone, transports.Raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	if err := fs.Begin(nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := fs.Finish(nil); err == nil || !strings.Contains(err.Error(), "unknown peer function") {
		t.Fatalf("got %v, want an unknown peer function error", err)
	}
}

func TestPlacement(t *testing.T) {
	same, err := harness.Place(harness.PinSame)
	if err != nil || same.Parent != same.Peer || same.Parent < 0 {
		t.Fatalf("same: %+v, %v", same, err)
	}
	none, _ := harness.Place(harness.PinNone)
	if none.Parent != -1 || none.Peer != -1 {
		t.Fatalf("none: %+v", none)
	}
	split, err := harness.Place(harness.PinSplit)
	if err == nil && split.Parent == split.Peer {
		t.Fatalf("split put both on CPU %d", split.Parent)
	}
	if _, err := harness.ParsePin("diagonal"); err == nil || !strings.Contains(err.Error(), "split, same, none") {
		t.Fatalf("ParsePin: %v", err)
	}
}

func jsonDecode(b []byte, v any) error { return json.Unmarshal(b, v) }

// threadCPUs returns the Cpus_allowed_list of every thread of pid.
func threadCPUs(t *testing.T, pid int) map[string]string {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/task", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range ents {
		b, err := os.ReadFile(dir + "/" + e.Name() + "/status")
		if err != nil {
			continue // the thread exited
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
				out[e.Name()] = strings.TrimSpace(v)
			}
		}
	}
	return out
}

// TestPlacementScopes: with api=runtime a pinned session confines every
// thread of both processes to its CPU, as taskset does, and each runtime
// picks GOMAXPROCS from its mask; with api=raw only the data thread of
// each process is bound and the other threads keep the start mask. Close
// gives the parent its masks and GOMAXPROCS back.
func TestPlacementScopes(t *testing.T) {
	transporttest.CheckLeaks(t)
	pid := os.Getpid()
	startCPUs := threadCPUs(t, pid)[fmt.Sprint(pid)]
	startProcs := runtime.GOMAXPROCS(0)
	for _, pin := range []harness.Pin{harness.PinSplit, harness.PinSame} {
		pl, err := harness.Place(pin)
		if err != nil {
			t.Logf("pin=%s: %v", pin, err)
			continue
		}
		for _, api := range []transports.API{transports.Raw, transports.Runtime} {
			t.Run(fmt.Sprintf("pin=%s/api=%s", pin, api), func(t *testing.T) {
				s, err := harness.Start(harness.Config{Transport: "pipe", API: api, Pin: pin, Size: 64})
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				if err := s.Warmup(harness.PingPong, time.Second, 100); err != nil {
					t.Fatal(err)
				}
				dataTID := map[int]string{pid: fmt.Sprint(unix.Gettid()), s.Peer().PID(): fmt.Sprint(s.PeerTID())}
				for side, want := range map[int]int{pid: pl.Parent, s.Peer().PID(): pl.Peer} {
					threads := threadCPUs(t, side)
					if got := threads[dataTID[side]]; api == transports.Raw && got != fmt.Sprint(want) {
						t.Errorf("process %d: data thread %s runs on CPUs %q, want %d", side, dataTID[side], got, want)
					}
					for tid, got := range threads {
						switch {
						case api == transports.Runtime && got != fmt.Sprint(want):
							t.Errorf("process %d thread %s runs on CPUs %s, want %d", side, tid, got, want)
						case api == transports.Raw && tid != dataTID[side] && got != startCPUs:
							t.Errorf("process %d: thread %s (not the data thread) runs on CPUs %s, want %s", side, tid, got, startCPUs)
						}
					}
				}
				wantProcs := startProcs
				if api == transports.Runtime {
					wantProcs = 1
				}
				if os.Getenv("GOMAXPROCS") == "" {
					if got := runtime.GOMAXPROCS(0); got != wantProcs {
						t.Errorf("parent GOMAXPROCS %d, want %d", got, wantProcs)
					}
					if got := s.PeerProcs(); got != wantProcs {
						t.Errorf("peer GOMAXPROCS %d, want %d", got, wantProcs)
					}
				}
				s.Close()
				for tid, got := range threadCPUs(t, pid) {
					if got != startCPUs {
						t.Errorf("after Close thread %s runs on CPUs %s, want %s", tid, got, startCPUs)
					}
				}
				if got := runtime.GOMAXPROCS(0); got != startProcs {
					t.Errorf("after Close GOMAXPROCS %d, want %d", got, startProcs)
				}
			})
		}
	}
}

// TestPlacementOneAtATime: a process has one placement at a time; a
// second session that needs another CPU fails cleanly and leaves the
// first one working.
func TestPlacementOneAtATime(t *testing.T) {
	transporttest.CheckLeaks(t)
	split, err := harness.Place(harness.PinSplit)
	if err != nil {
		t.Skip(err)
	}
	same, _ := harness.Place(harness.PinSame)
	if split.Parent == same.Parent {
		t.Skip("split and same put the parent on one CPU")
	}
	a, err := harness.Start(harness.Config{Transport: "pipe", API: transports.Runtime, Pin: harness.PinSplit, Size: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := harness.Start(harness.Config{Transport: "pipe", API: transports.Runtime, Pin: harness.PinSame, Size: 64})
	if err == nil {
		b.Close()
		t.Fatal("a second placement started while the first was confined")
	}
	if !strings.Contains(err.Error(), "one placement at a time") {
		t.Fatalf("got %v, want an error naming the rule", err)
	}
	if err := a.Warmup(harness.PingPong, time.Second, 100); err != nil {
		t.Fatalf("the first session after the refused second: %v", err)
	}
}
