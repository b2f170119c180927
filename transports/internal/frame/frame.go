// Package frame is the length-prefixed framing that keeps message boundaries
// on stream descriptors (pipes, FIFOs, stream sockets). It is written once
// and shared by every stream transport.
//
// A frame is a 4-byte little-endian payload length followed by the payload;
// when the payload is larger than 2048 bytes, the length is followed by
// zero bytes up to 64 (LargeHeaderSize), so that the payload starts on a
// cache-line boundary of the stream. The kernel copies a payload whose
// source address and destination offset (in the pipe's page, the socket
// buffer) are aligned alike much faster than one shifted by the 4 bytes
// of a bare length. The Writer sends header and payload in one system
// call (write for a small frame copied behind its header, writev
// otherwise); the
// Reader is buffered, so that one read normally brings a small message's
// header and payload, while a large message's payload is read straight into
// the caller's buffer without an extra copy.
//
// The package knows nothing of the transports package: it reports io.EOF
// (clean end of stream at a frame boundary), io.ErrUnexpectedEOF (end of
// stream inside a frame), a *ShortBufferError (wraps io.ErrShortBuffer) and
// errors wrapping ErrCorrupt; callers map them to their own errors.
package frame

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

const (
	// HeaderSize is the size of a frame header: the payload length as a
	// little-endian uint32.
	HeaderSize = 4
	// LargeHeaderSize is the header of a frame whose payload is larger
	// than smallFrame: the length, then zero bytes up to 64, so that the
	// payload starts on a cache-line boundary of the stream.
	LargeHeaderSize = 64
	// MaxMessage is ipcbench's own limit on a framed message (16 MiB). The
	// kernel sets none on streams; the limit bounds what a corrupt header
	// can make a reader expect.
	MaxMessage = 16 << 20
	// DefaultBufferSize is the Reader's buffer: large enough that a 4 KiB
	// message and its header arrive in one read, small enough that the copy
	// of a large message's first bytes out of it stays cheap.
	DefaultBufferSize = 8 << 10
)

// ErrCorrupt is wrapped when a frame header announces a length above the
// reader's limit: the stream is not in step and cannot be used further.
var ErrCorrupt = errors.New("corrupt frame")

// ErrTooLarge is wrapped by Writer.WriteFrame for a message above the
// writer's limit. Transports check sizes before, with their own error.
var ErrTooLarge = errors.New("frame too large")

// A ShortBufferError is returned by Reader.ReadFrame when a frame is longer
// than the caller's buffer. The frame is discarded and the stream stays
// usable. It wraps io.ErrShortBuffer.
type ShortBufferError struct {
	Len int // payload length of the discarded frame
	Buf int // length of the caller's buffer
}

// Error implements error.
func (e *ShortBufferError) Error() string {
	return fmt.Sprintf("message of %d bytes does not fit a buffer of %d bytes (discarded): %v", e.Len, e.Buf, io.ErrShortBuffer)
}

// Unwrap makes errors.Is(err, io.ErrShortBuffer) hold.
func (e *ShortBufferError) Unwrap() error { return io.ErrShortBuffer }

// A ReadFunc reads into p like io.Reader.Read: it returns io.EOF (and n ==
// 0) at end of stream.
type ReadFunc func(p []byte) (int, error)

// A WritevFunc writes the concatenation of iov, possibly partially, and
// returns the number of bytes written. It must not keep iov.
type WritevFunc func(iov [][]byte) (int, error)

// A Reader decodes frames from a stream. It is not safe for concurrent use.
type Reader struct {
	read ReadFunc
	buf  []byte
	r, w int   // unread bytes are buf[r:w]
	skip int   // bytes of a discarded frame still to drop
	max  int   // largest acceptable payload
	err  error // sticky error: corrupt stream or read failure
	rerr error // error returned together with data, reported on next need
}

// NewReader returns a Reader over read that accepts payloads up to max
// bytes (max <= 0 or above MaxMessage means MaxMessage), with a buffer of
// bufSize bytes (DefaultBufferSize if bufSize < 2*HeaderSize).
func NewReader(read ReadFunc, max, bufSize int) *Reader {
	if max <= 0 || max > MaxMessage {
		max = MaxMessage
	}
	if bufSize < 2*HeaderSize {
		bufSize = DefaultBufferSize
	}
	return &Reader{read: read, buf: make([]byte, bufSize), max: max}
}

// Buffered returns the number of bytes read from the stream but not yet
// returned.
func (r *Reader) Buffered() int { return r.w - r.r }

// fill reads more bytes into the buffer. It compacts first, which moves at
// most HeaderSize-1 bytes because fill is only called when fewer than
// HeaderSize bytes are unread (or none, for a header's padding).
func (r *Reader) fill() error {
	if r.rerr != nil {
		err := r.rerr
		r.rerr = nil
		return err
	}
	if r.r > 0 {
		r.w = copy(r.buf, r.buf[r.r:r.w])
		r.r = 0
	}
	for tries := 0; tries < 100; tries++ {
		n, err := r.read(r.buf[r.w:])
		if n < 0 {
			n = 0
		}
		r.w += n
		if n > 0 {
			r.rerr = err
			return nil
		}
		if err != nil {
			return err
		}
	}
	return io.ErrNoProgress
}

// fail records a sticky error and returns it.
func (r *Reader) fail(err error) (int, error) {
	r.err = err
	return 0, err
}

// errNonZero is discard's report of a non-zero byte where zeros must be.
var errNonZero = errors.New("non-zero byte")

// discard consumes n bytes of the stream, refilling the buffer as needed;
// with zeros set, a byte that is not zero stops it with errNonZero. End
// of stream inside them is io.ErrUnexpectedEOF.
func (r *Reader) discard(n int, zeros bool) error {
	for n > 0 {
		if r.r == r.w {
			r.r, r.w = 0, 0
			if err := r.fill(); err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return err
			}
		}
		d := min(n, r.w-r.r)
		if zeros {
			for _, c := range r.buf[r.r : r.r+d] {
				if c != 0 {
					return errNonZero
				}
			}
		}
		r.r += d
		n -= d
	}
	return nil
}

// ReadFrame reads the next frame's payload into p and returns its length.
// A frame longer than p is discarded and reported as a *ShortBufferError;
// later calls return the following frames. Any other error is sticky.
func (r *Reader) ReadFrame(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	// Drop what is left of a frame that did not fit the previous buffer.
	if err := r.discard(r.skip, false); err != nil {
		return r.fail(err)
	}
	r.skip = 0
	for r.w-r.r < HeaderSize {
		if err := r.fill(); err != nil {
			if err == io.EOF && r.w > r.r {
				err = io.ErrUnexpectedEOF
			}
			return r.fail(err)
		}
	}
	n := int(binary.LittleEndian.Uint32(r.buf[r.r:]))
	if n > r.max {
		return r.fail(fmt.Errorf("%w: header announces %d bytes, limit %d", ErrCorrupt, n, r.max))
	}
	r.r += HeaderSize
	if n > smallFrame {
		// A large frame's header goes on in zero bytes up to
		// LargeHeaderSize; the buffer may be smaller than that.
		if err := r.discard(LargeHeaderSize-HeaderSize, true); err == errNonZero {
			return r.fail(fmt.Errorf("%w: a non-zero byte in the padding of a %d-byte frame's header", ErrCorrupt, n))
		} else if err != nil {
			return r.fail(err)
		}
	}
	if n > len(p) {
		d := min(n, r.w-r.r)
		r.r += d
		r.skip = n - d
		return 0, &ShortBufferError{Len: n, Buf: len(p)}
	}
	c := copy(p[:n], r.buf[r.r:r.w])
	r.r += c
	if r.r == r.w {
		r.r, r.w = 0, 0
	}
	// The rest of a large payload goes straight into p.
	if c < n && r.rerr != nil {
		err := r.rerr
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return r.fail(err)
	}
	for zero := 0; c < n; {
		m, err := r.read(p[c:n])
		if m > 0 {
			c += m
			zero = 0
			continue
		}
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if err == nil {
			if zero++; zero < 100 {
				continue
			}
			err = io.ErrNoProgress
		}
		return r.fail(err)
	}
	return n, nil
}

// smallFrame is the largest payload the Writer copies behind its header
// into one buffer, so that the frame goes out in a plain write(2) (one
// iovec): cheaper than writev for small messages, where the copy costs
// less than the kernel's iovec handling.
const smallFrame = 2048

// A Writer encodes frames onto a stream. It is not safe for concurrent use.
type Writer struct {
	writev WritevFunc
	max    int
	hdr    [LargeHeaderSize]byte
	iov    [2][]byte
	small  [HeaderSize + smallFrame]byte
}

// NewWriter returns a Writer over writev that accepts payloads up to max
// bytes (max <= 0 or above MaxMessage means MaxMessage).
func NewWriter(writev WritevFunc, max int) *Writer {
	if max <= 0 || max > MaxMessage {
		max = MaxMessage
	}
	return &Writer{writev: writev, max: max}
}

// WriteFrame writes msg as one frame, header and payload in one writev
// call unless the stream accepts only part of it, in which case it goes
// on with the rest.
func (w *Writer) WriteFrame(msg []byte) error {
	if len(msg) > w.max {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(msg), w.max)
	}
	if len(msg) <= smallFrame {
		binary.LittleEndian.PutUint32(w.small[:], uint32(len(msg)))
		n := HeaderSize + copy(w.small[HeaderSize:], msg)
		w.iov[0] = w.small[:n]
		return writeAll(w.writev, w.iov[:1])
	}
	binary.LittleEndian.PutUint32(w.hdr[:], uint32(len(msg)))
	w.iov[0] = w.hdr[:LargeHeaderSize]
	w.iov[1] = msg
	err := writeAll(w.writev, w.iov[:])
	w.iov[1] = nil // do not keep the caller's message alive
	return err
}

// writeAll calls writev until every byte of iov is written. It consumes
// iov in place.
func writeAll(writev WritevFunc, iov [][]byte) error {
	for zero := 0; ; {
		n, err := writev(iov)
		if n < 0 {
			n = 0
		}
		wrote := n
		for n > 0 && len(iov) > 0 {
			if n < len(iov[0]) {
				iov[0] = iov[0][n:]
				break
			}
			n -= len(iov[0])
			iov = iov[1:]
		}
		for len(iov) > 0 && len(iov[0]) == 0 {
			iov = iov[1:]
		}
		if len(iov) == 0 {
			return nil
		}
		if err != nil {
			return err
		}
		if wrote == 0 {
			if zero++; zero >= 100 {
				return io.ErrShortWrite
			}
		}
	}
}
