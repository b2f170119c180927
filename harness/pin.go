package harness

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// Pin is where the parent's and the peer's data threads run.
type Pin string

const (
	// PinSplit puts the two data threads on different CPUs.
	PinSplit Pin = "split"
	// PinSame puts both data threads on one CPU.
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

// allowedCPUs returns the CPUs this process may run on, in order.
func allowedCPUs() ([]int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return nil, fmt.Errorf("sched_getaffinity: %w", err)
	}
	var cpus []int
	for i := 0; i < 1024 && len(cpus) < set.Count(); i++ {
		if set.IsSet(i) {
			cpus = append(cpus, i)
		}
	}
	return cpus, nil
}

// fullSet is the affinity mask this process started with, restored on
// threads a benchmark pinned before they return to the runtime's pool.
var fullSet unix.CPUSet

func init() { _ = unix.SchedGetaffinity(0, &fullSet) }

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

// pinThread locks the calling goroutine to its OS thread and, if cpu >= 0,
// binds that thread to cpu. The returned function restores the thread's
// original affinity and unlocks it.
func pinThread(cpu int) (restore func(), err error) {
	runtime.LockOSThread()
	if cpu < 0 {
		return runtime.UnlockOSThread, nil
	}
	var set unix.CPUSet
	set.Set(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("pin thread to CPU %d: sched_setaffinity: %w", cpu, err)
	}
	return func() {
		_ = unix.SchedSetaffinity(0, &fullSet)
		runtime.UnlockOSThread()
	}, nil
}

// PinThread locks the calling goroutine to its OS thread and binds the
// thread to the CPU that pin gives the parent (none: not bound). The
// returned function undoes both. For one-process reference measurements.
func PinThread(pin Pin) (restore func(), err error) {
	place, err := Place(pin)
	if err != nil {
		return nil, err
	}
	return pinThread(place.Parent)
}
