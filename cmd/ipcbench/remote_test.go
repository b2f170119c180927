package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipcbench/ipcbench/harness"
	"github.com/ipcbench/ipcbench/internal/netns"
	"github.com/ipcbench/ipcbench/reports"
	"github.com/ipcbench/ipcbench/results"
	"github.com/ipcbench/ipcbench/transports/transporttest"
)

// TestRunRemote runs `ipcbench run -remote` end to end against `ipcbench
// peer -listen` on the far side of a veth pair: the peer command listens
// in one network namespace, the run is a whole ipcbench process in the
// other, so every byte between them crosses the link. The results read
// like any other run's: the path=remote series of tcp and udp beside
// unix-stream, and the path's config line. A wrong token stops the run
// before it measures anything, naming the refusal.
func TestRunRemote(t *testing.T) {
	v := transporttest.Veth(t)
	token := harness.NewToken()
	ctx, cancel := context.WithCancel(context.Background())
	var pout, perr transporttest.SyncBuffer
	served := make(chan error, 1)
	go func() {
		served <- v.Peer.Do(func() error {
			return servePeers(ctx, &pout, &perr, []string{"-listen", netns.PeerAddr.String() + ":0", "-token", token})
		})
	}()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("ipcbench peer: %v", err)
		}
	}()
	addr := listeningOn(t, &pout, &perr)
	// runIn runs the ipcbench command as a process of the near namespace.
	runIn := func(args ...string) (string, error) {
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), mainEnv+"=1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := v.Parent.Do(cmd.Start); err != nil {
			return "", err
		}
		err := cmd.Wait()
		return stderr.String(), err
	}
	out := filepath.Join(t.TempDir(), "results.txt")
	progress, err := runIn("run", "-remote", addr, "-token", token, "-count", "2", "-benchtime", "5ms", "-warmup", "2ms", "-sizes", "64,4096", "-o", out)
	if err != nil {
		t.Fatalf("ipcbench run -remote: %v\n%s", err, progress)
	}
	r, err := reports.LoadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, bench := range []string{results.BenchPingPong, results.BenchStream} {
		for _, tr := range []string{"tcp", "udp"} {
			for _, size := range []int{64, 4096} {
				want[results.Key{Bench: bench, Transport: tr, API: "raw", Path: "remote", Pin: "none", Size: size}.String()] = true
			}
		}
		want[results.Key{Bench: bench, Transport: "unix-stream", API: "raw", Pin: "none", Size: 64}.String()] = true
	}
	for _, k := range r.AllKeys() {
		delete(want, k.String())
	}
	for k := range want {
		t.Errorf("results lack %s", k)
	}
	if t.Failed() {
		t.Logf("the run's progress:\n%s", progress)
	}
	if desc, _ := r.Config.Value(results.PathKey("remote")); !strings.Contains(desc, "peer="+addr) || !strings.Contains(desc, "driver=veth") {
		t.Errorf("no %s line naming the peer %s and the veth: %v", results.PathKey("remote"), addr, r.Config)
	}
	begin := time.Now()
	stderr, err := runIn("run", "-remote", addr, "-token", harness.NewToken(), "-o", filepath.Join(t.TempDir(), "bad.txt"))
	if err == nil || !strings.Contains(stderr, "wrong token") {
		t.Errorf("a wrong token: %v, stderr %q; want a failure naming the wrong token", err, stderr)
	}
	if took := time.Since(begin); took > 10*time.Second {
		t.Errorf("a wrong token took %v to stop the run", took)
	}
}
