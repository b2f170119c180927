package reports

import (
	"fmt"
	"path"
	"strings"
	"unicode"
)

// slug turns a heading's text into an HTML id the way GitHub names the
// anchor of a Markdown heading, so that report.html#id and report.md#id
// on a forge lead to the same section: lower case, every character but
// letters, digits, marks, spaces, hyphens and underscores dropped, each
// space a hyphen ("Verdict on the article's claims" becomes
// "verdict-on-the-articles-claims", "pin=split (two processes on two
// CPUs)" becomes "pinsplit-two-processes-on-two-cpus").
func slug(text string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// tocID is the id of the table of contents in the HTML page, taken before
// any heading's.
const tocID = "contents"

// anchors are the ids of the HTML page, unique within it.
type anchors map[string]bool

// add returns base, or if the page has it already base-2, base-3, … (the
// first one free), and takes it. An empty base (a heading of punctuation
// only) becomes "section".
func (a anchors) add(base string) string {
	if base == "" {
		base = "section"
	}
	id := base
	for n := 2; a[id]; n++ {
		id = fmt.Sprintf("%s-%d", base, n)
	}
	a[id] = true
	return id
}

// ids gives each heading of the document the slug of its text and each
// image "chart-" and the slug of its file name without extension (so that
// a chart's anchor does not move when its title does), in document order,
// by block index.
func (rep *Report) ids() map[int]string {
	taken := anchors{tocID: true}
	ids := map[int]string{}
	for i, blk := range rep.doc {
		switch x := blk.(type) {
		case heading:
			ids[i] = taken.add(slug(x.Text))
		case imageBlock:
			ids[i] = taken.add("chart-" + slug(strings.TrimSuffix(x.Src, path.Ext(x.Src))))
		}
	}
	return ids
}
