// Package fix applies the suggested fixes of contractbot's findings to
// files: edits are resolved against each file's text, checked for
// conflicts, applied in one pass that keeps the file's line endings, final
// newline and byte-order mark, and written back atomically without
// following a symbolic link.
package fix

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/contractbot/contractbot/internal/checks"
)

// ErrNotText is returned for a file the applier will not edit: it is not
// UTF-8 text (a NUL byte, or bytes that are not UTF-8, such as UTF-16 or
// Latin-1), so byte columns and line-based edits would not mean what the
// rule meant.
var ErrNotText = errors.New("not a UTF-8 text file")

// ConflictError says that an edit overlaps an edit already accepted from
// another fix, so its fix was not applied.
type ConflictError struct {
	Path string
	Line int
	// With is the message of the fix that holds the range.
	With string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s:%d: the edit overlaps the fix %q", e.Path, e.Line, e.With)
}

// EditError says that an edit does not fit the file it names (a line past
// the end, a column past its line, a whole-line text without its final
// newline).
type EditError struct {
	Path string
	Line int
	Msg  string
}

func (e *EditError) Error() string { return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg) }

// span is a resolved edit: bytes [start, end) of the original text become
// text, already in the file's line ending.
type span struct {
	start, end int
	text       string
	line       int    // the edit's first line, for messages
	fix        string // the message of the fix the edit belongs to
}

func (a span) same(b span) bool { return a.start == b.start && a.end == b.end && a.text == b.text }

// overlaps reports whether a and b cannot both be applied: their ranges
// share a byte, one inserts strictly inside the other's range, or both
// insert different text at one point (their order would be a guess).
// Ranges that only touch do not overlap.
func (a span) overlaps(b span) bool {
	if a.start == a.end && b.start == b.end {
		return a.start == b.start && a.text != b.text
	}
	return a.start < b.end && b.start < a.end
}

// text is one file's original content and the edits accepted for it.
type text struct {
	path   string
	src    []byte
	starts []int // starts[i] is the offset of line i+1; starts[n] == len(src)
	eol    string
	spans  []span
}

func newText(path string, src []byte) (*text, error) {
	if bytes.IndexByte(src, 0) >= 0 || !utf8.Valid(src) {
		return nil, fmt.Errorf("%s: %w", path, ErrNotText)
	}
	t := &text{path: path, src: src, starts: []int{0}, eol: "\n"}
	crlf, lf := 0, 0
	for i, c := range src {
		if c != '\n' {
			continue
		}
		if i > 0 && src[i-1] == '\r' {
			crlf++
		} else {
			lf++
		}
		if i+1 < len(src) {
			t.starts = append(t.starts, i+1)
		}
	}
	if len(src) > 0 {
		t.starts = append(t.starts, len(src))
	}
	if crlf > lf {
		t.eol = "\r\n"
	}
	return t, nil
}

// lines is the number of lines; a final line without a newline counts, a
// final newline does not start one.
func (t *text) lines() int { return len(t.starts) - 1 }

const bom = "\uFEFF"

func (t *text) bomLen() int {
	if bytes.HasPrefix(t.src, []byte(bom)) {
		return len(bom)
	}
	return 0
}

func (t *text) endsInNewline() bool { return len(t.src) > 0 && t.src[len(t.src)-1] == '\n' }

// toEOL writes s's newlines in the file's line ending.
func (t *text) toEOL(s string) string {
	if t.eol == "\n" {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\n", t.eol)
}

// resolve turns e into a span of t (see [checks.TextEdit] for the
// meaning of its positions).
func (t *text) resolve(e checks.TextEdit, fixMsg string) (span, error) {
	bad := func(format string, args ...any) (span, error) {
		return span{}, &EditError{Path: t.path, Line: e.Line, Msg: fmt.Sprintf(format, args...)}
	}
	n := t.lines()
	if e.Column == 0 && e.EndColumn == 0 {
		switch {
		case e.Line < 1 || e.Line > n+1:
			return bad("line %d is outside the file's %d lines", e.Line, n)
		case e.EndLine < e.Line-1 || e.EndLine > n:
			return bad("lines %d-%d are outside the file's %d lines", e.Line, e.EndLine, n)
		case e.NewText != "" && !strings.HasSuffix(e.NewText, "\n"):
			return bad("a whole-line edit's text must end with a newline")
		}
		s := span{start: t.starts[e.Line-1], end: t.starts[e.EndLine], text: t.toEOL(e.NewText), line: e.Line, fix: fixMsg}
		if b := t.bomLen(); s.start < b {
			// Line 1 starts after the byte-order mark, which stays.
			s.start, s.end = b, max(s.end, b)
		}
		if s.start == len(t.src) && len(t.src) > 0 && !t.endsInNewline() && s.text != "" {
			// Lines after a last line that has no newline: end it first.
			s.text = t.eol + s.text
		}
		return s, nil
	}
	off := func(line, col int) (int, bool) {
		if line == n+1 && col == 1 {
			return len(t.src), true // the end of the file, after its last newline
		}
		if line < 1 || line > n || col < 1 {
			return 0, false
		}
		o := t.starts[line-1] + col - 1
		return o, o <= t.starts[line]
	}
	start, ok1 := off(e.Line, e.Column)
	end, ok2 := off(e.EndLine, e.EndColumn)
	switch {
	case !ok1:
		return bad("column %d is outside line %d", e.Column, e.Line)
	case !ok2:
		return bad("end column %d is outside line %d", e.EndColumn, e.EndLine)
	case end < start:
		return bad("the range ends before it starts")
	case !utf8.RuneStart(at(t.src, start)) || !utf8.RuneStart(at(t.src, end)):
		return bad("the range cuts a character in two")
	}
	return span{start: start, end: end, text: t.toEOL(e.NewText), line: e.Line, fix: fixMsg}, nil
}

// at returns src[i], or a byte that starts a rune at the end of src.
func at(src []byte, i int) byte {
	if i >= len(src) {
		return 0
	}
	return src[i]
}

// accept resolves the edits of one fix and adds them to t, all or none.
// An edit identical to one already accepted is already satisfied.
func (t *text) accept(edits []checks.TextEdit, fixMsg string) error {
	var add []span
	for _, e := range edits {
		s, err := t.resolve(e, fixMsg)
		if err != nil {
			return err
		}
		if s.start == s.end && s.text == "" {
			continue
		}
		if slices.ContainsFunc(t.spans, s.same) || slices.ContainsFunc(add, s.same) {
			continue
		}
		for _, o := range t.spans {
			if s.overlaps(o) {
				return &ConflictError{Path: t.path, Line: e.Line, With: o.fix}
			}
		}
		for _, o := range add {
			if s.overlaps(o) {
				return &EditError{Path: t.path, Line: e.Line, Msg: "the fix's own edits overlap"}
			}
		}
		add = append(add, s)
	}
	t.spans = append(t.spans, add...)
	return nil
}

// result applies the accepted spans. A file that had no final newline
// still has none, and one that started with a byte-order mark keeps it.
func (t *text) result() []byte {
	spans := slices.Clone(t.spans)
	// Insertions at a point go before a range that starts there; the
	// stable sort keeps accepted order otherwise.
	slices.SortStableFunc(spans, func(a, b span) int {
		return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.end, b.end))
	})
	var out bytes.Buffer
	out.Grow(len(t.src))
	pos := 0
	for _, s := range spans {
		out.Write(t.src[pos:s.start])
		out.WriteString(s.text)
		pos = s.end
	}
	out.Write(t.src[pos:])
	b := out.Bytes()
	if len(t.src) > 0 && !t.endsInNewline() {
		b = bytes.TrimSuffix(b, []byte(t.eol))
		if t.eol == "\r\n" {
			b = bytes.TrimSuffix(b, []byte("\n"))
		}
	}
	return b
}

// Apply applies edits, all to one file whose content is src (their Path
// is not read), and returns the new content. Edits that overlap are an
// error; identical edits are applied once. See [Set] for fixes over
// several files.
func Apply(src []byte, edits []checks.TextEdit) ([]byte, error) {
	t, err := newText("", src)
	if err != nil {
		return nil, err
	}
	for _, e := range edits {
		if err := t.accept([]checks.TextEdit{e}, ""); err != nil {
			return nil, err
		}
	}
	return t.result(), nil
}
