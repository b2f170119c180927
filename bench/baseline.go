package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/ipcbench/ipcbench/harness"
	"github.com/ipcbench/ipcbench/transports"
	"golang.org/x/sys/unix"
)

// The bare-pipe baseline: the shortest Go program that does a 64-byte
// ping-pong between two processes over two pipes, with unix.Write and
// unix.Read and nothing else (no framing, timing, verification). The pipe
// transport's round trip is judged against it in the same run.

func init() { harness.RegisterPeerFunc("rawpipe-echo", rawPipeEcho) }

// rawPipeEcho reads whole messages of the agreed size from fd 4 and writes
// them back on fd 5 until end of file.
func rawPipeEcho(pc *harness.PeerContext) (any, error) {
	var size int
	if err := jsonArg(pc, &size); err != nil {
		return nil, err
	}
	if len(pc.Files) < 2 {
		return nil, errors.New("rawpipe-echo needs two pipe ends")
	}
	r, w := int(pc.Files[0].Fd()), int(pc.Files[1].Fd())
	buf := make([]byte, size)
	for {
		if err := readFull(r, buf); err != nil {
			if errors.Is(err, errEOF) {
				return nil, nil
			}
			return nil, err
		}
		if _, err := unix.Write(w, buf); err != nil {
			return nil, err
		}
	}
}

var errEOF = errors.New("end of file")

// readFull reads exactly len(buf) bytes with unix.Read.
func readFull(fd int, buf []byte) error {
	for off := 0; off < len(buf); {
		n, err := unix.Read(fd, buf[off:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return errEOF
		}
		off += n
	}
	return nil
}

// RunRawPipe measures the bare-pipe ping-pong at size bytes and pin.
func RunRawPipe(b *testing.B, pin harness.Pin, size int) {
	var p2c, c2p [2]int
	if err := unix.Pipe2(p2c[:], unix.O_CLOEXEC); err != nil {
		fatal(b, err)
	}
	if err := unix.Pipe2(c2p[:], unix.O_CLOEXEC); err != nil {
		unix.Close(p2c[0])
		unix.Close(p2c[1])
		fatal(b, err)
	}
	defer unix.Close(p2c[1])
	defer unix.Close(c2p[0])
	peerFiles := []*os.File{os.NewFile(uintptr(p2c[0]), "p2c-r"), os.NewFile(uintptr(c2p[1]), "c2p-w")}
	fs, err := harness.StartFunc("rawpipe-echo", pin, transports.Raw, peerFiles)
	if err != nil {
		fatal(b, err)
	}
	defer fs.Close()
	if err := fs.Begin(size); err != nil {
		fatal(b, err)
	}
	msg := make([]byte, size)
	buf := make([]byte, size)
	w, r := p2c[1], c2p[0]
	rtt := func() error {
		if _, err := unix.Write(w, msg); err != nil {
			return err
		}
		return readFull(r, buf)
	}
	if _, err := fs.Warmup(warmup(b), rtt); err != nil {
		fatal(b, err)
	}
	if _, err := fs.Loop(b, rtt); err != nil {
		fatal(b, err)
	}
	unix.Close(w) // end of file ends the echo loop
	parent, peer, err := fs.Finish(nil)
	if err != nil {
		fatal(b, err)
	}
	b.SetBytes(int64(2 * size))
	harness.ReportUsage(b, parent, peer, fs.Ops())
}

// baselineCases are BenchmarkBaseline: op=rawpipe at each pin, 64 B, and
// op=harness: the harness's own cost per round trip (MeasureOverhead).
func baselineCases(o Options) ([]Case, error) {
	pins := o.Pins
	if pins == nil {
		pins = DefaultPins
	}
	var cases []Case
	for _, pin := range pins {
		cases = append(cases, Case{Name: fmt.Sprintf("op=rawpipe/pin=%s/size=64", pin), Run: func(b *testing.B) { RunRawPipe(b, pin, 64) }})
	}
	cases = append(cases, Case{Name: "op=harness/pin=same/size=64", Run: func(b *testing.B) {
		if err := harness.MeasureOverhead(b, 64); err != nil {
			fatal(b, err)
		}
	}})
	return cases, nil
}

func jsonArg(pc *harness.PeerContext, v any) error {
	if err := json.Unmarshal(pc.Args, v); err != nil {
		return fmt.Errorf("arguments %s: %w", pc.Args, err)
	}
	return nil
}
