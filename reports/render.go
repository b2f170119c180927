package reports

import (
	"bytes"
	"fmt"
	"html"
	"strings"
)

// The report is a list of blocks rendered twice: as Markdown and as a
// self-contained HTML page (inline style, images by relative path).
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
h2{border-bottom:1px solid #ddd;padding-bottom:0.2em;margin-top:1.8em}
table tr td.v-holds{background:#e6f4e6}
table tr td.v-holds-only-when{background:#fff6d6}
table tr td.v-does-not-hold{background:#fbe3e3}
table tr td.v-not-measured-here{background:#eeeeee}
td div{margin-bottom:0.35em}
table.verdict td:nth-child(2){width:16%}
table.verdict td:nth-child(3){width:46%}
table.verdict td:nth-child(4){width:34%}`

// HTML returns the report as one HTML page that reads offline: no
// external assets, images by relative path beside it.
func (rep *Report) HTML() []byte {
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
	for _, blk := range rep.doc {
		switch x := blk.(type) {
		case heading:
			fmt.Fprintf(&b, "<h%d>%s</h%d>\n", x.Level, e(x.Text), x.Level)
		case para:
			fmt.Fprintf(&b, "<p>%s</p>\n", e(x.Text))
		case list:
			b.WriteString("<ul>\n")
			for _, it := range x.Items {
				fmt.Fprintf(&b, "<li>%s</li>\n", e(it))
			}
			b.WriteString("</ul>\n")
		case imageBlock:
			fmt.Fprintf(&b, "<p><img src=\"%s\" alt=\"%s\"></p>\n", e(x.Src), e(x.Alt))
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
	b.WriteString("</body>\n</html>\n")
	return b.Bytes()
}
