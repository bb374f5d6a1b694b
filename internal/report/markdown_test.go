package report_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/contractbot/contractbot/internal/report"
)

// GitHub finds @-mentions and #-references after it has rendered the
// Markdown, so a backslash does not stop them (github/markup#1168,
// github/cmark-gfm#181): "\@acme/security" in an issue body still pings
// the team. Text from a hostile repository must reach a body with the
// "@" or "#" parted from what follows.
var (
	mention   = regexp.MustCompile(`(^|[^\w])@[A-Za-z0-9]`)
	reference = regexp.MustCompile(`(^|[^\w&])#[0-9]|GH-[0-9]|[\w.-]/[\w.-]+#[0-9]`)
)

func TestMarkdownEscape_RepositoryTextCannotMentionOrReference(t *testing.T) {
	for _, tc := range []struct {
		name, in string
	}{
		{"a team is not pinged", `deploy_group "@acme/security" is not a step`},
		{"a user is not pinged", "ask @jane"},
		{"an escaped mention is not pinged either", `\@jane`},
		{"an issue of the repository is not referenced", "see #1"},
		{"an issue of another repository is not referenced", "see acme/ops#12"},
		{"an old-style reference is not referenced", "see GH-3"},
		{"an e-mail address stays readable", "write to ops@acme.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := report.MarkdownEscape(tc.in)
			// What GitHub's post-processor sees: the Markdown's
			// escapes removed, entities other than the zero-width
			// space decoded.
			shown := regexp.MustCompile(`\\(.)`).ReplaceAllString(out, "$1")
			shown = strings.ReplaceAll(shown, "&amp;", "&")
			if m := mention.FindString(shown); m != "" {
				t.Errorf("MarkdownEscape(%q) = %q: GitHub reads a mention in %q", tc.in, out, m)
			}
			if m := reference.FindString(shown); m != "" {
				t.Errorf("MarkdownEscape(%q) = %q: GitHub reads a reference in %q", tc.in, out, m)
			}
			visible := strings.ReplaceAll(shown, "&#8203;", "")
			if visible != tc.in && !strings.Contains(tc.in, `\`) {
				t.Errorf("MarkdownEscape(%q) shows %q, want the text as it was", tc.in, visible)
			}
		})
	}
}
