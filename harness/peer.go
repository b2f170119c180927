package harness

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/ipcbench/ipcbench/transports"
	"golang.org/x/sys/unix"
)

// IsPeer reports whether this process was started as a peer by the harness.
// TestMain and main call it first and hand over to PeerMain.
func IsPeer() bool { return os.Getenv(roleEnv) != "" }

// A PeerFunc is a program the peer runs on request, for measurements that
// are not a transport workload (reference floors, signal floods). args are
// the parent's JSON arguments; files are the descriptors the parent handed
// over (fd 4, 5, …); the result is sent back as JSON. For api=raw the
// PeerFunc runs on a locked OS thread pinned as the parent asked; for
// api=runtime as an ordinary goroutine in a process confined to its CPU.
type PeerFunc func(pc *PeerContext) (result any, err error)

// PeerContext is what a PeerFunc gets.
type PeerContext struct {
	Args  json.RawMessage
	Files []*os.File
	CPU   int
	ctl   *ctl
}

// Send sends an intermediate message to the parent (PeerProcess.Recv).
func (pc *PeerContext) Send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return pc.ctl.send(response{Result: b})
}

var (
	funcMu    sync.Mutex
	peerFuncs = map[string]PeerFunc{}
)

// RegisterPeerFunc makes fn runnable in peers under name. Both processes
// run the same binary, so registering from an init function of a package
// both import is enough. It panics on a duplicate name.
func RegisterPeerFunc(name string, fn PeerFunc) {
	funcMu.Lock()
	defer funcMu.Unlock()
	if _, dup := peerFuncs[name]; dup {
		panic("harness.RegisterPeerFunc: duplicate " + name)
	}
	peerFuncs[name] = fn
}

// PeerMain is the peer's whole life: it reads requests from the control
// channel at fd 3 and serves them until told to close or until the parent
// goes away. It returns the process exit status.
func PeerMain() int {
	if v := os.Getenv(roleEnv); v != roleValue {
		fmt.Fprintf(os.Stderr, "ipcbench peer: protocol %q, this binary speaks %q\n", v, roleValue)
		return 2
	}
	// Requests are read on the main goroutine, locked to the main thread
	// (pinned for the thread scope) until a request for api=runtime unlocks
	// it (a peer serves one session; spawn started the process confined);
	// a second goroutine watches nothing: end of file on the control
	// channel is seen by the next read, and a peer blocked in a transport
	// call is killed by the parent or by Pdeathsig.
	runtime.LockOSThread()
	c := newCtl(ctlFD)
	if os.Getenv(ctlEnv) == ctlStream { // a remote peer's TCP connection (ServePeers)
		c = newStreamCtl(ctlFD)
	}
	nfiles, err := strconv.Atoi(os.Getenv(filesEnv))
	if err != nil {
		fmt.Fprintf(os.Stderr, "ipcbench peer: %s=%q: %v\n", filesEnv, os.Getenv(filesEnv), err)
		return 2
	}
	var files []*os.File
	for fd := ctlFD + 1; fd <= ctlFD+nfiles; fd++ {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
			fmt.Fprintf(os.Stderr, "ipcbench peer: inherited descriptor %d: %v\n", fd, err)
			return 2
		}
		unix.CloseOnExec(fd)
		files = append(files, os.NewFile(uintptr(fd), fmt.Sprintf("fd%d", fd)))
	}
	p := &peerState{ctl: c, files: files}
	defer p.closeConn()
	for {
		var r request
		if err := c.recv(&r); err != nil {
			if errors.Is(err, errCtlEOF) {
				return 0
			}
			fmt.Fprintf(os.Stderr, "ipcbench peer: %v\n", err)
			return 2
		}
		if r.Op == "close" {
			return 0
		}
		resp := p.serve(r)
		if err := c.send(resp); err != nil {
			fmt.Fprintf(os.Stderr, "ipcbench peer: %v\n", err)
			return 2
		}
	}
}

// peerState is what the peer holds between requests.
type peerState struct {
	ctl      *ctl
	files    []*os.File
	conn     transports.Conn
	name     string
	restore  func() // undoes the thread scope's pinning
	unlocked bool   // the main goroutine was unlocked for api=runtime
	buf      []byte
}

func (p *peerState) closeConn() {
	if p.conn != nil {
		p.conn.Close()
		p.conn = nil
	}
}

func errResponse(err error) response { return response{Error: err.Error()} }

func (p *peerState) serve(r request) response {
	switch r.Op {
	case "attach":
		return p.attach(r)
	case "func":
		return p.runFunc(r)
	}
	if p.conn == nil {
		return errResponse(fmt.Errorf("%s before attach", r.Op))
	}
	start := readUsage()
	var resp response
	var err error
	switch r.Op {
	case "echo":
		resp, err = p.echo(r)
	case "pingpong":
		resp, err = p.pingpong(r)
	case "stream":
		resp, err = p.stream(r)
	case Rate:
		resp, err = p.rate(r)
	case "client":
		resp, err = p.client(r)
	default:
		err = fmt.Errorf("unknown request %q", r.Op)
	}
	resp.Usage = readUsage().Sub(start)
	if err != nil {
		resp.Error = fmt.Sprintf("%s %s: %v", p.name, r.Op, err)
		// The data path is mid-workload and will not be read again: close
		// it, so that a parent blocked sending into it fails at once
		// (peer gone) and reads this report, instead of waiting for the
		// hang watchdog.
		p.closeConn()
	}
	return resp
}

// placeFor applies the peer's half of the placement for api: for the
// process scope it checks that the process runs where the parent started
// it and unlocks the main goroutine (once: a peer serves one session); for
// the thread scope it binds the main goroutine's locked thread to cpu.
func (p *peerState) placeFor(cpu int, api transports.API) error {
	if processScope(api) {
		if p.restore != nil {
			return errors.New("peer placement: api=runtime after a pinned thread")
		}
		if cpu >= 0 {
			set, err := threadMask()
			if err != nil {
				return fmt.Errorf("sched_getaffinity: %w", err)
			}
			if want := cpuMask(cpu); set != want {
				return fmt.Errorf("peer placement: started with %d CPUs in its mask, want CPU %d alone", set.Count(), cpu)
			}
		}
		if !p.unlocked {
			runtime.UnlockOSThread()
			p.unlocked = true
		}
		return nil
	}
	if p.unlocked {
		return errors.New("peer placement: a pinned thread after api=runtime")
	}
	if p.restore != nil {
		p.restore()
		p.restore = nil
	}
	restore, err := pinThread(cpu)
	if err != nil {
		return err
	}
	p.restore = restore
	return nil
}

func (p *peerState) attach(r request) response {
	if r.Spec == nil {
		return errResponse(errors.New("attach without a spec"))
	}
	if err := p.placeFor(r.CPU, r.Spec.API); err != nil {
		return errResponse(err)
	}
	info, err := transports.Lookup(r.Spec.Transport)
	if err != nil {
		return errResponse(err)
	}
	conn, err := info.New().Attach(*r.Spec, p.files)
	if err != nil {
		return errResponse(fmt.Errorf("%s: attach: %w", r.Spec.Transport, err))
	}
	p.conn, p.name = conn, r.Spec.Transport
	p.buf = make([]byte, r.Spec.MaxMessage)
	resp := response{PID: os.Getpid(), TID: unix.Gettid(), Procs: runtime.GOMAXPROCS(0)}
	if rp, ok := conn.(transports.Replier); ok {
		resp.Reply = rp.Reply()
	}
	return resp
}

func (p *peerState) runFunc(r request) response {
	funcMu.Lock()
	fn, ok := peerFuncs[r.Func]
	funcMu.Unlock()
	if !ok {
		return errResponse(fmt.Errorf("unknown peer function %q", r.Func))
	}
	if err := p.placeFor(r.CPU, r.API); err != nil {
		return errResponse(err)
	}
	start := readUsage()
	res, err := fn(&PeerContext{Args: r.Args, Files: p.files, CPU: r.CPU, ctl: p.ctl})
	resp := response{Usage: readUsage().Sub(start)}
	if err != nil {
		resp.Error = fmt.Sprintf("%s: %v", r.Func, err)
		return resp
	}
	if res != nil {
		b, err := json.Marshal(res)
		if err != nil {
			return errResponse(err)
		}
		resp.Result = b
	}
	return resp
}

// A port is the peer's end of the data path, copying or zero-copy: recv
// returns the next message (in the peer's buffer, or in place), echo sends
// the message recv returned back and is done with it, done is done with it
// without an echo.
type port interface {
	recv() ([]byte, error)
	echo(msg []byte) error
	done() error
}

// copyPort is the port of the copying APIs: Recv into the peer's buffer,
// Send back from it.
type copyPort struct {
	conn transports.Conn
	buf  []byte
}

func (c *copyPort) recv() ([]byte, error) {
	n, err := c.conn.Recv(c.buf)
	if err != nil {
		return nil, fmt.Errorf("recv: %w", err)
	}
	return c.buf[:n], nil
}

func (c *copyPort) echo(msg []byte) error {
	if err := c.conn.Send(msg); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	return nil
}

func (c *copyPort) done() error { return nil }

// piecePort is the copying port of a Conn that copies in user space
// (transports.PieceRecver): recv hands each piece to the stream's
// pieceCheck as it is copied.
type piecePort struct {
	*copyPort
	pr transports.PieceRecver
	pc *pieceCheck
}

func (c *piecePort) recv() ([]byte, error) {
	c.pc.reset()
	n, err := c.pr.RecvPieces(c.buf, c.pc.fn)
	if err != nil {
		return nil, fmt.Errorf("recv: %w", err)
	}
	return c.buf[:n], nil
}

// port returns the session's port: zero-copy (zerocopy.go) when the Conn
// offers it, else copying.
func (p *peerState) port() port {
	if zc, ok := p.conn.(transports.ZeroCopyConn); ok {
		return &zcPort{zc}
	}
	return &copyPort{p.conn, p.buf[:cap(p.buf)]}
}

// echo returns Count messages unchanged, whatever their size.
func (p *peerState) echo(r request) (response, error) {
	var resp response
	pt := p.port()
	for i := 0; i < r.Count; i++ {
		msg, err := pt.recv()
		if err != nil {
			return resp, fmt.Errorf("message %d: %w", i, err)
		}
		resp.Received++
		if err := pt.echo(msg); err != nil {
			return resp, fmt.Errorf("message %d: %w", i, err)
		}
	}
	return resp, nil
}

// pingpong echoes Size-byte messages, checking length and sequence number,
// until the end-flagged one (echoed too).
func (p *peerState) pingpong(r request) (response, error) {
	var resp response
	pt := p.port()
	for seq := uint64(0); ; seq++ {
		msg, err := pt.recv()
		if err != nil {
			return resp, fmt.Errorf("message %d: %w", seq, err)
		}
		want := seq
		if len(msg) >= 8 && seqOf(msg)&endFlag != 0 {
			want |= endFlag
		}
		if err := verifyHead(msg, r.Size, want); err != nil {
			pt.done()
			return resp, err
		}
		resp.Received++
		if err := pt.echo(msg); err != nil {
			return resp, fmt.Errorf("message %d: %w", seq, err)
		}
		if want&endFlag != 0 {
			return resp, nil
		}
	}
}

// stream receives and fully verifies Size-byte messages until the
// end-flagged one, then answers on the control channel. A Conn that
// copies in user space has the pattern bytes checked piece by piece as it
// copies them (piecePort); any other's messages are checked after Recv. On a lossy
// transport it acknowledges every Window messages on the transport itself
// (flow control) and counts gaps in the sequence as losses.
func (p *peerState) stream(r request) (response, error) {
	var resp response
	pt := p.port()
	if _, zc := pt.(*zcPort); zc && r.Window > 0 {
		return resp, fmt.Errorf("zero-copy stream with a flow-control window of %d: lossy transports have no zero-copy path", r.Window)
	}
	pat := pattern(r.Seed, r.Size)
	pc := (*pieceCheck)(nil)
	if cp, ok := pt.(*copyPort); ok {
		if pr, ok := cp.conn.(transports.PieceRecver); ok {
			// A user-space copy: check the pattern bytes as they are
			// copied out, one pass over the message.
			pc = newPieceCheck(pat, r.Size)
			pt = &piecePort{copyPort: cp, pr: pr, pc: pc}
		}
	}
	var ack []byte
	if r.Window > 0 {
		ack = make([]byte, 8)
	}
	next, acked := uint64(0), uint64(0)
	for {
		msg, err := pt.recv()
		if err != nil {
			return resp, fmt.Errorf("message %d: %w", next, err)
		}
		if len(msg) < 8 {
			pt.done()
			return resp, &VerifyError{next, fmt.Sprintf("length %d, want %d", len(msg), r.Size)}
		}
		seq := seqOf(msg)
		end := seq&endFlag != 0
		num := seq &^ endFlag
		if r.Window > 0 && num > next {
			resp.Lost += int64(num - next) // a lossy transport dropped these
		} else if num != next {
			pt.done()
			return resp, &VerifyError{next, fmt.Sprintf("sequence number %d, want %d (lost or reordered)", num, next)}
		}
		if pc != nil && pc.ok {
			err = verifyStamps(msg, r.Size, seq) // the pattern bytes matched as they were copied
		} else {
			err = verifyFull(msg, pat, r.Size, seq)
		}
		if derr := pt.done(); derr != nil && err == nil {
			err = fmt.Errorf("message %d: %w", next, derr)
		}
		if err != nil {
			return resp, err
		}
		resp.Received++
		next = num + 1
		if end {
			return resp, nil
		}
		if w := uint64(r.Window); w > 0 && next/w > acked {
			// Acknowledge each window boundary crossed, even when the
			// messages right at the boundary were lost.
			acked = next / w
			stamp(ack, acked*w)
			if err := p.conn.Send(ack); err != nil {
				return resp, fmt.Errorf("ack %d: send: %w", next, err)
			}
			resp.Acks++
		}
	}
}

// TestMain is the TestMain of a test binary that starts peers: a binary
// the harness re-executed as a peer runs the peer's loop, any other runs
// the tests. Use it as `func TestMain(m *testing.M) { harness.TestMain(m) }`.
func TestMain(m *testing.M) {
	if IsPeer() {
		os.Exit(PeerMain())
	}
	os.Exit(m.Run())
}
