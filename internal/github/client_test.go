package github_test

import (
	"context"
	"io/fs"
	"maps"
	"testing"
	"testing/fstest"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/githubfake"
)

func newClient(t *testing.T, gh *githubfake.Server, opts ...github.Option) (*github.Apps, *github.Client) {
	t.Helper()
	apps, err := github.NewApps(gh.AppID(), gh.PrivateKeyPEM(), gh.URL(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	c, err := apps.Installation(context.Background(), 7)
	if err != nil {
		t.Fatal(err)
	}
	return apps, c
}

var serviceFiles = map[string]string{
	"Makefile":          "test:\n\ttrue\nitest:\n\ttrue\n",
	"Dockerfile":        "FROM debian\n",
	"src/app/main.py":   "print('hi')\n",
	"src/app/README.md": "# app\n",
}

func TestClient_TreeReadsFilesThroughTheAPI(t *testing.T) {
	gh := githubfake.New(t)
	gh.AddInstallation(7, "acme")
	sha := gh.Push("acme", "svc", "main", serviceFiles)
	_, c := newClient(t, gh)
	ctx := context.Background()

	tree, err := c.Tree(ctx, "acme", "svc", sha)
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(tree, "Makefile", "Dockerfile", "src/app/main.py", "src/app/README.md"); err != nil {
		t.Fatal(err)
	}
	got, err := fs.ReadFile(tree, "Makefile")
	if err != nil || string(got) != serviceFiles["Makefile"] {
		t.Fatalf("ReadFile(Makefile) = %q, %v", got, err)
	}
	calls := gh.Calls()
	want := map[string]int{"apps/create-installation-access-token": 1, "git/get-tree": 1, "git/get-blob": 4}
	if !maps.Equal(calls, want) {
		t.Errorf("calls = %v, want %v (every blob fetched once, whatever fstest reads)", calls, want)
	}
}

func TestClient_PublishCheckRunInOneCallUpTo50Annotations(t *testing.T) {
	gh := githubfake.New(t)
	gh.AddInstallation(7, "acme")
	sha := gh.Push("acme", "svc", "main", serviceFiles)
	_, c := newClient(t, gh)

	res := &checks.Result{Findings: []checks.Finding{
		{RuleID: "makefile.itest", Severity: checks.SeverityError, Path: "Makefile", Line: 3, EndLine: 3, Message: "itest must build the image"},
		{RuleID: "makefile.itest", Severity: checks.SeverityError, Path: "Makefile", Line: 4, EndLine: 4, Message: "itest must run tests"},
		{RuleID: "docker.file", Severity: checks.SeverityWarning, Path: "Dockerfile", Line: 1, EndLine: 1, Message: "pin | the *base* image"},
	}}
	id, err := c.PublishCheckRun(context.Background(), "acme", "svc", github.CheckRun{HeadSHA: sha, ExternalID: "task-1", Result: res})
	if err != nil {
		t.Fatal(err)
	}
	runs := gh.CheckRuns("acme", "svc", sha)
	if len(runs) != 1 || runs[0].ID != id {
		t.Fatalf("check runs = %+v", runs)
	}
	r := runs[0]
	if r.Requests != 1 || r.Status != "completed" || r.Conclusion != "failure" || r.Title != "2 errors, 1 warning" || len(r.Annotations) != 3 {
		t.Errorf("run = requests %d status %s conclusion %s title %q annotations %d", r.Requests, r.Status, r.Conclusion, r.Title, len(r.Annotations))
	}
	if r.Annotations[0].AnnotationLevel != "failure" || r.Annotations[2].AnnotationLevel != "warning" {
		t.Errorf("levels = %s, %s", r.Annotations[0].AnnotationLevel, r.Annotations[2].AnnotationLevel)
	}
	t.Log(r.Summary)
}
