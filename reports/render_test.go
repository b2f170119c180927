package reports

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestSlug(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"Verdict on the article's claims", "verdict-on-the-articles-claims"},
		{"Speed targets, round by round", "speed-targets-round-by-round"},
		{"pin=split (two processes on two CPUs)", "pinsplit-two-processes-on-two-cpus"},
		{"CPU per message by transport (Stream cpu-ns/op, pin=split)", "cpu-per-message-by-transport-stream-cpu-nsop-pinsplit"},
		{"snake_case ≤ 5 µs", "snake_case--5-µs"}, // as GitHub: the symbol goes, both spaces stay
	} {
		if got := slug(c.text); got != c.want {
			t.Errorf("slug(%q) = %q, want %q", c.text, got, c.want)
		}
	}
	a := anchors{}
	var got []string
	for _, base := range []string{"x", "x", "x-2", "x", "", ""} {
		got = append(got, a.add(base))
	}
	if want := []string{"x", "x-2", "x-2-2", "x-3", "section", "section-2"}; !slices.Equal(got, want) {
		t.Errorf("ids %q, want %q", got, want)
	}
}

// TestHTMLDuplicateHeadings: two headings of one text get two ids, a
// heading called like the table of contents does not take its id, and
// the contents link each of them.
func TestHTMLDuplicateHeadings(t *testing.T) {
	rep := &Report{doc: []block{
		heading{1, "T"}, para{"run"},
		heading{2, "Contents"}, heading{3, "pin=split"}, heading{2, "B"}, heading{3, "pin=split"},
	}}
	page, err := rep.HTML(nil)
	if err != nil {
		t.Fatal(err)
	}
	p := parsePage(t, page)
	if want := []string{"contents-2", "pinsplit", "b", "pinsplit-2"}; !slices.Equal(p.toc, want) || !slices.Equal(p.headings, want) {
		t.Errorf("contents %q, headings %q; want both %q", p.toc, p.headings, want)
	}
	if _, err := (&Report{doc: []block{imageBlock{"a.png", "a"}}}).HTML(nil); err == nil || !strings.Contains(err.Error(), "a.png") {
		t.Errorf("an image without its bytes: err %v, want one naming a.png", err)
	}
}

// TestHTMLPage checks the page Write makes from a real run: the title,
// then the run line (and any warning), then the answer, then the
// contents, which link every h2 and h3 heading (every chart's among them)
// in order; every link internal and its target there, every id once; every chart embedded once as a PNG,
// the same bytes as the file beside the page; nothing else referred to.
func TestHTMLPage(t *testing.T) {
	res, err := LoadFile(filepath.Join("testdata", "results.txt"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	paths, err := Write(dir, res, Options{Source: "results.txt"})
	if err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	p := parsePage(t, page)
	// Between the run line and the answer only paragraphs (warnings); the
	// contents right after the answer, before the verdict.
	if !regexp.MustCompile(`<body>\n<h1 id="[^"]+">ipcbench report</h1>\n<p>Run [^<]* · commit [0-9a-f]+ · [^<]*results\.txt[^<]*</p>\n(<p>[^<]*</p>\n)*<h2 id="the-answer[^"]*">The answer`).Match(page) {
		t.Error("the page does not open with the title, the run line and the answer")
	}
	if !regexp.MustCompile(`</table>\n(<p>[^<]*</p>\n)*<nav id="contents"[^>]*>(.|\n)*</nav>\n<h2 id="verdict-on-the-articles-claims"`).Match(page) {
		t.Error("the contents do not follow the answer, right before the verdict")
	}
	if !slices.Equal(p.toc, p.headings) || len(p.toc) < 20 {
		t.Errorf("contents link %q, want every h2 and h3 heading in order: %q", p.toc, p.headings)
	}
	charts := 0
	for _, path := range paths {
		if filepath.Ext(path) != ".png" {
			continue
		}
		charts++
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		id := "chart-" + strings.TrimSuffix(filepath.Base(path), ".png")
		if got, ok := p.images[id]; !ok || !bytes.Equal(got, want) {
			t.Errorf("image %s: embedded %v, want the %d bytes of %s", id, ok, len(want), path)
		}
	}
	if len(p.images) != charts || charts == 0 {
		t.Errorf("%d images embedded, want the %d charts written", len(p.images), charts)
	}
	// Each chart is the one image under its h3 heading, which the contents list.
	for _, m := range chartHeadingRe.FindAllSubmatch(page, -1) {
		if !slices.Contains(p.toc, string(m[1])) {
			t.Errorf("the contents do not list the chart %s (%s)", m[2], m[1])
		}
		delete(p.images, string(m[2]))
	}
	if len(p.images) > 0 {
		t.Errorf("charts without a heading of their own: %d", len(p.images))
	}
	for _, href := range p.hrefs {
		if !p.ids[strings.TrimPrefix(href, "#")] {
			t.Errorf("link %s has no target", href)
		}
	}
}

// A page is what parsePage finds in an HTML page that HTML wrote (one
// element per line, attributes double-quoted and escaped).
type page struct {
	nav      []byte            // the table of contents
	toc      []string          // the ids it links to, in order
	headings []string          // the ids of the h2 and h3 headings, in order
	hrefs    []string          // every link
	ids      map[string]bool   // every id
	images   map[string][]byte // the bytes of each image, by id
}

var (
	attrRe    = regexp.MustCompile(`\s(src|href|id)="([^"]*)"`)
	headingRe = regexp.MustCompile(`<h[23] id="([^"]*)">`)
	imgRe     = regexp.MustCompile(`<img id="([^"]*)" src="data:image/png;base64,([^"]*)"`)
	// chartHeadingRe is an h3 heading and the image right under it.
	chartHeadingRe = regexp.MustCompile(`<h3 id="([^"]*)">[^<]*</h3>\n<p><img id="([^"]*)"`)
)

// parsePage reads p and fails t on what no page may have: an id twice, a
// link or src that is not internal or embedded, an embedded image that is
// not a PNG, a stylesheet or script from anywhere.
func parsePage(t *testing.T, p []byte) page {
	t.Helper()
	out := page{ids: map[string]bool{}, images: map[string][]byte{}}
	for _, m := range attrRe.FindAllSubmatch(p, -1) {
		name, val := string(m[1]), string(m[2])
		switch {
		case name == "id" && out.ids[val]:
			t.Errorf("id %q twice", val)
		case name == "id":
			out.ids[val] = true
		case name == "href" && strings.HasPrefix(val, "#"):
			out.hrefs = append(out.hrefs, val)
		case name == "src" && strings.HasPrefix(val, "data:image/png;base64,"):
		default:
			t.Errorf("%s=%q: neither internal nor embedded", name, val)
		}
	}
	for _, bad := range []string{"url(", "<link", "<script", "@import"} {
		if bytes.Contains(p, []byte(bad)) {
			t.Errorf("the page has %s", bad)
		}
	}
	for _, m := range imgRe.FindAllSubmatch(p, -1) {
		data, err := base64.StdEncoding.DecodeString(string(m[2]))
		if err == nil {
			_, err = png.Decode(bytes.NewReader(data))
		}
		if err != nil {
			t.Errorf("image %s: %v", m[1], err)
		}
		out.images[string(m[1])] = data
	}
	if i, j := bytes.Index(p, []byte(`<nav id="contents"`)), bytes.Index(p, []byte("</nav>")); i >= 0 && j > i {
		out.nav = p[i:j]
		for _, m := range attrRe.FindAllSubmatch(out.nav, -1) {
			if string(m[1]) == "href" {
				out.toc = append(out.toc, strings.TrimPrefix(string(m[2]), "#"))
			}
		}
	} else {
		t.Error("no table of contents")
	}
	for _, m := range headingRe.FindAllSubmatch(p, -1) {
		out.headings = append(out.headings, string(m[1]))
	}
	return out
}
