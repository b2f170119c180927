package reports

import (
	"fmt"
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
	ID        string   // "C1" … "C11"
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
	{"C7", "A named pipe (FIFO) behaves like a pipe once open; opening blocks until both ends are open.", judgeC7},
	{"C8", "Sockets serve both local IPC and communication between hosts; the first choice for distributed work.", judgeC8},
	{"C9", "Go has no API for shared memory or message queues: it needs cgo.", judgeC9},
	{"C10", "Message passing suits small data; shared memory suits large, frequently accessed data.", judgeC10},
	{"C11", "Shared memory usually suits communication among multiple processes.", judgeC11},
}

// Verdicts judges every claim C1–C11 against r.
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
// by latency and throughput: coarsely, for the condition ("round-trip
// latency at some sizes, throughput at every size"), and in detail, for
// the figures ("round-trip latency at sizes up to 64 KiB, …").
func (r *Results) classWins(sd side, pin string) (coarse, detail string, measured bool) {
	var cs, ds []string
	for _, m := range []metric{metricLatency, metricThroughput} {
		duels := measurable(r.duels(m, pin, sd, sideKernel))
		if len(duels) == 0 {
			continue
		}
		measured = true
		wins, all := sizesWhere(duels, Better), duelSizes(duels)
		cs = append(cs, m.Name+" "+coverage(wins, all))
		ds = append(ds, m.Name+" "+sizeCondition(wins, all))
	}
	return strings.Join(cs, ", "), strings.Join(ds, ", "), measured
}

// coverage says coarsely which of all the wins are: "at every size", "at
// no size" or "at some sizes" (which ones is sizeCondition's, for the
// figures: a verdict's condition should not change when one size of many
// turns from a tie into a win).
func coverage(wins, all []int) string {
	switch len(wins) {
	case 0:
		return "at no size"
	case len(all):
		return "at every size"
	}
	return "at some sizes"
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
			d, detail, measured := r.classWins(sd, pin)
			if !measured {
				continue
			}
			class := strings.TrimSuffix(sd.Name, " shared memory")
			v.Figures = append(v.Figures, fmt.Sprintf("pin=%s, where %s wins against the best kernel transport: %s", pin, class, detail))
			part := class + " wins " + d
			if sd.Name == sideSpinning.Name {
				if size, ok := r.smallestSize(results.BenchPingPong); ok {
					s, _, ok1 := r.best(r.sidePoints(metricLatency, sideSpinning, size, pin), true)
					k, _, ok2 := r.best(r.sidePoints(metricLatency, sideKernel, size, pin), true)
					if ok1 && ok2 {
						_, bs, ok1 := r.cpuBusy(s)
						_, bk, ok2 := r.cpuBusy(k)
						if ok1 && ok2 {
							if bs > bk {
								part += " (paying with more CPU busy than the kernel transport: figures)"
							}
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
		v.Condition = "and real-time signals were lost too"
	case okRT:
		v.Condition = "standard signals vanished; no real-time signal was lost"
	default:
		v.Condition = "standard signals vanished"
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
// c10Outcome judges one class's duels over sizes: the status, the
// pattern in words for the condition (no sizes named, so that it holds
// still when one size of many moves), and with the sizes for the figures.
func c10Outcome(m metric, ds []duel) (st Status, coarse, detail string) {
	x, found := crossover(ds)
	wins := sizesWhere(ds, Better)
	switch {
	case found && x > ds[0].Size && len(winsBelow(ds, x)) > 0:
		return HoldsOnlyWhen, fmt.Sprintf("wins %s from a crossover up and also below it, not monotone", m.Name),
			fmt.Sprintf("wins %s from %s up and also at %s below it, not monotone (kernel transports keep up at %s only)", m.Name, SizeLabel(x), sizeList(winsBelow(ds, x)), sizeList(noWin(ds, x)))
	case found && x > ds[0].Size:
		return Holds, fmt.Sprintf("wins %s from a crossover size up, kernel transports keep up below", m.Name),
			fmt.Sprintf("wins %s from %s up, kernel transports keep up below", m.Name, SizeLabel(x))
	case found:
		return DoesNotHold, fmt.Sprintf("wins %s at every size, even the smallest", m.Name),
			fmt.Sprintf("wins %s at every size, even %s", m.Name, SizeLabel(x))
	case len(wins) == 0:
		s := fmt.Sprintf("wins %s at no size", m.Name)
		return DoesNotHold, s, s
	case wins[0] == ds[0].Size:
		return DoesNotHold, fmt.Sprintf("wins %s at small sizes, not at the largest: the opposite", m.Name),
			fmt.Sprintf("wins %s at small sizes (%s), not at %s: the opposite", m.Name, sizeList(wins), SizeLabel(ds[len(ds)-1].Size))
	default:
		return HoldsOnlyWhen, fmt.Sprintf("wins %s at some sizes only", m.Name),
			fmt.Sprintf("wins %s at %s only", m.Name, sizeList(wins))
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
			st, desc, detail := c10Outcome(m, ds)
			who := strings.TrimSuffix(sd.Name, " shared memory") + " at pin=" + pin
			v.Figures = append(v.Figures, fmt.Sprintf("%s: shared memory %s", who, detail))
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
