package app_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/contractbot/contractbot/internal/app"
	"github.com/contractbot/contractbot/internal/githubfake"
	"github.com/contractbot/contractbot/internal/gittest"
)

// A migration through 2,000 services of the 4,000-service soa repository,
// one of which it breaks in a way contractbot can fix, queues one fix
// pull request job, not 2,000: each job takes a token of the
// installation's bucket (60 an hour), so 2,000 would hold that
// installation's other fix pull requests back by some 33 hours. The
// requests the fake sees are logged for BENCHMARKS.md.
func TestServe_ASOAPushThroughTwoThousandServicesQueuesAFixPullRequestJobOnlyForTheOneItBroke(t *testing.T) {
	gittest.RequireTool(t, "git")
	if testing.Short() {
		t.Skip("the 4,000-service repository takes seconds to generate and clone; not under -short")
	}
	fake := githubfake.New(t, githubfake.WithRateLimit(1<<30))
	fake.AddInstallation(e2eInstallation, e2eOwner)
	fake.GrantPermission(e2eInstallation, "contents", "write")
	files := bigSOA(t)
	head := fake.Push(e2eOwner, soaRepo, "master", files)
	fake.Materialize(e2eOwner, soaRepo)
	b := startBot(t, fake, "CONTRACTBOT_SOA_REPO="+e2eOwner+"/"+soaRepo, "CONTRACTBOT_LOG_LEVEL=info",
		"CONTRACTBOT_PAASTA_CONFIG="+bigPaastaConfig(t), "CONTRACTBOT_FIX_PULL_REQUESTS=true")

	const changed = 2000
	for i := range changed {
		svc := fmt.Sprintf("svc%04d", 2*i)
		files[svc+"/monitoring.yaml"] = strings.Replace(files[svc+"/monitoring.yaml"], "runbook: y/", "runbook: https://runbooks.example.com/", 1)
	}
	const broken = "svc3998"
	files[broken+"/deploy.yaml"] = strings.Replace(files[broken+"/deploy.yaml"], "  - step: security-check\n", "", 1)
	after := fake.Push(e2eOwner, soaRepo, "master", files)
	fake.ResetCalls()
	start := time.Now()
	if got := b.deliver("push", cappedPushPayload(t, soaRepo, "master", head, after)); got != http.StatusAccepted {
		t.Fatalf("push: status %d", got)
	}
	deadline := time.Now().Add(3 * time.Minute)
	for fixPRJobsEnqueued(t, b, after) < 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the check of the push queued no fix pull request jobs within 3 minutes\nlogs:\n%s", b.logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	jobs := fixPRJobsEnqueued(t, b, after)
	checked := fake.TotalCalls()
	waitLog(t, b, "fix pull request opened", 1)
	calls := fake.Calls()
	t.Logf("%d fix pull request jobs queued after %v; %d requests up to then, %d once the pull request was opened (pulls/list %d, pulls/create %d, apps/get-repo-installation %d)",
		jobs, time.Since(start).Round(time.Millisecond), checked, fake.TotalCalls(), calls["pulls/list"], calls["pulls/create"], calls["apps/get-repo-installation"])
	if jobs != 1 {
		t.Errorf("%d fix pull request jobs queued, want 1 (%s's)", jobs, broken)
	}
	prs := fake.PullRequests(e2eOwner, soaRepo)
	if len(prs) != 1 || prs[0].Head != app.FixBranch+"-"+broken {
		t.Errorf("pull requests %+v, want one from %s-%s", prs, app.FixBranch, broken)
	}
}
