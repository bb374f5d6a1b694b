package makefile

import (
	"cmp"
	"fmt"
	"go/token"
	"slices"
	"strings"
)

// Error is one problem at a position: a parse error, or an error GNU make
// would stop on while reading the makefile (missing separator, a recursive
// variable referring to itself, $(error ...)).
type Error struct {
	Pos token.Position
	Msg string
	// Limit is true when the error is one of contractbot's own bounds
	// (file size, include depth, the step budget, ...), not GNU make's:
	// make would read on, so what follows was not analysed.
	Limit bool

	inEval bool // raised by text from $(eval ...), reported at the call
}

func (e *Error) Error() string {
	if e.Pos.Filename == "" && e.Pos.Line == 0 {
		return e.Msg
	}
	return fmt.Sprintf("%s: %s", posString(e.Pos), e.Msg)
}

// posString renders file:line:col, leaving out what is unknown.
func posString(p token.Position) string {
	s := p.Filename
	if p.Line > 0 {
		if s != "" {
			s += ":"
		}
		s += fmt.Sprint(p.Line)
		if p.Column > 0 {
			s += fmt.Sprintf(":%d", p.Column)
		}
	}
	return s
}

// ErrorList is a list of errors, sorted by [ErrorList.Sort]. The parser and
// the evaluator collect every error they find instead of stopping at the
// first, so a lint run shows every problem at once.
type ErrorList []*Error

// Add appends an error at pos.
func (l *ErrorList) Add(pos token.Position, msg string) { *l = append(*l, &Error{Pos: pos, Msg: msg}) }

// addLimit appends an error for a bound of contractbot's own.
func (l *ErrorList) addLimit(pos token.Position, msg string) {
	*l = append(*l, &Error{Pos: pos, Msg: msg, Limit: true})
}

// Limits returns the errors that are contractbot's own bounds, not make's.
func (l ErrorList) Limits() ErrorList {
	var out ErrorList
	for _, e := range l {
		if e.Limit {
			out = append(out, e)
		}
	}
	return out
}

// Sort orders the list by file, line and column, keeping the order of
// errors at the same position.
func (l ErrorList) Sort() {
	slices.SortStableFunc(l, func(a, b *Error) int {
		return cmp.Or(strings.Compare(a.Pos.Filename, b.Pos.Filename), cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Column, b.Pos.Column))
	})
}

// Error renders the first error and how many follow.
func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	return fmt.Sprintf("%s (and %d more errors)", l[0], len(l)-1)
}

// Err returns the list as an error, or nil when it is empty.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}
