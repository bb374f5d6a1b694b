package redeliver_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/githubfake"
	"github.com/contractbot/contractbot/internal/pgqueue"
	"github.com/contractbot/contractbot/internal/pgtest"
	"github.com/contractbot/contractbot/internal/redeliver"
	"github.com/contractbot/contractbot/internal/webhook"
)

// TestMissedDeliveriesAreRecovered: GitHub's deliveries fail while the
// receiver is down, and GitHub does not retry them. One reconciler pass
// against the (fake) delivery log asks for exactly the missing ones, and
// after it every delivery is in the queue once.
func TestMissedDeliveriesAreRecovered(t *testing.T) {
	pg := pgtest.Start(t)
	q, err := pgqueue.Open(t.Context(), pg.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()

	secret := []byte("s3cret")
	intake, err := webhook.NewIntake([][]byte{secret}, q)
	if err != nil {
		t.Fatal(err)
	}
	var down atomic.Bool
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "replica restarting", http.StatusBadGateway)
			return
		}
		intake.ServeHTTP(w, r)
	}))
	defer receiver.Close()

	gh := githubfake.New(t)
	gh.SetWebhook(receiver.URL+"/webhook", secret)
	payload := githubfake.Payload(t, "push.branch-created.1", nil)
	var guids []string
	for i := range 12 {
		down.Store(i%3 == 1) // every third delivery hits the outage
		guid, _ := gh.Deliver("push", payload)
		guids = append(guids, guid)
	}
	down.Store(false)

	apps, err := github.NewApps(gh.AppID(), gh.PrivateKeyPEM(), gh.URL(), github.WithTransport(gh.Client().Transport))
	if err != nil {
		t.Fatal(err)
	}
	r := redeliver.New(apps, q, q, redeliver.Config{Settle: time.Nanosecond})
	rep, err := r.Pass(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Missing != 4 || rep.Redelivered != 4 {
		t.Fatalf("pass = %+v, want 4 missing and 4 redelivered", rep)
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, guid := range guids {
		for {
			seen, err := q.Seen(t.Context(), guid)
			if err != nil {
				t.Fatal(err)
			}
			if seen {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("delivery %s never reached the queue", guid)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if s, err := q.Stats(t.Context()); err != nil || s.Pending != len(guids) {
		t.Fatalf("queue holds %+v (%v), want each of the %d deliveries once", s, err, len(guids))
	}
	// A second pass finds nothing left to do.
	if rep, err := r.Pass(t.Context()); err != nil || rep.Missing != 0 {
		t.Fatalf("second pass = %+v, %v", rep, err)
	}
	if v := gh.Violations(); len(v) > 0 {
		t.Fatalf("requests or responses that GitHub would not make: %v", v)
	}
}
