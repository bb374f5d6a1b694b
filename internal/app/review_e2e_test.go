package app_test

// End-to-end tests of the review comments and the deploy-ref guard: the
// real binary against the fake GitHub, which computes each pull request's
// diff from its two commits and answers 422 to a comment off the diff.

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/contractbot/contractbot/internal/githubfake"
)

// waitLog waits until the bot has logged msg n times.
func waitLog(t testing.TB, b *bot, msg string, n int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for strings.Count(b.logs.String(), `"message":"`+msg+`"`) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%q logged fewer than %d times in 60 s\nlogs:\n%s", msg, n, b.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// prEvent is a pull_request event (opened or synchronize) for pull request
// number of repo, head on branch at headSHA.
func prEvent(t testing.TB, action, repo, branch, headSHA, baseSHA string, number int) []byte {
	t.Helper()
	file := "pull_request.opened.1.json"
	if action == "synchronize" {
		file = "pull_request.synchronize.json"
	}
	return pullRequestPayload(t, file, repo, branch, headSHA, baseSHA, number)
}

func makefileWith(line string) string {
	return strings.Replace(goodMakefile, "DOCKER_TAG ?= example-service-dev-$(USER)", line, 1)
}

func TestServe_APullRequestGetsOneSuggestionPerFindingThatIsResolvedWhenFixed(t *testing.T) {
	fake := newFake(t)
	b := startBot(t, fake)
	base := fake.Push(e2eOwner, "web", "main", goodService())
	fake.Push(e2eOwner, "web", "feature", goodService())
	head1 := fake.Push(e2eOwner, "web", "feature", withFiles(goodService(), "Makefile", makefileWith("DOCKER_TAG := x")))
	n := fake.OpenPull(e2eOwner, "web", "main", "feature")

	// 1. The pull request adds DOCKER_TAG := x: one comment on that line,
	// with a suggestion that turns it into ?=.
	if got := b.deliver("pull_request", prEvent(t, "opened", "web", "feature", head1, base, n)); got != http.StatusAccepted {
		t.Fatalf("pull_request: status %d", got)
	}
	waitLog(t, b, "review published", 1)
	comments := fake.ReviewComments(e2eOwner, "web", n)
	if len(comments) != 1 {
		t.Fatalf("%d comments, want 1: %+v", len(comments), comments)
	}
	c := comments[0]
	if c.Path != "Makefile" || c.Line != 2 || c.SubjectType != "line" {
		t.Fatalf("comment on %s:%d (%s), want Makefile:2", c.Path, c.Line, c.SubjectType)
	}
	if !strings.Contains(c.Body, "```suggestion\nDOCKER_TAG ?= x\n```") || !strings.Contains(c.Body, "makefile.docker-tag") ||
		!strings.Contains(c.Body, "<!-- contractbot:fp=") {
		t.Fatalf("comment body:\n%s", c.Body)
	}
	if rv := fake.Reviews(e2eOwner, "web", n); len(rv) != 1 || rv[0].Event != "COMMENT" || rv[0].CommitID != head1 {
		t.Fatalf("reviews = %+v", rv)
	}
	if runs := waitCheckRuns(t, b, "web", head1, 1); runs[0].Conclusion != "failure" {
		t.Fatalf("check run: %+v", runs[0])
	}

	// 2. A second push moves the line down and keeps the finding: no
	// duplicate comment.
	head2 := fake.Push(e2eOwner, "web", "feature", withFiles(goodService(), "Makefile", "# moved down\n"+makefileWith("DOCKER_TAG := x")))
	b.deliver("pull_request", prEvent(t, "synchronize", "web", "feature", head2, base, n))
	waitLog(t, b, "review published", 2)
	if got := fake.ReviewComments(e2eOwner, "web", n); len(got) != 1 {
		t.Fatalf("after an unchanged finding moved: %d comments, want 1: %+v", len(got), got)
	}

	// 3. The fix: the thread gets a "Fixed in" reply (resolving a thread
	// takes GraphQL, which the App does not use).
	head3 := fake.Push(e2eOwner, "web", "feature", withFiles(goodService(), "Makefile", "# moved down\n"+makefileWith("DOCKER_TAG ?= x")))
	b.deliver("pull_request", prEvent(t, "synchronize", "web", "feature", head3, base, n))
	waitLog(t, b, "review published", 3)
	got := fake.ReviewComments(e2eOwner, "web", n)
	if len(got) != 2 || got[1].InReplyTo != c.ID || !strings.Contains(got[1].Body, "Fixed in "+head3) {
		t.Fatalf("after the fix: %+v", got)
	}
	// 4. Nothing more to say on a further push.
	head4 := fake.Push(e2eOwner, "web", "feature", withFiles(goodService(), "Makefile", makefileWith("DOCKER_TAG ?= x")))
	b.deliver("pull_request", prEvent(t, "synchronize", "web", "feature", head4, base, n))
	waitLog(t, b, "review published", 4)
	if got := fake.ReviewComments(e2eOwner, "web", n); len(got) != 2 {
		t.Fatalf("a closed thread was answered again: %+v", got)
	}
}

func TestServe_AFindingOutsideTheHunksIsAFileCommentAndReviewCommentsCanBeTurnedOff(t *testing.T) {
	fake := newFake(t)
	b := startBot(t, fake)
	// The base already breaks the contract at line 2; the pull request
	// changes only the end of the Makefile.
	bad := makefileWith("DOCKER_TAG := x")
	base := fake.Push(e2eOwner, "web", "main", withFiles(goodService(), "Makefile", bad))
	fake.Push(e2eOwner, "web", "feature", withFiles(goodService(), "Makefile", bad))
	head := fake.Push(e2eOwner, "web", "feature", withFiles(goodService(), "Makefile", bad+"\n# a new last line\n"))
	n := fake.OpenPull(e2eOwner, "web", "main", "feature")
	b.deliver("pull_request", prEvent(t, "opened", "web", "feature", head, base, n))
	waitLog(t, b, "review published", 1)
	got := fake.ReviewComments(e2eOwner, "web", n)
	if len(got) != 1 || got[0].SubjectType != "file" || got[0].Path != "Makefile" || strings.Contains(got[0].Body, "```suggestion") {
		t.Fatalf("comments = %+v", got)
	}

	// review_comments: off on the default branch: nothing is posted.
	fake2 := newFake(t)
	b2 := startBot(t, fake2)
	cfg := "review_comments: off\n"
	base = fake2.Push(e2eOwner, "web", "main", withFiles(goodService(), ".contractbot.yaml", cfg))
	fake2.Push(e2eOwner, "web", "feature", withFiles(goodService(), ".contractbot.yaml", cfg))
	head = fake2.Push(e2eOwner, "web", "feature", withFiles(goodService(), ".contractbot.yaml", cfg, "Makefile", bad))
	n = fake2.OpenPull(e2eOwner, "web", "main", "feature")
	b2.deliver("pull_request", prEvent(t, "opened", "web", "feature", head, base, n))
	waitCheckRuns(t, b2, "web", head, 1)
	waitLog(t, b2, "review skipped: review_comments is off", 1)
	if got := fake2.ReviewComments(e2eOwner, "web", n); len(got) != 0 {
		t.Fatalf("review_comments: off posted %+v", got)
	}
}

func TestServe_APullRequestOnTheSOARepositoryGetsCommentsOnTheYAMLLines(t *testing.T) {
	fake := newFake(t)
	// The fixtures' system configuration, so that the only comment is the typo's.
	paastaConfig, err := filepath.Abs("../../fixtures/paasta-config")
	if err != nil {
		t.Fatal(err)
	}
	b := startBot(t, fake, "CONTRACTBOT_SOA_REPO="+e2eOwner+"/"+soaRepo, "CONTRACTBOT_PAASTA_CONFIG="+paastaConfig)
	soa := soaFixture(t)
	base := fake.Push(e2eOwner, soaRepo, "main", soa)
	fake.Push(e2eOwner, soaRepo, "typo", soa)
	broken := strings.Replace(soa["web/kubernetes-norcal-prod.yaml"], "deploy_group: canary", "deploy_group: canry", 1)
	if broken == soa["web/kubernetes-norcal-prod.yaml"] {
		t.Fatal("fixture changed: no canary deploy group to break")
	}
	head := fake.Push(e2eOwner, soaRepo, "typo", withFiles(soa, "web/kubernetes-norcal-prod.yaml", broken))
	n := fake.OpenPull(e2eOwner, soaRepo, "main", "typo")
	b.deliver("pull_request", prEvent(t, "opened", soaRepo, "typo", head, base, n))
	waitLog(t, b, "review published", 1)
	got := fake.ReviewComments(e2eOwner, soaRepo, n)
	if len(got) == 0 {
		t.Fatalf("no comments\nlogs:\n%s", b.logs)
	}
	lines := strings.Split(broken, "\n")
	for _, c := range got {
		if c.Path != "web/kubernetes-norcal-prod.yaml" || c.Line < 1 || !strings.Contains(lines[c.Line-1], "canry") {
			t.Errorf("comment on %s:%d, want the canry line: %s", c.Path, c.Line, c.Body)
		}
	}
}

// tagEvents delivers the create and push events GitHub sends for a new tag.
func tagEvents(t testing.TB, b *bot, repo, tag, sha string) {
	t.Helper()
	create := examplePayload(t, "create.tag.1.json")
	setRepo(create, repo, "main")
	create["ref"] = tag
	if got := b.deliver("create", mustJSON(t, create)); got != http.StatusAccepted {
		t.Fatalf("create: status %d", got)
	}
	push := examplePayload(t, "push.tag-created.json")
	setRepo(push, repo, "main")
	push["ref"] = "refs/tags/" + tag
	push["after"] = sha
	if hc, ok := push["head_commit"].(map[string]any); ok {
		hc["id"] = sha
	}
	if got := b.deliver("push", mustJSON(t, push)); got != http.StatusAccepted {
		t.Fatalf("push: status %d", got)
	}
}

func guardRuns(fake *githubfake.Server, sha string) []githubfake.CheckRunRecord {
	var out []githubfake.CheckRunRecord
	for _, r := range fake.CheckRuns(e2eOwner, "web", sha) {
		if r.Name == "PaaSTA deploy ref" {
			out = append(out, r)
		}
	}
	return out
}

func TestServe_AMalformedDeployTagIsReportedAndLeftInPlaceByDefault(t *testing.T) {
	fake := newFake(t)
	b := startBot(t, fake)
	sha := fake.Push(e2eOwner, "web", "main", goodService())
	bad := "paasta-prod.main-2026-01-01-deploy"
	fake.PushTag(e2eOwner, "web", bad, sha)
	tagEvents(t, b, "web", bad, sha)
	waitLog(t, b, "deploy ref judged", 1)
	// The create and push events of the tag make one check run: the queue
	// coalesces them, or the second finds the ref judged already.
	time.Sleep(500 * time.Millisecond)
	runs := guardRuns(fake, sha)
	if len(runs) != 1 {
		t.Fatalf("%d guard check runs, want 1: %+v", len(runs), runs)
	}
	r := runs[0]
	if r.Conclusion != "failure" || !strings.Contains(r.Summary, "bad timestamp") || !strings.Contains(r.Summary, "left in place") {
		t.Fatalf("check run: %s / %s\n%s", r.Conclusion, r.Title, r.Summary)
	}
	if _, ok := fake.Tags(e2eOwner, "web")[bad]; !ok || len(fake.DeletedRefs()) != 0 {
		t.Fatalf("report mode touched the tag: deleted %v", fake.DeletedRefs())
	}
	if !strings.Contains(b.logs.String(), `"result":"malformed"`) {
		t.Fatalf("no log line with the result\n%s", b.logs)
	}
}

func TestServe_InDeleteModeAMalformedTagIsDeletedAndAValidOneLeftAlone(t *testing.T) {
	fake := newFake(t)
	fake.GrantPermission(e2eInstallation, "contents", "write") // what delete mode costs
	b := startBot(t, fake, "CONTRACTBOT_DEPLOY_REF_ACTION=delete")
	sha := fake.Push(e2eOwner, "web", "main", goodService())
	bad, good := "paasta-prod.main-20261301T000000-deploy", "paasta-prod.main-20260102T030405-deploy"
	fake.PushTag(e2eOwner, "web", bad, sha)
	fake.PushTag(e2eOwner, "web", good, sha)
	tagEvents(t, b, "web", bad, sha)
	tagEvents(t, b, "web", good, sha)
	waitLog(t, b, "deploy ref judged", 2)
	tags := fake.Tags(e2eOwner, "web")
	if _, ok := tags[bad]; ok {
		t.Fatalf("the malformed tag is still there")
	}
	if _, ok := tags[good]; !ok {
		t.Fatalf("the valid tag was deleted")
	}
	if d := fake.DeletedRefs(); len(d) != 1 || !strings.HasSuffix(d[0], "refs/tags/"+bad) {
		t.Fatalf("deleted %v", d)
	}
	var sawBad, sawGood bool
	for _, r := range guardRuns(fake, sha) {
		switch {
		case r.Conclusion == "failure" && strings.Contains(r.Summary, "**deleted**") && strings.Contains(r.Summary, "no month 13"):
			sawBad = true
		case r.Conclusion == "success":
			sawGood = true
		}
	}
	if !sawBad || !sawGood {
		t.Fatalf("guard check runs: %+v", guardRuns(fake, sha))
	}
	// A tag that is no deploy ref is never looked at.
	fake.PushTag(e2eOwner, "web", "v1.2.3", sha)
	tagEvents(t, b, "web", "v1.2.3", sha)
	time.Sleep(200 * time.Millisecond)
	if _, ok := fake.Tags(e2eOwner, "web")["v1.2.3"]; !ok || len(guardRuns(fake, sha)) != 2 {
		t.Fatalf("an ordinary tag was judged")
	}
}

func TestServe_WithoutContentsWriteDeleteModeSaysItCouldNotDeleteTheTag(t *testing.T) {
	fake := newFake(t)
	b := startBot(t, fake, "CONTRACTBOT_DEPLOY_REF_ACTION=delete")
	sha := fake.Push(e2eOwner, "web", "main", goodService())
	bad := "paasta-prod.main-20260102T030405-deplo"
	fake.PushTag(e2eOwner, "web", bad, sha)
	tagEvents(t, b, "web", bad, sha)
	waitLog(t, b, "deploy ref judged", 1)
	runs := guardRuns(fake, sha)
	if len(runs) != 1 || runs[0].Conclusion != "failure" || !strings.Contains(runs[0].Summary, "could **not delete**") ||
		!strings.Contains(runs[0].Summary, "Resource not accessible by integration") {
		t.Fatalf("guard check runs: %+v", runs)
	}
	if _, ok := fake.Tags(e2eOwner, "web")[bad]; !ok {
		t.Fatal("the tag is gone although the App could not delete it")
	}
	resp, err := http.Get(b.url("/metrics"))
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); !strings.Contains(body, `contractbot_app_deploy_refs_total{result="delete_failed"} 1`) {
		t.Fatalf("no delete_failed metric:\n%s", body)
	}
}
