package reports

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/ipcbench/ipcbench/results"
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

// relWord describes a's outcome against b: "faster than", "slower than",
// "higher than", "lower than" or "not distinguishable from".
func relWord(o Order, lowerBetter bool) string {
	if o == Tie {
		return "not distinguishable from"
	}
	return outcomeWord(o, lowerBetter) + " than"
}

// winWord names a duel's outcome from side A's point of view.
func winWord(o Order) string {
	return map[Order]string{Better: "wins", Worse: "loses", Tie: "not distinguishable"}[o]
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

// claimPins returns the pins of PingPong and Stream results at which as
// many transports ran as at any pin, split first.
func (r *Results) claimPins() []string {
	// A placement counts when as many transports ran at it as at any
	// other: the default suite measures pin=none for api=runtime only,
	// which is no ground for ranking every transport.
	have := map[string]map[string]bool{}
	for _, b := range []string{results.BenchPingPong, results.BenchStream} {
		for _, k := range r.Keys(b) {
			if have[k.Pin] == nil {
				have[k.Pin] = map[string]bool{}
			}
			have[k.Pin][k.Transport] = true
		}
	}
	most := 0
	for _, ts := range have {
		most = max(most, len(ts))
	}
	for p, ts := range have {
		if len(ts) < most {
			delete(have, p)
		}
	}
	var out []string
	for _, p := range pinPreference {
		if have[p] != nil {
			out = append(out, p)
		}
	}
	return out
}

// shmSides are the shared-memory classes judged against the kernel
// transports, each on its own: like is compared with like.
var shmSides = []side{sideSpinning, sideBlocking, sideZeroCopy}

// endFigures returns the class figures of m at pin at the smallest and
// the largest of sizes (one when they are the same size).
func (r *Results) endFigures(m metric, pin string, sizes []int) []string {
	var out []string
	for i, size := range []int{sizes[0], sizes[len(sizes)-1]} {
		if i == 1 && size == sizes[0] {
			break
		}
		if f, ok := r.classFigure(m, pin, size); ok {
			out = append(out, f)
		}
	}
	return out
}

// classFigure writes, for one metric, pin and size, the best kernel
// transport and the best of every shared-memory class with its outcome.
func (r *Results) classFigure(m metric, pin string, size int) (string, bool) {
	k, _, ok := r.best(r.sidePoints(m, sideKernel, size, pin), m.LowerBetter)
	if !ok {
		return "", false
	}
	var parts []string
	for _, sd := range shmSides {
		p, _, ok := r.best(r.sidePoints(m, sd, size, pin), m.LowerBetter)
		if !ok {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %s %s", strings.TrimSuffix(sd.Name, " shared memory"), pointFig(p, m.Format), winWord(r.Compare(p, k, m.LowerBetter))))
	}
	if len(parts) == 0 {
		return "", false
	}
	return fmt.Sprintf("pin=%s, %s at %s: kernel %s; %s", pin, m.Name, SizeLabel(size), pointFig(k, m.Format), strings.Join(parts, "; ")), true
}

// cpuBusy returns a point's CPU time per op and CPUs busy (CPU ÷ wall).
func (r *Results) cpuBusy(p point) (cpu, busy float64, ok bool) {
	c, ok1 := r.Stat(p.Key, results.UnitCPU)
	w, ok2 := r.Stat(p.Key, results.UnitNsOp)
	if !ok1 || !ok2 || w.Median <= 0 {
		return 0, 0, false
	}
	return c.Median, c.Median / w.Median, true
}

// spinPrice describes what the fastest spinner costs in CPU against the
// fastest kernel transport at pin and size (ping-pong, both processes).
func (r *Results) spinPrice(pin string, size int) (string, bool) {
	m := metricLatency
	s, _, ok1 := r.best(r.sidePoints(m, sideSpinning, size, pin), true)
	k, _, ok2 := r.best(r.sidePoints(m, sideKernel, size, pin), true)
	if !ok1 || !ok2 {
		return "", false
	}
	cs, bs, ok1 := r.cpuBusy(s)
	ck, bk, ok2 := r.cpuBusy(k)
	if !ok1 || !ok2 {
		return "", false
	}
	return fmt.Sprintf("pin=%s, CPU of both processes per round trip at %s: %s %s (%.2f CPUs busy) vs %s %s (%.2f CPUs busy)", pin, SizeLabel(size), s.Transport, fmtNs(cs), bs, k.Transport, fmtNs(ck), bk), true
}

// classWins describes where side sd beats the kernel transports at pin,
// by latency and throughput: "round-trip latency at sizes up to 64 KiB and
// throughput at every size", or "" if it never wins.
func (r *Results) classWins(sd side, pin string) (desc string, measured bool) {
	var parts []string
	for _, m := range []metric{metricLatency, metricThroughput} {
		ds := measurable(r.duels(m, pin, sd, sideKernel))
		if len(ds) == 0 {
			continue
		}
		measured = true
		parts = append(parts, m.Name+" "+sizeCondition(sizesWhere(ds, Better), duelSizes(ds)))
	}
	return strings.Join(parts, ", "), measured
}

// judgeC1: each class of shared memory (spinning, blocking, zero-copy)
// against the best kernel transport, size by size, for round-trip latency
// and streaming throughput, at every placement. Holds if shared memory of
// some class wins at every size, metric and pin; does not hold if no
// class wins anywhere; otherwise holds only where it wins, said per pin
// and class. Ties (overlapping intervals) are not wins.
func judgeC1(r *Results) Verdict {
	var v Verdict
	all, wins, measuredAny := 0, 0, false
	var conds []string
	for _, pin := range r.claimPins() {
		for _, m := range []metric{metricLatency, metricThroughput} {
			sizes := r.mainSizes(m.Bench)
			if len(sizes) == 0 {
				continue
			}
			v.Figures = append(v.Figures, r.endFigures(m, pin, sizes)...)
			for _, size := range sizes {
				won := false
				measured := false
				for _, sd := range shmSides {
					a, _, okA := r.best(r.sidePoints(m, sd, size, pin), m.LowerBetter)
					b, _, okB := r.best(r.sidePoints(m, sideKernel, size, pin), m.LowerBetter)
					if okA && okB {
						measured = true
						won = won || r.Compare(a, b, m.LowerBetter) == Better
					}
				}
				if measured {
					measuredAny = true
					all++
					if won {
						wins++
					}
				}
			}
		}
		if size, ok := r.smallestSize(results.BenchPingPong); ok {
			if f, ok := r.spinPrice(pin, size); ok {
				v.Figures = append(v.Figures, f)
			}
		}
		var parts []string
		for _, sd := range shmSides {
			d, measured := r.classWins(sd, pin)
			if !measured {
				continue
			}
			part := strings.TrimSuffix(sd.Name, " shared memory") + " wins " + d
			if sd.Name == sideSpinning.Name {
				if size, ok := r.smallestSize(results.BenchPingPong); ok {
					s, _, ok1 := r.best(r.sidePoints(metricLatency, sideSpinning, size, pin), true)
					k, _, ok2 := r.best(r.sidePoints(metricLatency, sideKernel, size, pin), true)
					if ok1 && ok2 {
						_, bs, ok1 := r.cpuBusy(s)
						_, bk, ok2 := r.cpuBusy(k)
						if ok1 && ok2 {
							part += fmt.Sprintf(" (paying %.2f CPUs busy against %.2f for %s at %s)", bs, bk, k.Transport, SizeLabel(size))
						}
					}
				}
			}
			parts = append(parts, part)
		}
		if len(parts) > 0 {
			conds = append(conds, "at pin="+pin+pinGloss(pin)+", against the best kernel transport, "+strings.Join(parts, "; "))
		}
	}
	if !measuredAny {
		return Verdict{Status: NotMeasured, Condition: "needs ping-pong or stream results of both shared-memory and kernel transports"}
	}
	cond := strings.Join(conds, ". And ") + ". A tie is not a win."
	switch {
	case wins == all:
		v.Status = Holds
		v.Condition = "shared memory wins at every size and placement measured. " + cond
	case wins == 0:
		v.Status = DoesNotHold
		v.Condition = "shared memory wins at no size or placement measured (ties are not wins)"
	default:
		v.Status = HoldsOnlyWhen
		v.Condition = cond
	}
	return v
}

// semTransports are the shared-memory transports whose wait is a
// semaphore. The catalogue says whether a wait spins or sleeps, not on
// which kernel object it sleeps: this list stays with the rule of C2.
var semTransports = []string{"shm-sysvsem", "shm-sem"}

// judgeC2: semaphore-synchronised shared memory against the same ring
// with other waits, like with like: against the best other blocking wait
// (futex, eventfd) and, separately, the best spinner, at every pin. Every
// delivered message is verified by the harness, so a variant with results
// kept the data consistent. Holds if only semaphore variants ran; holds
// only when… if the others were consistent too (semaphores are one way,
// not the way).
func judgeC2(r *Results) Verdict {
	size, ok := r.smallestSize(results.BenchPingPong)
	if !ok {
		return Verdict{Status: NotMeasured, Condition: "no ping-pong results"}
	}
	var v Verdict
	var others []string
	semsSeen := false
	var prices []string
	for _, pin := range r.claimPins() {
		pts := filter(r.atPin(results.BenchPingPong, results.UnitNsOp, size, pin), r.IsSharedMemory)
		sems := filter(pts, func(t string) bool { return slices.Contains(semTransports, t) })
		if len(sems) == 0 {
			continue
		}
		semsSeen = true
		var parts []string
		for _, s := range sems {
			parts = append(parts, pointFig(s, fmtNs))
		}
		fig := fmt.Sprintf("pin=%s, round trip at %s: %s", pin, SizeLabel(size), strings.Join(parts, ", "))
		slowest := sems[0]
		for _, s := range sems {
			if s.Sum.Median > slowest.Sum.Median {
				slowest = s
			}
		}
		blk, _, okB := r.best(filter(pts, func(t string) bool { return r.WaitClass(t) == ClassBlocking && !slices.Contains(semTransports, t) }), true)
		if okB {
			o := r.Compare(slowest, blk, true)
			fig += fmt.Sprintf("; other blocking wait %s (%s is %s it, %s)", pointFig(blk, fmtNs), slowest.Transport, relWord(o, true), ratio(slowest.Sum.Median, blk.Sum.Median))
			prices = append(prices, fmt.Sprintf("at pin=%s the slower semaphore is %s the best futex/eventfd wait", pin, relWord(o, true)))
		}
		if sp, _, okS := r.best(filter(pts, r.inClass(ClassSpinning)), true); okS {
			fig += fmt.Sprintf("; spinning %s (%s takes %s as long)", pointFig(sp, fmtNs), slowest.Transport, ratio(slowest.Sum.Median, sp.Sum.Median))
		}
		v.Figures = append(v.Figures, fig)
		for _, p := range pts {
			if !slices.Contains(semTransports, p.Transport) && !slices.Contains(others, p.Transport) {
				others = append(others, p.Transport)
			}
		}
	}
	if !semsSeen {
		return Verdict{Status: NotMeasured, Condition: "no semaphore-synchronised shared-memory transport (shm-sysvsem, shm-sem) in the results"}
	}
	if len(others) == 0 {
		v.Status = Holds
		v.Condition = "only semaphore-synchronised shared memory ran, and it delivered every message intact"
		return v
	}
	v.Status = HoldsOnlyWhen
	v.Condition = fmt.Sprintf("semaphores are read as one option: %s kept every message intact with the ring's atomics alone", strings.Join(others[:min(len(others), 3)], ", "))
	if len(prices) > 0 {
		v.Condition += "; " + strings.Join(prices, ", ")
	}
	return v
}

// findKey returns the first key of bench, by pin preference, that match
// accepts.
func (r *Results) findKey(bench string, match func(Key) bool) (Key, bool) {
	keys := r.Keys(bench)
	for _, pin := range pinPreference {
		for _, k := range keys {
			if k.Pin == pin && match(k) {
				return k, true
			}
		}
	}
	for _, k := range keys {
		if match(k) {
			return k, true
		}
	}
	return Key{}, false
}

// judgeC3: the signal transport's round trip (payload: one sigqueue
// value) against the fastest pipe or socket at its smallest size, at every
// pin; and the bare notification (BenchmarkSignalNotify) raw against Go's
// os/signal. Efficient = not slower than the fastest pipe or socket.
func judgeC3(r *Results) Verdict {
	sizes := r.Sizes(results.BenchPingPong, "signal")
	if len(sizes) == 0 {
		return Verdict{Status: NotMeasured, Condition: "no signal ping-pong results"}
	}
	size := sizes[0]
	var v Verdict
	v.Figures = append(v.Figures, fmt.Sprintf("payload: one sigqueue value, %s (the only size the signal transport carries)", SizeLabel(sizes[len(sizes)-1])))
	other, okO := r.smallestSize(results.BenchPingPong)
	var okPins, slowPins []string
	for _, pin := range r.claimPins() {
		k, ok := r.primaryKey(results.BenchPingPong, "signal", size, pin, results.UnitNsOp)
		if !ok {
			continue
		}
		sig, _ := r.Stat(k, results.UnitNsOp)
		fig := fmt.Sprintf("pin=%s: signal round trip %s", pin, fmtNs(sig.Median))
		var cmp []point
		if okO {
			cmp = filter(r.atPin(results.BenchPingPong, results.UnitNsOp, other, pin), func(t string) bool {
				f := r.Family(t)
				return f == "pipe" || f == "socket"
			})
		}
		if b, _, ok := r.best(cmp, true); ok {
			o := r.Pair(k, b.Key, results.UnitNsOp).Order(true)
			fig += fmt.Sprintf(", fastest pipe/socket at %s %s: signal is %s it (%s its time)", SizeLabel(other), pointFig(b, fmtNs), relWord(o, true), ratio(sig.Median, b.Sum.Median))
			if o == Worse {
				slowPins = append(slowPins, fmt.Sprintf("pin=%s (%s the time)", pin, ratio(sig.Median, b.Sum.Median)))
			} else {
				okPins = append(okPins, "pin="+pin)
			}
		}
		if sh, ok := r.Stat(Key{Bench: results.BenchPingPong, Transport: "shm-signal", API: "raw", Pin: pin, Size: other}, results.UnitNsOp); ok {
			fig += fmt.Sprintf("; as the wake-up of shared memory (shm-signal, %s) %s", SizeLabel(other), fmtNs(sh.Median))
		}
		v.Figures = append(v.Figures, fig)
	}
	var slowRuntime []string
	for _, pin := range r.pins(results.BenchSignalNotify) {
		rawKey := Key{Bench: results.BenchSignalNotify, API: "raw", Pin: pin, Size: 0}
		rtKey := Key{Bench: results.BenchSignalNotify, API: "runtime", Pin: pin, Size: 0}
		raw, ok1 := r.Stat(rawKey, results.UnitNsOp)
		rt, ok2 := r.Stat(rtKey, results.UnitNsOp)
		if !ok1 || !ok2 {
			continue
		}
		o := r.Pair(rtKey, rawKey, results.UnitNsOp).Order(true)
		v.Figures = append(v.Figures, fmt.Sprintf("pin=%s, bare notification round trip (SignalNotify): signalfd on a locked thread (api=raw) %s vs Go os/signal (api=runtime) %s (runtime %s raw, %s)", pin, fmtNs(raw.Median), fmtNs(rt.Median), relWord(o, true), ratio(rt.Median, raw.Median)))
		if o == Worse {
			slowRuntime = append(slowRuntime, fmt.Sprintf("pin=%s %s", pin, ratio(rt.Median, raw.Median)))
		}
	}
	v.Figures = append(v.Figures, "not tested: \"the only asynchronous IPC\"")
	runtimeNote := ""
	if len(slowRuntime) > 0 {
		runtimeNote = "; through Go's os/signal a notification is slower than raw (" + strings.Join(slowRuntime, ", ") + ")"
	}
	payload := fmt.Sprintf("the payload fits in one sigqueue value (%s)", SizeLabel(sizes[len(sizes)-1]))
	switch {
	case len(okPins)+len(slowPins) == 0:
		v.Status = HoldsOnlyWhen
		v.Condition = payload + "; no pipe or socket figures to judge efficiency" + runtimeNote
	case len(slowPins) == 0:
		v.Status = HoldsOnlyWhen
		v.Condition = payload + ": then a signal round trip is not slower than the fastest pipe or socket (" + strings.Join(okPins, ", ") + ")" + runtimeNote
	case len(okPins) == 0:
		v.Status = DoesNotHold
		v.Condition = "not efficient: a signal round trip is slower than the fastest pipe or socket at " + strings.Join(slowPins, ", ") + runtimeNote
	default:
		v.Status = HoldsOnlyWhen
		v.Condition = payload + " and the processes run at " + strings.Join(okPins, ", ") + ": a signal round trip is not slower than the fastest pipe or socket there; it is slower at " + strings.Join(slowPins, ", ") + runtimeNote
	}
	return v
}

// signalKey finds the SignalFlood key of kind (any pin, split first).
func (r *Results) signalKey(kind string) (Key, bool) {
	return r.findKey(results.BenchSignalFlood, func(k Key) bool { return k.Kind == kind })
}

// judgeC4: the signal flood. Holds if standard signals were lost;
// does not hold if none was.
func judgeC4(r *Results) Verdict {
	ks, ok := r.signalKey("standard")
	std, ok2 := r.Stat(ks, results.UnitLostPct)
	if !ok || !ok2 {
		return Verdict{Status: NotMeasured, Condition: "no BenchmarkSignalFlood/kind=standard results"}
	}
	var v Verdict
	v.Figures = append(v.Figures, "standard signals lost: "+fmtPct(std.Median)+" of those accepted"+signalCounts(r, ks))
	kr, okR := r.signalKey("realtime")
	rt, okRT := r.Stat(kr, results.UnitLostPct)
	okRT = okR && okRT
	if okRT {
		v.Figures = append(v.Figures, "real-time signals lost: "+fmtPct(rt.Median)+" of those accepted"+signalCounts(r, kr))
	}
	if std.Median <= 0 {
		v.Status = DoesNotHold
		v.Condition = "no standard signal was lost in this run"
		return v
	}
	v.Status = Holds
	switch {
	case okRT && rt.Median > 0:
		v.Condition = fmt.Sprintf("and real-time signals were lost too (%s)", fmtPct(rt.Median))
	case okRT:
		v.Condition = fmt.Sprintf("%s of standard signals vanished; no real-time signal was lost", fmtPct(std.Median))
	default:
		v.Condition = fmt.Sprintf("%s of standard signals vanished", fmtPct(std.Median))
	}
	return v
}

func signalCounts(r *Results, k Key) string {
	var parts []string
	for _, u := range []struct{ unit, label string }{{results.UnitSent, "sent"}, {results.UnitRecv, "received"}, {results.UnitLost, "lost"}, {results.UnitRefused, "refused"}} {
		if s, ok := r.Stat(k, u.unit); ok {
			parts = append(parts, fmt.Sprintf("%s %s", sig3(s.Median), u.label))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	pin := ""
	if k.Pin != "" {
		pin = ", pin=" + k.Pin
	}
	return fmt.Sprintf(" (per signal fired: %s%s)", strings.Join(parts, ", "), pin)
}

// isQueue keeps the message-queue transports (family mq).
func (r *Results) isQueue(t string) bool { return r.Family(t) == "mq" }

// judgeC5: queues against pipes and Unix sockets, size by size, by round
// trip. Holds if queues are not slower at every size they ran (they cannot
// run larger sizes: that is their limit); holds only when small if they
// keep up at the smallest size only; does not hold if they are slower at
// the smallest size.
func judgeC5(r *Results) Verdict {
	var v Verdict
	var competitive, slower []int
	var figs []string
	for _, size := range r.Sizes(results.BenchPingPong, "") {
		pts := r.at(results.BenchPingPong, results.UnitNsOp, size)
		mq, _, ok1 := r.best(filter(pts, r.isQueue), true)
		ref, _, ok2 := r.best(filter(pts, func(t string) bool {
			return r.Family(t) == "pipe" || strings.HasPrefix(t, "unix-")
		}), true)
		if !ok1 || !ok2 {
			continue
		}
		o := r.Compare(mq, ref, true)
		figs = append(figs, fmt.Sprintf("pin=%s, round trip at %s: %s vs %s (%s)", r.mainPin(results.BenchPingPong), SizeLabel(size), pointFig(mq, fmtNs), pointFig(ref, fmtNs), outcomeWord(o, true)))
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
	all := r.Sizes(results.BenchPingPong, "")
	for _, t := range r.Transports("") {
		if !r.isQueue(t) {
			continue
		}
		s := r.Sizes(results.BenchPingPong, t)
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
	sizes := r.Sizes(results.BenchPingPong, "pipe")
	if len(sizes) == 0 {
		return Verdict{Status: NotMeasured, Condition: "no pipe ping-pong results"}
	}
	v := Verdict{Status: Holds, Condition: "the pipe transport needs two pipes for a round trip, between parent and child"}
	pin := r.mainPin(results.BenchPingPong)
	for _, size := range []int{sizes[0], sizes[len(sizes)-1]} {
		kp, ok1 := r.primaryKey(results.BenchPingPong, "pipe", size, pin, results.UnitNsOp)
		ku, ok2 := r.primaryKey(results.BenchPingPong, "unix-stream", size, pin, results.UnitNsOp)
		if !ok1 || !ok2 {
			continue
		}
		p, _ := r.Stat(kp, results.UnitNsOp)
		u, _ := r.Stat(ku, results.UnitNsOp)
		v.Figures = append(v.Figures, fmt.Sprintf("pin=%s, round trip at %s: two pipes %s vs one unix-stream socketpair %s (pipes %s)", pin, SizeLabel(size), fmtNs(p.Median), fmtNs(u.Median), outcomeWord(r.Pair(kp, ku, results.UnitNsOp).Order(true), true)))
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
			if r.Pair(kf, kp, m.Unit).Order(m.LowerBetter) == Tie || rel <= SameTolerance {
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
// size, at every pin. Sockets do both jobs; if Unix sockets are faster on
// one host, the "first choice" holds only between hosts.
func judgeC8(r *Results) Verdict {
	size, ok := r.smallestSize(results.BenchPingPong)
	if !ok {
		return Verdict{Status: NotMeasured, Condition: "no ping-pong results"}
	}
	var v Verdict
	var faster, notFaster []string
	for _, pin := range r.claimPins() {
		pts := r.atPin(results.BenchPingPong, results.UnitNsOp, size, pin)
		unix, _, ok1 := r.best(filter(pts, func(t string) bool { return strings.HasPrefix(t, "unix-") }), true)
		inet, _, ok2 := r.best(filter(pts, func(t string) bool { return t == "tcp" || t == "udp" }), true)
		if !ok1 || !ok2 {
			continue
		}
		o := r.Compare(unix, inet, true)
		v.Figures = append(v.Figures, fmt.Sprintf("pin=%s, round trip at %s: %s vs %s over loopback (Unix socket %s IP; IP takes %s its time)", pin, SizeLabel(size), pointFig(unix, fmtNs), pointFig(inet, fmtNs), relWord(o, true), ratio(inet.Sum.Median, unix.Sum.Median)))
		desc := fmt.Sprintf("at pin=%s %s is %s %s", pin, unix.Transport, relWord(o, true), inet.Transport)
		if o == Better {
			desc = fmt.Sprintf("at pin=%s %s is %s faster than %s", pin, unix.Transport, ratio(inet.Sum.Median, unix.Sum.Median), inet.Transport)
			faster = append(faster, desc)
		} else {
			notFaster = append(notFaster, desc)
		}
	}
	if len(faster)+len(notFaster) == 0 {
		return Verdict{Status: NotMeasured, Condition: "needs Unix socket and TCP/UDP ping-pong results"}
	}
	v.Figures = append(v.Figures, "not tested: a link between two network namespaces")
	if len(faster) > 0 {
		v.Status = HoldsOnlyWhen
		v.Condition = "the peers are on different hosts: on one host " + strings.Join(append(faster, notFaster...), "; ")
		return v
	}
	v.Status = Holds
	v.Condition = "on one host IP over loopback keeps up with Unix sockets: " + strings.Join(notFaster, "; ")
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
		switch r.Family(t) {
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

// c10Outcome judges one series of duels (one class of shared memory
// against the kernel transports at one pin).
func c10Outcome(m metric, ds []duel) (Status, string) {
	x, found := crossover(ds)
	wins := sizesWhere(ds, Better)
	switch {
	case found && x > ds[0].Size && len(winsBelow(ds, x)) > 0:
		return HoldsOnlyWhen, fmt.Sprintf("wins %s from %s up and also at %s below it, not monotone (kernel transports keep up at %s only)", m.Name, SizeLabel(x), sizeList(winsBelow(ds, x)), sizeList(noWin(ds, x)))
	case found && x > ds[0].Size:
		return Holds, fmt.Sprintf("wins %s from %s up, kernel transports keep up below", m.Name, SizeLabel(x))
	case found:
		return DoesNotHold, fmt.Sprintf("wins %s at every size, even %s", m.Name, SizeLabel(x))
	case len(wins) == 0:
		return DoesNotHold, fmt.Sprintf("wins %s at no size", m.Name)
	case wins[0] == ds[0].Size:
		return DoesNotHold, fmt.Sprintf("wins %s at small sizes (%s), not at %s: the opposite", m.Name, sizeList(wins), SizeLabel(ds[len(ds)-1].Size))
	default:
		return HoldsOnlyWhen, fmt.Sprintf("wins %s at %s only", m.Name, sizeList(wins))
	}
}

// judgeC10: the crossover size from which shared memory wins streaming
// throughput (round-trip latency if there is no stream result), for every
// class of shared memory (spinning, blocking, zero-copy) on its own, at
// every pin. A class and pin holds if the kernel transports keep up at
// small sizes and shared memory wins from some size on; it does not hold
// if shared memory wins everywhere, nowhere, or only at small sizes. The
// claim holds if every class at every pin holds, does not hold if none
// does, and holds only when… otherwise.
func judgeC10(r *Results) Verdict {
	m := metricThroughput
	if len(r.Keys(results.BenchStream)) == 0 {
		m = metricLatency
	}
	var v Verdict
	var holds, fails []group
	any := false
	for _, pin := range r.claimPins() {
		sizes := r.mainSizes(m.Bench)
		if len(sizes) == 0 {
			continue
		}
		v.Figures = append(v.Figures, r.endFigures(m, pin, sizes)...)
		for _, sd := range shmSides {
			ds := measurable(r.duels(m, pin, sd, sideKernel))
			if len(ds) == 0 {
				continue
			}
			any = true
			st, desc := c10Outcome(m, ds)
			who := strings.TrimSuffix(sd.Name, " shared memory") + " at pin=" + pin
			if st == Holds {
				holds = groupAdd(holds, desc, who)
			} else {
				fails = groupAdd(fails, desc, who)
			}
		}
		cm := r.cpuMetric()
		for _, size := range []int{sizes[0], sizes[len(sizes)-1]} {
			pts := r.atPin(cm.Bench, cm.Unit, size, pin)
			var parts []string
			for _, sd := range []side{sideKernel, sideBlocking, sideSpinning} {
				if p, _, ok := r.best(filter(pts, sd.keeps(r)), true); ok {
					parts = append(parts, fmt.Sprintf("%s %s", strings.TrimSuffix(sd.Name, " shared memory"), pointFig(p, fmtNs)))
				}
			}
			if len(parts) > 1 {
				v.Figures = append(v.Figures, fmt.Sprintf("pin=%s, cheapest %s at %s: %s", pin, cm.Name, SizeLabel(size), strings.Join(parts, "; ")))
			}
		}
	}
	if !any {
		return Verdict{Status: NotMeasured, Condition: "needs stream or ping-pong results of both shared-memory and kernel transports"}
	}
	switch {
	case len(fails) == 0:
		v.Status = Holds
		v.Condition = groupText(holds)
	case len(holds) == 0:
		v.Status = DoesNotHold
		v.Condition = groupText(fails)
	default:
		v.Status = HoldsOnlyWhen
		v.Condition = groupText(holds) + " (elsewhere it does not: " + groupText(fails) + ")"
	}
	return v
}

// A group gathers the cases (class at pin) that share one outcome.
type group struct {
	desc string
	who  []string
}

func groupAdd(gs []group, desc, who string) []group {
	for i := range gs {
		if gs[i].desc == desc {
			gs[i].who = append(gs[i].who, who)
			return gs
		}
	}
	return append(gs, group{desc, []string{who}})
}

// groupText writes groups as "spinning at pin=split, blocking at
// pin=same: shared memory wins … ; …".
func groupText(gs []group) string {
	var parts []string
	for _, g := range gs {
		parts = append(parts, strings.Join(g.who, ", ")+": shared memory "+g.desc)
	}
	return strings.Join(parts, "; ")
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
