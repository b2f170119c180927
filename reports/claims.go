package reports

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/ipcbench/ipcbench/results"
)

// The rules of the claims that state more than one thing (C6, C7, C8)
// judge each part on its own (a part), then the claim as their
// conjunction (conjoin); the rules of C2, C3 and C5 name every variant and
// size that ran and that did not. Every comparison is paired round by
// round (Results.Compare, Results.Pair), over metricLatency.

// A part is the judgement of one part of a claim: its status and a
// phrase that says what was found (for HoldsOnlyWhen: the condition).
type part struct {
	Status Status
	Text   string
}

// conjoin judges a claim that states several parts: it does not hold if
// one part does not; it is not measured if a part is not (what the other
// parts found said beside); it holds if every part holds; else it holds
// only when the conditions of the parts that hold only when are met.
func conjoin(parts ...part) (Status, string) {
	by := map[Status][]string{}
	for _, p := range parts {
		by[p.Status] = append(by[p.Status], p.Text)
	}
	others := func(skip Status) []string {
		var out []string
		for _, p := range parts {
			if p.Status != skip {
				out = append(out, p.Status.String()+": "+p.Text)
			}
		}
		return out
	}
	switch {
	case len(by[DoesNotHold]) > 0:
		return DoesNotHold, strings.Join(by[DoesNotHold], "; ")
	case len(by[NotMeasured]) > 0:
		txt := strings.Join(by[NotMeasured], "; ")
		if o := others(NotMeasured); len(o) > 0 {
			txt += ". Measured: " + strings.Join(o, "; ")
		}
		return NotMeasured, txt
	case len(by[HoldsOnlyWhen]) == 0:
		return Holds, strings.Join(by[Holds], "; ")
	}
	txt := strings.Join(by[HoldsOnlyWhen], ", and ")
	if len(by[Holds]) > 0 {
		txt += " (" + strings.Join(by[Holds], "; ") + ")"
	}
	return HoldsOnlyWhen, txt
}

// bestAt is the best primary variant by m at size and pin among the
// transports keep accepts.
func (r *Results) bestAt(m metric, size int, pin string, keep func(string) bool) (point, bool) {
	p, _, ok := r.best(filter(r.atPin(m.Bench, m.Unit, size, pin), keep), m.LowerBetter)
	return p, ok
}

// pointAt is transport's primary variant by m at size and pin.
func (r *Results) pointAt(m metric, transport string, size int, pin string) (point, bool) {
	k, ok := r.primaryKey(m.Bench, transport, size, pin, m.Unit)
	if !ok {
		return point{}, false
	}
	return r.pointOf(k, m.Unit)
}

// versus says a against b by m, paired: "shm-signal 9.00 µs vs shm-futex
// 8.00 µs (shm-signal is slower than it, 1.12× its time)", and the order.
func (r *Results) versus(m metric, a, b point) (string, Order) {
	o := r.Compare(a, b, m.LowerBetter)
	return fmt.Sprintf("%s vs %s (%s is %s it, %s its time)", pointFig(a, m.Format), pointFig(b, m.Format), a.Transport, relWord(o, m.LowerBetter), ratio(a.Sum.Median, b.Sum.Median)), o
}

// observations returns the observations of the semantics experiment
// under key, and whether the results carry it.
func (r *Results) observations(key string) ([]results.Observation, bool) {
	v, ok := r.ConfigValue(key)
	if !ok {
		return nil, false
	}
	return results.ParseObservations(v), true
}

// observedVerbs returns the outcome of each probe of the experiment under
// key and a reason why the experiment cannot be judged ("" if it can): the
// line is missing, a probe is missing, or a probe could not run.
func (r *Results) observedVerbs(key string, probes ...string) (map[string]results.Observation, string) {
	obs, ok := r.observations(key)
	if !ok {
		return nil, "the results lack the experiment's config line " + key
	}
	out := map[string]results.Observation{}
	for _, p := range probes {
		o, ok := results.Observed(obs, p)
		switch {
		case !ok:
			return nil, fmt.Sprintf("%s: no observation of %q", key, p)
		case o.Verb() == results.Failed:
			return nil, fmt.Sprintf("%s: %s could not run (%s)", key, p, o.Outcome)
		}
		out[p] = o
	}
	return out, ""
}

// semTransports are the shared-memory transports whose wait is a
// semaphore: shm-sysvsem (System V semaphores, semop) and shm-sem (a
// futex-based counting semaphore). The catalogue says whether a wait spins
// or sleeps, not on which kernel object it sleeps: this list stays with
// the rule of C2.
var semTransports = []string{"shm-sysvsem", "shm-sem"}

func isSem(t string) bool { return slices.Contains(semTransports, t) }

// semVariants splits semTransports into those with results in bench and
// those without, each of the latter said with why: in the run's catalogue
// but not run, or not in it (not built).
func (r *Results) semVariants(bench string) (ran, notRun []string) {
	have := r.Transports(bench)
	for _, t := range semTransports {
		switch {
		case slices.Contains(have, t):
			ran = append(ran, t)
		case slices.Contains(r.knownTransports(), t):
			notRun = append(notRun, t+" (registered, not run)")
		default:
			notRun = append(notRun, t+" (not in the run's catalogue)")
		}
	}
	return ran, notRun
}

// judgeC2: semaphore-synchronised shared memory (semTransports) against
// the same ring with waits that use no semaphore, by round trip at the
// smallest size, at every claim pin. The harness verifies every message,
// so a variant with results kept the data consistent; the question is
// whether the semaphore is what it takes. Like is compared with like: the
// best semaphore variant against the best other sleeping wait (futex,
// eventfd, signal); spinners are shown, not compared (they buy their
// speed with a busy CPU). Holds if a semaphore variant ran and no wait
// without a semaphore did it faster at any pin (or none ran); holds only
// when a sleeping wait is wanted if only spinners ran beside it, and only
// at the pins where no wait without a semaphore is faster if there are
// such pins and others; does not hold if at every pin a wait without a
// semaphore kept every message intact faster. The condition names the
// semaphore variants that ran and those that did not.
func judgeC2(r *Results) Verdict {
	m := metricLatency
	ran, notRun := r.semVariants(m.Bench)
	which := "semaphore variants run: " + orNone(ran) + "; not run: " + orNone(notRun)
	if len(ran) == 0 {
		return Verdict{Status: NotMeasured, Condition: "no semaphore-synchronised shared memory ran (" + strings.Join(notRun, ", ") + ")"}
	}
	size, _ := r.smallestSize(m.Bench)
	v := Verdict{Figures: []string{which}}
	atomics := func(t string) bool { return r.IsSharedMemory(t) && !isSem(t) }
	var others, faster, notFaster []string
	compared := false
	for _, pin := range r.claimPins() {
		pts := r.atPin(m.Bench, m.Unit, size, pin)
		sems := filter(pts, isSem)
		sem, ok := r.bestAt(m, size, pin, isSem)
		if !ok {
			continue
		}
		var figs []string
		for _, s := range sems {
			figs = append(figs, pointFig(s, m.Format))
		}
		fig := fmt.Sprintf("pin=%s, %s at %s: %s", pin, m.Name, SizeLabel(size), strings.Join(figs, ", "))
		for _, p := range filter(pts, atomics) {
			if !slices.Contains(others, p.Transport) {
				others = append(others, p.Transport)
			}
		}
		if blk, ok := r.bestAt(m, size, pin, func(t string) bool { return atomics(t) && r.WaitClass(t) == ClassBlocking }); ok {
			compared = true
			txt, o := r.versus(m, blk, sem)
			fig += "; best sleeping wait without a semaphore: " + txt
			if o == Better {
				faster = append(faster, "pin="+pin)
			} else {
				notFaster = append(notFaster, "pin="+pin)
			}
		}
		if sp, ok := r.bestAt(m, size, pin, r.inClass(ClassSpinning)); ok {
			fig += fmt.Sprintf("; spinning %s", pointFig(sp, m.Format))
			if _, busy, ok := r.cpuBusy(sp); ok {
				fig += fmt.Sprintf(" (%.2f CPUs busy)", busy)
			}
		}
		v.Figures = append(v.Figures, fig)
	}
	intact := strings.Join(ran, " and ") + " kept every message intact (every message is verified)"
	if len(notRun) > 0 {
		intact += "; " + strings.Join(notRun, ", ") + " did not run"
	}
	atomicsToo := fmt.Sprintf("the ring's atomics alone kept every message intact too (%s)", strings.Join(others, ", "))
	switch {
	case len(others) == 0:
		v.Status = Holds
		v.Condition = intact + "; no shared memory without a semaphore ran to do it cheaper"
	case !compared:
		v.Status = HoldsOnlyWhen
		v.Condition = "a sleeping wait is wanted: " + intact + ", and " + atomicsToo + " with a spinning wait, which keeps a CPU busy"
	case len(faster) == 0:
		v.Status = Holds
		v.Condition = intact + ", and no sleeping wait without a semaphore was faster at any pin; " + atomicsToo
	case len(notFaster) == 0:
		v.Status = DoesNotHold
		v.Condition = "the data stays consistent without semaphores: " + atomicsToo + ", and a sleeping wait without a semaphore was faster than every semaphore variant at every pin: " + strings.Join(faster, ", ") + "; " + which
	default:
		v.Status = HoldsOnlyWhen
		v.Condition = "the processes run at " + strings.Join(notFaster, ", ") + ": there no sleeping wait without a semaphore is faster, while " + atomicsToo + " and faster at " + strings.Join(faster, ", ") + "; " + which
	}
	return v
}

// orNone joins xs with commas, or is "none" for no xs.
func orNone(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}

// signalWake is the transport in which a signal is the wake-up of shared
// memory: the memfd ring with the signal wait.
const signalWake = "shm-signal"

// isWire keeps the message-passing transports of the pipe and socket
// families.
func (r *Results) isWire(t string) bool {
	f := r.Family(t)
	return f == "pipe" || f == "socket"
}

// judgeC3: at the one size a signal carries (its sigqueue value, 8 B;
// the suite's claim cells run the other transports at that size too), at
// every claim pin, by round trip: the signal transport against the fastest
// pipe or socket (a signal as a message), and shm-signal against the best
// other sleeping wait of shared memory (a signal as a wake-up); and the
// bare notification (BenchmarkSignalNotify) raw against Go's os/signal.
// Efficient = not slower, paired. Holds if no comparison made is slower;
// does not hold if every one is; holds only when used where it is not
// slower otherwise. Not measured when nothing ran at the signal's size to
// compare with. "The only asynchronous IPC" is not tested.
func judgeC3(r *Results) Verdict {
	m := metricLatency
	sizes := r.Sizes(m.Bench, "signal")
	if len(sizes) == 0 {
		return Verdict{Status: NotMeasured, Condition: "no signal ping-pong results"}
	}
	size := sizes[len(sizes)-1]
	v := Verdict{Figures: []string{fmt.Sprintf("payload: one sigqueue value, %s (the only size the signal transport carries)", SizeLabel(size))}}
	var fine, slow, missing []string
	judge := func(use string, a, b point, fig *string) {
		txt, o := r.versus(m, a, b)
		*fig += "; " + use + ": " + txt
		item := fmt.Sprintf("%s at pin=%s", use, a.Key.Pin)
		if o == Worse {
			slow = append(slow, item)
		} else {
			fine = append(fine, item)
		}
	}
	for _, pin := range r.claimPins() {
		fig := fmt.Sprintf("pin=%s, %s at %s", pin, m.Name, SizeLabel(size))
		if sig, ok := r.pointAt(m, "signal", size, pin); ok {
			if w, ok := r.bestAt(m, size, pin, r.isWire); ok {
				judge("as a message", sig, w, &fig)
			} else {
				missing = append(missing, fmt.Sprintf("no pipe or socket at %s, pin=%s", SizeLabel(size), pin))
			}
		}
		if sh, ok := r.pointAt(m, signalWake, size, pin); ok {
			other := func(t string) bool { return t != signalWake && r.WaitClass(t) == ClassBlocking }
			if b, ok := r.bestAt(m, size, pin, other); ok {
				judge("as the wake-up of shared memory", sh, b, &fig)
			} else {
				missing = append(missing, fmt.Sprintf("no other sleeping shared-memory wait at %s, pin=%s", SizeLabel(size), pin))
			}
		} else {
			missing = append(missing, fmt.Sprintf("no %s at %s, pin=%s", signalWake, SizeLabel(size), pin))
		}
		if fig != fmt.Sprintf("pin=%s, %s at %s", pin, m.Name, SizeLabel(size)) {
			v.Figures = append(v.Figures, fig)
		}
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
			slowRuntime = append(slowRuntime, "pin="+pin)
		}
	}
	if len(missing) > 0 {
		v.Figures = append(v.Figures, "not compared: "+strings.Join(missing, "; "))
	}
	v.Figures = append(v.Figures, "not tested: \"the only asynchronous IPC\"")
	note := ""
	if len(slowRuntime) > 0 {
		note = "; through Go's os/signal a notification is slower than raw (" + strings.Join(slowRuntime, ", ") + ")"
	}
	payload := fmt.Sprintf("a signal carries one sigqueue value (%s)", SizeLabel(size))
	switch {
	case len(fine)+len(slow) == 0:
		v.Status = NotMeasured
		v.Condition = fmt.Sprintf("a signal round trip ran, but no pipe, socket or shared-memory wait at %s to compare it with", SizeLabel(size))
	case len(slow) == 0:
		v.Status = Holds
		v.Condition = payload + ", and at that size it is not slower " + strings.Join(fine, ", ") + note
	case len(fine) == 0:
		v.Status = DoesNotHold
		v.Condition = fmt.Sprintf("not efficient: at %s a signal is slower ", SizeLabel(size)) + strings.Join(slow, ", ") + note
	default:
		v.Status = HoldsOnlyWhen
		v.Condition = "it is used " + strings.Join(fine, " or ") + ": not slower there; it is slower " + strings.Join(slow, ", ") + "; " + payload + note
	}
	return v
}

// queueLimitKeys are the config lines that hold each queue's largest
// message (harness.Environment reads them from /proc): the catalogue
// lines carry no limits.
var queueLimitKeys = map[string]string{"posix-mq": "mq-msgsize-max", "sysv-mq": "msgmax"}

// queueLimit returns queue's largest message from the config lines, the
// key it came from, and whether it is known.
func (r *Results) queueLimit(queue string) (int, string, bool) {
	key, ok := queueLimitKeys[queue]
	if !ok {
		return 0, "", false
	}
	v, ok := r.ConfigValue(key)
	if !ok {
		return 0, key, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	return n, key, err == nil
}

// suiteSizes are the sizes of bench in this run and of the default suite
// (results.DefaultSizes), ascending: the sizes a transport could have run.
func (r *Results) suiteSizes(bench string) []int {
	seen := map[int]bool{}
	for _, s := range append(r.Sizes(bench, ""), results.DefaultSizes...) {
		seen[s] = true
	}
	return sortedInts(seen)
}

// queueCoverage says, for queue, which sizes of the suite it ran, which
// are under its limit and did not run, and which exceed its limit.
func (r *Results) queueCoverage(bench, queue string) string {
	lim, key, known := r.queueLimit(queue)
	ran := r.Sizes(bench, queue)
	var under, over []int
	for _, s := range r.suiteSizes(bench) {
		switch {
		case slices.Contains(ran, s):
		case !known || s <= lim:
			under = append(under, s)
		default:
			over = append(over, s)
		}
	}
	limit := "limit unknown"
	if known {
		limit = fmt.Sprintf("limit %d B, %s", lim, key)
	} else if key != "" {
		limit += " (no " + key + " line)"
	}
	txt := fmt.Sprintf("%s (%s): measured at %s", queue, limit, orNone(sizeLabels(ran)))
	if len(ran) == 0 {
		txt = fmt.Sprintf("%s (%s): not run", queue, limit)
	}
	if len(under) > 0 {
		if known {
			txt += "; under the limit, not run: " + sizeList(under)
		} else {
			txt += "; not run: " + sizeList(under)
		}
	}
	if len(over) > 0 {
		txt += "; over the limit: " + sizeList(over)
	}
	return txt
}

// isQueueRef keeps the references of C5: pipes and Unix sockets.
func (r *Results) isQueueRef(t string) bool {
	return r.Family(t) == "pipe" || strings.HasPrefix(t, "unix-")
}

// judgeC5: queues against pipes and Unix sockets by round trip, at every
// size a queue ran (every size at or under its limit that the run
// measured) and every claim pin: the best queue against the best pipe or
// Unix socket, paired. A size is one where queues keep up if at no pin
// they are slower by more than SameTolerance (the paired ratio's median):
// a queue a few per cent behind a pipe keeps up with it, and a rule that
// called it slower would turn on which side of 1 a 4 % difference's
// interval fell in a given run. Holds if they keep up at every size; holds only when
// messages are small if they keep up at the smaller sizes and not at
// larger ones; does not hold if they are slower at the smallest. The
// figures say, per queue, which sizes of the suite it ran, which under its
// limit were not run, and which exceed its limit (config lines
// mq-msgsize-max, msgmax).
func judgeC5(r *Results) Verdict {
	m := metricLatency
	var v Verdict
	var keep []int // every size compared, at some pin
	slowAt := map[int][]string{}
	for _, pin := range r.claimPins() {
		var figs []string
		for _, size := range r.Sizes(m.Bench, "") {
			mq, ok1 := r.bestAt(m, size, pin, r.isQueue)
			ref, ok2 := r.bestAt(m, size, pin, r.isQueueRef)
			if !ok1 || !ok2 {
				continue
			}
			txt, o := r.versus(m, mq, ref)
			figs = append(figs, fmt.Sprintf("pin=%s, %s at %s: %s", pin, m.Name, SizeLabel(size), txt))
			if o == Worse && !r.withinSame(mq, ref, m) {
				slowAt[size] = append(slowAt[size], "pin="+pin)
			}
			if !slices.Contains(keep, size) {
				keep = append(keep, size)
			}
		}
		if len(figs) > 0 {
			v.Figures = append(v.Figures, figs[0])
			if len(figs) > 1 {
				v.Figures = append(v.Figures, figs[len(figs)-1])
			}
		}
	}
	slices.Sort(keep)
	var kept, slower []int
	for _, s := range keep {
		if len(slowAt[s]) > 0 {
			slower = append(slower, s)
		} else {
			kept = append(kept, s)
		}
	}
	for _, t := range r.knownTransports() {
		if r.isQueue(t) {
			v.Figures = append(v.Figures, r.queueCoverage(m.Bench, t))
		}
	}
	if len(kept)+len(slower) == 0 {
		v.Status = NotMeasured
		v.Condition = "needs ping-pong results of a message queue and of a pipe or Unix socket at the same size and pin"
		return v
	}
	v.Figures = append(v.Figures, "boundaries: one send is one receive (verified on every message)")
	var slowText []string
	for _, s := range slower {
		slowText = append(slowText, SizeLabel(s)+" ("+strings.Join(slowAt[s], ", ")+")")
	}
	v.Figures = append(v.Figures, fmt.Sprintf("queues keep up with pipes and Unix sockets (not slower, or by at most %.0f %%) at %s; slower at %s", 100*SameTolerance, orNone(sizeLabels(kept)), orNone(slowText)))
	switch {
	case len(slower) == 0:
		v.Status = Holds
		v.Condition = "queues keep up with pipes and Unix sockets at every size they ran"
	case len(kept) > 0 && kept[0] < slower[0]:
		v.Status = HoldsOnlyWhen
		v.Condition = "messages are small: queues keep up with pipes and Unix sockets at the smallest size, not at every larger one"
	default:
		v.Status = DoesNotHold
		v.Condition = "queues are slower than pipes or Unix sockets already at the smallest size"
	}
	return v
}

// c6Duplex judges "pipes are half-duplex" from the experiment
// semantics-pipe-duplex: a pipe whose read end refused a write and whose
// write end refused a read is one-way.
func (r *Results) c6Duplex() part {
	obs, why := r.observedVerbs(results.ConfigPipeDuplex, results.ProbeWriteReadEnd, results.ProbeReadWriteEnd, results.ProbeSocketpair)
	if why != "" {
		return part{NotMeasured, "the half-duplex half: " + why}
	}
	w, rd, sp := obs[results.ProbeWriteReadEnd], obs[results.ProbeReadWriteEnd], obs[results.ProbeSocketpair]
	if w.Verb() != results.Refused || rd.Verb() != results.Refused {
		return part{DoesNotHold, fmt.Sprintf("a pipe is not one-way here: %s %s, %s %s", results.ProbeWriteReadEnd, w.Outcome, results.ProbeReadWriteEnd, rd.Outcome)}
	}
	return part{Holds, fmt.Sprintf("a pipe is one-way, so a round trip takes two (%s: %s; %s: %s; %s: %s)", results.ProbeWriteReadEnd, w.Outcome, results.ProbeReadWriteEnd, rd.Outcome, results.ProbeSocketpair, sp.Outcome)}
}

// c6Related judges "anonymous pipes only join related processes" from the
// experiment semantics-pipe-unrelated: a process that neither made nor
// inherited the pipe tried /proc/PID/fd (which needs nothing of the
// owner) and SCM_RIGHTS (which needs the owner to hand the descriptor
// over). Holds if both were refused; holds only when the owner does not
// hand it over if only SCM_RIGHTS joined; does not hold if /proc/PID/fd
// joined.
func (r *Results) c6Related() part {
	obs, why := r.observedVerbs(results.ConfigPipeUnrelated, results.ProbeProcFD, results.ProbeSCMRights)
	if why != "" {
		return part{NotMeasured, "the related-processes half: " + why}
	}
	proc, scm := obs[results.ProbeProcFD], obs[results.ProbeSCMRights]
	said := fmt.Sprintf("a process that neither made nor inherited the pipe tried %s: %s; %s: %s", results.ProbeProcFD, proc.Outcome, results.ProbeSCMRights, scm.Outcome)
	switch {
	case proc.Verb() == results.Joined:
		return part{DoesNotHold, "anonymous pipes are not for related processes only: " + said}
	case scm.Verb() == results.Joined:
		return part{HoldsOnlyWhen, "the pipe's owner does not hand its descriptor over a Unix socket: " + said}
	}
	return part{Holds, "only a process that inherits an anonymous pipe joins it: " + said}
}

// judgeC6: both halves of the claim from experiments (c6Duplex,
// c6Related), conjoined; the figures set the pipe transport's two pipes
// against one full-duplex unix-stream socketpair, paired, at every claim
// pin at the smallest and the largest size.
func judgeC6(r *Results) Verdict {
	m := metricLatency
	var v Verdict
	v.Status, v.Condition = conjoin(r.c6Duplex(), r.c6Related())
	sizes := r.Sizes(m.Bench, "pipe")
	for _, pin := range r.claimPins() {
		for i, size := range sizes {
			if i != 0 && i != len(sizes)-1 {
				continue
			}
			p, ok1 := r.pointAt(m, "pipe", size, pin)
			u, ok2 := r.pointAt(m, "unix-stream", size, pin)
			if ok1 && ok2 {
				txt, _ := r.versus(m, p, u)
				v.Figures = append(v.Figures, fmt.Sprintf("pin=%s, %s at %s: two pipes against one socketpair: %s", pin, m.Name, SizeLabel(size), txt))
			}
		}
	}
	if len(v.Figures) == 0 {
		v.Figures = append(v.Figures, "no pipe and unix-stream ping-pong figures at the same size and pin")
	}
	return v
}

// withinSame reports whether a's figure by m is within SameTolerance of
// b's: the median of their paired ratio (a ÷ b, round by round) differs
// from 1 by at most SameTolerance (nearOne).
func (r *Results) withinSame(a, b point, m metric) bool {
	return nearOne(r.Pair(a.Key, b.Key, m.Unit).Summary)
}

// nearOne reports whether the median of a summary of ratios is within
// SameTolerance of 1.
func nearOne(s Summary) bool { return s.Valid() && math.Abs(s.Median-1) <= SameTolerance }

// SameTolerance is the relative difference under which C7 calls fifo and
// pipe the same, and C5 counts a queue as keeping up with a pipe or Unix
// socket, even when the interval of their paired ratio excludes 1.
const SameTolerance = 0.10

// c7Same judges "a FIFO behaves like a pipe once open": fifo against pipe
// at every size, latency and throughput, at the main pin, paired: the same
// when the ratio's interval contains 1 or its median is within
// SameTolerance of 1. The claim is one statement over all k comparisons,
// so each interval is taken at confidence 1-Alpha/k (Bonferroni): at 95 %
// each, a dozen comparisons of one mechanism with itself would find a
// difference by chance in every second run.
func (r *Results) c7Same() (part, []string) {
	type cmp struct {
		m      metric
		pin    string
		size   int
		kf, kp Key
	}
	var cmps []cmp
	for _, m := range []metric{metricLatency, metricThroughput} {
		pin := r.mainPin(m.Bench)
		for _, size := range r.Sizes(m.Bench, "fifo") {
			kf, ok1 := r.primaryKey(m.Bench, "fifo", size, pin, m.Unit)
			kp, ok2 := r.primaryKey(m.Bench, "pipe", size, pin, m.Unit)
			if ok1 && ok2 {
				cmps = append(cmps, cmp{m, pin, size, kf, kp})
			}
		}
	}
	var same, differ, figs []string
	for _, c := range cmps {
		p := r.Pair(c.kf, c.kp, c.m.Unit)
		s := SummarizeAt(p.Ratios, 1-Alpha/float64(len(cmps)))
		label := fmt.Sprintf("%s at %s", c.m.Name, SizeLabel(c.size))
		if !s.Valid() || (s.Lo <= 1 && s.Hi >= 1) || nearOne(s) {
			same = append(same, label)
			continue
		}
		differ = append(differ, label)
		f, _ := r.Stat(c.kf, c.m.Unit)
		q, _ := r.Stat(c.kp, c.m.Unit)
		figs = append(figs, fmt.Sprintf("pin=%s, %s: fifo %s vs pipe %s (fifo ÷ pipe %s, paired)", c.pin, label, c.m.Format(f.Median), c.m.Format(q.Median), ratio(s.Median, 1)))
	}
	n := len(same) + len(differ)
	if n == 0 {
		return part{NotMeasured, "once open: needs fifo and pipe results at the same sizes"}, nil
	}
	figs = append([]string{fmt.Sprintf("same (paired ratio's interval, at %.1f %% confidence each, contains 1, or within %.0f %%) at %d of %d comparisons", 100*(1-Alpha/float64(n)), 100*SameTolerance, len(same), n)}, figs...)
	switch {
	case len(differ) == 0:
		return part{Holds, "once open, fifo and pipe are the same at every size measured"}, figs
	case len(same) == 0:
		return part{DoesNotHold, "fifo and pipe differ at every size measured"}, figs
	}
	figs = append(figs, "the same at: "+strings.Join(same, ", "))
	return part{HoldsOnlyWhen, "once open, fifo and pipe are the same at some sizes and differ at others"}, figs
}

// c7Open judges "opening blocks until both ends are open" from the
// experiment semantics-fifo-open: holds if a blocking O_WRONLY open with
// no reader blocked and returned once a reader opened, and no open
// returned or failed at once; holds only when the FIFO is opened without
// O_NONBLOCK if the non-blocking opens did not wait (a writer fails with
// ENXIO, a reader opens at once); does not hold if the blocking open
// returned with no reader, or stayed blocked after one opened.
func (r *Results) c7Open() part {
	obs, why := r.observedVerbs(results.ConfigFIFOOpen, results.ProbeFIFOBlocking, results.ProbeFIFOWriteNonblock, results.ProbeFIFOReadNonblock)
	if why != "" {
		return part{NotMeasured, "the opening half: " + why}
	}
	b, w, rd := obs[results.ProbeFIFOBlocking], obs[results.ProbeFIFOWriteNonblock], obs[results.ProbeFIFOReadNonblock]
	said := fmt.Sprintf("%s: %s", results.ProbeFIFOBlocking, b.Outcome)
	if b.Verb() != results.Blocked || !strings.Contains(b.Outcome, "returned once a reader opened") {
		return part{DoesNotHold, "opening does not wait for both ends: " + said}
	}
	var atOnce []string
	for _, o := range []results.Observation{w, rd} {
		if o.Verb() != results.Blocked {
			atOnce = append(atOnce, o.Probe+": "+o.Outcome)
		}
	}
	if len(atOnce) == 0 {
		return part{Holds, "opening blocks until both ends are open (" + said + ")"}
	}
	return part{HoldsOnlyWhen, "the FIFO is opened without O_NONBLOCK (" + said + "; " + strings.Join(atOnce, "; ") + ")"}
}

// judgeC7: the two halves of the claim, conjoined: the FIFO behaves like
// a pipe once open (c7Same, figures) and opening blocks until both ends
// are open (c7Open, experiment).
func judgeC7(r *Results) Verdict {
	same, figs := r.c7Same()
	var v Verdict
	v.Status, v.Condition = conjoin(same, r.c7Open())
	v.Figures = figs
	return v
}

// c8Local judges the local half of C8: Unix sockets against TCP/UDP over
// loopback at the smallest size, at every claim pin, paired. Sockets serve
// local IPC whenever they ran; the comparison says which kind serves it
// better.
func (r *Results) c8Local() (part, []string) {
	m := metricLatency
	size, ok := r.smallestSize(m.Bench)
	if !ok {
		return part{NotMeasured, "the local half: no ping-pong results"}, nil
	}
	isUnix := func(t string) bool { return r.Family(t) == "socket" && strings.HasPrefix(t, "unix-") }
	isIP := func(t string) bool { return r.Family(t) == "socket" && !strings.HasPrefix(t, "unix-") }
	var figs, found []string
	for _, pin := range r.claimPins() {
		u, ok1 := r.bestAt(m, size, pin, isUnix)
		ip, ok2 := r.bestAt(m, size, pin, isIP)
		if !ok1 || !ok2 {
			continue
		}
		txt, o := r.versus(m, u, ip)
		figs = append(figs, fmt.Sprintf("pin=%s, %s at %s over loopback: %s", pin, m.Name, SizeLabel(size), txt))
		found = append(found, fmt.Sprintf("at pin=%s the fastest Unix socket is %s the fastest IP socket over loopback", pin, relWord(o, m.LowerBetter)))
	}
	if len(found) == 0 {
		return part{NotMeasured, "the local half: needs Unix socket and TCP/UDP ping-pong results at the same size and pin"}, nil
	}
	return part{Holds, "sockets serve local IPC: " + strings.Join(found, "; ")}, figs
}

// firstChoiceText is what C8 can say of "the first choice for
// distributed work", and firstChoiceFigure why.
const (
	firstChoiceText   = "the first choice for distributed work by elimination only: sockets are the one mechanism measured here that crosses a link"
	firstChoiceFigure = "\"the first choice for distributed work\": judged by elimination, not by a race. Of the mechanisms ipcbench runs only sockets reach another network namespace or host: pipes, FIFOs, message queues, shared memory, signals and cma are objects of one kernel, reachable only within it, so across a link there is nothing here to race sockets against; mechanisms across hosts that are not sockets (RDMA, shared memory over a fabric) are not run, and sockets are not judged against them"
)

// c8CrossHost judges the half of C8 between hosts, "sockets serve
// communication between hosts", from the socket series across a link
// (Results.Links: path=veth and netem, a second network namespace on this
// host, the stand-in CLAIMS.md names; path=remote, another host). Serving
// is delivering: the harness checks every message and drops a case that
// fails from the later rounds, so a transport across a path delivered
// when each of its PingPong and Stream cases has every round of the run
// and lost nothing (lost-%, which a UDP stream reports, is 0 in every
// round). Per transport and path (linkRuns):
//
//   - no series across a link: not measured ("no link … was measured";
//     when a path config line shows a link was set up, that every case
//     across it failed or was skipped: nothing was measured across it,
//     which is no evidence against sockets);
//   - every run delivered: holds, between network namespaces (veth,
//     netem) or hosts (remote), as the paths say;
//   - some delivered and others lost messages or failed rounds: holds
//     only when the socket is one that delivered (or the loss is
//     tolerated), naming both;
//   - none delivered: does not hold;
//   - runs whose loss is not reported where their loopback case reports
//     it are neither: named in the figures; only such runs: not measured.
//
// "The first choice for distributed work" is judged by elimination, not
// by a race (firstChoiceFigure): sockets are the only mechanism ipcbench
// runs that crosses a namespace or host, and ipcbench runs nothing else
// across hosts (RDMA, …) to set against them. So the phrase rides on the
// cross-host half: where sockets serve across the link they are the first
// choice among the mechanisms measured, and the verdict says that it is
// by elimination. The figures give the network tax of each run (its
// round trip and throughput ÷ unix-stream's, paired) and the path config
// lines.
func (r *Results) c8CrossHost() (part, []string) {
	const half = "between hosts (and \"the first choice for distributed work\"): "
	var figs []string
	for _, l := range r.pathLines() {
		figs = append(figs, l.Key+": "+l.Value)
	}
	var unset []string
	for _, l := range r.unmeasuredPaths() {
		unset = append(unset, "path="+l.Path)
	}
	if len(unset) > 0 {
		figs = append(figs, "set up but with no result across them (every case failed or was skipped): "+strings.Join(unset, ", "))
	}
	runs := r.linkRuns()
	if len(runs) == 0 {
		figs = append(figs, "not measured: a link between two hosts or network namespaces")
		if len(unset) > 0 {
			return part{NotMeasured, half + "the run set up " + strings.Join(unset, ", ") + " but has no socket result across it: every case across the link failed or was skipped"}, figs
		}
		return part{NotMeasured, half + "no link between hosts or network namespaces was measured"}, figs
	}
	var ok, bad, unknown, paths []string
	for _, run := range runs {
		if !slices.Contains(paths, run.Path) {
			paths = append(paths, run.Path)
		}
		switch {
		case len(run.Failed)+len(run.Lossy) > 0:
			bad = append(bad, run.name()+": "+strings.Join(append(slices.Clone(run.Lossy), run.Failed...), "; "))
		case len(run.Hidden) > 0:
			unknown = append(unknown, run.name())
		default:
			ok = append(ok, run.name())
		}
		delivery := fmt.Sprintf("%s: %s, every message delivered in every round (each checked)", run.name(), plural(run.Cases, "case"))
		if run.Counted > 0 {
			delivery += fmt.Sprintf("; lost-%% 0 in every round of the %d that count their losses", run.Counted)
		}
		if !run.delivered() {
			what := append(append(slices.Clone(run.Lossy), run.Failed...), run.Hidden...)
			delivery = fmt.Sprintf("%s: %s; %s", run.name(), plural(run.Cases, "case"), strings.Join(what, "; "))
		}
		figs = append(figs, delivery)
		figs = append(figs, r.taxFigures(run)...)
	}
	figs = append(figs, firstChoiceFigure)
	scope := "between network namespaces on one host (path=" + strings.Join(paths, ", ") + "; no second host was measured)"
	if slices.Contains(paths, "remote") {
		scope = "between hosts (path=" + strings.Join(paths, ", ") + ")"
	}
	switch {
	case len(bad) > 0 && len(ok) > 0:
		return part{HoldsOnlyWhen, "the socket delivers every message across the link or its loss is tolerated, " + scope + ": " + joinAnd(ok) + " delivered every message in every round, while " + strings.Join(bad, "; ") + "; " + firstChoiceText}, figs
	case len(bad) > 0:
		return part{DoesNotHold, "no socket delivered every message across the link, " + scope + ": " + strings.Join(bad, "; ")}, figs
	case len(ok) == 0:
		return part{NotMeasured, half + "sockets ran across the link, " + scope + ", but whether every message arrived is not reported (" + strings.Join(unknown, ", ") + ")"}, figs
	}
	return part{Holds, "sockets serve communication across a link, " + scope + ": " + joinAnd(ok) + " delivered every message in every round; " + firstChoiceText}, figs
}

// plural is "1 case", "2 cases".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// joinAnd joins xs as "a, b and c".
func joinAnd(xs []string) string {
	if len(xs) < 2 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

// judgeC8: the local half (c8Local) and the cross-host half
// (c8CrossHost), conjoined: while the cross-host half is not measured the
// claim is not measured, the local finding said beside it; it never holds
// on the local half alone. The figures: the local comparison, then the
// links (the path config lines, what each transport across each path
// delivered and its network tax against unix-stream).
func judgeC8(r *Results) Verdict {
	local, figs := r.c8Local()
	cross, crossFigs := r.c8CrossHost()
	var v Verdict
	v.Status, v.Condition = conjoin(local, cross)
	v.Figures = append(figs, crossFigs...)
	return v
}
