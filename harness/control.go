package harness

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/ipcbench/ipcbench/transports"
	"golang.org/x/sys/unix"
)

// roleEnv carries the peer role and the control protocol version.
const roleEnv = "IPCBENCH_ROLE"

// roleValue is the value of roleEnv for this protocol version.
const roleValue = "peer/1"

// filesEnv tells the peer how many transport descriptors follow ctlFD (the
// runtime may open descriptors of its own right after them).
const filesEnv = "IPCBENCH_FILES"

// ctlFD is the peer's control descriptor: the first ExtraFiles entry.
const ctlFD = 3

// maxCtlMsg bounds one control packet.
const maxCtlMsg = 1 << 20

// request is a control message from the parent to the peer.
type request struct {
	Op string `json:"op"` // attach, echo, pingpong, stream, func, close

	// attach
	Spec *transports.Spec `json:"spec,omitempty"`
	CPU  int              `json:"cpu"` // the CPU the peer was started on (-1: none)

	// workloads
	Count  int    `json:"count,omitempty"`  // echo: messages to echo
	Size   int    `json:"size,omitempty"`   // pingpong, stream
	Seed   uint64 `json:"seed,omitempty"`   // pattern seed
	Window int    `json:"window,omitempty"` // stream on a lossy transport: ack every Window messages

	// func
	Func string          `json:"func,omitempty"`
	API  transports.API  `json:"api,omitempty"` // raw: run locked to a thread; runtime: not
	Args json.RawMessage `json:"args,omitempty"`
}

// response is a control message from the peer.
type response struct {
	Error string `json:"error,omitempty"`

	// attach
	Reply map[string]string `json:"reply,omitempty"`
	PID   int               `json:"pid,omitempty"`
	TID   int               `json:"tid,omitempty"`
	Procs int               `json:"procs,omitempty"` // the peer's GOMAXPROCS

	// workloads
	Received int64           `json:"received,omitempty"`
	Lost     int64           `json:"lost,omitempty"`
	Acks     int64           `json:"acks,omitempty"` // flow-control acks sent
	Usage    Usage           `json:"usage"`
	Result   json.RawMessage `json:"result,omitempty"`
}

// ctl is one end of the control channel: a SOCK_SEQPACKET socket, one JSON
// message per packet. Reads and writes are blocking system calls.
type ctl struct {
	fd  int
	buf []byte
}

func newCtl(fd int) *ctl { return &ctl{fd: fd, buf: make([]byte, maxCtlMsg)} }

// ctlPair makes the control socket pair; the second end goes to the peer.
func ctlPair() (parent *ctl, peerEnd *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("control socketpair: %w", err)
	}
	return newCtl(fds[0]), os.NewFile(uintptr(fds[1]), "ipcbench-control"), nil
}

func (c *ctl) send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if len(b) > maxCtlMsg {
		return fmt.Errorf("control message of %d bytes exceeds %d", len(b), maxCtlMsg)
	}
	for {
		_, err = unix.Write(c.fd, b)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("control write: %w", err)
	}
	return nil
}

// errCtlEOF is returned by recv when the other process closed its end.
var errCtlEOF = errors.New("control channel closed")

func (c *ctl) recv(v any) error {
	var n int
	var err error
	for {
		n, err = unix.Read(c.fd, c.buf)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		if errors.Is(err, syscall.ECONNRESET) {
			return errCtlEOF
		}
		return fmt.Errorf("control read: %w", err)
	}
	if n == 0 {
		return errCtlEOF
	}
	if err := json.Unmarshal(c.buf[:n], v); err != nil {
		return fmt.Errorf("control message %q: %w", c.buf[:min(n, 200)], err)
	}
	return nil
}

func (c *ctl) close() error {
	if c.fd < 0 {
		return nil
	}
	err := unix.Close(c.fd)
	c.fd = -1
	return err
}
