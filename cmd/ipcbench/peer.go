package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/ipcbench/ipcbench/harness"
)

func init() {
	commands["peer"] = command{
		summary: "serve the peer side for `run -remote` on this host: peer -listen <addr> -token <t>",
		run:     peerCmd,
	}
}

// peerCmd serves remote peers (harness.ServePeers) until SIGINT or
// SIGTERM, then kills the peers still running and returns nil.
func peerCmd(stdout, stderr io.Writer, args []string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return servePeers(ctx, stdout, stderr, args)
}

// servePeers is peerCmd until ctx is done: it prints the address it
// listens on to stdout, logs the sessions to stderr.
func servePeers(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("peer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "", "`address` to accept control connections on, host:port (e.g. :7071; port 0 picks one)")
	token := fs.String("token", "", fmt.Sprintf("the shared secret `token`, at least %d bytes: `ipcbench run -remote` gives the same", harness.MinTokenLen))
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: ipcbench peer -listen <addr> -token <t>\n\n"+
			"Runs the peer side of the socket transports for `ipcbench run -remote <addr> -token <t>`\n"+
			"on another host: one peer process per accepted control connection, until SIGINT or SIGTERM.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil
		}
		return &exitError{2, err}
	}
	if fs.NArg() > 0 {
		return &exitError{2, fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	if *listen == "" {
		return &exitError{2, fmt.Errorf("-listen is required: the host:port to accept control connections on")}
	}
	if *token == "" {
		return &exitError{2, fmt.Errorf("-token is required: a secret of at least %d bytes that `run -remote` gives too, so that no one else's connection is taken for a peer; for example -token %s", harness.MinTokenLen, harness.NewToken())}
	}
	if len(*token) < harness.MinTokenLen {
		return &exitError{2, fmt.Errorf("-token of %d bytes: want at least %d (for example -token %s)", len(*token), harness.MinTokenLen, harness.NewToken())}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ipcbench peer: listening on %s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- harness.ServePeers(ln, *token, stderr) }()
	select {
	case err := <-errc:
		ln.Close()
		return err
	case <-ctx.Done():
		fmt.Fprintf(stderr, "ipcbench peer: stopping: %v\n", context.Cause(ctx))
		ln.Close()
		return <-errc
	}
}
