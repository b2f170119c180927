package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ipcbench/ipcbench/transports/transporttest"
)

// listeningOn waits up to 5 s for the address that `ipcbench peer` prints
// on stdout once it listens.
func listeningOn(t *testing.T, stdout, stderr *transporttest.SyncBuffer) string {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if a, ok := strings.CutPrefix(stdout.String(), "ipcbench peer: listening on "); ok && strings.HasSuffix(a, "\n") {
			return strings.TrimSpace(a)
		}
		if time.Now().After(deadline) {
			t.Fatalf("ipcbench peer printed no address in 5 s: stdout %q, stderr %q", stdout.String(), stderr.String())
		}
	}
}

// TestPeerUsageErrors checks that peer refuses to start, with exit status
// 2 and a reason, without -listen or -token, with a short token or with
// arguments; and that the command's help lists it.
func TestPeerUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-listen", "127.0.0.1:0"}, "-token is required: a secret of at least 16 bytes"},
		{[]string{"-listen", "127.0.0.1:0", "-token", "short"}, "-token of 5 bytes: want at least 16"},
		{[]string{"-token", "0123456789abcdef"}, "-listen is required"},
		{[]string{"-listen", "127.0.0.1:0", "-token", "0123456789abcdef", "extra"}, "unexpected arguments"},
		{[]string{"-nosuchflag"}, "flag provided but not defined"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(&stdout, &stderr, append([]string{"peer"}, tc.args...)); code != 2 {
			t.Errorf("peer %v: exit status %d, want 2 (stderr %q)", tc.args, code, stderr.String())
		}
		if !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("peer %v: stderr %q, want it to say %q", tc.args, stderr.String(), tc.want)
		}
		if stdout.Len() != 0 {
			t.Errorf("peer %v: stdout %q, want nothing", tc.args, stdout.String())
		}
	}
	var stdout, stderr bytes.Buffer
	run(&stdout, &stderr, []string{"help"})
	if !strings.Contains(stderr.String(), "peer -listen <addr> -token <t>") {
		t.Errorf("help does not show peer's usage:\n%s", stderr.String())
	}
}

// ctlFrame is one control frame: a 4-byte big-endian length, then JSON.
func ctlFrame(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...)
}

// readCtlFrame reads one control frame's JSON error field; io.EOF at end
// of file.
func readCtlFrame(t *testing.T, c net.Conn) (errMsg string, err error) {
	t.Helper()
	var head [4]byte
	if _, err := io.ReadFull(c, head[:]); err != nil {
		return "", err
	}
	b := make([]byte, binary.BigEndian.Uint32(head[:]))
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatalf("frame body: %v", err)
	}
	var r struct{ Error string }
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("frame %q: %v", b, err)
	}
	return r.Error, nil
}

// TestPeerServes runs `ipcbench peer -listen 127.0.0.1:0` in the test
// process and speaks the control protocol to it by hand: a wrong token is
// refused; the right one starts a peer (this test binary re-executed),
// which answers a request and exits on close; the command returns nil
// when stopped (as on SIGINT).
func TestPeerServes(t *testing.T) {
	t.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	const token = "0123456789abcdef0123"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr transporttest.SyncBuffer
	errc := make(chan error, 1)
	go func() { errc <- servePeers(ctx, &stdout, &stderr, []string{"-listen", "127.0.0.1:0", "-token", token}) }()
	addr := listeningOn(t, &stdout, &stderr)
	session := func(tok string, reqs ...any) (answers []string) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		c.Write(ctlFrame(t, map[string]string{"op": "hello", "protocol": "peer/1", "token": tok}))
		for i := 0; ; i++ {
			msg, err := readCtlFrame(t, c)
			if err == io.EOF {
				return answers
			}
			if err != nil {
				t.Fatalf("answer %d: %v", i, err)
			}
			answers = append(answers, msg)
			if i < len(reqs) {
				c.Write(ctlFrame(t, reqs[i]))
			}
		}
	}
	if got := session("wrong-token-0123456789"); len(got) != 1 || got[0] != "wrong token" {
		t.Errorf("wrong token: answers %q, want one: wrong token", got)
	}
	got := session(token, map[string]any{"op": "echo", "count": 1}, map[string]any{"op": "close"})
	if len(got) != 2 || got[0] != "" || got[1] != "echo before attach" {
		t.Errorf("session: answers %q, want accepted, then the peer's error for echo before attach, then end of file after close", got)
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("peer returned %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("peer did not return 10 s after it was stopped")
	}
	log := stderr.String()
	for _, want := range []string{"refused: wrong token", "accepted: peer", "exited with status 0", "ipcbench peer: stopping"} {
		if !strings.Contains(log, want) {
			t.Errorf("stderr does not say %q:\n%s", want, log)
		}
	}
}
