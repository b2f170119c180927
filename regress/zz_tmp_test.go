package regress

import (
	"bytes"
	"io"
	"os"
	"testing"
	"time"
)

func TestZZTmp(t *testing.T) {
	base, _ := Load("testdata/old.txt")
	b, _ := os.ReadFile("testdata/old.txt")
	seeds := map[string][]byte{"old4096": b[:4096],
		"nan": []byte("goos: linux\nBenchmarkPingPong/transport=pipe/api=raw/pin=same/size=64-2 10 NaN ns/op -Inf p99-ns\n"),
		"zero": []byte("Unit ns/op better=higher\nBenchmarkA 1 0 ns/op\nBenchmarkA 1 0 ns/op\n")}
	for name, d := range seeds {
		res, err := Parse(bytes.NewReader(d), "f")
		if err != nil { t.Log(name, err); continue }
		for i, pair := range [][2]*Results{{res, res}, {base, res}, {res, base}} {
			st := time.Now()
			rep := Compare(pair[0], pair[1], DefaultThresholds())
			rep.WriteText(io.Discard)
			t.Log(name, i, time.Since(st))
		}
	}
}
