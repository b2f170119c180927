package harness

import (
	"testing"

	"github.com/ipcbench/ipcbench/results"
	"golang.org/x/sys/unix"
)

// Usage is the CPU time and context switches of one process.
type Usage struct {
	UserNS  int64 `json:"user_ns"`
	SysNS   int64 `json:"sys_ns"`
	VolCS   int64 `json:"vol_cs"`
	InvolCS int64 `json:"invol_cs"`
}

// readUsage returns getrusage(RUSAGE_SELF): every thread of this process.
func readUsage() Usage {
	var ru unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return Usage{
		UserNS:  ru.Utime.Nano(),
		SysNS:   ru.Stime.Nano(),
		VolCS:   ru.Nvcsw,
		InvolCS: ru.Nivcsw,
	}
}

// Sub returns u - v.
func (u Usage) Sub(v Usage) Usage {
	return Usage{u.UserNS - v.UserNS, u.SysNS - v.SysNS, u.VolCS - v.VolCS, u.InvolCS - v.InvolCS}
}

// Add returns u + v.
func (u Usage) Add(v Usage) Usage {
	return Usage{u.UserNS + v.UserNS, u.SysNS + v.SysNS, u.VolCS + v.VolCS, u.InvolCS + v.InvolCS}
}

// CPUNS is user plus system time in nanoseconds.
func (u Usage) CPUNS() int64 { return u.UserNS + u.SysNS }

// CtxSw is voluntary plus involuntary context switches.
func (u Usage) CtxSw() int64 { return u.VolCS + u.InvolCS }

// ReportUsage reports on b the CPU time (cpu-ns/op) and the context
// switches (ctxsw/op) of both processes, parent and peer, per op over ops
// operations (at least 1). Every measurement that reports usage reports it
// through here: workloads (Result.Report) and function sessions alike.
func ReportUsage(b *testing.B, parent, peer Usage, ops int64) {
	n := float64(max(ops, 1))
	both := parent.Add(peer)
	b.ReportMetric(float64(both.CPUNS())/n, results.UnitCPU)
	b.ReportMetric(float64(both.CtxSw())/n, results.UnitCtxsw)
}
