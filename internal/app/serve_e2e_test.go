package app_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/githubfake"
	"github.com/contractbot/contractbot/internal/webhook"
)

const zero = "0000000000000000000000000000000000000000"

func newFake(t testing.TB, opts ...githubfake.Option) *githubfake.Server {
	t.Helper()
	f := githubfake.New(t, opts...)
	f.AddInstallation(e2eInstallation, e2eOwner)
	return f
}

// oracle runs the engine in-process over files, as the App must have done
// over the fake's tree.
func oracle(t testing.TB, repo string, files map[string]string) *checks.Result {
	t.Helper()
	fsys := fstest.MapFS{}
	for p, c := range files {
		fsys[p] = &fstest.MapFile{Data: []byte(c)}
	}
	e, err := checks.NewEngine(checks.All())
	if err != nil {
		t.Fatal(err)
	}
	var cfg *checks.Config
	if c, ok := files[checks.ConfigFile]; ok {
		if cfg, err = checks.ParseConfig(checks.ConfigFile, []byte(c)); err != nil {
			t.Fatal(err)
		}
	}
	service := repo
	if cfg != nil && cfg.Service != "" {
		service = cfg.Service
	}
	res, err := e.Run(context.Background(), checks.Target{Repo: fsys, Service: service, Refs: []string{"refs/heads/main"}, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestServe_AGoodPushGetsASuccessfulCheckRunWithinTheAPIBudget(t *testing.T) {
	fake := newFake(t)
	b := startBot(t, fake)
	files := goodService()
	if res := oracle(t, "web", files); !res.OK {
		t.Fatalf("fixture: the good service has errors: %v", res.Findings)
	}

	before := fake.Calls()
	sha := fake.Push(e2eOwner, "web", "main", files)
	if got := b.deliver("push", pushPayload(t, "web", "main", zero, sha, "Makefile", "Dockerfile")); got != http.StatusAccepted {
		t.Fatalf("push delivery: status %d, want 202", got)
	}
	runs := waitCheckRuns(t, b, "web", sha, 1)
	if len(runs) != 1 || runs[0].Conclusion != "success" || runs[0].Name != "PaaSTA contract" {
		t.Fatalf("check runs = %+v, want one successful \"PaaSTA contract\" run", runs)
	}
	cold := diffCalls(before, fake.Calls())
	// Two blobs: the Makefile, and the Dockerfile dockerfile.copy reads.
	if n := apiCalls(cold); n > 5 {
		t.Errorf("cold push made %d API requests (%v), want at most 5 (token, tree, two blobs, check run)", n, cold)
	}

	// The same service again, one unchecked file changed: the token, the
	// Makefile's blob and the config are cached.
	before = fake.Calls()
	sha2 := fake.Push(e2eOwner, "web", "main", withFiles(files, "README.md", "# example service, v2\n"))
	if got := b.deliver("push", pushPayload(t, "web", "main", sha, sha2, "README.md")); got != http.StatusAccepted {
		t.Fatalf("second push: status %d, want 202", got)
	}
	waitCheckRuns(t, b, "web", sha2, 1)
	warm := diffCalls(before, fake.Calls())
	if n := apiCalls(warm); n > 2 {
		t.Errorf("warm push made %d API requests (%v), want at most 2 (tree, check run)", n, warm)
	}
	t.Logf("API requests per push: cold %d %v, warm %d %v", apiCalls(cold), cold, apiCalls(warm), warm)
}

func TestServe_ABadOrMissingSignatureIs401AndCallsNoAPI(t *testing.T) {
	fake := newFake(t)
	b := startBot(t, fake)
	sha := fake.Push(e2eOwner, "web", "main", goodService())
	payload := pushPayload(t, "web", "main", zero, sha, "Makefile")
	before := fake.Calls()
	for _, tc := range []struct{ name, sig string }{
		{"missing", ""},
		{"signed with another secret", webhook.Sign([]byte("not-the-secret"), payload)},
		{"SHA-1 form", "sha1=" + strings.Repeat("0", 40)},
		{"signature of another body", webhook.Sign([]byte(e2eSecret), append(payload, ' '))},
	} {
		if got := b.deliverAs(newGUID(t), "push", payload, tc.sig); got != http.StatusUnauthorized {
			t.Errorf("%s signature: status %d, want 401", tc.name, got)
		}
	}
	// Give a wrongly accepted delivery time to reach the API.
	time.Sleep(1500 * time.Millisecond)
	if d := diffCalls(before, fake.Calls()); len(d) != 0 {
		t.Errorf("unsigned deliveries caused API requests: %v", d)
	}
	if runs := fake.CheckRuns(e2eOwner, "web", sha); len(runs) != 0 {
		t.Errorf("unsigned deliveries caused check runs: %+v", runs)
	}
}

func TestServe_ADuplicateDeliveryOrAPushAndPullRequestOfOneSHAMakeOneCheckRun(t *testing.T) {
	fake := newFake(t)
	b := startBot(t, fake)
	base := fake.Push(e2eOwner, "web", "main", goodService())
	sha := fake.Push(e2eOwner, "web", "feature", withFiles(goodService(), "main.go", "package main\n\nfunc main() { println() }\n"))

	guid := newGUID(t)
	push := pushPayload(t, "web", "feature", zero, sha, "main.go")
	for i := 0; i < 3; i++ { // GitHub's "Redeliver" resends the same GUID
		if got := b.deliverAs(guid, "push", push, webhook.Sign([]byte(e2eSecret), push)); got != http.StatusAccepted {
			t.Fatalf("delivery %d: status %d, want 202", i+1, got)
		}
	}
	pr := pullRequestPayload(t, "pull_request.opened.1.json", "web", "feature", sha, base, fake.OpenPull(e2eOwner, "web", "main", "feature"))
	if got := b.deliver("pull_request", pr); got != http.StatusAccepted {
		t.Fatalf("pull_request delivery: status %d, want 202", got)
	}
	waitCheckRuns(t, b, "web", sha, 1)
	time.Sleep(1500 * time.Millisecond) // a second run would have come by now
	if runs := fake.CheckRuns(e2eOwner, "web", sha); len(runs) != 1 {
		t.Fatalf("%d check runs on %s, want 1: %+v", len(runs), sha, runs)
	}
}

func TestServe_ARerequestedCheckRunRunsAgain(t *testing.T) {
	fake := newFake(t)
	b := startBot(t, fake)
	sha := fake.Push(e2eOwner, "web", "main", goodService())
	if got := b.deliver("push", pushPayload(t, "web", "main", zero, sha, "Makefile")); got != http.StatusAccepted {
		t.Fatalf("push: status %d", got)
	}
	first := waitCheckRuns(t, b, "web", sha, 1)[0]

	m := examplePayload(t, "check_run.rerequested.1.json") // app.created_at as "2018-04-25 20:42:10"
	setRepo(m, "web", "main")
	cr := m["check_run"].(map[string]any)
	cr["id"], cr["head_sha"], cr["name"], cr["external_id"] = first.ID, sha, first.Name, first.ExternalID
	cr["app"].(map[string]any)["id"] = fake.AppID()
	if got := b.deliver("check_run", mustJSON(t, m)); got != http.StatusAccepted {
		t.Fatalf("check_run delivery: status %d, want 202", got)
	}
	runs := waitCheckRuns(t, b, "web", sha, 2)
	if len(runs) != 2 {
		t.Fatalf("%d check runs after a re-run, want 2", len(runs))
	}

	// A re-run request for another App's check run is not ours to act on.
	cr["app"].(map[string]any)["id"] = fake.AppID() + 1
	if got := b.deliver("check_run", mustJSON(t, m)); got != http.StatusAccepted {
		t.Fatalf("check_run delivery: status %d, want 202", got)
	}
	time.Sleep(1500 * time.Millisecond)
	if runs := fake.CheckRuns(e2eOwner, "web", sha); len(runs) != 2 {
		t.Fatalf("%d check runs after another App's re-run, want 2", len(runs))
	}
}

func TestServe_ABrokenConfigOnTheDefaultBranchIsAFailingCheckRun(t *testing.T) {
	fake := newFake(t)
	b := startBot(t, fake)
	files := withFiles(goodService(), checks.ConfigFile, "service: web\nrulez:\n  makefile.itest: off\n")
	sha := fake.Push(e2eOwner, "web", "main", files)
	if got := b.deliver("push", pushPayload(t, "web", "main", zero, sha, checks.ConfigFile)); got != http.StatusAccepted {
		t.Fatalf("push: status %d", got)
	}
	run := waitCheckRuns(t, b, "web", sha, 1)[0]
	if run.Conclusion != "failure" {
		t.Errorf("conclusion = %q, want failure", run.Conclusion)
	}
	if text := strings.ReplaceAll(run.Title+run.Summary, `\`, ""); !strings.Contains(text, `unknown key "rulez"`) || !strings.Contains(text, checks.ConfigFile) {
		t.Errorf("the check run does not say what is wrong with the config:\ntitle %q\nsummary %q", run.Title, run.Summary)
	}
}

func TestServe_APullRequestCannotSwitchItsOwnChecksOff(t *testing.T) {
	fake := newFake(t)
	b := startBot(t, fake)
	base := fake.Push(e2eOwner, "web", "main", goodService())
	// The branch deletes the Dockerfile and turns the rule off in its own
	// .contractbot.yaml; the default branch's config (none) applies.
	branch := withFiles(goodService(), "Dockerfile", "", checks.ConfigFile, "rules:\n  dockerfile.missing: off\n")
	sha := fake.Push(e2eOwner, "web", "feature", branch)
	pr := pullRequestPayload(t, "pull_request.opened.1.json", "web", "feature", sha, base, fake.OpenPull(e2eOwner, "web", "main", "feature"))
	if got := b.deliver("pull_request", pr); got != http.StatusAccepted {
		t.Fatalf("pull_request: status %d", got)
	}
	run := waitCheckRuns(t, b, "web", sha, 1)[0]
	if run.Conclusion != "failure" {
		t.Fatalf("conclusion = %q, want failure: the branch's own config must not switch dockerfile.missing off", run.Conclusion)
	}
}

func TestServe_AServerErrorAndRateLimitsAreRetriedAndTheCheckCompletes(t *testing.T) {
	fake := newFake(t)
	b := startBot(t, fake)
	sha := fake.Push(e2eOwner, "web", "main", goodService())
	fake.InjectFault(githubfake.Fault{Kind: githubfake.FaultServerError, Operation: "git/get-tree"})
	fake.InjectFault(githubfake.Fault{Kind: githubfake.FaultSecondaryRateLimit, Operation: "checks/create", RetryAfter: time.Second})
	fake.InjectFault(githubfake.Fault{Kind: githubfake.FaultPrimaryRateLimit, Operation: "git/get-blob", Reset: time.Second})
	before := fake.Calls()
	if got := b.deliver("push", pushPayload(t, "web", "main", zero, sha, "Makefile")); got != http.StatusAccepted {
		t.Fatalf("push: status %d", got)
	}
	runs := waitCheckRuns(t, b, "web", sha, 1)
	if len(runs) != 1 || runs[0].Conclusion != "success" {
		t.Fatalf("check runs = %+v, want one success", runs)
	}
	calls := diffCalls(before, fake.Calls())
	if calls["git/get-tree"] < 2 || calls["checks/create"] < 2 {
		t.Errorf("calls = %v: the failed tree and check-run requests were not retried", calls)
	}
}

func TestServe_AKilledProcessPublishesTheAcknowledgedCheckAfterARestart(t *testing.T) {
	fake := newFake(t)
	b := startBot(t, fake)
	sha := fake.Push(e2eOwner, "web", "main", goodService())
	// Every API request hangs, so the check cannot finish before the kill.
	fake.SetLatency(time.Hour)
	if got := b.deliver("push", pushPayload(t, "web", "main", zero, sha, "Makefile")); got != http.StatusAccepted {
		t.Fatalf("push: status %d", got)
	}
	b.kill()
	if runs := fake.CheckRuns(e2eOwner, "web", sha); len(runs) != 0 {
		t.Fatalf("a check run appeared before the kill: %+v", runs)
	}
	fake.SetLatency(0)
	b.start() // same data directory
	runs := waitCheckRuns(t, b, "web", sha, 1)
	if len(runs) != 1 || runs[0].Conclusion != "success" {
		t.Fatalf("check runs after restart = %+v, want one success", runs)
	}
}

func TestServe_EndpointsAnswerHealthReadinessAndMetrics(t *testing.T) {
	fake := newFake(t)
	b := startBot(t, fake)
	for _, tc := range []struct {
		path string
		want string
	}{
		{"/healthz", "ok"},
		{"/readyz", "ready"},
		{"/metrics", "contractbot_app_events_total"},
	} {
		if tc.path == "/metrics" {
			// Make the App count something first.
			sha := fake.Push(e2eOwner, "web", "main", goodService())
			b.deliver("push", pushPayload(t, "web", "main", zero, sha, "Makefile"))
			waitCheckRuns(t, b, "web", sha, 1)
		}
		resp, err := b.client.Get(b.url(tc.path))
		if err != nil {
			t.Fatal(err)
		}
		body := new(strings.Builder)
		_, _ = fmt.Fprint(body, readAll(t, resp))
		if resp.StatusCode != http.StatusOK || !strings.Contains(body.String(), tc.want) {
			t.Errorf("GET %s = %d %.200q, want 200 containing %q", tc.path, resp.StatusCode, body.String(), tc.want)
		}
	}
	m := examplePayload(t, "ping.repository.3.json")
	if got := b.deliver("ping", mustJSON(t, m)); got != http.StatusOK {
		t.Errorf("ping: status %d, want 200", got)
	}
}

func readAll(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return sb.String()
}

func TestServe_TagPushesAndBranchDeletionsAreAcknowledgedButNotChecked(t *testing.T) {
	fake := newFake(t)
	b := startBot(t, fake)
	sha := fake.Push(e2eOwner, "web", "main", goodService())

	// GitHub's examples have no branch deletion; derive one from a branch
	// push: deleted, after all zeros.
	del := examplePayload(t, "push.branch-created.1.json")
	setRepo(del, "web", "main")
	del["ref"], del["before"], del["after"], del["created"], del["deleted"] = "refs/heads/old", sha, zero, false, true
	del["commits"], del["head_commit"] = []any{}, nil
	before := fake.Calls()
	if got := b.deliver("push", mustJSON(t, del)); got != http.StatusAccepted {
		t.Errorf("branch deletion: status %d, want 202", got)
	}
	time.Sleep(1500 * time.Millisecond)
	if d := diffCalls(before, fake.Calls()); len(d) != 0 {
		t.Errorf("a branch deletion caused API requests: %v", d)
	}

	// A tag is no branch: the contract check does not run on it (deploy
	// tags are the deploy-ref guard's business).
	tag := examplePayload(t, "push.tag-created.json")
	setRepo(tag, "web", "main")
	tag["after"] = sha
	if got := b.deliver("push", mustJSON(t, tag)); got != http.StatusAccepted {
		t.Errorf("tag push: status %d, want 202", got)
	}
	time.Sleep(1500 * time.Millisecond)
	for _, r := range fake.CheckRuns(e2eOwner, "web", sha) {
		if r.Name == "PaaSTA contract" {
			t.Errorf("a tag push was checked: %+v", r)
		}
	}
}

func TestServe_AReinstalledAppGetsAFreshToken(t *testing.T) {
	fake := newFake(t)
	b := startBot(t, fake)
	sha := fake.Push(e2eOwner, "web", "main", goodService())
	b.deliver("push", pushPayload(t, "web", "main", zero, sha, "Makefile"))
	waitCheckRuns(t, b, "web", sha, 1)

	// Uninstalled: the fake revokes the installation's tokens. GitHub sends
	// installation.deleted; the App must drop its cached client.
	fake.RemoveInstallation(e2eInstallation)
	m := examplePayload(t, "installation.deleted.1.json")
	m["installation"].(map[string]any)["id"] = e2eInstallation
	if got := b.deliver("installation", mustJSON(t, m)); got != http.StatusAccepted {
		t.Fatalf("installation delivery: status %d", got)
	}
	waitForLog(t, b, `"message":"installation changed"`)
	fake.AddInstallation(e2eInstallation, e2eOwner)

	before := fake.Calls()
	sha2 := fake.Push(e2eOwner, "web", "main", withFiles(goodService(), "README.md", "# again\n"))
	b.deliver("push", pushPayload(t, "web", "main", sha, sha2, "README.md"))
	waitCheckRuns(t, b, "web", sha2, 1)
	// A new token first, then the warm event's requests: no request made
	// with the revoked token and retried.
	want := map[string]int{"apps/create-installation-access-token": 1, "git/get-tree": 1, "checks/create": 1}
	if calls := diffCalls(before, fake.Calls()); !maps.Equal(calls, want) {
		t.Errorf("calls after reinstalling = %v, want %v", calls, want)
	}
}

// waitForLog waits until the server's log has a line containing s.
func waitForLog(t testing.TB, b *bot, s string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(b.logs.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("no log line with %s after 30 s:\n%s", s, b.logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
