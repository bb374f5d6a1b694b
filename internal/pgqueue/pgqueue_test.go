package pgqueue

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/contractbot/contractbot/internal/pgtest"
	"github.com/contractbot/contractbot/internal/webhook"
	"github.com/contractbot/contractbot/internal/webhook/queuetest"
)

// newDatabase creates an empty database on srv and returns its URL, so each
// test of the suite starts from an empty queue without a new cluster.
func newDatabase(t *testing.T, srv *pgtest.Server, n *atomic.Int64) string {
	t.Helper()
	name := fmt.Sprintf("q%d", n.Add(1))
	conn, err := pgx.Connect(context.Background(), srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s&dbname=%s", srv.URL(), name)
}

func open(t *testing.T, url string, opts ...Option) webhook.Queue {
	t.Helper()
	q, err := Open(context.Background(), url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

func TestPostgresQueue(t *testing.T) {
	srv := pgtest.Start(t)
	var n atomic.Int64
	queuetest.TestQueue(t, func(t *testing.T) webhook.Queue {
		return open(t, newDatabase(t, srv, &n))
	})
	t.Run("dead letters", func(t *testing.T) {
		queuetest.TestDeadLetterAdmin(t, func(t *testing.T) webhook.Queue {
			return open(t, newDatabase(t, srv, &n))
		})
	})
	queuetest.TestQueueRestart(t, func(t *testing.T) func(t *testing.T) webhook.Queue {
		url := newDatabase(t, srv, &n)
		return func(t *testing.T) webhook.Queue { return open(t, url, WithLease(time.Second)) }
	})
}

func TestTwoReplicasShareTheWorkWithoutDoingAnyTwice(t *testing.T) {
	srv := pgtest.Start(t)
	var n atomic.Int64
	url := newDatabase(t, srv, &n)
	a, b := open(t, url), open(t, url)
	const tasks = 200
	for i := range tasks {
		q := a
		if i%2 == 1 {
			q = b
		}
		// Every ID is enqueued through both replicas, as GitHub redelivery
		// plus a load balancer might do.
		for _, r := range []webhook.Queue{q, a} {
			if _, err := r.Enqueue(t.Context(), webhook.Task{ID: fmt.Sprint("t", i), Key: fmt.Sprint("k", i%17), Kind: fmt.Sprint("kind", i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	done := make(chan map[string]int, 2)
	for _, q := range []webhook.Queue{a, b} {
		go func() {
			seen := map[string]int{}
			for idle := 0; idle < 20; {
				got, err := q.Claim(context.Background(), 3)
				if err != nil {
					t.Error(err)
					break
				}
				if len(got) == 0 {
					idle++
					time.Sleep(5 * time.Millisecond)
					continue
				}
				idle = 0
				for _, g := range got {
					seen[g.ID]++
					if err := q.Complete(context.Background(), g.ID); err != nil {
						t.Error(err)
					}
				}
			}
			done <- seen
		}()
	}
	total := map[string]int{}
	for range 2 {
		for id, c := range <-done {
			total[id] += c
		}
	}
	if len(total) != tasks {
		t.Errorf("%d distinct tasks ran, want %d", len(total), tasks)
	}
	for id, c := range total {
		if c != 1 {
			t.Errorf("task %s ran %d times", id, c)
		}
	}
}

func TestALostLeaseCannotBeFinishedByItsFormerHolder(t *testing.T) {
	srv := pgtest.Start(t)
	var n atomic.Int64
	url := newDatabase(t, srv, &n)
	a := open(t, url, WithLease(200*time.Millisecond))
	b := open(t, url, WithLease(time.Minute))
	if _, err := a.Enqueue(t.Context(), webhook.Task{ID: "x", Key: "k", Kind: "check"}); err != nil {
		t.Fatal(err)
	}
	if got, err := a.Claim(t.Context(), 1); err != nil || len(got) != 1 {
		t.Fatalf("a claims: %v, %v", got, err)
	}
	time.Sleep(300 * time.Millisecond)
	got, err := b.Claim(t.Context(), 1)
	if err != nil || len(got) != 1 || got[0].Attempts != 2 {
		t.Fatalf("b takes over the expired lease: %v, %v", got, err)
	}
	if err := a.Complete(t.Context(), "x"); err == nil {
		t.Fatal("a completed a task whose lease b holds")
	}
	if err := b.Complete(t.Context(), "x"); err != nil {
		t.Fatal(err)
	}
}

func TestTheQueueSurvivesADatabaseRestart(t *testing.T) {
	srv := pgtest.Start(t)
	var n atomic.Int64
	url := newDatabase(t, srv, &n)
	q := open(t, url)
	if _, err := q.Enqueue(t.Context(), webhook.Task{ID: "before", Key: "k1", Kind: "check"}); err != nil {
		t.Fatal(err)
	}
	srv.Restart()
	// The pool's old connections died with the server; the next calls must
	// reconnect rather than fail for good.
	var err error
	for range 50 {
		if _, err = q.Enqueue(t.Context(), webhook.Task{ID: "after", Key: "k2", Kind: "check"}); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("enqueue after restart: %v", err)
	}
	got, err := q.Claim(t.Context(), 10)
	if err != nil || len(got) != 2 {
		t.Fatalf("claim after restart = %v, %v; want both tasks", got, err)
	}
}

func TestSeenAndLeadership(t *testing.T) {
	srv := pgtest.Start(t)
	var n atomic.Int64
	url := newDatabase(t, srv, &n)
	a := open(t, url).(*Queue)
	b := open(t, url).(*Queue)
	if seen, err := a.Seen(t.Context(), "guid-1"); err != nil || seen {
		t.Fatalf("Seen before enqueue = %v, %v", seen, err)
	}
	if _, err := b.Enqueue(t.Context(), webhook.Task{ID: "guid-1", Key: "k", Kind: "delivery"}); err != nil {
		t.Fatal(err)
	}
	if seen, err := a.Seen(t.Context(), "guid-1"); err != nil || !seen {
		t.Fatalf("Seen after another replica's enqueue = %v, %v", seen, err)
	}

	release, ok, err := a.TryLead(t.Context())
	if err != nil || !ok {
		t.Fatalf("a.TryLead = %v, %v", ok, err)
	}
	if _, ok, err := b.TryLead(t.Context()); err != nil || ok {
		t.Fatalf("b led while a leads: %v, %v", ok, err)
	}
	release()
	release, ok, err = b.TryLead(t.Context())
	if err != nil || !ok {
		t.Fatalf("b.TryLead after a released = %v, %v", ok, err)
	}
	release()
}

// The reconciler's watermark is shared: what one replica stores, the
// replica that leads next reads.
func TestTheRedeliveryWatermarkIsSharedByTheReplicas(t *testing.T) {
	srv := pgtest.Start(t)
	var n atomic.Int64
	url := newDatabase(t, srv, &n)
	a := open(t, url).(*Queue)
	b := open(t, url).(*Queue)
	if _, ok, err := b.RedeliveryWatermark(t.Context()); err != nil || ok {
		t.Fatalf("watermark of a new queue: ok %v, %v; want none", ok, err)
	}
	at := time.Date(2026, 11, 25, 10, 0, 0, 123456000, time.UTC)
	for _, w := range []time.Time{at.Add(-time.Hour), at} {
		if err := a.SetRedeliveryWatermark(t.Context(), w); err != nil {
			t.Fatal(err)
		}
	}
	got, ok, err := b.RedeliveryWatermark(t.Context())
	if err != nil || !ok || !got.Equal(at) {
		t.Fatalf("the other replica reads %v (%v, %v), want %v", got, ok, err, at)
	}
}

// A claim names the replica that holds it, so whose work a task in flight
// is can be told after that replica died.
func TestClaimsNameTheirReplica(t *testing.T) {
	srv := pgtest.Start(t)
	var n atomic.Int64
	url := newDatabase(t, srv, &n)
	a := open(t, url, WithClaimant("replica-a")).(*Queue)
	b := open(t, url, WithClaimant("replica-b")).(*Queue)
	for _, id := range []string{"t1", "t2", "t3"} {
		if _, err := a.Enqueue(t.Context(), webhook.Task{ID: id, Key: id, Kind: "check"}); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := a.Claim(t.Context(), 2); err != nil || len(got) != 2 {
		t.Fatalf("a claims %v, %v", got, err)
	}
	if got, err := b.Claim(t.Context(), 2); err != nil || len(got) != 1 {
		t.Fatalf("b claims %v, %v", got, err)
	}
	for name, want := range map[string]int{"replica-a": 2, "replica-b": 1, "replica-c": 0} {
		if got, err := a.InFlightBy(t.Context(), name); err != nil || got != want {
			t.Errorf("in flight by %s: %d, %v; want %d", name, got, err, want)
		}
	}
}
