package github_test

import (
	"context"
	"testing"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/githubfake"
)

// A task that runs again (a retry, or a task another replica took over
// after the first one died) must not leave a second check run on the
// commit: with Resume set, PublishCheckRun finishes the run its earlier
// attempt left behind.
func TestClient_PublishCheckRunResume(t *testing.T) {
	result := func(n int) *checks.Result {
		return &checks.Result{Findings: findings(n, checks.SeverityError, "Makefile")}
	}
	tests := []struct {
		name string
		// earlier publishes a run as an earlier attempt did, or nothing.
		earlier   func(t *testing.T, gh *githubfake.Server, c *github.Client, sha string)
		run       github.CheckRun
		wantRuns  int
		wantCalls map[string]int // of the resumed publish
		wantAnnot int            // annotations on the newest run
	}{
		{
			name:      "a first publish with resume creates the run after one lookup",
			earlier:   func(*testing.T, *githubfake.Server, *github.Client, string) {},
			run:       github.CheckRun{ExternalID: "check/acme/svc@x", Result: result(2), Resume: true},
			wantRuns:  1,
			wantCalls: map[string]int{"checks/list-for-ref": 1, "checks/create": 1},
			wantAnnot: 2,
		},
		{
			name: "a completed run of the same task is left alone",
			earlier: func(t *testing.T, gh *githubfake.Server, c *github.Client, sha string) {
				publish(t, c, github.CheckRun{HeadSHA: sha, ExternalID: "check/acme/svc@x", Result: result(2)})
			},
			run:       github.CheckRun{ExternalID: "check/acme/svc@x", Result: result(2), Resume: true},
			wantRuns:  1,
			wantCalls: map[string]int{"checks/list-for-ref": 1},
			wantAnnot: 2,
		},
		{
			name: "a run left in progress gets only the annotations it lacks",
			earlier: func(t *testing.T, gh *githubfake.Server, c *github.Client, sha string) {
				gh.InjectFault(githubfake.Fault{Kind: githubfake.FaultServerError, Operation: "checks/update"})
				run := github.CheckRun{HeadSHA: sha, ExternalID: "check/acme/svc@x", Result: result(120)}
				if _, err := c.PublishCheckRun(context.Background(), "acme", "svc", run); err == nil {
					t.Fatal("publish succeeded through a failing update")
				}
			},
			run:       github.CheckRun{ExternalID: "check/acme/svc@x", Result: result(120), Resume: true},
			wantRuns:  1,
			wantCalls: map[string]int{"checks/list-for-ref": 1, "checks/update": 2},
			wantAnnot: 120,
		},
		{
			name: "a run of another task (a re-run request) is not reused",
			earlier: func(t *testing.T, gh *githubfake.Server, c *github.Client, sha string) {
				publish(t, c, github.CheckRun{HeadSHA: sha, ExternalID: "check/acme/svc@x", Result: result(2)})
			},
			run:       github.CheckRun{ExternalID: "check/acme/svc@x/rerun/1", Result: result(2), Resume: true},
			wantRuns:  2,
			wantCalls: map[string]int{"checks/list-for-ref": 1, "checks/create": 1},
			wantAnnot: 2,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gh := githubfake.New(t)
			gh.AddInstallation(7, "acme")
			sha := gh.Push("acme", "svc", "main", serviceFiles)
			_, c := newClient(t, gh, github.WithRetries(1))
			tc.earlier(t, gh, c, sha)
			before := gh.Calls()
			run := tc.run
			run.HeadSHA = sha
			id := publish(t, c, run)

			got := map[string]int{}
			for op, n := range gh.Calls() {
				if d := n - before[op]; d > 0 && op != "apps/create-installation-access-token" {
					got[op] = d
				}
			}
			if len(got) != len(tc.wantCalls) {
				t.Errorf("calls = %v, want %v", got, tc.wantCalls)
			}
			for op, n := range tc.wantCalls {
				if got[op] != n {
					t.Errorf("calls = %v, want %v", got, tc.wantCalls)
					break
				}
			}
			runs := gh.CheckRuns("acme", "svc", sha)
			if len(runs) != tc.wantRuns {
				t.Fatalf("%d check runs, want %d: %+v", len(runs), tc.wantRuns, runs)
			}
			last := runs[len(runs)-1]
			if last.ID != id || last.Status != "completed" || last.Conclusion != "failure" {
				t.Errorf("newest run = id %d %s/%s, want id %d completed/failure", last.ID, last.Status, last.Conclusion, id)
			}
			if len(last.Annotations) != tc.wantAnnot {
				t.Errorf("%d annotations, want %d", len(last.Annotations), tc.wantAnnot)
			}
			seen := map[int]bool{}
			for _, a := range last.Annotations {
				if seen[a.StartLine] {
					t.Fatalf("annotation on line %d sent twice", a.StartLine)
				}
				seen[a.StartLine] = true
			}
		})
	}
}

func publish(t *testing.T, c *github.Client, run github.CheckRun) int64 {
	t.Helper()
	id, err := c.PublishCheckRun(context.Background(), "acme", "svc", run)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// The deploy-ref guard's run is published once per ref and target, even
// when a restarted process or another replica judges the same tag again.
func TestClient_PublishSimpleCheckRunOnce(t *testing.T) {
	gh := githubfake.New(t)
	gh.AddInstallation(7, "acme")
	sha := gh.Push("acme", "svc", "main", serviceFiles)
	_, c := newClient(t, gh, github.WithRetries(1))
	run := github.SimpleCheckRun{Name: "PaaSTA deploy ref", HeadSHA: sha, ExternalID: "deploy-ref refs/tags/paasta-x@" + sha,
		Conclusion: github.ConclusionFailure, Title: "Malformed deploy ref", Summary: "bad", Once: true}
	first, err := c.PublishSimpleCheckRun(context.Background(), "acme", "svc", run)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.PublishSimpleCheckRun(context.Background(), "acme", "svc", run)
	if err != nil {
		t.Fatal(err)
	}
	if runs := gh.CheckRuns("acme", "svc", sha); len(runs) != 1 || again != first {
		t.Fatalf("%d runs (ids %d, %d), want the first one only", len(runs), first, again)
	}
	run.ExternalID += "-other"
	if _, err := c.PublishSimpleCheckRun(context.Background(), "acme", "svc", run); err != nil {
		t.Fatal(err)
	}
	if runs := gh.CheckRuns("acme", "svc", sha); len(runs) != 2 {
		t.Fatalf("a run of another ref was suppressed: %d runs", len(runs))
	}
}
