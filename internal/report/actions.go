package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/contractbot/contractbot/internal/checks"
)

// Actions renders findings as GitHub Actions workflow commands
// (::error file=…,line=…::message), which the Actions runner turns into
// annotations on the pull request. See
// https://docs.github.com/actions/reference/workflow-commands-for-github-actions.
type Actions struct{}

var _ Printer = Actions{}

var actionsLevel = map[checks.Severity]string{
	checks.SeverityError:   "error",
	checks.SeverityWarning: "warning",
	checks.SeverityNotice:  "notice",
}

// Print implements [Printer].
func (Actions) Print(w io.Writer, results []*checks.Result) error {
	bw := bufio.NewWriter(w)
	for _, r := range results {
		for _, f := range r.Findings {
			msg := f.Message
			if f.Fix != nil {
				msg += "\nSuggested fix (" + f.Fix.Message + "):\n" + f.Fix.Replacement
			}
			fmt.Fprintf(bw, "::%s file=%s,line=%d,endLine=%d,title=%s::%s\n",
				actionsLevel[f.Severity], escapeProperty(f.Path), f.Line, f.EndLine,
				escapeProperty(f.RuleID), escapeData(msg))
		}
	}
	return bw.Flush()
}

// escapeData escapes a workflow command's message the way the runner's
// toolkit does (@actions/core escapeData), so a message cannot end the
// command early or inject a second one.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a property value (@actions/core escapeProperty).
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
