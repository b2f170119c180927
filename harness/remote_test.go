package harness

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/iotest"
	"time"

	"github.com/ipcbench/ipcbench/transports"
	"github.com/ipcbench/ipcbench/transports/transporttest"
	"golang.org/x/sys/unix"
)

// The peer functions of the remote tests: the test binary is the peer
// binary, so the remote peers ServePeers starts have them too.
func init() {
	RegisterPeerFunc("remote-test-echo", func(pc *PeerContext) (any, error) {
		return remoteEcho{Args: pc.Args, PID: os.Getpid(), Files: len(pc.Files)}, nil
	})
	RegisterPeerFunc("remote-test-block", func(pc *PeerContext) (any, error) {
		if err := pc.Send(os.Getpid()); err != nil {
			return nil, err
		}
		time.Sleep(time.Hour) // until killed
		return nil, nil
	})
	RegisterPeerFunc("remote-test-exit", func(pc *PeerContext) (any, error) {
		fmt.Fprintln(os.Stderr, "remote-test-exit: bye")
		os.Exit(3)
		return nil, nil
	})
}

type remoteEcho struct {
	Args  json.RawMessage
	PID   int
	Files int
}

// testServer is a ServePeers on 127.0.0.1 in the test process.
type testServer struct {
	ln    net.Listener
	addr  string
	token string
	log   transporttest.SyncBuffer
	errc  chan error
	once  sync.Once
	err   error
}

func startTestServer(t *testing.T) *testServer {
	t.Helper()
	// A peer built with -race sleeps for a second as it exits (GORACE
	// atexit_sleep_ms): as long as Close waits for it to exit after close.
	t.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &testServer{ln: ln, addr: ln.Addr().String(), token: NewToken(), errc: make(chan error, 1)}
	go func() { s.errc <- ServePeers(ln, s.token, &s.log) }()
	t.Cleanup(func() {
		if err := s.stop(t); err != nil {
			t.Errorf("ServePeers: %v", err)
		}
	})
	return s
}

// stop closes the listener and waits for ServePeers to return.
func (s *testServer) stop(t *testing.T) error {
	s.once.Do(func() {
		s.ln.Close()
		select {
		case s.err = <-s.errc:
		case <-time.After(10 * time.Second):
			s.err = errors.New("did not return within 10 s of ln.Close")
		}
	})
	return s.err
}

// childPIDs lists the children of the test process (every thread's).
func childPIDs(t *testing.T) map[int]bool {
	t.Helper()
	files, err := filepath.Glob("/proc/self/task/*/children")
	if err != nil {
		t.Fatal(err)
	}
	pids := map[int]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // the thread exited
		}
		for _, s := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(s); err == nil {
				pids[pid] = true
			}
		}
	}
	return pids
}

// noNewChildren fails unless, within 5 s, every child of the test process
// is one of before.
func noNewChildren(t *testing.T, before map[int]bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var extra []int
		for pid := range childPIDs(t) {
			if !before[pid] {
				extra = append(extra, pid)
			}
		}
		if len(extra) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("children left behind: %v", extra)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitGone fails unless process pid is gone (and reaped) within 5 s.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for unix.Kill(pid, 0) != unix.ESRCH {
		if time.Now().After(deadline) {
			t.Fatalf("remote peer %d still exists 5 s after its session ended", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// callEcho runs remote-test-echo in p with args.
func callEcho(t *testing.T, p *Peer, args string) remoteEcho {
	t.Helper()
	r, err := p.request(request{Op: "func", Func: "remote-test-echo", API: transports.Raw, CPU: -1, Args: json.RawMessage(args)}, HandshakeTimeout)
	if err != nil {
		t.Fatalf("func remote-test-echo: %v", err)
	}
	var e remoteEcho
	if err := json.Unmarshal(r.Result, &e); err != nil {
		t.Fatalf("result %s: %v", r.Result, err)
	}
	return e
}

// TestRemoteSession drives two sessions, one after the other, through a
// ServePeers: the Peer's remote face, a peer function that echoes its
// arguments, an attach that fails cleanly (a pipe spec without its files)
// and leaves the peer serving, Close; each session's peer process ends,
// with no child left.
func TestRemoteSession(t *testing.T) {
	before := childPIDs(t)
	s := startTestServer(t)
	for i := range 2 {
		p, err := dialPeer("remote-test", s.addr, s.token)
		if err != nil {
			t.Fatalf("session %d: dialPeer: %v", i, err)
		}
		if !p.Remote() || p.PID() != 0 || p.Stderr() != "" {
			t.Errorf("Remote() %v, PID() %d, Stderr() %q: want true, 0, empty", p.Remote(), p.PID(), p.Stderr())
		}
		if err := p.Signal(syscall.SIGTERM); err == nil || !strings.Contains(err.Error(), "remote peer at "+s.addr) {
			t.Errorf("Signal: %v, want an error naming the remote peer", err)
		}
		if got, want := p.LocalAddr(), netip.MustParseAddr("127.0.0.1"); got != want {
			t.Errorf("LocalAddr %v, want %v", got, want)
		}
		if got := p.RemoteAddr().String(); got != s.addr {
			t.Errorf("RemoteAddr %v, want %v", got, s.addr)
		}
		args := fmt.Sprintf(`{"session":%d,"s":"héllo"}`, i)
		e := callEcho(t, p, args)
		if string(e.Args) != args || e.Files != 0 {
			t.Errorf("echo: args %s, files %d; want %s, 0", e.Args, e.Files, args)
		}
		if e.PID == os.Getpid() || !childPIDs(t)[e.PID] {
			t.Errorf("remote peer pid %d: want a child of ServePeers in this process", e.PID)
		}

		spec := &transports.Spec{Transport: "pipe", API: transports.Raw, MaxMessage: 64}
		_, err = p.request(request{Op: "attach", Spec: spec, CPU: -1}, HandshakeTimeout)
		var perr *PeerError
		if !errors.As(err, &perr) || perr.Stage != "attach" || !strings.Contains(err.Error(), "pipe") {
			t.Errorf("attach of a pipe without files: %v, want a *PeerError of stage attach naming pipe", err)
		}
		if e2 := callEcho(t, p, `[1,2]`); e2.PID != e.PID {
			t.Errorf("after the failed attach: pid %d, want the same peer %d", e2.PID, e.PID)
		}

		closed := time.Now()
		p.Close()
		if d := time.Since(closed); d > 900*time.Millisecond {
			t.Errorf("Close took %v: the peer did not exit on close", d)
		}
		waitGone(t, e.PID)
	}
	noNewChildren(t, before)
	if err := s.stop(t); err != nil {
		t.Fatalf("ServePeers: %v", err)
	}
	log := s.log.String()
	if n := strings.Count(log, "accepted: peer"); n != 2 {
		t.Errorf("log: %d sessions accepted, want 2:\n%s", n, log)
	}
	if n := strings.Count(log, "exited with status 0"); n != 2 {
		t.Errorf("log: %d clean exits, want 2:\n%s", n, log)
	}
	if strings.Contains(log, s.token) {
		t.Errorf("log shows the token:\n%s", log)
	}
}

// TestRemoteRefused checks that ServePeers refuses, with an error frame
// that says why and no peer started, a wrong token (which dialPeer
// reports as a *PeerError wrapping ErrRemoteRefused and naming the token,
// never showing the expected one), another protocol version, and hellos
// that are garbage, empty, cut short or missing.
func TestRemoteRefused(t *testing.T) {
	before := childPIDs(t)
	defer func(d time.Duration) { remoteHelloTimeout = d }(remoteHelloTimeout)
	remoteHelloTimeout = 300 * time.Millisecond
	s := startTestServer(t)

	_, err := dialPeer("remote-test", s.addr, NewToken())
	var perr *PeerError
	if !errors.As(err, &perr) || perr.Stage != "start" || !errors.Is(err, ErrRemoteRefused) {
		t.Fatalf("wrong token: %v, want a *PeerError of stage start wrapping ErrRemoteRefused", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "remote peer at "+s.addr+": refused the session: wrong token") || strings.Contains(msg, s.token) {
		t.Errorf("wrong token: %q, want it to say the remote peer refused the token, without the token", msg)
	}

	frame := func(v any) []byte {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return appendFrame(nil, b)
	}
	for _, tc := range []struct {
		name string
		send []byte
		want string // in the error frame
	}{
		{"protocol", frame(hello{Op: helloOp, Protocol: "peer/0", Token: s.token}), `protocol "peer/0": this peer speaks "peer/1"`},
		{"op", frame(map[string]string{"op": "attach", "token": s.token}), "bad hello: want a JSON object"},
		{"json", appendFrame(nil, []byte("not json")), "bad hello: want a JSON object"},
		{"http", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "bad hello: control frame of 1195725856 bytes: want 1 to 4096"},
		{"empty", appendFrame(nil, nil), "bad hello: control frame of 0 bytes"},
		{"short", []byte{0, 0}, "bad hello: none within 300ms"},
		{"cut", frame(hello{Op: helloOp})[:10], "bad hello: none within 300ms"},
		{"silent", nil, "bad hello: none within 300ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", s.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Write(tc.send); err != nil {
				t.Fatal(err)
			}
			c.SetDeadline(time.Now().Add(5 * time.Second))
			buf := make([]byte, maxCtlMsg)
			n, err := readFrame(c, buf)
			if err != nil {
				t.Fatalf("no error frame: %v", err)
			}
			var r response
			if err := json.Unmarshal(buf[:n], &r); err != nil || !strings.Contains(r.Error, tc.want) {
				t.Fatalf("answer %s (%v), want an error saying %q", buf[:n], err, tc.want)
			}
			if _, err := readFrame(c, buf); err != io.EOF {
				t.Errorf("after the error frame: %v, want end of file", err)
			}
		})
	}
	// A connection closed before its hello.
	if c, err := net.Dial("tcp", s.addr); err == nil {
		c.Close()
	}
	for deadline := time.Now().Add(5 * time.Second); strings.Count(s.log.String(), ": refused: ") < 10 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if err := s.stop(t); err != nil {
		t.Fatal(err)
	}
	noNewChildren(t, before)
	log := s.log.String()
	if n := strings.Count(log, ": refused: "); n != 10 {
		t.Errorf("log: %d refusals, want 10:\n%s", n, log)
	}
	if strings.Contains(log, "accepted") || strings.Contains(log, s.token) {
		t.Errorf("log accepts a session or shows the token:\n%s", log)
	}
}

// TestServePeersShortToken checks that ServePeers refuses to start with a
// short token.
func TestServePeersShortToken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := ServePeers(ln, "0123456789abcde", nil); err == nil || !strings.Contains(err.Error(), "a token of 15 bytes: want at least 16") {
		t.Errorf("ServePeers with a 15-byte token: %v", err)
	}
	if tok := NewToken(); len(tok) != 32 || tok == NewToken() {
		t.Errorf("NewToken: %q (and another the same), want 32 fresh hex digits", tok)
	}
}

// startBlocked dials a session and starts remote-test-block in it,
// returning the remote peer's pid.
func startBlocked(t *testing.T, s *testServer) (*Peer, int) {
	t.Helper()
	p, err := dialPeer("remote-test", s.addr, s.token)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	if err := p.ctl.send(request{Op: "func", Func: "remote-test-block", API: transports.Runtime, CPU: -1}); err != nil {
		t.Fatal(err)
	}
	r, err := p.await("remote-test-block", HandshakeTimeout)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(string(r.Result))
	if err != nil {
		t.Fatalf("pid %s: %v", r.Result, err)
	}
	return p, pid
}

// TestRemoteEnds checks how a remote session ends in the middle of a
// request: the parent kills the peer (closes the connection), or closes
// it while it is busy (close, then kill after a second), or the peer dies
// by itself (its exit status and output reach the parent), or ServePeers
// returns (ln closed). Each time the peer process is gone, the parent
// sees why, and no child is left.
func TestRemoteEnds(t *testing.T) {
	before := childPIDs(t)
	s := startTestServer(t)

	t.Run("kill", func(t *testing.T) {
		p, pid := startBlocked(t, s)
		p.kill(errors.New("test: killed mid-request"))
		if _, err := p.await("remote-test-block", HandshakeTimeout); err == nil || !strings.Contains(err.Error(), "test: killed mid-request") {
			t.Errorf("await after kill: %v, want the kill's reason", err)
		}
		waitGone(t, pid)
	})
	t.Run("close", func(t *testing.T) {
		p, pid := startBlocked(t, s)
		p.Close()
		waitGone(t, pid)
		if err := p.deathCause(); !strings.Contains(err.Error(), "did not exit after close") {
			t.Errorf("deathCause: %v", err)
		}
	})
	t.Run("exit", func(t *testing.T) {
		p, err := dialPeer("remote-test", s.addr, s.token)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		_, err = p.request(request{Op: "func", Func: "remote-test-exit", API: transports.Runtime, CPU: -1}, HandshakeTimeout)
		if err == nil || !strings.Contains(err.Error(), "exited: exit status 3") || !strings.Contains(err.Error(), "remote-test-exit: bye") {
			t.Errorf("peer exiting with 3: %v, want its status and output", err)
		}
		<-p.dead
		if err := p.deathCause(); !errors.Is(err, ErrPeerDied) || !strings.Contains(err.Error(), "remote peer at "+s.addr) {
			t.Errorf("deathCause: %v, want ErrPeerDied naming the remote peer", err)
		}
	})
	t.Run("ServePeers returns", func(t *testing.T) {
		p, pid := startBlocked(t, s)
		idle, err := net.Dial("tcp", s.addr) // in its handshake
		if err != nil {
			t.Fatal(err)
		}
		defer idle.Close()
		time.Sleep(50 * time.Millisecond) // let it be accepted
		if err := s.stop(t); err != nil {
			t.Fatalf("ServePeers: %v", err)
		}
		waitGone(t, pid)
		if _, err := p.await("remote-test-block", HandshakeTimeout); err == nil || !strings.Contains(err.Error(), "shutting down") {
			t.Errorf("await: %v, want the server's shutdown", err)
		}
		idle.SetDeadline(time.Now().Add(time.Second))
		if _, err := idle.Read(make([]byte, 1)); err != io.EOF {
			t.Errorf("the connection in its handshake: %v, want it closed", err)
		}
	})
	noNewChildren(t, before)
	log := s.log.String()
	t.Logf("ServePeers log:\n%s", log)
	for _, want := range []string{"the parent hung up; peer", "exited: exit status 3", "ServePeers returned; peer"} {
		if !strings.Contains(log, want) {
			t.Errorf("log does not say %q:\n%s", want, log)
		}
	}
}

// TestCtlFrames checks readFrame on frames whole, read a byte at a time,
// too large, empty, and cut short.
func TestCtlFrames(t *testing.T) {
	head := func(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }
	for _, tc := range []struct {
		name    string
		in      []byte
		buf     int
		oneByte bool
		want    string // the message, or the error
		eof     bool   // the error is io.EOF
		cut     bool   // the error is io.ErrUnexpectedEOF
	}{
		{name: "whole", in: appendFrame(nil, []byte(`{"op":"close"}`)), want: `{"op":"close"}`},
		{name: "a byte at a time", in: appendFrame(nil, []byte(`{"op":"close"}`)), oneByte: true, want: `{"op":"close"}`},
		{name: "largest", in: appendFrame(nil, bytes.Repeat([]byte("x"), maxCtlMsg)), want: strings.Repeat("x", maxCtlMsg)},
		{name: "oversize", in: append(head(maxCtlMsg+1), "x"...), want: "control frame of 1048577 bytes: want 1 to 1048576"},
		{name: "huge", in: head(1<<32 - 1), want: "control frame of 4294967295 bytes"},
		{name: "beyond the buffer", in: appendFrame(nil, []byte("12345")), buf: 4, want: "control frame of 5 bytes: want 1 to 4"},
		{name: "empty frame", in: head(0), want: "control frame of 0 bytes"},
		{name: "end of file", in: nil, eof: true},
		{name: "cut header", in: []byte{0, 0}, cut: true, want: "frame header cut short"},
		{name: "header only", in: head(10), cut: true, want: "cut short after 0 of 10 bytes"},
		{name: "cut body", in: append(head(10), "abc"...), cut: true, want: "cut short after 3 of 10 bytes"},
		{name: "cut body a byte at a time", in: append(head(10), "abc"...), oneByte: true, cut: true, want: "cut short after 3 of 10 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r io.Reader = bytes.NewReader(tc.in)
			if tc.oneByte {
				r = iotest.OneByteReader(r)
			}
			buf := make([]byte, maxCtlMsg)
			if tc.buf > 0 {
				buf = buf[:tc.buf]
			}
			n, err := readFrame(r, buf)
			switch {
			case tc.eof:
				if err != io.EOF {
					t.Errorf("err %v, want io.EOF", err)
				}
			case tc.cut:
				if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("err %v, want io.ErrUnexpectedEOF saying %q", err, tc.want)
				}
			case err != nil:
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("err %v, want %q", err, tc.want)
				}
			default:
				if string(buf[:n]) != tc.want {
					t.Errorf("message %.40q, want %.40q", buf[:n], tc.want)
				}
			}
		})
	}
}

// TestCtlStream sends and receives through a stream ctl over a SOCK_STREAM
// socket pair: a message near maxCtlMsg (written in several pieces while
// the other end reads), an oversize message refused, a frame cut short by
// the writer's close (an error, not end of file), and a clean close
// between frames (errCtlEOF).
func TestCtlStream(t *testing.T) {
	pair := func() (*ctl, *ctl) {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		return newStreamCtl(fds[0]), newStreamCtl(fds[1])
	}
	w, r := pair()
	defer r.close()
	big := response{Result: json.RawMessage(`"` + strings.Repeat("z", maxCtlMsg-200) + `"`), Received: 7}
	errc := make(chan error, 1)
	go func() { errc <- w.send(big) }()
	var got response
	if err := r.recv(&got); err != nil {
		t.Fatalf("recv of the big message: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("send of the big message: %v", err)
	}
	if !bytes.Equal(got.Result, big.Result) || got.Received != 7 {
		t.Errorf("big message changed: %d bytes, received %d", len(got.Result), got.Received)
	}
	if err := w.send(response{Result: json.RawMessage(`"` + strings.Repeat("z", maxCtlMsg) + `"`)}); err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Errorf("oversize send: %v, want refused", err)
	}
	if err := w.send(request{Op: "echo", Count: 3}); err != nil {
		t.Fatal(err)
	}
	var req request
	if err := r.recv(&req); err != nil || req.Op != "echo" || req.Count != 3 {
		t.Errorf("recv: %+v, %v", req, err)
	}
	if err := writeFull(w.fd, appendFrame(nil, []byte(`{"op":"close"}`))[:7]); err != nil {
		t.Fatal(err)
	}
	w.close()
	if err := r.recv(&req); err == nil || errors.Is(err, errCtlEOF) || !strings.Contains(err.Error(), "cut short after 3 of 14 bytes") {
		t.Errorf("recv of a cut frame: %v, want an error that is not end of file", err)
	}

	w, r = pair()
	defer r.close()
	w.close()
	if err := r.recv(&req); !errors.Is(err, errCtlEOF) {
		t.Errorf("recv after a close between frames: %v, want errCtlEOF", err)
	}
}

// FuzzCtlFrame feeds arbitrary bytes to readFrame: it must not panic, and
// a frame it reads must be the input's first bytes as appendFrame writes
// them.
func FuzzCtlFrame(f *testing.F) {
	f.Add(appendFrame(nil, []byte(`{"op":"hello","protocol":"peer/1","token":"x"}`)))
	f.Add([]byte{0, 0, 0})
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1})
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	buf := make([]byte, maxHello)
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := readFrame(iotest.HalfReader(bytes.NewReader(data)), buf)
		if err != nil {
			if err == io.EOF && len(data) != 0 {
				t.Fatalf("io.EOF from %d bytes", len(data))
			}
			return
		}
		if n < 1 || n > len(buf) || !bytes.Equal(appendFrame(nil, buf[:n]), data[:4+n]) {
			t.Fatalf("read %d bytes %q from %q", n, buf[:n], data)
		}
	})
}
