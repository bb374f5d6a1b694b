package fleet

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/contractbot/contractbot/internal/checks"
)

// FuzzRenderers renders views whose repository text is anything: the
// Markdown stays within an issue body, valid UTF-8, with no HTML of its
// own but the marker, and the page keeps its one script and links
// nowhere but http(s).
func FuzzRenderers(f *testing.F) {
	f.Add("web-api", "makefile.docker-tag", "Makefile", "DOCKER_TAG is set", "https://github.example/runs/1", "", uint16(3))
	f.Add("batch_<b>worker</b>", "soa.deploy-group", "x/deploy.yaml", "<script>alert(1)</script> [l](javascript:x) | # h \x1b[31m\u202e", "javascript:alert(1)", "note <i>", uint16(1))
	f.Add("=cmd|'/c calc'!A1", "</style><script>", "\xff\xfe", strings.Repeat("é", 3000), "http://a b/", "\n# x", uint16(400))
	f.Fuzz(func(t *testing.T, name, rule, path, msg, link, note string, copies uint16) {
		if name == "" {
			name = "s"
		}
		c := NewCollector(Options{})
		n := int(copies%600) + 1
		for i := range n {
			r := &checks.Result{Service: name + strings.Repeat("x", i), Findings: []checks.Finding{
				{RuleID: rule, Severity: checks.SeverityError, Path: path, Line: 1, EndLine: 1, Message: msg},
				{RuleID: rule + "w", Severity: checks.SeverityWarning, Path: path, Line: 2, EndLine: 2, Message: msg},
			}}
			if err := c.Add(r, Meta{Link: link, Note: note}); err != nil {
				t.Fatal(err)
			}
		}
		c.NotAService(name + "-lib")
		v := c.View()
		v.Changes = Diff(Build(nil, []string{name}, Options{}), v)

		md := Markdown(v, Options{FullReportURL: link})
		if len(md) > MaxIssueBodyChars || !utf8.ValidString(md) {
			t.Fatalf("markdown: %d bytes, valid UTF-8 %v", len(md), utf8.ValidString(md))
		}
		if got, want := strings.Count(md, "<"), strings.Count(md, `\<`)+1; got != want {
			t.Errorf("markdown has %d '<' but %d escaped ones and the marker", got, want-1)
		}
		var page bytes.Buffer
		if err := HTML(&page, v, Options{}); err != nil {
			t.Fatal(err)
		}
		p := page.String()
		if strings.Count(p, "<script") != 1 || strings.Count(p, "<style") != 1 || strings.Contains(p, `href="javascript`) {
			t.Errorf("the page gained code or a link")
		}
		if err := CSV(&bytes.Buffer{}, v); err != nil {
			t.Fatal(err)
		}
	})
}
