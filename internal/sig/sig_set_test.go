package sig

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// TestOpenSetOrder checks what the signal-flood benchmark relies on: one
// signalfd for several numbers returns the lowest-numbered pending signal
// first, so FloodEnd sent after a flood is read after every flood signal
// still pending; and a standard signal does not queue behind a pending one.
func TestOpenSetOrder(t *testing.T) {
	var sendErr error // a failed Send: the reads below would wait for ever
	defer func() {
		if errors.Is(sendErr, unix.EAGAIN) {
			t.Skipf("queueing a signal failed with EAGAIN: this user's RLIMIT_SIGPENDING (ulimit -i, counted over all of its processes) is used up: %v", sendErr)
		} else if sendErr != nil {
			t.Errorf("send: %v", sendErr)
		}
	}()
	onThread(func() {
		before := sigBlk(t)
		r, err := OpenSet(unix.SIGUSR1, Flood, FloodEnd)
		if err != nil {
			t.Error(err)
			return
		}
		want := uint64(1<<(unix.SIGUSR1-1) | 1<<(Flood-1) | 1<<(FloodEnd-1))
		if got := sigBlk(t); got&want != want {
			t.Errorf("SigBlk %x after OpenSet, want bits %x", got, want)
		}
		// The end marker goes first, then a real-time and two standard
		// signals: the standard pair coalesces into one.
		if err := Send(r.Pid(), r.Tid(), FloodEnd, 99, 0); err != nil {
			sendErr = err
			r.Close()
			return
		}
		for i := range 3 {
			if err := Send(r.Pid(), r.Tid(), Flood, uint64(i), 0); err != nil {
				sendErr = err
				r.Close()
				return
			}
		}
		// (Queued, not tgkill: Read takes a tgkill from this process for
		// Interrupt's wake-up.)
		for i := range 2 {
			if err := Send(r.Pid(), r.Tid(), unix.SIGUSR1, uint64(i), 0); err != nil {
				sendErr = err
				r.Close()
				return
			}
		}
		type got struct {
			signo unix.Signal
			value uint64
		}
		wantSeq := []got{{unix.SIGUSR1, 0}, {Flood, 0}, {Flood, 1}, {Flood, 2}, {FloodEnd, 99}}
		for i, w := range wantSeq {
			in, err := r.Read()
			if err != nil {
				t.Error(err)
				break
			}
			if in.Signo != w.signo || (w.signo != unix.SIGUSR1 && in.Value != w.value) {
				t.Errorf("signal %d: got %d value %d, want %d value %d", i, in.Signo, in.Value, w.signo, w.value)
			}
		}
		var pend unix.Sigset_t
		if err := rtSigpending(&pend); err != nil {
			t.Error(err)
		} else if isMember(&pend, unix.SIGUSR1) {
			t.Error("a second SIGUSR1 is pending: standard signals queued")
		}
		if err := r.Close(); err != nil {
			t.Error(err)
		}
		if after := sigBlk(t); after != before {
			t.Errorf("SigBlk %x after Close, want %x as before OpenSet", after, before)
		}
	})
}

// TestOpenSetBusy checks that a failed OpenSet leaves the mask as it was.
func TestOpenSetBusy(t *testing.T) {
	onThread(func() {
		r, err := Open(FloodEnd)
		if err != nil {
			t.Error(err)
			return
		}
		before := sigBlk(t)
		if _, err := OpenSet(Flood, FloodEnd); !errors.Is(err, ErrBusy) {
			t.Errorf("OpenSet with FloodEnd already blocked: %v, want ErrBusy", err)
		}
		if after := sigBlk(t); after != before {
			t.Errorf("SigBlk %x after failed OpenSet, want %x", after, before)
		}
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	})
}
