package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/contractbot/contractbot/internal/checks"
)

// Text renders findings for a terminal, one per line in the compiler-style
// form "path:line: severity: message [rule]" that editors can jump to, with
// a mechanical fix shown below its finding and a one-line verdict per
// service at the end.
type Text struct{}

var _ Printer = Text{}

// Print implements [Printer].
func (Text) Print(w io.Writer, results []*checks.Result) error {
	bw := bufio.NewWriter(w)
	for _, r := range results {
		for _, f := range r.Findings {
			// Continuation lines are indented so every finding still starts
			// with its own path:line: at the left margin.
			fmt.Fprintln(bw, strings.ReplaceAll(f.String(), "\n", "\n    "))
			if f.Fix != nil {
				if f.Fix.Path != f.Path {
					fmt.Fprintf(bw, "    fix in %s:%d: %s:\n", f.Fix.Path, f.Fix.Line, f.Fix.Message)
				} else {
					fmt.Fprintf(bw, "    fix: %s:\n", f.Fix.Message)
				}
				if f.Fix.Replacement == "" {
					fmt.Fprintf(bw, "      delete %s:%d-%d\n", f.Fix.Path, f.Fix.Line, f.Fix.EndLine)
				}
				for _, l := range strings.SplitAfter(strings.TrimSuffix(f.Fix.Replacement, "\n"), "\n") {
					if l != "" {
						fmt.Fprintf(bw, "      %s\n", strings.TrimSuffix(l, "\n"))
					}
				}
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
		fmt.Fprintf(bw, "%s %s: %s\n", name, verdict, Summary(r.Findings))
	}
	return bw.Flush()
}
