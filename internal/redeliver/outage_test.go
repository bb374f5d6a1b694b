package redeliver

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/contractbot/contractbot/internal/github"
)

// wmStore is a store that keeps the reconciler's watermark, as both
// queues do.
type wmStore struct {
	memStore
	wm  time.Time
	set []time.Time
}

func (s *wmStore) RedeliveryWatermark(context.Context) (time.Time, bool, error) {
	return s.wm, !s.wm.IsZero(), nil
}

func (s *wmStore) SetRedeliveryWatermark(_ context.Context, t time.Time) error {
	s.wm = t
	s.set = append(s.set, t)
	return nil
}

// failedOver logs n failed deliveries spread evenly over span, newest
// first, the newest a minute old.
func failedOver(n int, span time.Duration) []github.HookDelivery {
	out := make([]github.HookDelivery, n)
	for i := range out {
		age := time.Minute + time.Duration(i)*span/time.Duration(n)
		out[i] = attempt(int64(n-i), fmt.Sprintf("g%04d", n-i), "push", 0, age)
	}
	return out
}

// Issue 15, defect 2: after a restart the reconciler read back only its
// fixed hour, so the older half of a two-hour outage was never
// redelivered, silently.
func TestAPassAfterARestartReadsBackAsFarAsTheOutageRequires(t *testing.T) {
	tests := []struct {
		name  string
		store func() Store
		log   []github.HookDelivery
		want  int // redelivered
	}{
		{"from the last completed pass, two hours before",
			func() Store { return &wmStore{memStore: memStore{}, wm: now.Add(-2*time.Hour - 2*time.Minute)} },
			failedOver(120, 2*time.Hour), 120},
		{"with no record of a pass, GitHub's three days",
			func() Store { return memStore{} },
			[]github.HookDelivery{attempt(3, "2h", "push", 0, 2*time.Hour), attempt(2, "50h", "push", 0, 50*time.Hour), attempt(1, "80h", "push", 0, 80*time.Hour)}, 2},
		{"but no further back than GitHub keeps them",
			func() Store { return &wmStore{memStore: memStore{}, wm: now.Add(-5 * 24 * time.Hour)} },
			[]github.HookDelivery{attempt(3, "2h", "push", 0, 2*time.Hour), attempt(2, "50h", "push", 0, 50*time.Hour), attempt(1, "80h", "push", 0, 80*time.Hour)}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			log := &memLog{items: tc.log, pageSize: 100}
			r := New(log, tc.store(), Always{}, Config{MaxRedeliveries: 1000, Now: func() time.Time { return now }})
			rep, err := r.Pass(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if rep.Redelivered != tc.want || len(log.redelivers) != tc.want {
				t.Errorf("redelivered %d (%d asked), want %d", rep.Redelivered, len(log.redelivers), tc.want)
			}
		})
	}
}

// A pass reads back to the last completed pass, not GitHub's whole log.
func TestAPassReadsBackOnlyToTheLastCompletedPass(t *testing.T) {
	store := &wmStore{memStore: memStore{"old": false}, wm: now.Add(-30 * time.Minute)}
	log := &memLog{items: []github.HookDelivery{attempt(2, "new", "push", 0, 10*time.Minute), attempt(1, "old", "push", 0, 2*time.Hour)}}
	r := New(log, store, Always{}, Config{Now: func() time.Time { return now }})
	if _, err := r.Pass(t.Context()); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(log.redelivers) != "[2]" {
		t.Errorf("redelivered %v, want [2]: the attempt before the last pass was that pass's to handle", log.redelivers)
	}
	if len(store.set) != 1 || !store.set[0].Equal(now) {
		t.Errorf("watermarks stored %v, want this pass's start %v", store.set, now)
	}
}

// Issue 15, defect 3: a pass stopped at its page cap and still moved its
// watermark past the attempts it had not read. The cap now keeps the
// watermark where reading stopped, says so in a metric, and the next pass
// goes on from there.
func TestAPassThatHitsThePageCapLeavesTheRestToTheNextPass(t *testing.T) {
	clock := now
	store := &wmStore{memStore: memStore{}}
	log := &memLog{items: failedOver(5200, 50*time.Minute), pageSize: 100}
	r := New(log, store, Always{}, Config{MaxPages: 50, MaxRedeliveries: 10000, Now: func() time.Time { return clock }})
	first, err := r.Pass(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if first.Redelivered != 5000 || !first.Capped {
		t.Fatalf("first pass: %+v, want 5000 redelivered and the cap reported", first)
	}
	if got := testutil.ToFloat64(r.capped); got != 1 {
		t.Errorf("contractbot_redelivery_capped_passes_total = %v, want 1", got)
	}
	if oldest := now.Add(-time.Minute - 5199*50*time.Minute/5200); store.wm.After(oldest) {
		t.Errorf("watermark %v moved past the unread attempts (the oldest at %v)", store.wm, oldest)
	}
	for _, id := range log.redelivers {
		store.memStore[fmt.Sprintf("g%04d", id)] = true // the redeliveries arrived
	}
	clock = clock.Add(5 * time.Minute)
	second, err := r.Pass(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if second.Capped || testutil.ToFloat64(r.capped) != 1 {
		t.Errorf("second pass: %+v, capped passes %v; want it to read to the end", second, testutil.ToFloat64(r.capped))
	}
	if second.Redelivered != 200 || len(log.redelivers) != 5200 {
		t.Fatalf("second pass redelivered %d (%d in all), want the 200 the first pass could not read", second.Redelivered, len(log.redelivers))
	}
	seen := map[int64]bool{}
	for _, id := range log.redelivers {
		if seen[id] {
			t.Fatalf("attempt %d redelivered twice", id)
		}
		seen[id] = true
	}
}

// contractbot_redelivery_missing counts the deliveries a pass found
// missing and could not recover (here: over the pass's redelivery cap).
func TestTheMissingMetricCountsWhatAPassCouldNotRecover(t *testing.T) {
	log := &memLog{items: []github.HookDelivery{
		attempt(3, "c", "push", 0, time.Minute), attempt(2, "b", "push", 0, time.Minute), attempt(1, "a", "push", 0, time.Minute),
	}}
	r := New(log, memStore{}, Always{}, Config{MaxRedeliveries: 2, Now: func() time.Time { return now }})
	if _, err := r.Pass(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(r.missing); got != 1 {
		t.Errorf("contractbot_redelivery_missing = %v, want 1 (3 missing, 2 redelivered)", got)
	}
}
