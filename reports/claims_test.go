package reports

import (
	"testing"

	"github.com/ipcbench/ipcbench/results"
)

// What the semantics experiments observe on Linux (harness.Semantics),
// and the other outcomes a kernel could give, as inputs of C6 and C7.
var (
	duplexLinux = []string{
		results.ProbeWriteReadEnd, "refused (EBADF)",
		results.ProbeReadWriteEnd, "refused (EBADF)",
		results.ProbeSocketpair, "worked (1 byte each way)",
	}
	duplexBoth = []string{
		results.ProbeWriteReadEnd, "worked (1 byte written)",
		results.ProbeReadWriteEnd, "refused (EBADF)",
		results.ProbeSocketpair, "worked (1 byte each way)",
	}
	unrelatedLinux = []string{results.ProbeProcFD, "joined (1 byte read)", results.ProbeSCMRights, "joined (1 byte read)"}
	unrelatedSCM   = []string{results.ProbeProcFD, "refused (EACCES)", results.ProbeSCMRights, "joined (1 byte read)"}
	unrelatedNone  = []string{results.ProbeProcFD, "refused (EACCES)", results.ProbeSCMRights, "refused (EPERM)"}
	unrelatedError = []string{results.ProbeProcFD, "error: start the owner: fork: resource temporarily unavailable", results.ProbeSCMRights, "error: start the owner: fork: resource temporarily unavailable"}
	fifoLinux      = []string{
		results.ProbeFIFOBlocking, "blocked (not returned after 20ms), returned once a reader opened",
		results.ProbeFIFOWriteNonblock, "refused (ENXIO)",
		results.ProbeFIFOReadNonblock, "returned at once",
	}
	fifoAllBlock = []string{
		results.ProbeFIFOBlocking, "blocked (not returned after 20ms), returned once a reader opened",
		results.ProbeFIFOWriteNonblock, "blocked (not returned after 20ms), returned once a reader opened",
		results.ProbeFIFOReadNonblock, "blocked (not returned after 20ms), returned once a writer opened",
	}
	fifoNoWait = []string{
		results.ProbeFIFOBlocking, "returned before a reader opened",
		results.ProbeFIFOWriteNonblock, "refused (ENXIO)",
		results.ProbeFIFOReadNonblock, "returned at once",
	}
)

// at8 is the claim cells' size (bench.ClaimSize).
const at8 = 8

// TestClaimRules: every status each rule of C2, C3, C5, C6, C7 and C8
// can return, each from measured inputs (synthetic results and semantics
// lines).
func TestClaimRules(t *testing.T) {
	pipes := func(f *fx) *fx { return f.ping("pipe", flat(9000), 64).ping("unix-stream", flat(10000), 64) }
	// fifoSame: fifo and pipe the same, after the FIFO experiment's line
	// (if obs), which must come before the results it describes.
	fifoSame := func(obs ...string) *fx {
		f := new(fx)
		if obs != nil {
			f.observed(results.ConfigFIFOOpen, obs...)
		}
		return f.ping("pipe", flat(9000), std...).ping("fifo", flat(9300), std...)
	}
	cases := []verdictCase{
		{"C2 none ran", func() *fx { return new(fx).ping("shm-spin", flat(400), 64) }, "C2", NotMeasured, "shm-sysvsem (registered, not run), shm-sem (registered, not run)", "", ""},
		{"C2 semaphores only", func() *fx { return new(fx).ping("shm-sem", flat(6000), 64) }, "C2", Holds, "shm-sysvsem (registered, not run) did not run", "run: shm-sem; not run: shm-sysvsem", ""},
		{"C2 no faster wait", func() *fx {
			return new(fx).ping("shm-sysvsem", flat(9000), 64).ping("shm-sem", flat(9000), 64).ping("shm-futex", flat(9010), 64)
		}, "C2", Holds, "no sleeping wait without a semaphore was faster at any pin", "run: shm-sysvsem, shm-sem; not run: none", ""},
		{"C2 spinners only beside", func() *fx {
			return new(fx).ping("shm-sysvsem", flat(9000), 64).ping("shm-spin", flat(400), 64)
		}, "C2", HoldsOnlyWhen, "a sleeping wait is wanted", "", ""},
		{"C2 faster at some pins", func() *fx {
			return new(fx).pingAt("split", "shm-sem", flat(9000), 64).pingAt("split", "shm-futex", flat(5000), 64).
				pingAt("same", "shm-sem", flat(3000), 64).pingAt("same", "shm-futex", flat(6000), 64)
		}, "C2", HoldsOnlyWhen, "the processes run at pin=same", "", ""},
		{"C2 faster everywhere", func() *fx {
			return new(fx).ping("shm-sysvsem", flat(12000), 64).ping("shm-sem", flat(9000), 64).ping("shm-futex", flat(5000), 64)
		}, "C2", DoesNotHold, "stays consistent without semaphores", "", ""},

		{"C3 efficient both ways", func() *fx {
			return new(fx).ping("signal", flat(9000), at8).ping("pipe", flat(9000), at8).ping("shm-signal", flat(5000), at8).ping("shm-futex", flat(5000), at8)
		}, "C3", Holds, "not slower as a message at pin=split", "shm-signal 4.75 µs vs shm-futex", ""},
		{"C3 slower both ways", func() *fx {
			return new(fx).ping("signal", flat(11000), at8).ping("unix-stream", flat(9000), at8).ping("shm-signal", flat(8000), at8).ping("shm-futex", flat(5000), at8)
		}, "C3", DoesNotHold, "not efficient: at 8 B a signal is slower", "", ""},
		{"C3 a wake-up, not a message", func() *fx {
			return new(fx).ping("signal", flat(11000), at8).ping("pipe", flat(9000), at8).ping("shm-signal", flat(5000), at8).ping("shm-futex", flat(5000), at8)
		}, "C3", HoldsOnlyWhen, "used as the wake-up of shared memory at pin=split", "", ""},
		{"C3 sizes differ", func() *fx {
			return new(fx).ping("signal", flat(9000), at8).ping("pipe", flat(9000), 64)
		}, "C3", NotMeasured, "no pipe, socket or shared-memory wait at 8 B", "no pipe or socket at 8 B", ""},

		{"C5 keeps up, sizes not run named", func() *fx {
			return new(fx).config("mq-msgsize-max", "8192").ping("posix-mq", flat(8000), at8, 64, 1024).ping("pipe", flat(9000), append([]int{at8}, std...)...)
		}, "C5", Holds, "at every size they ran", "posix-mq (limit 8192 B, mq-msgsize-max): measured at 8 B, 64 B, 1 KiB; under the limit, not run: 4 KiB; over the limit: 64 KiB, 1 MiB", "over the limit: 4 KiB"},
		{"C5 small only", func() *fx {
			return new(fx).ping("posix-mq", func(s int) float64 { return 8000 + float64(s) }, 64, 1024, 4096).
				ping("pipe", func(s int) float64 { return 8500 + float64(s)/4 }, std...)
		}, "C5", HoldsOnlyWhen, "messages are small", "posix-mq (limit unknown (no mq-msgsize-max line)): measured at 64 B, 1 KiB, 4 KiB; not run: 64 KiB, 1 MiB", ""},
		{"C5 slower", func() *fx {
			return new(fx).config("msgmax", "8192").ping("sysv-mq", flat(20000), 64, 1024).ping("unix-stream", flat(9000), std...)
		}, "C5", DoesNotHold, "slower than pipes or Unix sockets already at the smallest size", "slower at 64 B (pin=split), 1 KiB (pin=split)", ""},
		{"C5 a few per cent behind keeps up", func() *fx {
			return new(fx).config("mq-msgsize-max", "8192").ping("posix-mq", flat(9300), 64, 1024, 4096).ping("pipe", flat(9000), std...)
		}, "C5", Holds, "at every size they ran", "(posix-mq is slower than it, 1.03× its time)", "slower at 64 B"},
		{"C5 beyond the tolerance", func() *fx {
			return new(fx).config("mq-msgsize-max", "8192").ping("posix-mq", flat(10500), 64, 1024, 4096).ping("pipe", flat(9000), std...)
		}, "C5", DoesNotHold, "slower than pipes or Unix sockets already at the smallest size", "slower at 64 B (pin=split), 1 KiB (pin=split), 4 KiB (pin=split)", ""},
		{"C5 no reference", func() *fx { return new(fx).ping("posix-mq", flat(8000), 64) }, "C5", NotMeasured, "needs ping-pong results", "", ""},

		{"C6 both halves hold", func() *fx {
			return pipes(new(fx).observed(results.ConfigPipeDuplex, duplexLinux...).observed(results.ConfigPipeUnrelated, unrelatedNone...))
		}, "C6", Holds, "only a process that inherits an anonymous pipe joins it", "two pipes against one socketpair", ""},
		{"C6 joined by SCM_RIGHTS only", func() *fx {
			return pipes(new(fx).observed(results.ConfigPipeDuplex, duplexLinux...).observed(results.ConfigPipeUnrelated, unrelatedSCM...))
		}, "C6", HoldsOnlyWhen, "the pipe's owner does not hand its descriptor over a Unix socket", "", ""},
		{"C6 joined through /proc (Linux)", func() *fx {
			return pipes(new(fx).observed(results.ConfigPipeDuplex, duplexLinux...).observed(results.ConfigPipeUnrelated, unrelatedLinux...))
		}, "C6", DoesNotHold, "not for related processes only: a process that neither made nor inherited the pipe tried /proc/PID/fd: joined (1 byte read)", "", ""},
		{"C6 read end writable", func() *fx {
			return pipes(new(fx).observed(results.ConfigPipeDuplex, duplexBoth...).observed(results.ConfigPipeUnrelated, unrelatedNone...))
		}, "C6", DoesNotHold, "a pipe is not one-way here", "", ""},
		{"C6 experiment could not run", func() *fx {
			return pipes(new(fx).observed(results.ConfigPipeDuplex, duplexLinux...).observed(results.ConfigPipeUnrelated, unrelatedError...))
		}, "C6", NotMeasured, "could not run", "", ""},
		{"C6 no experiment", func() *fx { return pipes(new(fx)) }, "C6", NotMeasured, "semantics-pipe-unrelated", "", ""},

		{"C7 same and every open waits", func() *fx { return fifoSame(fifoAllBlock...) }, "C7", Holds, "opening blocks until both ends are open", "", ""},
		{"C7 same, blocking opens only (Linux)", func() *fx { return fifoSame(fifoLinux...) }, "C7", HoldsOnlyWhen, "opened without O_NONBLOCK", "", ""},
		{"C7 partly the same", func() *fx {
			return new(fx).observed(results.ConfigFIFOOpen, fifoLinux...).ping("pipe", flat(9000), std...).ping("fifo", func(s int) float64 {
				if s > 4096 {
					return 18000
				}
				return 9000
			}, std...)
		}, "C7", HoldsOnlyWhen, "the same at some sizes and differ at others, and the FIFO is opened without O_NONBLOCK", "the same at: round-trip latency at 64 B, round-trip latency at 1 KiB, round-trip latency at 4 KiB", ""},
		{"C7 differ", func() *fx {
			return new(fx).observed(results.ConfigFIFOOpen, fifoLinux...).ping("pipe", flat(9000), std...).ping("fifo", flat(18000), std...)
		}, "C7", DoesNotHold, "differ at every size", "", ""},
		{"C7 open does not wait", func() *fx { return fifoSame(fifoNoWait...) }, "C7", DoesNotHold, "opening does not wait for both ends", "", ""},
		{"C7 no experiment", func() *fx { return fifoSame() }, "C7", NotMeasured, "the opening half: the results lack the experiment's config line semantics-fifo-open. Measured: holds: once open", "", ""},

		{"C8 unix faster", func() *fx { return new(fx).ping("unix-stream", flat(9000), 64).ping("tcp", flat(20000), 64) }, "C8", NotMeasured, "no link between hosts or network namespaces was measured. Measured: holds: sockets serve local IPC: at pin=split the fastest Unix socket is faster than the fastest IP socket", "unix-stream 8.55 µs vs tcp", ""},
		{"C8 same speed", func() *fx { return new(fx).ping("unix-stream", flat(9000), 64).ping("udp", flat(9010), 64) }, "C8", NotMeasured, "the fastest Unix socket is not distinguishable from the fastest IP socket", "unix-stream 8.55 µs vs udp", ""},
		{"C8 no IP socket", func() *fx { return new(fx).ping("unix-stream", flat(9000), 64) }, "C8", NotMeasured, "needs Unix socket and TCP/UDP", "", ""},
	}
	runVerdictCases(t, cases)
}

// TestConjoin: a part that does not hold decides; then one not measured;
// every part holding holds; else the conditions are joined.
func TestConjoin(t *testing.T) {
	h, w, n, d := part{Holds, "h"}, part{HoldsOnlyWhen, "w"}, part{NotMeasured, "n"}, part{DoesNotHold, "d"}
	for _, tc := range []struct {
		parts []part
		want  Status
		text  string
	}{
		{[]part{h, h}, Holds, "h; h"},
		{[]part{h, w}, HoldsOnlyWhen, "w (h)"},
		{[]part{w, w}, HoldsOnlyWhen, "w, and w"},
		{[]part{h, n}, NotMeasured, "n. Measured: holds: h"},
		{[]part{n, d}, DoesNotHold, "d"},
		{[]part{w, d, h}, DoesNotHold, "d"},
	} {
		st, txt := conjoin(tc.parts...)
		if st != tc.want || txt != tc.text {
			t.Errorf("conjoin(%v) = %v %q, want %v %q", tc.parts, st, txt, tc.want, tc.text)
		}
	}
}
