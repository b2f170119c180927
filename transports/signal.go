package transports

// signal: messages of up to 8 bytes in the value of a real-time signal.
//
// api=raw: each side blocks signal sig.Data on the thread that uses the
// Conn and reads it from a signalfd; the sender queues it to that thread
// with rt_tgsigqueueinfo (si_code SI_QUEUE, as sigqueue(3) does for a
// process). The message travels in the 8-byte sigval (signalfd's
// ssi_ptr), its length (0..8) in si_errno, which the kernel delivers as
// the sender set it for user-sent signals. Real-time signals queue in
// order, so the channel keeps order and loses nothing; the queue is
// bounded by RLIMIT_SIGPENDING of the receiver's user, and Send waits (up
// to sendWait) while it is full. The thread ids travel in Spec.Params
// (parent) and Reply (peer); Create, Attach, Recv and Close must run on
// one locked thread per side.
//
// api=runtime: notification only. os/signal delivers the signal number to
// a channel but neither the sigval nor si_errno, so messages are 0 bytes;
// and the runtime coalesces a signal that arrives while the same one is
// still undelivered, so bursts lose notifications (Limits.Lossy). Each
// direction uses its own signal number (sig.NotifyParent, sig.NotifyPeer)
// so that both ends may share one process; the sender queues it to the
// receiving process with rt_sigqueueinfo.

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcbench/ipcbench/internal/sig"
	"github.com/ipcbench/ipcbench/internal/sys"
)

const (
	signalName = "signal"
	// signalRawSource is the raw API's message-size limit.
	signalRawSource = "si_value of a real-time signal is 8 bytes (sigqueue(3))"
	// signalRuntimeSource is the runtime API's message-size limit.
	signalRuntimeSource = "os/signal delivers only the signal number, not the sigqueue value (use api=raw for data); " +
		"it also coalesces a signal that arrives while the same one is undelivered"
	// sendWait bounds how long Send waits for room in a full signal queue.
	sendWait = time.Second
)

func init() {
	Register(Info{
		Name:   signalName,
		Family: "signal",
		Wait:   WaitSleep,
		Order:  1,
		Doc:    "real-time signals: up to 8 bytes in the sigqueue value, read with signalfd (runtime: os/signal, notification only)",
		APIs:   []API{Raw, Runtime},
		Limits: signalLimits,
		New:    func() Transport { return signalTransport{} },
	})
}

func signalLimits(api API) Limits {
	if api == Runtime {
		return Limits{MaxMessage: 0, Source: signalRuntimeSource, Lossy: true}
	}
	return Limits{MaxMessage: 8, Source: signalRawSource}
}

type signalTransport struct{}

var _ Transport = signalTransport{}

func signalInfo() Info { info, _ := Lookup(signalName); return info }

// Create opens the parent's receiving side on the calling thread, which
// must be locked and stay the thread that calls Recv and Close.
func (signalTransport) Create(opts Options) (Conn, Endpoint, error) {
	info := signalInfo()
	opts, err := info.Resolve(opts)
	if err != nil {
		return nil, Endpoint{}, err
	}
	capacity := opts.MaxMessage
	spec := Spec{Transport: signalName, API: opts.API, MaxMessage: capacity,
		Params: map[string]string{"pid": strconv.Itoa(os.Getpid())}}
	if opts.API == Runtime {
		c := newSignalNotify(sig.NotifyParent, sig.NotifyPeer)
		return c, Endpoint{Spec: spec}, nil
	}
	c, err := newSignalRaw(capacity)
	if err != nil {
		return nil, Endpoint{}, err
	}
	spec.Params["tid"] = strconv.Itoa(c.rx.Tid())
	return c, Endpoint{Spec: spec}, nil
}

// Attach opens the peer's receiving side on the calling (locked) thread
// and targets the parent's thread named in spec.
func (signalTransport) Attach(spec Spec, files []*os.File) (Conn, error) {
	for _, f := range files {
		f.Close()
	}
	pid, err := strconv.Atoi(spec.Params["pid"])
	if err != nil {
		return nil, fmt.Errorf("signal: attach: bad pid %q in spec", spec.Params["pid"])
	}
	if spec.API == Runtime {
		c := newSignalNotify(sig.NotifyPeer, sig.NotifyParent)
		c.peerPid = pid
		return c, nil
	}
	tid, err := strconv.Atoi(spec.Params["tid"])
	if err != nil {
		return nil, fmt.Errorf("signal: attach: bad tid %q in spec", spec.Params["tid"])
	}
	c, err := newSignalRaw(spec.MaxMessage)
	if err != nil {
		return nil, err
	}
	c.to = sig.Target{Pid: pid, Tid: tid, Signo: sig.Data}
	return c, nil
}

// signalRaw is the api=raw Conn.
type signalRaw struct {
	rx       *sig.Receiver
	to       sig.Target
	capacity int
	held     sig.Info // a message Recv could not fit in the caller's buffer
	hasHeld  bool
	closed   bool
}

func newSignalRaw(capacity int) (*signalRaw, error) {
	rx, err := sig.Open(sig.Data)
	if err != nil {
		return nil, fmt.Errorf("signal: open: %w", err)
	}
	return &signalRaw{rx: rx, capacity: capacity}, nil
}

// Reply tells the parent which thread to signal.
func (c *signalRaw) Reply() map[string]string {
	return map[string]string{"pid": strconv.Itoa(c.rx.Pid()), "tid": strconv.Itoa(c.rx.Tid())}
}

// Connect learns the peer's thread from its Reply.
func (c *signalRaw) Connect(reply map[string]string) error {
	pid, err1 := strconv.Atoi(reply["pid"])
	tid, err2 := strconv.Atoi(reply["tid"])
	if err1 != nil || err2 != nil {
		return fmt.Errorf("signal: connect: bad pid/tid %q/%q in reply", reply["pid"], reply["tid"])
	}
	c.to = sig.Target{Pid: pid, Tid: tid, Signo: sig.Data}
	return nil
}

func (c *signalRaw) Send(msg []byte) error {
	if c.closed {
		return ErrClosed
	}
	if err := CheckSize(signalName, len(msg), c.capacity, signalLimits(Raw)); err != nil {
		return err
	}
	var b [8]byte
	copy(b[:], msg)
	v := binary.LittleEndian.Uint64(b[:])
	err := c.to.Send(v, int32(len(msg)))
	if err == unix.EAGAIN {
		err = c.sendFull(v, int32(len(msg)))
	}
	switch err {
	case nil:
		return nil
	case unix.ESRCH:
		return fmt.Errorf("signal: send: thread %d of process %d: %w: %w", c.to.Tid, c.to.Pid, ErrPeerGone, os.NewSyscallError("rt_tgsigqueueinfo", err))
	case unix.EAGAIN:
		return fmt.Errorf("signal: send: queue full for %v (%s): %w", sendWait, sig.LimitSource, os.NewSyscallError("rt_tgsigqueueinfo", err))
	default:
		return fmt.Errorf("signal: send: %w", os.NewSyscallError("rt_tgsigqueueinfo", err))
	}
}

// sendFull retries a send that found the receiver's queue full, as a pipe
// writer blocks: yielding first, then sleeping, up to sendWait.
func (c *signalRaw) sendFull(v uint64, n int32) error {
	deadline := time.Now().Add(sendWait)
	for i := 0; ; i++ {
		if i < 100 {
			runtime.Gosched()
		} else {
			time.Sleep(50 * time.Microsecond)
		}
		err := c.to.Send(v, n)
		if err != unix.EAGAIN || time.Now().After(deadline) {
			return err
		}
	}
}

func (c *signalRaw) Recv(buf []byte) (int, error) {
	if c.closed {
		return 0, ErrClosed
	}
	in := c.held
	if c.hasHeld {
		c.hasHeld = false
	} else {
		var err error
		if in, err = c.rx.Read(); err != nil {
			if err == sig.ErrInterrupted {
				return 0, fmt.Errorf("signal: recv: %w", ErrInterrupted)
			}
			return 0, fmt.Errorf("signal: recv: %w", err)
		}
	}
	n := int(in.Tag)
	if in.Code != sys.SI_QUEUE || n < 0 || n > 8 {
		return 0, fmt.Errorf("signal: recv: signal %d from pid %d with si_code %d, length %d: %w", in.Signo, in.Pid, in.Code, in.Tag, ErrCorrupt)
	}
	if n > len(buf) {
		c.held, c.hasHeld = in, true
		return 0, fmt.Errorf("signal: recv: %d-byte message, %d-byte buffer: %w", n, len(buf), io.ErrShortBuffer)
	}
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], in.Value)
	copy(buf, b[:n])
	return n, nil
}

// Interrupt ends a blocked Recv (the peer's death does not).
func (c *signalRaw) Interrupt() { c.rx.Interrupt() }

// Close discards pending signals and restores the thread's signal mask.
// It must run on the thread that created the Conn, unless that thread has
// exited; otherwise it fails with an error wrapping sig.ErrWrongThread.
func (c *signalRaw) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	if err := c.rx.Close(); err != nil {
		return fmt.Errorf("signal: close: %w", err)
	}
	return nil
}

// signalNotify is the api=runtime Conn: 0-byte notifications through
// os/signal.
type signalNotify struct {
	c         chan os.Signal
	interrupt chan struct{}
	sendSig   unix.Signal
	peerPid   int
	closed    bool
}

func newSignalNotify(recvSig, sendSig unix.Signal) *signalNotify {
	c := &signalNotify{
		c:         make(chan os.Signal, 1024),
		interrupt: make(chan struct{}, 1),
		sendSig:   sendSig,
	}
	signal.Notify(c.c, recvSig)
	return c
}

// Reply tells the parent the peer's pid.
func (c *signalNotify) Reply() map[string]string {
	return map[string]string{"pid": strconv.Itoa(os.Getpid())}
}

// Connect learns the peer's pid from its Reply.
func (c *signalNotify) Connect(reply map[string]string) error {
	pid, err := strconv.Atoi(reply["pid"])
	if err != nil {
		return fmt.Errorf("signal: connect: bad pid %q in reply", reply["pid"])
	}
	c.peerPid = pid
	return nil
}

func (c *signalNotify) Send(msg []byte) error {
	if c.closed {
		return ErrClosed
	}
	if err := CheckSize(signalName, len(msg), 0, signalLimits(Runtime)); err != nil {
		return err
	}
	err := sig.Queue(c.peerPid, c.sendSig, 0)
	switch err {
	case nil:
		return nil
	case unix.ESRCH:
		return fmt.Errorf("signal: send: process %d: %w: %w", c.peerPid, ErrPeerGone, os.NewSyscallError("rt_sigqueueinfo", err))
	case unix.EAGAIN:
		return fmt.Errorf("signal: send: queue full (%s): %w", sig.LimitSource, os.NewSyscallError("rt_sigqueueinfo", err))
	default:
		return fmt.Errorf("signal: send: %w", os.NewSyscallError("rt_sigqueueinfo", err))
	}
}

func (c *signalNotify) Recv(buf []byte) (int, error) {
	if c.closed {
		return 0, ErrClosed
	}
	select {
	case <-c.c:
		return 0, nil
	case <-c.interrupt:
		return 0, fmt.Errorf("signal: recv: %w", ErrInterrupted)
	}
}

// Interrupt ends a blocked Recv.
func (c *signalNotify) Interrupt() {
	select {
	case c.interrupt <- struct{}{}:
	default:
	}
}

// Close stops the notifications.
func (c *signalNotify) Close() error {
	if !c.closed {
		c.closed = true
		signal.Stop(c.c)
	}
	return nil
}
