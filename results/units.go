package results

import "fmt"

// Units as results files write them. Readers keep values in these units:
// Read does not convert ns to seconds nor MB/s to B/s.
const (
	UnitNsOp    = "ns/op"       // PingPong: one round trip; Stream: one message delivered
	UnitMBs     = "MB/s"        // bytes moved per second (ping-pong: both directions)
	UnitP50     = "p50-ns"      // percentiles of the per-op time
	UnitP90     = "p90-ns"      //
	UnitP99     = "p99-ns"      //
	UnitP999    = "p999-ns"     //
	UnitMax     = "max-ns"      // the longest op
	UnitCPU     = "cpu-ns/op"   // user + system CPU time of both processes per op
	UnitCtxsw   = "ctxsw/op"    // context switches of both processes per op
	UnitLostPct = "lost-%"      // messages or signals lost, percent of those sent
	UnitSent    = "sent/op"     // signals accepted by the kernel per signal fired
	UnitRecv    = "received/op" // signals received per signal fired
	UnitLost    = "lost/op"     // signals lost per signal fired
	UnitRefused = "refused/op"  // real-time signals refused (EAGAIN) per signal fired
)

// A Unit is one metric unit of the results format and which way is better.
type Unit struct {
	Name         string // as written: UnitNsOp, …
	HigherBetter bool   // larger values are better (MB/s, sent/op, received/op)
}

// units are every unit ipcbench writes, in the order of the Unit lines.
var units = []Unit{
	{UnitNsOp, false}, {UnitMBs, true},
	{UnitP50, false}, {UnitP90, false}, {UnitP99, false}, {UnitP999, false}, {UnitMax, false},
	{UnitCPU, false}, {UnitCtxsw, false},
	{UnitLostPct, false}, {UnitLost, false}, {UnitRefused, false},
	{UnitSent, true}, {UnitRecv, true},
}

// Units returns every unit ipcbench writes, with its better direction.
func Units() []Unit { return append([]Unit(nil), units...) }

// Line returns the unit's metadata line, "Unit p99-ns better=lower", that
// tells benchstat which direction is better.
func (u Unit) Line() string {
	better := "lower"
	if u.HigherBetter {
		better = "higher"
	}
	return fmt.Sprintf("Unit %s better=%s", u.Name, better)
}
