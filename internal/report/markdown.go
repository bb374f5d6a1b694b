package report

import "strings"

// MarkdownEscape makes s safe to embed in GitHub Markdown, including a
// table cell: punctuation that Markdown or HTML would interpret is
// backslash-escaped, "&" becomes "&amp;" and line breaks become spaces, so
// repository content cannot add links, HTML, headings or table cells.
func MarkdownEscape(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		switch r {
		case '\r', '\n':
			b.WriteByte(' ')
		case '&':
			b.WriteString("&amp;")
		case '\\', '`', '*', '_', '{', '}', '[', ']', '(', ')', '<', '>', '#', '+', '-', '.', '!', '|', '~', ':', '@', '=':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
