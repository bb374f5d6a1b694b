package report

import "strings"

// zeroWidthSpace parts "@" and "#" from what follows them. GitHub finds
// @-mentions and #-references in the rendered text, after the Markdown's
// backslash escapes are gone (github/markup#1168), so "\@team" still
// pings the team; an invisible character between them does not.
const zeroWidthSpace = "&#8203;"

// MarkdownEscape makes s safe to embed in GitHub Markdown, including a
// table cell: punctuation that Markdown or HTML would interpret is
// backslash-escaped, "&" becomes "&amp;" and line breaks become spaces, so
// repository content cannot add links, HTML, headings or table cells; and
// "@", "#" and "GH-" are followed by a zero-width space, so it cannot
// mention people or teams nor reference issues either. What a reader sees
// is the text as it was.
func MarkdownEscape(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	var prev, prev2 rune // the two runes of s before r
	for _, r := range s {
		switch r {
		case '\r', '\n':
			b.WriteByte(' ')
		case '&':
			b.WriteString("&amp;")
		case '@', '#':
			b.WriteByte('\\')
			b.WriteRune(r)
			b.WriteString(zeroWidthSpace)
		case '-':
			if (prev == 'H' || prev == 'h') && (prev2 == 'G' || prev2 == 'g') {
				b.WriteString(zeroWidthSpace) // GH-123 references issue 123
			}
			b.WriteString(`\-`)
		case '\\', '`', '*', '_', '{', '}', '[', ']', '(', ')', '<', '>', '+', '.', '!', '|', '~', ':', '=':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
		prev2, prev = prev, r
	}
	return b.String()
}
