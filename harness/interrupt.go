package harness

import (
	"fmt"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ipcbench/ipcbench/transports"
)

// A parent interrupted by SIGINT or SIGTERM in the middle of a workload
// must not leave kernel objects or peers behind. The first Start installs a
// handler (os/signal) that, on the first such signal, kills every peer and
// interrupts every live channel so that blocked calls return. Each
// session's own goroutine then closes its session (a failed workload does
// so at once) and, the process being on its way out, parks there, so that
// nothing (go test's failure path included) exits before the cleanup is
// done. The handler waits for that, closes what did not come back within
// closeGrace, and exits with 128+signal. A second signal exits at once.

// closeGrace is how long the handler waits for sessions to close
// themselves before it closes them.
const closeGrace = 2 * time.Second

var (
	liveMu   sync.Mutex
	live     = map[*Session]struct{}{}
	liveGone = sync.NewCond(&liveMu)
	sigOnce  sync.Once
	// interrupting is set once a SIGINT or SIGTERM has arrived.
	interrupting atomic.Bool
)

func trackSession(s *Session) {
	sigOnce.Do(installInterruptHandler)
	liveMu.Lock()
	live[s] = struct{}{}
	liveMu.Unlock()
}

func untrackSession(s *Session) {
	liveMu.Lock()
	delete(live, s)
	liveGone.Broadcast()
	liveMu.Unlock()
}

func installInterruptHandler() {
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		sig := <-ch
		go func() { // a second signal: leave now
			<-ch
			os.Exit(exitStatus(sig))
		}()
		interrupting.Store(true)
		fmt.Fprintf(os.Stderr, "ipcbench: %v: stopping peers and removing kernel objects\n", sig)
		cleanUpLive()
		os.Exit(exitStatus(sig))
	}()
}

// cleanUpLive kills the peers, interrupts the channels, gives the
// sessions closeGrace to close themselves, then closes the rest.
func cleanUpLive() {
	KillAll()
	liveMu.Lock()
	for s := range live {
		if in, ok := s.conn.(transports.Interrupter); ok {
			in.Interrupt()
		}
	}
	deadline := time.Now().Add(closeGrace)
	go func() { // wake the wait below at the deadline
		time.Sleep(closeGrace)
		liveGone.Broadcast()
	}()
	for len(live) > 0 && time.Now().Before(deadline) {
		liveGone.Wait()
	}
	rest := make([]*Session, 0, len(live))
	for s := range live {
		rest = append(rest, s)
	}
	liveMu.Unlock()
	for _, s := range rest {
		if s.conn != nil {
			s.conn.Close() // removes the kernel objects the parent made
		}
	}
}

// parkIfInterrupted never returns once the process has been interrupted:
// the signal handler is about to exit it.
func parkIfInterrupted() {
	if interrupting.Load() {
		select {}
	}
}

func exitStatus(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 1
}
