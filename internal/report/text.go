package report

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/contractbot/contractbot/internal/checks"
)

// Text renders findings for a terminal, one per line in the compiler-style
// form "path:line: severity: message [rule]" that editors can jump to, with
// a mechanical fix shown below its finding and a one-line verdict per
// result. Repository text is escaped ([Escape]).
type Text struct {
	W io.Writer
}

var _ Sink = (*Text)(nil)

// Post implements [Sink].
func (t *Text) Post(_ context.Context, r *checks.Result) error {
	bw := bufio.NewWriter(t.W)
	for _, f := range r.Findings {
		// Continuation lines are indented so every finding still starts
		// with its own path:line: at the left margin.
		fmt.Fprintln(bw, strings.Join(lines(Escape(f.String())), "\n    "))
		if fix, ok := f.Fix(); ok {
			writeFix(bw, f, fix)
		}
	}
	verdict := "keeps the PaaSTA contract"
	if !r.OK {
		verdict = "breaks the PaaSTA contract"
	}
	name := r.Service
	if name == "" {
		name = "the repository"
	}
	fmt.Fprintf(bw, "%s %s: %s\n", strings.Join(lines(Escape(name)), " "), verdict, Summary(r.Findings))
	return bw.Flush()
}

// writeFix prints the preferred fix of f below it: where it edits (when
// not at the finding) and the new lines.
func writeFix(w io.Writer, f checks.Finding, fix checks.SuggestedFix) {
	for i, e := range fix.Edits {
		head := "    fix"
		if len(fix.Edits) > 1 {
			head = fmt.Sprintf("    fix, edit %d of %d", i+1, len(fix.Edits))
		}
		if e.Path != f.Path || len(fix.Edits) > 1 {
			fmt.Fprintf(w, "%s in %s:%d: %s:\n", head, Escape(e.Path), e.Line, Escape(fix.Message))
		} else {
			fmt.Fprintf(w, "%s: %s:\n", head, Escape(fix.Message))
		}
		if e.NewText == "" {
			fmt.Fprintf(w, "      delete %s:%d-%d\n", Escape(e.Path), e.Line, e.EndLine)
		}
		for _, l := range lines(Escape(strings.TrimSuffix(e.NewText, "\n"))) {
			if l != "" {
				fmt.Fprintf(w, "      %s\n", l)
			}
		}
	}
}
