package harness_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipcbench/ipcbench/harness"
	"github.com/ipcbench/ipcbench/results"
)

// openFDs counts this process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

// children lists this process's child processes (every thread's).
func children(t *testing.T) string {
	t.Helper()
	paths, _ := filepath.Glob("/proc/self/task/*/children")
	if len(paths) == 0 {
		t.Skip("no /proc/self/task/*/children (CONFIG_PROC_CHILDREN) to check for children left behind")
	}
	var out []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err == nil && strings.TrimSpace(string(b)) != "" {
			out = append(out, strings.TrimSpace(string(b)))
		}
	}
	return strings.Join(out, " ")
}

// checkObserved checks that obs says, for each probe, the verb wanted,
// and that an outcome contains the text wanted.
func checkObserved(t *testing.T, obs []results.Observation, want map[string][2]string) {
	t.Helper()
	for probe, w := range want {
		o, ok := results.Observed(obs, probe)
		if !ok {
			t.Errorf("%s: not observed (got %q)", probe, obs)
			continue
		}
		if o.Verb() != w[0] || !strings.Contains(o.Outcome, w[1]) {
			t.Errorf("%s: %q, want %s … %s", probe, o.Outcome, w[0], w[1])
		}
	}
	if len(obs) != len(want) {
		t.Errorf("%d observations, want %d: %q", len(obs), len(want), obs)
	}
}

// leakFree runs f and checks that it left no descriptor and no child
// behind (how long it took is not checked: speed belongs to benchmarks).
func leakFree(t *testing.T, f func()) {
	t.Helper()
	fds, kids := openFDs(t), children(t)
	f()
	if n := openFDs(t); n != fds {
		t.Errorf("%d descriptors open after, %d before", n, fds)
	}
	if k := children(t); k != kids {
		t.Errorf("children after: %q, before: %q", k, kids)
	}
}

// TestPipeUnrelated: a process that neither made nor inherited an
// anonymous pipe joins it through /proc/PID/fd and through SCM_RIGHTS (on
// Linux, a process of the same user may), and both peers are gone after.
func TestPipeUnrelated(t *testing.T) {
	var obs []results.Observation
	leakFree(t, func() { obs = harness.PipeUnrelated() })
	checkObserved(t, obs, map[string][2]string{
		results.ProbeProcFD:    {results.Joined, "1 byte read"},
		results.ProbeSCMRights: {results.Joined, "1 byte read"},
	})
}

// TestPipeDuplex: a pipe's read end refuses a write and its write end a
// read (EBADF); one end of a socketpair carries a byte each way.
func TestPipeDuplex(t *testing.T) {
	var obs []results.Observation
	leakFree(t, func() { obs = harness.PipeDuplex() })
	checkObserved(t, obs, map[string][2]string{
		results.ProbeWriteReadEnd: {results.Refused, "EBADF"},
		results.ProbeReadWriteEnd: {results.Refused, "EBADF"},
		results.ProbeSocketpair:   {results.Worked, "each way"},
	})
}

// TestFIFOOpen: a blocking O_WRONLY open of a FIFO with no reader has not
// returned after FIFOWait and returns once a reader opens; a non-blocking
// one fails with ENXIO; a non-blocking O_RDONLY returns at once. The
// FIFO's directory is removed after.
func TestFIFOOpen(t *testing.T) {
	dir := t.TempDir()
	var obs []results.Observation
	leakFree(t, func() { obs = harness.FIFOOpen(dir) })
	checkObserved(t, obs, map[string][2]string{
		results.ProbeFIFOBlocking:      {results.Blocked, "returned once a reader opened"},
		results.ProbeFIFOWriteNonblock: {results.Refused, "ENXIO"},
		results.ProbeFIFOReadNonblock:  {results.Returned, "at once"},
	})
	if es, err := os.ReadDir(dir); err != nil || len(es) != 0 {
		t.Errorf("left in %s: %v (%v)", dir, es, err)
	}
	bad := harness.FIFOOpen(filepath.Join(dir, "missing"))
	for _, o := range bad {
		if o.Verb() != results.Failed || !strings.Contains(o.Outcome, "no such file") {
			t.Errorf("FIFO under a missing directory: %s: %q, want an error saying why", o.Probe, o.Outcome)
		}
	}
}

// TestSemanticsConfig: the config lines carry every experiment under its
// key, and read back.
func TestSemanticsConfig(t *testing.T) {
	for _, l := range harness.Semantics() {
		obs := results.ParseObservations(l.Value)
		if !strings.HasPrefix(l.Key, "semantics-") || len(obs) < 2 {
			t.Errorf("%s: %q", l.Key, l.Value)
		}
		for _, o := range obs {
			if o.Verb() == results.Failed {
				t.Errorf("%s: %s: %s", l.Key, o.Probe, o.Outcome)
			}
		}
	}
}
