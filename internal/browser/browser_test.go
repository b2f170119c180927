package browser

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// pngOf is a w×h PNG.
func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// writePage writes page.html, and any other files, into a new directory
// and returns the page's path.
func writePage(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "page.html")
}

// isolate points the temporary directory, where the browser's profile
// goes, to a new empty one, and at the end of the test checks that the
// browser left nothing: the directory empty, no process whose command
// line names it.
func isolate(t *testing.T) {
	t.Helper()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Cleanup(func() {
		if left, _ := os.ReadDir(tmp); len(left) > 0 {
			t.Errorf("the browser left %d entries in its temporary directory, %s first", len(left), left[0].Name())
		}
		procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
		for _, p := range procs {
			if cmd, err := os.ReadFile(p); err == nil && bytes.Contains(cmd, []byte(tmp)) {
				t.Errorf("a browser process is left: %s: %s", p, bytes.ReplaceAll(cmd, []byte{0}, []byte{' '}))
			}
		}
	})
}

func TestCheckSoundPage(t *testing.T) {
	bin := ForTest(t)
	isolate(t)
	img := base64.StdEncoding.EncodeToString(pngOf(t, 3, 2))
	page := writePage(t, map[string][]byte{"page.html": []byte(`<!DOCTYPE html><html><head><title>t</title></head><body>
<h1 id="top">t</h1><p><a href="#top">top</a> <a href="#a%20b">a b</a></p><p id="a b">x</p>
<img id="i" alt="dot" src="data:image/png;base64,` + img + `"></body></html>`)})
	f, err := Check(context.Background(), page, Options{Binary: bin, Width: 400, Height: 300})
	if err != nil {
		t.Fatal(err)
	}
	if p := f.Problems(); len(p) > 0 {
		t.Errorf("problems in a sound page: %q", p)
	}
	if want := []Image{{ID: "i", Alt: "dot", Embedded: true, Decoded: true, Width: 3, Height: 2}}; !slices.Equal(f.Images, want) {
		t.Errorf("images %+v, want %+v", f.Images, want)
	}
	if want := []Link{{"#top", true}, {"#a%20b", true}}; !slices.Equal(f.Links, want) {
		t.Errorf("links %+v, want %+v", f.Links, want)
	}
	shot, err := png.Decode(bytes.NewReader(f.Screenshot))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if b := shot.Bounds(); b.Dx() != 400 || b.Dy() != 300 {
		t.Errorf("screenshot %dx%d, want the screen, 400x300", b.Dx(), b.Dy())
	}
}

// TestCheckFindsProblems: an image that does not decode, a link to an id
// that is not there, and a stylesheet and an image from beside the page
// (which load here, and would not once the page is mailed) are all found.
func TestCheckFindsProblems(t *testing.T) {
	bin := ForTest(t)
	isolate(t)
	page := writePage(t, map[string][]byte{
		"page.html": []byte(`<!DOCTYPE html><html><head><link rel="stylesheet" href="style.css"></head><body>
<p id="here"><a href="#here">here</a> <a href="#nowhere">nowhere</a></p>
<img id="garbage" alt="garbage" src="data:image/png;base64,AAAA">
<img id="beside" alt="beside" src="beside.png"></body></html>`),
		"style.css":  []byte("p{color:#333}"),
		"beside.png": pngOf(t, 5, 4),
	})
	f, err := Check(context.Background(), page, Options{Binary: bin})
	if err != nil {
		t.Fatal(err)
	}
	want := []Image{
		{ID: "garbage", Alt: "garbage", Embedded: true},
		{ID: "beside", Alt: "beside", Decoded: true, Width: 5, Height: 4},
	}
	if !slices.Equal(f.Images, want) {
		t.Errorf("images %+v, want %+v", f.Images, want)
	}
	p := strings.Join(f.Problems(), "\n")
	for _, w := range []string{
		`image "garbage" (id "garbage") does not decode`,
		"link #nowhere has no target",
		"from outside the page: link href=style.css",
		"from outside the page: img src=beside.png",
		"from outside the page: fetched file://" + filepath.Dir(page) + "/beside.png",
	} {
		if !strings.Contains(p, w) {
			t.Errorf("problems lack %q:\n%s", w, p)
		}
	}
	if strings.Contains(p, "#here") || strings.Contains(p, `"beside" (id "beside") does not decode`) {
		t.Errorf("a sound link or image reported:\n%s", p)
	}
}

// TestCheckTimeout: a check whose time runs out fails, and ends its
// browser all the same (isolate checks).
func TestCheckTimeout(t *testing.T) {
	bin := ForTest(t)
	isolate(t)
	page := writePage(t, map[string][]byte{"page.html": []byte("<p>x</p>")})
	start := time.Now()
	_, err := Check(context.Background(), page, Options{Binary: bin, Timeout: 50 * time.Millisecond})
	if err == nil {
		t.Fatal("a check of 50 ms succeeded")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a check of 50 ms: %v, want its deadline exceeded (not a browser that failed to start)", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the timed-out check took %v to return", d)
	}
}

func TestFind(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv(EnvBinary, "")
	if _, err := Find(); err != ErrNotFound {
		t.Errorf("empty PATH: err %v, want ErrNotFound", err)
	}
	t.Setenv(EnvBinary, "/nonexistent/chromium")
	if _, err := Find(); err == nil || !strings.Contains(err.Error(), EnvBinary) {
		t.Errorf("%s naming nothing: err %v, want one naming the variable", EnvBinary, err)
	}
}

// recorder is a TB that records what ForTest called.
type recorder struct{ fatal, skip bool }

func (r *recorder) Helper()               {}
func (r *recorder) Fatalf(string, ...any) { r.fatal = true }
func (r *recorder) Skipf(string, ...any)  { r.skip = true }

// TestForTest: without Chromium a test skips, but fails when
// IPCBENCH_BROWSER_TEST is set, even to nothing.
func TestForTest(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv(EnvBinary, "")
	t.Setenv(EnvTest, "") // so that the test's end restores it
	os.Unsetenv(EnvTest)
	var r recorder
	ForTest(&r)
	if r.fatal || !r.skip {
		t.Errorf("%s unset: fatal %v, skip %v; want a skip", EnvTest, r.fatal, r.skip)
	}
	for _, v := range []string{"1", ""} {
		t.Setenv(EnvTest, v)
		r = recorder{}
		ForTest(&r)
		if !r.fatal {
			t.Errorf("%s=%q: no failure", EnvTest, v)
		}
	}
}
