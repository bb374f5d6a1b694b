package github_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/githubfake"
)

func findings(n int, sev checks.Severity, path string) []checks.Finding {
	out := make([]checks.Finding, n)
	for i := range out {
		out[i] = checks.Finding{RuleID: "makefile.itest", Severity: sev, Path: path, Line: i + 1, EndLine: i + 1,
			Message: fmt.Sprintf("finding %d: add an itest target", i)}
	}
	return out
}

var testRules = []*checks.Rule{{ID: "makefile.itest", Title: "make itest builds and tests the image", Doc: "Add an itest target that builds $(DOCKER_TAG) and runs the system tests."}}

func TestClient_PublishCheckRun(t *testing.T) {
	tests := []struct {
		name           string
		run            func(sha string) github.CheckRun
		wantCalls      int // checks/create + checks/update
		wantAnnots     int
		wantConclusion string
		wantTitle      string
		wantSummary    []string
	}{
		{"no findings is a success in one call", func(sha string) github.CheckRun {
			return github.CheckRun{HeadSHA: sha, Result: &checks.Result{Findings: []checks.Finding{}}}
		}, 1, 0, "success", "No problems found", nil},
		{"50 annotations fit in the create call", func(sha string) github.CheckRun {
			return github.CheckRun{HeadSHA: sha, Result: &checks.Result{Findings: findings(50, checks.SeverityWarning, "Makefile")}}
		}, 1, 50, "neutral", "50 warnings", nil},
		{"warnings can be configured to succeed", func(sha string) github.CheckRun {
			return github.CheckRun{HeadSHA: sha, WarningsConclusion: "success", Result: &checks.Result{Findings: findings(1, checks.SeverityWarning, "Makefile")}}
		}, 1, 1, "success", "1 warning", nil},
		{"120 annotations are sent 50 at a time", func(sha string) github.CheckRun {
			return github.CheckRun{HeadSHA: sha, Rules: testRules, Result: &checks.Result{Findings: findings(120, checks.SeverityError, "Makefile")}}
		}, 3, 120, "failure", "120 errors", []string{"make itest builds and tests the image"}},
		{"annotations stop at 500 and the rest are counted", func(sha string) github.CheckRun {
			return github.CheckRun{HeadSHA: sha, Result: &checks.Result{Findings: findings(700, checks.SeverityNotice, "Makefile")}}
		}, 10, 500, "success", "700 notices", []string{"200 findings have no annotation"}},
		{"findings outside the repository stay in the summary", func(sha string) github.CheckRun {
			fs := append(findings(2, checks.SeverityError, "Makefile"), findings(3, checks.SeverityError, "web/deploy.yaml")...)
			return github.CheckRun{HeadSHA: sha, Result: &checks.Result{Findings: fs},
				Annotate: func(f checks.Finding) bool { return f.Path == "Makefile" }}
		}, 1, 2, "failure", "5 errors", []string{`web/deploy\.yaml`}},
		{"findings about no file are not annotated", func(sha string) github.CheckRun {
			fs := append(findings(1, checks.SeverityError, "Makefile"), checks.Finding{RuleID: "ref.name", Severity: checks.SeverityError, Line: 1, EndLine: 1, Message: "bad ref"})
			return github.CheckRun{HeadSHA: sha, Result: &checks.Result{Findings: fs}}
		}, 1, 1, "failure", "2 errors", []string{"bad ref"}},
		{"a configuration error is its one config.invalid finding", func(sha string) github.CheckRun {
			f := checks.Finding{RuleID: "config.invalid", Severity: checks.SeverityError, Path: ".contractbot.yaml", Line: 3, EndLine: 3, Message: `unknown key "rulez"`}
			return github.CheckRun{HeadSHA: sha, Result: &checks.Result{Findings: []checks.Finding{f}}}
		}, 1, 1, "failure", "1 error", []string{`unknown key "rulez"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gh := githubfake.New(t)
			gh.AddInstallation(7, "acme")
			sha := gh.Push("acme", "svc", "main", serviceFiles)
			_, c := newClient(t, gh)
			if _, err := c.PublishCheckRun(context.Background(), "acme", "svc", tc.run(sha)); err != nil {
				t.Fatal(err)
			}
			calls := gh.Calls()
			if got := calls["checks/create"] + calls["checks/update"]; got != tc.wantCalls || calls["checks/create"] != 1 {
				t.Errorf("check-run calls = %v, want %d", calls, tc.wantCalls)
			}
			runs := gh.CheckRuns("acme", "svc", sha)
			if len(runs) != 1 {
				t.Fatalf("%d runs", len(runs))
			}
			r := runs[0]
			if len(r.Annotations) != tc.wantAnnots || r.Status != "completed" || r.Conclusion != tc.wantConclusion || r.Title != tc.wantTitle {
				t.Errorf("run: %d annotations, %s/%s, title %q", len(r.Annotations), r.Status, r.Conclusion, r.Title)
			}
			for _, s := range tc.wantSummary {
				if !strings.Contains(r.Summary, s) {
					t.Errorf("summary lacks %q:\n%s", s, r.Summary)
				}
			}
		})
	}
}

func TestClient_PublishCheckRunPutsErrorsFirstInTheAnnotations(t *testing.T) {
	gh := githubfake.New(t)
	gh.AddInstallation(7, "acme")
	sha := gh.Push("acme", "svc", "main", serviceFiles)
	_, c := newClient(t, gh, github.WithMaxAnnotations(3))
	fs := append(findings(5, checks.SeverityNotice, "A"), findings(2, checks.SeverityError, "Z")...)
	if _, err := c.PublishCheckRun(context.Background(), "acme", "svc", github.CheckRun{HeadSHA: sha, Result: &checks.Result{Findings: fs}}); err != nil {
		t.Fatal(err)
	}
	a := gh.CheckRuns("acme", "svc", sha)[0].Annotations
	if len(a) != 3 || a[0].AnnotationLevel != "failure" || a[1].AnnotationLevel != "failure" || a[2].AnnotationLevel != "notice" {
		t.Errorf("annotations = %+v", a)
	}
}

func TestSummary_StaysWithinGitHubsLimit(t *testing.T) {
	// 5000 files with long, hostile names and messages.
	var fs []checks.Finding
	for i := range 5000 {
		fs = append(fs, checks.Finding{RuleID: "makefile.itest", Severity: checks.SeverityError,
			Path: fmt.Sprintf("dir|%d/<script>é%s.mk", i, strings.Repeat("x", 40)),
			Line: 1, EndLine: 1,
			Message: "| broken | cell\n# heading [link](http://evil) <img src=x> " + strings.Repeat("ü", 30)})
	}
	s := github.Summary(fs, testRules, 4500, 500)
	if n := utf8.RuneCountInString(s); n > github.MaxSummaryChars {
		t.Fatalf("summary has %d characters", n)
	}
	if !strings.Contains(s, "not shown: the summary is limited to 65535 characters") {
		t.Error("cut rows are not counted")
	}
	for _, bad := range []string{`<script`, `<img`, `]\(http`, `\n# heading`, `\| broken`} {
		if regexp.MustCompile(`(^|[^\\])` + bad).MatchString(s) {
			t.Errorf("summary contains unescaped %q", bad)
		}
	}
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, "| dir") && strings.Count(strings.ReplaceAll(line, `\|`, ""), "|") != 6 {
			t.Fatalf("row has extra cells: %s", line)
		}
	}
}

func TestSummary_KeepsRoomForTheDocsOfTheRulesItShows(t *testing.T) {
	rule := &checks.Rule{ID: "makefile.itest", Title: "make itest", Doc: strings.Repeat("Add an itest target. ", 200)}
	var fs []checks.Finding
	for i := range 5000 {
		fs = append(fs, checks.Finding{RuleID: rule.ID, Severity: checks.SeverityError,
			Path: fmt.Sprintf("dir%d/%s.mk", i, strings.Repeat("x", 40)), Line: 1, EndLine: 1, Message: "no itest target"})
	}
	s := github.Summary(fs, []*checks.Rule{rule}, 0, 500)
	if n := utf8.RuneCountInString(s); n > github.MaxSummaryChars {
		t.Fatalf("summary has %d characters", n)
	}
	if !strings.Contains(s, "### Rules") || !strings.Contains(s, "**makefile.itest**") {
		t.Error("rows filled the summary and left no room for the doc of the rule they show")
	}
}

func TestTitle(t *testing.T) {
	for _, tc := range []struct {
		e, w, n int
		want    string
	}{{0, 0, 0, "No problems found"}, {2, 1, 0, "2 errors, 1 warning"}, {1, 0, 3, "1 error, 3 notices"}, {0, 2, 0, "2 warnings"}} {
		if got := github.Title(tc.e, tc.w, tc.n); got != tc.want {
			t.Errorf("Title(%d, %d, %d) = %q, want %q", tc.e, tc.w, tc.n, got, tc.want)
		}
	}
}

func FuzzMarkdownEscape(f *testing.F) {
	for _, s := range []string{"", "a|b", "<img src=x>", "[x](y)", "line\nbreak", "\\|", "é*_`", "@acme/team", "#1 GH-2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := github.MarkdownEscape(s)
		if strings.ContainsAny(out, "\r\n") {
			t.Fatalf("line break in %q", out)
		}
		// Every Markdown or HTML special character is escaped: dropping the
		// backslash pairs must leave none of them.
		rest := regexp.MustCompile(`\\[\\`+"`"+`*_{}\[\]()<>#+\-.!|~:@=]`).ReplaceAllString(out, "")
		rest = strings.ReplaceAll(rest, "&amp;", "")
		rest = strings.ReplaceAll(rest, "&#8203;", "") // the zero-width space that parts "@" and "#" from what follows
		if i := strings.IndexAny(rest, "\\`*_{}[]()<>#+-.!|~:@=&"); i >= 0 {
			t.Fatalf("unescaped %q in %q (from %q)", rest[i], out, s)
		}
		// GitHub looks for mentions and references once the escapes are
		// gone and the entities decoded: "@" and "#" never meet a word
		// character there.
		shown := strings.ReplaceAll(regexp.MustCompile(`\\(.)`).ReplaceAllString(out, "$1"), "&#8203;", "\u200b")
		if m := regexp.MustCompile(`[@#]\w`).FindString(shown); m != "" {
			t.Fatalf("%q in %q mentions or references (from %q)", m, out, s)
		}
	})
}
