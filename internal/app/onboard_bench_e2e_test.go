package app_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/contractbot/contractbot/internal/githubfake"
)

// BenchmarkServe_Onboarding measures onboarding with the real binary, as
// TestServe_InstallingTheAppChecksEveryServicesDefaultBranchOnce sets it
// up: an organisation of 200 services and 30 repositories that are not,
// installed at once, the fake answering every request after latency. It
// reports repositories per minute from the installation delivery to the
// last check run, the API requests each repository cost, and what that
// makes of GitHub's request budgets: an installation's 5,000 requests an
// hour (the least GitHub grants) and 15,000 (Enterprise Cloud). The
// budget, not the App, bounds onboarding: the client waits a spent quota
// out rather than failing.
//
//	go test -run '^$' -bench BenchmarkServe_Onboarding -benchtime 1x ./internal/app/
func BenchmarkServe_Onboarding(b *testing.B) {
	for _, latency := range []time.Duration{0, 20 * time.Millisecond} {
		b.Run(fmt.Sprintf("latency=%v", latency), func(b *testing.B) {
			for b.Loop() {
				fake := githubfake.New(b, githubfake.WithRateLimit(1<<30))
				fake.AddInstallation(e2eInstallation, e2eOwner)
				const services, others = 200, 30
				heads := map[string]string{}
				for i := range services {
					name := fmt.Sprintf("svc-%03d", i)
					heads[name] = fake.Push(e2eOwner, name, "main", goodService())
				}
				for i := range others {
					fake.Push(e2eOwner, fmt.Sprintf("docs-%02d", i), "main", map[string]string{"README.md": "# docs\n"})
				}
				bot := startBot(b, fake, "CONTRACTBOT_LOG_LEVEL=info")
				fake.ResetCalls()
				fake.SetLatency(latency)
				m := examplePayload(b, "installation.created.1.json")
				m["installation"].(map[string]any)["id"] = e2eInstallation
				if acc, ok := m["installation"].(map[string]any)["account"].(map[string]any); ok {
					acc["login"] = e2eOwner
				}
				start := time.Now()
				if got := bot.deliver("installation", mustJSON(b, m)); got != http.StatusAccepted {
					b.Fatalf("installation delivery: status %d", got)
				}
				deadline := start.Add(5 * time.Minute)
				for countRuns(fake, heads) < services {
					if time.Now().After(deadline) {
						b.Fatalf("%d of %d services checked in 5 minutes", countRuns(fake, heads), services)
					}
					time.Sleep(10 * time.Millisecond)
				}
				took := time.Since(start)
				calls := fake.TotalCalls()
				perRepo := float64(calls) / float64(services+others)
				b.ReportMetric(float64(services+others)/took.Minutes(), "repos/min")
				b.ReportMetric(perRepo, "requests/repo")
				b.ReportMetric(5000/perRepo/60, "repos/min@5000req/h")
				b.ReportMetric(15000/perRepo/60, "repos/min@15000req/h")
				b.Logf("%d repositories in %v, %d requests: %v", services+others, took.Round(time.Millisecond), calls, fake.Calls())
				bot.stop()
			}
		})
	}
}
