package github_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/githubfake"
)

// Issue 15, defect 1: GitHub carried out a write but its answer was lost
// (a 502 from its front end, a reset connection, an answer later than the
// client waits). The client must look before it writes again: one run per
// commit, each annotation once.
func TestClient_PublishCheckRunOnceWhenGitHubActedButTheAnswerWasLost(t *testing.T) {
	tests := []struct {
		name      string
		findings  int
		fault     githubfake.Fault
		wantAnnot int
	}{
		{"a 502 after the run was created is not a reason to create another",
			2, githubfake.Fault{Kind: githubfake.FaultServerError, Operation: "checks/create", After: true}, 2},
		{"an answer slower than the timeout after the run was created is not either",
			2, githubfake.Fault{Kind: githubfake.FaultLatency, Operation: "checks/create", After: true, Latency: time.Second}, 2},
		{"a reset after the run was created is not either",
			2, githubfake.Fault{Kind: githubfake.FaultDisconnect, Operation: "checks/create", After: true}, 2},
		{"a 502 after the first of three batches was created sends the other two once",
			130, githubfake.Fault{Kind: githubfake.FaultServerError, Operation: "checks/create", After: true}, 130},
		{"a 502 after an annotation batch was appended does not append it again",
			130, githubfake.Fault{Kind: githubfake.FaultServerError, Operation: "checks/update", After: true}, 130},
		{"a reset after the last batch completed the run leaves it as it is",
			130, githubfake.Fault{Kind: githubfake.FaultDisconnect, Operation: "checks/update", After: true, Times: 2}, 130},
		{"a slow answer to every update still appends each batch once",
			130, githubfake.Fault{Kind: githubfake.FaultLatency, Operation: "checks/update", After: true, Latency: time.Second, Times: 2}, 130},
		{"a 502 on a create GitHub did not carry out is sent again after looking",
			2, githubfake.Fault{Kind: githubfake.FaultServerError, Operation: "checks/create", Status: 502}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gh := githubfake.New(t)
			gh.AddInstallation(7, "acme")
			sha := gh.Push("acme", "svc", "main", serviceFiles)
			_, c := newClient(t, gh, github.WithNoSleep(), github.WithTimeout(300*time.Millisecond))
			gh.InjectFault(tc.fault)
			run := github.CheckRun{HeadSHA: sha, ExternalID: "check/acme/svc@" + sha,
				Result: &checks.Result{Findings: findings(tc.findings, checks.SeverityError, "Makefile")}}
			id, err := c.PublishCheckRun(context.Background(), "acme", "svc", run)
			if err != nil {
				t.Fatalf("publish: %v", err)
			}
			runs := gh.CheckRuns("acme", "svc", sha)
			if len(runs) != 1 {
				t.Fatalf("%d check runs on the commit, want 1", len(runs))
			}
			r := runs[0]
			if r.ID != id || r.Status != "completed" || r.Conclusion != "failure" {
				t.Errorf("run id %d %s/%s, want id %d completed/failure", r.ID, r.Status, r.Conclusion, id)
			}
			if len(r.Annotations) != tc.wantAnnot {
				t.Errorf("%d annotations for %d findings, want %d", len(r.Annotations), tc.findings, tc.wantAnnot)
			}
			seen := map[int]bool{}
			for _, a := range r.Annotations {
				if seen[a.StartLine] {
					t.Fatalf("the annotation on line %d was sent twice", a.StartLine)
				}
				seen[a.StartLine] = true
			}
		})
	}
}

func TestClient_PublishSimpleCheckRunOnceWhenTheAnswerWasLost(t *testing.T) {
	gh := githubfake.New(t)
	gh.AddInstallation(7, "acme")
	sha := gh.Push("acme", "svc", "main", serviceFiles)
	_, c := newClient(t, gh, github.WithNoSleep())
	gh.InjectFault(githubfake.Fault{Kind: githubfake.FaultServerError, Operation: "checks/create", After: true})
	run := github.SimpleCheckRun{Name: "PaaSTA deploy ref", HeadSHA: sha, ExternalID: "deploy-ref refs/tags/x@" + sha,
		Conclusion: github.ConclusionFailure, Title: "Malformed deploy ref", Summary: "bad"}
	if _, err := c.PublishSimpleCheckRun(context.Background(), "acme", "svc", run); err != nil {
		t.Fatal(err)
	}
	if runs := gh.CheckRuns("acme", "svc", sha); len(runs) != 1 {
		t.Fatalf("%d runs, want 1", len(runs))
	}
}

// Issue 15, defect 5: GitHub refuses a request part-way through (422).
// The run is completed anyway, saying what went wrong and how to run the
// check again, and the error is returned so that the task is dead-lettered.
func TestClient_PublishCheckRunCompletesARunGitHubRefusesPartWay(t *testing.T) {
	tests := []struct {
		name      string
		fault     githubfake.Fault
		wantAnnot int
	}{
		{"a 422 on the second batch leaves the first 50 annotations and completes the run",
			githubfake.Fault{Kind: githubfake.FaultServerError, Operation: "checks/update", Status: 422}, 50},
		{"a 422 on the create makes a completed run without annotations",
			githubfake.Fault{Kind: githubfake.FaultServerError, Operation: "checks/create", Status: 422}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gh := githubfake.New(t)
			gh.AddInstallation(7, "acme")
			sha := gh.Push("acme", "svc", "main", serviceFiles)
			_, c := newClient(t, gh, github.WithNoSleep())
			gh.InjectFault(tc.fault)
			run := github.CheckRun{HeadSHA: sha, ExternalID: "check/acme/svc@" + sha,
				Result: &checks.Result{Findings: findings(130, checks.SeverityError, "Makefile")}}
			_, err := c.PublishCheckRun(context.Background(), "acme", "svc", run)
			if err == nil || !strings.Contains(err.Error(), "422") {
				t.Fatalf("err = %v, want GitHub's 422", err)
			}
			runs := gh.CheckRuns("acme", "svc", sha)
			if len(runs) != 1 {
				t.Fatalf("%d runs, want 1", len(runs))
			}
			r := runs[0]
			if r.Status != "completed" || r.Conclusion != "action_required" {
				t.Errorf("run is %s/%s, want completed/action_required", r.Status, r.Conclusion)
			}
			if len(r.Annotations) != tc.wantAnnot {
				t.Errorf("%d annotations, want %d", len(r.Annotations), tc.wantAnnot)
			}
			for _, want := range []string{"422", "Re-run", "130 errors"} {
				if !strings.Contains(r.Summary, want) {
					t.Errorf("summary lacks %q:\n%s", want, r.Summary)
				}
			}
		})
	}
}

// Review comments and replies: a comment GitHub posted but whose answer
// was lost is found by its body (which carries the finding's fingerprint)
// instead of being posted again.
func TestClient_ReviewWritesOnceWhenTheAnswerWasLost(t *testing.T) {
	tests := []struct {
		name  string
		op    string
		write func(c *github.Client, sha string, number int, first int64) (int64, error)
		count func(gh *githubfake.Server, number int) int
	}{
		{"a review", "pulls/create-review", func(c *github.Client, sha string, n int, _ int64) (int64, error) {
			return c.CreateReview(context.Background(), "acme", "svc", n, github.Review{CommitID: sha, Body: "contractbot found 1 problem <!-- fp -->",
				Comments: []github.LineComment{{Path: "Makefile", Line: 1, Body: "**error** x <!-- contractbot:fp=0123456789abcdef -->"}}})
		}, func(gh *githubfake.Server, n int) int { return len(gh.Reviews("acme", "svc", n)) - 1 }},
		{"a file comment", "pulls/create-review-comment", func(c *github.Client, sha string, n int, _ int64) (int64, error) {
			return c.CreateFileComment(context.Background(), "acme", "svc", n, sha, "Makefile", "**error** y <!-- contractbot:fp=fedcba9876543210 -->")
		}, func(gh *githubfake.Server, n int) int { return len(gh.ReviewComments("acme", "svc", n)) - 1 }},
		{"a reply", "pulls/create-review-comment", func(c *github.Client, sha string, n int, first int64) (int64, error) {
			return c.ReplyToComment(context.Background(), "acme", "svc", n, sha, "Makefile", first, "Fixed in "+sha+". <!-- contractbot:fixed -->")
		}, func(gh *githubfake.Server, n int) int { return len(gh.ReviewComments("acme", "svc", n)) - 1 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gh := githubfake.New(t)
			gh.AddInstallation(7, "acme")
			gh.Push("acme", "svc", "main", serviceFiles)
			sha := gh.Push("acme", "svc", "feature", withMakefile("x:\n\ttrue\n"))
			n := gh.OpenPull("acme", "svc", "main", "feature")
			_, c := newClient(t, gh, github.WithNoSleep())
			first, err := c.CreateFileComment(context.Background(), "acme", "svc", n, sha, "Makefile", "an earlier comment")
			if err != nil {
				t.Fatal(err)
			}
			gh.InjectFault(githubfake.Fault{Kind: githubfake.FaultServerError, Operation: tc.op, After: true})
			if _, err := tc.write(c, sha, n, first); err != nil {
				t.Fatal(err)
			}
			if got := tc.count(gh, n); got != 1 {
				t.Errorf("%d posted, want 1", got)
			}
		})
	}
}

func withMakefile(mk string) map[string]string {
	m := map[string]string{}
	for k, v := range serviceFiles {
		m[k] = v
	}
	m["Makefile"] = mk
	return m
}
