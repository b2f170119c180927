package harness

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/ipcbench/ipcbench/harness/internal/clock"
	"github.com/ipcbench/ipcbench/results"
	"github.com/ipcbench/ipcbench/transports"
	"golang.org/x/sys/unix"
)

// ConfigLine is one "key: value" line of the results' header.
type ConfigLine struct{ Key, Value string }

// Environment returns the config lines that describe this machine and run:
// what the results depend on besides the code, and what the semantics
// experiments observed on it (Semantics). goos, goarch, pkg and cpu
// are printed by go test itself; withGoTest adds them for other writers
// (the ipcbench command).
func Environment(withGoTest bool) []ConfigLine {
	var lines []ConfigLine
	add := func(k, v string) { lines = append(lines, ConfigLine{k, v}) }
	if withGoTest {
		add("goos", runtime.GOOS)
		add("goarch", runtime.GOARCH)
		add("cpu", cpuModel())
	}
	var uts unix.Utsname
	if unix.Uname(&uts) == nil {
		add("kernel", unix.ByteSliceToString(uts.Release[:]))
	}
	add("go", runtime.Version())
	add("gomaxprocs", fmt.Sprint(runtime.GOMAXPROCS(0)))
	add("cpus-online", fmt.Sprint(runtime.NumCPU()))
	add("virtualized", virtualized())
	add("clocksource", readTrim("/sys/devices/system/clocksource/clocksource0/current_clocksource"))
	add("op-timer", clock.Source())
	add("commit", commit())
	add("cgo", cgoSetting())
	if p, err := Place(PinSplit); err == nil {
		add("cpu-pin-split", fmt.Sprintf("parent=%d peer=%d", p.Parent, p.Peer))
	}
	if p, err := Place(PinSame); err == nil {
		add("cpu-pin-same", fmt.Sprint(p.Parent))
	}
	add("pin-scope", "api=runtime: each process as a whole (every thread, as taskset), the data goroutine not locked; api=raw and api=zerocopy: the data thread of each process (LockOSThread + sched_setaffinity), the other runtime threads unconfined")
	for _, pin := range Pins {
		add("gomaxprocs-pin-"+string(pin), fmt.Sprintf("api=runtime %s; api=raw %s", probeProcs(pin, transports.Runtime), probeProcs(pin, transports.Raw)))
	}
	lines = append(lines, Semantics()...)
	for _, kv := range []struct{ key, path string }{
		{"mq-msgsize-max", "/proc/sys/fs/mqueue/msgsize_max"},
		{"mq-msg-max", "/proc/sys/fs/mqueue/msg_max"},
		{"msgmax", "/proc/sys/kernel/msgmax"},
		{"msgmnb", "/proc/sys/kernel/msgmnb"},
		{"pipe-max-size", "/proc/sys/fs/pipe-max-size"},
		{"wmem-max", "/proc/sys/net/core/wmem_max"},
	} {
		add(kv.key, readTrim(kv.path))
	}
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_MSGQUEUE, &rl) == nil {
		add("rlimit-msgqueue", fmt.Sprintf("%d", rl.Cur))
	}
	add("euid", fmt.Sprint(os.Geteuid()))
	return lines
}

// WriteConfig writes Environment as benchmark-format config lines, the
// catalogue lines that describe every registered transport for the
// reports (Catalogue), and the Unit lines that tell benchstat which
// direction is better.
func WriteConfig(w io.Writer, withGoTest bool) {
	for _, l := range Environment(withGoTest) {
		results.WriteConfig(w, l.Key, l.Value)
	}
	results.WriteCatalogue(w, Catalogue())
	results.WriteUnits(w)
}

// Catalogue describes every registered transport as the results file
// carries it (family, wait class, order; transports.Info), by name.
func Catalogue() []results.Transport {
	var out []results.Transport
	for _, name := range transports.Names() {
		info, err := transports.Lookup(name)
		if err != nil {
			continue
		}
		wait := results.WaitSleep
		if info.Wait == transports.WaitSpin {
			wait = results.WaitSpin
		}
		out = append(out, results.Transport{Name: name, Family: info.Family, Wait: wait, Order: info.Order})
	}
	return out
}

// probeProcs measures the GOMAXPROCS that each process of a session of
// api at pin gets, placed as such a session is: this process, and a peer.
func probeProcs(pin Pin, api transports.API) string {
	fs, err := StartFunc(procsFunc, pin, api, nil)
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	defer fs.Close()
	parent := runtime.GOMAXPROCS(0)
	if err := fs.Begin(nil); err != nil {
		return "unknown (" + err.Error() + ")"
	}
	var peer int
	if _, _, err := fs.Finish(&peer); err != nil {
		return "unknown (" + err.Error() + ")"
	}
	return fmt.Sprintf("parent=%d peer=%d", parent, peer)
}

// procsFunc is the peer function that reports the peer's GOMAXPROCS.
const procsFunc = "harness-gomaxprocs"

func init() {
	RegisterPeerFunc(procsFunc, func(*PeerContext) (any, error) { return runtime.GOMAXPROCS(0), nil })
}

func readTrim(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// cpuModel is the processor's model name from /proc/cpuinfo.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// virtualized says whether the CPU reports a hypervisor, and which.
func virtualized() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	if !strings.Contains(string(b), " hypervisor") {
		return "no"
	}
	if v := readTrim("/sys/class/dmi/id/sys_vendor"); v != "" {
		return "yes (" + v + ")"
	}
	return "yes"
}

// commit is the source revision: IPCBENCH_COMMIT if set (the Makefile sets
// it), else the VCS stamp of the binary.
func commit() string {
	if c := os.Getenv("IPCBENCH_COMMIT"); c != "" {
		return c
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}

// cgoSetting is CGO_ENABLED as the binary was built.
func cgoSetting() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "CGO_ENABLED" {
				return s.Value
			}
		}
	}
	return "unknown"
}
