package harness_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcbench/ipcbench/harness"
	"github.com/ipcbench/ipcbench/transports"
)

func init() {
	// test-hang never returns: a peer function that hangs.
	harness.RegisterPeerFunc("test-hang", func(*harness.PeerContext) (any, error) {
		time.Sleep(time.Hour)
		return nil, nil
	})
	// test-echo-count echoes bytes from fd 4 to fd 5 until end of file and
	// returns how many it echoed.
	harness.RegisterPeerFunc("test-echo-count", func(pc *harness.PeerContext) (any, error) {
		if len(pc.Files) != 2 {
			return nil, fmt.Errorf("want two pipe ends, got %d", len(pc.Files))
		}
		n, err := io.Copy(pc.Files[1], pc.Files[0])
		return n, err
	})
}

const testHang = 300 * time.Millisecond

// startHang starts test-hang with a short hang timeout and files for the
// peer.
func startHang(t *testing.T, files []*os.File) *harness.FuncSession {
	t.Helper()
	fs, err := harness.StartFunc("test-hang", harness.PinNone, transports.Raw, files)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })
	fs.SetHangTimeout(testHang)
	if err := fs.Begin(nil); err != nil {
		t.Fatal(err)
	}
	return fs
}

// checkHang checks that err names the hang, came within a few hang
// timeouts of start, and that the peer is gone (killed and reaped).
func checkHang(t *testing.T, fs *harness.FuncSession, start time.Time, err error) {
	t.Helper()
	if !errors.Is(err, harness.ErrPeerHung) || !strings.Contains(err.Error(), fmt.Sprint(testHang)) {
		t.Fatalf("got %v, want an error naming the hang (ErrPeerHung for %v)", err, testHang)
	}
	if d := time.Since(start); d < testHang || d > 10*testHang {
		t.Errorf("the hang ended the run after %v, want about %v", d, testHang)
	}
	if err := unix.Kill(fs.Peer().PID(), 0); err != unix.ESRCH {
		t.Errorf("peer %d after the hang: kill 0: %v, want ESRCH (killed and reaped)", fs.Peer().PID(), err)
	}
}

// TestFuncHungPeerFinish: a peer function that never returns ends Finish
// with an error naming the hang within the hang timeout.
func TestFuncHungPeerFinish(t *testing.T) {
	fs := startHang(t, nil)
	start := time.Now()
	_, _, err := fs.Finish(nil)
	checkHang(t, fs, start, err)
}

// TestFuncHungPeerLoop: an op of the parent blocked on a hung peer (a read
// of a pipe the peer holds) ends when the watchdog kills the peer, and the
// run's error names the hang.
func TestFuncHungPeerLoop(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	fs := startHang(t, []*os.File{w})
	buf := make([]byte, 1)
	start := time.Now()
	n, err := fs.Warmup(time.Minute, func() error {
		_, err := r.Read(buf)
		return err
	})
	if n != 0 {
		t.Errorf("%d ops done, want 0", n)
	}
	checkHang(t, fs, start, err)
}

// TestFuncWarmupRule: Warmup runs ops for the warm-up time, at least 15
// and at most MaxWarmupOps; the peer sees every op, and Ops counts them.
func TestFuncWarmupRule(t *testing.T) {
	p2c, p2cw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	c2pr, c2p, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer c2pr.Close()
	fs, err := harness.StartFunc("test-echo-count", harness.PinNone, transports.Raw, []*os.File{p2c, c2p})
	if err != nil {
		p2cw.Close()
		t.Fatal(err)
	}
	defer fs.Close()
	if err := fs.Begin(nil); err != nil {
		t.Fatal(err)
	}
	buf := []byte{1}
	rtt := func() error {
		if _, err := p2cw.Write(buf); err != nil {
			return err
		}
		_, err := io.ReadFull(c2pr, buf)
		return err
	}
	const d = 20 * time.Millisecond
	start := time.Now()
	n, err := fs.Warmup(d, rtt)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); n < 1 || n > harness.MaxWarmupOps || (took < d && n < harness.MaxWarmupOps) {
		t.Errorf("warm-up of %v: %d ops in %v, want ops for %v or %d ops", d, n, took, d, harness.MaxWarmupOps)
	}
	n0, err := fs.Warmup(0, rtt)
	if err != nil {
		t.Fatal(err)
	}
	if n0 != 15 {
		t.Errorf("warm-up of 0: %d ops, want 15 (the clock is read at every 16th op)", n0)
	}
	if got, want := fs.Ops(), n+n0; got != want {
		t.Errorf("Ops %d, want %d", got, want)
	}
	p2cw.Close() // end of file ends the echo
	var echoed int64
	if _, _, err := fs.Finish(&echoed); err != nil {
		t.Fatal(err)
	}
	if echoed != fs.Ops() {
		t.Errorf("peer echoed %d bytes, parent ran %d ops", echoed, fs.Ops())
	}
}
