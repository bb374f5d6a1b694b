package report

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/contractbot/contractbot/internal/checks"
)

// Actions renders findings as GitHub Actions workflow commands
// (::error file=…,line=…::message), which the Actions runner turns into
// annotations on the pull request. See
// https://docs.github.com/actions/reference/workflow-commands-for-github-actions.
// A ref finding has no file: its command names the ref in the title.
type Actions struct {
	W io.Writer
}

var _ Sink = (*Actions)(nil)

// Post implements [Sink].
func (a *Actions) Post(_ context.Context, r *checks.Result) error {
	bw := bufio.NewWriter(a.W)
	for _, f := range r.Findings {
		msg := f.Message
		if fix, ok := f.Fix(); ok {
			msg += "\nSuggested fix (" + fix.Message + "):"
			for _, e := range fix.Edits {
				msg += "\n" + e.NewText
			}
		}
		props := []string{}
		if f.Path != "" {
			props = append(props, "file="+escapeProperty(Escape(f.Path)), fmt.Sprintf("line=%d", f.Line), fmt.Sprintf("endLine=%d", f.EndLine))
			if f.Column > 0 {
				props = append(props, fmt.Sprintf("col=%d", f.Column))
				if f.EndColumn > 0 {
					props = append(props, fmt.Sprintf("endColumn=%d", f.EndColumn))
				}
			}
		}
		title := f.RuleID
		if f.Subject != "" {
			title += " " + f.Subject
		}
		props = append(props, "title="+escapeProperty(Escape(title)))
		fmt.Fprintf(bw, "::%s %s::%s\n", LevelOf(f.Severity).Workflow, strings.Join(props, ","), escapeData(Escape(msg)))
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
