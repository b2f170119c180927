package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/ipcbench/ipcbench/reports"
)

func init() {
	commands["verdict"] = command{
		summary: "print the verdict on each claim of the article, one line per claim (-json: as JSON)",
		run:     verdictCmd,
	}
}

// verdictLine is one claim's verdict as `ipcbench verdict -json` prints it.
type verdictLine struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	Condition string `json:"condition,omitempty"`
}

// verdictCmd implements `ipcbench verdict [-json] [-targets <file>]
// <results-file>` (flags before or after the file): the verdicts of the
// report (reports.Verdicts), one line per claim (id, status, condition),
// and with -targets one line per speed target judged on that file (id
// "target:<name>", the outcome), so that two runs' verdicts can be
// diffed; with -rankings one line per cell of the fastest tables
// (reports.Rankings: the id, the best transport as status, the set of
// those not distinguishable from it as condition).
func verdictCmd(stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("verdict", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the verdicts as a JSON array of {id, status, condition}")
	targetsFile := fs.String("targets", "", "also judge the speed targets on this results file (a run of -profile targets)")
	rankings := fs.Bool("rankings", false, "also print each cell of the report's fastest tables: id rank:pin=…/size=…/<column>, the best transport, and every transport not distinguishable from it (the best included, sorted)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ipcbench verdict [-json] [-rankings] [-targets <file>] <results-file>")
		fs.PrintDefaults()
	}
	file, err := oneFileArg(fs, args)
	if file == "" {
		return err
	}
	res, err := reports.LoadFile(file)
	if err != nil {
		return &exitError{2, err}
	}
	var lines []verdictLine
	for _, v := range reports.Verdicts(res) {
		lines = append(lines, verdictLine{ID: v.ID, Status: v.Status.String(), Condition: v.Condition})
	}
	if *targetsFile != "" {
		tres, err := reports.LoadFile(*targetsFile)
		if err != nil {
			return &exitError{2, fmt.Errorf("-targets: %w", err)}
		}
		for _, t := range reports.Targets(tres) {
			lines = append(lines, verdictLine{ID: "target:" + t.Target.ID, Status: t.Outcome, Condition: t.Why})
		}
	}
	if *rankings {
		for _, k := range reports.Rankings(res) {
			lines = append(lines, verdictLine{ID: k.ID(), Status: k.Best, Condition: strings.Join(k.Set, ",")})
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(lines)
	}
	for _, l := range lines {
		if l.Condition == "" {
			fmt.Fprintf(stdout, "%s\t%s\n", l.ID, l.Status)
			continue
		}
		fmt.Fprintf(stdout, "%s\t%s\t%s\n", l.ID, l.Status, l.Condition)
	}
	return nil
}
