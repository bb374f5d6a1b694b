package app_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/contractbot/contractbot/internal/githubfake"
)

// TestServe_InstallingTheAppChecksEveryServicesDefaultBranchOnce installs
// the App on an organisation of 230 repositories (more than two pages of
// GET /installation/repositories), some of which are not services, kills
// the App half way and starts it again: every service's default branch
// gets exactly one check run, and no other repository gets one.
func TestServe_InstallingTheAppChecksEveryServicesDefaultBranchOnce(t *testing.T) {
	fake := newFake(t)
	const services, others = 200, 30
	heads := map[string]string{}
	for i := range services {
		name := fmt.Sprintf("svc-%03d", i)
		heads[name] = fake.Push(e2eOwner, name, "main", goodService())
	}
	for i := range others {
		name := fmt.Sprintf("docs-%02d", i)
		heads[name] = fake.Push(e2eOwner, name, "main", map[string]string{"README.md": "# docs\n"})
	}
	b := startBot(t, fake, "CONTRACTBOT_WORKERS=4")

	m := examplePayload(t, "installation.created.1.json")
	m["installation"].(map[string]any)["id"] = e2eInstallation
	if acc, ok := m["installation"].(map[string]any)["account"].(map[string]any); ok {
		acc["login"] = e2eOwner
	}
	if got := b.deliver("installation", mustJSON(t, m)); got != http.StatusAccepted {
		t.Fatalf("installation delivery: status %d", got)
	}
	// Kill the App once some checks are published, then start it again.
	deadline := time.Now().Add(60 * time.Second)
	for countRuns(fake, heads) < services/4 {
		if time.Now().After(deadline) {
			t.Fatalf("onboarding published %d runs in 60 s\nlogs:\n%s", countRuns(fake, heads), b.logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	logs := b.logs.String()
	b.kill()
	b.start()

	deadline = time.Now().Add(120 * time.Second)
	for countRuns(fake, heads) < services {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d services checked after the restart\nlogs:\n%s", countRuns(fake, heads), services, b.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // any duplicate would have come by now
	for name, sha := range heads {
		n := 0
		for _, r := range fake.CheckRuns(e2eOwner, name, sha) {
			if r.Name == "PaaSTA contract" {
				n++
			}
		}
		want := 1
		if strings.HasPrefix(name, "docs-") {
			want = 0
		}
		if n != want {
			t.Errorf("%s: %d check runs, want %d", name, n, want)
		}
	}
	if n := strings.Count(logs+b.logs.String(), "not a PaaSTA service"); n < others {
		t.Errorf("%d of %d repositories that are not services were recorded as such", n, others)
	}
}

// countRuns counts the repositories of heads with a completed
// "PaaSTA contract" run on their head.
func countRuns(fake *githubfake.Server, heads map[string]string) int {
	n := 0
	for name, sha := range heads {
		for _, r := range fake.CheckRuns(e2eOwner, name, sha) {
			if r.Name == "PaaSTA contract" && r.Status == "completed" {
				n++
				break
			}
		}
	}
	return n
}

// TestServe_TheSweepReChecksEveryDefaultBranch: with a 10 s sweep, a
// service checked once at its push is checked again at the same commit,
// by the sweep, once per period.
func TestServe_TheSweepReChecksEveryDefaultBranch(t *testing.T) {
	fake := newFake(t)
	b := startBot(t, fake, "CONTRACTBOT_SWEEP_INTERVAL=10s")
	sha := fake.Push(e2eOwner, "web", "main", goodService())
	b.deliver("push", pushPayload(t, "web", "main", zero, sha, "Makefile"))
	waitCheckRuns(t, b, "web", sha, 1)
	runs := waitCheckRuns(t, b, "web", sha, 2)
	swept := 0
	for _, r := range runs {
		if strings.Contains(r.ExternalID, "/sweep@") {
			swept++
		}
	}
	if swept == 0 {
		t.Fatalf("no run of the sweep among %+v", runs)
	}
	// The fleet gauges count the service once, however often it ran.
	resp, err := http.Get(b.url("/metrics"))
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	for _, want := range []string{"contractbot_fleet_services 1\n", "contractbot_fleet_services_failing 0\n", `contractbot_fleet_findings{rule="soa.deploy-group",severity="error"} 0`} {
		if !strings.Contains(body, want) {
			t.Errorf("no %q in /metrics:\n%s", want, body)
		}
	}
}
