package app_test

// End-to-end tests of the fix pull requests: the real binary against the
// fake GitHub, whose Git Data API stores objects as git does and moves
// refs by GitHub's fast-forward rules.

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/contractbot/contractbot/internal/app"
	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/githubfake"
	"github.com/contractbot/contractbot/internal/gittest"
)

const zeroSHA = "0000000000000000000000000000000000000000"

// fixableService is a service whose Makefile sets DOCKER_TAG with :=, which
// `contractbot fix` turns into ?=; note is a README line that changes the
// commit and nothing else.
func fixableService(optIn bool, note string) map[string]string {
	files := withFiles(goodService(), "Makefile", makefileWith("DOCKER_TAG := x"), "README.md", "# example service\n"+note)
	if optIn {
		files[".contractbot.yaml"] = "fix_pull_requests: true\n"
	}
	return files
}

// pushMain pushes files to main of web and delivers the push.
func pushMain(t *testing.T, fake *githubfake.Server, b *bot, files map[string]string) string {
	t.Helper()
	before := fake.Branch(e2eOwner, "web", "main")
	if before == "" {
		before = zeroSHA
	}
	sha := fake.Push(e2eOwner, "web", "main", files)
	if got := b.deliver("push", pushPayload(t, "web", "main", before, sha, "Makefile")); got != http.StatusAccepted {
		t.Fatalf("push: status %d", got)
	}
	return sha
}

// fixPull returns the one fix pull request of web.
func fixPull(t *testing.T, fake *githubfake.Server) githubfake.PullRequest {
	t.Helper()
	prs := fake.PullRequests(e2eOwner, "web")
	if len(prs) != 1 {
		t.Fatalf("%d pull requests, want 1: %+v", len(prs), prs)
	}
	if p := prs[0]; p.Head != app.FixBranch || p.Base != "main" || p.Title != app.FixPRTitle || !p.ByApp {
		t.Fatalf("pull request %+v", p)
	}
	return prs[0]
}

// assertFixCommit checks that the fix branch is one commit on base whose
// Makefile is fixed.
func assertFixCommit(t *testing.T, fake *githubfake.Server, base string) string {
	t.Helper()
	tip := fake.Branch(e2eOwner, "web", app.FixBranch)
	parents, committer, msg := fake.Commit(e2eOwner, "web", tip)
	if len(parents) != 1 || parents[0] != base || !strings.HasPrefix(committer, "contractbot <") || !strings.Contains(msg, "Contractbot-Fix-Base: "+base) {
		t.Fatalf("fix commit %s: parents %v, committer %q, message:\n%s", tip, parents, committer, msg)
	}
	mk, _ := fake.FileAt(e2eOwner, "web", tip, "Makefile")
	if !strings.Contains(mk, "DOCKER_TAG ?= x\n") || strings.Contains(mk, "DOCKER_TAG := x") {
		t.Fatalf("fixed Makefile:\n%s", mk)
	}
	return tip
}

func TestServe_AFixPullRequestIsOpenedUpdatedOnANewHeadAndClosedWhenTheBranchIsClean(t *testing.T) {
	fake := newFake(t)
	fake.GrantPermission(e2eInstallation, "contents", "write")
	b := startBot(t, fake)

	// 1. The default branch breaks a rule contractbot can fix: one pull
	// request from contractbot/fix, with the fix, its rule and its docs.
	head1 := pushMain(t, fake, b, fixableService(true, ""))
	waitLog(t, b, "fix pull request opened", 1)
	pr := fixPull(t, fake)
	if !strings.Contains(pr.Body, "[makefile.docker-tag]("+checks.RuleURL("makefile.docker-tag")+")") || !strings.Contains(pr.Body, head1) {
		t.Fatalf("body:\n%s", pr.Body)
	}
	tip1 := assertFixCommit(t, fake, head1)
	// The App ignores the push of its own commit, but checks it: the pull
	// request's head has its check run, green.
	if runs := waitCheckRuns(t, b, "web", tip1, 1); runs[0].Conclusion != "success" {
		t.Fatalf("check run of the fix commit: %+v", runs[0])
	}

	// 2. The default branch moves on and still needs the fix: the same
	// pull request, its branch rebuilt on the new head.
	head2 := pushMain(t, fake, b, fixableService(true, "more\n"))
	waitLog(t, b, "fix pull request updated", 1)
	if pr := fixPull(t, fake); !pr.Open || !strings.Contains(pr.Body, head2) {
		t.Fatalf("after a new head: %+v", pr)
	}
	assertFixCommit(t, fake, head2)

	// 3. Someone fixes it by hand: the pull request is closed with a
	// comment that says why.
	head3 := pushMain(t, fake, b, withFiles(goodService(), ".contractbot.yaml", "fix_pull_requests: true\n"))
	waitLog(t, b, "fix pull request closed", 1)
	if pr := fixPull(t, fake); pr.Open {
		t.Fatalf("still open: %+v", pr)
	}
	comments := fake.IssueComments(e2eOwner, "web", pr.Number)
	if len(comments) != 1 || !strings.Contains(comments[0].Body, "no longer needs these fixes as of "+head3) {
		t.Fatalf("comments: %+v", comments)
	}
	// Its branch, which held only the App's commit, is gone.
	waitFor(t, "the fix branch deleted", func() bool { return fake.Branch(e2eOwner, "web", app.FixBranch) == "" })

	// 4. The branch breaks again: a new pull request.
	pushMain(t, fake, b, fixableService(true, "again\n"))
	waitLog(t, b, "fix pull request opened", 2)
	if prs := fake.PullRequests(e2eOwner, "web"); len(prs) != 2 || !prs[1].Open || prs[0].Open {
		t.Fatalf("pull requests %+v", prs)
	}
}

func TestServe_ADeclinedFixPullRequestIsNotOpenedAgainUntilItsBranchIsDeleted(t *testing.T) {
	fake := newFake(t)
	fake.GrantPermission(e2eInstallation, "contents", "write")
	b := startBot(t, fake)
	pushMain(t, fake, b, fixableService(true, ""))
	waitLog(t, b, "fix pull request opened", 1)
	pr := fixPull(t, fake)
	tip := fake.Branch(e2eOwner, "web", app.FixBranch)

	// Someone closes it without merging; the default branch moves on and
	// still needs the fixes.
	fake.ClosePull(e2eOwner, "web", pr.Number)
	head2 := pushMain(t, fake, b, fixableService(true, "more\n"))
	waitLog(t, b, "fix pull request: declined; left alone", 1)
	if prs := fake.PullRequests(e2eOwner, "web"); len(prs) != 1 || prs[0].Open {
		t.Fatalf("pull requests %+v", prs)
	}
	if got := fake.Branch(e2eOwner, "web", app.FixBranch); got != tip {
		t.Fatalf("a declined pull request's branch moved to %s", got)
	}
	waitCheckRuns(t, b, "web", head2, 1)
	waitFor(t, "the check run's note", func() bool {
		return strings.Contains(fake.CheckRuns(e2eOwner, "web", head2)[0].Summary, "was closed without being merged")
	})
}

func TestServe_AFixBranchSomeoneElsePushedToIsLeftAloneAndTheCheckRunSaysSo(t *testing.T) {
	fake := newFake(t)
	fake.GrantPermission(e2eInstallation, "contents", "write")
	b := startBot(t, fake)
	pushMain(t, fake, b, fixableService(true, ""))
	waitLog(t, b, "fix pull request opened", 1)

	// A person adds a commit to the pull request's branch.
	theirs := fake.Push(e2eOwner, "web", app.FixBranch, withFiles(fixableService(true, ""), "Makefile", makefileWith("DOCKER_TAG ?= mine")))
	head2 := pushMain(t, fake, b, fixableService(true, "more\n"))
	waitLog(t, b, "fix pull request: someone else pushed to the branch; left alone", 1)
	if got := fake.Branch(e2eOwner, "web", app.FixBranch); got != theirs {
		t.Fatalf("the branch moved from their commit %s to %s", theirs, got)
	}
	runs := waitCheckRuns(t, b, "web", head2, 1)
	waitFor(t, "the check run's note", func() bool {
		return strings.Contains(fake.CheckRuns(e2eOwner, "web", head2)[0].Summary, "someone else pushed commit "+theirs)
	})
	if runs[0].Conclusion != "failure" {
		t.Fatalf("check run %+v", runs[0])
	}
	if pr := fixPull(t, fake); !pr.Open {
		t.Fatalf("pull request %+v", pr)
	}
}

func TestServe_WithoutContentsWriteFixPullRequestsAreOffWithOneLineInTheCheckRun(t *testing.T) {
	fake := newFake(t)
	// The organisation turns them on; the installation has only the
	// manifest's default contents: read.
	b := startBot(t, fake, "CONTRACTBOT_FIX_PULL_REQUESTS=true")
	head := pushMain(t, fake, b, fixableService(false, ""))
	waitLog(t, b, "fix pull request: the installation lacks contents: write or pull_requests: write", 1)
	waitCheckRuns(t, b, "web", head, 1)
	waitFor(t, "the check run's note", func() bool {
		return strings.Contains(fake.CheckRuns(e2eOwner, "web", head)[0].Summary, "Fix pull requests are off")
	})
	if prs := fake.PullRequests(e2eOwner, "web"); len(prs) != 0 {
		t.Fatalf("pull requests without the permissions: %+v", prs)
	}
	if got := fake.Branch(e2eOwner, "web", app.FixBranch); got != "" {
		t.Fatalf("branch %s created without the permissions", got)
	}
}

func TestServe_ALostAnswerToPullsCreateOpensNoSecondPullRequest(t *testing.T) {
	fake := newFake(t)
	fake.GrantPermission(e2eInstallation, "contents", "write")
	// GitHub carries out each create and the answer is lost.
	for _, op := range []string{"git/create-ref", "pulls/create", "git/create-commit"} {
		fake.InjectFault(githubfake.Fault{Kind: githubfake.FaultServerError, Status: http.StatusBadGateway, Operation: op, After: true})
	}
	b := startBot(t, fake)
	head := pushMain(t, fake, b, fixableService(true, ""))
	waitLog(t, b, "fix pull request opened", 1)
	fixPull(t, fake)
	assertFixCommit(t, fake, head)
	if n := fake.Calls()["pulls/create"]; n != 1 {
		t.Fatalf("pulls/create sent %d times, want 1 (the lost answer looked up, not re-sent)", n)
	}
}

// waitFor polls cond for up to 60 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 60 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestServe_ASOAPushGetsOneFixPullRequestPerServiceItBroke(t *testing.T) {
	aSOAPushGetsOneFixPullRequestPerServiceItBroke(t, newFake(t))
}

// An organisation's soa repository, whose recursive tree GitHub truncates,
// is read through the mirror for its fixes too.
func TestServe_ASOAPushGetsOneFixPullRequestPerServiceItBrokeWhenGitHubTruncatesTheSOATree(t *testing.T) {
	gittest.RequireTool(t, "git")
	aSOAPushGetsOneFixPullRequestPerServiceItBroke(t, newFake(t, githubfake.WithTreeBytes(200)))
}

func aSOAPushGetsOneFixPullRequestPerServiceItBroke(t *testing.T, fake *githubfake.Server) {
	fake.GrantPermission(e2eInstallation, "contents", "write")
	b := startBot(t, fake, "CONTRACTBOT_SOA_REPO="+e2eOwner+"/"+soaRepo, "CONTRACTBOT_FIX_PULL_REQUESTS=true")
	soa := soaFixture(t)
	first := fake.Push(e2eOwner, soaRepo, "master", soa)
	deploy := soa["web/deploy.yaml"]
	broken := withFiles(soa, "web/deploy.yaml", strings.Replace(deploy, "  - step: security-check\n", "", 1))
	sha := fake.Push(e2eOwner, soaRepo, "master", broken)
	payload := strings.Replace(string(pushPayload(t, soaRepo, "master", first, sha, "web/deploy.yaml")), `"default_branch":"main"`, `"default_branch":"master"`, 1)
	if got := b.deliver("push", []byte(payload)); got != http.StatusAccepted {
		t.Fatalf("push: status %d", got)
	}
	waitLog(t, b, "fix pull request opened", 1)
	prs := fake.PullRequests(e2eOwner, soaRepo)
	if len(prs) != 1 || prs[0].Head != app.FixBranch+"-web" || prs[0].Base != "master" || prs[0].Title != app.FixPRTitle+": web" {
		t.Fatalf("pull requests %+v", prs)
	}
	tip := fake.Branch(e2eOwner, soaRepo, app.FixBranch+"-web")
	if got, _ := fake.FileAt(e2eOwner, soaRepo, tip, "web/deploy.yaml"); got != deploy {
		t.Fatalf("fixed deploy.yaml:\n%s\nwant\n%s", got, deploy)
	}
	if runs := waitCheckRuns(t, b, soaRepo, tip, 1); runs[0].Conclusion == "failure" {
		t.Fatalf("check run of the fix commit: %+v", runs[0])
	}
}

// A pull request the App closed itself is not a "no, thanks", even when
// its branch outlived it (the branch's delete failed, and the default
// branch broke again before a retry deleted it): the next fixes get a
// pull request, not a note that someone declined them.
func TestServe_AFixPullRequestTheAppClosedIsNotTakenForADeclinedOne(t *testing.T) {
	fake := newFake(t)
	fake.GrantPermission(e2eInstallation, "contents", "write")
	b := startBot(t, fake)
	pushMain(t, fake, b, fixableService(true, ""))
	waitLog(t, b, "fix pull request opened", 1)

	fake.InjectFault(githubfake.Fault{Kind: githubfake.FaultServerError, Operation: "git/delete-ref", Times: 1000})
	pushMain(t, fake, b, withFiles(goodService(), ".contractbot.yaml", "fix_pull_requests: true\n"))
	waitLog(t, b, "fix pull request closed", 1)
	if fake.Branch(e2eOwner, "web", app.FixBranch) == "" {
		t.Fatal("the fix branch was deleted despite the fault")
	}
	head3 := pushMain(t, fake, b, fixableService(true, "again\n"))
	count := func(msg string) int { return strings.Count(b.logs.String(), `"message":"`+msg+`"`) }
	waitFor(t, "the job of the new head", func() bool {
		return count("fix pull request opened") == 2 || count("fix pull request: declined; left alone") > 0
	})
	if n := count("fix pull request: declined; left alone"); n != 0 {
		t.Fatalf("the App's own closing was taken for a decline")
	}
	prs := fake.PullRequests(e2eOwner, "web")
	if len(prs) != 2 || prs[0].Open || !prs[1].Open {
		t.Fatalf("pull requests %+v", prs)
	}
	assertFixCommit(t, fake, head3)
}

// A pull request someone pushed to is theirs: when the default branch no
// longer needs the App's fixes, the App does not close it over their
// commits (nor delete its branch).
func TestServe_AFixPullRequestSomeoneElsePushedToIsNotClosedWhenTheBranchIsClean(t *testing.T) {
	fake := newFake(t)
	fake.GrantPermission(e2eInstallation, "contents", "write")
	b := startBot(t, fake)
	pushMain(t, fake, b, fixableService(true, ""))
	waitLog(t, b, "fix pull request opened", 1)

	theirs := fake.Push(e2eOwner, "web", app.FixBranch, withFiles(fixableService(true, ""), "Makefile", makefileWith("DOCKER_TAG ?= mine")))
	pushMain(t, fake, b, withFiles(goodService(), ".contractbot.yaml", "fix_pull_requests: true\n"))
	waitLog(t, b, "fix pull request: someone else pushed to the branch; left alone", 1)
	pr := fixPull(t, fake)
	if !pr.Open {
		t.Fatalf("their pull request was closed: %+v", pr)
	}
	if got := fake.Branch(e2eOwner, "web", app.FixBranch); got != theirs {
		t.Fatalf("the branch moved from their commit %s to %q", theirs, got)
	}
	if cs := fake.IssueComments(e2eOwner, "web", pr.Number); len(cs) != 0 {
		t.Fatalf("comments on their pull request: %+v", cs)
	}
}

// fixPRJobsEnqueued returns how many fix pull request jobs the check of
// sha queued, as its log says; -1 when it said nothing.
func fixPRJobsEnqueued(t *testing.T, b *bot, sha string) int {
	t.Helper()
	for _, line := range strings.Split(b.logs.String(), "\n") {
		var l struct {
			SHA     string `json:"github_sha"`
			Message string `json:"message"`
			Jobs    int    `json:"jobs"`
		}
		if json.Unmarshal([]byte(line), &l) == nil && l.SHA == sha && l.Message == "fix pull request jobs enqueued" {
			return l.Jobs
		}
	}
	return -1
}

// A soa push queues a fix pull request job only for a service it changed
// that has fixes, or that has an open fix pull request to update or
// close: each job takes a token of the installation's budget.
func TestServe_ASOAPushQueuesFixPullRequestJobsOnlyForServicesWithFixesOrAnOpenFixPullRequest(t *testing.T) {
	fake := newFake(t)
	fake.GrantPermission(e2eInstallation, "contents", "write")
	b := startBot(t, fake, "CONTRACTBOT_SOA_REPO="+e2eOwner+"/"+soaRepo, "CONTRACTBOT_FIX_PULL_REQUESTS=true")
	soa := soaFixture(t)
	first := fake.Push(e2eOwner, soaRepo, "master", soa)
	deliver := func(before, sha string, changed ...string) {
		t.Helper()
		payload := strings.Replace(string(pushPayload(t, soaRepo, "master", before, sha, changed...)), `"default_branch":"main"`, `"default_branch":"master"`, 1)
		if got := b.deliver("push", []byte(payload)); got != http.StatusAccepted {
			t.Fatalf("push: status %d", got)
		}
	}
	// web breaks; worker and nightly change and stay clean.
	touched := func(files map[string]string, note string) map[string]string {
		return withFiles(files, "worker/service.yaml", soa["worker/service.yaml"]+"# "+note+"\n", "nightly/service.yaml", soa["nightly/service.yaml"]+"# "+note+"\n")
	}
	broken := fake.Push(e2eOwner, soaRepo, "master", touched(withoutSecurityCheck(soa, "web"), "one"))
	deliver(first, broken, "web/deploy.yaml", "worker/service.yaml", "nightly/service.yaml")
	waitLog(t, b, "fix pull request opened", 1)
	if n := fixPRJobsEnqueued(t, b, broken); n != 1 {
		t.Errorf("the push that broke web and changed 3 services queued %d fix pull request jobs, want 1 (web's)", n)
	}
	prs := fake.PullRequests(e2eOwner, soaRepo)
	if len(prs) != 1 || prs[0].Head != app.FixBranch+"-web" || !prs[0].Open {
		t.Fatalf("pull requests %+v, want web's open", prs)
	}

	// web is fixed by hand: its open pull request still gets its job, and
	// is closed.
	clean := fake.Push(e2eOwner, soaRepo, "master", touched(soa, "two"))
	deliver(broken, clean, "web/deploy.yaml", "worker/service.yaml", "nightly/service.yaml")
	waitLog(t, b, "fix pull request closed", 1)
	if n := fixPRJobsEnqueued(t, b, clean); n != 1 {
		t.Errorf("the push that fixed web queued %d fix pull request jobs, want 1 (web's, to close it)", n)
	}
	if prs := fake.PullRequests(e2eOwner, soaRepo); len(prs) != 1 || prs[0].Open {
		t.Fatalf("pull requests %+v, want web's closed", prs)
	}
	// Its branch is deleted after the pull request is closed.
	waitFor(t, "the delete of web's fix branch", func() bool { return fake.Branch(e2eOwner, soaRepo, app.FixBranch+"-web") == "" })
}

// A fix branch that branch protection covers is refused for good: the job
// does not retry the write until it is dead-lettered, and the check run
// says so once, with how to let the App push.
func TestServe_AProtectedFixBranchIsNotRetriedAndTheCheckRunSaysHowToAllowTheApp(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before bool // a fix pull request is open before the branch is protected
	}{
		{name: "a branch the App would create"},
		{name: "the branch of an open fix pull request the App would update", before: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFake(t)
			fake.GrantPermission(e2eInstallation, "contents", "write")
			b := startBot(t, fake)
			fake.Push(e2eOwner, "web", "main", goodService()) // the repository exists
			if tc.before {
				pushMain(t, fake, b, fixableService(true, ""))
				waitLog(t, b, "fix pull request opened", 1)
			}
			fake.ProtectBranch(e2eOwner, "web", "contractbot/*")
			tip := fake.Branch(e2eOwner, "web", app.FixBranch)
			head := pushMain(t, fake, b, fixableService(true, "protected\n"))
			waitLog(t, b, "fix pull request: the fix branch is protected; left alone", 1)
			waitCheckRuns(t, b, "web", head, 1)
			waitFor(t, "the check run's note", func() bool {
				return strings.Contains(fake.CheckRuns(e2eOwner, "web", head)[0].Summary, "branch protection")
			})
			if strings.Contains(b.logs.String(), `"task_kind":"fix-pr"`) && strings.Contains(b.logs.String(), `"message":"task failed, will retry"`) {
				t.Errorf("the refused write was retried\nlogs:\n%s", b.logs)
			}
			if got := fake.Branch(e2eOwner, "web", app.FixBranch); got != tip {
				t.Errorf("the protected branch moved from %q to %q", tip, got)
			}
		})
	}
}
