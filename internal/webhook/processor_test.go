package webhook_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"github.com/contractbot/contractbot/internal/webhook"
)

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls cond; the bound only keeps a broken test from hanging.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// runProcessor starts p and returns a stop function that cancels it and
// returns Run's error.
func runProcessor(t *testing.T, p *webhook.Processor) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			err = <-errc
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

func stats(t *testing.T, q webhook.Queue) webhook.Stats {
	t.Helper()
	s, err := q.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func enqueue(t *testing.T, q webhook.Enqueuer, id, key, kind string) {
	t.Helper()
	if dup, err := q.Enqueue(context.Background(), webhook.Task{ID: id, Key: key, Kind: kind, Payload: []byte(id)}); err != nil || dup {
		t.Fatalf("Enqueue(%s) = %v, %v", id, dup, err)
	}
}

func fastOpts(extra ...webhook.ProcessorOption) []webhook.ProcessorOption {
	return append([]webhook.ProcessorOption{
		webhook.WithPollInterval(5 * time.Millisecond),
		webhook.WithBackoff(time.Millisecond, 2*time.Millisecond),
	}, extra...)
}

func TestProcessor_RunsEveryTaskOnceAndCompletesIt(t *testing.T) {
	q := openBolt(t, filepath.Join(t.TempDir(), "q.db"))
	var mu sync.Mutex
	runs := map[string]int{}
	h := webhook.HandlerFunc(func(ctx context.Context, tk webhook.Task, _ webhook.Enqueuer) error {
		mu.Lock()
		runs[tk.ID]++
		mu.Unlock()
		return nil
	})
	stop := runProcessor(t, webhook.NewProcessor(q, h, fastOpts()...))
	for i := 0; i < 20; i++ {
		enqueue(t, q, fmt.Sprint("t", i), fmt.Sprint("k", i), "x")
	}
	waitFor(t, "the queue is empty", func() bool { s := stats(t, q); return s.Pending+s.InFlight == 0 })
	if err := stop(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(runs) != 20 {
		t.Errorf("%d tasks ran, want 20", len(runs))
	}
	for id, n := range runs {
		if n != 1 {
			t.Errorf("task %s ran %d times", id, n)
		}
	}
}

func TestProcessor_NeverRunsTwoTasksWithTheSameKeyAtOnce(t *testing.T) {
	q := openBolt(t, filepath.Join(t.TempDir(), "q.db"))
	var mu sync.Mutex
	active := map[string]int{}
	var overlaps, done atomic.Int32
	// Tasks a0 and b0 (different keys) wait for each other: that proves the
	// processor does run different keys concurrently.
	started := map[string]chan struct{}{"a0": make(chan struct{}), "b0": make(chan struct{})}
	h := webhook.HandlerFunc(func(ctx context.Context, tk webhook.Task, _ webhook.Enqueuer) error {
		defer done.Add(1)
		mu.Lock()
		active[tk.Key]++
		if active[tk.Key] > 1 {
			overlaps.Add(1)
		}
		mu.Unlock()
		if ch, ok := started[tk.ID]; ok {
			close(ch)
			other := map[string]string{"a0": "b0", "b0": "a0"}[tk.ID]
			select {
			case <-started[other]:
			case <-time.After(10 * time.Second):
				return webhook.Permanent(errors.New("tasks with different keys did not run concurrently"))
			}
		}
		time.Sleep(time.Millisecond)
		mu.Lock()
		active[tk.Key]--
		mu.Unlock()
		return nil
	})
	for i := 0; i < 8; i++ {
		// Distinct kinds, so the pending tasks are not coalesced.
		enqueue(t, q, fmt.Sprint("a", i), "owner/repo@aaa", fmt.Sprint("kind", i))
		enqueue(t, q, fmt.Sprint("b", i), "owner/repo@bbb", fmt.Sprint("kind", i))
	}
	runProcessor(t, webhook.NewProcessor(q, h, fastOpts(webhook.WithWorkers(4))...))
	waitFor(t, "all 16 tasks ran", func() bool { return done.Load() == 16 })
	waitFor(t, "the queue is empty", func() bool { s := stats(t, q); return s.Pending+s.InFlight+s.Dead == 0 })
	if n := overlaps.Load(); n != 0 {
		t.Errorf("%d times a task started while another with its key was running", n)
	}
}

func TestProcessor_RunsAtMostWorkersTasksAtOnce(t *testing.T) {
	q := openBolt(t, filepath.Join(t.TempDir(), "q.db"))
	var cur, peak, done atomic.Int32
	release := make(chan struct{})
	h := webhook.HandlerFunc(func(ctx context.Context, tk webhook.Task, _ webhook.Enqueuer) error {
		n := cur.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		<-release
		cur.Add(-1)
		done.Add(1)
		return nil
	})
	for i := 0; i < 6; i++ {
		enqueue(t, q, fmt.Sprint("t", i), fmt.Sprint("k", i), "x")
	}
	runProcessor(t, webhook.NewProcessor(q, h, fastOpts(webhook.WithWorkers(2))...))
	waitFor(t, "two tasks run", func() bool { return cur.Load() == 2 })
	time.Sleep(20 * time.Millisecond) // give a third worker the chance to appear if bounding were broken
	close(release)
	waitFor(t, "all tasks ran", func() bool { return done.Load() == 6 })
	if p := peak.Load(); p != 2 {
		t.Errorf("peak concurrency = %d, want 2", p)
	}
}

func TestProcessor_Backoff(t *testing.T) {
	for _, tc := range []struct {
		attempt  int
		jitter   float64
		min, max time.Duration
	}{
		{attempt: 1, jitter: 0, min: 500 * time.Millisecond, max: 500 * time.Millisecond},
		{attempt: 1, jitter: 0.999999, min: 999 * time.Millisecond, max: time.Second},
		{attempt: 2, jitter: 0, min: time.Second, max: time.Second},
		{attempt: 4, jitter: 0, min: 4 * time.Second, max: 4 * time.Second},
		{attempt: 5, jitter: 0.5, min: 7500 * time.Millisecond, max: 7500 * time.Millisecond},
		{attempt: 9, jitter: 0, min: 5 * time.Second, max: 5 * time.Second}, // capped at 10 s, halved
		{attempt: 1000, jitter: 0.999999, min: 9999 * time.Millisecond, max: 10 * time.Second},
	} {
		t.Run(fmt.Sprintf("attempt %d with jitter %v", tc.attempt, tc.jitter), func(t *testing.T) {
			p := webhook.NewProcessor(nil, nil, webhook.WithBackoff(time.Second, 10*time.Second), webhook.WithJitter(func() float64 { return tc.jitter }))
			if got := p.Backoff(tc.attempt); got < tc.min || got > tc.max {
				t.Errorf("Backoff(%d) = %v, want in [%v, %v]", tc.attempt, got, tc.min, tc.max)
			}
		})
	}
}

func TestProcessor_RetriesAFailedTaskAfterItsBackoff(t *testing.T) {
	clk := newFakeClock()
	q := openBolt(t, filepath.Join(t.TempDir(), "q.db"), webhook.WithClock(clk.Now))
	var calls atomic.Int32
	var lastAttempt atomic.Int32
	var lastErr atomic.Value
	h := webhook.HandlerFunc(func(ctx context.Context, tk webhook.Task, _ webhook.Enqueuer) error {
		lastAttempt.Store(int32(tk.Attempts))
		lastErr.Store(tk.LastError)
		if calls.Add(1) == 1 {
			return errors.New("github said 502")
		}
		return nil
	})
	p := webhook.NewProcessor(q, h,
		webhook.WithClock(clk.Now), webhook.WithPollInterval(2*time.Millisecond),
		webhook.WithBackoff(time.Minute, time.Hour), webhook.WithJitter(func() float64 { return 0 }))
	runProcessor(t, p)
	enqueue(t, q, "a", "k", "x")
	waitFor(t, "the failed task is pending again", func() bool { s := stats(t, q); return calls.Load() == 1 && s.Pending == 1 && s.InFlight == 0 })
	clk.Advance(29 * time.Second) // backoff for attempt 1 is 30 s with zero jitter
	time.Sleep(20 * time.Millisecond)
	if n := calls.Load(); n != 1 {
		t.Fatalf("task ran %d times before its backoff passed", n)
	}
	clk.Advance(time.Second)
	waitFor(t, "the retry ran and completed", func() bool { s := stats(t, q); return calls.Load() == 2 && s.Pending+s.InFlight == 0 })
	if a := lastAttempt.Load(); a != 2 {
		t.Errorf("second run saw Attempts = %d, want 2", a)
	}
	if e := lastErr.Load().(string); e != "github said 502" {
		t.Errorf("second run saw LastError = %q", e)
	}
}

func TestProcessor_RetriesARateLimitedTaskNoEarlierThanTheReset(t *testing.T) {
	clk := newFakeClock()
	q := openBolt(t, filepath.Join(t.TempDir(), "q.db"), webhook.WithClock(clk.Now))
	var calls atomic.Int32
	h := webhook.HandlerFunc(func(ctx context.Context, tk webhook.Task, _ webhook.Enqueuer) error {
		if calls.Add(1) == 1 {
			return webhook.RetryLater(errors.New("secondary rate limit"), clk.Now().Add(10*time.Minute))
		}
		return nil
	})
	p := webhook.NewProcessor(q, h,
		webhook.WithClock(clk.Now), webhook.WithPollInterval(2*time.Millisecond),
		webhook.WithBackoff(time.Minute, time.Hour), webhook.WithJitter(func() float64 { return 0 }))
	runProcessor(t, p)
	enqueue(t, q, "a", "k", "x")
	waitFor(t, "the rate-limited task is pending again", func() bool { s := stats(t, q); return calls.Load() == 1 && s.Pending == 1 })
	clk.Advance(9 * time.Minute) // well past the 30 s backoff, before the reset
	time.Sleep(20 * time.Millisecond)
	if n := calls.Load(); n != 1 {
		t.Fatalf("task ran %d times before the rate limit reset", n)
	}
	clk.Advance(time.Minute)
	waitFor(t, "the retry ran after the reset", func() bool { s := stats(t, q); return calls.Load() == 2 && s.Pending+s.InFlight == 0 })
}

func TestProcessor_DeadLettersAfterMaxAttempts(t *testing.T) {
	q := openBolt(t, filepath.Join(t.TempDir(), "q.db"))
	logs := &syncBuffer{}
	reg := prometheus.NewRegistry()
	var calls atomic.Int32
	h := webhook.HandlerFunc(func(ctx context.Context, tk webhook.Task, _ webhook.Enqueuer) error {
		calls.Add(1)
		return errors.New("always broken")
	})
	p := webhook.NewProcessor(q, h, fastOpts(webhook.WithMaxAttempts(3), webhook.WithLogger(zerolog.New(logs)), webhook.WithMetrics(reg))...)
	runProcessor(t, p)
	enqueue(t, q, "a", "k", "check")
	waitFor(t, "the task is dead-lettered", func() bool { return stats(t, q).Dead == 1 })
	if n := calls.Load(); n != 3 {
		t.Errorf("handler ran %d times, want 3", n)
	}
	dead, err := q.DeadLetters(context.Background(), 10)
	if err != nil || len(dead) != 1 || dead[0].LastError != "always broken" {
		t.Errorf("dead letters = %+v, %v", dead, err)
	}
	if got := testutil.ToFloat64(mustCounter(t, reg, webhook.MetricDeadLetters, "check")); got != 1 {
		t.Errorf("%s{kind=check} = %v, want 1", webhook.MetricDeadLetters, got)
	}
	if got := testutil.ToFloat64(mustCounter(t, reg, webhook.MetricTaskRetries, "check")); got != 2 {
		t.Errorf("%s{kind=check} = %v, want 2", webhook.MetricTaskRetries, got)
	}
	waitFor(t, "the dead-letter gauge is updated", func() bool {
		return testutil.ToFloat64(mustGauge(t, reg, webhook.MetricQueueDead)) == 1
	})
	// The log line follows the commit, so it may lag the stats a little.
	waitFor(t, "the dead letter is logged with the task id", func() bool {
		return strings.Contains(logs.String(), `"task_id":"a","task_kind":"check","task_key":"k","attempt":3,"error":"always broken","max_attempts":3,"permanent":false,"message":"task dead-lettered"`)
	})
}

func TestProcessor_DeadLettersAPermanentErrorAtOnce(t *testing.T) {
	q := openBolt(t, filepath.Join(t.TempDir(), "q.db"))
	var calls atomic.Int32
	h := webhook.HandlerFunc(func(ctx context.Context, tk webhook.Task, _ webhook.Enqueuer) error {
		calls.Add(1)
		return webhook.Permanent(errors.New("payload is not JSON"))
	})
	runProcessor(t, webhook.NewProcessor(q, h, fastOpts(webhook.WithMaxAttempts(5))...))
	enqueue(t, q, "a", "k", "x")
	waitFor(t, "the task is dead-lettered", func() bool { return stats(t, q).Dead == 1 })
	if n := calls.Load(); n != 1 {
		t.Errorf("handler ran %d times, want 1", n)
	}
}

func TestProcessor_TurnsAPanicIntoARetryWithTheStackLogged(t *testing.T) {
	q := openBolt(t, filepath.Join(t.TempDir(), "q.db"))
	logs := &syncBuffer{}
	var calls atomic.Int32
	h := webhook.HandlerFunc(func(ctx context.Context, tk webhook.Task, _ webhook.Enqueuer) error {
		if calls.Add(1) == 1 {
			panic("handler bug")
		}
		return nil
	})
	runProcessor(t, webhook.NewProcessor(q, h, fastOpts(webhook.WithLogger(zerolog.New(logs)))...))
	enqueue(t, q, "a", "k", "x")
	waitFor(t, "the task succeeded on its retry", func() bool { s := stats(t, q); return calls.Load() == 2 && s.Pending+s.InFlight == 0 })
	out := logs.String()
	if !strings.Contains(out, "task handler panicked") || !strings.Contains(out, "processor_test.go") {
		t.Errorf("panic not logged with its stack:\n%s", out)
	}
}

func TestProcessor_RetriesATaskThatExceedsItsTimeout(t *testing.T) {
	q := openBolt(t, filepath.Join(t.TempDir(), "q.db"))
	var calls atomic.Int32
	h := webhook.HandlerFunc(func(ctx context.Context, tk webhook.Task, _ webhook.Enqueuer) error {
		if calls.Add(1) == 1 {
			<-ctx.Done()
			return ctx.Err()
		}
		if !strings.Contains(tk.LastError, "deadline exceeded") {
			return webhook.Permanent(fmt.Errorf("LastError = %q", tk.LastError))
		}
		return nil
	})
	runProcessor(t, webhook.NewProcessor(q, h, fastOpts(webhook.WithTaskTimeout(10*time.Millisecond))...))
	enqueue(t, q, "a", "k", "x")
	waitFor(t, "the task finished", func() bool { s := stats(t, q); return s.Pending+s.InFlight == 0 })
	if s := stats(t, q); s.Dead != 0 || calls.Load() != 2 {
		t.Errorf("calls = %d, stats = %+v; want a timeout then a success", calls.Load(), s)
	}
}

func TestProcessor_ShutdownLetsRunningTasksFinish(t *testing.T) {
	q := openBolt(t, filepath.Join(t.TempDir(), "q.db"))
	started := make(chan struct{})
	release := make(chan struct{})
	var ctxErr atomic.Value
	h := webhook.HandlerFunc(func(ctx context.Context, tk webhook.Task, _ webhook.Enqueuer) error {
		close(started)
		<-release
		ctxErr.Store(fmt.Sprint(ctx.Err()))
		return nil
	})
	p := webhook.NewProcessor(q, h, fastOpts(webhook.WithDrainTimeout(time.Minute))...)
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- p.Run(ctx) }()
	enqueue(t, q, "a", "k", "x")
	<-started
	cancel()
	enqueue(t, q, "b", "k2", "x") // must not be claimed once Run's context is done
	close(release)
	if err := <-stopped; err != nil {
		t.Fatalf("Run = %v", err)
	}
	if e := ctxErr.Load(); e != "<nil>" {
		t.Errorf("the running task's context was cancelled by shutdown: %v", e)
	}
	s := stats(t, q)
	if s.InFlight != 0 || s.Pending != 1 {
		t.Errorf("after shutdown stats = %+v, want a done and b still pending", s)
	}
}

func TestProcessor_ShutdownReturnsUnfinishedTasksToTheQueue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	q, err := webhook.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	var sawCancel atomic.Bool
	h := webhook.HandlerFunc(func(ctx context.Context, tk webhook.Task, _ webhook.Enqueuer) error {
		close(started)
		<-ctx.Done()
		sawCancel.Store(true)
		return ctx.Err()
	})
	stop := runProcessor(t, webhook.NewProcessor(q, h, fastOpts(webhook.WithDrainTimeout(30*time.Millisecond))...))
	enqueue(t, q, "a", "k", "x")
	<-started
	if err := stop(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if s := stats(t, q); s.Pending != 1 || s.InFlight != 0 {
		t.Fatalf("after shutdown stats = %+v, want the task pending again", s)
	}
	waitFor(t, "the handler saw its context cancelled", sawCancel.Load)
	q.Close()

	// The next process picks it up.
	q = openBolt(t, path)
	var attempts atomic.Int32
	h2 := webhook.HandlerFunc(func(ctx context.Context, tk webhook.Task, _ webhook.Enqueuer) error {
		attempts.Store(int32(tk.Attempts))
		return nil
	})
	runProcessor(t, webhook.NewProcessor(q, h2, fastOpts()...))
	waitFor(t, "the returned task ran", func() bool { return attempts.Load() == 2 })
}

func TestProcessor_ResumesWorkQueuedBeforeARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	q, err := webhook.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	enqueue(t, q, "queued", "k1", "x")
	enqueue(t, q, "claimed", "k2", "x")
	// A process that claimed a task and was killed before finishing it.
	if got, err := q.Claim(context.Background(), 1); err != nil || len(got) != 1 {
		t.Fatalf("claim = %v, %v", got, err)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}

	q = openBolt(t, path)
	var mu sync.Mutex
	ran := map[string]bool{}
	h := webhook.HandlerFunc(func(ctx context.Context, tk webhook.Task, _ webhook.Enqueuer) error {
		mu.Lock()
		ran[tk.ID] = true
		mu.Unlock()
		return nil
	})
	runProcessor(t, webhook.NewProcessor(q, h, fastOpts()...))
	waitFor(t, "both tasks ran", func() bool { mu.Lock(); defer mu.Unlock(); return ran["queued"] && ran["claimed"] })
	waitFor(t, "the queue is empty", func() bool { s := stats(t, q); return s.Pending+s.InFlight == 0 })
}

func TestProcessor_HandlersEnqueueFollowUpWorkWithTheirLogger(t *testing.T) {
	q := openBolt(t, filepath.Join(t.TempDir(), "q.db"))
	logs := &syncBuffer{}
	var checked atomic.Value
	h := webhook.HandlerFunc(func(ctx context.Context, tk webhook.Task, eq webhook.Enqueuer) error {
		switch tk.Kind {
		case webhook.KindDelivery:
			d, err := webhook.DecodeDelivery(tk)
			if err != nil {
				return webhook.Permanent(err)
			}
			zerolog.Ctx(ctx).Info().Msg("handling delivery")
			_, err = eq.Enqueue(ctx, webhook.Task{ID: "check-" + d.ID, Key: "owner/repo@abc", Kind: "check", Payload: d.Payload})
			return err
		case "check":
			checked.Store(string(tk.Payload))
		}
		return nil
	})
	runProcessor(t, webhook.NewProcessor(q, h, fastOpts(webhook.WithLogger(zerolog.New(logs)))...))
	tk, err := webhook.Delivery{ID: guid, Event: "push", Payload: pushBody, ReceivedAt: time.Now()}.Task()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Enqueue(context.Background(), tk); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the follow-up check ran", func() bool { v, _ := checked.Load().(string); return v == string(pushBody) })
	out := logs.String()
	for _, want := range []string{`"github_delivery_id":"` + guid + `"`, `"github_event_type":"push"`, `"message":"handling delivery"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
}

func TestProcessor_RunTwiceAtOnceFails(t *testing.T) {
	q := openBolt(t, filepath.Join(t.TempDir(), "q.db"))
	started := make(chan struct{})
	release := make(chan struct{})
	defer close(release)
	p := webhook.NewProcessor(q, webhook.HandlerFunc(func(context.Context, webhook.Task, webhook.Enqueuer) error {
		close(started)
		<-release
		return nil
	}), fastOpts()...)
	runProcessor(t, p)
	enqueue(t, q, "a", "k", "x")
	<-started // the first Run is certainly running now
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Run(ctx); err == nil {
		t.Fatal("second concurrent Run succeeded")
	}
}

func mustGauge(t *testing.T, reg *prometheus.Registry, name string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "x", Help: "x"})
			g.Set(mf.GetMetric()[0].GetGauge().GetValue())
			return g
		}
	}
	return prometheus.NewGauge(prometheus.GaugeOpts{Name: "x", Help: "x"})
}

func TestProcessor_CoalescesChecksQueuedWhileOneRuns(t *testing.T) {
	q := openBolt(t, filepath.Join(t.TempDir(), "q.db"))
	started := make(chan struct{}, 1)
	release := make(chan struct{})
	var mu sync.Mutex
	var payloads []string
	h := webhook.HandlerFunc(func(ctx context.Context, tk webhook.Task, _ webhook.Enqueuer) error {
		mu.Lock()
		payloads = append(payloads, string(tk.Payload))
		first := len(payloads) == 1
		mu.Unlock()
		if first {
			started <- struct{}{}
			<-release
		}
		return nil
	})
	runProcessor(t, webhook.NewProcessor(q, h, fastOpts(webhook.WithWorkers(4))...))
	check := func(id, payload string) {
		t.Helper()
		if _, err := q.Enqueue(context.Background(), webhook.Task{ID: id, Key: "owner/repo@abc", Kind: "check", Payload: []byte(payload)}); err != nil {
			t.Fatal(err)
		}
	}
	check("c0", "run 0")
	<-started
	for i := 1; i <= 5; i++ { // a burst of deliveries for the same commit
		check(fmt.Sprint("c", i), fmt.Sprint("run ", i))
	}
	close(release)
	waitFor(t, "the queue is empty", func() bool { s := stats(t, q); return s.Pending+s.InFlight == 0 })
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(payloads) != "[run 0 run 5]" {
		t.Errorf("runs = %q, want the running one and one coalesced run with the newest payload", payloads)
	}
}

func TestProcessor_LogsDeadLettersWaitingAtStart(t *testing.T) {
	q := openBolt(t, filepath.Join(t.TempDir(), "q.db"))
	enqueue(t, q, "a", "k", "x")
	if _, err := q.Claim(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if err := q.DeadLetter(context.Background(), "a", errors.New("boom")); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	runProcessor(t, webhook.NewProcessor(q, webhook.HandlerFunc(func(context.Context, webhook.Task, webhook.Enqueuer) error { return nil }),
		fastOpts(webhook.WithLogger(zerolog.New(logs)))...))
	waitFor(t, "the start-up warning", func() bool { return strings.Contains(logs.String(), `"dead_letters":1`) })
}

func TestProcessor_WarnsWhenTasksCanOutliveTheirLease(t *testing.T) {
	q := openBolt(t, filepath.Join(t.TempDir(), "q.db"), webhook.WithLease(time.Minute))
	logs := &syncBuffer{}
	runProcessor(t, webhook.NewProcessor(q, webhook.HandlerFunc(func(context.Context, webhook.Task, webhook.Enqueuer) error { return nil }),
		fastOpts(webhook.WithTaskTimeout(time.Minute), webhook.WithLogger(zerolog.New(logs)))...))
	waitFor(t, "the lease warning", func() bool { return strings.Contains(logs.String(), "shorter than the queue's lease") })
}

// plainQueue hides the optional Notifier of the queue it wraps.
type plainQueue struct{ webhook.Queue }

func TestProcessor_PollsAQueueThatCannotNotify(t *testing.T) {
	q := openBolt(t, filepath.Join(t.TempDir(), "q.db"))
	var ran atomic.Bool
	h := webhook.HandlerFunc(func(context.Context, webhook.Task, webhook.Enqueuer) error { ran.Store(true); return nil })
	runProcessor(t, webhook.NewProcessor(plainQueue{q}, h, fastOpts()...))
	time.Sleep(10 * time.Millisecond) // the processor is idle, waiting for its next poll
	enqueue(t, q, "a", "k", "x")
	waitFor(t, "the task ran", ran.Load)
}
