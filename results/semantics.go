package results

import "strings"

// Config keys of the semantics experiments: what the kernel did when the
// harness tried a mechanism's rules (harness.Semantics). Their values are
// observations (FormatObservations), read back by the verdicts.
const (
	// ConfigPipeUnrelated: a process that neither made nor inherited an
	// anonymous pipe tries to join it through /proc/PID/fd/N of the
	// pipe's owner (ProbeProcFD) and by receiving its descriptor over a
	// Unix socket (ProbeSCMRights).
	ConfigPipeUnrelated = "semantics-pipe-unrelated"
	// ConfigPipeDuplex: a write on a pipe's read end (ProbeWriteReadEnd),
	// a read on its write end (ProbeReadWriteEnd), and both directions on
	// one end of a Unix socketpair (ProbeSocketpair).
	ConfigPipeDuplex = "semantics-pipe-duplex"
	// ConfigFIFOOpen: opening a FIFO with one end missing, blocking
	// (ProbeFIFOBlocking) and not (ProbeFIFOWriteNonblock,
	// ProbeFIFOReadNonblock).
	ConfigFIFOOpen = "semantics-fifo-open"
)

// Probes of the semantics experiments: the first part of an Observation.
const (
	ProbeProcFD            = "/proc/PID/fd"
	ProbeSCMRights         = "SCM_RIGHTS"
	ProbeWriteReadEnd      = "write on the read end"
	ProbeReadWriteEnd      = "read on the write end"
	ProbeSocketpair        = "one end of a socketpair, both ways"
	ProbeFIFOBlocking      = "O_WRONLY with no reader"
	ProbeFIFOWriteNonblock = "O_WRONLY|O_NONBLOCK with no reader"
	ProbeFIFOReadNonblock  = "O_RDONLY|O_NONBLOCK with no writer"
)

// Outcome verbs: the first word of an Observation's outcome, what a
// reader branches on; the rest of the outcome says more.
const (
	Joined   = "joined"   // the process joined the pipe and a byte crossed
	Refused  = "refused"  // the call failed; the errno follows: "refused (EBADF)"
	Blocked  = "blocked"  // the call had not returned after a wait; what ended it follows
	Returned = "returned" // the call returned at once
	Worked   = "worked"   // the reads and writes went through
	Failed   = "error"    // the probe could not run; the error follows
)

// An Observation is one probe of a semantics experiment and what
// happened: Probe "/proc/PID/fd", Outcome "joined (1 byte read)".
type Observation struct{ Probe, Outcome string }

// Verb is the first word of the outcome (Joined, Refused, …).
func (o Observation) Verb() string {
	if i := strings.IndexAny(o.Outcome, " :("); i >= 0 {
		return o.Outcome[:i]
	}
	return o.Outcome
}

// FormatObservations writes obs as one config value:
// "probe: outcome; probe: outcome". A "; " inside an outcome (an error's
// text) becomes ", " so that the value reads back.
func FormatObservations(obs []Observation) string {
	parts := make([]string, len(obs))
	for i, o := range obs {
		parts[i] = o.Probe + ": " + strings.ReplaceAll(o.Outcome, "; ", ", ")
	}
	return strings.Join(parts, "; ")
}

// ParseObservations reads a value written by FormatObservations. A part
// without "probe: " is an observation with no probe.
func ParseObservations(v string) []Observation {
	var out []Observation
	for _, p := range strings.Split(v, "; ") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		probe, outcome, ok := strings.Cut(p, ": ")
		if !ok {
			probe, outcome = "", p
		}
		out = append(out, Observation{Probe: probe, Outcome: outcome})
	}
	return out
}

// Observed returns the outcome of probe among obs.
func Observed(obs []Observation, probe string) (Observation, bool) {
	for _, o := range obs {
		if o.Probe == probe {
			return o, true
		}
	}
	return Observation{}, false
}
