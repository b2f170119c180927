package conformance_test

import (
	"errors"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ipcbench/ipcbench/harness"
	"github.com/ipcbench/ipcbench/transports"
	"github.com/ipcbench/ipcbench/transports/transporttest"
)

// TestSoak pushes IPCBENCH_SOAK messages (make soak: 10 million) of 64 B,
// or the transport's limit if smaller, through every transport's stream
// workload, each message verified byte for byte by the peer. Reliable
// transports must deliver every one; lossy ones (udp) report their losses.
// Off unless IPCBENCH_SOAK is set.
func TestSoak(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("IPCBENCH_SOAK"))
	if n <= 0 {
		t.Skip("set IPCBENCH_SOAK=<messages> (make soak) to run")
	}
	for _, name := range transports.Names() {
		info, _ := transports.Lookup(name)
		api := info.APIs[0]
		lim := info.Limits(api)
		if lim.MaxMessage < harness.MinWorkloadSize {
			continue
		}
		t.Run("transport="+name, func(t *testing.T) {
			transporttest.CheckLeaks(t)
			size := min(64, lim.MaxMessage)
			s, err := harness.Start(harness.Config{Transport: name, API: api, Size: size})
			if err != nil {
				if errors.Is(err, errors.ErrUnsupported) {
					t.Skip(err)
				}
				t.Fatal(err)
			}
			defer s.Close()
			begin := time.Now()
			res, err := s.RunCount(harness.Stream, n, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if res.Ops != int64(n) {
				t.Fatalf("ran %d of %d messages", res.Ops, n)
			}
			if res.Lost > 0 && !lim.Lossy {
				t.Fatalf("reliable transport lost %d of %d messages", res.Lost, n)
			}
			t.Logf("%d messages of %d B in %v, %d lost (%.4f%%)", res.Ops, size, time.Since(begin).Round(time.Millisecond), res.Lost, 100*float64(res.Lost)/float64(res.Ops+1))
		})
	}
}
