package app_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"
	"time"
)

// Issue 15, defect 2, end to end: the App was down for two hours and 120
// push deliveries failed, spread over them. When it starts again (onto a
// new queue, so with no record of a completed pass), the reconciler must
// read GitHub's log back far enough to have every one redelivered: a
// check run on each of the 120 commits. It used to read back one hour.
func TestServe_AnOutageOfTwoHoursIsRecoveredAfterTheRestart(t *testing.T) {
	fake := newFake(t)
	// GitHub posts to the App's public address; here a proxy that finds
	// the bot once it listens (until then GitHub's attempts fail).
	var target atomic.Pointer[url.URL]
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := target.Load()
		if u == nil {
			http.Error(w, "restarting", http.StatusBadGateway)
			return
		}
		httputil.NewSingleHostReverseProxy(u).ServeHTTP(w, r)
	}))
	defer front.Close()
	fake.SetWebhook(front.URL+"/webhook", []byte(e2eSecret))

	const n = 120
	start := time.Now()
	shas := make([]string, n)
	prev := zero
	for i := range shas {
		shas[i] = fake.Push(e2eOwner, "outage", "main", withFiles(goodService(), "README.md", fmt.Sprintf("change %d\n", i)))
		at := start.Add(-2*time.Hour + time.Duration(i)*time.Minute)
		fake.LogFailedDelivery("push", pushPayload(t, "outage", "main", prev, shas[i], "README.md"), at)
		prev = shas[i]
	}

	b := startBot(t, fake, "CONTRACTBOT_REDELIVERY_INTERVAL=10s")
	u, err := url.Parse("http://" + b.addr)
	if err != nil {
		t.Fatal(err)
	}
	target.Store(u)

	deadline := time.Now().Add(90 * time.Second)
	for {
		missing := 0
		for _, sha := range shas {
			if len(fake.CheckRuns(e2eOwner, "outage", sha)) == 0 {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d commits of the outage have no check run 90 s after the restart", missing, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, sha := range shas {
		if runs := fake.CheckRuns(e2eOwner, "outage", sha); len(runs) != 1 {
			t.Fatalf("%d runs on %s, want 1", len(runs), sha)
		}
	}
}
