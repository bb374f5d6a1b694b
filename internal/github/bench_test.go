package github_test

import (
	"context"
	"fmt"
	"io/fs"
	"sync/atomic"
	"testing"
	"time"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/githubfake"
)

// typicalService is a service repository as the App sees it on push.
func typicalService(rev int) map[string]string {
	return map[string]string{
		"Makefile":             "DOCKER_TAG ?= svc-dev-$(USER)\n\ntest:\n\ttox\n\nitest: cook-image\n\tpaasta local-run --build\n\ncook-image:\n\tdocker build -t $(DOCKER_TAG) .\n",
		"Dockerfile":           "FROM docker-dev.yelpcorp.com/jammy_yelp\nCOPY . /code\nCMD [\"python\", \"-m\", \"svc\"]\n",
		"tox.ini":              "[tox]\nenvlist = py310\n",
		"requirements.txt":     "flask==3.0.0\n",
		"svc/__init__.py":      "",
		"svc/__main__.py":      fmt.Sprintf("# revision %d\nprint('hello')\n", rev),
		"tests/test_svc.py":    "def test_ok():\n    assert True\n",
		"itests/test_itest.py": "def test_itest():\n    assert True\n",
	}
}

// pushEvent is what the App does for one push: tree, engine, check run.
func pushEvent(ctx context.Context, apps *github.Apps, eng *checks.Engine, owner, repo, sha string) error {
	c, err := apps.Installation(ctx, 7)
	if err != nil {
		return err
	}
	tree, err := c.Tree(ctx, owner, repo, sha)
	if err != nil {
		return err
	}
	// The Makefile rules read the Makefile; read it here too so that the
	// blob path is measured whatever rules the engine has today.
	if _, err := fs.ReadFile(tree, "Makefile"); err != nil {
		return err
	}
	res, err := eng.Run(ctx, checks.Target{Repo: tree})
	if err != nil {
		return err
	}
	_, err = c.PublishCheckRun(ctx, owner, repo, github.CheckRun{HeadSHA: sha, ExternalID: owner + "/" + repo + "@" + sha, Result: res, Rules: eng.Rules()})
	return err
}

func TestPushEvent_APIRequestBudget(t *testing.T) {
	gh := githubfake.New(t)
	gh.AddInstallation(7, "acme")
	eng, err := checks.NewEngine(checks.All())
	if err != nil {
		t.Fatal(err)
	}
	apps, err := github.NewApps(gh.AppID(), gh.PrivateKeyPEM(), gh.URL())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sha := gh.Push("acme", "svc", "main", typicalService(1))
	if err := pushEvent(ctx, apps, eng, "acme", "svc", sha); err != nil {
		t.Fatal(err)
	}
	// Two blobs: the Makefile, and the Dockerfile dockerfile.copy reads.
	if n := gh.TotalCalls(); n > 5 {
		t.Errorf("cold push event made %d requests, budget 5: %v", n, gh.Calls())
	}
	t.Logf("cold: %v", gh.Calls())
	gh.ResetCalls()
	sha = gh.Push("acme", "svc", "main", typicalService(2)) // code changed, contract files did not
	if err := pushEvent(ctx, apps, eng, "acme", "svc", sha); err != nil {
		t.Fatal(err)
	}
	if n := gh.TotalCalls(); n > 2 {
		t.Errorf("warm push event made %d requests, budget 2: %v", n, gh.Calls())
	}
	t.Logf("warm: %v", gh.Calls())
}

// BenchmarkPushEvent measures push events end to end against the fake
// with 20 ms of latency per request, many events in flight, as the App's
// workers run them. It reports events/s and requests per event.
func BenchmarkPushEvent(b *testing.B) {
	for _, validate := range []bool{true, false} {
		b.Run(fmt.Sprintf("validate=%v", validate), func(b *testing.B) {
			opts := []githubfake.Option{githubfake.WithRateLimit(1 << 30)}
			if !validate {
				opts = append(opts, githubfake.WithoutValidation())
			}
			gh := githubfake.New(b, opts...)
			gh.AddInstallation(7, "acme")
			eng, err := checks.NewEngine(checks.All())
			if err != nil {
				b.Fatal(err)
			}
			apps, err := github.NewApps(gh.AppID(), gh.PrivateKeyPEM(), gh.URL(),
				github.WithTransport(gh.Client().Transport))
			if err != nil {
				b.Fatal(err)
			}
			shas := make([]string, b.N+1)
			for i := range shas {
				shas[i] = gh.Push("acme", "svc", "main", typicalService(i))
			}
			ctx := context.Background()
			if err := pushEvent(ctx, apps, eng, "acme", "svc", shas[b.N]); err != nil { // warm the token and blobs
				b.Fatal(err)
			}
			gh.ResetCalls()
			gh.SetLatency(20 * time.Millisecond)
			var next atomic.Int64
			b.SetParallelism(64)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := next.Add(1) - 1
					if err := pushEvent(ctx, apps, eng, "acme", "svc", shas[i]); err != nil {
						b.Error(err)
						return
					}
				}
			})
			el := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/el.Seconds(), "events/s")
			b.ReportMetric(float64(gh.TotalCalls())/float64(b.N), "requests/event")
		})
	}
}
