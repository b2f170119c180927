package reports

import (
	"fmt"

	"github.com/ipcbench/ipcbench/results"
)

// FamilyRPC is the family of the transports that carry messages through a
// framework (gRPC, HTTP) rather than a bare mechanism.
const FamilyRPC = "rpc"

// frameworkBase is the bare transport the frameworks run on, the reference
// of "What a framework costs": a Unix stream socket on the Go runtime's
// poller, as the frameworks use it.
var frameworkBase = Key{Bench: results.BenchPingPong, Transport: "unix-stream", API: "runtime"}

// frameworkBlocks is the section "What a framework costs": at each
// placement and size, the round trip (p50) and the CPU per round trip of
// each framework transport against unix-stream api=runtime and against the
// best shared-memory transport, each as the median of the ratios of the
// rounds [interval]. Nil when no framework transport ran.
func frameworkBlocks(r *Results) []block {
	var fws []string
	for _, t := range r.Transports(results.BenchPingPong) {
		if r.Family(t) == FamilyRPC {
			fws = append(fws, t)
		}
	}
	if len(fws) == 0 {
		return nil
	}
	out := []block{para{"The stacks Go services use for local IPC, as a Go program runs them (api=runtime): each framework transport's round trip and CPU per round trip (both processes) against the bare Unix stream socket they run on (unix-stream api=runtime) and the best shared-memory transport at that size (the lowest p50, by its copying API). A ratio is framework ÷ reference in each round, the median of those ratios [interval]; above 1 the framework is slower or costs more. Allocations per op are not measured. " + r.nText(results.BenchPingPong)}}
	for _, pin := range r.claimPins() {
		hdr := []string{"size", "unix-stream runtime", "best shared memory"}
		for _, fw := range fws {
			hdr = append(hdr, fw, fw+" ÷ unix-stream", fw+" ÷ shared memory", fw+" CPU ÷ unix-stream")
		}
		t := table{Header: hdr}
		for _, size := range r.mainSizes(results.BenchPingPong) {
			base := frameworkBase
			base.Pin, base.Size = pin, size
			row := []string{SizeLabel(size), r.figure(base, results.UnitP50)}
			shm, ok := r.bestShared(pin, size)
			if ok {
				row = append(row, pointFig(shm, fmtNs))
			} else {
				row = append(row, "—")
			}
			measured := false
			for _, fw := range fws {
				k := Key{Bench: results.BenchPingPong, Transport: fw, API: "runtime", Pin: pin, Size: size}
				if _, has := r.Stat(k, results.UnitP50); !has {
					row = append(row, "—", "—", "—", "—")
					continue
				}
				measured = true
				row = append(row, r.figure(k, results.UnitP50), r.pairCell(k, base, results.UnitP50))
				if ok {
					row = append(row, r.pairCell(k, shm.Key, results.UnitP50))
				} else {
					row = append(row, "—")
				}
				row = append(row, r.pairCell(k, base, results.UnitCPU))
			}
			if measured {
				t.Rows = append(t.Rows, row)
			}
		}
		if len(t.Rows) > 0 {
			out = append(out, heading{3, "pin=" + pin + pinGloss(pin)}, t)
		}
	}
	return out
}

// bestShared is the shared-memory transport with the lowest p50 round
// trip at pin and size, by its copying API.
func (r *Results) bestShared(pin string, size int) (point, bool) {
	b, _, ok := r.best(filter(r.atPin(results.BenchPingPong, latencyUnit, size, pin), r.IsSharedMemory), true)
	return b, ok
}

// figure is k's median in unit with its spread, or "—".
func (r *Results) figure(k Key, unit string) string {
	s, ok := r.Stat(k, unit)
	if !ok {
		return "—"
	}
	return fmtNs(s.Median) + spread(s)
}

// pairCell is num ÷ den in unit, round by round: the median ratio and its
// interval, or "—" when nothing pairs.
func (r *Results) pairCell(num, den Key, unit string) string {
	s := r.Pair(num, den, unit).Summary
	if !s.Valid() {
		return "—"
	}
	if s.Median >= 10 {
		return sig3(s.Median) + ratioSpread(s)
	}
	return fmt.Sprintf("%.2f%s", s.Median, ratioSpread(s))
}
