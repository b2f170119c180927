package harness

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// HandshakeTimeout bounds how long the parent waits for the peer to start
// and answer a control request that is not a workload.
var HandshakeTimeout = 10 * time.Second

// A PeerError reports a failure of the peer process: it could not start or
// attach, it died, it hung, or it reported an error.
type PeerError struct {
	Transport string // transport name, or the peer function's name
	Stage     string // "start", "attach", "pingpong", …
	Err       error
	Stderr    string // the tail of the peer's standard error
}

func (e *PeerError) Error() string {
	s := fmt.Sprintf("peer (%s) %s: %v", e.Transport, e.Stage, e.Err)
	if e.Stderr != "" {
		s += "\npeer stderr:\n" + e.Stderr
	}
	return s
}

func (e *PeerError) Unwrap() error { return e.Err }

var (
	// ErrPeerDied is wrapped when the peer process exited unexpectedly.
	ErrPeerDied = errors.New("peer process died")
	// ErrPeerHung is wrapped when the peer made no progress within the hang timeout.
	ErrPeerHung = errors.New("peer made no progress")
)

// Peer is a running peer process seen from the parent: a child process
// (spawn), or a process on another host that ServePeers started for this
// connection (dialPeer, remote.go).
type Peer struct {
	name   string
	cmd    *exec.Cmd      // nil for a remote peer
	remote netip.AddrPort // a remote peer's ServePeers address (zero: a child)
	local  netip.AddrPort // this end of a remote peer's control connection
	ctl    *ctl
	stderr *tailBuffer

	resp chan response // control responses, in order
	dead chan struct{} // closed when the control channel ends (the peer exited)

	waitOnce sync.Once
	waitErr  error
	exited   chan struct{}

	mu       sync.Mutex
	onDeath  []func()
	killedBy error // set when the parent killed the peer on purpose
}

// spawner runs exec on one goroutine locked to a thread that never exits,
// because Pdeathsig fires when the thread that forked the child exits, not
// the process (go.dev/issue/27505). The child inherits that thread's CPU
// mask, so the spawner binds its thread to the peer's CPU for the fork:
// the peer starts confined, as under `taskset -c CPU`, and its runtime
// chooses GOMAXPROCS from that mask.
var spawnReq = make(chan func())

func init() {
	go func() {
		runtime.LockOSThread()
		for f := range spawnReq {
			f()
		}
	}()
}

// spawn starts the peer: the running binary with the role in the
// environment, the control channel at fd 3 and files at 4, 5, …, confined
// to cpu (-1: the mask this process started with).
func spawn(name string, files []*os.File, cpu int) (*Peer, error) {
	return spawnIn(name, files, cpu, -1)
}

// spawnIn is spawn with the peer started in the network namespace of
// descriptor netns (-1: this process's).
func spawnIn(name string, files []*os.File, cpu, netns int) (*Peer, error) {
	parentCtl, peerCtl, err := ctlPair()
	if err != nil {
		return nil, err
	}
	defer peerCtl.Close()
	p := &Peer{
		name:   name,
		ctl:    parentCtl,
		stderr: newTailBuffer(8 << 10),
		resp:   make(chan response, 4),
		dead:   make(chan struct{}),
		exited: make(chan struct{}),
	}
	cmd := peerCmd(peerCtl, files, p.stderr)
	p.cmd = cmd
	done := make(chan error)
	spawnReq <- func() { done <- startOn(cmd, cpu, netns) }
	if err := <-done; err != nil {
		parentCtl.close()
		return nil, &PeerError{Transport: name, Stage: "start", Err: err}
	}
	registerChild(p)
	go p.readLoop()
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
		unregisterChild(p)
	}()
	return p, nil
}

// peerCmd is the command that re-executes this binary as a peer: the role
// in its environment (and env, more variables), ctlEnd at fd 3, files at
// 4, 5, …, its output to out, and SIGKILL when the thread that starts it
// (the spawner's) dies. spawn and ServePeers start it from the spawner.
func peerCmd(ctlEnd *os.File, files []*os.File, out io.Writer, env ...string) *exec.Cmd {
	cmd := exec.Command("/proc/self/exe")
	if len(os.Args) > 0 {
		cmd.Args = []string{os.Args[0]}
	}
	cmd.Env = append(os.Environ(), roleEnv+"="+roleValue, fmt.Sprintf("%s=%d", filesEnv, len(files)))
	cmd.Env = append(cmd.Env, env...)
	cmd.ExtraFiles = append([]*os.File{ctlEnd}, files...)
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd
}

// startOn starts cmd from the calling (locked) thread with the thread's
// mask set to cpu's and, when netns is not -1, the thread in that network
// namespace for the fork (a child starts in its forking thread's
// namespaces), and gives the thread its mask and namespace back.
func startOn(cmd *exec.Cmd, cpu, netns int) error {
	if netns >= 0 && !sameNetns(netns) {
		back, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			return fmt.Errorf("the spawning thread's network namespace: %w", err)
		}
		defer back.Close()
		if err := unix.Setns(netns, unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("move the spawning thread to the peer's network namespace: setns: %w", err)
		}
		defer func() {
			if err := unix.Setns(int(back.Fd()), unix.CLONE_NEWNET); err != nil {
				// Every later peer would start in the wrong namespace.
				panic(fmt.Sprintf("harness: the spawning thread cannot return to its network namespace: %v", err))
			}
		}()
	}
	before, err := threadMask()
	if err != nil {
		return fmt.Errorf("sched_getaffinity: %w", err)
	}
	set := cpuMask(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return fmt.Errorf("bind the spawning thread to CPU %d: sched_setaffinity: %w", cpu, err)
	}
	err = cmd.Start()
	_ = unix.SchedSetaffinity(0, &before) // a mask the thread had: cannot be refused
	return err
}

// sameNetns reports whether the calling thread is in the network
// namespace of descriptor netns already.
func sameNetns(netns int) bool {
	var a, b unix.Stat_t
	return unix.Fstat(netns, &a) == nil && unix.Stat("/proc/thread-self/ns/net", &b) == nil && a.Ino == b.Ino && a.Dev == b.Dev
}

// readLoop forwards control responses until the peer's end closes.
func (p *Peer) readLoop() {
	defer func() {
		close(p.dead)
		p.mu.Lock()
		fs := p.onDeath
		p.onDeath = nil
		p.mu.Unlock()
		for _, f := range fs {
			f()
		}
	}()
	for {
		var r response
		if err := p.ctl.recv(&r); err != nil {
			return
		}
		p.resp <- r
	}
}

// OnDeath registers f to run (once, on another goroutine) when the peer's
// control channel ends. If it already has, f runs at once.
func (p *Peer) OnDeath(f func()) {
	p.mu.Lock()
	select {
	case <-p.dead:
		p.mu.Unlock()
		f()
		return
	default:
	}
	p.onDeath = append(p.onDeath, f)
	p.mu.Unlock()
}

// PID is the peer's process id; 0 for a remote peer, which is not a
// process of this host.
func (p *Peer) PID() int {
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Stderr returns the tail of what the peer wrote to stderr; empty for a
// remote peer (its output goes to the log of ServePeers on its host).
func (p *Peer) Stderr() string { return p.stderr.String() }

// request sends r and waits up to timeout (0: forever, until the peer dies)
// for the response.
func (p *Peer) request(r request, timeout time.Duration) (response, error) {
	if err := p.ctl.send(r); err != nil {
		return response{}, p.fail(r.Op, err)
	}
	return p.await(r.Op, timeout)
}

// await waits for the next response.
func (p *Peer) await(stage string, timeout time.Duration) (response, error) {
	var tc <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		tc = t.C
	}
	select {
	case r := <-p.resp:
		if r.Error != "" {
			return r, p.fail(stage, errors.New(r.Error))
		}
		return r, nil
	case <-p.dead:
		// A response may have raced with the end of the channel.
		select {
		case r := <-p.resp:
			if r.Error != "" {
				return r, p.fail(stage, errors.New(r.Error))
			}
			return r, nil
		default:
		}
		return response{}, p.fail(stage, p.deathCause())
	case <-tc:
		p.kill(fmt.Errorf("%w: no answer to %q within %v", ErrPeerHung, stage, timeout))
		return response{}, p.fail(stage, p.deathCause())
	}
}

// deathCause describes why the peer is gone, after waiting briefly for its
// exit status.
func (p *Peer) deathCause() error {
	select {
	case <-p.exited:
	case <-time.After(2 * time.Second):
	}
	p.mu.Lock()
	killed := p.killedBy
	p.mu.Unlock()
	if killed != nil {
		return killed
	}
	if p.cmd == nil {
		return fmt.Errorf("%w: remote peer at %s: control connection closed (its output is in the log of `ipcbench peer` there)", ErrPeerDied, p.remote)
	}
	select {
	case <-p.exited:
		if p.waitErr != nil {
			return fmt.Errorf("%w: %v", ErrPeerDied, p.waitErr)
		}
		return fmt.Errorf("%w: exited with status 0", ErrPeerDied)
	default:
		return fmt.Errorf("%w: control channel closed", ErrPeerDied)
	}
}

func (p *Peer) fail(stage string, err error) error {
	return &PeerError{Transport: p.name, Stage: stage, Err: err, Stderr: p.stderr.String()}
}

// kill ends the peer with SIGKILL (a remote peer: closes the control
// connection, and ServePeers kills it), recording why.
func (p *Peer) kill(why error) {
	p.mu.Lock()
	if p.killedBy == nil {
		p.killedBy = why
	}
	p.mu.Unlock()
	p.terminate()
}

// terminate kills a child with SIGKILL, or shuts down a remote peer's
// control connection (which wakes readLoop with end of file).
func (p *Peer) terminate() {
	if p.cmd == nil {
		p.mu.Lock()
		if p.ctl.fd >= 0 {
			_ = unix.Shutdown(p.ctl.fd, unix.SHUT_RDWR)
		}
		p.mu.Unlock()
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
}

// Signal sends sig to the peer process (fault injection in tests); a
// remote peer cannot be signalled.
func (p *Peer) Signal(sig os.Signal) error {
	if p.cmd == nil {
		return fmt.Errorf("remote peer at %s: not a process of this host: cannot send %v", p.remote, sig)
	}
	return p.cmd.Process.Signal(sig)
}

// Close tells the peer to exit, and kills it if it has not within a
// second; then it reaps the child and closes the control channel. It is
// idempotent.
func (p *Peer) Close() error {
	p.waitOnce.Do(func() {
		select {
		case <-p.exited:
		default:
			_ = p.ctl.send(request{Op: "close"})
			select {
			case <-p.exited:
			case <-time.After(time.Second):
				// A stopped peer must be continued to die of SIGKILL? No:
				// SIGKILL ends stopped processes too.
				p.kill(errors.New("peer did not exit after close"))
				<-p.exited
			}
		}
		_ = unix.Shutdown(p.ctl.fd, unix.SHUT_RDWR)
		<-p.dead
		p.mu.Lock() // terminate may shut down a remote peer's connection
		p.ctl.close()
		p.mu.Unlock()
	})
	return nil
}

// tailBuffer keeps the last n bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	n   int
	buf []byte
}

func newTailBuffer(n int) *tailBuffer { return &tailBuffer{n: n} }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.n {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.n:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// children tracks live peers so that an interrupted parent can kill them.
var (
	childMu  sync.Mutex
	children = map[*Peer]struct{}{}
)

func registerChild(p *Peer) {
	childMu.Lock()
	children[p] = struct{}{}
	childMu.Unlock()
}

func unregisterChild(p *Peer) {
	childMu.Lock()
	delete(children, p)
	childMu.Unlock()
}

// KillAll kills every live peer (closes every remote peer's control
// connection); for signal handlers of an interrupted parent.
func KillAll() {
	childMu.Lock()
	defer childMu.Unlock()
	for p := range children {
		p.terminate()
	}
}
