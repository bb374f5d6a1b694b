// Package queuetest is the conformance suite every webhook.Queue
// implementation must pass.
//
// A backend's test calls it with a function that opens a fresh, empty queue:
//
//	func TestBoltQueue(t *testing.T) {
//		queuetest.TestQueue(t, func(t *testing.T) webhook.Queue {
//			q, err := webhook.OpenBolt(filepath.Join(t.TempDir(), "q.db"))
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { q.Close() })
//			return q
//		})
//	}
//
// The suite uses real time only in one direction: tasks delayed an hour into
// the future must not be claimable, tasks due in the past must be. Behaviour
// that needs a controlled clock (lease expiry, dedupe retention) is tested by
// each backend with its own clock option.
package queuetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/contractbot/contractbot/internal/webhook"
)

// QueueSuite is TestQueue under the name APP-DESIGN.md gives it.
func QueueSuite(t *testing.T, open func(t *testing.T) webhook.Queue) { TestQueue(t, open) }

// TestQueue runs the behavioural conformance suite. open must return a new,
// empty queue each time it is called; the suite closes nothing itself except
// in the test of Close, so open should register its own cleanup (closing
// twice must be harmless).
func TestQueue(t *testing.T, open func(t *testing.T) webhook.Queue) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, q webhook.Queue)
	}{
		{"an enqueued task is claimed with its payload and first attempt", testEnqueueClaim},
		{"payloads round-trip byte for byte, empty and binary included", testPayloadRoundTrip},
		{"a task without ID, Key or Kind is refused", testInvalidTask},
		{"a repeated ID is a duplicate, before and after completion", testDuplicate},
		{"concurrent enqueues of one ID store it once", testConcurrentDuplicate},
		{"claims come in enqueue order and respect n", testClaimOrder},
		{"claim of zero returns nothing", testClaimZero},
		{"one claim never returns two tasks with the same key", testClaimDistinctKeys},
		{"a key in flight blocks other tasks with that key until completed", testKeyInFlightBlocks},
		{"pending tasks with the same kind and key are coalesced to the newest payload", testCoalesce},
		{"a coalesced task keeps the older task's place in line", testCoalesceKeepsPlace},
		{"tasks with the same key but another kind are not coalesced", testNoCoalesceAcrossKinds},
		{"a task enqueued while its key is in flight is not merged into the running one", testNoCoalesceInFlight},
		{"a retried task waits until its time and counts attempts", testRetry},
		{"a retried task gives way to a newer pending task with its kind and key", testRetryYieldsToNewer},
		{"a task delayed by NotBefore is not claimed early", testNotBefore},
		{"a dead-lettered task is counted and never claimed", testDeadLetter},
		{"finishing a task that is not in flight fails with ErrNotInFlight", testNotInFlight},
		{"stats count pending, in-flight and dead tasks", testStats},
		{"concurrent claimers never share a task or a key", testConcurrentClaims},
		{"a closed queue refuses work", testClosed},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open(t)) })
	}
}

// TestQueueRestart runs the durability part of the suite. newStore must
// create a new empty store and return a function that opens a queue on it;
// the suite calls that function, closes the queue, and calls it again to
// simulate a restart.
//
// A task left in flight by a queue that was closed without finishing it must
// become claimable again after reopening: at once for a backend that resets
// in-flight tasks at open (bbolt), or once its lease expires for a shared
// backend (configure a short lease in open). The suite waits up to 30 s.
func TestQueueRestart(t *testing.T, newStore func(t *testing.T) func(t *testing.T) webhook.Queue) {
	t.Run("pending and in-flight tasks survive a restart", func(t *testing.T) {
		open := newStore(t)
		q := open(t)
		mustEnqueue(t, q, task("a", "k1", "x", "pa"))
		mustEnqueue(t, q, task("b", "k2", "x", "pb"))
		got := mustClaim(t, q, 1)
		if len(got) != 1 || got[0].ID != "a" {
			t.Fatalf("claim = %v, want task a", ids(got))
		}
		mustClose(t, q)

		q = open(t)
		defer q.Close()
		// With a lease backend, a and b expire within moments of each
		// other; b may be claimed again while the loop waits for a, so
		// count each task once, at its latest claim.
		byID := map[string]webhook.Task{}
		deadline := time.Now().Add(30 * time.Second)
		for len(byID) < 2 && time.Now().Before(deadline) {
			for _, c := range mustClaim(t, q, 10) {
				byID[c.ID] = c
			}
			if len(byID) < 2 {
				time.Sleep(50 * time.Millisecond)
			}
		}
		var all []webhook.Task
		for _, c := range byID {
			all = append(all, c)
		}
		sortByID(all)
		if len(all) != 2 || all[0].ID != "a" || all[1].ID != "b" {
			t.Fatalf("after restart claimed %v, want [a b]", ids(all))
		}
		if string(all[0].Payload) != "pa" || string(all[1].Payload) != "pb" {
			t.Errorf("payloads after restart = %q, %q", all[0].Payload, all[1].Payload)
		}
		if all[0].Attempts != 2 {
			t.Errorf("task a attempts after restart = %d, want 2 (one claim before, one after)", all[0].Attempts)
		}
	})
	t.Run("dedupe memory survives a restart", func(t *testing.T) {
		open := newStore(t)
		q := open(t)
		mustEnqueue(t, q, task("a", "k", "x", ""))
		claimOne(t, q, "a")
		if err := q.Complete(ctx(t), "a"); err != nil {
			t.Fatal(err)
		}
		mustClose(t, q)
		q = open(t)
		defer q.Close()
		if dup, err := q.Enqueue(ctx(t), task("a", "k", "x", "")); err != nil || !dup {
			t.Fatalf("Enqueue(a) after restart = %v, %v; want duplicate", dup, err)
		}
	})
	t.Run("dead letters survive a restart", func(t *testing.T) {
		open := newStore(t)
		q := open(t)
		mustEnqueue(t, q, task("a", "k", "x", ""))
		claimOne(t, q, "a")
		if err := q.DeadLetter(ctx(t), "a", errors.New("boom")); err != nil {
			t.Fatal(err)
		}
		mustClose(t, q)
		q = open(t)
		defer q.Close()
		s := mustStats(t, q)
		if s.Dead != 1 || s.Pending != 0 || s.InFlight != 0 {
			t.Fatalf("stats after restart = %+v, want one dead task", s)
		}
	})
}

// TestDeadLetterAdmin checks listing, requeueing and discarding dead
// letters; open must return a new, empty queue that implements
// [webhook.DeadLetterAdmin].
func TestDeadLetterAdmin(t *testing.T, open func(t *testing.T) webhook.Queue) {
	q := open(t)
	admin, ok := q.(webhook.DeadLetterAdmin)
	if !ok {
		t.Fatalf("%T does not implement webhook.DeadLetterAdmin", q)
	}
	for _, id := range []string{"a", "b"} {
		mustEnqueue(t, q, task(id, "k-"+id, "x", "p-"+id))
		claimOne(t, q, id)
		if err := q.DeadLetter(ctx(t), id, errors.New("boom "+id)); err != nil {
			t.Fatal(err)
		}
	}
	dead, err := admin.DeadLetters(ctx(t), 10)
	if err != nil || fmt.Sprint(ids(dead)) != "[a b]" {
		t.Fatalf("DeadLetters = %v, %v; want [a b]", ids(dead), err)
	}
	if dead[0].LastError != "boom a" || string(dead[0].Payload) != "p-a" {
		t.Errorf("dead letter a = %+v", dead[0])
	}
	if err := admin.Requeue(ctx(t), "a"); err != nil {
		t.Fatal(err)
	}
	got := claimOne(t, q, "a")
	if got.Attempts != 1 || string(got.Payload) != "p-a" {
		t.Errorf("requeued task claimed as %+v, want attempts reset and its payload", got)
	}
	if err := admin.Discard(ctx(t), "b"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"b", "a", "unknown"} {
		if err := admin.Discard(ctx(t), id); !errors.Is(err, webhook.ErrNotDead) {
			t.Errorf("Discard(%s) = %v, want ErrNotDead", id, err)
		}
		if err := admin.Requeue(ctx(t), id); !errors.Is(err, webhook.ErrNotDead) {
			t.Errorf("Requeue(%s) = %v, want ErrNotDead", id, err)
		}
	}
	if s := mustStats(t, q); s.Dead != 0 {
		t.Errorf("stats after requeue and discard = %+v, want no dead letters", s)
	}
}

func testEnqueueClaim(t *testing.T, q webhook.Queue) {
	dup, err := q.Enqueue(ctx(t), task("a", "k", "x", "hello"))
	if err != nil || dup {
		t.Fatalf("Enqueue = %v, %v; want stored", dup, err)
	}
	got := mustClaim(t, q, 10)
	if len(got) != 1 {
		t.Fatalf("claimed %d tasks, want 1", len(got))
	}
	g := got[0]
	if g.ID != "a" || g.Key != "k" || g.Kind != "x" || string(g.Payload) != "hello" {
		t.Errorf("claimed %+v, want the enqueued task", g)
	}
	if g.Attempts != 1 {
		t.Errorf("Attempts = %d, want 1", g.Attempts)
	}
	if g.EnqueuedAt.IsZero() {
		t.Error("EnqueuedAt not set by the queue")
	}
	if again := mustClaim(t, q, 10); len(again) != 0 {
		t.Errorf("second claim returned %v while the task is in flight", ids(again))
	}
	if err := q.Complete(ctx(t), "a"); err != nil {
		t.Fatalf("Complete: %v", err)
	}
	if again := mustClaim(t, q, 10); len(again) != 0 {
		t.Errorf("claim after Complete returned %v", ids(again))
	}
}

func testPayloadRoundTrip(t *testing.T, q webhook.Queue) {
	big := bytes.Repeat([]byte{0, 1, 2, 0xff, '\n'}, 200_000) // 1 MB
	payloads := map[string][]byte{"empty": nil, "binary": {0, 0xff, '\n', 0, 'x'}, "big": big}
	for id, p := range payloads {
		mustEnqueue(t, q, webhook.Task{ID: id, Key: "k-" + id, Kind: "x", Payload: p})
	}
	for _, g := range mustClaim(t, q, 10) {
		if !bytes.Equal(g.Payload, payloads[g.ID]) {
			t.Errorf("payload %s: got %d bytes, want %d", g.ID, len(g.Payload), len(payloads[g.ID]))
		}
		delete(payloads, g.ID)
	}
	if len(payloads) != 0 {
		t.Errorf("not claimed: %v", payloads)
	}
}

func testInvalidTask(t *testing.T, q webhook.Queue) {
	for name, tk := range map[string]webhook.Task{
		"no ID":   {Key: "k", Kind: "x"},
		"no Key":  {ID: "a", Kind: "x"},
		"no Kind": {ID: "a", Key: "k"},
	} {
		if _, err := q.Enqueue(ctx(t), tk); !errors.Is(err, webhook.ErrInvalidTask) {
			t.Errorf("%s: Enqueue error = %v, want ErrInvalidTask", name, err)
		}
	}
	if s := mustStats(t, q); s.Pending != 0 {
		t.Errorf("invalid tasks were stored: %+v", s)
	}
}

func testDuplicate(t *testing.T, q webhook.Queue) {
	mustEnqueue(t, q, task("a", "k", "x", "1"))
	if dup, err := q.Enqueue(ctx(t), task("a", "k2", "y", "2")); err != nil || !dup {
		t.Fatalf("second Enqueue(a) = %v, %v; want duplicate", dup, err)
	}
	got := claimOne(t, q, "a")
	if string(got.Payload) != "1" {
		t.Errorf("payload = %q, want the first enqueue's", got.Payload)
	}
	if dup, err := q.Enqueue(ctx(t), task("a", "k", "x", "3")); err != nil || !dup {
		t.Fatalf("Enqueue(a) while in flight = %v, %v; want duplicate", dup, err)
	}
	if err := q.Complete(ctx(t), "a"); err != nil {
		t.Fatal(err)
	}
	if dup, err := q.Enqueue(ctx(t), task("a", "k", "x", "4")); err != nil || !dup {
		t.Fatalf("Enqueue(a) after Complete = %v, %v; want duplicate", dup, err)
	}
	if got := mustClaim(t, q, 10); len(got) != 0 {
		t.Errorf("a duplicate was queued: %v", ids(got))
	}
}

func testConcurrentDuplicate(t *testing.T, q webhook.Queue) {
	const n = 32
	var wg sync.WaitGroup
	var mu sync.Mutex
	stored := 0
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dup, err := q.Enqueue(context.Background(), task("same", "k", "x", fmt.Sprint(i)))
			if err != nil {
				t.Error(err)
				return
			}
			if !dup {
				mu.Lock()
				stored++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if stored != 1 {
		t.Fatalf("%d of %d concurrent enqueues of one ID were stored, want 1", stored, n)
	}
	if s := mustStats(t, q); s.Pending != 1 {
		t.Errorf("pending = %d, want 1", s.Pending)
	}
}

func testClaimOrder(t *testing.T, q webhook.Queue) {
	for i := 0; i < 5; i++ {
		mustEnqueue(t, q, task(fmt.Sprintf("t%d", i), fmt.Sprintf("k%d", i), "x", ""))
	}
	first := mustClaim(t, q, 2)
	if got := ids(first); fmt.Sprint(got) != "[t0 t1]" {
		t.Errorf("first claim = %v, want [t0 t1]", got)
	}
	rest := mustClaim(t, q, 10)
	if got := ids(rest); fmt.Sprint(got) != "[t2 t3 t4]" {
		t.Errorf("second claim = %v, want [t2 t3 t4]", got)
	}
}

func testClaimZero(t *testing.T, q webhook.Queue) {
	mustEnqueue(t, q, task("a", "k", "x", ""))
	if got := mustClaim(t, q, 0); len(got) != 0 {
		t.Errorf("Claim(0) = %v", ids(got))
	}
	if s := mustStats(t, q); s.Pending != 1 || s.InFlight != 0 {
		t.Errorf("Claim(0) changed the queue: %+v", s)
	}
}

func testClaimDistinctKeys(t *testing.T, q webhook.Queue) {
	mustEnqueue(t, q, task("a", "repo@1", "check", ""))
	mustEnqueue(t, q, task("b", "repo@1", "other", ""))
	mustEnqueue(t, q, task("c", "repo@2", "check", ""))
	got := mustClaim(t, q, 10)
	if fmt.Sprint(ids(got)) != "[a c]" {
		t.Fatalf("claim = %v, want [a c] (b shares a's key)", ids(got))
	}
}

func testKeyInFlightBlocks(t *testing.T, q webhook.Queue) {
	mustEnqueue(t, q, task("a", "k", "x", ""))
	claimOne(t, q, "a")
	mustEnqueue(t, q, task("b", "k", "y", ""))
	mustEnqueue(t, q, task("c", "other", "y", ""))
	if got := mustClaim(t, q, 10); fmt.Sprint(ids(got)) != "[c]" {
		t.Fatalf("claim while k in flight = %v, want [c]", ids(got))
	}
	if err := q.Complete(ctx(t), "a"); err != nil {
		t.Fatal(err)
	}
	claimOne(t, q, "b")
}

func testCoalesce(t *testing.T, q webhook.Queue) {
	mustEnqueue(t, q, task("a", "repo@sha", "check", "old"))
	mustEnqueue(t, q, task("b", "repo@sha", "check", "new"))
	if s := mustStats(t, q); s.Pending != 1 {
		t.Errorf("pending after coalescing = %d, want 1", s.Pending)
	}
	got := mustClaim(t, q, 10)
	if len(got) != 1 {
		t.Fatalf("claimed %v, want one coalesced task", ids(got))
	}
	if got[0].ID != "a" {
		t.Errorf("coalesced task has ID %s, want the older task's, a", got[0].ID)
	}
	if string(got[0].Payload) != "new" {
		t.Errorf("coalesced payload = %q, want the newer one", got[0].Payload)
	}
	for _, id := range []string{"a", "b"} {
		if dup, err := q.Enqueue(ctx(t), task(id, "repo@sha", "check", "again")); err != nil || !dup {
			t.Errorf("Enqueue(%s) after coalescing = %v, %v; want duplicate", id, dup, err)
		}
	}
	if err := q.Complete(ctx(t), got[0].ID); err != nil {
		t.Fatalf("Complete(%s): %v", got[0].ID, err)
	}
	if s := mustStats(t, q); s.Pending+s.InFlight != 0 {
		t.Errorf("work left after completing the coalesced task: %+v", s)
	}
}

func testCoalesceKeepsPlace(t *testing.T, q webhook.Queue) {
	mustEnqueue(t, q, task("a", "k1", "check", "old"))
	mustEnqueue(t, q, task("b", "k2", "check", ""))
	mustEnqueue(t, q, task("c", "k1", "check", "new"))
	got := mustClaim(t, q, 10)
	if fmt.Sprint(ids(got)) != "[a b]" {
		t.Fatalf("claim = %v, want [a b]", ids(got))
	}
	if string(got[0].Payload) != "new" {
		t.Errorf("payload of a = %q, want new", got[0].Payload)
	}
}

func testNoCoalesceAcrossKinds(t *testing.T, q webhook.Queue) {
	mustEnqueue(t, q, task("a", "k", "x", ""))
	mustEnqueue(t, q, task("b", "k", "y", ""))
	if s := mustStats(t, q); s.Pending != 2 {
		t.Errorf("pending = %d, want 2", s.Pending)
	}
}

func testNoCoalesceInFlight(t *testing.T, q webhook.Queue) {
	mustEnqueue(t, q, task("a", "k", "x", "first"))
	claimOne(t, q, "a")
	mustEnqueue(t, q, task("b", "k", "x", "second"))
	if err := q.Complete(ctx(t), "a"); err != nil {
		t.Fatal(err)
	}
	got := claimOne(t, q, "b")
	if string(got.Payload) != "second" {
		t.Errorf("payload = %q, want second", got.Payload)
	}
}

func testRetry(t *testing.T, q webhook.Queue) {
	mustEnqueue(t, q, task("a", "k", "x", "p"))
	claimOne(t, q, "a")
	if err := q.Retry(ctx(t), "a", time.Now().Add(time.Hour), errors.New("github is down")); err != nil {
		t.Fatal(err)
	}
	if got := mustClaim(t, q, 10); len(got) != 0 {
		t.Fatalf("task retried an hour from now was claimed: %v", ids(got))
	}
	if s := mustStats(t, q); s.Pending != 1 || s.InFlight != 0 {
		t.Errorf("stats while waiting = %+v, want one pending", s)
	}

	mustEnqueue(t, q, task("b", "k2", "x", "p"))
	claimOne(t, q, "b")
	if err := q.Retry(ctx(t), "b", time.Now().Add(-time.Second), errors.New("boom")); err != nil {
		t.Fatal(err)
	}
	got := claimOne(t, q, "b")
	if got.Attempts != 2 {
		t.Errorf("Attempts = %d, want 2", got.Attempts)
	}
	if got.LastError != "boom" {
		t.Errorf("LastError = %q, want boom", got.LastError)
	}
	if string(got.Payload) != "p" {
		t.Errorf("payload = %q after retry", got.Payload)
	}
}

func testRetryYieldsToNewer(t *testing.T, q webhook.Queue) {
	mustEnqueue(t, q, task("a", "repo@sha", "check", "old"))
	claimOne(t, q, "a")
	mustEnqueue(t, q, task("b", "repo@sha", "check", "new"))
	if err := q.Retry(ctx(t), "a", time.Now().Add(-time.Second), errors.New("boom")); err != nil {
		t.Fatal(err)
	}
	if s := mustStats(t, q); s.Pending != 1 {
		t.Errorf("pending = %d, want 1 (the retried task merged into the newer one)", s.Pending)
	}
	got := mustClaim(t, q, 10)
	if len(got) != 1 || string(got[0].Payload) != "new" {
		t.Fatalf("claimed %v, want the newer payload once", got)
	}
}

func testNotBefore(t *testing.T, q webhook.Queue) {
	tk := task("later", "k1", "x", "")
	tk.NotBefore = time.Now().Add(time.Hour)
	mustEnqueue(t, q, tk)
	tk = task("due", "k2", "x", "")
	tk.NotBefore = time.Now().Add(-time.Minute)
	mustEnqueue(t, q, tk)
	if got := mustClaim(t, q, 10); fmt.Sprint(ids(got)) != "[due]" {
		t.Fatalf("claim = %v, want [due]", ids(got))
	}
}

func testDeadLetter(t *testing.T, q webhook.Queue) {
	mustEnqueue(t, q, task("a", "k", "x", ""))
	claimOne(t, q, "a")
	if err := q.DeadLetter(ctx(t), "a", errors.New("unparseable")); err != nil {
		t.Fatal(err)
	}
	if s := mustStats(t, q); s.Dead != 1 || s.Pending != 0 || s.InFlight != 0 {
		t.Errorf("stats = %+v, want one dead task", s)
	}
	if got := mustClaim(t, q, 10); len(got) != 0 {
		t.Errorf("dead task claimed: %v", ids(got))
	}
	if dup, err := q.Enqueue(ctx(t), task("a", "k", "x", "")); err != nil || !dup {
		t.Errorf("Enqueue of a dead task's ID = %v, %v; want duplicate", dup, err)
	}
	mustEnqueue(t, q, task("b", "k", "x", ""))
	claimOne(t, q, "b") // a dead task does not hold its key
}

func testNotInFlight(t *testing.T, q webhook.Queue) {
	mustEnqueue(t, q, task("pending", "k", "x", ""))
	for _, id := range []string{"unknown", "pending"} {
		if err := q.Complete(ctx(t), id); !errors.Is(err, webhook.ErrNotInFlight) {
			t.Errorf("Complete(%s) = %v, want ErrNotInFlight", id, err)
		}
		if err := q.Retry(ctx(t), id, time.Now(), nil); !errors.Is(err, webhook.ErrNotInFlight) {
			t.Errorf("Retry(%s) = %v, want ErrNotInFlight", id, err)
		}
		if err := q.DeadLetter(ctx(t), id, nil); !errors.Is(err, webhook.ErrNotInFlight) {
			t.Errorf("DeadLetter(%s) = %v, want ErrNotInFlight", id, err)
		}
	}
	claimOne(t, q, "pending")
	if err := q.Complete(ctx(t), "pending"); err != nil {
		t.Fatal(err)
	}
	if err := q.Complete(ctx(t), "pending"); !errors.Is(err, webhook.ErrNotInFlight) {
		t.Errorf("second Complete = %v, want ErrNotInFlight", err)
	}
}

func testStats(t *testing.T, q webhook.Queue) {
	if s := mustStats(t, q); s != (webhook.Stats{}) {
		t.Errorf("empty queue stats = %+v", s)
	}
	for i := 0; i < 4; i++ {
		mustEnqueue(t, q, task(fmt.Sprint(i), fmt.Sprint("k", i), "x", ""))
	}
	got := mustClaim(t, q, 2)
	if err := q.DeadLetter(ctx(t), got[0].ID, errors.New("x")); err != nil {
		t.Fatal(err)
	}
	s := mustStats(t, q)
	if s.Pending != 2 || s.InFlight != 1 || s.Dead != 1 {
		t.Errorf("stats = %+v, want 2 pending, 1 in flight, 1 dead", s)
	}
	if s.OldestPending < 0 {
		t.Errorf("OldestPending = %v, want >= 0", s.OldestPending)
	}
}

func testConcurrentClaims(t *testing.T, q webhook.Queue) {
	const tasks, keys, claimers = 60, 6, 4
	for i := 0; i < tasks; i++ {
		// Distinct kinds so nothing coalesces.
		mustEnqueue(t, q, task(fmt.Sprint("t", i), fmt.Sprint("k", i%keys), fmt.Sprint("kind", i), ""))
	}
	var mu sync.Mutex
	inFlight := map[string]string{} // key -> task
	done := map[string]int{}
	var wg sync.WaitGroup
	for c := 0; c < claimers; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for idle := 0; idle < 50; {
				got, err := q.Claim(context.Background(), 2)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					idle++
					time.Sleep(time.Millisecond)
					continue
				}
				idle = 0
				mu.Lock()
				for _, g := range got {
					if other, busy := inFlight[g.Key]; busy {
						t.Errorf("tasks %s and %s with key %s in flight together", other, g.ID, g.Key)
					}
					inFlight[g.Key] = g.ID
					done[g.ID]++
				}
				mu.Unlock()
				for _, g := range got {
					mu.Lock()
					delete(inFlight, g.Key)
					mu.Unlock()
					if err := q.Complete(context.Background(), g.ID); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if len(done) != tasks {
		t.Errorf("%d distinct tasks run, want %d", len(done), tasks)
	}
	for id, n := range done {
		if n != 1 {
			t.Errorf("task %s claimed %d times", id, n)
		}
	}
}

func testClosed(t *testing.T, q webhook.Queue) {
	mustClose(t, q)
	if _, err := q.Enqueue(ctx(t), task("a", "k", "x", "")); err == nil {
		t.Error("Enqueue on a closed queue succeeded")
	}
	if _, err := q.Claim(ctx(t), 1); err == nil {
		t.Error("Claim on a closed queue succeeded")
	}
}

func task(id, key, kind, payload string) webhook.Task {
	return webhook.Task{ID: id, Key: key, Kind: kind, Payload: []byte(payload)}
}

func ctx(t *testing.T) context.Context { return t.Context() }

func mustEnqueue(t *testing.T, q webhook.Queue, tk webhook.Task) {
	t.Helper()
	dup, err := q.Enqueue(ctx(t), tk)
	if err != nil {
		t.Fatalf("Enqueue(%s): %v", tk.ID, err)
	}
	if dup {
		t.Fatalf("Enqueue(%s) reported a duplicate", tk.ID)
	}
}

func mustClaim(t *testing.T, q webhook.Queue, n int) []webhook.Task {
	t.Helper()
	got, err := q.Claim(ctx(t), n)
	if err != nil {
		t.Fatalf("Claim(%d): %v", n, err)
	}
	if len(got) > n {
		t.Fatalf("Claim(%d) returned %d tasks", n, len(got))
	}
	return got
}

func claimOne(t *testing.T, q webhook.Queue, want string) webhook.Task {
	t.Helper()
	got := mustClaim(t, q, 10)
	if len(got) != 1 || got[0].ID != want {
		t.Fatalf("claim = %v, want [%s]", ids(got), want)
	}
	return got[0]
}

func mustStats(t *testing.T, q webhook.Queue) webhook.Stats {
	t.Helper()
	s, err := q.Stats(ctx(t))
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	return s
}

func mustClose(t *testing.T, q webhook.Queue) {
	t.Helper()
	if err := q.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func ids(ts []webhook.Task) []string {
	out := make([]string, len(ts))
	for i, tk := range ts {
		out[i] = tk.ID
	}
	return out
}

func sortByID(ts []webhook.Task) {
	sort.Slice(ts, func(i, j int) bool { return ts[i].ID < ts[j].ID })
}
