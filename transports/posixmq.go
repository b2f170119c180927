package transports

// posix-mq: two POSIX message queues (mq_overview(7)), one per direction,
// reached through the raw mq_* system calls (no librt, no cgo).
//
// The parent creates "ipcbench-<pid>-<hex>-p2c" and "...-c2p" with
// O_CREAT|O_EXCL and mode 0600; the peer opens them by name (Spec.Params
// "p2c" and "c2p"). Once the peer holds them open, the parent's Connect
// unlinks both names, so nothing is left behind if either process dies;
// Close unlinks them too if Connect never ran, and closes the descriptors.
//
// Geometry: mq_msgsize is the channel capacity; mq_maxmsg (the depth) is
// min(10, /proc/sys/fs/mqueue/msg_max). The depth is how far a streaming
// sender may run ahead of its receiver before it blocks, so it matters for
// the Stream figures; ping-pong never has more than one message queued.
//
// Limits, read at call time (and verified by experiment on Linux 6.18):
//   - mq_msgsize: /proc/sys/fs/mqueue/msgsize_max (8192 by default) unless
//     the process has CAP_SYS_RESOURCE, which allows up to HARD_MSGSIZEMAX
//     (16 MiB). Being uid 0 is not enough: a container's root often lacks
//     the capability, and then gets EINVAL like anybody else.
//   - RLIMIT_MSGQUEUE (ulimit -q, 819200 bytes by default): each queue
//     costs its creator mq_maxmsg*(mq_msgsize+96) bytes of this per-user
//     budget, root included. Create raises the soft limit to the hard one
//     when the two queues need more, and fails with a *LimitError naming
//     RLIMIT_MSGQUEUE (needed against allowed) when even that is too small.
//     Queues of other processes of the same user count against it too.
//
// APIs. Raw: blocking descriptors, mq_timedsend/mq_timedreceive on the
// caller's thread. Runtime: the descriptors are non-blocking and wrapped
// in os.File (Linux queue descriptors are pollable), and Send/Recv run the
// system call inside SyscallConn's Write/Read, returning to the runtime
// poller on EAGAIN.
//
// Interrupt. Raw Recv blocks with no timeout; Interrupt wakes it by
// queueing a zero-length message of priority 1 (data uses 0) on this
// side's own receive queue, which only this side reads, and that message
// is taken as ErrInterrupted. A blocked raw Send cannot be woken that way
// (its queue is full), so it waits with an absolute timeout that is
// cached and refreshed only when it expires (every 100 ms at most), then
// checks the interrupted flag: no clock read per message. With the
// runtime API, Interrupt sets past deadlines on both files. A dead peer is
// invisible to a queue, so the harness's Interrupt is the only way out of
// a blocked call.

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipcbench/ipcbench/internal/sys"
)

const (
	posixMQName = "posix-mq"
	// mqDepthMax is the queue depth asked for, bounded by msg_max.
	mqDepthMax = 10
	// mqWakePrio is the priority of Interrupt's wake-up message; data is
	// sent with priority 0, so a wake-up overtakes queued data.
	mqWakePrio = 1
	// mqSendPoll is how long a blocked raw Send waits before it looks at
	// the interrupted flag again.
	mqSendPoll = 100 * time.Millisecond

	mqMsgsizeMaxPath = "/proc/sys/fs/mqueue/msgsize_max"
	mqMsgMaxPath     = "/proc/sys/fs/mqueue/msg_max"
)

var posixMQInfo = Info{
	Name:   posixMQName,
	Family: "mq",
	Wait:   WaitSleep,
	Order:  1,
	Doc:    "two POSIX message queues (mq_open, mq_timedsend, mq_timedreceive)",
	APIs:   []API{Raw, Runtime},
	Limits: func(API) Limits { return posixMQLimits() },
	New:    func() Transport { return posixMQ{} },
}

func init() { Register(posixMQInfo) }

type posixMQ struct{}

var (
	_ Transport   = posixMQ{}
	_ Connector   = (*posixMQConn)(nil)
	_ Interrupter = (*posixMQConn)(nil)
)

// mqReadInt reads a decimal integer from a sysctl file.
func mqReadInt(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// mqCapSysResource reports whether this thread has CAP_SYS_RESOURCE in its
// effective set: the capability, not uid 0, lifts the queue limits.
func mqCapSysResource() bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return false
	}
	return data[unix.CAP_SYS_RESOURCE/32].Effective&(1<<(unix.CAP_SYS_RESOURCE%32)) != 0
}

// mqRandomPrefix returns "ipcbench-<pid>-<random hex>".
func mqRandomPrefix() (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return fmt.Sprintf("ipcbench-%d-%s", os.Getpid(), hex.EncodeToString(b[:])), nil
}

// mqDepth is the queue depth: min(10, msg_max).
func mqDepth() int {
	if n, err := mqReadInt(mqMsgMaxPath); err == nil && n >= 1 && n < mqDepthMax {
		return n
	}
	return mqDepthMax
}

// mqBudget is the RLIMIT_MSGQUEUE charge of the two queues of one channel.
func mqBudget(depth, capacity int) uint64 {
	return 2 * uint64(depth) * uint64(capacity+sys.MqMsgOverhead)
}

func posixMQLimits() Limits {
	depth := mqDepth()
	var lim Limits
	if mqCapSysResource() {
		lim = Limits{MaxMessage: sys.HardMsgsizeMax,
			Source: "HARD_MSGSIZEMAX 16 MiB with CAP_SYS_RESOURCE (without it: " + mqMsgsizeMaxPath + ")"}
	} else {
		n, err := mqReadInt(mqMsgsizeMaxPath)
		if err != nil {
			n = 8192
		}
		lim = Limits{MaxMessage: n,
			Source: fmt.Sprintf("%s = %d; a process with CAP_SYS_RESOURCE (not merely uid 0) may go up to HARD_MSGSIZEMAX 16 MiB", mqMsgsizeMaxPath, n)}
	}
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_MSGQUEUE, &rl); err == nil && rl.Max != unix.RLIM_INFINITY {
		per := int(rl.Max/uint64(2*depth)) - sys.MqMsgOverhead
		if per < lim.MaxMessage {
			lim = Limits{MaxMessage: per,
				Source: fmt.Sprintf("RLIMIT_MSGQUEUE (ulimit -q) hard limit %d bytes per user, root included, shared by 2 queues × %d messages × (size + %d bytes kernel overhead)",
					rl.Max, depth, sys.MqMsgOverhead)}
		}
	}
	return lim
}

// mqState is the state word of a queue Conn: zero on the hot path, with
// bits set by Interrupt and Close, so that Send and Recv test both with
// one atomic load.
type mqState struct{ v atomic.Uint32 }

const (
	mqInterrupted = 1 << iota
	mqClosed
)

// err returns the error for a non-zero state s.
func (st *mqState) err(transport, op string, s uint32) error {
	if s&mqClosed != 0 {
		return fmt.Errorf("%s: %s: %w", transport, op, ErrClosed)
	}
	return fmt.Errorf("%s: %s: %w", transport, op, ErrInterrupted)
}

func (posixMQ) Create(opts Options) (Conn, Endpoint, error) {
	opts, err := posixMQInfo.Resolve(opts)
	if err != nil {
		return nil, Endpoint{}, err
	}
	api, capacity := opts.API, opts.MaxMessage
	if capacity < 1 {
		capacity = 1
	}
	depth := mqDepth()
	if err := mqRaiseBudget(mqBudget(depth, capacity)); err != nil {
		return nil, Endpoint{}, err
	}
	prefix, err := mqRandomPrefix()
	if err != nil {
		return nil, Endpoint{}, fmt.Errorf("%s: create: %w", posixMQName, err)
	}
	names := [2]string{prefix + "-p2c", prefix + "-c2p"}
	attr := sys.MqAttr{Maxmsg: int64(depth), Msgsize: int64(capacity)}
	nb := 0
	if api == Runtime {
		nb = unix.O_NONBLOCK
	}
	// The parent sends on p2c and receives on c2p; it also writes its own
	// wake-up messages to c2p, hence O_RDWR there.
	sfd, err := sys.MqOpen(names[0], unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|nb, 0o600, &attr)
	if err != nil {
		return nil, Endpoint{}, mqOpenError(names[0], err, depth, capacity)
	}
	rfd, err := sys.MqOpen(names[1], unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|nb, 0o600, &attr)
	if err != nil {
		unix.Close(sfd)
		sys.MqUnlink(names[0])
		return nil, Endpoint{}, mqOpenError(names[1], err, depth, capacity)
	}
	c, err := newPosixMQConn(api, sfd, rfd, capacity, names)
	if err != nil {
		c.Close()
		return nil, Endpoint{}, err
	}
	ep := Endpoint{Spec: Spec{
		Transport:  posixMQName,
		API:        api,
		MaxMessage: capacity,
		Params:     map[string]string{"p2c": names[0], "c2p": names[1], "depth": strconv.Itoa(depth)},
	}}
	return c, ep, nil
}

// mqRaiseBudget raises the soft RLIMIT_MSGQUEUE to the hard limit when need
// exceeds it, or returns a *LimitError when the hard limit is too small.
func mqRaiseBudget(need uint64) error {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_MSGQUEUE, &rl); err != nil {
		return fmt.Errorf("%s: create: %w", posixMQName, os.NewSyscallError("getrlimit", err))
	}
	if rl.Cur == unix.RLIM_INFINITY || need <= rl.Cur {
		return nil
	}
	if rl.Max != unix.RLIM_INFINITY && need > rl.Max {
		return &LimitError{Transport: posixMQName, What: "queue memory (bytes for 2 queues)", Got: int(need), Max: int(rl.Max),
			Source: "RLIMIT_MSGQUEUE hard limit (ulimit -Hq), per user, root included; raising it needs CAP_SYS_RESOURCE"}
	}
	rl.Cur = rl.Max
	if err := unix.Setrlimit(unix.RLIMIT_MSGQUEUE, &rl); err != nil {
		return fmt.Errorf("%s: create: raise RLIMIT_MSGQUEUE: %w", posixMQName, os.NewSyscallError("setrlimit", err))
	}
	return nil
}

// mqOpenError explains a failed creating mq_open.
func mqOpenError(name string, err error, depth, capacity int) error {
	se := os.NewSyscallError("mq_open", err)
	switch err {
	case unix.EMFILE:
		// Create made the soft limit large enough for this channel alone,
		// so the budget is spent by this user's other queues.
		var rl unix.Rlimit
		unix.Getrlimit(unix.RLIMIT_MSGQUEUE, &rl)
		return fmt.Errorf("%s: create %s: the 2 queues need %d bytes of RLIMIT_MSGQUEUE (ulimit -q, soft %d, hard %d bytes per user, root included), "+
			"and this user's other queues use the rest (or RLIMIT_NOFILE is reached): %w", posixMQName, name, mqBudget(depth, capacity), rl.Cur, rl.Max, se)
	case unix.EINVAL:
		lim := posixMQLimits()
		le := &LimitError{Transport: posixMQName, What: "message size", Got: capacity, Max: lim.MaxMessage, Source: lim.Source}
		return fmt.Errorf("%w: create %s (depth %d): %w", le, name, depth, se)
	}
	return fmt.Errorf("%s: create %s: %w", posixMQName, name, se)
}

func (posixMQ) Attach(spec Spec, files []*os.File) (Conn, error) {
	for _, f := range files {
		f.Close()
	}
	api := spec.API
	if api == "" {
		api = Raw
	}
	if err := posixMQInfo.CheckAPI(api); err != nil {
		return nil, err
	}
	p2c, c2p := spec.Params["p2c"], spec.Params["c2p"]
	if !strings.HasPrefix(p2c, "ipcbench-") || !strings.HasPrefix(c2p, "ipcbench-") {
		return nil, fmt.Errorf("%s: attach: bad queue names %q, %q in spec", posixMQName, p2c, c2p)
	}
	nb := 0
	if api == Runtime {
		nb = unix.O_NONBLOCK
	}
	// The peer receives on p2c (and wakes itself there) and sends on c2p.
	rfd, err := sys.MqOpen(p2c, unix.O_RDWR|nb, 0, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: attach %s: %w", posixMQName, p2c, os.NewSyscallError("mq_open", err))
	}
	sfd, err := sys.MqOpen(c2p, unix.O_WRONLY|nb, 0, nil)
	if err != nil {
		unix.Close(rfd)
		return nil, fmt.Errorf("%s: attach %s: %w", posixMQName, c2p, os.NewSyscallError("mq_open", err))
	}
	attr, err := sys.MqGetAttr(rfd)
	if err == nil && attr.Msgsize != int64(spec.MaxMessage) {
		err = fmt.Errorf("queue %s has mq_msgsize %d, spec says %d", p2c, attr.Msgsize, spec.MaxMessage)
	}
	if err != nil {
		unix.Close(rfd)
		unix.Close(sfd)
		return nil, fmt.Errorf("%s: attach: %w", posixMQName, err)
	}
	c, err := newPosixMQConn(api, sfd, rfd, spec.MaxMessage, [2]string{})
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// posixMQConn is one side of a posix-mq channel.
type posixMQConn struct {
	state    mqState
	api      API
	capacity int
	sfd, rfd int           // send and receive queue descriptors
	deadline unix.Timespec // raw Send's cached absolute timeout
	scratch  []byte        // Recv's buffer when the caller's is below capacity

	// Runtime API: the descriptors as pollable files, and the callbacks
	// run by SyscallConn, made once so that no call allocates.
	sf, rf          *os.File
	src, rrc        syscall.RawConn
	readFn, writeFn func(uintptr) bool
	rbuf, wmsg      []byte
	rn              int
	rprio           uint
	rerr, werr      error

	mu       sync.Mutex // serialises Connect, Interrupt and Close
	owner    bool       // this side created the queues
	names    [2]string  // the queue names (owner only)
	unlinked bool
}

func newPosixMQConn(api API, sfd, rfd, capacity int, names [2]string) (*posixMQConn, error) {
	c := &posixMQConn{api: api, sfd: sfd, rfd: rfd, capacity: capacity, owner: names[0] != "", names: names}
	if api != Runtime {
		return c, nil
	}
	c.sf = os.NewFile(uintptr(sfd), "mq-send")
	c.rf = os.NewFile(uintptr(rfd), "mq-recv")
	var err error
	if c.src, err = c.sf.SyscallConn(); err == nil {
		c.rrc, err = c.rf.SyscallConn()
	}
	if err != nil {
		return c, fmt.Errorf("%s: %w", posixMQName, err)
	}
	c.readFn = c.doRead
	c.writeFn = c.doWrite
	return c, nil
}

// Send queues msg on the peer's receive queue, blocking while it is full.
func (c *posixMQConn) Send(msg []byte) error {
	if s := c.state.v.Load(); s != 0 {
		return c.state.err(posixMQName, "send", s)
	}
	if len(msg) > c.capacity {
		return CheckSize(posixMQName, len(msg), c.capacity, posixMQLimits())
	}
	if c.api == Runtime {
		c.wmsg = msg
		err := c.src.Write(c.writeFn)
		c.wmsg = nil
		if err == nil {
			err = c.werr
		}
		if err != nil {
			return c.wrap("send", "mq_timedsend", err)
		}
		return nil
	}
	for {
		err := sys.MqTimedSend(c.sfd, msg, 0, &c.deadline)
		switch err {
		case nil:
			return nil
		case unix.EINTR:
			continue
		case unix.ETIMEDOUT:
			if s := c.state.v.Load(); s != 0 {
				return c.state.err(posixMQName, "send", s)
			}
			c.deadline = unix.NsecToTimespec(time.Now().Add(mqSendPoll).UnixNano())
			continue
		}
		return c.wrap("send", "mq_timedsend", err)
	}
}

// Recv takes the next message. The kernel wants a buffer of the queue's
// full mq_msgsize: a shorter buf is served through a scratch buffer (one
// more copy), and a message that does not fit in it is consumed and
// reported as io.ErrShortBuffer.
func (c *posixMQConn) Recv(buf []byte) (int, error) {
	if s := c.state.v.Load(); s != 0 {
		return 0, c.state.err(posixMQName, "recv", s)
	}
	dst := buf
	if len(buf) < c.capacity {
		if c.scratch == nil {
			c.scratch = make([]byte, c.capacity)
		}
		dst = c.scratch
	}
	var (
		n    int
		prio uint
		err  error
	)
	if c.api == Runtime {
		c.rbuf = dst
		err = c.rrc.Read(c.readFn)
		c.rbuf = nil
		if err == nil {
			n, prio, err = c.rn, c.rprio, c.rerr
		}
	} else {
		for {
			n, prio, err = sys.MqTimedReceive(c.rfd, dst, nil)
			if err != unix.EINTR {
				break
			}
		}
	}
	if err != nil {
		return 0, c.wrap("recv", "mq_timedreceive", err)
	}
	if prio == mqWakePrio {
		return 0, fmt.Errorf("%s: recv: %w", posixMQName, ErrInterrupted)
	}
	if len(buf) < c.capacity {
		if n > len(buf) {
			return 0, fmt.Errorf("%s: recv: %d-byte message, %d-byte buffer: %w", posixMQName, n, len(buf), io.ErrShortBuffer)
		}
		copy(buf, dst[:n])
	}
	return n, nil
}

func (c *posixMQConn) doRead(fd uintptr) bool {
	for {
		c.rn, c.rprio, c.rerr = sys.MqTimedReceive(int(fd), c.rbuf, nil)
		if c.rerr != unix.EINTR {
			return c.rerr != unix.EAGAIN
		}
	}
}

func (c *posixMQConn) doWrite(fd uintptr) bool {
	for {
		c.werr = sys.MqTimedSend(int(fd), c.wmsg, 0, nil)
		if c.werr != unix.EINTR {
			return c.werr != unix.EAGAIN
		}
	}
}

// PollFD is the receive queue's descriptor of a raw Conn (Linux queue
// descriptors are pollable: readable while a message is queued), -1 for
// api=runtime (Pollable).
func (c *posixMQConn) PollFD() int {
	if c.api == Runtime {
		return -1
	}
	return c.rfd
}

// Buffered reports false: every message waits in the queue (Pollable).
func (c *posixMQConn) Buffered() bool { return false }

// wrap gives a failed call its context, mapping the poller's deadline and
// a closed file to ErrInterrupted and ErrClosed.
func (c *posixMQConn) wrap(op, call string, err error) error {
	if s := c.state.v.Load(); s != 0 && (errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, os.ErrClosed)) {
		return c.state.err(posixMQName, op, s)
	}
	if _, ok := err.(unix.Errno); ok {
		err = os.NewSyscallError(call, err)
	}
	return fmt.Errorf("%s: %s: %w", posixMQName, op, err)
}

// Connect unlinks both queue names once the peer has opened them: from
// then on the queues live only as long as the two processes' descriptors.
func (c *posixMQConn) Connect(map[string]string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.unlink()
}

func (c *posixMQConn) unlink() error {
	if !c.owner || c.unlinked {
		return nil
	}
	c.unlinked = true
	var errs []error
	for _, name := range c.names {
		if err := sys.MqUnlink(name); err != nil && err != unix.ENOENT {
			errs = append(errs, fmt.Errorf("%s: unlink %s: %w", posixMQName, name, os.NewSyscallError("mq_unlink", err)))
		}
	}
	return errors.Join(errs...)
}

// Interrupt makes a blocked Recv return at once and a blocked Send within
// 100 ms (raw) or at once (runtime), with ErrInterrupted; so do later
// calls.
func (c *posixMQConn) Interrupt() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state.v.Or(mqInterrupted)&mqClosed != 0 {
		return
	}
	if c.api == Runtime {
		past := time.Unix(1, 0)
		c.rf.SetDeadline(past)
		c.sf.SetDeadline(past)
		return
	}
	// A full queue makes this fail, but then the receiver is not blocked.
	sys.MqTimedSend(c.rfd, nil, mqWakePrio, &unix.Timespec{})
}

// Close unlinks the queue names if the peer never connected (owner) and
// closes the descriptors. It is idempotent.
func (c *posixMQConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state.v.Or(mqClosed)&mqClosed != 0 {
		return nil
	}
	err := c.unlink()
	if c.api == Runtime && c.sf != nil {
		c.sf.Close()
		c.rf.Close()
	} else {
		unix.Close(c.sfd)
		unix.Close(c.rfd)
	}
	return err
}
