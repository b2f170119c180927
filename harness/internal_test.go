package harness

import (
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipcbench/ipcbench/internal/memcopy"
)

func TestVerify(t *testing.T) {
	pat := pattern(7, 64)
	good := func() []byte { m := append([]byte(nil), pat...); stamp(m, 5); return m }
	tests := []struct {
		name   string
		mutate func([]byte) []byte
		want   string
	}{
		{"intact", func(m []byte) []byte { return m }, ""},
		{"short", func(m []byte) []byte { return m[:63] }, "length 63, want 64"},
		{"head", func(m []byte) []byte { stamp(m, 6); return m }, "sequence number 6"},
		{"tail", func(m []byte) []byte { m[60] ^= 1; return m }, "tail sequence number"},
		{"payload", func(m []byte) []byte { m[30] ^= 1; return m }, "at byte 30"},
	}
	for _, tt := range tests {
		t.Run("case="+tt.name, func(t *testing.T) {
			err := verifyFull(tt.mutate(good()), pat, 64, 5)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ve *VerifyError
			if !errors.As(err, &ve) || !strings.Contains(err.Error(), tt.want) || ve.Seq != 5 {
				t.Fatalf("got %v, want a VerifyError for message 5 containing %q", err, tt.want)
			}
		})
	}
}

func TestVerifySmall(t *testing.T) {
	for size := MinWorkloadSize; size < 20; size++ {
		pat := pattern(9, size)
		m := append([]byte(nil), pat...)
		stamp(m, 3)
		if err := verifyFull(m, pat, size, 3); err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if size > 8 && size < 16 {
			m[8] ^= 1
			if verifyFull(m, pat, size, 3) == nil {
				t.Fatalf("size %d: corruption not caught", size)
			}
		}
	}
}

func TestPatternDeterministic(t *testing.T) {
	a, b := pattern(11, 1000), pattern(11, 1000)
	if string(a) != string(b) {
		t.Fatal("same seed, different patterns")
	}
	if string(pattern(12, 1000)) == string(a) {
		t.Fatal("different seeds, same pattern")
	}
}

func TestControlRoundTrip(t *testing.T) {
	parent, peerEnd, err := ctlPair()
	if err != nil {
		t.Fatal(err)
	}
	defer parent.close()
	defer peerEnd.Close()
	peer := newCtl(int(peerEnd.Fd()))
	want := request{Op: "stream", Size: 4096, Seed: 99, Window: 8, Args: json.RawMessage(`{"a":1}`)}
	if err := parent.send(want); err != nil {
		t.Fatal(err)
	}
	var got request
	if err := peer.recv(&got); err != nil {
		t.Fatal(err)
	}
	if got.Op != want.Op || got.Size != want.Size || got.Seed != want.Seed || got.Window != want.Window || string(got.Args) != string(want.Args) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	parent.close()
	if err := peer.recv(&got); !errors.Is(err, errCtlEOF) {
		t.Fatalf("after close: %v, want errCtlEOF", err)
	}
}

func TestStreamWindow(t *testing.T) {
	for _, size := range []int{8, 64, 1024, 65507, 1 << 20} {
		w := streamWindow(size)
		if w < 1 || w > 64 || (w > 1 && w*size > 1<<19) {
			t.Errorf("size %d: window %d", size, w)
		}
	}
}

// TestPingLoopNoAllocs: the measured ping-pong loop allocates nothing per
// round trip (stamp, send, check, record, receive), copying or zero-copy
// exchange alike: nothing of the garbage collector's enters the figures.
func TestPingLoopNoAllocs(t *testing.T) {
	const size = 1024
	pat := pattern(newSeed(), size)
	x := &copyExchange{conn: &loopback{held: make([]byte, 0, size)}, msg: append([]byte(nil), pat...), buf: make([]byte, size), pat: pat}
	hist := newHist()
	var progress atomic.Uint64
	if a := testing.AllocsPerRun(20, func() {
		l := looper{max: 1000, deadline: time.Now().Add(time.Hour)}
		if _, err := pingLoop(&l, x, hist, &progress); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("%v allocations per 1000 round trips, want 0", a)
	}
}

// TestPieceCheck checks that the piece-by-piece check and verifyStamps
// together accept exactly what verifyFull accepts: intact messages of
// sizes around the stamps and the piece edges, and each with one byte
// damaged anywhere in it.
func TestPieceCheck(t *testing.T) {
	for _, size := range []int{8, 9, 15, 16, 17, memcopy.Piece - 1, memcopy.Piece, memcopy.Piece + 9, 3*memcopy.Piece + 5} {
		pat := pattern(3, size)
		pc := newPieceCheck(pat, size)
		buf := make([]byte, size)
		for _, at := range []int{-1, 0, 7, 8, size / 2, memcopy.Piece - 1, memcopy.Piece, size - 9, size - 8, size - 1} {
			if at >= size {
				continue
			}
			msg := append([]byte(nil), pat...)
			stamp(msg, 11)
			if at >= 0 {
				msg[at] ^= 0x40
			}
			pc.reset()
			memcopy.CopyPieces(buf, msg, pc.fn)
			var err error
			if pc.ok {
				err = verifyStamps(buf, size, 11)
			} else {
				err = verifyFull(buf, pat, size, 11)
			}
			if want := verifyFull(msg, pat, size, 11); (err == nil) != (want == nil) || (at < 0) != (err == nil) {
				t.Errorf("size %d, byte %d damaged: pieces and stamps say %v, verifyFull %v", size, at, err, want)
			}
		}
	}
}
