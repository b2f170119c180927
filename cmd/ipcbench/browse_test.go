package main

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipcbench/ipcbench/internal/browser"
)

// TestBrowseReport does what make report does after a run, on the real
// run of reports/testdata: ipcbench report, then ipcbench browse, which
// finds every chart decoded and every internal link resolved in
// Chromium, and writes the first screen beside report.html.
func TestBrowseReport(t *testing.T) {
	browser.ForTest(t)
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := run(&out, &errb, []string{"report", "-o", dir, filepath.Join("..", "..", "reports", "testdata", "results.txt")}); code != 0 {
		t.Fatalf("report: exit %d, stderr: %s", code, errb.String())
	}
	charts, _ := filepath.Glob(filepath.Join(dir, "*.png"))
	out.Reset()
	page := filepath.Join(dir, "report.html")
	if code := run(&out, &errb, []string{"browse", page}); code != 0 {
		t.Fatalf("browse: exit %d, stderr: %s", code, errb.String())
	}
	shot := filepath.Join(dir, screenshotName)
	if want := fmt.Sprintf("%s in ", page); !strings.HasPrefix(out.String(), want) || !strings.Contains(out.String(), fmt.Sprintf(": %d images decoded, ", len(charts))) || !strings.HasSuffix(out.String(), "first screen: "+shot+"\n") {
		t.Errorf("browse printed %q, want the page, %d images decoded and the screenshot", out.String(), len(charts))
	}
	data, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", shot, err)
	}
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 900 {
		t.Errorf("%s: %dx%d, want 1280x900", shot, b.Dx(), b.Dy())
	}
}

// TestBrowseWithoutChromium: without Chromium, browse says so in one line
// and exits 0 (make report goes on); usage errors exit 2.
func TestBrowseWithoutChromium(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv(browser.EnvBinary, "")
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	os.WriteFile(page, []byte("<p>x</p>"), 0o644)
	var out, errb bytes.Buffer
	if code := run(&out, &errb, []string{"browse", page}); code != 0 || strings.Count(out.String(), "\n") != 1 || !strings.Contains(out.String(), "no Chromium found") {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 0 and one line saying there is no Chromium", code, out.String(), errb.String())
	}
	if _, err := os.Stat(filepath.Join(dir, screenshotName)); err == nil {
		t.Error("a screenshot without a browser")
	}
	if code := run(&out, &errb, []string{"browse"}); code != 2 {
		t.Errorf("no argument: exit %d, want 2", code)
	}
}
