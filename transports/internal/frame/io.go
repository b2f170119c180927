package frame

import (
	"io"
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// FDRead returns a ReadFunc over a blocking descriptor: read(2) on the
// calling thread, EINTR retried, 0 bytes read reported as io.EOF, an errno
// returned in an *os.SyscallError.
func FDRead(fd int) ReadFunc {
	return func(p []byte) (int, error) {
		for {
			n, err := unix.Read(fd, p)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return 0, os.NewSyscallError("read", err)
			}
			if n == 0 && len(p) > 0 {
				return 0, io.EOF
			}
			return n, nil
		}
	}
}

// FDWritev returns a WritevFunc over a blocking descriptor: writev(2) on
// the calling thread, EINTR retried, an errno returned in an
// *os.SyscallError.
func FDWritev(fd int) WritevFunc {
	return func(iov [][]byte) (int, error) {
		for {
			var n int
			var err error
			if len(iov) == 1 {
				n, err = unix.Write(fd, iov[0]) // one buffer: plain write(2)
			} else {
				n, err = unix.Writev(fd, iov)
			}
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return 0, os.NewSyscallError("writev", err)
			}
			return n, nil
		}
	}
}

// RawConnWritev returns a WritevFunc that calls writev(2) through rc, the
// syscall.RawConn of a non-blocking os.File or net.Conn: the Go runtime's
// poller parks the goroutine while the descriptor is not writable.
func RawConnWritev(rc syscall.RawConn) WritevFunc {
	w := &rawWritev{rc: rc}
	w.fn = w.try // bound once: no allocation per call
	return w.writev
}

type rawWritev struct {
	rc  syscall.RawConn
	fn  func(fd uintptr) bool
	iov [][]byte
	n   int
	err error
}

func (w *rawWritev) try(fd uintptr) bool {
	for {
		var n int
		var err error
		if len(w.iov) == 1 {
			n, err = unix.Write(int(fd), w.iov[0]) // one buffer: plain write(2)
		} else {
			n, err = unix.Writev(int(fd), w.iov)
		}
		switch err {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false // wait for the poller
		case nil:
			w.n, w.err = n, nil
		default:
			w.n, w.err = 0, os.NewSyscallError("writev", err)
		}
		return true
	}
}

func (w *rawWritev) writev(iov [][]byte) (int, error) {
	w.iov = iov
	w.n, w.err = 0, nil
	err := w.rc.Write(w.fn)
	w.iov = nil
	if err != nil {
		return 0, err
	}
	return w.n, w.err
}

// ConnWritev returns a WritevFunc over a net.Conn through net.Buffers,
// which the net package turns into writev(2) on its poller.
func ConnWritev(c net.Conn) WritevFunc { return WriterWritev(c) }

// WriterWritev returns a WritevFunc over any io.Writer through
// net.Buffers: writev(2) for a net.Conn, one Write per buffer otherwise
// (an io.Pipe feeding an HTTP request body, where each Write is a chunk).
func WriterWritev(wr io.Writer) WritevFunc {
	w := &connWritev{c: wr}
	return w.writev
}

type connWritev struct {
	c   io.Writer
	b   net.Buffers
	arr [2][]byte
}

func (w *connWritev) writev(iov [][]byte) (int, error) {
	// WriteTo consumes the slices it is given: hand it a copy of iov.
	w.b = append(w.arr[:0], iov...)
	n, err := w.b.WriteTo(w.c)
	w.b = nil
	w.arr = [2][]byte{}
	return int(n), err
}
