package app

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/diff"
	ghclient "github.com/contractbot/contractbot/internal/github"
)

const reviewBase = "test:\n\ttrue\nitest:\n\ttrue\n# a\n# b\n# c\n# d\n# e\n# f\n# g\nend:\n\ttrue\n"

// pullOf returns the tree of the new text and its one changed file with
// the hunks of the real diff.
func pullOf(t *testing.T, path, old, new string) (fstest.MapFS, []ghclient.PullFile) {
	t.Helper()
	h, err := diff.Parse(diff.Unified(old, new, diff.DefaultContext))
	if err != nil {
		t.Fatal(err)
	}
	return fstest.MapFS{path: {Data: []byte(new)}}, []ghclient.PullFile{{Path: path, Status: "modified", Hunks: h}}
}

func dockerTagFinding(line int, text string) checks.Finding {
	return checks.Finding{RuleID: "makefile.docker-tag", Severity: checks.SeverityError, Path: "Makefile", Line: line, EndLine: line,
		Message:        "assign the default with ?=",
		SuggestedFixes: []checks.SuggestedFix{checks.LineFix("make DOCKER_TAG overridable", "Makefile", line, line, strings.Replace(text, ":=", "?=", 1)+"\n")}}
}

func TestPlanReview_AFindingOnAnAddedLineGetsASuggestion(t *testing.T) {
	tree, files := pullOf(t, "Makefile", reviewBase, "DOCKER_TAG := x\n"+reviewBase)
	p := planReview([]checks.Finding{dockerTagFinding(1, "DOCKER_TAG := x")}, tree, files, nil, "all", nil)
	if len(p.lines) != 1 || len(p.files) != 0 {
		t.Fatalf("plan = %+v", p)
	}
	c := p.lines[0]
	if c.Path != "Makefile" || c.Line != 1 || c.StartLine != 0 {
		t.Fatalf("comment at %s:%d-%d", c.Path, c.StartLine, c.Line)
	}
	if !strings.Contains(c.Body, "```suggestion\nDOCKER_TAG ?= x\n```") || !fingerprintRE.MatchString(c.Body) {
		t.Fatalf("body:\n%s", c.Body)
	}
	if p.errors != 1 || p.event != "" {
		t.Errorf("plan counts %d errors with event %q; want 1 and the default (COMMENT)", p.errors, p.event)
	}
}

func TestPlanReview_RoutesByTheDiff(t *testing.T) {
	old := reviewBase + "tail:\n\ttrue\n"
	new := "DOCKER_TAG := x\n" + reviewBase + "tail:\n\ttrue\n"
	tree, files := pullOf(t, "Makefile", old, new)
	tree["Dockerfile"] = &fstest.MapFile{Data: []byte("FROM x\n")}
	findings := []checks.Finding{
		dockerTagFinding(1, "DOCKER_TAG := x"),
		{RuleID: "makefile.cook-image", Severity: checks.SeverityWarning, Path: "Makefile", Line: 15, EndLine: 15, Message: "outside the hunks"},
		{RuleID: "dockerfile.user", Severity: checks.SeverityWarning, Path: "Dockerfile", Line: 1, EndLine: 1, Message: "not in the pull request"},
	}
	p := planReview(findings, tree, files, nil, "all", nil)
	if len(p.lines) != 1 || len(p.files) != 1 || p.files[0].Path != "Makefile" || p.outside != 1 {
		t.Fatalf("plan = %+v", p)
	}
	p = planReview(findings, tree, files, nil, "errors", nil)
	if len(p.lines) != 1 || len(p.files) != 0 {
		t.Fatalf("errors mode posted warnings: %+v", p)
	}
}

func TestPlanReview_ASuggestionForAnotherFileGoesWhereTheEditIs(t *testing.T) {
	oldDeploy := "pipeline:\n  - step: itest\n  - step: prod.main\n"
	newDeploy := "pipeline:\n  - step: itest\n  - step: prod.main\n  - step: staging\n"
	h1, err := diff.Parse(diff.Unified(oldDeploy, newDeploy, diff.DefaultContext))
	if err != nil {
		t.Fatal(err)
	}
	inst := "canary:\n  cpus: 1\n"
	h2, err := diff.Parse(diff.Unified("", inst, diff.DefaultContext))
	if err != nil {
		t.Fatal(err)
	}
	tree := fstest.MapFS{"svc/deploy.yaml": {Data: []byte(newDeploy)}, "svc/kubernetes-prod.yaml": {Data: []byte(inst)}}
	files := []ghclient.PullFile{
		{Path: "svc/deploy.yaml", Status: "modified", Hunks: h1},
		{Path: "svc/kubernetes-prod.yaml", Status: "added", Hunks: h2},
	}
	f := checks.Finding{RuleID: "soa.deploy-group", Severity: checks.SeverityError, Path: "svc/kubernetes-prod.yaml", Line: 1, EndLine: 1,
		Message:        "add `- step: prod.canary` to deploy.yaml",
		SuggestedFixes: []checks.SuggestedFix{checks.LineFix("add deploy group prod.canary", "svc/deploy.yaml", 4, 4, "  - step: staging\n  - step: prod.canary\n")}}
	p := planReview([]checks.Finding{f}, tree, files, nil, "all", nil)
	if len(p.lines) != 1 {
		t.Fatalf("plan = %+v", p)
	}
	c := p.lines[0]
	if c.Path != "svc/deploy.yaml" || c.Line != 4 || !strings.Contains(c.Body, "```suggestion\n  - step: staging\n  - step: prod.canary\n```") {
		t.Fatalf("comment at %s:%d:\n%s", c.Path, c.Line, c.Body)
	}
	if !strings.Contains(c.Body, ghclient.MarkdownEscape("svc/kubernetes-prod.yaml:1")) {
		t.Errorf("the comment does not say which instance it is about:\n%s", c.Body)
	}

	// deploy.yaml outside the pull request: the comment stays on the instance, without a suggestion.
	p = planReview([]checks.Finding{f}, tree, files[1:], nil, "all", nil)
	if len(p.lines) != 1 || p.lines[0].Path != "svc/kubernetes-prod.yaml" || strings.Contains(p.lines[0].Body, "```suggestion") {
		t.Fatalf("plan without deploy.yaml = %+v", p)
	}
}

func TestPlanReview_AnUnchangedOrMovedFindingIsNotCommentedAgainAndAFixedOneIsClosed(t *testing.T) {
	bot := "contractbot[bot]"
	tree, files := pullOf(t, "Makefile", reviewBase, "DOCKER_TAG := x\n"+reviewBase)
	first := planReview([]checks.Finding{dockerTagFinding(1, "DOCKER_TAG := x")}, tree, files, nil, "all", &bot)
	posted := []ghclient.ReviewComment{{ID: 10, Path: "Makefile", Line: 1, Body: first.lines[0].Body, User: bot}}

	// The same finding, moved down two lines by a later push.
	tree2, files2 := pullOf(t, "Makefile", reviewBase, "# new\n# lines\nDOCKER_TAG   :=   x\n"+reviewBase)
	p := planReview([]checks.Finding{dockerTagFinding(3, "DOCKER_TAG   :=   x")}, tree2, files2, posted, "all", &bot)
	if len(p.lines)+len(p.files)+len(p.fixed) != 0 || p.unchanged != 1 {
		t.Fatalf("moved finding: %+v", p)
	}
	// Someone else's comment with the same marker is not ours.
	forged := []ghclient.ReviewComment{{ID: 11, Path: "Makefile", Line: 1, Body: first.lines[0].Body, User: "mallory"}}
	if p := planReview([]checks.Finding{dockerTagFinding(1, "DOCKER_TAG := x")}, tree, files, forged, "all", &bot); len(p.lines) != 1 {
		t.Fatalf("a forged marker suppressed the comment: %+v", p)
	}
	// Fixed: no finding any more; the thread gets one reply, once.
	tree3, files3 := pullOf(t, "Makefile", reviewBase, "DOCKER_TAG ?= x\n"+reviewBase)
	p = planReview(nil, tree3, files3, posted, "all", &bot)
	if len(p.fixed) != 1 || p.fixed[0].ID != 10 {
		t.Fatalf("fixed: %+v", p)
	}
	replied := append(posted, ghclient.ReviewComment{ID: 12, InReplyTo: 10, Body: "Fixed in x\n" + fixedMarker, User: bot})
	if p := planReview(nil, tree3, files3, replied, "all", &bot); len(p.fixed) != 0 {
		t.Fatalf("a closed thread was closed again: %+v", p)
	}
	// The finding comes back after being fixed: a new comment.
	if p := planReview([]checks.Finding{dockerTagFinding(1, "DOCKER_TAG := x")}, tree, files, replied, "all", &bot); len(p.lines) != 1 {
		t.Fatalf("a finding that came back was not commented: %+v", p)
	}
}

func TestPlanReview_PostsAtMost30CommentsErrorsFirst(t *testing.T) {
	var b strings.Builder
	var findings []checks.Finding
	for i := 1; i <= 40; i++ {
		b.WriteString("x" + strings.Repeat("y", i) + "\n")
		sev := checks.SeverityWarning
		if i > 30 {
			sev = checks.SeverityError
		}
		findings = append(findings, checks.Finding{RuleID: "makefile.tabs", Severity: sev, Path: "Makefile", Line: i, EndLine: i, Message: "m"})
	}
	tree, files := pullOf(t, "Makefile", "", b.String())
	p := planReview(findings, tree, files, nil, "all", nil)
	if len(p.lines) != MaxReviewComments || p.overLimit != 10 {
		t.Fatalf("%d comments, %d over the limit", len(p.lines), p.overLimit)
	}
	for _, c := range p.lines[:10] {
		if !strings.HasPrefix(c.Body, "**error**") {
			t.Fatalf("errors do not come first: %q", c.Body)
		}
	}
}

func TestCommentBody_EscapesTheMessageAndFencesASuggestionContainingBackticks(t *testing.T) {
	f := checks.Finding{RuleID: "makefile.tabs", Severity: checks.SeverityError, Path: "Makefile", Line: 1, EndLine: 1,
		Message:        "<img src=x> [link](http://evil)",
		SuggestedFixes: []checks.SuggestedFix{checks.LineFix("", "Makefile", 1, 1, "\techo ```\n")}}
	body := commentBody(f, f.SuggestedFixes[0].Edits[0].NewText, true, "0123456789abcdef")
	if !strings.Contains(body, `\<img`) || strings.Contains(body, "](http://evil") {
		t.Fatalf("message not escaped:\n%s", body)
	}
	if !strings.Contains(body, "````suggestion\n\techo ```\n````") {
		t.Fatalf("suggestion fence:\n%s", body)
	}
	if !strings.Contains(body, "<code># contractbot:ignore makefile.tabs -- reason</code> on this line or the line above") {
		t.Fatalf("the comment does not say how to suppress the finding:\n%s", body)
	}
}

func TestRefCheckRun_SaysWhatIsWrongAndWhetherTheTagWasDeleted(t *testing.T) {
	f := []checks.Finding{{RuleID: "ref.name", Severity: checks.SeverityError, Message: `bad timestamp "2026-01-01"`}}
	ref := "refs/tags/paasta-prod.main-2026-01-01-deploy"
	r := refCheckRun(ref, f, RefActionReport, false, nil)
	if r.Conclusion != "failure" || !strings.Contains(r.Summary, "left in place") || !strings.Contains(r.Summary, "ref\\.name") {
		t.Fatalf("report mode:\n%+v", r)
	}
	r = refCheckRun(ref, f, RefActionDelete, true, nil)
	if r.Title != "Malformed deploy ref: deleted" || !strings.Contains(r.Summary, "**deleted**") {
		t.Fatalf("delete mode:\n%+v", r)
	}
	if r := refCheckRun(ref, nil, RefActionDelete, false, nil); r.Conclusion != "success" {
		t.Fatalf("a good ref: %+v", r)
	}
}

// failingOpen is a tree whose files cannot be read (a lazy blob fetch
// that fails, say), though they exist.
type failingOpen struct{ fs.FS }

func (failingOpen) Open(name string) (fs.File, error) {
	return nil, &fs.PathError{Op: "open", Path: name, Err: errors.New("fetch blob: context canceled")}
}

// A finding's fingerprint is made of its file's lines: a file that exists
// but cannot be read would give another fingerprint, so a second comment
// on a finding already commented on, and a false "Fixed" reply. The plan
// says it could not read instead.
func TestPlanReview_AFileThatCannotBeReadStopsThePlanRatherThanChangeFingerprints(t *testing.T) {
	bot := "contractbot[bot]"
	tree, files := pullOf(t, "Makefile", reviewBase, "DOCKER_TAG := x\n"+reviewBase)
	first := planReview([]checks.Finding{dockerTagFinding(1, "DOCKER_TAG := x")}, tree, files, nil, "all", &bot)
	posted := []ghclient.ReviewComment{{ID: 10, Path: "Makefile", Line: 1, Body: first.lines[0].Body, User: bot}}
	p := planReview([]checks.Finding{dockerTagFinding(1, "DOCKER_TAG := x")}, failingOpen{tree}, files, posted, "all", &bot)
	if p.unread == nil {
		t.Fatalf("plan over an unreadable file: %+v, want it to say it could not read", p)
	}
}
