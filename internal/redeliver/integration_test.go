package redeliver_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
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

// Both queues keep the reconciler's watermark across restarts.
var (
	_ redeliver.Watermarks = (*webhook.BoltQueue)(nil)
	_ redeliver.Watermarks = (*pgqueue.Queue)(nil)
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

// TestALongOutageAndABusyWindowAreRecoveredFromTheFakesLog: issue 15,
// defects 2 and 3, against the fake's delivery log through the real
// client into a real queue. The receiver was down for two hours (120
// deliveries failed, spread over them) and then, in the last 50 minutes,
// 5,200 more failed: more than the 50 pages of 100 one pass reads. The
// reconciler starts with no record of a pass (a restart onto a new
// queue). Every delivery must end up in the queue, however many passes it
// takes.
func TestALongOutageAndABusyWindowAreRecoveredFromTheFakesLog(t *testing.T) {
	q, err := webhook.OpenBolt(filepath.Join(t.TempDir(), "queue.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	secret := []byte("s3cret")
	intake, err := webhook.NewIntake([][]byte{secret}, q)
	if err != nil {
		t.Fatal(err)
	}
	receiver := httptest.NewServer(intake)
	defer receiver.Close()

	// A quota that 5,320 redeliveries do not spend: the pass's own cap on
	// redeliveries is set out of the way too, to test reading.
	gh := githubfake.New(t, githubfake.WithRateLimit(1<<20))
	gh.SetWebhook(receiver.URL+"/webhook", secret)
	payload := []byte(`{"action":"started"}`)
	now := time.Now()
	var guids []string
	for i := range 120 {
		guids = append(guids, gh.LogFailedDelivery("watch", payload, now.Add(-2*time.Hour+time.Duration(i)*time.Minute)))
	}
	for i := range 5200 {
		guids = append(guids, gh.LogFailedDelivery("watch", payload, now.Add(-50*time.Minute+time.Duration(i)*500*time.Millisecond)))
	}

	apps, err := github.NewApps(gh.AppID(), gh.PrivateKeyPEM(), gh.URL(), github.WithTransport(gh.Client().Transport))
	if err != nil {
		t.Fatal(err)
	}
	// Passes seconds apart rather than minutes: an overlap of a minute
	// would have each pass read again every redelivery of the last one.
	r := redeliver.New(apps, q, redeliver.Always{}, redeliver.Config{Settle: time.Nanosecond, Overlap: time.Millisecond, MaxPages: 50, MaxRedeliveries: 10000})
	for pass := 1; ; pass++ {
		rep, err := r.Pass(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("pass %d: %+v", pass, rep)
		if rep.Missing == 0 && rep.Redelivered == 0 && !rep.Capped {
			break
		}
		if pass == 6 {
			t.Fatalf("deliveries still missing after %d passes", pass)
		}
		waitSeen(t, q, guids, 0) // let the redeliveries asked for arrive
	}
	waitSeen(t, q, guids, len(guids))
}

// waitSeen waits up to 30 s until at least want of guids are in the
// queue (want 0: until the count stops growing for a moment).
func waitSeen(t *testing.T, q *webhook.BoltQueue, guids []string, want int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	last := -1
	for {
		n := 0
		for _, g := range guids {
			if ok, err := q.Seen(t.Context(), g); err != nil {
				t.Fatal(err)
			} else if ok {
				n++
			}
		}
		if want > 0 && n >= want || want == 0 && n == last {
			return
		}
		if time.Now().After(deadline) {
			if want > 0 {
				t.Fatalf("%d of %d deliveries in the queue, want %d", n, len(guids), want)
			}
			return
		}
		last = n
		time.Sleep(300 * time.Millisecond)
	}
}
