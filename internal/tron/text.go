package tron

import (
	"fmt"
	"unicode"
)

// Error is a value tronfig rejects, with what is wrong with it. Msg is a
// lower-case phrase that names the part at fault and, where there is one,
// the accepted form.
type Error struct {
	Msg string
}

func (e *Error) Error() string { return e.Msg }

func errorf(format string, args ...any) *Error {
	return &Error{Msg: fmt.Sprintf(format, args...)}
}

// isSpace is Python's str.isspace, which str.split, str.strip and the
// regular expression \s use: Go's unicode.IsSpace plus the four ASCII
// separators U+001C to U+001F.
func isSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// isDigit is Python's \d in a text pattern: any Unicode decimal digit
// (category Nd), all of which int() reads.
func isDigit(r rune) bool { return unicode.Is(unicode.Nd, r) }

// digitValue is the value of a decimal digit: Unicode encodes each
// script's digits as a run of ten code points starting at zero, and the
// Nd table's ranges start at a zero.
func digitValue(r rune) int {
	if r >= '0' && r <= '9' {
		return int(r - '0')
	}
	for _, rg := range unicode.Nd.R16 {
		if rune(rg.Lo) <= r && r <= rune(rg.Hi) {
			return int(r-rune(rg.Lo)) % 10
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if rune(rg.Lo) <= r && r <= rune(rg.Hi) {
			return int(r-rune(rg.Lo)) % 10
		}
	}
	return 0
}

// number reads a run of decimal digits as int() does; ok is false when it
// exceeds limit (the caller's bound, so that no value overflows).
func number(digits []rune, limit int64) (n int64, ok bool) {
	for _, r := range digits {
		n = n*10 + int64(digitValue(r))
		if n > limit {
			return 0, false
		}
	}
	return n, true
}

// fields is Python's str.split() with no argument.
func fields(s []rune) [][]rune {
	var out [][]rune
	start := -1
	for i, r := range s {
		switch {
		case isSpace(r) && start >= 0:
			out = append(out, s[start:i])
			start = -1
		case !isSpace(r) && start < 0:
			start = i
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

// trim is Python's str.strip() with no argument.
func trim(s []rune) []rune {
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// lowerASCII folds ASCII letters only. Python's str.lower folds every
// script, but no other character folds onto the ASCII letters these
// grammars use, so the verdicts are the same.
func lowerASCII(s []rune) []rune {
	out := make([]rune, len(s))
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
		out[i] = r
	}
	return out
}

func hasPrefix(s []rune, p string) bool {
	i := 0
	for _, r := range p {
		if i >= len(s) || s[i] != r {
			return false
		}
		i++
	}
	return true
}

func skipSpace(s []rune, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

func skipDigits(s []rune, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}
