// Package browser opens a page in headless Chromium, driven through the
// DevTools protocol (github.com/chromedp/chromedp), and reports what a
// reader of the page meets: images that do not decode, links to ids that
// are not there, anything referred to or fetched from outside the page;
// and it takes a screenshot of the first screen. ipcbench browse runs it
// on report.html, and so do the tests.
//
// Each Check starts its own browser with a fresh temporary profile and
// ends it before it returns: chromedp kills the browser when the check's
// time runs out, kills the processes that still use the profile and
// removes the profile's directory.
package browser

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// EnvBinary names the environment variable that, when set, names the
// Chromium executable instead of the search on PATH.
const EnvBinary = "IPCBENCH_CHROMIUM"

// names are the executables Find looks for on PATH, in order: Debian's,
// Ubuntu's and Google's builds.
var names = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// ErrNotFound is Find's error when there is no Chromium.
var ErrNotFound = errors.New("no Chromium found (on Debian: apt-get install chromium)")

// Find returns the Chromium executable: the one $IPCBENCH_CHROMIUM names,
// else the first of chromium, chromium-browser, google-chrome and
// google-chrome-stable on PATH; ErrNotFound when there is none.
func Find() (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		path, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvBinary, p, err)
		}
		return path, nil
	}
	for _, n := range names {
		if path, err := exec.LookPath(n); err == nil {
			return path, nil
		}
	}
	return "", ErrNotFound
}

// Options are a check's browser, screen and time.
type Options struct {
	// Binary is the Chromium executable (Find).
	Binary string
	// Width and Height are the screen's, in CSS pixels (one device
	// pixel each): the screenshot's size. 1280×900 if zero.
	Width, Height int
	// Timeout bounds the whole check, the browser's start and end
	// included: 30 s if zero. When it runs out the browser is killed.
	Timeout time.Duration
}

// An Image is one <img> of the page as the browser decoded it.
type Image struct {
	ID, Alt       string
	Embedded      bool // its src is a data: URI
	Decoded       bool // the browser decoded it (HTMLImageElement.decode resolved)
	Width, Height int  // its natural size, 0 if it did not decode
}

// A Link is one href="#…" of the page.
type Link struct {
	Href   string
	Target bool // an element with that id is there
}

// Findings are what Check found in a page.
type Findings struct {
	Images []Image
	Links  []Link
	// Outside lists every src or href that is neither a data: URI nor
	// a link within the page ("img src=chart.png"), and every request
	// the page made but for itself and data: URIs ("fetched
	// file:///…/chart.png"): none, for a page that reads with nothing
	// beside it.
	Outside []string
	// Screenshot is the first screen, PNG.
	Screenshot []byte
}

// Problems are the findings a reader would notice, one sentence each:
// an image that does not decode, a link without its target, anything
// from outside the page. None for a sound page.
func (f *Findings) Problems() []string {
	var out []string
	for _, im := range f.Images {
		if !im.Decoded || im.Width == 0 || im.Height == 0 {
			out = append(out, fmt.Sprintf("image %q (id %q) does not decode", im.Alt, im.ID))
		}
	}
	for _, l := range f.Links {
		if !l.Target {
			out = append(out, fmt.Sprintf("link %s has no target", l.Href))
		}
	}
	for _, o := range f.Outside {
		out = append(out, "from outside the page: "+o)
	}
	return out
}

//go:embed check.js
var checkJS string

// Check opens the HTML file page in a new headless browser, waits for it
// to load, takes a screenshot of the first screen, runs check.js in it
// and returns the findings. An error means the check could not be made
// (no browser, a page that does not load, the time ran out), not that the
// page has problems: those are Findings.Problems.
func Check(ctx context.Context, page string, opts Options) (*Findings, error) {
	if opts.Width == 0 || opts.Height == 0 {
		opts.Width, opts.Height = 1280, 900
	}
	if opts.Timeout == 0 {
		opts.Timeout = 30 * time.Second
	}
	abs, err := filepath.Abs(page)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	// Chromium's own temporary files (its single-instance socket directory,
	// org.chromium.Chromium.*) go into a directory of the check's, removed
	// once the browser has ended: a browser killed at its timeout leaves
	// them behind. The name is short: the socket's path, inside it, must
	// fit a Unix socket address (108 bytes).
	tmp, err := os.MkdirTemp("", "b")
	if err != nil {
		return nil, fmt.Errorf("browser: %w", err)
	}
	defer os.RemoveAll(tmp)
	// No user-data-dir: chromedp makes a temporary profile and removes it;
	// as root it adds --no-sandbox, which Chromium needs there.
	actx, acancel := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(opts.Binary),
		chromedp.WindowSize(opts.Width, opts.Height),
		chromedp.Env("TMPDIR="+tmp),
	)...)
	defer acancel() // waits for the browser to end and its profile to go
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()

	pageURL := (&url.URL{Scheme: "file", Path: abs}).String()
	var (
		mu      sync.Mutex
		fetched []string // every request but the page's own and data: URIs'
	)
	err = chromedp.Listen(bctx, func(ev any) {
		if r, ok := ev.(*network.EventRequestWillBeSent); ok && r.Request.URL != pageURL && !strings.HasPrefix(r.Request.URL, "data:") {
			mu.Lock()
			fetched = append(fetched, "fetched "+r.Request.URL)
			mu.Unlock()
		}
	})
	if err == nil {
		err = chromedp.Do(bctx, chromedp.EmulateViewport(int64(opts.Width), int64(opts.Height)), chromedp.Navigate(pageURL))
	}
	var shot []byte
	if err == nil {
		shot, err = chromedp.Run(bctx, chromedp.CaptureScreenshot())
	}
	var f Findings // check.js returns its fields but the screenshot
	if err == nil {
		f, err = chromedp.Run(bctx, chromedp.Evaluate[Findings](checkJS, chromedp.EvalAwaitPromise))
	}
	// Close the browser and wait for it, so that it is gone when Check
	// returns, whatever happened.
	if cerr := chromedp.Cancel(bctx); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("browser: %s in %s: %w", page, opts.Binary, err)
	}
	f.Screenshot = shot
	mu.Lock()
	f.Outside = append(f.Outside, fetched...)
	mu.Unlock()
	return &f, nil
}

// TB is the part of testing.TB that ForTest uses.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
}

// EnvTest names the environment variable that makes a missing Chromium a
// test failure: CI sets it.
const EnvTest = "IPCBENCH_BROWSER_TEST"

// ForTest returns the Chromium executable for a test that needs one. Without
// one the test is skipped, unless $IPCBENCH_BROWSER_TEST is set (to
// anything), and then it fails.
func ForTest(t TB) string {
	t.Helper()
	bin, err := Find()
	if err == nil {
		return bin
	}
	if _, set := os.LookupEnv(EnvTest); set {
		t.Fatalf("%s is set, and: %v", EnvTest, err)
	}
	t.Skipf("%v (with %s set this test fails instead)", err, EnvTest)
	return ""
}
