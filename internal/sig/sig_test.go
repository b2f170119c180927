package sig

import (
	"errors"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ipcbench/ipcbench/internal/sys"
)

// sigBlk reads the calling thread's blocked-signal mask from
// /proc/thread-self/status.
func sigBlk(t *testing.T) uint64 {
	t.Helper()
	b, err := os.ReadFile("/proc/thread-self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "SigBlk:"); ok {
			m, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
	}
	t.Fatal("no SigBlk in /proc/thread-self/status")
	return 0
}

// onThread runs f on a fresh goroutine locked to its thread, which dies
// with it, so that no test leaves a changed mask on a pooled thread.
func onThread(f func()) {
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer close(done)
		f()
	}()
	<-done
}

func TestBlockRestoresMask(t *testing.T) {
	onThread(func() {
		before := sigBlk(t)
		r, err := Open(Data)
		if err != nil {
			t.Error(err)
			return
		}
		if got := sigBlk(t); got&(1<<(Data-1)) == 0 {
			t.Errorf("SigBlk %x after Open: signal %d not blocked", got, Data)
		}
		if _, err := Open(Data); !errors.Is(err, ErrBusy) {
			t.Errorf("second Open on the same thread: got %v, want ErrBusy", err)
		}
		// Something still pending at Close must not survive it.
		if err := Send(r.Pid(), r.Tid(), Data, 1, 0); err != nil {
			t.Error(err)
		}
		if err := r.Close(); err != nil {
			t.Error(err)
		}
		if err := r.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if after := sigBlk(t); after != before {
			t.Errorf("SigBlk %x after Close, want %x as before Open", after, before)
		}
		var pend unix.Sigset_t
		if err := rtSigpending(&pend); err != nil {
			t.Error(err)
		} else if isMember(&pend, Data) {
			t.Error("signal still pending after Close")
		}
	})
}

func rtSigpending(s *unix.Sigset_t) error {
	// sigpending(2) via rt_sigpending; 8 = sizeof kernel sigset.
	_, _, e := unix.RawSyscall(unix.SYS_RT_SIGPENDING, uintptr(unsafe.Pointer(s)), 8, 0)
	if e != 0 {
		return e
	}
	return nil
}

func TestSendRead(t *testing.T) {
	type rx struct {
		pid, tid int
		r        *Receiver
	}
	ready := make(chan rx)
	got := make(chan []Info)
	const n = 10000
	go func() {
		runtime.LockOSThread()
		r, err := Open(Data)
		if err != nil {
			t.Error(err)
			close(ready)
			return
		}
		ready <- rx{r.Pid(), r.Tid(), r}
		var infos []Info
		for range n {
			in, err := r.Read()
			if err != nil {
				t.Error(err)
				break
			}
			infos = append(infos, in)
		}
		// Interrupt ends a blocked Read.
		go func() { time.Sleep(10 * time.Millisecond); r.Interrupt() }()
		if _, err := r.Read(); !errors.Is(err, ErrInterrupted) {
			t.Errorf("Read after Interrupt: %v, want ErrInterrupted", err)
		}
		if err := r.Close(); err != nil {
			t.Error(err)
		}
		got <- infos
	}()
	x, ok := <-ready
	if !ok {
		return
	}
	target := Target{Pid: x.pid, Tid: x.tid, Signo: Data}
	for i := range n {
		v := uint64(i) * 0x9E3779B97F4A7C15
		for {
			err := target.Send(v, int32(i%9))
			if err == unix.EAGAIN { // the receiver is behind: RLIMIT_SIGPENDING
				runtime.Gosched()
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	infos := <-got
	if len(infos) != n {
		t.Fatalf("received %d signals, want %d", len(infos), n)
	}
	for i, in := range infos {
		v := uint64(i) * 0x9E3779B97F4A7C15
		if in.Value != v || in.Tag != int32(i%9) || in.Code != sys.SI_QUEUE || in.Signo != Data || int(in.Pid) != os.Getpid() {
			t.Fatalf("signal %d: got %+v, want value %#x tag %d", i, in, v, i%9)
		}
	}
}

func TestCloseOnOtherThread(t *testing.T) {
	rc := make(chan *Receiver)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		r, err := Open(Wake)
		if err != nil {
			t.Error(err)
		}
		rc <- r
	}()
	r := <-rc
	if r == nil {
		return
	}
	// Open's thread exits; closing from here is fine then.
	deadline := time.Now().Add(5 * time.Second)
	for unix.Tgkill(r.Pid(), r.Tid(), 0) != unix.ESRCH && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close after Open's thread exited: %v", err)
	}

	// A live thread: Close from elsewhere reports that the mask stays.
	stop := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		r, err := Open(Wake)
		if err != nil {
			t.Error(err)
			rc <- nil
			return
		}
		rc <- r
		<-stop
	}()
	r = <-rc
	if r == nil {
		return
	}
	if err := r.Close(); !errors.Is(err, ErrWrongThread) {
		t.Errorf("Close on another live thread: %v, want ErrWrongThread", err)
	}
	close(stop)
}

func TestSendAllocs(t *testing.T) {
	onThread(func() {
		r, err := Open(Data)
		if err != nil {
			t.Error(err)
			return
		}
		defer r.Close()
		allocs := testing.AllocsPerRun(100, func() {
			if err := Send(r.Pid(), r.Tid(), Data, 7, 3); err != nil {
				t.Error(err)
			}
			if _, err := r.Read(); err != nil {
				t.Error(err)
			}
		})
		if allocs != 0 {
			t.Errorf("Send+Read allocate %v times, want 0", allocs)
		}
	})
}

// TestStrayIgnored checks the package doc's claim that the Go runtime
// ignores an unblocked real-time signal from 35 up that os/signal did not
// ask for (instead of the default action, which terminates).
func TestStrayIgnored(t *testing.T) {
	for _, s := range []unix.Signal{Data, Wake, NotifyParent, NotifyPeer, Flood} {
		if err := Queue(os.Getpid(), s, 1); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(20 * time.Millisecond) // still alive
}

// TestCheckMask: CheckMask accepts the mask ThreadMask returned and names
// a signal left blocked.
func TestCheckMask(t *testing.T) {
	onThread(func() {
		before, err := ThreadMask()
		if err != nil {
			t.Error(err)
			return
		}
		if err := CheckMask(before); err != nil {
			t.Errorf("unchanged mask: %v", err)
		}
		restore, err := Block(Flood)
		if err != nil {
			t.Error(err)
			return
		}
		if err := CheckMask(before); err == nil || !strings.Contains(err.Error(), "not restored") {
			t.Errorf("with signal %d blocked: %v, want a mask not restored", Flood, err)
		}
		if err := restore(); err != nil {
			t.Error(err)
		}
		if err := CheckMask(before); err != nil {
			t.Errorf("after restore: %v", err)
		}
	})
}
