package app_test

// End-to-end tests of the soa repository's per-push fix pull requests
// (CONTRACTBOT_SOA_FIX_PULL_REQUESTS=per-push): the real binary against
// the fake GitHub.

import (
	"net/http"
	"strings"
	"testing"

	"github.com/contractbot/contractbot/internal/app"
	"github.com/contractbot/contractbot/internal/githubfake"
)

// soaPush pushes files to master of the soa repository and delivers the
// push, whose one listed commit modified changed.
func soaPush(t *testing.T, fake *githubfake.Server, b *bot, files map[string]string, changed string) string {
	t.Helper()
	before := fake.Branch(e2eOwner, soaRepo, "master")
	sha := fake.Push(e2eOwner, soaRepo, "master", files)
	payload := strings.Replace(string(pushPayload(t, soaRepo, "master", before, sha, changed)), `"default_branch":"main"`, `"default_branch":"master"`, 1)
	if got := b.deliver("push", []byte(payload)); got != http.StatusAccepted {
		t.Fatalf("push: status %d", got)
	}
	return sha
}

// withoutSecurityCheck is the soa files with service's deploy.yaml
// missing its security-check step, which `contractbot fix` puts back.
func withoutSecurityCheck(soa map[string]string, service string) map[string]string {
	return withFiles(soa, service+"/deploy.yaml", strings.Replace(soa[service+"/deploy.yaml"], "  - step: security-check\n", "", 1))
}

// assertSOAFix checks that the per-push fix branch is one commit on base
// whose deploy.yaml of each of fixed has its security-check step again
// (where `contractbot fix` puts it), and returns its tip.
func assertSOAFix(t *testing.T, fake *githubfake.Server, base string, fixed ...string) string {
	t.Helper()
	tip := fake.Branch(e2eOwner, soaRepo, app.FixBranch)
	parents, committer, msg := fake.Commit(e2eOwner, soaRepo, tip)
	if len(parents) != 1 || parents[0] != base || !strings.HasPrefix(committer, "contractbot <") ||
		!strings.Contains(msg, "Contractbot-Fix-Services: "+strings.Join(fixed, " ")+"\n") {
		t.Fatalf("fix commit %s: parents %v (want %s), committer %q, message:\n%s", tip, parents, base, committer, msg)
	}
	for _, s := range fixed {
		if got, _ := fake.FileAt(e2eOwner, soaRepo, tip, s+"/deploy.yaml"); !strings.Contains(got, "  - step: security-check\n") {
			t.Fatalf("fixed %s/deploy.yaml has no security-check step:\n%s", s, got)
		}
	}
	return tip
}

// onePushPull returns the soa repository's one pull request, which must
// come from the rolling branch.
func onePushPull(t *testing.T, fake *githubfake.Server) githubfake.PullRequest {
	t.Helper()
	prs := fake.PullRequests(e2eOwner, soaRepo)
	if len(prs) != 1 || prs[0].Head != app.FixBranch || prs[0].Base != "master" || prs[0].Title != app.FixPRTitle || !prs[0].ByApp {
		t.Fatalf("pull requests %+v, want one from %s", prs, app.FixBranch)
	}
	return prs[0]
}

func TestServe_TwoSOAPushesBreakingTwoServicesGetOneFixPullRequestPerPushMode(t *testing.T) {
	fake := newFake(t)
	fake.GrantPermission(e2eInstallation, "contents", "write")
	b := startBot(t, fake, "CONTRACTBOT_SOA_REPO="+e2eOwner+"/"+soaRepo, "CONTRACTBOT_FIX_PULL_REQUESTS=true",
		"CONTRACTBOT_SOA_FIX_PULL_REQUESTS=per-push")
	good := soaFixture(t)
	fake.Push(e2eOwner, soaRepo, "master", good)

	// The first push's job fails once (GitHub answers 502 to every
	// attempt at reading the fix branch) and waits to be retried, so the
	// second push's job is merged into it in the queue and brings only
	// its own payload: web must not be lost.
	fake.InjectFault(githubfake.Fault{Kind: githubfake.FaultServerError, Status: http.StatusBadGateway, Operation: "git/get-ref", Times: 4})
	oneBroken := withoutSecurityCheck(good, "web")
	soaPush(t, fake, b, oneBroken, "web/deploy.yaml")
	waitLog(t, b, "task failed, will retry", 1)
	head2 := soaPush(t, fake, b, withoutSecurityCheck(oneBroken, "worker"), "worker/deploy.yaml")

	waitLog(t, b, "fix pull request opened", 1)
	waitFor(t, "both services fixed on the second head", func() bool {
		tip := fake.Branch(e2eOwner, soaRepo, app.FixBranch)
		parents, _, msg := fake.Commit(e2eOwner, soaRepo, tip)
		return len(parents) == 1 && parents[0] == head2 && strings.Contains(msg, "Contractbot-Fix-Services: web worker\n")
	})
	tip := assertSOAFix(t, fake, head2, "web", "worker")
	// The description follows the branch (a job that ran between the
	// two pushes may have opened it for web alone).
	waitFor(t, "the description of both services", func() bool {
		pr := onePushPull(t, fake)
		return strings.Contains(pr.Body, "in `web/` and `worker/` on `master` at "+head2) &&
			strings.Contains(pr.Body, "`web/deploy.yaml:1`") && strings.Contains(pr.Body, "`worker/deploy.yaml:1`")
	})
	for _, s := range []string{"web", "worker"} {
		if got := fake.Branch(e2eOwner, soaRepo, app.FixBranch+"-"+s); got != "" {
			t.Fatalf("per-push mode made the per-service branch of %s", s)
		}
	}
	if runs := waitCheckRuns(t, b, soaRepo, tip, 1); runs[0].Conclusion == "failure" {
		t.Fatalf("check run of the fix commit: %+v", runs[0])
	}

	// Someone fixes web by hand: the same pull request now fixes worker
	// only, on the new head.
	webFixed := withoutSecurityCheck(good, "worker")
	head3 := soaPush(t, fake, b, webFixed, "web/deploy.yaml")
	waitFor(t, "the pull request rebuilt for worker alone", func() bool {
		parents, _, _ := fake.Commit(e2eOwner, soaRepo, fake.Branch(e2eOwner, soaRepo, app.FixBranch))
		return len(parents) == 1 && parents[0] == head3
	})
	assertSOAFix(t, fake, head3, "worker")
	// The description follows the branch.
	waitFor(t, "the description of worker alone", func() bool {
		pr := onePushPull(t, fake)
		return pr.Open && strings.Contains(pr.Body, head3) && strings.Contains(pr.Body, "in `worker/` on") && !strings.Contains(pr.Body, "web/")
	})

	// And worker: the pull request is closed with a comment, its branch
	// deleted.
	head4 := soaPush(t, fake, b, good, "worker/deploy.yaml")
	waitLog(t, b, "fix pull request closed", 1)
	pr := onePushPull(t, fake)
	if pr.Open {
		t.Fatalf("still open: %+v", pr)
	}
	if c := fake.IssueComments(e2eOwner, soaRepo, pr.Number); len(c) != 1 || !strings.Contains(c[0].Body, "no longer needs these fixes as of "+head4) {
		t.Fatalf("comments: %+v", c)
	}
	waitFor(t, "the fix branch deleted", func() bool { return fake.Branch(e2eOwner, soaRepo, app.FixBranch) == "" })
}

func TestServe_APerPushFixBranchSomeoneElsePushedToIsLeftAloneAndTheCheckRunSaysSo(t *testing.T) {
	fake := newFake(t)
	fake.GrantPermission(e2eInstallation, "contents", "write")
	b := startBot(t, fake, "CONTRACTBOT_SOA_REPO="+e2eOwner+"/"+soaRepo, "CONTRACTBOT_FIX_PULL_REQUESTS=true",
		"CONTRACTBOT_SOA_FIX_PULL_REQUESTS=per-push")
	good := soaFixture(t)
	fake.Push(e2eOwner, soaRepo, "master", good)
	webBroken := withoutSecurityCheck(good, "web")
	soaPush(t, fake, b, webBroken, "web/deploy.yaml")
	waitLog(t, b, "fix pull request opened", 1)

	// A person adds a commit to the pull request's branch; then a push
	// breaks worker too.
	theirs := fake.Push(e2eOwner, soaRepo, app.FixBranch, withFiles(good, "web/README.md", "mine\n"))
	head2 := soaPush(t, fake, b, withoutSecurityCheck(webBroken, "worker"), "worker/deploy.yaml")
	waitLog(t, b, "fix pull request: someone else pushed to the branch; left alone", 1)
	if got := fake.Branch(e2eOwner, soaRepo, app.FixBranch); got != theirs {
		t.Fatalf("the branch moved from their commit %s to %s", theirs, got)
	}
	waitCheckRuns(t, b, soaRepo, head2, 1)
	waitFor(t, "the check run's note", func() bool {
		return strings.Contains(fake.CheckRuns(e2eOwner, soaRepo, head2)[0].Summary, "someone else pushed commit "+theirs)
	})
	if pr := onePushPull(t, fake); !pr.Open {
		t.Fatalf("pull request %+v", pr)
	}
}

func TestServe_WithoutContentsWriteThePerPushFixPullRequestIsOffWithOneLineInTheCheckRun(t *testing.T) {
	fake := newFake(t)
	// The installation has only the manifest's default contents: read.
	b := startBot(t, fake, "CONTRACTBOT_SOA_REPO="+e2eOwner+"/"+soaRepo, "CONTRACTBOT_FIX_PULL_REQUESTS=true",
		"CONTRACTBOT_SOA_FIX_PULL_REQUESTS=per-push")
	good := soaFixture(t)
	fake.Push(e2eOwner, soaRepo, "master", good)
	head := soaPush(t, fake, b, withoutSecurityCheck(good, "web"), "web/deploy.yaml")
	waitLog(t, b, "fix pull request: the installation lacks contents: write or pull_requests: write", 1)
	waitCheckRuns(t, b, soaRepo, head, 1)
	waitFor(t, "the check run's note", func() bool {
		return strings.Contains(fake.CheckRuns(e2eOwner, soaRepo, head)[0].Summary, "Fix pull requests are off")
	})
	if prs := fake.PullRequests(e2eOwner, soaRepo); len(prs) != 0 {
		t.Fatalf("pull requests without the permissions: %+v", prs)
	}
	if got := fake.Branch(e2eOwner, soaRepo, app.FixBranch); got != "" {
		t.Fatalf("branch %s created without the permissions", got)
	}
}
