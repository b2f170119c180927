package reports

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"image"
	"image/png"
	"strings"
	"sync"
)

// The report is a list of blocks rendered twice: as Markdown (images by
// relative path, the PNG files beside it) and as a self-contained HTML
// page (inline style, images embedded, a table of contents).
type block interface{}

type heading struct {
	Level int
	Text  string
}

type para struct{ Text string }

type list struct{ Items []string }

// A table cell may hold several lines separated by "\n".
type table struct {
	Header []string
	Rows   [][]string
	Class  string // HTML class of the table, if any
}

type imageBlock struct{ Src, Alt string }

// Markdown returns the report as Markdown.
func (rep *Report) Markdown() []byte {
	var b bytes.Buffer
	for i, blk := range rep.doc {
		if i > 0 {
			b.WriteString("\n")
		}
		switch x := blk.(type) {
		case heading:
			fmt.Fprintf(&b, "%s %s\n", strings.Repeat("#", x.Level), x.Text)
		case para:
			fmt.Fprintf(&b, "%s\n", x.Text)
		case list:
			for _, it := range x.Items {
				fmt.Fprintf(&b, "- %s\n", it)
			}
		case imageBlock:
			fmt.Fprintf(&b, "![%s](%s)\n", x.Alt, x.Src)
		case table:
			row := func(cells []string) {
				b.WriteString("|")
				for _, c := range cells {
					c = strings.ReplaceAll(c, "|", "\\|")
					c = strings.ReplaceAll(c, "\n", "<br>")
					b.WriteString(" " + c + " |")
				}
				b.WriteString("\n")
			}
			row(x.Header)
			b.WriteString("|")
			for range x.Header {
				b.WriteString("---|")
			}
			b.WriteString("\n")
			for _, r := range x.Rows {
				row(r)
			}
		}
	}
	return b.Bytes()
}

const htmlStyle = `body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;max-width:1180px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
table{border-collapse:collapse;margin:1em 0;font-size:0.92em}
th,td{border:1px solid #ccc;padding:0.35em 0.6em;vertical-align:top;text-align:left}
th{background:#f3f3f3}
tr:nth-child(even) td{background:#fafafa}
img{max-width:100%;height:auto;border:1px solid #ddd}
h1,h2,h3{line-height:1.2}
nav.toc{background:#f7f7f7;border:1px solid #ddd;padding:0.4em 1.2em;margin:1em 0;font-size:0.92em}
nav.toc>p{font-weight:bold;margin:0.3em 0}
nav.toc ol{margin:0.1em 0;padding-left:1.6em}
nav.toc>ol{columns:2;column-gap:2.5em}
nav.toc li{break-inside:avoid-column}
nav.toc ol ol{list-style:disc}
h2{border-bottom:1px solid #ddd;padding-bottom:0.2em;margin-top:1.8em}
table tr td.v-holds{background:#e6f4e6}
table tr td.v-holds-only-when{background:#fff6d6}
table tr td.v-does-not-hold{background:#fbe3e3}
table tr td.v-not-measured-here{background:#eeeeee}
td div{margin-bottom:0.35em}
table.verdict td:nth-child(2){width:16%}
table.verdict td:nth-child(3){width:46%}
table.verdict td:nth-child(4){width:34%}`

// HTML returns the report as one self-contained HTML page, which reads
// offline with nothing beside it: inline style, and every chart embedded
// as a data: URI of its PNG bytes, images[file] (PNGs renders them). The
// title comes first, then the run line (the document's first paragraph)
// and the first section (the answer), then a table of contents (id
// "contents") that links every h2 and h3 heading, the charts' among them. Headings have the ids of their text
// (slug), charts "chart-<file name without .png>". It fails if images
// lacks a chart of the document.
func (rep *Report) HTML(images map[string][]byte) ([]byte, error) {
	var b bytes.Buffer
	title := "ipcbench report"
	for _, blk := range rep.doc {
		if h, ok := blk.(heading); ok && h.Level == 1 {
			title = h.Text
			break
		}
	}
	e := html.EscapeString
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>%s</title>\n<style>\n%s\n</style>\n</head>\n<body>\n", e(title), htmlStyle)
	verdicts := map[string]Status{}
	for _, v := range rep.Verdicts {
		verdicts[v.Text()] = v.Status
	}
	ids := rep.ids()
	tocDone, h2s := false, 0
	for i, blk := range rep.doc {
		switch x := blk.(type) {
		case heading:
			if x.Level == 2 {
				h2s++
			}
			if h2s == 2 && !tocDone {
				rep.toc(&b, ids)
				tocDone = true
			}
			fmt.Fprintf(&b, "<h%d id=\"%s\">%s</h%d>\n", x.Level, ids[i], e(x.Text), x.Level)
		case para:
			fmt.Fprintf(&b, "<p>%s</p>\n", e(x.Text))
		case list:
			b.WriteString("<ul>\n")
			for _, it := range x.Items {
				fmt.Fprintf(&b, "<li>%s</li>\n", e(it))
			}
			b.WriteString("</ul>\n")
		case imageBlock:
			data, ok := images[x.Src]
			if !ok {
				return nil, fmt.Errorf("reports: HTML: no PNG bytes for the chart %s", x.Src)
			}
			fmt.Fprintf(&b, "<p><img id=\"%s\" src=\"data:image/png;base64,%s\" alt=\"%s\"></p>\n", ids[i], base64.StdEncoding.EncodeToString(data), e(x.Alt))
		case table:
			if x.Class != "" {
				fmt.Fprintf(&b, "<table class=\"%s\">\n<tr>", e(x.Class))
			} else {
				b.WriteString("<table>\n<tr>")
			}
			for _, h := range x.Header {
				fmt.Fprintf(&b, "<th>%s</th>", e(h))
			}
			b.WriteString("</tr>\n")
			for _, r := range x.Rows {
				b.WriteString("<tr>")
				for _, c := range r {
					class := ""
					if st, ok := verdicts[c]; ok {
						class = fmt.Sprintf(" class=\"v-%s\"", strings.ReplaceAll(st.String(), " ", "-"))
					}
					lines := strings.Split(c, "\n")
					cell := e(c)
					if len(lines) > 1 {
						for i := range lines {
							lines[i] = "<div>" + e(lines[i]) + "</div>"
						}
						cell = strings.Join(lines, "")
					}
					fmt.Fprintf(&b, "<td%s>%s</td>", class, cell)
				}
				b.WriteString("</tr>\n")
			}
			b.WriteString("</table>\n")
		}
	}
	if !tocDone {
		rep.toc(&b, ids)
	}
	b.WriteString("</body>\n</html>\n")
	return b.Bytes(), nil
}

// toc writes the table of contents: a numbered list of the h2 headings,
// each with the h3 headings under it as a list of its own, every entry a
// link to its heading's id.
func (rep *Report) toc(b *bytes.Buffer, ids map[int]string) {
	fmt.Fprintf(b, "<nav id=\"%s\" class=\"toc\" aria-label=\"Contents\">\n<p>Contents</p>\n<ol>\n", tocID)
	item, sub := false, false // an entry's <li> is open; a list of h3 entries is open
	for i, blk := range rep.doc {
		h, ok := blk.(heading)
		if !ok || h.Level < 2 || h.Level > 3 {
			continue
		}
		link := fmt.Sprintf("<a href=\"#%s\">%s</a>", ids[i], html.EscapeString(h.Text))
		if h.Level == 2 {
			if sub {
				b.WriteString("</ol>\n")
				sub = false
			}
			if item {
				b.WriteString("</li>\n")
			}
			b.WriteString("<li>" + link)
			item = true
			continue
		}
		if !item {
			b.WriteString("<li>")
			item = true
		}
		if !sub {
			b.WriteString("\n<ol>\n")
			sub = true
		}
		b.WriteString("<li>" + link + "</li>\n")
	}
	if sub {
		b.WriteString("</ol>\n")
	}
	if item {
		b.WriteString("</li>\n")
	}
	b.WriteString("</ol>\n</nav>\n")
}

// PNGs renders every chart of the report: its PNG bytes by file name
// (Chart.File), for HTML to embed and Write to put beside the report.
func (rep *Report) PNGs() (map[string][]byte, error) {
	out := make(map[string][]byte, len(rep.Charts))
	for _, c := range rep.Charts {
		wt, err := c.WriterTo()
		if err != nil {
			return nil, fmt.Errorf("reports: chart %s: %w", c.File, err)
		}
		var buf bytes.Buffer
		if _, err := wt.WriteTo(&buf); err != nil {
			return nil, fmt.Errorf("reports: chart %s: %w", c.File, err)
		}
		out[c.File] = buf.Bytes()
	}
	return out, nil
}

// PlaceholderImages stands the same 1×1 white PNG in for every chart of
// the report, by file name: for HTML where only the page's text matters
// (golden files, comparisons of two reports), which the real charts'
// bytes, most of the page, would only bury. The PNG is stored without
// compression, so its bytes do not depend on a zlib implementation.
func (rep *Report) PlaceholderImages() map[string][]byte {
	out := make(map[string][]byte, len(rep.Charts))
	for _, c := range rep.Charts {
		out[c.File] = placeholderPNG()
	}
	return out
}

var placeholderPNG = sync.OnceValue(func() []byte {
	img := image.NewGray(image.Rect(0, 0, 1, 1))
	img.Pix[0] = 0xff
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.NoCompression}
	if err := enc.Encode(&buf, img); err != nil {
		panic(err) // a 1×1 image into memory cannot fail
	}
	return buf.Bytes()
})
