package reports

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/ipcbench/ipcbench/internal/benchtext"
)

// FuzzLoad feeds arbitrary text to the results parser and to what a
// report computes from its series (keys, sizes, summaries, verdicts).
// Nothing may panic: malformed input ends as warnings or an error.
func FuzzLoad(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "results.txt")); err == nil {
		f.Add(benchtext.Head(b, 3))
	}
	f.Add([]byte("kernel: 6.1\nBenchmarkPingPong/transport=pipe/api=raw/pin=split/size=64-2 1000 8120 ns/op 15.76 MB/s 7000 p50-ns\n"))
	f.Add([]byte("BenchmarkStream/transport=udp/api=raw/pin=same/size=-1-2 1 NaN ns/op +Inf lost-%\n"))
	f.Add([]byte("BenchmarkBaseline/op=rawpipe/pin=same/size=99999999999999999999-2 1 1 ns/op\n"))
	f.Add([]byte("Unit ns/op better=lower\nBenchmarkX 1 1 ns/op\ncommit: a\nBenchmarkX 1 2 ns/op\ncommit: b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Load(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, bench := range []string{"PingPong", "Stream", "Baseline"} {
			res.Keys(bench)
			for _, tr := range res.Transports(bench) {
				res.Sizes(bench, tr)
			}
		}
		for _, s := range res.Series {
			Summarize(s.Values)
		}
		Verdicts(res)
	})
}
