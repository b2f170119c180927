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

	// Load (Rate, Pairs, FanIn).
	UnitRespP50   = "resp-p50-ns"      // Rate: response time, from the intended send to the arrival
	UnitRespP99   = "resp-p99-ns"      //
	UnitRespP999  = "resp-p999-ns"     //
	UnitSvcP50    = "svc-p50-ns"       // Rate: service time, from the actual send to the arrival
	UnitSvcP99    = "svc-p99-ns"       //
	UnitLagP50    = "lag-p50-ns"       // Rate: sender lag, the actual send less the intended
	UnitLagP99    = "lag-p99-ns"       //
	UnitSentRate  = "sent/s"           // Rate: achieved send rate
	UnitRecvRate  = "recv/s"           // Rate: achieved receive rate
	UnitInvalid   = "invalid"          // Rate: 1 when the run fell behind its schedule, else 0
	UnitRecvCPU   = "recv-cpu-ns/op"   // Rate: the receiving peer's CPU time per message
	UnitPaceCPU   = "pace-cpu-ns/op"   // Rate: the sender's CPU time per message while it waited for the schedule
	UnitMsgRate   = "msg/s"            // Pairs, FanIn: messages per second, all pairs or clients together
	UnitWorstP50  = "worst-p50-ns"     // Pairs, FanIn: the p50 of the worst pair or client
	UnitWorstP99  = "worst-p99-ns"     // Pairs, FanIn: the p99 of the worst pair or client
	UnitFairness  = "fairness"         // Pairs, FanIn: Jain's index of the per-pair or per-client rates
	UnitOversub   = "oversub"          // Pairs, FanIn: 1 when the spinning sides outnumber the CPUs
	UnitServerCPU = "server-cpu-ns/op" // FanIn: the server's CPU time per message
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
	{UnitRespP50, false}, {UnitRespP99, false}, {UnitRespP999, false},
	{UnitSvcP50, false}, {UnitSvcP99, false}, {UnitLagP50, false}, {UnitLagP99, false},
	{UnitSentRate, true}, {UnitRecvRate, true}, {UnitInvalid, false}, {UnitRecvCPU, false}, {UnitPaceCPU, false},
	{UnitMsgRate, true}, {UnitWorstP50, false}, {UnitWorstP99, false},
	{UnitFairness, true}, {UnitOversub, false}, {UnitServerCPU, false},
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
