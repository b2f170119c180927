package harness

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A remote peer runs on another host: `ipcbench peer -listen ADDR -token T`
// there calls ServePeers, and the parent dials it (dialPeer) instead of
// spawning a child. The control channel is then the TCP connection, with
// the same requests and responses as a local peer's in stream frames
// (ctl.stream). Its first frames are the handshake:
//
//	parent → server: {"op":"hello","protocol":"peer/1","token":"…"}
//	server → parent: {"pid":…} when accepted (the peer is running),
//	                 {"error":"wrong token", …} when refused (then closed).
//
// From then on the connection is the peer's fd 3: ServePeers re-executes
// its binary as for a local peer (peerCmd, from the spawner thread, with
// Pdeathsig) with ctlEnv set, and the peer serves the session exactly as a
// local one. ServePeers watches the connection: when the parent hangs up
// (Peer.kill, Close after a timeout, the parent's death) it kills the peer,
// which may be blocked in a transport call; when the peer dies first it
// sends the parent one last error frame with the exit status and the tail
// of the peer's output, then closes.

// MinTokenLen is the shortest token ServePeers accepts.
const MinTokenLen = 16

// helloOp is the op of the handshake's first frame.
const helloOp = "hello"

// remoteHelloTimeout bounds how long ServePeers waits for a connection's
// hello.
var remoteHelloTimeout = 5 * time.Second

// maxHello bounds the hello frame.
const maxHello = 4 << 10

// ErrRemoteRefused is wrapped when the ServePeers at a remote peer's
// address refused the session (a wrong token, another protocol version).
var ErrRemoteRefused = errors.New("refused the session")

// hello is the first frame on a remote peer's control connection.
type hello struct {
	Op       string `json:"op"`       // helloOp
	Protocol string `json:"protocol"` // roleValue of the dialing binary
	Token    string `json:"token"`
}

// NewToken returns a fresh random token for ServePeers and the parent that
// dials it: 16 bytes from crypto/rand as 32 hex digits.
func NewToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// ServePeers serves remote peers: for each control connection accepted on
// ln whose hello carries token (compared in constant time) and this
// binary's protocol version, it starts one peer process, the running
// binary re-executed as for a local peer with the connection as its
// control channel, which serves that parent's session until the parent
// closes it or hangs up; a connection with a wrong token or version, or
// no hello within 5 s, gets an error frame and is closed. Connections are
// served concurrently, each with its own peer, as a parent's concurrent
// local sessions each have their own.
//
// Each session is logged to log (nil: not logged): the remote address,
// accepted or refused and why, and how the peer ended. ServePeers returns
// nil when ln is closed, after killing the peers still running and
// waiting for them; it refuses a token shorter than MinTokenLen bytes.
// The peers are killed (Pdeathsig) if this process dies.
func ServePeers(ln net.Listener, token string, log io.Writer) error {
	if len(token) < MinTokenLen {
		return fmt.Errorf("a token of %d bytes: want at least %d (NewToken makes one)", len(token), MinTokenLen)
	}
	if log == nil {
		log = io.Discard
	}
	s := &peerServer{token: sha256.Sum256([]byte(token)), log: newLogger(log), live: map[*remoteSession]struct{}{}}
	defer s.shutdown()
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			if retryAccept(err) {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.log.Printf("accept: %v; retrying in %v", err, delay)
				time.Sleep(delay)
				continue
			}
			return fmt.Errorf("accept: %w", err)
		}
		delay = 0
		rs := &remoteSession{srv: s, conn: c, from: c.RemoteAddr().String()}
		if !s.add(rs) {
			c.Close()
			return nil
		}
		go rs.serve()
	}
}

func newLogger(w io.Writer) *log.Logger { return log.New(w, "", log.LstdFlags) }

// retryAccept reports whether Accept's error is one to wait out (out of
// descriptors or memory, a connection aborted before it was accepted).
func retryAccept(err error) bool {
	for _, e := range []error{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// peerServer is the state of one ServePeers.
type peerServer struct {
	token [sha256.Size]byte // of the token: compared without its length showing
	log   *log.Logger

	mu      sync.Mutex
	closing bool
	live    map[*remoteSession]struct{}
	wg      sync.WaitGroup
}

func (s *peerServer) add(rs *remoteSession) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.live[rs] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *peerServer) remove(rs *remoteSession) {
	s.mu.Lock()
	delete(s.live, rs)
	s.mu.Unlock()
	s.wg.Done()
}

// shutdown stops every live session and waits until each has reaped its
// peer.
func (s *peerServer) shutdown() {
	s.mu.Lock()
	s.closing = true
	for rs := range s.live {
		rs.stop()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// remoteSession is one control connection and, once accepted, its peer.
type remoteSession struct {
	srv  *peerServer
	conn net.Conn
	from string

	mu      sync.Mutex
	cmd     *exec.Cmd // the peer, once started
	stopped bool      // ServePeers is returning
}

// stop ends the session: it kills the peer, or closes the connection of a
// session still in its handshake.
func (rs *remoteSession) stop() {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.stopped = true
	if rs.cmd != nil {
		_ = rs.cmd.Process.Kill()
	} else {
		_ = rs.conn.Close()
	}
}

// started records the running peer; it kills it at once if ServePeers is
// returning, and reports whether it did.
func (rs *remoteSession) started(cmd *exec.Cmd) (stopped bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.cmd = cmd
	if rs.stopped {
		_ = cmd.Process.Kill()
	}
	return rs.stopped
}

func (rs *remoteSession) logf(format string, args ...any) {
	rs.srv.log.Printf("session from %s: %s", rs.from, fmt.Sprintf(format, args...))
}

// serve runs the session: the handshake, then the peer until it ends.
func (rs *remoteSession) serve() {
	defer rs.srv.remove(rs)
	if reason := rs.handshake(); reason != "" {
		rs.mu.Lock()
		stopped := rs.stopped
		rs.mu.Unlock()
		if stopped {
			rs.logf("ServePeers returned during the handshake")
			rs.conn.Close()
			return
		}
		rs.refuse(reason)
		return
	}
	fd, err := detach(rs.conn)
	if err != nil {
		rs.refuse(err.Error())
		return
	}
	f := os.NewFile(uintptr(fd), "ipcbench-remote-control")
	defer f.Close()
	defer unix.Shutdown(fd, unix.SHUT_WR) // the parent reads end of file after the last frame
	sc := newStreamCtl(fd)                // for the server's own frames: the first and the last

	wake := make([]int, 2) // its write end is closed when the peer has exited: wakes watch
	if err := unix.Pipe2(wake, unix.O_CLOEXEC); err != nil {
		_ = sc.send(response{Error: fmt.Sprintf("pipe2: %v", err)})
		rs.logf("refused: pipe2: %v", err)
		return
	}
	defer unix.Close(wake[0])
	out := newTailBuffer(8 << 10)
	cmd := peerCmd(f, nil, out, ctlEnv+"="+ctlStream)
	done := make(chan error)
	ns := socketNetns(fd)
	if ns >= 0 {
		defer unix.Close(ns)
	}
	spawnReq <- func() { done <- startOn(cmd, -1, ns) }
	if err := <-done; err != nil {
		unix.Close(wake[1])
		_ = sc.send(response{Error: fmt.Sprintf("start the peer: %v", err)})
		rs.logf("refused: start the peer: %v", err)
		return
	}
	var waitErr error
	exited := make(chan struct{})
	go func() {
		waitErr = cmd.Wait()
		close(exited)
		unix.Close(wake[1])
	}()
	if rs.started(cmd) {
		<-exited
		rs.logf("ServePeers returned during the handshake; peer %d killed", cmd.Process.Pid)
		return
	}
	if err := sc.send(response{PID: cmd.Process.Pid}); err != nil {
		_ = cmd.Process.Kill()
		<-exited
		rs.logf("accepted, but the answer failed (%v): peer %d killed", err, cmd.Process.Pid)
		return
	}
	rs.logf("accepted: peer %d started", cmd.Process.Pid)

	hungUp := watch(fd, wake[0])
	if hungUp {
		_ = cmd.Process.Kill()
	}
	<-exited
	rs.mu.Lock()
	stopped := rs.stopped
	rs.mu.Unlock()
	switch {
	case hungUp:
		rs.logf("ended: the parent hung up; peer %d killed (%v)", cmd.Process.Pid, waitStatus(waitErr))
	case stopped:
		_ = sc.send(response{Error: "remote peer killed: ipcbench peer is shutting down"})
		rs.logf("ended: ServePeers returned; peer %d killed", cmd.Process.Pid)
	case waitErr != nil:
		msg := fmt.Sprintf("remote peer %d exited: %v", cmd.Process.Pid, waitErr)
		if tail := out.String(); tail != "" {
			msg += "\nremote peer output:\n" + tail
		}
		_ = sc.send(response{Error: msg})
		rs.logf("ended: %s", msg)
	default:
		rs.logf("ended: peer %d exited with status 0", cmd.Process.Pid)
		if tail := out.String(); tail != "" {
			rs.logf("peer output:\n%s", tail)
		}
	}
}

// waitStatus describes a peer's wait status.
func waitStatus(waitErr error) string {
	if waitErr == nil {
		return "exit status 0"
	}
	return waitErr.Error()
}

// handshake reads and checks the hello, returning why the session is
// refused ("" if it is not).
func (rs *remoteSession) handshake() string {
	c := rs.conn
	_ = c.SetReadDeadline(time.Now().Add(remoteHelloTimeout))
	buf := make([]byte, maxHello)
	n, err := readFrame(c, buf)
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Sprintf("bad hello: none within %v", remoteHelloTimeout)
		}
		return fmt.Sprintf("bad hello: %v", err)
	}
	var h hello
	if err := json.Unmarshal(buf[:n], &h); err != nil || h.Op != helloOp {
		return fmt.Sprintf("bad hello: want a JSON object with op %q, protocol and token", helloOp)
	}
	got := sha256.Sum256([]byte(h.Token))
	if subtle.ConstantTimeCompare(got[:], rs.srv.token[:]) != 1 {
		return "wrong token"
	}
	if h.Protocol != roleValue {
		return fmt.Sprintf("protocol %q: this peer speaks %q (run the same ipcbench on both hosts)", h.Protocol, roleValue)
	}
	return ""
}

// refuse sends the parent an error frame and closes the connection,
// letting it read the frame first (a lingering close: shut down writing,
// read what it still sends for up to a second, then close).
func (rs *remoteSession) refuse(reason string) {
	rs.logf("refused: %s", reason)
	c := rs.conn
	if b, err := json.Marshal(response{Error: reason}); err == nil {
		_ = c.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = c.Write(appendFrame(nil, b))
	}
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
		_ = c.SetReadDeadline(time.Now().Add(time.Second))
		_, _ = io.Copy(io.Discard, io.LimitReader(c, 1<<20))
	}
	_ = c.Close()
}

// watch waits until the parent hangs up on the control connection fd (it
// reports true) or the write end of the pipe wake is closed (false).
func watch(fd, wake int) (hungUp bool) {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLRDHUP}, {Fd: int32(wake), Events: unix.POLLIN}}
	for {
		_, err := unix.Poll(fds, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return true // cannot watch: end the session
		}
		if fds[0].Revents != 0 {
			return true
		}
		if fds[1].Revents != 0 {
			return false
		}
	}
}

// detach takes the descriptor of c, a connected socket, for the blocking
// calls of ctl: a duplicate (close-on-exec) in blocking mode; c is closed.
func detach(c net.Conn) (int, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return -1, fmt.Errorf("a %T has no descriptor", c)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd, derr := -1, error(nil)
	if err := raw.Control(func(s uintptr) { fd, derr = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return -1, err
	}
	if derr != nil {
		return -1, fmt.Errorf("dup the control connection: %w", derr)
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("control connection: blocking mode: %w", err)
	}
	c.Close()
	return fd, nil
}

// dialPeer connects to the ServePeers at addr (host:port) with token and
// returns the remote peer it started for this connection, ready for
// attach. It fails with a *PeerError at stage "start": wrapping
// ErrRemoteRefused when the server refused the session, with its reason
// ("wrong token", …). The connection and the handshake take at most
// HandshakeTimeout each.
func dialPeer(name, addr, token string) (*Peer, error) {
	fail := func(err error) (*Peer, error) {
		return nil, &PeerError{Transport: name, Stage: "start", Err: fmt.Errorf("remote peer at %s: %w", addr, err)}
	}
	c, err := net.DialTimeout("tcp", addr, HandshakeTimeout)
	if err != nil {
		return fail(err)
	}
	r, err := sayHello(c, token)
	if err != nil {
		c.Close()
		return fail(fmt.Errorf("hello: %w", err))
	}
	if r.Error != "" {
		c.Close()
		return fail(fmt.Errorf("%w: %s", ErrRemoteRefused, r.Error))
	}
	local, remote := addrPortOf(c.LocalAddr()), addrPortOf(c.RemoteAddr())
	fd, err := detach(c)
	if err != nil {
		c.Close()
		return fail(err)
	}
	p := &Peer{
		name:   name,
		remote: remote,
		local:  local,
		ctl:    newStreamCtl(fd),
		stderr: newTailBuffer(0), // a remote peer's output is in its server's log
		resp:   make(chan response, 4),
		dead:   make(chan struct{}),
		exited: make(chan struct{}),
	}
	registerChild(p)
	go p.readLoop()
	go func() {
		<-p.dead // for a remote peer, its end
		unregisterChild(p)
		close(p.exited)
	}()
	return p, nil
}

// sayHello sends the hello on c and reads the answer, within
// HandshakeTimeout.
func sayHello(c net.Conn, token string) (response, error) {
	var r response
	_ = c.SetDeadline(time.Now().Add(HandshakeTimeout))
	b, err := json.Marshal(hello{Op: helloOp, Protocol: roleValue, Token: token})
	if err != nil {
		return r, err
	}
	if _, err := c.Write(appendFrame(nil, b)); err != nil {
		return r, err
	}
	buf := make([]byte, maxCtlMsg)
	n, err := readFrame(c, buf)
	if err == io.EOF {
		return r, errors.New("connection closed before an answer")
	}
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(buf[:n], &r); err != nil {
		return r, fmt.Errorf("answer %q: %w", buf[:min(n, 200)], err)
	}
	_ = c.SetDeadline(time.Time{})
	return r, nil
}

// addrPortOf is a TCP address as a netip.AddrPort, IPv4 unmapped.
func addrPortOf(a net.Addr) netip.AddrPort {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return netip.AddrPort{}
	}
	ap := ta.AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// Remote reports whether the peer runs on another host (under ServePeers
// there) rather than as a child of this process.
func (p *Peer) Remote() bool { return p.cmd == nil }

// LocalAddr is this host's IP on a remote peer's control connection: an
// address of this host that the peer's host reaches (to bind a data
// socket the remote peer dials). It is the zero Addr for a local peer.
func (p *Peer) LocalAddr() netip.Addr { return p.local.Addr() }

// RemoteAddr is the address of the ServePeers a remote peer runs under
// (the zero AddrPort for a local peer).
func (p *Peer) RemoteAddr() netip.AddrPort { return p.remote }

// socketNetns returns a descriptor of the network namespace of socket fd
// (SIOCGSKNS), or -1: a peer starts in the namespace its control
// connection came in through (startOn), so that its data socket dials
// from where the parent reached it, as when `ipcbench peer` itself runs in
// that namespace. Without the privilege to ask (CAP_NET_ADMIN) the peer
// starts in this process's namespace.
func socketNetns(fd int) int {
	ns, err := unix.IoctlRetInt(fd, unix.SIOCGSKNS)
	if err != nil {
		return -1
	}
	return ns
}
