package bench

// The signal benchmarks (claims C3 and C4 of the seed article).
//
// BenchmarkSignalFlood/kind=<standard|realtime>/pin=<pin>: the loss
// experiment. A peer thread blocks the flood signal and the end marker
// sig.FloodEnd and reads both from one signalfd (sig.OpenSet). The parent
// fires signals at that thread without waiting: kind=standard is SIGUSR1
// by tgkill (the Go runtime uses neither SIGUSR1 nor SIGUSR2; a standard
// signal coalesces while one of its number is pending); kind=realtime is
// sig.Flood by rt_tgsigqueueinfo with the sequence number as its value
// (real-time signals queue, in order). An op is one signal fired: ns/op is
// the sender's time per signal and b.Loop's count is the number fired.
// Then the parent sends the end marker and the peer returns its count.
// The flood has no warm-up: the peer counts every signal fired, and the
// queue starts empty.
//
// Why the end marker cannot undercount: every flood signal the kernel
// accepted was made pending (or was merged into a pending one: lost)
// before the marker's send began, since the sends are sequential system
// calls of one thread to one target thread. A signalfd, like delivery to a
// handler, dequeues the lowest-numbered pending signal of its set first,
// and FloodEnd (40) is numbered above SIGUSR1 (10) and sig.Flood (39): the
// marker is read only after every flood signal still pending. Nothing
// depends on timing or a quiet period.
//
// Metrics, per signal fired:
//   - sent/op: 1 (every op is one attempt);
//   - received/op: signals the peer read;
//   - refused/op (realtime): sends that failed with EAGAIN because the
//     receiver's queue was at RLIMIT_SIGPENDING. Refused is not lost: the
//     sender was told. Standard signals are never refused (the kernel sets
//     the pending bit without a queue entry when over the limit);
//   - lost/op: accepted by the kernel (no error) but never delivered:
//     sent − refused − received;
//   - lost-%: 100 × lost / accepted, the share of accepted signals that
//     vanished.
//
// Placement: pin=split by default (the receiver drains on its own CPU
// while the sender fires); -ipcbench.pins without split selects the others.
//
// BenchmarkSignalNotify/api=<raw|runtime>/pin=<pin>/size=0: the round trip
// of a bare notification between two processes. api=raw: each side blocks
// sig.Data on its locked thread and reads it from a signalfd; the other
// side queues it to that thread with rt_tgsigqueueinfo (the value, checked
// on return, is the sequence number). api=runtime: os/signal.Notify on both
// sides (sig.NotifyParent and sig.NotifyPeer), sent with rt_sigqueueinfo
// to the process; the runtime's handler forwards the number to a channel,
// and nothing else (no value). The run warms up under the suite's rule
// (FuncSession.Warmup) and the peer checks the count of every round trip,
// warm-up included. ns/op is one round trip; cpu-ns/op and ctxsw/op cover
// both processes. With api=runtime only the locked threads
// are pinned: the runtime's signal handler and its signal-forwarding
// goroutine run on whichever thread the kernel and scheduler pick.
// Both sides restore their signal masks (Receiver.Close) or stop the
// notification (signal.Stop) at the end; the peer checks its mask.

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcbench/ipcbench/harness"
	"github.com/ipcbench/ipcbench/internal/sig"
	"github.com/ipcbench/ipcbench/internal/sys"
	"github.com/ipcbench/ipcbench/results"
	"github.com/ipcbench/ipcbench/transports"
)

const (
	floodStandard = "standard"
	floodRealtime = "realtime"

	// floodStandardSig is the standard signal of the flood: one the Go
	// runtime does not use for itself.
	floodStandardSig = unix.SIGUSR1

	// notifyEnd is the value of the raw notify run's last signal.
	notifyEnd = ^uint64(0)
)

// notifyEndSig ends the runtime notify run: the parent sends it to the
// peer, which listens to it besides sig.NotifyPeer. It is the parent's
// notification number, unused in the peer process.
const notifyEndSig = sig.NotifyParent

func init() {
	harness.RegisterPeerFunc("signal-flood", signalFloodPeer)
	harness.RegisterPeerFunc("signal-notify", signalNotifyPeer)
	addGroup(Group{Name: "SignalFlood", Cases: signalFloodCases})
	addGroup(Group{Name: "SignalNotify", Cases: signalNotifyCases})
}

// placeCheck skips a placement this machine cannot provide.
func placeCheck(pin harness.Pin) func() error {
	return func() error { _, err := harness.Place(pin); return err }
}

// floodPins is split, unless the options leave split out.
func floodPins(o Options) []harness.Pin {
	if o.Pins == nil || contains(o.Pins, harness.PinSplit) {
		return []harness.Pin{harness.PinSplit}
	}
	return o.Pins
}

func signalFloodCases(o Options) ([]Case, error) {
	var cases []Case
	for _, kind := range []string{floodStandard, floodRealtime} {
		for _, pin := range floodPins(o) {
			cases = append(cases, Case{
				Name:  fmt.Sprintf("kind=%s/pin=%s", kind, pin),
				Check: placeCheck(pin),
				Run:   func(b *testing.B) { RunSignalFlood(b, kind, pin) },
			})
		}
	}
	return cases, nil
}

func signalNotifyCases(o Options) ([]Case, error) {
	pins := o.Pins
	if pins == nil {
		pins = DefaultPins
	}
	var cases []Case
	for _, api := range []string{"raw", "runtime"} {
		if o.APIs != nil && !containsAPI(o.APIs, api) {
			continue
		}
		for _, pin := range pins {
			cases = append(cases, Case{
				Name:  fmt.Sprintf("api=%s/pin=%s/size=0", api, pin),
				Check: placeCheck(pin),
				Run:   func(b *testing.B) { RunSignalNotify(b, api, pin) },
			})
		}
	}
	return cases, nil
}

func containsAPI[T ~string](apis []T, api string) bool {
	for _, a := range apis {
		if string(a) == api {
			return true
		}
	}
	return false
}

// signalThread is where a peer's receiving thread is.
type signalThread struct {
	Pid, Tid int
}

type floodArgs struct {
	Kind   string
	Parent int // the sender's pid: signals from anyone else are refused
}

type floodResult struct {
	Received int64
	Accepted uint64 // the parent's count of accepted signals, from the end marker
}

// signalFloodPeer counts the flood signals until the end marker.
func signalFloodPeer(pc *harness.PeerContext) (any, error) {
	var a floodArgs
	if err := jsonArg(pc, &a); err != nil {
		return nil, err
	}
	signo := floodStandardSig
	if a.Kind == floodRealtime {
		signo = sig.Flood
	}
	before, err := sig.ThreadMask()
	if err != nil {
		return nil, err
	}
	rx, err := sig.OpenSet(signo, sig.FloodEnd)
	if err != nil {
		return nil, err
	}
	res, err := floodCount(pc, rx, a, signo)
	if cerr := rx.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = sig.CheckMask(before)
	}
	return res, err
}

func floodCount(pc *harness.PeerContext, rx *sig.Receiver, a floodArgs, signo unix.Signal) (floodResult, error) {
	var res floodResult
	if err := pc.Send(signalThread{rx.Pid(), rx.Tid()}); err != nil {
		return res, err
	}
	next := uint64(0) // real-time values are sequence numbers, in order, with gaps where refused
	for {
		in, err := rx.Read()
		if err != nil {
			return res, err
		}
		if int(in.Pid) != a.Parent {
			return res, fmt.Errorf("signal %d from pid %d (code %d), want only pid %d", in.Signo, in.Pid, in.Code, a.Parent)
		}
		switch in.Signo {
		case sig.FloodEnd:
			res.Accepted = in.Value
			if uint64(res.Received) > res.Accepted {
				return res, fmt.Errorf("received %d signals, but only %d were accepted", res.Received, res.Accepted)
			}
			return res, nil
		case signo:
			if a.Kind == floodRealtime {
				if in.Code != sys.SI_QUEUE || in.Value < next {
					return res, fmt.Errorf("real-time signal %d (code %d) after %d: out of order", in.Value, in.Code, next-1)
				}
				next = in.Value + 1
			}
			res.Received++
		default:
			return res, fmt.Errorf("unexpected signal %d", in.Signo)
		}
	}
}

// RunSignalFlood measures the loss of standard or real-time signals fired
// without waiting (see the comment at the top of this file).
func RunSignalFlood(b *testing.B, kind string, pin harness.Pin) {
	if kind != floodStandard && kind != floodRealtime {
		fatal(b, fmt.Errorf("signal flood: unknown kind %q", kind))
	}
	fs, err := harness.StartFunc("signal-flood", pin, transports.Raw, nil)
	if err != nil {
		fatal(b, err)
	}
	defer fs.Close()
	if err := fs.Begin(floodArgs{Kind: kind, Parent: os.Getpid()}); err != nil {
		fatal(b, err)
	}
	var to signalThread
	if err := fs.Recv(&to); err != nil {
		fatal(b, err)
	}
	var sent, refused uint64
	fire := func() error {
		if err := unix.Tgkill(to.Pid, to.Tid, floodStandardSig); err != nil {
			return fmt.Errorf("signal flood: tgkill: %w", err)
		}
		sent++
		return nil
	}
	if kind == floodRealtime {
		target := sig.Target{Pid: to.Pid, Tid: to.Tid, Signo: sig.Flood}
		fire = func() error {
			if err := target.Send(sent, 0); err != nil {
				if err != unix.EAGAIN {
					return fmt.Errorf("signal flood: rt_tgsigqueueinfo: %w", err)
				}
				refused++
			}
			sent++
			return nil
		}
	}
	if _, err := fs.Loop(b, fire); err != nil {
		fatal(b, err)
	}
	accepted := sent - refused
	end := sig.Target{Pid: to.Pid, Tid: to.Tid, Signo: sig.FloodEnd}
	if err := sendRetry(end, accepted); err != nil {
		fatal(b, fs.Fail(fmt.Errorf("signal flood: end marker: %w", err)))
	}
	var res floodResult
	if _, _, err := fs.Finish(&res); err != nil {
		fatal(b, err)
	}
	if res.Accepted != accepted {
		fatal(b, fmt.Errorf("signal flood: peer saw an end marker for %d signals, sent %d", res.Accepted, accepted))
	}
	lost := accepted - uint64(res.Received)
	n := float64(sent)
	b.ReportMetric(1, results.UnitSent)
	b.ReportMetric(float64(res.Received)/n, results.UnitRecv)
	if kind == floodRealtime {
		b.ReportMetric(float64(refused)/n, results.UnitRefused)
	}
	b.ReportMetric(float64(lost)/n, results.UnitLost)
	pct := 0.0
	if accepted > 0 {
		pct = 100 * float64(lost) / float64(accepted)
	}
	b.ReportMetric(pct, results.UnitLostPct)
}

type notifyArgs struct {
	API    string
	Parent signalThread // raw: the parent's receiving thread; runtime: its pid
}

type notifyResult struct {
	Echoed int64
}

// signalNotifyPeer answers every notification until the end.
func signalNotifyPeer(pc *harness.PeerContext) (any, error) {
	var a notifyArgs
	if err := jsonArg(pc, &a); err != nil {
		return nil, err
	}
	if a.API == "runtime" {
		return notifyPeerRuntime(pc, a)
	}
	before, err := sig.ThreadMask()
	if err != nil {
		return nil, err
	}
	rx, err := sig.Open(sig.Data)
	if err != nil {
		return nil, err
	}
	res, err := notifyPeerRaw(pc, rx, a)
	if cerr := rx.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = sig.CheckMask(before)
	}
	return res, err
}

func notifyPeerRaw(pc *harness.PeerContext, rx *sig.Receiver, a notifyArgs) (notifyResult, error) {
	var res notifyResult
	if err := pc.Send(signalThread{rx.Pid(), rx.Tid()}); err != nil {
		return res, err
	}
	to := sig.Target{Pid: a.Parent.Pid, Tid: a.Parent.Tid, Signo: sig.Data}
	for {
		in, err := rx.Read()
		if err != nil {
			return res, err
		}
		if int(in.Pid) != a.Parent.Pid || in.Code != sys.SI_QUEUE {
			return res, fmt.Errorf("signal %d from pid %d (code %d), want a queued one from pid %d", in.Signo, in.Pid, in.Code, a.Parent.Pid)
		}
		if err := sendRetry(to, in.Value); err != nil {
			return res, err
		}
		res.Echoed++
		if in.Value == notifyEnd {
			return res, nil
		}
	}
}

// sendRetry queues value to t, retrying while the queue (shared by every
// process of the receiving user) is full: the receiver drains it, and the
// watchdog of the parent's function session ends a run in which it stops
// (the peer killed, a send to it fails).
func sendRetry(t sig.Target, value uint64) error {
	full := false
	for {
		err := t.Send(value, 0)
		if err == nil {
			return nil
		}
		if err != unix.EAGAIN {
			err = fmt.Errorf("signal %d to thread %d: %w", t.Signo, t.Tid, os.NewSyscallError("rt_tgsigqueueinfo", err))
			if full {
				err = fmt.Errorf("queue full (%s), then: %w", sig.LimitSource, err)
			}
			return err
		}
		full = true
		time.Sleep(100 * time.Microsecond)
	}
}

func notifyPeerRuntime(pc *harness.PeerContext, a notifyArgs) (notifyResult, error) {
	var res notifyResult
	c := make(chan os.Signal, 2)
	signal.Notify(c, sig.NotifyPeer, notifyEndSig)
	defer signal.Stop(c)
	if err := pc.Send(signalThread{Pid: os.Getpid()}); err != nil {
		return res, err
	}
	for {
		if s := <-c; s == notifyEndSig {
			return res, nil
		}
		if err := sig.Queue(a.Parent.Pid, sig.NotifyParent, 0); err != nil {
			return res, fmt.Errorf("signal %d to pid %d: %w", sig.NotifyParent, a.Parent.Pid, os.NewSyscallError("rt_sigqueueinfo", err))
		}
		res.Echoed++
	}
}

// errPeerGone is what a notify round trip returns when the peer died.
var errPeerGone = errors.New("signal notify: peer died during the round trip")

// RunSignalNotify measures the round trip of a bare notification (see
// the comment at the top of this file).
func RunSignalNotify(b *testing.B, api string, pin harness.Pin) {
	if api != "raw" && api != "runtime" {
		fatal(b, fmt.Errorf("signal notify: unknown api %q", api))
	}
	fs, err := harness.StartFunc("signal-notify", pin, transports.API(api), nil)
	if err != nil {
		fatal(b, err)
	}
	defer fs.Close()
	var n int64
	var rtt func() error
	var end func() error
	if api == "raw" {
		// This thread is locked (StartFunc pinned it) and stays so until
		// fs.Close, which runs after rx.Close.
		before, err := sig.ThreadMask()
		if err != nil {
			fatal(b, err)
		}
		rx, err := sig.Open(sig.Data)
		if err != nil {
			fatal(b, err)
		}
		defer func() {
			if err := rx.Close(); err != nil {
				fatal(b, err)
			}
			if err := sig.CheckMask(before); err != nil {
				fatal(b, err)
			}
		}()
		fs.Peer().OnDeath(rx.Interrupt)
		if err := fs.Begin(notifyArgs{API: api, Parent: signalThread{rx.Pid(), rx.Tid()}}); err != nil {
			fatal(b, err)
		}
		var p signalThread
		if err := fs.Recv(&p); err != nil {
			fatal(b, err)
		}
		to := sig.Target{Pid: p.Pid, Tid: p.Tid, Signo: sig.Data}
		roundTrip := func(v uint64) error {
			if err := to.Send(v, 0); err != nil {
				return fmt.Errorf("signal notify: send %d: %w", v, os.NewSyscallError("rt_tgsigqueueinfo", err))
			}
			in, err := rx.Read()
			if err != nil {
				if errors.Is(err, sig.ErrInterrupted) {
					return errPeerGone
				}
				return fmt.Errorf("signal notify: %w", err)
			}
			if in.Value != v {
				return fmt.Errorf("signal notify: answer %d to %d", in.Value, v)
			}
			return nil
		}
		rtt = func() error { err := roundTrip(uint64(n)); n++; return err }
		end = func() error { return roundTrip(notifyEnd) }
	} else {
		c := make(chan os.Signal, 2) // one notification in flight, plus the death marker
		signal.Notify(c, sig.NotifyParent)
		defer signal.Stop(c)
		dead := syscall.Signal(0)
		fs.Peer().OnDeath(func() {
			select {
			case c <- dead:
			default:
			}
		})
		if err := fs.Begin(notifyArgs{API: api, Parent: signalThread{Pid: os.Getpid()}}); err != nil {
			fatal(b, err)
		}
		var p signalThread
		if err := fs.Recv(&p); err != nil {
			fatal(b, err)
		}
		rtt = func() error {
			if err := sig.Queue(p.Pid, sig.NotifyPeer, 0); err != nil {
				return fmt.Errorf("signal notify: send: %w", os.NewSyscallError("rt_sigqueueinfo", err))
			}
			if <-c == dead {
				return errPeerGone
			}
			n++
			return nil
		}
		end = func() error {
			if err := sig.Queue(p.Pid, notifyEndSig, 0); err != nil {
				return fmt.Errorf("signal notify: end: %w", os.NewSyscallError("rt_sigqueueinfo", err))
			}
			return nil
		}
	}
	if _, err := fs.Warmup(warmup(b), rtt); err != nil {
		fatal(b, err)
	}
	if _, err := fs.Loop(b, rtt); err != nil {
		fatal(b, err)
	}
	if err := end(); err != nil {
		fatal(b, fs.Fail(err))
	}
	var res notifyResult
	parent, peer, err := fs.Finish(&res)
	if err != nil {
		fatal(b, err)
	}
	want := fs.Ops()
	if api == "raw" {
		want++ // the end marker is echoed too
	}
	if res.Echoed != want {
		fatal(b, fmt.Errorf("signal notify: peer answered %d notifications, want %d", res.Echoed, want))
	}
	harness.ReportUsage(b, parent, peer, fs.Ops())
	runtime.KeepAlive(fs)
}
