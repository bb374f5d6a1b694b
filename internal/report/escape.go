package report

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxMessageRunes bounds one message in the text sinks (terminal, hook,
// workflow commands, check-run text): a value a repository controls (a
// 100,000-digit number, a huge key) cannot flood a terminal or a CI log.
// The cut is marked with an ellipsis and the count of runes left out.
const MaxMessageRunes = 1000

// Escape makes text that may hold repository content safe to print: C0
// and C1 control characters but tab and newline (ESC starts terminal
// escape sequences, CR rewrites a line), DEL, the Unicode bidirectional
// overrides and isolates (which reorder what a reader sees) and bytes that
// are not UTF-8 are shown escaped (\x1b, \u202e), never emitted. Newlines
// stay: the sinks indent or encode continuation lines themselves. The
// result is cut at [MaxMessageRunes].
func Escape(s string) string {
	if isPlain(s) && utf8.RuneCountInString(s) <= MaxMessageRunes {
		return s
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if n == MaxMessageRunes {
			fmt.Fprintf(&b, "… (%d more characters)", utf8.RuneCountInString(s[i:]))
			break
		}
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\t' || r == '\n':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r <= 0x9f, isBidiControl(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
		n++
	}
	return b.String()
}

// isPlain reports whether s needs no escaping.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f {
			return !strings.ContainsFunc(s, needsEscape) && utf8.ValidString(s)
		}
	}
	return true
}

func needsEscape(r rune) bool {
	return (r < 0x20 && r != '\t' && r != '\n') || r == 0x7f || (r >= 0x80 && r <= 0x9f) || isBidiControl(r)
}

// isBidiControl reports the Unicode bidirectional formatting characters
// (the "Trojan Source" set): LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI,
// and the marks LRM, RLM, ALM.
func isBidiControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}

// lines splits escaped text into its lines, each safe to print as a line
// of its own: one that would begin with "::" (a GitHub Actions workflow
// command, which the runner executes wherever a log line starts with it,
// and a file name may) has its first colon escaped.
func lines(msg string) []string {
	ls := strings.Split(msg, "\n")
	for i := range ls {
		if t := strings.TrimLeft(ls[i], " \t"); strings.HasPrefix(t, "::") {
			ls[i] = ls[i][:len(ls[i])-len(t)] + `\x3a` + t[1:]
		}
	}
	return ls
}
