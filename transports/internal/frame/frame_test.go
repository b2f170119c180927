package frame

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// chunkReader serves data in pieces of at most chunk bytes.
func chunkReader(data []byte, chunk int) ReadFunc {
	return func(p []byte) (int, error) {
		if len(data) == 0 {
			return 0, io.EOF
		}
		n := min(len(p), chunk, len(data))
		copy(p, data[:n])
		data = data[n:]
		return n, nil
	}
}

// sink collects what a Writer writes, at most limit bytes per call.
type sink struct {
	bytes.Buffer
	limit int
	calls int
}

func (s *sink) writev(iov [][]byte) (int, error) {
	s.calls++
	n := 0
	for _, b := range iov {
		if s.limit > 0 && n+len(b) > s.limit {
			b = b[:s.limit-n]
		}
		s.Write(b)
		n += len(b)
		if s.limit > 0 && n == s.limit {
			break
		}
	}
	return n, nil
}

func encode(t testing.TB, msgs ...[]byte) []byte {
	var s sink
	w := NewWriter(s.writev, 0)
	for _, m := range msgs {
		if err := w.WriteFrame(m); err != nil {
			t.Fatal(err)
		}
	}
	return s.Bytes()
}

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) + seed
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	sizes := []int{0, 1, 3, 4, 5, 64, 4092, 4096, 8188, 8192, 65536, 100000}
	var msgs [][]byte
	for i, n := range sizes {
		msgs = append(msgs, pattern(n, byte(i)))
	}
	stream := encode(t, msgs...)
	for _, chunk := range []int{1, 3, 4, 7, 4100, 1 << 20} {
		for _, bufSize := range []int{8, 13, 4096, DefaultBufferSize} {
			t.Run(fmt.Sprintf("chunk=%d/buf=%d", chunk, bufSize), func(t *testing.T) {
				r := NewReader(chunkReader(stream, chunk), 0, bufSize)
				p := make([]byte, 1<<17)
				for i, want := range msgs {
					n, err := r.ReadFrame(p)
					if err != nil {
						t.Fatalf("frame %d: %v", i, err)
					}
					if !bytes.Equal(p[:n], want) {
						t.Fatalf("frame %d: got %d bytes, want %d (content differs)", i, n, len(want))
					}
				}
				if _, err := r.ReadFrame(p); err != io.EOF {
					t.Fatalf("at end: got %v, want io.EOF", err)
				}
			})
		}
	}
}

func TestShortBufferKeepsStream(t *testing.T) {
	big, small := pattern(20000, 1), pattern(10, 2)
	stream := encode(t, small, big, small, big, big, small)
	for _, chunk := range []int{1, 5, 9000, 1 << 20} {
		t.Run(fmt.Sprintf("chunk=%d", chunk), func(t *testing.T) {
			r := NewReader(chunkReader(stream, chunk), 0, 64)
			p := make([]byte, 100)
			want := []int{10, -1, 10, -1, -1, 10}
			for i, w := range want {
				n, err := r.ReadFrame(p)
				if w < 0 {
					var sbe *ShortBufferError
					if !errors.Is(err, io.ErrShortBuffer) || !errors.As(err, &sbe) || sbe.Len != 20000 || sbe.Buf != 100 {
						t.Fatalf("frame %d: got n=%d err=%v, want a ShortBufferError{20000, 100}", i, n, err)
					}
					continue
				}
				if err != nil || !bytes.Equal(p[:n], small) {
					t.Fatalf("frame %d: got n=%d err=%v", i, n, err)
				}
			}
			if _, err := r.ReadFrame(p); err != io.EOF {
				t.Fatalf("at end: %v", err)
			}
		})
	}
}

func TestReaderErrors(t *testing.T) {
	hdr := func(n uint32) []byte { return binary.LittleEndian.AppendUint32(nil, n) }
	tests := []struct {
		name   string
		stream []byte
		max    int
		want   error
	}{
		{"empty", nil, 0, io.EOF},
		{"partial-header", []byte{1, 0}, 0, io.ErrUnexpectedEOF},
		{"partial-payload", append(hdr(10), 1, 2, 3), 0, io.ErrUnexpectedEOF},
		{"over-max", hdr(MaxMessage + 1), 0, ErrCorrupt},
		{"over-reader-max", append(hdr(11), make([]byte, 11)...), 10, ErrCorrupt},
		{"huge", []byte{0xff, 0xff, 0xff, 0xff}, 0, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run("case="+tt.name, func(t *testing.T) {
			r := NewReader(chunkReader(tt.stream, 2), tt.max, 0)
			p := make([]byte, 64)
			_, err := r.ReadFrame(p)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if _, err2 := r.ReadFrame(p); !errors.Is(err2, tt.want) {
				t.Fatalf("error not sticky: second call got %v", err2)
			}
		})
	}
}

func TestReadErrorWithData(t *testing.T) {
	boom := errors.New("boom")
	stream := append(encode(t, []byte("ok")), 5, 0, 0, 0, 'a')
	calls := 0
	r := NewReader(func(p []byte) (int, error) {
		calls++
		if calls == 1 {
			return copy(p, stream), boom
		}
		return 0, errors.New("read after error")
	}, 0, 0)
	p := make([]byte, 16)
	if n, err := r.ReadFrame(p); err != nil || string(p[:n]) != "ok" {
		t.Fatalf("first frame: %q %v", p[:n], err)
	}
	if _, err := r.ReadFrame(p); err != boom {
		t.Fatalf("second frame: got %v, want boom", err)
	}
}

func TestWriter(t *testing.T) {
	msg := pattern(1000, 3)
	for _, limit := range []int{0, 1, 3, 4, 5, 999, 1003} {
		t.Run(fmt.Sprintf("limit=%d", limit), func(t *testing.T) {
			s := &sink{limit: limit}
			w := NewWriter(s.writev, 0)
			if err := w.WriteFrame(msg); err != nil {
				t.Fatal(err)
			}
			if err := w.WriteFrame(nil); err != nil {
				t.Fatal(err)
			}
			want := encode(t, msg, nil)
			if !bytes.Equal(s.Bytes(), want) {
				t.Fatalf("stream differs")
			}
			if limit == 0 && s.calls != 2 {
				t.Fatalf("%d writev calls for 2 frames, want 2 (one each)", s.calls)
			}
		})
	}
	w := NewWriter((&sink{}).writev, 10)
	if err := w.WriteFrame(make([]byte, 11)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("11 bytes over a limit of 10: got %v", err)
	}
	w = NewWriter(func([][]byte) (int, error) { return 0, nil }, 0)
	if err := w.WriteFrame([]byte("x")); !errors.Is(err, io.ErrShortWrite) {
		t.Fatalf("writer that makes no progress: got %v", err)
	}
}

// TestFDNoAllocs checks the raw descriptor path allocates nothing per
// message and sends each frame in one system call.
func TestFDNoAllocs(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	// Fd puts the files in blocking mode, as the raw path needs.
	r := NewReader(FDRead(int(pr.Fd())), 0, 0)
	w := NewWriter(FDWritev(int(pw.Fd())), 0)
	msg, p := pattern(1000, 9), make([]byte, 2000)
	allocs := testing.AllocsPerRun(100, func() {
		if err := w.WriteFrame(msg); err != nil {
			t.Fatal(err)
		}
		if n, err := r.ReadFrame(p); err != nil || n != len(msg) {
			t.Fatal(n, err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per message, want 0", allocs)
	}
	pw.Close()
	if _, err := r.ReadFrame(p); err != io.EOF {
		t.Fatalf("after writer closed: %v, want io.EOF", err)
	}
}

func TestRandomStreams(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 50; round++ {
		var msgs [][]byte
		for i := 0; i < 30; i++ {
			n := rng.IntN(3000)
			if rng.IntN(10) == 0 {
				n = rng.IntN(40000)
			}
			msgs = append(msgs, pattern(n, byte(i)))
		}
		stream := encode(t, msgs...)
		bufLen := rng.IntN(5000)
		r := NewReader(chunkReader(stream, 1+rng.IntN(10000)), 0, 8+rng.IntN(10000))
		p := make([]byte, bufLen)
		for i, m := range msgs {
			n, err := r.ReadFrame(p)
			if len(m) > bufLen {
				if !errors.Is(err, io.ErrShortBuffer) {
					t.Fatalf("round %d frame %d: %d bytes into %d: got %v", round, i, len(m), bufLen, err)
				}
				continue
			}
			if err != nil || !bytes.Equal(p[:n], m) {
				t.Fatalf("round %d frame %d: n=%d err=%v", round, i, n, err)
			}
		}
	}
}

// FuzzReader decodes arbitrary bytes with arbitrary read chunking, reader
// buffer and caller buffer sizes, and checks every result against a
// straightforward reference decoder.
func FuzzReader(f *testing.F) {
	f.Add(encode(f, []byte("hello"), nil, pattern(300, 1)), uint8(3), uint16(16), uint16(400))
	f.Add([]byte{4, 0, 0, 0, 1, 2}, uint8(1), uint16(8), uint16(8))
	f.Add([]byte{0xff, 0xff, 0xff, 0x7f}, uint8(2), uint16(0), uint16(1))
	f.Add(encode(f, pattern(3000, 2), []byte("x")), uint8(50), uint16(13), uint16(3000))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8, rbuf, pbuf uint16) {
		const max = 1 << 16
		r := NewReader(chunkReader(data, int(chunk)+1), max, int(rbuf))
		p := make([]byte, int(pbuf)%2048)
		rest := data
		for i := 0; ; i++ {
			n, err := r.ReadFrame(p)
			// Reference decoder.
			switch {
			case len(rest) == 0:
				if err != io.EOF {
					t.Fatalf("frame %d: at end got n=%d err=%v, want io.EOF", i, n, err)
				}
				return
			case len(rest) < HeaderSize:
				if err != io.ErrUnexpectedEOF {
					t.Fatalf("frame %d: partial header: got %v", i, err)
				}
				return
			}
			l := int(binary.LittleEndian.Uint32(rest))
			hdr := HeaderSize
			if l > smallFrame {
				hdr = LargeHeaderSize
			}
			padBad := false
			for _, b := range rest[min(HeaderSize, len(rest)):min(hdr, len(rest))] {
				padBad = padBad || b != 0
			}
			switch {
			case l > max, l <= max && padBad:
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("frame %d: length %d: got %v, want ErrCorrupt", i, l, err)
				}
				return
			case len(rest) < hdr:
				if err != io.ErrUnexpectedEOF {
					t.Fatalf("frame %d: partial header of %d bytes: got %v", i, hdr, err)
				}
				return
			case len(rest)-hdr < l:
				if l > len(p) && errors.Is(err, io.ErrShortBuffer) {
					// Reported before the payload is complete: the end of
					// stream shows on the next call.
					if _, err := r.ReadFrame(p); err != io.ErrUnexpectedEOF {
						t.Fatalf("frame %d: after short buffer on truncated frame got %v", i, err)
					}
					return
				}
				if err != io.ErrUnexpectedEOF {
					t.Fatalf("frame %d: truncated payload: got n=%d err=%v", i, n, err)
				}
				return
			case l > len(p):
				if !errors.Is(err, io.ErrShortBuffer) {
					t.Fatalf("frame %d: %d bytes into %d: got %v", i, l, len(p), err)
				}
			default:
				if err != nil || n != l || !bytes.Equal(p[:n], rest[hdr:hdr+l]) {
					t.Fatalf("frame %d: got n=%d err=%v, want %d bytes", i, n, err, l)
				}
			}
			rest = rest[hdr+l:]
		}
	})
}

// TestLargeHeader: a frame of more than smallFrame bytes has a 64-byte
// header (the length, then zeros), a smaller one a 4-byte header; a
// non-zero padding byte is a corrupt stream.
func TestLargeHeader(t *testing.T) {
	for _, tc := range []struct{ size, hdr int }{{smallFrame, HeaderSize}, {smallFrame + 1, LargeHeaderSize}, {65536, LargeHeaderSize}} {
		b := encode(t, pattern(tc.size, 1))
		if len(b) != tc.hdr+tc.size {
			t.Fatalf("%d-byte frame: %d bytes on the wire, want a %d-byte header", tc.size, len(b), tc.hdr)
		}
		if got := int(binary.LittleEndian.Uint32(b)); got != tc.size {
			t.Fatalf("%d-byte frame: length %d", tc.size, got)
		}
		if !bytes.Equal(b[HeaderSize:tc.hdr], make([]byte, tc.hdr-HeaderSize)) || !bytes.Equal(b[tc.hdr:], pattern(tc.size, 1)) {
			t.Fatalf("%d-byte frame: padding or payload wrong", tc.size)
		}
	}
	b := encode(t, pattern(4096, 1))
	b[HeaderSize+10] = 1
	r := NewReader(chunkReader(b, 7), 0, 0)
	if _, err := r.ReadFrame(make([]byte, 4096)); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "padding") {
		t.Fatalf("non-zero padding: got %v, want ErrCorrupt naming the padding", err)
	}
}
