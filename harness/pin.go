package harness

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"

	"github.com/ipcbench/ipcbench/transports"
	"golang.org/x/sys/unix"
)

// Pin is where the parent and the peer process run.
type Pin string

const (
	// PinSplit puts the two processes on different CPUs.
	PinSplit Pin = "split"
	// PinSame puts both processes on one CPU.
	PinSame Pin = "same"
	// PinNone leaves placement to the scheduler.
	PinNone Pin = "none"
)

// Pins lists the placements, in the order the default suite runs them.
var Pins = []Pin{PinSplit, PinSame, PinNone}

// ParsePin converts a name to a Pin, with an error listing the valid ones.
func ParsePin(s string) (Pin, error) {
	for _, p := range Pins {
		if string(p) == s {
			return p, nil
		}
	}
	return "", fmt.Errorf("unknown pin %q (valid: split, same, none)", s)
}

// Placement is the CPUs chosen for a Pin: -1 means not pinned.
type Placement struct {
	Parent, Peer int
}

// allowedCPUs returns the CPUs this process was started on, in order.
func allowedCPUs() ([]int, error) {
	if startErr != nil {
		return nil, fmt.Errorf("sched_getaffinity: %w", startErr)
	}
	var cpus []int
	for i := 0; i < 1024 && len(cpus) < fullSet.Count(); i++ {
		if fullSet.IsSet(i) {
			cpus = append(cpus, i)
		}
	}
	return cpus, nil
}

// fullSet is the affinity mask this process started with: what an
// unpinned session runs on, and what a confinement gives back.
var (
	fullSet  unix.CPUSet
	startErr error
)

func init() { startErr = unix.SchedGetaffinity(0, &fullSet) }

// Place chooses CPUs for p. Split takes the first two allowed CPUs (parent
// on the first); Same puts both on the last allowed CPU, away from the CPU
// that usually takes device interrupts. It fails when the machine cannot
// provide the placement (split on one CPU).
func Place(p Pin) (Placement, error) {
	if p == PinNone {
		return Placement{-1, -1}, nil
	}
	cpus, err := allowedCPUs()
	if err != nil {
		return Placement{}, err
	}
	switch p {
	case PinSplit:
		if len(cpus) < 2 {
			return Placement{}, fmt.Errorf("pin=split needs two CPUs; this process may use only %v", cpus)
		}
		return Placement{cpus[0], cpus[1]}, nil
	case PinSame:
		c := cpus[len(cpus)-1]
		return Placement{c, c}, nil
	}
	return Placement{}, fmt.Errorf("unknown pin %q", p)
}

// cpuMask is the affinity mask of a placement's CPU: that CPU alone, or
// the start mask for -1.
func cpuMask(cpu int) unix.CPUSet {
	if cpu < 0 {
		return fullSet
	}
	var set unix.CPUSet
	set.Set(cpu)
	return set
}

// The process-wide confinement: one CPU at a time for the whole process,
// shared by the sessions that ask for the same CPU.
var (
	confMu   sync.Mutex
	confCPU  = -1
	confRefs int
)

// confine binds every thread of this process to cpu, as `taskset -a -p`
// does to a running process (threads started later inherit the mask), and
// lets the runtime choose GOMAXPROCS for it as it would have at start
// under that mask. cpu < 0 leaves the process alone. The returned function
// gives the process its start mask back when the last session using the
// confinement is done. A second session that wants another CPU while one
// is confined gets an error: a process has one placement at a time.
func confine(cpu int) (release func(), err error) {
	if cpu < 0 {
		return func() {}, nil
	}
	confMu.Lock()
	defer confMu.Unlock()
	if confRefs > 0 && confCPU != cpu {
		return nil, fmt.Errorf("confine the process to CPU %d: it is confined to CPU %d by a running session (one placement at a time)", cpu, confCPU)
	}
	if confRefs == 0 {
		set := cpuMask(cpu)
		if err := setProcessAffinity(&set); err != nil {
			_ = setProcessAffinity(&fullSet)
			return nil, fmt.Errorf("confine the process to CPU %d: %w", cpu, err)
		}
		defaultProcs()
		confCPU = cpu
	}
	confRefs++
	var once sync.Once
	return func() {
		once.Do(func() {
			confMu.Lock()
			defer confMu.Unlock()
			if confRefs--; confRefs == 0 {
				_ = setProcessAffinity(&fullSet)
				defaultProcs()
				confCPU = -1
			}
		})
	}, nil
}

// defaultProcs sets GOMAXPROCS to the runtime's default for the current
// mask, unless the GOMAXPROCS environment variable chose it.
func defaultProcs() {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.SetDefaultGOMAXPROCS()
	}
}

// setProcessAffinity sets the mask of every thread of this process, until
// a pass over /proc/self/task finds every thread already bound (a thread
// being created during a pass may have copied the old mask).
func setProcessAffinity(set *unix.CPUSet) error {
	for pass := 0; pass < 100; pass++ {
		tids, err := threadIDs()
		if err != nil {
			return err
		}
		changed := false
		for _, tid := range tids {
			var cur unix.CPUSet
			if err := unix.SchedGetaffinity(tid, &cur); err != nil {
				if errors.Is(err, unix.ESRCH) {
					continue // the thread exited
				}
				return fmt.Errorf("sched_getaffinity(%d): %w", tid, err)
			}
			if cur == *set {
				continue
			}
			if err := unix.SchedSetaffinity(tid, set); err != nil {
				if errors.Is(err, unix.ESRCH) {
					continue
				}
				return fmt.Errorf("sched_setaffinity(%d): %w", tid, err)
			}
			changed = true
		}
		if !changed {
			return nil
		}
	}
	return errors.New("threads kept changing their masks over 100 passes")
}

// threadIDs lists the threads of this process.
func threadIDs() ([]int, error) {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return nil, err
	}
	tids := make([]int, 0, len(ents))
	for _, e := range ents {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			tids = append(tids, tid)
		}
	}
	return tids, nil
}

// processScope reports what a pin confines for api. api=runtime: the
// whole of each process, every thread, as taskset or a cpuset does; the
// data goroutine is an ordinary goroutine on the runtime's own
// scheduling, as Go programs run. api=raw and api=zerocopy: the data
// thread of each process, which the program locks (LockOSThread) and
// binds (sched_setaffinity) itself, as a latency-tuned program pins its
// hot thread; the runtime's other threads stay on every CPU the process
// started with. The thread scope measures the mechanism as a
// single-threaded C program gets it (make crosscheck); confined as a
// whole, a raw Go process shares its CPU with its own runtime threads.
func processScope(api transports.API) bool { return api == transports.Runtime }

// peerCPU is the CPU the peer process is started on for api: the
// placement's for the process scope, none (-1) for the thread scope, where
// the peer binds its data thread itself.
func peerCPU(pl Placement, api transports.API) int {
	if processScope(api) {
		return pl.Peer
	}
	return -1
}

// place applies the parent's half of a placement for api to the calling
// goroutine's process (see processScope). The returned function undoes it
// and must run on the same goroutine.
func place(cpu int, api transports.API) (restore func(), err error) {
	if processScope(api) {
		return confine(cpu)
	}
	return pinThread(cpu)
}

// pinThread locks the calling goroutine to its OS thread and, if cpu >= 0,
// binds that thread to cpu. The returned function gives the thread its
// mask back and unlocks it.
func pinThread(cpu int) (restore func(), err error) {
	runtime.LockOSThread()
	if cpu < 0 {
		return runtime.UnlockOSThread, nil
	}
	before, err := threadMask()
	if err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("pin thread to CPU %d: sched_getaffinity: %w", cpu, err)
	}
	set := cpuMask(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("pin thread to CPU %d: sched_setaffinity: %w", cpu, err)
	}
	return func() {
		_ = unix.SchedSetaffinity(0, &before)
		runtime.UnlockOSThread()
	}, nil
}

// PinThread locks the calling goroutine to its OS thread and binds the
// thread to the CPU that pin gives the parent (none: not bound), as the
// thread scope does. The returned function undoes both. For one-process
// reference measurements.
func PinThread(pin Pin) (restore func(), err error) {
	pl, err := Place(pin)
	if err != nil {
		return nil, err
	}
	return pinThread(pl.Parent)
}

// threadMask returns the affinity mask of the calling thread.
func threadMask() (unix.CPUSet, error) {
	var set unix.CPUSet
	err := unix.SchedGetaffinity(0, &set)
	return set, err
}
