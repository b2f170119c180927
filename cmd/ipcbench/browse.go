package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ipcbench/ipcbench/internal/browser"
)

func init() {
	commands["browse"] = command{
		summary: "open report.html in headless Chromium: check its images and links, screenshot the first screen",
		run:     runBrowse,
	}
}

// screenshotName is the file browse writes beside the page it checks.
const screenshotName = "report-first-screen.png"

// runBrowse implements `ipcbench browse [-o file] <report.html>`.
func runBrowse(stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("browse", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "write the screenshot here (default: "+screenshotName+" beside the page)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ipcbench browse [-o screenshot.png] <report.html>")
		fmt.Fprintln(stderr, "Opens the page in headless Chromium ($"+browser.EnvBinary+", else chromium on PATH),")
		fmt.Fprintln(stderr, "checks that every image decodes, every internal link has its target and nothing")
		fmt.Fprintln(stderr, "comes from outside the page, and writes a screenshot of the first screen (1280×900).")
		fmt.Fprintln(stderr, "Without Chromium it says so in one line and exits 0; a problem in the page exits 1.")
		fs.PrintDefaults()
	}
	page, ok, err := parseOne(fs, args, "HTML file")
	if !ok {
		return err
	}
	shotPath := *out
	if shotPath == "" {
		shotPath = filepath.Join(filepath.Dir(page), screenshotName)
	}
	bin, err := browser.Find()
	if errors.Is(err, browser.ErrNotFound) {
		fmt.Fprintf(stdout, "%v: %s not checked in a browser, no %s\n", err, page, filepath.Base(shotPath))
		return nil
	}
	if err != nil {
		return err
	}
	f, err := browser.Check(context.Background(), page, browser.Options{Binary: bin})
	if err != nil {
		return err
	}
	if err := os.WriteFile(shotPath, f.Screenshot, 0o644); err != nil {
		return err
	}
	if p := f.Problems(); len(p) > 0 {
		fmt.Fprintln(stderr, strings.Join(p, "\n"))
		return fmt.Errorf("%s: %d problems in the browser (first screen: %s)", page, len(p), shotPath)
	}
	fmt.Fprintf(stdout, "%s in %s: %d images decoded, %d internal links resolved, nothing from outside; first screen: %s\n",
		page, filepath.Base(bin), len(f.Images), len(f.Links), shotPath)
	return nil
}
