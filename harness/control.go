package harness

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
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

// ctlEnv tells the peer that its control descriptor is a connected stream
// socket (ctlStream: a remote peer's TCP connection, remote.go) rather
// than a SOCK_SEQPACKET socket.
const ctlEnv = "IPCBENCH_CTL"

// ctlStream is the value of ctlEnv for a stream control channel.
const ctlStream = "stream"

// ctlFD is the peer's control descriptor: the first ExtraFiles entry.
const ctlFD = 3

// maxCtlMsg bounds one control packet.
const maxCtlMsg = 1 << 20

// request is a control message from the parent to the peer.
type request struct {
	Op string `json:"op"` // attach, echo, pingpong, stream, rate, client, func, close

	// attach
	Spec *transports.Spec `json:"spec,omitempty"`
	CPU  int              `json:"cpu"` // the CPU the peer was started on (-1: none)

	// workloads
	Count  int    `json:"count,omitempty"`  // echo: messages to echo; client: round trips (0: until Until)
	Size   int    `json:"size,omitempty"`   // pingpong, stream
	Seed   uint64 `json:"seed,omitempty"`   // pattern seed
	Window int    `json:"window,omitempty"` // stream on a lossy transport: ack every Window messages

	// client (fan-in): the measured window, in CLOCK_MONOTONIC
	// nanoseconds, the same clock in every process of the host
	Start int64 `json:"start,omitempty"`
	Until int64 `json:"until,omitempty"`

	// func
	Func string          `json:"func,omitempty"`
	API  transports.API  `json:"api,omitempty"`  // raw: run locked to a thread; runtime: not
	Args json.RawMessage `json:"args,omitempty"` // also a workload's own arguments (rate)
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

// ctl is one end of the control channel, one JSON message at a time. Reads
// and writes are blocking system calls. On a SOCK_SEQPACKET socket (a
// local peer) a message is one packet; on a connected stream socket (a
// remote peer's TCP connection, stream set) it is one frame: a 4-byte
// big-endian length, 1 to maxCtlMsg, then that many bytes of JSON.
type ctl struct {
	fd     int
	stream bool
	wmu    sync.Mutex // stream: one frame written at a time
	buf    []byte
}

func newCtl(fd int) *ctl { return &ctl{fd: fd, buf: make([]byte, maxCtlMsg)} }

// newStreamCtl is the control channel over the connected stream socket fd.
func newStreamCtl(fd int) *ctl {
	c := newCtl(fd)
	c.stream = true
	return c
}

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
	if c.stream {
		c.wmu.Lock()
		defer c.wmu.Unlock()
		if err := writeFull(c.fd, appendFrame(nil, b)); err != nil {
			return fmt.Errorf("control write: %w", err)
		}
		return nil
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
	if c.stream {
		n, err := readFrame(fdReader(c.fd), c.buf)
		switch {
		case err == io.EOF, errors.Is(err, syscall.ECONNRESET):
			return errCtlEOF
		case err != nil:
			return fmt.Errorf("control read: %w", err)
		}
		return c.decode(n, v)
	}
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
	return c.decode(n, v)
}

// decode decodes the message in the first n bytes of the buffer into v.
func (c *ctl) decode(n int, v any) error {
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

// appendFrame appends msg to b as a stream frame: its length as 4 bytes,
// big-endian, then msg.
func appendFrame(b, msg []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(msg)))
	return append(b, msg...)
}

// readFrame reads one stream frame from r into buf and returns the
// message's length, at most len(buf) and maxCtlMsg. It returns io.EOF at end of
// input between frames, io.ErrUnexpectedEOF (wrapped) inside one, and an
// error for a length of 0 or above maxCtlMsg, reading nothing after it.
func readFrame(r io.Reader, buf []byte) (int, error) {
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		if err == io.ErrUnexpectedEOF {
			return 0, fmt.Errorf("frame header cut short: %w", err)
		}
		return 0, err
	}
	n := binary.BigEndian.Uint32(head[:])
	if limit := min(len(buf), maxCtlMsg); n == 0 || int64(n) > int64(limit) {
		return 0, fmt.Errorf("control frame of %d bytes: want 1 to %d", n, limit)
	}
	if m, err := io.ReadFull(r, buf[:n]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return 0, fmt.Errorf("control frame cut short after %d of %d bytes: %w", m, n, err)
	}
	return int(n), nil
}

// fdReader reads a blocking descriptor, retrying on EINTR; 0 bytes read is
// io.EOF.
type fdReader int

func (fd fdReader) Read(b []byte) (int, error) {
	for {
		n, err := unix.Read(int(fd), b)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return 0, err
		case n == 0 && len(b) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

// writeFull writes all of b to the blocking descriptor fd, retrying on
// EINTR and after short writes.
func writeFull(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}
