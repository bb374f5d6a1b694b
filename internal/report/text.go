package report

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/contractbot/contractbot/internal/checks"
)

// Text renders findings for a terminal, one per line in the compiler-style
// form "path:line: severity: message [rule] link" that editors can jump
// to, with a mechanical fix shown below its finding, and a verdict: one
// line per result, or with Total one line for the whole run. Repository
// text is escaped ([Escape]).
type Text struct {
	W io.Writer
	// Docs is the base of the rule link that ends each finding: Docs
	// "docs/rules.md" links makefile.tabs as docs/rules.md#makefiletabs
	// (see [checks.DocAnchor]); "" leaves the links out.
	Docs string
	// Total is for runs over many targets (check-soa over thousands of
	// services): the per-result verdicts give way to one line at Flush,
	// "4,000 services checked: 12 break the contract, 31 errors, 5
	// warnings", so that a clean run prints one line. Verbose keeps the
	// per-result verdicts as well.
	Total, Verbose bool

	results, broken, errors, warnings, notices int
}

// DefaultDocs is the base of the text sink's rule links: the rules'
// documentation in contractbot's repository.
const DefaultDocs = "docs/rules.md"

var (
	_ Sink    = (*Text)(nil)
	_ Flusher = (*Text)(nil)
)

// Post implements [Sink].
func (t *Text) Post(_ context.Context, r *checks.Result) error {
	bw := bufio.NewWriter(t.W)
	for _, f := range r.Findings {
		line := f.String()
		if t.Docs != "" {
			line += " " + t.Docs + "#" + checks.DocAnchor(f.RuleID)
		}
		// Continuation lines are indented so every finding still starts
		// with its own path:line: at the left margin.
		fmt.Fprintln(bw, strings.Join(lines(Escape(line)), "\n    "))
		if fix, ok := f.Fix(); ok {
			writeFix(bw, f, fix)
		}
	}
	e, w, n := checks.Count(r.Findings)
	t.results, t.errors, t.warnings, t.notices = t.results+1, t.errors+e, t.warnings+w, t.notices+n
	if !r.OK {
		t.broken++
	}
	if !t.Total || t.Verbose {
		verdict := "keeps the PaaSTA contract"
		if !r.OK {
			verdict = "breaks the PaaSTA contract"
		}
		name := r.Service
		if name == "" {
			name = "the repository"
		}
		fmt.Fprintf(bw, "%s %s: %s\n", strings.Join(lines(Escape(name)), " "), verdict, Summary(r.Findings))
	}
	return bw.Flush()
}

// Flush implements [Flusher]: with Total, it writes the run's one line.
func (t *Text) Flush(context.Context) error {
	if !t.Total {
		return nil
	}
	noun := "services"
	if t.results == 1 {
		noun = "service"
	}
	broken := "none breaks the contract"
	switch {
	case t.broken == 1:
		broken = "1 breaks the contract"
	case t.broken > 1:
		broken = thousands(t.broken) + " break the contract"
	}
	line := fmt.Sprintf("%s %s checked: %s", thousands(t.results), noun, broken)
	if c := Counts(t.errors, t.warnings, t.notices); c != "" {
		line += ", " + c
	}
	_, err := fmt.Fprintln(t.W, line)
	return err
}

// thousands writes n with a comma between groups of three digits: 4,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
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
