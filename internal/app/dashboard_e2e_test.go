package app_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/contractbot/contractbot/internal/githubfake"
)

// installOn delivers installation created for the e2e organisation.
func installOn(t *testing.T, b *bot) {
	t.Helper()
	m := examplePayload(t, "installation.created.1.json")
	m["installation"].(map[string]any)["id"] = e2eInstallation
	if acc, ok := m["installation"].(map[string]any)["account"].(map[string]any); ok {
		acc["login"] = e2eOwner
	}
	if got := b.deliver("installation", mustJSON(t, m)); got != http.StatusAccepted {
		t.Fatalf("installation delivery: status %d", got)
	}
}

// waitIssue waits until the soa repository holds issues of which the last
// satisfies ok, and returns them.
func waitIssue(t *testing.T, b *bot, what string, ok func(githubfake.Issue) bool) []githubfake.Issue {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		is := b.fake.Issues(e2eOwner, soaRepo)
		if len(is) > 0 && ok(is[len(is)-1]) {
			return is
		}
		if time.Now().After(deadline) {
			t.Fatalf("no dashboard issue %s within 90 s; issues %+v\nlogs:\n%s", what, is, b.logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestServe_TheDashboardIsCreatedOnceAndEditedInPlace: after onboarding,
// one dashboard issue in the soa repository shows the fleet; a soa push
// that breaks a service edits that issue (the body names the newly
// failing service), and after a SIGKILL and a restart a fix edits the
// same issue again: never a second one.
func TestServe_TheDashboardIsCreatedOnceAndEditedInPlace(t *testing.T) {
	fake := newFake(t)
	fake.GrantPermission(e2eInstallation, "issues", "write")
	soa := soaFixture(t)
	soa["worker/service.yaml"] = strings.Replace(soa["worker/service.yaml"], "git@github.yelpcorp.com:services/worker", "git@github.yelpcorp.com:"+e2eOwner+"/worker.git", 1)
	first := fake.Push(e2eOwner, soaRepo, "master", soa)
	fake.SetDefaultBranch(e2eOwner, soaRepo, "master")
	fake.Push(e2eOwner, "worker", "main", goodService())
	fake.Push(e2eOwner, "web", "main", goodService())
	fake.Push(e2eOwner, "docs", "main", map[string]string{"README.md": "# docs\n"})
	b := startBot(t, fake, "CONTRACTBOT_SOA_REPO="+e2eOwner+"/"+soaRepo, "CONTRACTBOT_DASHBOARD_INTERVAL=1s")
	installOn(t, b)

	issues := waitIssue(t, b, "showing both services and docs", func(is githubfake.Issue) bool {
		return strings.Contains(is.Body, "Both services keep") && strings.Contains(is.Body, e2eOwner+"/docs")
	})
	if len(issues) != 1 {
		t.Fatalf("%d issues after onboarding, want 1: %+v", len(issues), issues)
	}
	dash := issues[0]
	if dash.Title != "PaaSTA contract dashboard" || dash.User != "contractbot-fake[bot]" || len(dash.Body) > 65536 {
		t.Errorf("dashboard issue: %q by %s, %d bytes", dash.Title, dash.User, len(dash.Body))
	}

	// The soa push removes worker's deploy.yaml.
	broken := withFiles(soa, "worker/deploy.yaml", "")
	sha := fake.Push(e2eOwner, soaRepo, "master", broken)
	payload := pushPayload(t, soaRepo, "master", first, sha)
	payload = []byte(strings.Replace(string(payload), `"removed":[]`, `"removed":["worker/deploy.yaml"]`, 1))
	payload = []byte(strings.Replace(string(payload), `"default_branch":"main"`, `"default_branch":"master"`, 1))
	if got := b.deliver("push", payload); got != http.StatusAccepted {
		t.Fatalf("push: status %d", got)
	}
	issues = waitIssue(t, b, "naming worker as newly failing", func(is githubfake.Issue) bool {
		return strings.Contains(is.Body, "1 of 2 services breaks") && strings.Contains(is.Body, "Newly failing (1)") && strings.Contains(is.Body, "worker")
	})
	if len(issues) != 1 || issues[0].Number != dash.Number {
		t.Fatalf("after the soa push: %d issues (%+v), want issue %d alone", len(issues), issues, dash.Number)
	}
	if !strings.Contains(issues[0].Body, `soa\.deploy\-yaml`) || !strings.Contains(issues[0].Body, "/"+e2eOwner+"/worker/runs/") {
		t.Errorf("the body names neither worker's finding nor its check run:\n%s", issues[0].Body)
	}
	edits := issues[0].Edits

	// Killed, started again: the issue's number comes from the queue's
	// store, and a fix edits the same issue.
	b.kill()
	b.start()
	// The fleet gauges come from the store too: the restarted App counts
	// both services before it checks anything again.
	resp, err := http.Get(b.url("/metrics"))
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); !strings.Contains(body, "contractbot_fleet_services 2\n") || !strings.Contains(body, "contractbot_fleet_services_failing 1\n") {
		t.Errorf("after the restart, /metrics does not count the stored fleet:\n%s", body)
	}
	fixed := fake.Push(e2eOwner, soaRepo, "master", soa)
	payload = pushPayload(t, soaRepo, "master", sha, fixed)
	payload = []byte(strings.Replace(string(payload), `"added":[]`, `"added":["worker/deploy.yaml"]`, 1))
	payload = []byte(strings.Replace(string(payload), `"default_branch":"main"`, `"default_branch":"master"`, 1))
	if got := b.deliver("push", payload); got != http.StatusAccepted {
		t.Fatalf("push: status %d", got)
	}
	issues = waitIssue(t, b, "naming worker as fixed", func(is githubfake.Issue) bool {
		return strings.Contains(is.Body, "Fixed (1)") && strings.Contains(is.Body, "Both services keep")
	})
	if len(issues) != 1 || issues[0].Number != dash.Number || issues[0].Edits <= edits {
		t.Fatalf("after the restart: %d issues (%+v), want issue %d alone, edited", len(issues), issues, dash.Number)
	}
}

// TestServe_NoDashboardWhenItIsOffOrNotPermitted: with
// CONTRACTBOT_DASHBOARD=off no issue is created; without the issues
// permission none either, and the log says why.
func TestServe_NoDashboardWhenItIsOffOrNotPermitted(t *testing.T) {
	tests := []struct {
		name    string
		env     string
		grant   bool
		wantLog string
	}{
		{"CONTRACTBOT_DASHBOARD=off", "CONTRACTBOT_DASHBOARD=off", true, "dashboard off (CONTRACTBOT_DASHBOARD=off)"},
		{"without issues: write", "CONTRACTBOT_DASHBOARD=on", false, "grant the App the issues: write permission"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFake(t)
			if tc.grant {
				fake.GrantPermission(e2eInstallation, "issues", "write")
			}
			fake.Push(e2eOwner, soaRepo, "master", soaFixture(t))
			fake.SetDefaultBranch(e2eOwner, soaRepo, "master")
			b := startBot(t, fake, "CONTRACTBOT_SOA_REPO="+e2eOwner+"/"+soaRepo, "CONTRACTBOT_DASHBOARD_INTERVAL=1s", tc.env)
			sha := fake.Push(e2eOwner, "web", "main", goodService())
			b.deliver("push", pushPayload(t, "web", "main", zero, sha, "Makefile"))
			waitCheckRuns(t, b, "web", sha, 1)
			deadline := time.Now().Add(30 * time.Second)
			for !strings.Contains(b.logs.String(), tc.wantLog) {
				if time.Now().After(deadline) {
					t.Fatalf("no %q in the logs:\n%s", tc.wantLog, b.logs)
				}
				time.Sleep(50 * time.Millisecond)
			}
			time.Sleep(2500 * time.Millisecond) // two intervals: an edit would have come
			if is := fake.Issues(e2eOwner, soaRepo); len(is) != 0 {
				t.Errorf("%d issues, want none: %+v", len(is), is)
			}
		})
	}
}
