package app_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/contractbot/contractbot/internal/app"
	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/githubfake"
	"github.com/contractbot/contractbot/internal/gittest"
)

// A soa push whose payload lists 20 commits (GitHub's cap) names no file:
// the services it changed come from git, through the mirror, and their
// repositories are re-checked and fixed as a push listing them would be.

func TestServe_ASOAPushWhosePayloadCannotListItsFilesStillTurnsTheBrokenServicesRepositoryRed(t *testing.T) {
	gittest.RequireTool(t, "git")
	fake := newFake(t)
	b := startBot(t, fake, "CONTRACTBOT_SOA_REPO="+e2eOwner+"/"+soaRepo)
	soa := soaFixture(t)
	// worker's service.yaml names its repository (git_url).
	soa["worker/service.yaml"] = strings.Replace(soa["worker/service.yaml"], "git@github.yelpcorp.com:services/worker", "git@github.yelpcorp.com:"+e2eOwner+"/worker.git", 1)
	first := fake.Push(e2eOwner, soaRepo, "master", soa)
	files := goodService()
	if want := soaOracle(t, files, soa, "worker"); !want.OK {
		t.Fatalf("fixture: worker fails before the soa push: %v", want.Findings)
	}
	// web's repository exists too.
	head := fake.Push(e2eOwner, "worker", "main", files)
	webHead := fake.Push(e2eOwner, "web", "main", goodService())
	b.deliver("push", pushPayload(t, "worker", "main", zero, head, "Makefile"))
	if run := waitCheckRuns(t, b, "worker", head, 1)[0]; run.Conclusion == "failure" {
		t.Fatalf("worker's first run failed: %+v", run)
	}

	// The soa push removes worker's deploy.yaml; its payload lists 20
	// commits that each modify README.md, as a cut list would.
	sha := fake.Push(e2eOwner, soaRepo, "master", withFiles(soa, "worker/deploy.yaml", ""))
	if got := b.deliver("push", cappedPushPayload(t, soaRepo, "master", first, sha)); got != http.StatusAccepted {
		t.Fatalf("push: status %d", got)
	}
	runs := waitCheckRuns(t, b, "worker", head, 2)
	last := runs[len(runs)-1]
	if last.Conclusion != "failure" || !strings.Contains(last.Summary, "soa.deploy-yaml") {
		t.Errorf("worker's run after the soa push: %s %q, want a failure naming soa.deploy-yaml", last.Conclusion, last.Summary)
	}
	// One re-check of worker, and none of web, which git says the push
	// did not touch.
	if n := strings.Count(b.logs.String(), "recheck: service repository check enqueued"); n != 1 {
		t.Errorf("%d re-checks enqueued, want 1 (worker's)\nlogs:\n%s", n, b.logs)
	}
	if n := len(fake.CheckRuns(e2eOwner, "web", webHead)); n != 0 {
		t.Errorf("%d runs on web, which the push did not touch", n)
	}
}

func TestServe_ASOAPushWhosePayloadCannotListItsFilesStillGetsAFixPullRequestPerServiceItBroke(t *testing.T) {
	gittest.RequireTool(t, "git")
	fake := newFake(t)
	fake.GrantPermission(e2eInstallation, "contents", "write")
	b := startBot(t, fake, "CONTRACTBOT_SOA_REPO="+e2eOwner+"/"+soaRepo, "CONTRACTBOT_FIX_PULL_REQUESTS=true")
	soa := soaFixture(t)
	first := fake.Push(e2eOwner, soaRepo, "master", soa)
	deploy := soa["web/deploy.yaml"]
	sha := fake.Push(e2eOwner, soaRepo, "master", withFiles(soa, "web/deploy.yaml", strings.Replace(deploy, "  - step: security-check\n", "", 1)))
	if got := b.deliver("push", cappedPushPayload(t, soaRepo, "master", first, sha)); got != http.StatusAccepted {
		t.Fatalf("push: status %d", got)
	}
	waitLog(t, b, "fix pull request opened", 1)
	prs := fake.PullRequests(e2eOwner, soaRepo)
	if len(prs) != 1 || prs[0].Head != app.FixBranch+"-web" || prs[0].Base != "master" {
		t.Fatalf("pull requests %+v, want one from %s-web", prs, app.FixBranch)
	}
	tip := fake.Branch(e2eOwner, soaRepo, app.FixBranch+"-web")
	if got, _ := fake.FileAt(e2eOwner, soaRepo, tip, "web/deploy.yaml"); got != deploy {
		t.Fatalf("fixed deploy.yaml:\n%s\nwant\n%s", got, deploy)
	}
}

// A service whose repository is under another owner costs one
// apps/get-repo-installation per re-check unless the answer is kept: two
// soa pushes in a row that change web (git_url services/web, where the
// App is not installed) ask once.
func TestServe_ReCheckingAServiceUnderAnotherOwnerAsksForItsInstallationOnceInAWhile(t *testing.T) {
	fake := newFake(t)
	b := startBot(t, fake, "CONTRACTBOT_SOA_REPO="+e2eOwner+"/"+soaRepo)
	soa := soaFixture(t)
	if !strings.Contains(soa["web/service.yaml"], "services/web") {
		t.Fatalf("fixture: web's service.yaml names no repository under services/:\n%s", soa["web/service.yaml"])
	}
	fake.Push(e2eOwner, soaRepo, "master", soa)
	fake.ResetCalls()
	for i := range 2 {
		soaPush(t, fake, b, withFiles(soa, "web/service.yaml", soa["web/service.yaml"]+fmt.Sprintf("# %d\n", i)), "web/service.yaml")
		waitLog(t, b, "recheck: the App is not installed on the service's repository", i+1)
	}
	if n := fake.Calls()["apps/get-repo-installation"]; n != 1 {
		t.Errorf("%d apps/get-repo-installation requests for two re-checks of web, want 1", n)
	}
}

// Without a git mirror (REST only) a soa push whose payload lists 20
// commits cannot say which services it changed: the check run of the soa
// commit says so, and how to have them checked, rather than "no
// problems".
func TestServe_ASOAPushWhosePayloadCannotListItsFilesSaysSoWithoutAGitMirror(t *testing.T) {
	fake := newFake(t)
	b := startBot(t, fake, "CONTRACTBOT_SOA_REPO="+e2eOwner+"/"+soaRepo, "CONTRACTBOT_GIT_CACHE_BYTES=0")
	soa := soaFixture(t)
	first := fake.Push(e2eOwner, soaRepo, "master", soa)
	sha := fake.Push(e2eOwner, soaRepo, "master", withFiles(soa, "worker/deploy.yaml", ""))
	if got := b.deliver("push", cappedPushPayload(t, soaRepo, "master", first, sha)); got != http.StatusAccepted {
		t.Fatalf("push: status %d", got)
	}
	run := waitCheckRuns(t, b, soaRepo, sha, 1)[0]
	if strings.Contains(run.Summary, "found nothing") || run.Title == "No problems found" {
		t.Errorf("the run says it found nothing: %s\n%s", run.Title, run.Summary)
	}
	for _, want := range []string{checks.ChangedServicesRuleID, "20 commits", "CONTRACTBOT_GIT_CACHE_BYTES"} {
		if !strings.Contains(run.Summary, want) {
			t.Errorf("the run's summary does not say %q:\n%s", want, run.Summary)
		}
	}
}

// Only GitHub's 404 says the App is not installed on a service's
// repository: a re-check whose installation lookup fails otherwise (a
// 502) is retried, not dropped as "not installed".
func TestServe_AReCheckWhoseInstallationLookupFailsIsRetriedNotDropped(t *testing.T) {
	fake := newFake(t)
	b := startBot(t, fake, "CONTRACTBOT_SOA_REPO="+e2eOwner+"/"+soaRepo)
	soa := soaFixture(t)
	fake.Push(e2eOwner, soaRepo, "master", soa)
	const faults = 6
	fake.InjectFault(githubfake.Fault{Kind: githubfake.FaultServerError, Operation: "apps/get-repo-installation", Status: http.StatusBadGateway, Times: faults})
	fake.ResetCalls()
	soaPush(t, fake, b, withFiles(soa, "web/service.yaml", soa["web/service.yaml"]+"# touched\n"), "web/service.yaml")
	waitLog(t, b, "recheck: the App is not installed on the service's repository", 1)
	if n := fake.Calls()["apps/get-repo-installation"]; n <= faults {
		t.Errorf("%d apps/get-repo-installation requests, %d of them answered 502: the re-check took a 502 for \"not installed\"", n, faults)
	}
}
