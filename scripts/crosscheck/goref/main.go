// Command goref is the Go reference of scripts/crosscheck.sh: minimal
// ping-pong programs between two processes written the way an ordinary Go
// program writes them, with nothing from ipcbench (standard library only):
// ordinary goroutines on the runtime's poller, no runtime.LockOSThread, no
// affinity calls. It mirrors
// ipcbench's api=runtime cases, so that the harness's cost on the Go
// runtime path can be told apart from the runtime's own.
//
//	unix  PingPong/transport=unix-stream/api=runtime: a net.UnixConn; the
//	      parent listens on a socket in a private temporary directory
//	      (removed at exit), the child dials
//	pipe  PingPong/transport=pipe/api=runtime: two os.Pipe pairs, the
//	      child's ends handed over in cmd.ExtraFiles
//	tcp   PingPong/transport=tcp/api=runtime: TCP over 127.0.0.1 on an
//	      ephemeral port (TCP_NODELAY is Go's default on every TCPConn,
//	      dialled or accepted, so nothing sets it here)
//
// usage:
//
//	GOREF_PEER_CPU=PEER taskset -c PARENT goref unix|pipe|tcp split|same SIZE MILLISECONDS
//
// Placement is set the way an operator sets it, from outside: the caller
// starts the parent under taskset, and the parent starts its child (the
// same binary, re-executed with the first argument "child") under
// `taskset -c $GOREF_PEER_CPU`. The caller chooses the CPUs (the script
// takes ipcbench's own, from the cpu-pin-split and cpu-pin-same lines of
// its results: split = the first two CPUs the process may use, parent on
// the first; same = both on the last). goref checks the placement it was
// given: the parent must be confined to one CPU, which must differ from
// the peer's for split and equal it for same.
//
// A message is framed as a plain program that carries messages over a
// byte stream frames them: a 4-byte little-endian length, then the
// payload, written with one Write of both (the writer copies them into
// one buffer) and read through a bufio.Reader of the default size
// (io.ReadFull of the length, then of the payload). ipcbench's framing
// has the same 4-byte length up to 2 KiB and pads the header to 64 bytes
// above, which keeps a large payload cache-line aligned in the stream.
// GOREF_FRAMING=none sends the bare SIZE bytes instead, read with one
// io.ReadFull: fixed-size messages need no length, and the difference
// between the two is the framing's own cost (at 64 KiB over a pipe the 4
// bytes make a message overflow the pipe's default 64 KiB buffer).
//
// The parent writes SIZE bytes (a sequence number in the first 8), reads
// the echo and compares every byte with what it sent. It
// warms up (at least 1000 round trips and 50 ms), then runs round trips
// for MILLISECONDS, reading the monotonic clock once after each: a round
// trip is the interval between two consecutive reads, ns/op their sum
// over their number, p50 and p99 nearest-rank percentiles of them. It
// prints one line in Go benchmark format under the ipcbench name it
// mirrors, with the parent's GOMAXPROCS as the suffix:
//
//	BenchmarkPingPong/transport=unix-stream/api=runtime/pin=split/size=64-1	N	ns/op	p50-ns	p99-ns
//
// The child echoes until its input ends. The parent closes its ends when
// done, reaps the child (killing it if it does not exit within 2 s) and
// removes the socket directory on every path, signals included; a child
// that dies makes the parent fail with an error saying so, and a child
// that hangs runs into a deadline.
package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	// peerCPUEnv names the CPU the parent starts its child on.
	peerCPUEnv = "GOREF_PEER_CPU"
	// childArg, as the first argument, makes the process the child.
	childArg = "child"

	warmupRounds = 1000
	warmupTime   = 50 * time.Millisecond
	// connectTimeout bounds the child's start and connection.
	connectTimeout = 10 * time.Second
	// exitTimeout is how long the child may take to exit once its input
	// ends before it is killed.
	exitTimeout = 2 * time.Second
	maxSize     = 16 << 20
)

// transports maps a mode to the ipcbench transport it mirrors.
var transports = map[string]string{"unix": "unix-stream", "pipe": "pipe", "tcp": "tcp"}

const usage = "usage: " + peerCPUEnv + "=PEER taskset -c PARENT goref unix|pipe|tcp split|same SIZE MILLISECONDS"

func main() {
	if len(os.Args) > 1 && os.Args[1] == childArg {
		if err := child(os.Args[2:]); err != nil {
			fmt.Fprintf(os.Stderr, "goref child: %v\n", err)
			os.Exit(1)
		}
		return
	}
	if err := parent(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "goref: %v\n", err)
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// A usageError is a bad command line: exit status 2.
type usageError struct{ error }

func usageErr(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// config is the parent's command line.
type config struct {
	mode, pin string
	size      int
	budget    time.Duration
	peerCPU   int
}

func parseArgs(args []string) (config, error) {
	var c config
	if len(args) != 4 {
		return c, usageErr("%s", usage)
	}
	c.mode, c.pin = args[0], args[1]
	if _, ok := transports[c.mode]; !ok {
		return c, usageErr("unknown mode %q (valid: unix, pipe, tcp)\n%s", c.mode, usage)
	}
	if c.pin != "split" && c.pin != "same" {
		return c, usageErr("unknown placement %q (valid: split, same)\n%s", c.pin, usage)
	}
	var err error
	if c.size, err = strconv.Atoi(args[2]); err != nil || c.size < 8 || c.size > maxSize {
		return c, usageErr("SIZE %q: want a whole number of bytes from 8 (the sequence number) to %d", args[2], maxSize)
	}
	ms, err := strconv.Atoi(args[3])
	if err != nil || ms <= 0 {
		return c, usageErr("MILLISECONDS %q: want a positive whole number", args[3])
	}
	c.budget = time.Duration(ms) * time.Millisecond
	v := os.Getenv(peerCPUEnv)
	if c.peerCPU, err = strconv.Atoi(v); err != nil || c.peerCPU < 0 {
		return c, usageErr("%s=%q: want the peer's CPU number\n%s", peerCPUEnv, v, usage)
	}
	return c, nil
}

// checkPlacement checks that the parent runs on one CPU, placed against
// the peer's CPU as pin says.
func checkPlacement(c config) error {
	cpus, err := allowedCPUs()
	if err != nil {
		return err
	}
	if len(cpus) != 1 {
		return fmt.Errorf("the parent may run on CPUs %v: start it under taskset -c CPU", cpus)
	}
	switch {
	case c.pin == "split" && cpus[0] == c.peerCPU:
		return fmt.Errorf("pin=split with parent and peer both on CPU %d", c.peerCPU)
	case c.pin == "same" && cpus[0] != c.peerCPU:
		return fmt.Errorf("pin=same with the parent on CPU %d and the peer on CPU %d", cpus[0], c.peerCPU)
	}
	return nil
}

// allowedCPUs reads the CPUs this process may run on from
// /proc/self/status (Cpus_allowed_list, e.g. "0-3,6").
func allowedCPUs() ([]int, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Cpus_allowed_list:"); ok {
			return parseCPUList(strings.TrimSpace(v))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return nil, errors.New("/proc/self/status has no Cpus_allowed_list line")
}

func parseCPUList(s string) ([]int, error) {
	var cpus []int
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		if !isRange {
			hi = lo
		}
		a, err1 := strconv.Atoi(lo)
		b, err2 := strconv.Atoi(hi)
		if err1 != nil || err2 != nil || a < 0 || b < a {
			return nil, fmt.Errorf("bad CPU list %q", s)
		}
		for i := a; i <= b; i++ {
			cpus = append(cpus, i)
		}
	}
	return cpus, nil
}

// A session is the parent's side: the child and what must be undone.
type session struct {
	cfg config
	cmd *exec.Cmd
	// exited is closed once the child has been reaped; waitErr is then
	// its exit status.
	exited  chan struct{}
	waitErr error

	mu      sync.Mutex   // guards what follows
	dir     string       // unix: the socket's directory
	ln      net.Listener // sockets, until the child has connected
	started bool         // the child runs and a goroutine waits for it
	closers []io.Closer  // the parent's ends, closed by closeAll
	once    sync.Once
}

func (s *session) childStarted() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started
}

func (s *session) addCloser(c io.Closer) {
	s.mu.Lock()
	s.closers = append(s.closers, c)
	s.mu.Unlock()
}

// closeAll closes the listener and the parent's ends: blocked reads and
// writes return, and the child sees the end of its input.
func (s *session) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		s.ln.Close()
	}
	for _, c := range s.closers {
		c.Close()
	}
}

// cleanup ends the child (gracefully: its input ends; then SIGKILL) and
// removes the socket directory. It runs once, on every path.
func (s *session) cleanup() {
	s.once.Do(func() {
		s.closeAll()
		if s.childStarted() {
			select {
			case <-s.exited:
			case <-time.After(exitTimeout):
				s.cmd.Process.Kill()
				<-s.exited
			}
		}
		s.mu.Lock()
		dir := s.dir
		s.mu.Unlock()
		if dir != "" {
			os.RemoveAll(dir)
		}
	})
}

// childErr turns err into the child's exit when the child has exited
// (within a moment): a dead child is the cause, the broken pipe or
// connection only its symptom.
func (s *session) childErr(err error) error {
	if !s.childStarted() {
		return err
	}
	select {
	case <-s.exited:
		return fmt.Errorf("the child exited during the run (%v): %w", s.waitErr, err)
	case <-time.After(200 * time.Millisecond):
		return err
	}
}

func parent(args []string) error {
	cfg, err := parseArgs(args)
	if err != nil {
		return err
	}
	if err := checkPlacement(cfg); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	taskset, err := exec.LookPath("taskset")
	if err != nil {
		return fmt.Errorf("taskset (util-linux) is needed to place the child: %w", err)
	}
	s := &session{cfg: cfg, exited: make(chan struct{})}
	defer s.cleanup()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		got := <-sig
		s.cleanup()
		fmt.Fprintf(os.Stderr, "goref: %v: stopped\n", got)
		os.Exit(1)
	}()

	// The child's command line: mode, size, then where to connect.
	childArgs := []string{"-c", strconv.Itoa(cfg.peerCPU), self, childArg, cfg.mode, strconv.Itoa(cfg.size)}
	var childFiles []*os.File // pipe: the child's ends, closed here once it runs
	var ln net.Listener       // sockets
	var r io.Reader
	var w io.Writer
	switch cfg.mode {
	case "unix", "tcp":
		if cfg.mode == "unix" {
			dir, err := os.MkdirTemp("", "goref-")
			if err != nil {
				return err
			}
			s.mu.Lock()
			s.dir = dir // removed by cleanup
			s.mu.Unlock()
			ln, err = net.Listen("unix", filepath.Join(dir, "s"))
		} else {
			ln, err = net.Listen("tcp", "127.0.0.1:0")
		}
		if err != nil {
			return err
		}
		s.mu.Lock()
		s.ln = ln
		s.mu.Unlock()
		childArgs = append(childArgs, ln.Addr().String())
	case "pipe":
		p2cR, p2cW, err := os.Pipe()
		if err != nil {
			return err
		}
		s.addCloser(p2cW)
		c2pR, c2pW, err := os.Pipe()
		if err != nil {
			p2cR.Close()
			return err
		}
		s.addCloser(c2pR)
		childFiles = []*os.File{p2cR, c2pW} // fds 3 and 4 of the child
		r, w = c2pR, p2cW
	}

	s.cmd = exec.Command(taskset, childArgs...)
	s.cmd.Stdout = os.Stderr // stdout carries the result line only
	s.cmd.Stderr = os.Stderr
	s.cmd.ExtraFiles = childFiles
	// The child dies with the parent, whatever kills the parent.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err = s.cmd.Start()
	for _, f := range childFiles {
		f.Close() // the child's copies now; a child exit then ends the parent's reads
	}
	if err != nil {
		return fmt.Errorf("start the child: %w", err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
		s.closeAll()
	}()
	s.mu.Lock()
	s.started = true
	s.mu.Unlock()

	if ln != nil {
		ln.(interface{ SetDeadline(time.Time) error }).SetDeadline(time.Now().Add(connectTimeout))
		conn, err := ln.Accept()
		if err != nil {
			return s.childErr(fmt.Errorf("wait for the child to connect: %w", err))
		}
		s.addCloser(conn)
		s.mu.Lock()
		ln.Close() // a unix listener removes its socket file
		s.ln = nil
		s.mu.Unlock()
		r, w = conn, conn
	}
	// One deadline for the whole run, set once (nothing per round trip):
	// a child that hangs fails the run instead of stalling it.
	deadline := time.Now().Add(connectTimeout + 2*(warmupTime+cfg.budget))
	for _, x := range []any{r, w} {
		if err := x.(interface{ SetDeadline(time.Time) error }).SetDeadline(deadline); err != nil {
			return fmt.Errorf("set a deadline: %w", err)
		}
	}

	n, nsOp, p50, p99, err := pingPong(r, w, cfg)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		err = fmt.Errorf("no echo before the run's deadline (is the child stuck?): %w", err)
	}
	if err != nil {
		return s.childErr(err)
	}
	// The parent's ends close: the child reads the end of its input and
	// exits; it must exit cleanly for the result to count.
	s.closeAll()
	select {
	case <-s.exited:
	case <-time.After(exitTimeout):
		return errors.New("the child did not exit at the end of its input")
	}
	if s.waitErr != nil {
		return fmt.Errorf("the child failed: %v", s.waitErr)
	}
	name := fmt.Sprintf("PingPong/transport=%s/api=runtime/pin=%s/size=%d", transports[cfg.mode], cfg.pin, cfg.size)
	fmt.Printf("Benchmark%s-%d\t%d\t%.1f ns/op\t%d p50-ns\t%d p99-ns\n", name, runtime.GOMAXPROCS(0), n, nsOp, p50, p99)
	return nil
}

// framingEnv chooses the framing: "length" (the default) or "none".
const framingEnv = "GOREF_FRAMING"

// hdrSize is the length prefix of a framed message.
const hdrSize = 4

// framer writes and reads messages of one size, framed or not.
type framer struct {
	framed bool
	r      io.Reader // a bufio.Reader when framed
	w      io.Writer
	wire   []byte // framed: the length, then room for the payload
	hdr    [hdrSize]byte
}

func newFramer(r io.Reader, w io.Writer, size int) (*framer, error) {
	f := &framer{r: r, w: w}
	switch v := os.Getenv(framingEnv); v {
	case "", "length":
		f.framed = true
		f.r = bufio.NewReader(r)
		f.wire = make([]byte, hdrSize+size)
		binary.LittleEndian.PutUint32(f.wire, uint32(size))
	case "none":
	default:
		return nil, fmt.Errorf("%s=%q: want length or none", framingEnv, v)
	}
	return f, nil
}

// write sends msg.
func (f *framer) write(msg []byte) error {
	if !f.framed {
		_, err := f.w.Write(msg)
		return err
	}
	copy(f.wire[hdrSize:], msg)
	_, err := f.w.Write(f.wire[:hdrSize+len(msg)])
	return err
}

// read fills buf with the next message, which must be len(buf) bytes.
func (f *framer) read(buf []byte) error {
	if f.framed {
		if _, err := io.ReadFull(f.r, f.hdr[:]); err != nil {
			return err
		}
		if n := binary.LittleEndian.Uint32(f.hdr[:]); int(n) != len(buf) {
			return fmt.Errorf("a frame of %d bytes, want %d", n, len(buf))
		}
	}
	_, err := io.ReadFull(f.r, buf)
	if err == io.EOF && f.framed {
		err = io.ErrUnexpectedEOF // end of stream inside a frame
	}
	return err
}

// pingPong warms up, then measures round trips for cfg.budget: their
// number, the mean and the p50 and p99 of their times in ns.
func pingPong(r io.Reader, w io.Writer, cfg config) (n int, nsOp float64, p50, p99 int64, err error) {
	msg := make([]byte, cfg.size)
	for i := range msg {
		msg[i] = byte(i*131 + 7)
	}
	echo := make([]byte, cfg.size)
	fr, err := newFramer(r, w, cfg.size)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	var seq uint64
	roundTrip := func() error {
		seq++
		binary.LittleEndian.PutUint64(msg, seq)
		if err := fr.write(msg); err != nil {
			return fmt.Errorf("round trip %d: write: %w", seq, err)
		}
		if err := fr.read(echo); err != nil {
			return fmt.Errorf("round trip %d: read the echo: %w", seq, err)
		}
		if !bytes.Equal(echo, msg) {
			i := 0
			for echo[i] == msg[i] {
				i++
			}
			return fmt.Errorf("round trip %d: the echo differs from the message from byte %d on", seq, i)
		}
		return nil
	}

	start := time.Now()
	for i := 0; i < warmupRounds || time.Since(start) < warmupTime; i++ {
		if err := roundTrip(); err != nil {
			return 0, 0, 0, 0, fmt.Errorf("warm-up: %w", err)
		}
	}
	ops := make([]int64, 0, 1<<16)
	t0 := time.Now() // monotonic: Sub below uses the monotonic reading
	prev := t0
	for prev.Sub(t0) < cfg.budget {
		if err := roundTrip(); err != nil {
			return 0, 0, 0, 0, err
		}
		t := time.Now()
		ops = append(ops, int64(t.Sub(prev)))
		prev = t
	}
	n = len(ops)
	nsOp = float64(prev.Sub(t0)) / float64(n)
	slices.Sort(ops)
	return n, nsOp, nearestRank(ops, 0.50), nearestRank(ops, 0.99), nil
}

// nearestRank is the q-quantile of sorted by the nearest-rank method: the
// smallest value with at least q of the values at or below it.
func nearestRank(sorted []int64, q float64) int64 {
	i := int(math.Ceil(float64(len(sorted))*q)) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// child is the echo side: `goref child MODE SIZE [ADDRESS]`. It echoes
// SIZE-byte messages until its input ends, then exits 0.
func child(args []string) error {
	if len(args) < 2 {
		return errors.New("usage: goref child MODE SIZE [ADDRESS]")
	}
	size, err := strconv.Atoi(args[1])
	if err != nil || size <= 0 {
		return fmt.Errorf("bad size %q", args[1])
	}
	var r io.Reader
	var w io.Writer
	switch mode := args[0]; mode {
	case "unix", "tcp":
		if len(args) != 3 {
			return errors.New("no address to dial")
		}
		conn, err := net.DialTimeout(mode, args[2], connectTimeout)
		if err != nil {
			return err
		}
		defer conn.Close()
		r, w = conn, conn
	case "pipe":
		// The ends come as fds 3 (read) and 4 (write), made blocking by
		// exec. Non-blocking, os.NewFile puts them on the runtime's
		// poller, as os.Pipe does for the parent's ends and as ipcbench's
		// api=runtime does on both sides.
		for _, fd := range []int{3, 4} {
			if err := syscall.SetNonblock(fd, true); err != nil {
				return fmt.Errorf("fd %d: %w", fd, err)
			}
		}
		rf, wf := os.NewFile(3, "p2c"), os.NewFile(4, "c2p")
		defer rf.Close()
		defer wf.Close()
		r, w = rf, wf
	default:
		return fmt.Errorf("unknown mode %q", mode)
	}
	buf := make([]byte, size)
	fr, err := newFramer(r, w, size)
	if err != nil {
		return err
	}
	for {
		if err := fr.read(buf); err != nil {
			if err == io.EOF { // the parent is done
				return nil
			}
			return fmt.Errorf("read: %w", err)
		}
		if err := fr.write(buf); err != nil {
			return fmt.Errorf("write: %w", err)
		}
	}
}
