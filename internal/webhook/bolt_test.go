package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/contractbot/contractbot/internal/webhook"
	"github.com/contractbot/contractbot/internal/webhook/queuetest"
)

func openBolt(t testing.TB, path string, opts ...webhook.BoltOption) *webhook.BoltQueue {
	t.Helper()
	q, err := webhook.OpenBolt(path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

func TestBoltQueue(t *testing.T) {
	queuetest.TestQueue(t, func(t *testing.T) webhook.Queue {
		return openBolt(t, filepath.Join(t.TempDir(), "queue.db"))
	})
}

func TestBoltQueueDeadLetterAdmin(t *testing.T) {
	queuetest.TestDeadLetterAdmin(t, func(t *testing.T) webhook.Queue {
		return openBolt(t, filepath.Join(t.TempDir(), "queue.db"))
	})
}

func TestBoltQueueRestart(t *testing.T) {
	queuetest.TestQueueRestart(t, func(t *testing.T) func(t *testing.T) webhook.Queue {
		path := filepath.Join(t.TempDir(), "queue.db")
		return func(t *testing.T) webhook.Queue { return openBolt(t, path) }
	})
}

// fakeClock is a settable clock shared by a queue and a processor.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestBoltQueue_LeaseExpiryMakesTaskRunnableAgain(t *testing.T) {
	clk := newFakeClock()
	q := openBolt(t, filepath.Join(t.TempDir(), "q.db"), webhook.WithClock(clk.Now), webhook.WithLease(time.Minute))
	ctx := t.Context()
	if _, err := q.Enqueue(ctx, webhook.Task{ID: "a", Key: "k", Kind: "x"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := q.Claim(ctx, 1); len(got) != 1 {
		t.Fatalf("first claim = %v", got)
	}
	clk.Advance(59 * time.Second)
	if got, _ := q.Claim(ctx, 1); len(got) != 0 {
		t.Fatalf("claimed during the lease: %v", got)
	}
	clk.Advance(2 * time.Second)
	got, err := q.Claim(ctx, 1)
	if err != nil || len(got) != 1 || got[0].ID != "a" || got[0].Attempts != 2 {
		t.Fatalf("claim after lease expiry = %+v, %v; want task a, attempt 2", got, err)
	}
}

func TestBoltQueue_DedupeMemoryIsPrunedAfterRetention(t *testing.T) {
	clk := newFakeClock()
	path := filepath.Join(t.TempDir(), "q.db")
	ctx := t.Context()
	q, err := webhook.OpenBolt(path, webhook.WithClock(clk.Now), webhook.WithDedupeRetention(72*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"old", "recent"} {
		if _, err := q.Enqueue(ctx, webhook.Task{ID: id, Key: id, Kind: "x"}); err != nil {
			t.Fatal(err)
		}
		got, _ := q.Claim(ctx, 1)
		if err := q.Complete(ctx, got[0].ID); err != nil {
			t.Fatal(err)
		}
		clk.Advance(71 * time.Hour)
	}
	// "old" is 142 h old, "recent" 71 h: reopening prunes the first only.
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	q = openBolt(t, path, webhook.WithClock(clk.Now), webhook.WithDedupeRetention(72*time.Hour))
	if dup, err := q.Enqueue(ctx, webhook.Task{ID: "recent", Key: "k", Kind: "x"}); err != nil || !dup {
		t.Errorf("Enqueue(recent) = %v, %v; want duplicate within the retention", dup, err)
	}
	if dup, err := q.Enqueue(ctx, webhook.Task{ID: "old", Key: "k2", Kind: "x"}); err != nil || dup {
		t.Errorf("Enqueue(old) = %v, %v; want stored again after the retention", dup, err)
	}
}

func TestBoltQueue_PendingTaskIsNeverForgotten(t *testing.T) {
	clk := newFakeClock()
	path := filepath.Join(t.TempDir(), "q.db")
	q, err := webhook.OpenBolt(path, webhook.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Enqueue(t.Context(), webhook.Task{ID: "a", Key: "k", Kind: "x"}); err != nil {
		t.Fatal(err)
	}
	q.Close()
	clk.Advance(30 * 24 * time.Hour)
	q = openBolt(t, path, webhook.WithClock(clk.Now))
	if dup, err := q.Enqueue(t.Context(), webhook.Task{ID: "a", Key: "k", Kind: "x"}); err != nil || !dup {
		t.Errorf("Enqueue of a still-queued ID after the retention = %v, %v; want duplicate", dup, err)
	}
}

func TestBoltQueue_DeadLettersCanBeListedRequeuedAndDiscarded(t *testing.T) {
	q := openBolt(t, filepath.Join(t.TempDir(), "q.db"))
	ctx := t.Context()
	for _, id := range []string{"a", "b"} {
		if _, err := q.Enqueue(ctx, webhook.Task{ID: id, Key: id, Kind: "x", Payload: []byte("p" + id)}); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := q.Claim(ctx, 2)
	for _, tk := range got {
		if err := q.DeadLetter(ctx, tk.ID, errors.New("cause "+tk.ID)); err != nil {
			t.Fatal(err)
		}
	}
	dead, err := q.DeadLetters(ctx, 10)
	if err != nil || len(dead) != 2 || dead[0].ID != "a" || dead[0].LastError != "cause a" || string(dead[0].Payload) != "pa" {
		t.Fatalf("DeadLetters = %+v, %v", dead, err)
	}
	if err := q.Requeue(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := q.Discard(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if err := q.Requeue(ctx, "b"); !errors.Is(err, webhook.ErrNotDead) {
		t.Errorf("Requeue of a discarded task = %v, want ErrNotDead", err)
	}
	got, _ = q.Claim(ctx, 2)
	if len(got) != 1 || got[0].ID != "a" || got[0].Attempts != 1 {
		t.Fatalf("claim after requeue = %+v, want a with attempts reset", got)
	}
	s, _ := q.Stats(ctx)
	if s.Dead != 0 {
		t.Errorf("dead = %d after requeue and discard", s.Dead)
	}
}

func TestOpenBolt_RefusesAFileLockedByAnotherQueue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	openBolt(t, path)
	if q, err := webhook.OpenBolt(path, webhook.WithOpenTimeout(50*time.Millisecond)); err == nil {
		q.Close()
		t.Fatal("second OpenBolt of the same file succeeded")
	}
}

func TestBoltQueue_EnqueueHonoursContext(t *testing.T) {
	q := openBolt(t, filepath.Join(t.TempDir(), "q.db"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := q.Enqueue(ctx, webhook.Task{ID: "a", Key: "k", Kind: "x"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Enqueue with a cancelled context = %v, want context.Canceled", err)
	}
}

func TestBoltQueue_AClockSteppingBackDoesNotHoldBackUndelayedWork(t *testing.T) {
	clk := newFakeClock()
	q := openBolt(t, filepath.Join(t.TempDir(), "q.db"), webhook.WithClock(clk.Now))
	if _, err := q.Enqueue(t.Context(), webhook.Task{ID: "a", Key: "k", Kind: "x"}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(-time.Hour) // NTP steps the wall clock back
	got, err := q.Claim(t.Context(), 1)
	if err != nil || len(got) != 1 {
		t.Fatalf("claim after the clock stepped back = %v, %v; want task a", got, err)
	}
}

func TestBoltQueue_RetriedTasksRunInDueOrder(t *testing.T) {
	clk := newFakeClock()
	q := openBolt(t, filepath.Join(t.TempDir(), "q.db"), webhook.WithClock(clk.Now))
	ctx := t.Context()
	for _, id := range []string{"a", "b", "c"} {
		if _, err := q.Enqueue(ctx, webhook.Task{ID: id, Key: id, Kind: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := q.Claim(ctx, 2); len(got) != 2 {
		t.Fatalf("claim = %v", got)
	}
	now := clk.Now()
	if err := q.Retry(ctx, "a", now.Add(2*time.Minute), errors.New("x")); err != nil {
		t.Fatal(err)
	}
	if err := q.Retry(ctx, "b", now.Add(time.Minute), errors.New("x")); err != nil {
		t.Fatal(err)
	}
	clk.Advance(3 * time.Minute)
	got, err := q.Claim(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, tk := range got {
		order = append(order, tk.ID)
	}
	if fmt.Sprint(order) != "[c b a]" {
		t.Errorf("claim order = %v, want [c b a]: undelayed work first, then retries by due time", order)
	}
}

// BenchmarkBoltQueue_ClaimWithDelayedBacklog measures an idle claim while
// many tasks wait for a retry (a GitHub outage): the due index means they
// are not scanned.
func BenchmarkBoltQueue_ClaimWithDelayedBacklog(b *testing.B) {
	q := openBolt(b, filepath.Join(b.TempDir(), "q.db"))
	ctx := context.Background()
	later := time.Now().Add(time.Hour)
	for i := 0; i < 10000; i++ {
		if _, err := q.Enqueue(ctx, webhook.Task{ID: fmt.Sprint(i), Key: fmt.Sprint(i), Kind: "check", NotBefore: later}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if got, err := q.Claim(ctx, 4); err != nil || len(got) != 0 {
			b.Fatalf("claim = %v, %v", got, err)
		}
	}
}

func TestBoltQueue_PrunesDedupeMemoryPeriodically(t *testing.T) {
	clk := newFakeClock()
	reg := prometheus.NewRegistry()
	q := openBolt(t, filepath.Join(t.TempDir(), "q.db"), webhook.WithClock(clk.Now),
		webhook.WithPruneInterval(2*time.Millisecond), webhook.WithMetrics(reg))
	ctx := t.Context()
	for _, id := range []string{"a", "b"} {
		if _, err := q.Enqueue(ctx, webhook.Task{ID: id, Key: id, Kind: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := q.Claim(ctx, 2)
	for _, tk := range got {
		if err := q.Complete(ctx, tk.ID); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(73 * time.Hour)
	waitFor(t, "both IDs are pruned", func() bool {
		return testutil.ToFloat64(mustCounter(t, reg, webhook.MetricDedupePruned)) == 2
	})
	if dup, err := q.Enqueue(ctx, webhook.Task{ID: "a", Key: "a", Kind: "x"}); err != nil || dup {
		t.Errorf("Enqueue(a) after pruning = %v, %v; want stored", dup, err)
	}
}

func TestBoltQueue_RefusesOversizedIdentifiers(t *testing.T) {
	q := openBolt(t, filepath.Join(t.TempDir(), "q.db"))
	for name, tk := range map[string]webhook.Task{
		"a 40 KiB ID":  {ID: strings.Repeat("i", 40<<10), Key: "k", Kind: "x"},
		"a 40 KiB Key": {ID: "a", Key: strings.Repeat("k", 40<<10), Kind: "x"},
		"a 1 KiB Kind": {ID: "a", Key: "k", Kind: strings.Repeat("x", 1<<10)},
	} {
		if _, err := q.Enqueue(t.Context(), tk); !errors.Is(err, webhook.ErrInvalidTask) {
			t.Errorf("%s: Enqueue error = %v, want ErrInvalidTask", name, err)
		}
	}
	if s, _ := q.Stats(t.Context()); s.Pending != 0 {
		t.Errorf("oversized tasks were stored: %+v", s)
	}
}

func TestBoltQueueSeenRemembersEnqueuedIDs(t *testing.T) {
	q, err := webhook.OpenBolt(filepath.Join(t.TempDir(), "q.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if seen, err := q.Seen(t.Context(), "g"); err != nil || seen {
		t.Fatalf("Seen before enqueue = %v, %v", seen, err)
	}
	if _, err := q.Enqueue(t.Context(), webhook.Task{ID: "g", Key: "k", Kind: "x"}); err != nil {
		t.Fatal(err)
	}
	got, err := q.Claim(t.Context(), 1)
	if err != nil || len(got) != 1 {
		t.Fatal(got, err)
	}
	if err := q.Complete(t.Context(), "g"); err != nil {
		t.Fatal(err)
	}
	if seen, err := q.Seen(t.Context(), "g"); err != nil || !seen {
		t.Fatalf("Seen after completion = %v, %v; the reconciler would redeliver a handled delivery", seen, err)
	}
}

// The redelivery reconciler's watermark outlives the process.
func TestBoltQueue_KeepsTheRedeliveryWatermarkAcrossRestarts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "queue.db")
	q, err := webhook.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := q.RedeliveryWatermark(t.Context()); err != nil || ok {
		t.Fatalf("watermark of a new queue: ok %v, %v; want none", ok, err)
	}
	at := time.Date(2026, 11, 25, 10, 0, 0, 123456789, time.UTC)
	if err := q.SetRedeliveryWatermark(t.Context(), at); err != nil {
		t.Fatal(err)
	}
	q.Close()
	q, err = webhook.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	got, ok, err := q.RedeliveryWatermark(t.Context())
	if err != nil || !ok || !got.Equal(at) {
		t.Fatalf("after a restart: %v (%v, %v), want %v", got, ok, err, at)
	}
}
