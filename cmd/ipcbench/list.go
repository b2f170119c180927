package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/ipcbench/ipcbench/bench"
	"github.com/ipcbench/ipcbench/transports"
)

func init() {
	commands["list"] = command{summary: "list transports with their limits on this machine, and profiles", run: listCmd}
}

func listCmd(stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return &exitError{2, err}
	}
	tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "TRANSPORT\tFAMILY\tAPI\tMAX MESSAGE\tLOSSY\tLIMIT FROM\tDESCRIPTION")
	for _, name := range transports.Names() {
		info, _ := transports.Lookup(name)
		for _, api := range info.APIs {
			lim := info.Limits(api)
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%v\t%s\t%s\n", name, info.Family, api, lim.MaxMessage, lim.Lossy, lim.Source, info.Doc)
		}
	}
	tw.Flush()
	fmt.Fprintln(stdout, "\nprofiles:")
	for _, n := range bench.ProfileNames() {
		fmt.Fprintf(stdout, "  %-8s %s\n", n, bench.Profiles[n].Doc)
	}
	fmt.Fprintf(stdout, "\nbenchmark groups: %s\n", strings.Join(strings.Split(groupNames(), ", "), ", "))
	return nil
}
