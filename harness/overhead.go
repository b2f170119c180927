package harness

import (
	"sync/atomic"
	"testing"

	"github.com/ipcbench/ipcbench/transports"
)

// loopback is a Conn that hands a message to itself in memory: the
// smallest possible stand-in for a transport, so that the ping-pong loop's
// own cost (stamping, timing, recording, verifying) can be measured.
type loopback struct{ held []byte }

func (l *loopback) Send(msg []byte) error { l.held = append(l.held[:0], msg...); return nil }
func (l *loopback) Recv(buf []byte) (int, error) {
	return copy(buf, l.held), nil
}
func (l *loopback) Close() error { return nil }

var _ transports.Conn = (*loopback)(nil)

// MeasureOverhead runs the harness's ping-pong loop, the very code every
// PingPong benchmark runs, over an in-memory loopback instead of a
// transport, over b.Loop. Its ns/op is the harness's own cost per round
// trip (plus two copies of size bytes).
func MeasureOverhead(b *testing.B, size int) error {
	pat := pattern(newSeed(), size)
	msg := append([]byte(nil), pat...)
	buf := make([]byte, size)
	var progress atomic.Uint64
	x := &copyExchange{conn: &loopback{held: make([]byte, 0, size)}, msg: msg, buf: buf, pat: pat}
	_, err := pingLoop(&looper{b: b}, x, newHist(), &progress)
	return err
}
