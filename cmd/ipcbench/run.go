package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ipcbench/ipcbench/bench"
	"github.com/ipcbench/ipcbench/harness"
	"github.com/ipcbench/ipcbench/internal/netns"
	"github.com/ipcbench/ipcbench/transports"
)

func init() {
	commands["run"] = command{summary: "run benchmarks and write Go benchmark-format results", run: runCmd}
}

// runCmd runs a profile, narrowed by flags, with a bench.Runner: results
// in the Go benchmark format (config lines first) to stdout or -o, so that
// benchstat, ipcbench report and ipcbench compare read them; progress to
// stderr.
func runCmd(stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	profile := fs.String("profile", "default", "profile: "+strings.Join(bench.ProfileNames(), ", "))
	groups := fs.String("groups", "", "comma-separated benchmark groups (default: the profile's; all: "+groupNames()+")")
	trs := fs.String("transports", "", "comma-separated transports (default: the profile's)")
	apis := fs.String("apis", "", "comma-separated apis: raw, runtime, zerocopy (default: each transport's)")
	pins := fs.String("pins", "", "comma-separated placements: split, same, none (default: split,same, and none too for api=runtime)")
	sizes := fs.String("sizes", "", "comma-separated message sizes in bytes (default: the profile's)")
	count := fs.Int("count", 0, "repetitions, interleaved round by round (default: the profile's)")
	benchtime := fs.Duration("benchtime", 0, "measuring time per case and round (default: the profile's)")
	warmup := fs.Duration("warmup", 0, "warm-up per case (default: the profile's)")
	out := fs.String("o", "", "write results to this file instead of stdout")
	match := fs.String("match", "", "only cases whose full name contains this string")
	paths := fs.String("paths", "", "comma-separated network paths of tcp and udp besides loopback: veth, netem, remote; none: loopback alone (default: veth; remote with -remote)")
	netem := fs.Duration("netem", 0, "one-way delay of path=netem (adds netem to the paths; default delay "+harness.NetemDelay.String()+")")
	remote := fs.String("remote", "", "host:port of an ipcbench peer -listen: measures tcp and udp against it (path=remote, pin=none) beside unix-stream, tcp and udp here")
	token := fs.String("token", "", "the token the remote peer was started with (-remote)")
	rates := fs.String("rates", "", "comma-separated offered rates of the Rate group in messages/s (default: the profile's, else 100,300,…,1000000)")
	if err := fs.Parse(args); err != nil {
		return &exitError{2, err}
	}
	if fs.NArg() > 0 {
		return &exitError{2, fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	p, err := bench.LookupProfile(*profile)
	if err != nil {
		return &exitError{2, err}
	}
	if err := applyPathFlags(&p, *paths, *netem, *remote, *token); err != nil {
		return &exitError{2, err}
	}
	if err := applyRunFlags(&p, *groups, *trs, *apis, *pins, *sizes, *count, *benchtime, *warmup); err != nil {
		return &exitError{2, err}
	}
	if *rates != "" {
		if p.Options.Rates, err = bench.ParseRates(*rates); err != nil {
			return &exitError{2, fmt.Errorf("-rates: %w", err)}
		}
	}
	if p.Options.Remote != nil {
		// A refused token or an unreachable peer stops the run here.
		if _, err := harness.DescribePath(harness.PathRemote, nil, p.Options.Remote); err != nil {
			return fmt.Errorf("-remote %s: %w", *remote, err)
		}
	}
	r := &bench.Runner{Profile: p, Match: *match, Progress: stderr}
	cases, err := r.Cases()
	if err != nil {
		return &exitError{2, err}
	}
	r.Out = stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		r.Out = f
	}
	_, err = r.Run(cases)
	return err
}

// groupNames lists the benchmark groups, comma-separated, in their order.
func groupNames() string {
	var n []string
	for _, g := range bench.Groups {
		n = append(n, g.Name)
	}
	return strings.Join(n, ", ")
}

// splitList splits a comma-separated flag value, dropping empty entries.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// applyPathFlags sets p's network paths from -paths, -netem, -remote and
// -token. With -remote, the profile becomes the comparison across the
// link: ping-pong and stream of unix-stream, tcp and udp here and of tcp
// and udp against the remote peer, at pin=none (the other flags narrow it
// further).
func applyPathFlags(p *bench.Profile, paths string, netem time.Duration, remote, token string) error {
	if paths != "" {
		ps, err := bench.ParsePaths(paths)
		if err != nil {
			return err
		}
		p.Options.Paths = ps
	}
	if netem < 0 {
		return fmt.Errorf("-netem %v: a delay must not be negative", netem)
	}
	if netem > 0 {
		p.Options.Netem = &netns.Netem{Delay: netem}
		if p.Options.Paths == nil {
			p.Options.Paths = slices.Clone(bench.DefaultPaths)
		}
		if !slices.Contains(p.Options.Paths, harness.PathNetem) {
			p.Options.Paths = append(p.Options.Paths, harness.PathNetem)
		}
	}
	if (remote == "") != (token == "") {
		return errors.New("-remote and -token go together: the address of an `ipcbench peer -listen` and the token it was started with")
	}
	if remote == "" {
		if slices.Contains(p.Options.Paths, harness.PathRemote) {
			return errors.New("-paths remote needs -remote and -token")
		}
		return nil
	}
	p.Options.Remote = &harness.Remote{Addr: remote, Token: token}
	if paths == "" {
		p.Options.Paths = []harness.Path{harness.PathRemote}
	} else if !slices.Contains(p.Options.Paths, harness.PathRemote) {
		p.Options.Paths = append(p.Options.Paths, harness.PathRemote)
	}
	p.Groups = []string{"PingPong", "Stream"}
	p.Options.Transports = []string{"unix-stream", "tcp", "udp"}
	p.Options.Pins = []harness.Pin{harness.PinNone}
	return nil
}

// applyRunFlags narrows p by the run command's flags (an empty or zero
// flag keeps the profile's choice), checking every name it is given.
func applyRunFlags(p *bench.Profile, groups, trs, apis, pins, sizes string, count int, benchtime, warmup time.Duration) error {
	if groups != "" {
		p.Groups = splitList(groups)
		for _, g := range p.Groups {
			if !slices.ContainsFunc(bench.Groups, func(x bench.Group) bool { return x.Name == g }) {
				return fmt.Errorf("unknown group %q (valid: %s)", g, groupNames())
			}
		}
	}
	if groups != "" || trs != "" || apis != "" || pins != "" || sizes != "" {
		p.Load = nil // a narrowed run runs the load groups only when -groups names them
	}
	if trs != "" {
		p.Options.Transports = splitList(trs)
		for _, t := range p.Options.Transports {
			if _, err := transports.Lookup(t); err != nil {
				return err
			}
		}
	}
	if apis != "" {
		p.Options.APIs = nil
		for _, a := range splitList(apis) {
			switch transports.API(a) {
			case transports.Raw, transports.Runtime, transports.ZeroCopy:
				p.Options.APIs = append(p.Options.APIs, transports.API(a))
			default:
				return fmt.Errorf("unknown api %q (valid: raw, runtime, zerocopy)", a)
			}
		}
	}
	if pins != "" {
		p.Options.Pins = nil
		for _, s := range splitList(pins) {
			pin, err := harness.ParsePin(s)
			if err != nil {
				return err
			}
			p.Options.Pins = append(p.Options.Pins, pin)
		}
	}
	if sizes != "" {
		s, err := bench.ParseSizes(sizes)
		if err != nil {
			return err
		}
		p.Options.Sizes = s
	}
	if count < 0 || benchtime < 0 || warmup < 0 {
		return errors.New("-count, -benchtime and -warmup must not be negative")
	}
	if count > 0 {
		p.Count = count
	}
	if benchtime > 0 {
		p.BenchTime = benchtime
	}
	if warmup > 0 {
		p.Warmup = warmup
	}
	return nil
}
