package transports

import (
	"errors"
	"fmt"
	"io"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ipcbench/ipcbench/transports/internal/frame"
)

func TestFDErrorMapping(t *testing.T) {
	tests := []struct {
		err                 error
		closed, interrupted bool
		want                error
	}{
		{io.EOF, false, false, ErrPeerGone},
		{io.ErrUnexpectedEOF, false, false, ErrPeerGone},
		{os.NewSyscallError("writev", unix.EPIPE), false, false, ErrPeerGone},
		{&os.PathError{Op: "write", Err: unix.EPIPE}, false, false, ErrPeerGone},
		{os.NewSyscallError("read", unix.ECONNRESET), false, false, ErrPeerGone},
		{os.NewSyscallError("write", unix.ECONNREFUSED), false, false, ErrPeerGone},
		{fmt.Errorf("x: %w", frame.ErrCorrupt), false, false, ErrCorrupt},
		{os.ErrDeadlineExceeded, false, true, ErrInterrupted},
		{os.ErrClosed, false, false, ErrClosed},
		{nil, true, false, ErrClosed},
		{io.EOF, true, false, ErrClosed},
	}
	for _, tt := range tests {
		got := fdError("pipe", "recv", tt.err, tt.closed, tt.interrupted)
		if !errors.Is(got, tt.want) {
			t.Errorf("fdError(%v, closed=%v, interrupted=%v) = %v, want it to wrap %v", tt.err, tt.closed, tt.interrupted, got, tt.want)
		}
		if tt.err != nil && !tt.closed && !errors.Is(got, tt.err) {
			t.Errorf("fdError(%v) = %v: the original error is lost", tt.err, got)
		}
	}
	// errno survives for errors.Is.
	if err := fdError("tcp", "send", os.NewSyscallError("writev", unix.EPIPE), false, false); !errors.Is(err, unix.EPIPE) {
		t.Errorf("EPIPE lost: %v", err)
	}
}

// TestDgramLimitIsTheKernels checks that the datagram limit Limits reports
// is the kernel's own: a socket made as Create makes it accepts a datagram
// of exactly that size and refuses one byte more, when write(2) is called
// directly (Send refuses it earlier, with a *LimitError).
func TestDgramLimitIsTheKernels(t *testing.T) {
	for _, typ := range []int{unix.SOCK_DGRAM, unix.SOCK_SEQPACKET} {
		lim := unixSockLimits(typ)
		t.Logf("type %d: %d bytes (%s)", typ, lim.MaxMessage, lim.Source)
		if lim.MaxMessage < 64<<10 {
			t.Fatalf("type %d: limit %d is below 64 KiB", typ, lim.MaxMessage)
		}
		fds, err := unix.Socketpair(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, fd := range fds {
			growSockBuffers(fd)
		}
		buf := make([]byte, lim.MaxMessage+1)
		if _, err := unix.Write(fds[0], buf[:lim.MaxMessage]); err != nil {
			t.Errorf("type %d: %d bytes refused by the kernel: %v", typ, lim.MaxMessage, err)
		} else if n, err := unix.Read(fds[1], buf); err != nil || n != lim.MaxMessage {
			t.Errorf("type %d: read %d bytes, %v", typ, n, err)
		}
		if _, err := unix.Write(fds[0], buf); err == nil {
			t.Errorf("type %d: the kernel accepted %d bytes, one over the reported limit", typ, len(buf))
		}
		closeFDs(fds[:]...)
	}
}

func TestTakeFileOwnership(t *testing.T) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer closeFDs(p[1])
	f := os.NewFile(uintptr(p[0]), "r")
	fd, err := takeFile("pipe", f)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if fd == p[0] {
		t.Fatal("takeFile returned the file's own descriptor")
	}
	if _, err := f.Stat(); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("file not closed by takeFile: %v", err)
	}
	if flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil || flags&unix.FD_CLOEXEC == 0 {
		t.Fatalf("duplicate lacks FD_CLOEXEC: %v %v", flags, err)
	}
	if _, err := takeFiles("pipe", []*os.File{}, 1); err == nil {
		t.Fatal("takeFiles accepted a missing file")
	}
}

// TestParentLeavesPeerFilesAlone checks that each side sets the mode of
// its own descriptors only: the parent's runtime mode does not make the
// peer's inherited files non-blocking.
func TestParentLeavesPeerFilesAlone(t *testing.T) {
	for _, api := range []API{Raw, Runtime} {
		c, ep, err := pipeTransport{}.Create(Options{API: api})
		if err != nil {
			t.Fatal(err)
		}
		sc := c.(*streamConn)
		// The peer's files are untouched by the parent: blocking.
		for _, f := range ep.Files {
			if fl, _ := unix.FcntlInt(f.Fd(), unix.F_GETFL, 0); fl&unix.O_NONBLOCK != 0 {
				t.Errorf("api=%s: a peer file was made non-blocking by the parent", api)
			}
		}
		peer, err := pipeTransport{}.Attach(ep.Spec, ep.Files)
		if err != nil {
			t.Fatal(err)
		}
		if err := sc.Send([]byte("x")); err != nil {
			t.Fatal(err)
		}
		if n, err := peer.Recv(make([]byte, 4)); err != nil || n != 1 {
			t.Fatal(n, err)
		}
		c.Close()
		peer.Close()
	}
}
