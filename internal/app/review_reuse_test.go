package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/diff"
	ghclient "github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/webhook"
)

// fakeReviewClient is fakeClient with an open pull request whose head is
// head and whose one changed file is the Makefile.
type fakeReviewClient struct {
	*fakeClient
	head     string
	reviews  []ghclient.Review
	filesErr error // what PullFiles fails with, if anything
}

func (c *fakeReviewClient) PullHead(context.Context, string, string, int) (string, bool, error) {
	return c.head, true, nil
}

func (c *fakeReviewClient) PullFiles(context.Context, string, string, int) ([]ghclient.PullFile, error) {
	if c.filesErr != nil {
		return nil, c.filesErr
	}
	hunks, err := diff.Parse("@@ -1,1 +1,1 @@\n-DOCKER_TAG ?= web-$(USER)-dev\n+DOCKER_TAG := x\n")
	return []ghclient.PullFile{{Path: "Makefile", Status: "modified", Hunks: hunks}}, err
}

func (c *fakeReviewClient) ReviewComments(context.Context, string, string, int) ([]ghclient.ReviewComment, error) {
	return nil, nil
}

func (c *fakeReviewClient) CreateReview(_ context.Context, _, _ string, _ int, rv ghclient.Review) (int64, error) {
	c.reviews = append(c.reviews, rv)
	return 1, nil
}

func (c *fakeReviewClient) CreateFileComment(context.Context, string, string, int, string, string, string) (int64, error) {
	return 2, nil
}

func (c *fakeReviewClient) ReplyToComment(context.Context, string, string, int, string, string, int64, string) (int64, error) {
	return 3, nil
}

type fakeReviewClients struct{ c *fakeReviewClient }

func (f fakeReviewClients) Installation(context.Context, int64) (Client, error) { return f.c, nil }
func (f fakeReviewClients) RepoInstallation(context.Context, string, string) (int64, error) {
	return 1, nil
}
func (f fakeReviewClients) Forget(int64) {}
func (f fakeReviewClients) Installations(context.Context) ([]int64, error) {
	return []int64{1}, nil
}

func TestReviewer_CommentsOnTheFindingsOfTheCommitsCheckRunWithoutCheckingAgain(t *testing.T) {
	now := time.Unix(1700000000, 0)
	makefile := strings.Replace(goodMakefile, "DOCKER_TAG ?= web-$(USER)-dev", "DOCKER_TAG := x", 1)
	fc := &fakeClient{trees: map[string]fs.FS{
		"base": tree("Makefile", goodMakefile, "Dockerfile", "FROM scratch\n"),
		"head": tree("Makefile", makefile, "Dockerfile", "FROM scratch\n"),
	}}
	rc := &fakeReviewClient{fakeClient: fc, head: "head"}
	ch := newTestChecker(t, fc, &now)
	ch.Clients = fakeReviewClients{rc}
	j := checkJob{Installation: 1, Owner: "acme", Repo: "web", SHA: "head", DefaultSHA: "base", DefaultBranch: "main", Event: "pull_request"}

	p, _ := json.Marshal(j)
	if err := ch.Run(context.Background(), webhook.Task{ID: "check/head", Key: "head", Kind: KindCheck, Payload: p}); err != nil {
		t.Fatal(err)
	}
	calls, runs := fc.take()
	if len(runs) != 1 || runs[0].Result.OK {
		t.Fatalf("check runs %+v, want one failing run", runs)
	}

	p, _ = json.Marshal(reviewJob{checkJob: j, Number: 7})
	if err := (&Reviewer{Checker: ch}).Run(context.Background(), webhook.Task{ID: "review/head", Key: "review", Kind: KindReview, Payload: p}); err != nil {
		t.Fatal(err)
	}
	again, _ := fc.take()
	if len(again) != 0 {
		t.Errorf("the review read the repository again (%q) after the check job's %q: it must reuse the check", again, calls)
	}
	if len(rc.reviews) != 1 || len(rc.reviews[0].Comments) != 1 || !strings.Contains(rc.reviews[0].Comments[0].Body, "makefile.docker-tag") {
		t.Fatalf("reviews %+v, want one comment on the DOCKER_TAG line", rc.reviews)
	}
	want := runs[0].Result.Findings
	var docker checks.Finding
	for _, f := range want {
		if f.RuleID == "makefile.docker-tag" {
			docker = f
		}
	}
	if rc.reviews[0].Comments[0].Line != docker.Line {
		t.Errorf("comment on line %d, the check run's finding is on line %d", rc.reviews[0].Comments[0].Line, docker.Line)
	}

	// A retried review checks afresh: what failed may have been the kept
	// check's tree.
	if err := (&Reviewer{Checker: ch}).Run(context.Background(), webhook.Task{ID: "review/head", Key: "review", Kind: KindReview, Payload: p, Attempts: 2}); err != nil {
		t.Fatal(err)
	}
	if retried, _ := fc.take(); len(retried) == 0 {
		t.Errorf("a retried review read nothing: it reused the kept check")
	}
}

func TestReviewer_APullRequestWithMoreFilesThanGitHubListsGetsNoReviewAndIsNotRetried(t *testing.T) {
	now := time.Unix(1700000000, 0)
	fc := &fakeClient{trees: map[string]fs.FS{"head": tree("Makefile", goodMakefile, "Dockerfile", "FROM scratch\n")}}
	rc := &fakeReviewClient{fakeClient: fc, head: "head", filesErr: fmt.Errorf("list files of acme/web#7: %w", ghclient.ErrListTooLong)}
	ch := newTestChecker(t, fc, &now)
	ch.Clients = fakeReviewClients{rc}
	j := checkJob{Installation: 1, Owner: "acme", Repo: "web", SHA: "head", DefaultBranch: "main", Event: "pull_request"}
	p, _ := json.Marshal(reviewJob{checkJob: j, Number: 7})
	// GitHub lists at most 3,000 files of a pull request: the rest of the
	// diff cannot be known, so no line can be said to be outside it. The
	// check run still carries every finding; retrying cannot help.
	if err := (&Reviewer{Checker: ch}).Run(context.Background(), webhook.Task{ID: "review/head", Key: "review", Kind: KindReview, Payload: p}); err != nil {
		t.Fatalf("Run: %v, want the task done", err)
	}
	if len(rc.reviews) != 0 {
		t.Errorf("reviews %+v on a diff read in part, want none", rc.reviews)
	}
}
