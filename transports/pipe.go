package transports

// pipe: two anonymous pipes, one per direction (parent to child, child to
// parent), made with pipe2(O_CLOEXEC). The parent keeps the write end of
// the first and the read end of the second; the other two ends are the
// Endpoint's Files, which the peer inherits. Messages are framed (a 4-byte
// length, padded to 64 bytes above 2 KiB: see internal/frame) and each one is copied twice: into the pipe
// buffer by write, out of it by read. The pipe buffer is 64 KiB by default
// (F_SETPIPE_SZ can grow it up to /proc/sys/fs/pipe-max-size; ipcbench
// leaves the default, as most programs do), so larger messages move in
// several steps with the peer reading in between.
//
// Cleanup: nothing has a name; closing the descriptors (Close on each
// side, and the harness closing its copies of the Files once the peer has
// started) frees the pipes. A peer that dies shows as end of file (Recv)
// or EPIPE (Send), both reported as ErrPeerGone.

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/ipcbench/ipcbench/transports/internal/frame"
)

// frameLimitSource is the Limits.Source of every framed stream transport.
var frameLimitSource = fmt.Sprintf("ipcbench's framing limit (internal/frame.MaxMessage, %d MiB); the kernel sets none on a stream", frame.MaxMessage>>20)

var pipeInfo = Info{
	Name:   "pipe",
	Family: "pipe",
	Wait:   WaitSleep,
	Order:  1,
	Doc:    "two anonymous pipes (pipe2), length-prefixed framing",
	APIs:   []API{Raw, Runtime},
	Limits: func(API) Limits {
		return Limits{
			MaxMessage: frame.MaxMessage,
			Source: frameLimitSource + "; a pipe has no message size limit, its buffer is 64 KiB by default " +
				"(F_SETPIPE_SZ up to /proc/sys/fs/pipe-max-size)",
		}
	},
	New: func() Transport { return pipeTransport{} },
}

func init() { Register(pipeInfo) }

type pipeTransport struct{}

var _ Transport = pipeTransport{}

// Create makes the two pipes. Files: [0] read end parent→child, [1] write
// end child→parent.
func (pipeTransport) Create(opts Options) (Conn, Endpoint, error) {
	cfg, err := resolveCreate(pipeInfo, opts)
	if err != nil {
		return nil, Endpoint{}, err
	}
	var p2c, c2p [2]int
	if err := unix.Pipe2(p2c[:], unix.O_CLOEXEC); err != nil {
		return nil, Endpoint{}, fmt.Errorf("pipe: create: %w", os.NewSyscallError("pipe2", err))
	}
	if err := unix.Pipe2(c2p[:], unix.O_CLOEXEC); err != nil {
		closeFDs(p2c[:]...)
		return nil, Endpoint{}, fmt.Errorf("pipe: create: %w", os.NewSyscallError("pipe2", err))
	}
	files := []*os.File{peerFile(p2c[0], "ipcbench-pipe-p2c-read"), peerFile(c2p[1], "ipcbench-pipe-c2p-write")}
	c, err := newStreamConn(cfg, fdPipe, c2p[0], p2c[1])
	if err != nil {
		for _, f := range files {
			f.Close()
		}
		return nil, Endpoint{}, err
	}
	spec := Spec{Transport: cfg.name, API: cfg.api, MaxMessage: cfg.capacity}
	return c, Endpoint{Spec: spec, Files: files}, nil
}

// Attach takes the two inherited pipe ends. It owns (and closes) files.
func (pipeTransport) Attach(spec Spec, files []*os.File) (Conn, error) {
	cfg, err := resolveAttach(pipeInfo, spec)
	if err != nil {
		for _, f := range files {
			f.Close()
		}
		return nil, err
	}
	fds, err := takeFiles(cfg.name, files, 2)
	if err != nil {
		return nil, err
	}
	return newStreamConn(cfg, fdPipe, fds[0], fds[1])
}
