package transports

// sysv-mq: two System V message queues (sysvipc(7)), one per direction,
// through the raw msgget/msgsnd/msgrcv/msgctl system calls.
//
// The parent makes both with msgget(IPC_PRIVATE, IPC_CREAT|IPC_EXCL|0600)
// and passes their ids in Spec.Params ("p2c", "c2p"); the peer uses the ids
// as they are. System V queues have no names and no descriptors: they live
// until IPC_RMID, which the parent's Close does (also when the peer died).
//
// A message is an 8-byte mtype (always 1) followed by the payload, so Send
// copies the payload once into a buffer the Conn allocated at set-up, and
// Recv copies it once out of another; no call allocates.
//
// Limits, read at call time (verified by experiment on Linux 6.18):
//   - /proc/sys/kernel/msgmax (8192 by default) bounds one message, for
//     root and CAP_SYS_RESOURCE too (msgsnd fails with EINVAL above it);
//   - a queue's byte limit msg_qbytes starts at /proc/sys/kernel/msgmnb
//     (16384 by default) and a message larger than it could never be
//     queued. With CAP_SYS_RESOURCE, Create raises msg_qbytes (IPC_SET) so
//     that 10 messages of the channel's capacity fit, like posix-mq's
//     depth; without it (an ordinary user, or a container's root lacking
//     the capability) it stays at msgmnb, the channel's capacity is at most
//     msgmnb, and a streaming sender runs only msgmnb/size messages ahead.
//
// Interrupt removes both queues (IPC_RMID), which wakes every msgsnd and
// msgrcv blocked on them, in both processes, with EIDRM: the interrupted
// side reports ErrInterrupted and the other side ErrPeerGone. The peer may
// do so too, as it runs with the parent's credentials; this is also how a
// peer whose parent died leaves nothing behind. Only API raw exists: the
// queues have no descriptor to poll.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/ipcbench/ipcbench/internal/sys"
)

const (
	sysvMQName = "sysv-mq"
	// sysvMQDepth is how many messages of the channel's capacity a queue
	// should hold when msg_qbytes can be raised.
	sysvMQDepth = 10
	// sysvMQType is the mtype of every data message.
	sysvMQType = 1

	msgmaxPath = "/proc/sys/kernel/msgmax"
	msgmnbPath = "/proc/sys/kernel/msgmnb"
)

var sysvMQInfo = Info{
	Name:   sysvMQName,
	Family: "mq",
	Wait:   WaitSleep,
	Order:  2,
	Doc:    "two System V message queues (msgget, msgsnd, msgrcv)",
	APIs:   []API{Raw},
	Limits: func(API) Limits { return sysvMQLimits() },
	New:    func() Transport { return sysvMQ{} },
}

func init() { Register(sysvMQInfo) }

type sysvMQ struct{}

var (
	_ Transport   = sysvMQ{}
	_ Interrupter = (*sysvMQConn)(nil)
)

func sysvMQLimits() Limits {
	msgmax, err := mqReadInt(msgmaxPath)
	if err != nil {
		msgmax = 8192
	}
	lim := Limits{MaxMessage: msgmax,
		Source: fmt.Sprintf("%s = %d, per message, for root too", msgmaxPath, msgmax)}
	if !mqCapSysResource() {
		if mnb, err := mqReadInt(msgmnbPath); err == nil && mnb < msgmax {
			lim = Limits{MaxMessage: mnb,
				Source: fmt.Sprintf("%s = %d, the queue's msg_qbytes, which only CAP_SYS_RESOURCE may raise", msgmnbPath, mnb)}
		}
	}
	return lim
}

func (sysvMQ) Create(opts Options) (Conn, Endpoint, error) {
	opts, err := sysvMQInfo.Resolve(opts)
	if err != nil {
		return nil, Endpoint{}, err
	}
	api, capacity := opts.API, opts.MaxMessage
	var ids [2]int
	for i := range ids {
		id, err := sys.Msgget(unix.IPC_PRIVATE, unix.IPC_CREAT|unix.IPC_EXCL|0o600)
		if err == nil {
			err = sysvMQSize(id, capacity)
		}
		if err != nil {
			if id >= 0 {
				sys.Msgctl(id, unix.IPC_RMID, nil)
			}
			if i > 0 {
				sys.Msgctl(ids[0], unix.IPC_RMID, nil)
			}
			if _, ok := err.(unix.Errno); ok {
				err = os.NewSyscallError("msgget", err)
			}
			return nil, Endpoint{}, fmt.Errorf("%s: create: %w", sysvMQName, err)
		}
		ids[i] = id
	}
	c := newSysvMQConn(ids[0], ids[1], capacity)
	c.owner = true
	ep := Endpoint{Spec: Spec{
		Transport:  sysvMQName,
		API:        api,
		MaxMessage: capacity,
		Params:     map[string]string{"p2c": strconv.Itoa(ids[0]), "c2p": strconv.Itoa(ids[1])},
	}}
	return c, ep, nil
}

// sysvMQSize makes queue id hold sysvMQDepth messages of capacity bytes
// when this process may raise msg_qbytes, and checks that it holds one.
func sysvMQSize(id, capacity int) error {
	var ds sys.MsqidDs
	if err := sys.Msgctl(id, unix.IPC_STAT, &ds); err != nil {
		return os.NewSyscallError("msgctl IPC_STAT", err)
	}
	if want := uint64(sysvMQDepth * capacity); want > ds.Qbytes && mqCapSysResource() {
		ds.Qbytes = want
		if err := sys.Msgctl(id, unix.IPC_SET, &ds); err != nil {
			return os.NewSyscallError("msgctl IPC_SET msg_qbytes", err)
		}
	}
	if uint64(capacity) > ds.Qbytes {
		return &LimitError{Transport: sysvMQName, What: "message size", Got: capacity, Max: int(ds.Qbytes),
			Source: "the queue's msg_qbytes (" + msgmnbPath + "); raising it needs CAP_SYS_RESOURCE"}
	}
	return nil
}

func (sysvMQ) Attach(spec Spec, files []*os.File) (Conn, error) {
	for _, f := range files {
		f.Close()
	}
	if spec.API != "" && spec.API != Raw {
		return nil, sysvMQInfo.CheckAPI(spec.API)
	}
	p2c, err1 := strconv.Atoi(spec.Params["p2c"])
	c2p, err2 := strconv.Atoi(spec.Params["c2p"])
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("%s: attach: bad queue ids in spec: %w", sysvMQName, err)
	}
	for _, id := range []int{p2c, c2p} {
		var ds sys.MsqidDs
		if err := sys.Msgctl(id, unix.IPC_STAT, &ds); err != nil {
			return nil, fmt.Errorf("%s: attach: queue %d: %w", sysvMQName, id, os.NewSyscallError("msgctl IPC_STAT", err))
		}
	}
	// The peer sends on c2p and receives on p2c.
	return newSysvMQConn(c2p, p2c, spec.MaxMessage), nil
}

// sysvMQConn is one side of a sysv-mq channel.
type sysvMQConn struct {
	state      mqState
	capacity   int
	sid, rid   int    // send and receive queue ids
	sbuf, rbuf []byte // struct msgbuf: mtype, then capacity bytes

	mu      sync.Mutex // serialises Interrupt and Close
	owner   bool       // this side created the queues
	removed bool       // IPC_RMID done
}

func newSysvMQConn(sid, rid, capacity int) *sysvMQConn {
	c := &sysvMQConn{capacity: capacity, sid: sid, rid: rid,
		sbuf: make([]byte, sys.MsgHdr+capacity), rbuf: make([]byte, sys.MsgHdr+capacity)}
	binary.NativeEndian.PutUint64(c.sbuf, sysvMQType)
	return c
}

// Send copies msg after the mtype and queues it, blocking while the queue's
// msg_qbytes would be exceeded.
func (c *sysvMQConn) Send(msg []byte) error {
	if s := c.state.v.Load(); s != 0 {
		return c.state.err(sysvMQName, "send", s)
	}
	if len(msg) > c.capacity {
		return CheckSize(sysvMQName, len(msg), c.capacity, sysvMQLimits())
	}
	copy(c.sbuf[sys.MsgHdr:], msg)
	for {
		err := sys.Msgsnd(c.sid, c.sbuf[:sys.MsgHdr+len(msg)], 0)
		if err == nil {
			return nil
		}
		if err != unix.EINTR {
			return c.wrap("send", "msgsnd", err)
		}
	}
}

// Recv takes the next message and copies it into buf. A message longer
// than buf stays queued and Recv fails with io.ErrShortBuffer.
func (c *sysvMQConn) Recv(buf []byte) (int, error) {
	if s := c.state.v.Load(); s != 0 {
		return 0, c.state.err(sysvMQName, "recv", s)
	}
	room := min(len(buf), c.capacity)
	for {
		n, err := sys.Msgrcv(c.rid, c.rbuf[:sys.MsgHdr+room], 0, 0)
		if err == nil {
			return copy(buf, c.rbuf[sys.MsgHdr:sys.MsgHdr+n]), nil
		}
		switch err {
		case unix.EINTR:
			continue
		case unix.E2BIG:
			return 0, fmt.Errorf("%s: recv: message longer than the %d-byte buffer: %w", sysvMQName, len(buf), io.ErrShortBuffer)
		}
		return 0, c.wrap("recv", "msgrcv", err)
	}
}

// wrap gives a failed call its context; a removed queue means the peer is
// gone, unless this side's Interrupt removed it.
func (c *sysvMQConn) wrap(op, call string, err error) error {
	se := os.NewSyscallError(call, err)
	if err == unix.EIDRM || err == unix.EINVAL {
		s := c.state.v.Load()
		switch {
		case s&mqClosed != 0:
			return fmt.Errorf("%s: %s: %w: %w", sysvMQName, op, ErrClosed, se)
		case s&mqInterrupted != 0:
			return fmt.Errorf("%s: %s: %w: %w", sysvMQName, op, ErrInterrupted, se)
		}
		return fmt.Errorf("%s: %s: %w: %w", sysvMQName, op, ErrPeerGone, se)
	}
	return fmt.Errorf("%s: %s: %w", sysvMQName, op, se)
}

// rmid removes both queues once; a queue already gone is not an error.
func (c *sysvMQConn) rmid() error {
	if c.removed {
		return nil
	}
	c.removed = true
	var errs []error
	for _, id := range []int{c.sid, c.rid} {
		if err := sys.Msgctl(id, unix.IPC_RMID, nil); err != nil && err != unix.EINVAL && err != unix.EIDRM {
			errs = append(errs, fmt.Errorf("%s: remove queue %d: %w", sysvMQName, id, os.NewSyscallError("msgctl IPC_RMID", err)))
		}
	}
	return errors.Join(errs...)
}

// Interrupt removes both queues (IPC_RMID), waking blocked calls on both
// sides; this side's then fail with ErrInterrupted, the other side's with
// ErrPeerGone. Close must still be called.
func (c *sysvMQConn) Interrupt() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state.v.Or(mqInterrupted)&mqClosed != 0 {
		return
	}
	c.rmid()
}

// Close removes both queues on the creating side. It is idempotent.
func (c *sysvMQConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state.v.Or(mqClosed)&mqClosed != 0 || !c.owner {
		return nil
	}
	return c.rmid()
}
