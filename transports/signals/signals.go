// Package signals exposes the signal plumbing of transports/internal/sig to
// the signal benchmarks of package bench (BenchmarkSignalFlood,
// BenchmarkSignalNotify), which Go's internal-package rule keeps from
// importing it directly. Everything here is an alias: see package sig for
// the semantics (a Receiver belongs to the locked thread that opened it;
// signals are read from a signalfd, lowest number first).
package signals

import (
	"golang.org/x/sys/unix"

	"github.com/ipcbench/ipcbench/transports/internal/sig"
	"github.com/ipcbench/ipcbench/transports/internal/sys"
)

// Signal numbers reserved for ipcbench (see package sig).
const (
	Data         = sig.Data
	NotifyParent = sig.NotifyParent
	NotifyPeer   = sig.NotifyPeer
	Flood        = sig.Flood
	FloodEnd     = sig.FloodEnd
)

// SIQueue is si_code of a signal sent with rt_sigqueueinfo or
// rt_tgsigqueueinfo (sigqueue(3)).
const SIQueue = sys.SI_QUEUE

// LimitSource names the limit behind EAGAIN from Send and Queue.
const LimitSource = sig.LimitSource

// ErrInterrupted is returned by Receiver.Read after Receiver.Interrupt.
var ErrInterrupted = sig.ErrInterrupted

type (
	// Receiver reads blocked signals of its thread from a signalfd.
	Receiver = sig.Receiver
	// Target is a receiving thread.
	Target = sig.Target
	// Info is one received signal.
	Info = sig.Info
)

// Open blocks signo on the calling locked thread and opens a signalfd
// for it (sig.Open).
func Open(signo unix.Signal) (*Receiver, error) { return sig.Open(signo) }

// OpenSet is Open for several numbers on one signalfd (sig.OpenSet).
func OpenSet(signo unix.Signal, more ...unix.Signal) (*Receiver, error) {
	return sig.OpenSet(signo, more...)
}

// Send queues signo with value and tag to one thread with
// rt_tgsigqueueinfo (sig.Send); the errno is returned bare.
func Send(pid, tid int, signo unix.Signal, value uint64, tag int32) error {
	return sig.Send(pid, tid, signo, value, tag)
}

// Queue queues signo with value to a process with rt_sigqueueinfo
// (sig.Queue); the errno is returned bare.
func Queue(pid int, signo unix.Signal, value uint64) error { return sig.Queue(pid, signo, value) }
