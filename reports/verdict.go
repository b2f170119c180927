package reports

import (
	"fmt"
	"math"
	"strings"
)

// A Status is the outcome of judging a claim against a run.
type Status int

// Verdict outcomes.
const (
	NotMeasured   Status = iota // the run lacks the figures the claim needs
	Holds                       // the figures support the claim
	HoldsOnlyWhen               // the figures support it under a condition (Verdict.Condition)
	DoesNotHold                 // the figures contradict it
)

func (s Status) String() string {
	switch s {
	case Holds:
		return "holds"
	case HoldsOnlyWhen:
		return "holds only when"
	case DoesNotHold:
		return "does not hold"
	default:
		return "not measured here"
	}
}

// A Verdict is the judgement of one claim of seed/CLAIMS.md on one run.
// Every field is computed from the results by the claim's rule.
type Verdict struct {
	ID        string   // "C1" … "C10"
	Claim     string   // the claim, shortened
	Status    Status   //
	Condition string   // for HoldsOnlyWhen: the condition; otherwise a short reason
	Figures   []string // the figures of this run that bear on the claim
}

// Text returns the verdict as a phrase: "holds only when <condition>",
// "does not hold: <reason>", …
func (v Verdict) Text() string {
	switch {
	case v.Status == HoldsOnlyWhen:
		return "holds only when " + v.Condition
	case v.Condition != "":
		return v.Status.String() + ": " + v.Condition
	default:
		return v.Status.String()
	}
}

// A claim pairs a claim of the article with the rule that judges it.
type claim struct {
	ID, Text string
	judge    func(r *Results) Verdict
}

// claims are the article's claims (seed/CLAIMS.md), one rule each.
var claims = []claim{
	{"C1", "Shared memory is the fastest IPC: after set-up the kernel is no longer involved.", judgeC1},
	{"C2", "Shared memory is used together with semaphores to keep the data consistent.", judgeC2},
	{"C3", "Signals are the only asynchronous IPC; they carry only a tiny notification; flexible and efficient.", judgeC3},
	{"C4", "Standard (unreliable) signals are lost: while one is pending, another of the same type is discarded.", judgeC4},
	{"C5", "Message queues suit small amounts of data, and keep message boundaries.", judgeC5},
	{"C6", "Pipes are half-duplex: two-way talk needs two pipes; anonymous pipes only join related processes.", judgeC6},
	{"C7", "A named pipe (FIFO) behaves like a pipe once open.", judgeC7},
	{"C8", "Sockets serve both local IPC and communication between hosts; the first choice for distributed work.", judgeC8},
	{"C9", "Go has no API for shared memory or message queues: it needs cgo.", judgeC9},
	{"C10", "Message passing suits small data; shared memory suits large, frequently accessed data.", judgeC10},
}

// Verdicts judges every claim C1–C10 against r.
func Verdicts(r *Results) []Verdict {
	out := make([]Verdict, len(claims))
	for i, c := range claims {
		v := c.judge(r)
		v.ID, v.Claim = c.ID, c.Text
		out[i] = v
	}
	return out
}

// outcomeWord describes an Order for figures: "faster", "not distinguishable", …
func outcomeWord(o Order, lowerBetter bool) string {
	switch {
	case o == Tie:
		return "not distinguishable"
	case (o == Better) == lowerBetter:
		if lowerBetter {
			return "faster"
		}
		return "higher"
	default:
		if lowerBetter {
			return "slower"
		}
		return "lower"
	}
}

func pointFig(p point, f func(float64) string) string {
	return fmt.Sprintf("%s %s", p.Transport, f(p.Sum.Median))
}

// duelFigure writes one duel as a figure line.
func duelFigure(m metric, d duel) string {
	w := map[Order]string{Better: "shared memory wins", Worse: "shared memory loses", Tie: "not distinguishable"}[d.Outcome]
	return fmt.Sprintf("%s at %s: %s vs %s (%s)", m.Name, SizeLabel(d.Size), pointFig(d.SHM, m.Format), pointFig(d.MP, m.Format), w)
}

func measurable(ds []duel) []duel {
	var out []duel
	for _, d := range ds {
		if d.Measurable {
			out = append(out, d)
		}
	}
	return out
}

func sizesWhere(ds []duel, o Order) []int {
	var out []int
	for _, d := range ds {
		if d.Outcome == o {
			out = append(out, d.Size)
		}
	}
	return out
}

// judgeC1: shared memory against the best message-passing transport, size
// by size, for round-trip latency and streaming throughput. Holds if it
// wins everywhere, holds only where it wins, does not hold if it wins
// nowhere. Ties (overlapping intervals) are not wins.
func judgeC1(r *Results) Verdict {
	lat := measurable(r.shmDuels(metricLatency))
	thr := measurable(r.shmDuels(metricThroughput))
	if len(lat)+len(thr) == 0 {
		return Verdict{Status: NotMeasured, Condition: "needs ping-pong or stream results of both shared-memory and message-passing transports"}
	}
	var v Verdict
	for _, x := range []struct {
		m  metric
		ds []duel
	}{{metricLatency, lat}, {metricThroughput, thr}} {
		if len(x.ds) == 0 {
			v.Figures = append(v.Figures, x.m.Name+": not measured")
			continue
		}
		v.Figures = append(v.Figures, duelFigure(x.m, x.ds[0]))
		if len(x.ds) > 1 {
			v.Figures = append(v.Figures, duelFigure(x.m, x.ds[len(x.ds)-1]))
		}
	}
	if len(lat) > 0 {
		d := lat[0]
		cs, ok1 := r.Stat(d.SHM.Key, UnitCPU)
		cm, ok2 := r.Stat(d.MP.Key, UnitCPU)
		if ok1 && ok2 {
			v.Figures = append(v.Figures, fmt.Sprintf("CPU per round trip at %s: %s %s vs %s %s (shared memory uses %s the CPU)", SizeLabel(d.Size), d.SHM.Transport, fmtNs(cs.Median), d.MP.Transport, fmtNs(cm.Median), ratio(cs.Median, cm.Median)))
		}
	}
	wl, wt := sizesWhere(lat, Better), sizesWhere(thr, Better)
	switch {
	case len(wl) == len(lat) && len(wt) == len(thr):
		v.Status = Holds
		v.Condition = "shared memory wins at every size measured"
	case len(wl)+len(wt) == 0:
		v.Status = DoesNotHold
		v.Condition = "shared memory wins at no size measured (ties are not wins)"
	default:
		v.Status = HoldsOnlyWhen
		var parts []string
		if len(wl) > 0 {
			parts = append(parts, "round-trip latency "+sizeCondition(wl, duelSizes(lat)))
		}
		if len(wt) > 0 {
			parts = append(parts, "throughput "+sizeCondition(wt, duelSizes(thr)))
		}
		v.Condition = "judged by " + strings.Join(parts, ", or by ")
	}
	return v
}

var semTransports = []string{"shm-sysvsem", "shm-sem"}

// judgeC2: semaphore-synchronised shared memory against the lock-free
// ring (spin, futex, …). Every delivered message is verified by the
// harness, so a variant with results kept the data consistent. Holds if
// only semaphore variants ran; holds only when… if lock-free variants were
// consistent too (semaphores are one way, not the way).
func judgeC2(r *Results) Verdict {
	size, ok := r.smallestSize(BenchPingPong)
	if !ok {
		return Verdict{Status: NotMeasured, Condition: "no ping-pong results"}
	}
	pts := r.at(BenchPingPong, UnitNsOp, size)
	var sems, lockFree []point
	for _, p := range pts {
		switch {
		case !IsSharedMemory(p.Transport):
		case contains(semTransports, p.Transport):
			sems = append(sems, p)
		default:
			lockFree = append(lockFree, p)
		}
	}
	if len(sems) == 0 {
		return Verdict{Status: NotMeasured, Condition: "no semaphore-synchronised shared-memory transport (shm-sysvsem, shm-sem) in the results"}
	}
	var v Verdict
	for _, s := range sems {
		v.Figures = append(v.Figures, fmt.Sprintf("round trip at %s: %s", SizeLabel(size), pointFig(s, fmtNs)))
	}
	if len(lockFree) == 0 {
		v.Status = Holds
		v.Condition = "only semaphore-synchronised shared memory ran, and it delivered every message intact"
		return v
	}
	fastest, _, _ := best(lockFree, true)
	slowestSem := sems[0]
	for _, s := range sems {
		if s.Sum.Median > slowestSem.Sum.Median {
			slowestSem = s
		}
	}
	v.Figures = append(v.Figures, fmt.Sprintf("without semaphores: %s; %s is %s (takes %s as long)", pointFig(fastest, fmtNs), slowestSem.Transport, outcomeWord(Compare(slowestSem.Sum, fastest.Sum, true), true), ratio(slowestSem.Sum.Median, fastest.Sum.Median)))
	v.Status = HoldsOnlyWhen
	v.Condition = fmt.Sprintf("semaphores are read as one option: %s kept every message intact with the ring's atomics alone", transportList(lockFree[:min(len(lockFree), 3)]))
	return v
}

// judgeC3: signal round trip (payload: one sigqueue value) against the
// fastest pipe or socket at its smallest size. Efficient = not slower.
func judgeC3(r *Results) Verdict {
	sizes := r.Sizes(BenchPingPong, "signal")
	if len(sizes) == 0 {
		return Verdict{Status: NotMeasured, Condition: "no signal ping-pong results"}
	}
	size := sizes[0]
	pin := r.mainPin(BenchPingPong)
	k, ok := r.primaryKey(BenchPingPong, "signal", size, pin, UnitNsOp)
	if !ok {
		return Verdict{Status: NotMeasured, Condition: "no signal ping-pong results at pin=" + pin}
	}
	sig, _ := r.Stat(k, UnitNsOp)
	var v Verdict
	v.Figures = append(v.Figures, fmt.Sprintf("signal round trip at %s: %s; largest payload measured %s (one sigqueue value)", SizeLabel(size), fmtNs(sig.Median), SizeLabel(sizes[len(sizes)-1])))
	other, okO := r.smallestSize(BenchPingPong)
	var cmp []point
	if okO {
		cmp = filter(r.at(BenchPingPong, UnitNsOp, other), func(t string) bool {
			f := Family(t)
			return f == "pipe" || f == "socket"
		})
	}
	if sh, ok := r.Stat(Key{Bench: BenchPingPong, Transport: "shm-signal", API: "raw", Pin: pin, Size: other}, UnitNsOp); ok {
		v.Figures = append(v.Figures, fmt.Sprintf("signal as shared-memory wake-up (shm-signal) at %s: %s", SizeLabel(other), fmtNs(sh.Median)))
	}
	v.Figures = append(v.Figures, "not tested: \"the only asynchronous IPC\"")
	if len(cmp) == 0 {
		v.Status = HoldsOnlyWhen
		v.Condition = fmt.Sprintf("the payload fits in %s; no pipe or socket figures to judge efficiency", SizeLabel(sizes[len(sizes)-1]))
		return v
	}
	b, _, _ := best(cmp, true)
	o := Compare(sig, b.Sum, true)
	v.Figures = append(v.Figures, fmt.Sprintf("fastest pipe/socket at %s: %s (signal is %s, %s)", SizeLabel(other), pointFig(b, fmtNs), outcomeWord(o, true), ratio(sig.Median, b.Sum.Median)))
	if o == Worse {
		v.Status = DoesNotHold
		v.Condition = fmt.Sprintf("not efficient: a signal round trip costs %s the fastest pipe or socket's", ratio(sig.Median, b.Sum.Median))
		return v
	}
	v.Status = HoldsOnlyWhen
	v.Condition = fmt.Sprintf("the payload fits in one sigqueue value (%s): then a signal is as fast as a pipe or socket or faster", SizeLabel(sizes[len(sizes)-1]))
	return v
}

// judgeC4: the signal flood. Holds if standard signals were lost;
// does not hold if none was.
func judgeC4(r *Results) Verdict {
	std, ok := r.Stat(Key{Bench: BenchSignalFlood, Kind: "standard", Size: NoSize}, UnitLostPct)
	if !ok {
		return Verdict{Status: NotMeasured, Condition: "no BenchmarkSignalFlood/kind=standard results"}
	}
	var v Verdict
	v.Figures = append(v.Figures, "standard signals lost: "+fmtPct(std.Median)+signalCounts(r, "standard"))
	rt, okRT := r.Stat(Key{Bench: BenchSignalFlood, Kind: "realtime", Size: NoSize}, UnitLostPct)
	if okRT {
		v.Figures = append(v.Figures, "real-time signals lost: "+fmtPct(rt.Median)+signalCounts(r, "realtime"))
	}
	if std.Median <= 0 {
		v.Status = DoesNotHold
		v.Condition = "no standard signal was lost in this run"
		return v
	}
	v.Status = Holds
	if okRT && rt.Median > 0 {
		v.Condition = fmt.Sprintf("and real-time signals were lost too (%s, queue limit)", fmtPct(rt.Median))
	}
	return v
}

func signalCounts(r *Results, kind string) string {
	k := Key{Bench: BenchSignalFlood, Kind: kind, Size: NoSize}
	s, ok1 := r.Stat(k, UnitSent)
	g, ok2 := r.Stat(k, UnitRecv)
	if !ok1 || !ok2 {
		return ""
	}
	return fmt.Sprintf(" (%s sent, %s received per op)", sig3(s.Median), sig3(g.Median))
}

var mqTransports = []string{"posix-mq", "sysv-mq"}

// judgeC5: queues against pipes and Unix sockets, size by size, by round
// trip. Holds if queues are not slower at every size they ran (they cannot
// run larger sizes: that is their limit); holds only when small if they
// keep up at the smallest size only; does not hold if they are slower at
// the smallest size.
func judgeC5(r *Results) Verdict {
	var v Verdict
	var competitive, slower []int
	var figs []string
	for _, size := range r.Sizes(BenchPingPong, "") {
		pts := r.at(BenchPingPong, UnitNsOp, size)
		mq, _, ok1 := best(filter(pts, func(t string) bool { return contains(mqTransports, t) }), true)
		ref, _, ok2 := best(filter(pts, func(t string) bool {
			return Family(t) == "pipe" || strings.HasPrefix(t, "unix-")
		}), true)
		if !ok1 || !ok2 {
			continue
		}
		o := Compare(mq.Sum, ref.Sum, true)
		figs = append(figs, fmt.Sprintf("round trip at %s: %s vs %s (%s)", SizeLabel(size), pointFig(mq, fmtNs), pointFig(ref, fmtNs), outcomeWord(o, true)))
		if o == Worse {
			slower = append(slower, size)
		} else {
			competitive = append(competitive, size)
		}
	}
	if len(figs) > 0 {
		v.Figures = append(v.Figures, figs[0])
		if len(figs) > 1 {
			v.Figures = append(v.Figures, figs[len(figs)-1])
		}
	}
	if len(competitive)+len(slower) == 0 {
		return Verdict{Status: NotMeasured, Condition: "needs ping-pong results of a message queue and of a pipe or Unix socket at the same size"}
	}
	all := r.Sizes(BenchPingPong, "")
	for _, t := range mqTransports {
		s := r.Sizes(BenchPingPong, t)
		if len(s) > 0 && len(s) < len(all) {
			v.Figures = append(v.Figures, fmt.Sprintf("%s: largest size measured %s (larger sizes exceed its limit)", t, SizeLabel(s[len(s)-1])))
		}
	}
	for _, c := range []string{"mq-msgsize-max", "msgmax"} {
		if val, ok := r.ConfigValue(c); ok {
			v.Figures = append(v.Figures, fmt.Sprintf("%s: %s B", c, val))
		}
	}
	v.Figures = append(v.Figures, "boundaries: one send is one receive (verified on every message)")
	first := competitive
	switch {
	case len(first) > 0 && len(slower) == 0:
		v.Status = Holds
	case len(first) > 0 && first[0] < slower[0]:
		v.Status = HoldsOnlyWhen
		v.Condition = "messages are small: queues keep up with pipes and Unix sockets at " + sizeList(competitive) + ", not at " + sizeList(slower)
	default:
		v.Status = DoesNotHold
		v.Condition = "queues are slower than pipes or Unix sockets at " + sizeList(slower)
	}
	return v
}

// judgeC6: the pipe transport is a pair of pipes (half-duplex, by
// construction) between a parent and its child; its round trip is set
// against one full-duplex socketpair.
func judgeC6(r *Results) Verdict {
	sizes := r.Sizes(BenchPingPong, "pipe")
	if len(sizes) == 0 {
		return Verdict{Status: NotMeasured, Condition: "no pipe ping-pong results"}
	}
	v := Verdict{Status: Holds, Condition: "the pipe transport needs two pipes for a round trip, between parent and child"}
	pin := r.mainPin(BenchPingPong)
	for _, size := range []int{sizes[0], sizes[len(sizes)-1]} {
		kp, ok1 := r.primaryKey(BenchPingPong, "pipe", size, pin, UnitNsOp)
		ku, ok2 := r.primaryKey(BenchPingPong, "unix-stream", size, pin, UnitNsOp)
		if !ok1 || !ok2 {
			continue
		}
		p, _ := r.Stat(kp, UnitNsOp)
		u, _ := r.Stat(ku, UnitNsOp)
		v.Figures = append(v.Figures, fmt.Sprintf("round trip at %s: two pipes %s vs one unix-stream socketpair %s (pipes %s)", SizeLabel(size), fmtNs(p.Median), fmtNs(u.Median), outcomeWord(Compare(p, u, true), true)))
		if sizes[0] == sizes[len(sizes)-1] {
			break
		}
	}
	if len(v.Figures) == 0 {
		v.Figures = append(v.Figures, "no unix-stream figures to compare with")
	}
	return v
}

// SameTolerance is the relative difference under which C7 calls two
// medians the same even when their intervals do not overlap.
const SameTolerance = 0.10

// judgeC7: FIFO against pipe at every size, latency and throughput. Same
// = intervals overlap or medians within SameTolerance.
func judgeC7(r *Results) Verdict {
	var v Verdict
	var same, differ []string
	for _, m := range []metric{metricLatency, metricThroughput} {
		pin := r.mainPin(m.Bench)
		for _, size := range r.Sizes(m.Bench, "fifo") {
			kf, ok1 := r.primaryKey(m.Bench, "fifo", size, pin, m.Unit)
			kp, ok2 := r.primaryKey(m.Bench, "pipe", size, pin, m.Unit)
			if !ok1 || !ok2 {
				continue
			}
			f, _ := r.Stat(kf, m.Unit)
			p, _ := r.Stat(kp, m.Unit)
			rel := math.Abs(f.Median-p.Median) / math.Min(f.Median, p.Median)
			label := fmt.Sprintf("%s at %s", m.Name, SizeLabel(size))
			if f.Overlaps(p) || rel <= SameTolerance {
				same = append(same, label)
			} else {
				differ = append(differ, label)
				v.Figures = append(v.Figures, fmt.Sprintf("%s: fifo %s vs pipe %s (%+.0f %%)", label, m.Format(f.Median), m.Format(p.Median), 100*(f.Median-p.Median)/p.Median))
			}
		}
	}
	if len(same)+len(differ) == 0 {
		return Verdict{Status: NotMeasured, Condition: "needs fifo and pipe results at the same sizes"}
	}
	v.Figures = append([]string{fmt.Sprintf("same (intervals overlap or within %.0f %%) at %d of %d comparisons", 100*SameTolerance, len(same), len(same)+len(differ))}, v.Figures...)
	v.Figures = append(v.Figures, "not tested: opening blocks until both ends are open")
	switch {
	case len(differ) == 0:
		v.Status = Holds
	case len(same) == 0:
		v.Status = DoesNotHold
		v.Condition = "fifo and pipe differ at every size measured"
	default:
		v.Status = HoldsOnlyWhen
		v.Condition = "measuring " + strings.Join(same, ", ")
	}
	return v
}

// judgeC8: Unix sockets against TCP/UDP over loopback at the smallest
// size. Sockets do both jobs; if Unix sockets are faster on one host, the
// "first choice" holds only between hosts.
func judgeC8(r *Results) Verdict {
	size, ok := r.smallestSize(BenchPingPong)
	if !ok {
		return Verdict{Status: NotMeasured, Condition: "no ping-pong results"}
	}
	pts := r.at(BenchPingPong, UnitNsOp, size)
	unix, _, ok1 := best(filter(pts, func(t string) bool { return strings.HasPrefix(t, "unix-") }), true)
	inet, _, ok2 := best(filter(pts, func(t string) bool { return t == "tcp" || t == "udp" }), true)
	if !ok1 || !ok2 {
		return Verdict{Status: NotMeasured, Condition: "needs Unix socket and TCP/UDP ping-pong results"}
	}
	o := Compare(unix.Sum, inet.Sum, true)
	v := Verdict{Figures: []string{
		fmt.Sprintf("round trip at %s: %s vs %s loopback (Unix sockets %s; IP takes %s their time)", SizeLabel(size), pointFig(unix, fmtNs), pointFig(inet, fmtNs), outcomeWord(o, true), ratio(inet.Sum.Median, unix.Sum.Median)),
		"not tested: a link between two network namespaces",
	}}
	if o == Better {
		v.Status = HoldsOnlyWhen
		v.Condition = fmt.Sprintf("the peers are on different hosts: on one host %s is %s faster than %s", unix.Transport, ratio(inet.Sum.Median, unix.Sum.Median), inet.Transport)
		return v
	}
	v.Status = Holds
	v.Condition = fmt.Sprintf("%s over loopback is %s %s", inet.Transport, outcomeWord(Compare(inet.Sum, unix.Sum, true), true), "than Unix sockets")
	return v
}

// judgeC9: the config line cgo records how the binary was built; the
// claim fails if shared-memory or queue transports ran with cgo off.
func judgeC9(r *Results) Verdict {
	cgo, ok := r.ConfigValue("cgo")
	if !ok {
		return Verdict{Status: NotMeasured, Condition: "the results do not record whether cgo was enabled (config line cgo)"}
	}
	var shm, mq []string
	for _, t := range r.Transports("") {
		switch Family(t) {
		case "shm":
			shm = append(shm, t)
		case "mq":
			mq = append(mq, t)
		}
	}
	v := Verdict{Figures: []string{"cgo: " + cgo, fmt.Sprintf("shared-memory transports that ran: %d; message-queue transports that ran: %d", len(shm), len(mq))}}
	if strings.TrimSpace(cgo) != "0" {
		v.Status = NotMeasured
		v.Condition = "this run was built with cgo, so it cannot show that cgo is unnecessary"
		return v
	}
	if len(shm)+len(mq) == 0 {
		v.Status = NotMeasured
		v.Condition = "no shared-memory or message-queue transport ran"
		return v
	}
	v.Status = DoesNotHold
	v.Condition = fmt.Sprintf("%s ran with CGO_ENABLED=0 on golang.org/x/sys/unix", strings.Join(append(shm, mq...), ", "))
	return v
}

// judgeC10: the crossover size from which shared memory wins streaming
// throughput (round-trip latency if there is no stream result). Holds if
// message passing keeps up at small sizes and shared memory wins from
// some size on; does not hold if shared memory wins everywhere or nowhere.
func judgeC10(r *Results) Verdict {
	m := metricThroughput
	ds := measurable(r.shmDuels(m))
	if len(ds) == 0 {
		m = metricLatency
		ds = measurable(r.shmDuels(m))
	}
	if len(ds) == 0 {
		return Verdict{Status: NotMeasured, Condition: "needs stream or ping-pong results of both shared-memory and message-passing transports"}
	}
	var v Verdict
	v.Figures = append(v.Figures, duelFigure(m, ds[0]))
	if len(ds) > 1 {
		v.Figures = append(v.Figures, duelFigure(m, ds[len(ds)-1]))
	}
	cm := r.cpuMetric()
	for _, size := range []int{ds[0].Size, ds[len(ds)-1].Size} {
		pts := r.at(cm.Bench, cm.Unit, size)
		s, _, ok1 := best(filter(pts, IsSharedMemory), true)
		p, _, ok2 := best(filter(pts, func(t string) bool { return !IsSharedMemory(t) }), true)
		if ok1 && ok2 {
			v.Figures = append(v.Figures, fmt.Sprintf("cheapest %s at %s: %s vs %s", cm.Name, SizeLabel(size), pointFig(s, fmtNs), pointFig(p, fmtNs)))
		}
		if ds[0].Size == ds[len(ds)-1].Size {
			break
		}
	}
	x, found := crossover(ds)
	wins := sizesWhere(ds, Better)
	switch {
	case found && x > ds[0].Size:
		v.Status = Holds
		v.Condition = fmt.Sprintf("shared memory wins %s from %s up; message passing keeps up below", m.Name, SizeLabel(x))
	case found:
		v.Status = DoesNotHold
		v.Condition = fmt.Sprintf("shared memory wins %s at every size, even %s", m.Name, SizeLabel(x))
	case len(wins) == 0:
		v.Status = DoesNotHold
		v.Condition = fmt.Sprintf("shared memory wins %s at no size measured", m.Name)
	case wins[0] == ds[0].Size:
		v.Status = DoesNotHold
		v.Condition = fmt.Sprintf("the opposite: shared memory wins %s at small sizes (%s) and not at %s", m.Name, sizeList(wins), SizeLabel(ds[len(ds)-1].Size))
	default:
		v.Status = HoldsOnlyWhen
		v.Condition = fmt.Sprintf("messages are %s (shared memory wins %s there only)", sizeList(wins), m.Name)
	}
	return v
}

func duelSizes(ds []duel) []int {
	var out []int
	for _, d := range ds {
		out = append(out, d.Size)
	}
	return out
}

// sizeCondition describes the sizes wins among all (ascending): "at sizes
// up to 4 KiB", "from 64 KiB up", or a list.
func sizeCondition(wins, all []int) string {
	n := len(wins)
	switch {
	case n == 0:
		return "at no size"
	case n == len(all):
		return "at every size"
	case equalInts(wins, all[:n]):
		return "at sizes up to " + SizeLabel(wins[n-1])
	case equalInts(wins, all[len(all)-n:]):
		return "from " + SizeLabel(wins[0]) + " up"
	default:
		return "at " + sizeList(wins)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
