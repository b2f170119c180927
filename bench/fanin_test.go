package bench

import (
	"slices"
	"strings"
	"testing"

	"github.com/ipcbench/ipcbench/harness"
)

// TestFanInCases checks the FanIn matrix: every transport of
// FanInTransports (or the ones named) through each api its server
// serves, at the default pins, sizes and client counts; a transport named
// explicitly that the server does not serve keeps its cells, skipped with
// the reason.
func TestFanInCases(t *testing.T) {
	cases, err := fanInCases(Options{})
	if err != nil {
		t.Fatal(err)
	}
	// pipe, unix-stream, tcp, posix-mq: raw and runtime; three shm: raw.
	if want := (4*2 + 3) * len(DefaultPins) * len(FanInSizes) * len(DefaultClients); len(cases) != want {
		t.Errorf("%d cases, want %d", len(cases), want)
	}
	for _, c := range cases {
		if err := c.Check(); err != nil {
			t.Errorf("%s: %v", c.Name, err)
		}
	}
	if !slices.ContainsFunc(cases, func(c Case) bool {
		return c.Name == "transport=unix-stream/api=raw/pin=split/size=64/clients=4"
	}) {
		t.Error("no transport=unix-stream/api=raw/pin=split/size=64/clients=4")
	}
	cases, err = fanInCases(Options{Transports: []string{"shm-spin", "sysv-mq"}, Sizes: []int{64}, Pins: []harness.Pin{harness.PinSame}, Clients: []int{3}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cases {
		names = append(names, c.Name)
		err := c.Check()
		if served := strings.Contains(c.Name, "shm-spin/api=raw/"); served != (err == nil) {
			t.Errorf("%s: check %v", c.Name, err)
		} else if err != nil && !strings.Contains(err.Error(), "not built") {
			t.Errorf("%s: reason %q", c.Name, err)
		}
	}
	if len(cases) != 2 { // shm-spin raw; sysv-mq raw, skipped
		t.Errorf("cases %v", names)
	}
}

func TestParseClients(t *testing.T) {
	if got, err := ParseClients("1, 8,64"); err != nil || !slices.Equal(got, []int{1, 8, 64}) {
		t.Errorf("ParseClients: %v, %v", got, err)
	}
	for _, bad := range []string{"0", "65", "x", ""} {
		if _, err := ParseClients(bad); err == nil || !strings.Contains(err.Error(), "64") {
			t.Errorf("ParseClients(%q): %v", bad, err)
		}
	}
}
