package harness_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipcbench/ipcbench/harness"
)

// TestInterruptVictim is not a test of its own: TestInterruptedParent runs
// this test binary with IPCBENCH_VICTIM=<transport> as a parent that gets
// SIGINT or SIGTERM in the middle of a workload.
func TestInterruptVictim(t *testing.T) {
	name := os.Getenv("IPCBENCH_VICTIM")
	if name == "" {
		t.Skip("run by TestInterruptedParent")
	}
	s, err := harness.Start(harness.Config{Transport: name, Size: 64})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(s.Spec().Params)
	fmt.Printf("VICTIM peer=%d params=%s\n", s.Peer().PID(), b)
	os.Stdout.Sync()
	err = s.Warmup(harness.PingPong, time.Minute, 1<<40)
	t.Fatalf("the workload ended without the signal: %v", err)
}

// TestInterruptedParent interrupts a parent in the middle of a ping-pong
// workload and checks that it exits promptly with 128+signal, that its
// peer is gone and that its System V objects were removed.
func TestInterruptedParent(t *testing.T) {
	for _, tc := range []struct {
		transport string
		sig       syscall.Signal
	}{{"sysv-mq", syscall.SIGINT}, {"shm-sysvsem", syscall.SIGTERM}, {"posix-mq", syscall.SIGINT}} {
		t.Run(fmt.Sprintf("transport=%s/signal=%v", tc.transport, tc.sig), func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestInterruptVictim$", "-test.count=1")
			cmd.Env = append(os.Environ(), "IPCBENCH_VICTIM="+tc.transport)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			var peer int
			var params map[string]string
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if line, ok := strings.CutPrefix(sc.Text(), "VICTIM "); ok {
					var js string
					fmt.Sscanf(line, "peer=%d params=%s", &peer, &js)
					if err := json.Unmarshal([]byte(js), &params); err != nil {
						t.Fatalf("victim said %q: %v", line, err)
					}
					break
				}
			}
			if peer == 0 {
				t.Fatal("the victim did not start its session")
			}
			time.Sleep(200 * time.Millisecond) // in the middle of the workload
			begin := time.Now()
			cmd.Process.Signal(tc.sig)
			go func() { // let the victim write; we no longer read
				for sc.Scan() {
					t.Log("victim: " + sc.Text())
				}
			}()
			err = cmd.Wait()
			took := time.Since(begin)
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != 128+int(tc.sig) {
				t.Errorf("victim ended with %v, want exit status %d", err, 128+int(tc.sig))
			}
			if took > 5*time.Second {
				t.Errorf("victim took %v to exit", took)
			}
			if err := syscall.Kill(peer, 0); err != syscall.ESRCH {
				t.Errorf("peer %d still exists after its parent exited (kill 0: %v)", peer, err)
			}
			for key, id := range params {
				if _, err := strconv.Atoi(id); err != nil || !strings.Contains(key, "id") && key != "p2c" && key != "c2p" {
					continue
				}
				for _, table := range []string{"msg", "sem", "shm"} {
					if inSysv(table, id) {
						t.Errorf("System V %s id %s (%s) left behind", table, id, key)
					}
				}
			}
			for _, name := range params {
				if strings.HasPrefix(name, "ipcbench-") || strings.HasPrefix(name, "/ipcbench-") {
					if _, err := os.Stat("/dev/mqueue/" + strings.TrimPrefix(name, "/")); err == nil {
						t.Errorf("POSIX queue %s left behind", name)
					}
				}
			}
		})
	}
}

// inSysv reports whether id is listed in /proc/sysvipc/<table>.
func inSysv(table, id string) bool {
	b, err := os.ReadFile("/proc/sysvipc/" + table)
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		if f := strings.Fields(line); len(f) > 1 && f[1] == id {
			return true
		}
	}
	return false
}
