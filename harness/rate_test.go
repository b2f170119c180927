package harness_test

import (
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipcbench/ipcbench/harness"
	"github.com/ipcbench/ipcbench/transports"
	"github.com/ipcbench/ipcbench/transports/transporttest"
)

// TestRateDelivers: the rate workload between real processes, through a
// copying, a zero-copy, a lossy and an RPC transport: every message sent is
// received (or, lossy, counted lost), and timed once each way.
func TestRateDelivers(t *testing.T) {
	for _, c := range []struct {
		transport string
		api       transports.API
	}{
		{"pipe", transports.Raw},
		{"unix-stream", transports.Runtime},
		{"shm-futex", transports.ZeroCopy},
		{"udp", transports.Raw},
		{"grpc-unix", transports.Runtime}, // a FlowSetter: one way is one streaming call
	} {
		t.Run(c.transport+"/"+string(c.api), func(t *testing.T) {
			transporttest.CheckLeaks(t)
			s, err := harness.Start(harness.Config{Transport: c.transport, API: c.api, Size: 64})
			if errors.Is(err, errors.ErrUnsupported) {
				t.Skip(err)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.WarmupRate(1000, 5*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			const n = 200
			r, err := s.RunRateCount(2000, n, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if r.Sent != n || r.Received+r.Lost != n {
				t.Fatalf("sent %d, received %d, lost %d; want %d sent and all accounted for", r.Sent, r.Received, r.Lost, n)
			}
			if r.Response.N != r.Received || r.Service.N != r.Received || r.Lag.N != n {
				t.Errorf("histograms hold %d, %d, %d values; want %d, %d, %d", r.Response.N, r.Service.N, r.Lag.N, r.Received, r.Received, n)
			}
			if r.SentRate <= 0 || r.RecvRate <= 0 || r.Peer.CPUNS() <= 0 {
				t.Errorf("achieved rates %.0f/s and %.0f/s, peer CPU %d ns: want all measured", r.SentRate, r.RecvRate, r.Peer.CPUNS())
			}
		})
	}
}

// TestRateBadInput: a rate out of range and a message too small for the
// stamps are refused with the limit named, and the session stays usable.
func TestRateBadInput(t *testing.T) {
	transporttest.CheckLeaks(t)
	s, err := harness.Start(harness.Config{Transport: "pipe", Size: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, c := range []struct {
		rate int
		want string
	}{{0, "want 1 to 10000000"}, {harness.MaxRate + 1, "want 1 to"}, {1000, "below 32 bytes"}} {
		if _, err := s.RunRateCount(c.rate, 10, time.Second); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("rate %d at 16 B: got %v, want an error containing %q", c.rate, err, c.want)
		}
	}
	if err := s.Warmup(harness.PingPong, 0, 10); err != nil {
		t.Errorf("ping-pong after the refused rate runs: %v", err)
	}
}

// TestRatePeerKilled: a peer killed during a rate run ends it with an
// error within seconds (the sender does not wait for replies, so the
// failure is a send to a closed channel or the missing report).
func TestRatePeerKilled(t *testing.T) {
	transporttest.CheckLeaks(t)
	s, err := harness.Start(harness.Config{Transport: "unix-stream", Size: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	go func() {
		time.Sleep(100 * time.Millisecond)
		s.Peer().Signal(syscall.SIGKILL)
	}()
	start := time.Now()
	_, err = s.RunRateCount(1000, 1<<30, time.Minute)
	if err == nil {
		t.Fatal("rate run survived its peer's death")
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("the run took %v to end after the peer died", d)
	}
	var re *harness.RunError
	if !errors.As(err, &re) || re.Workload != harness.Rate {
		t.Errorf("got %v, want a RunError of the rate workload", err)
	}
}
