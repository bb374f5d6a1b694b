package redeliver

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/contractbot/contractbot/internal/github"
)

// memLog is a delivery log in memory, newest first, served in pages of 2 so
// that pagination is exercised.
type memLog struct {
	items      []github.HookDelivery
	redelivers []int64
	listErr    error
	pageSize   int // 2 when zero
	pages      int // pages served
	// failAt, when set, makes each redelivery fail again, logged as a new
	// attempt at failAt(), as GitHub logs one.
	failAt func() time.Time
}

func (l *memLog) ListDeliveries(_ context.Context, cursor string, _ int) ([]github.HookDelivery, string, error) {
	if l.listErr != nil {
		return nil, "", l.listErr
	}
	start := 0
	fmt.Sscan(cursor, &start)
	size := l.pageSize
	if size == 0 {
		size = 2
	}
	l.pages++
	end := min(start+size, len(l.items))
	next := ""
	if end < len(l.items) {
		next = fmt.Sprint(end)
	}
	return l.items[start:end], next, nil
}

func (l *memLog) Redeliver(_ context.Context, id int64) error {
	l.redelivers = append(l.redelivers, id)
	if l.failAt != nil {
		for _, d := range l.items {
			if d.ID == id {
				again := d
				again.ID, again.Redelivery, again.StatusCode, again.DeliveredAt = id+100, true, 0, l.failAt()
				l.items = append([]github.HookDelivery{again}, l.items...)
				break
			}
		}
	}
	return nil
}

type memStore map[string]bool

func (s memStore) Seen(_ context.Context, id string) (bool, error) { return s[id], nil }

type never struct{}

func (never) TryLead(context.Context) (func(), bool, error) { return nil, false, nil }

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func attempt(id int64, guid, event string, status int, age time.Duration) github.HookDelivery {
	return github.HookDelivery{ID: id, GUID: guid, Event: event, StatusCode: status, DeliveredAt: now.Add(-age)}
}

func TestPass(t *testing.T) {
	tests := []struct {
		name  string
		log   []github.HookDelivery // newest first
		seen  memStore
		cfg   Config
		want  []int64 // attempt ids redelivered
		check func(*testing.T, Report)
	}{
		{
			name: "a failed delivery the store never saw is redelivered by its newest attempt",
			log:  []github.HookDelivery{attempt(7, "g1", "push", 503, time.Minute), attempt(3, "g1", "push", 0, 2*time.Minute)},
			want: []int64{7},
		},
		{
			name: "a delivery the store has is left alone whatever GitHub recorded",
			log:  []github.HookDelivery{attempt(5, "g1", "push", 0, time.Minute)},
			seen: memStore{"g1": true},
		},
		{
			name: "an acknowledged delivery missing from the store is redelivered",
			log:  []github.HookDelivery{attempt(5, "g1", "pull_request", 202, time.Minute)},
			want: []int64{5},
		},
		{
			name: "a ping that GitHub counts as delivered is not, since the intake stores none",
			log:  []github.HookDelivery{attempt(5, "g1", "ping", 200, time.Minute)},
		},
		{
			name: "a delivery younger than the settle time may still be arriving",
			log:  []github.HookDelivery{attempt(5, "g1", "push", 0, 2*time.Second)},
		},
		{
			name: "attempts older than the look-back window are not read",
			log: []github.HookDelivery{
				attempt(9, "new", "push", 0, time.Minute), attempt(8, "a", "push", 202, 2*time.Minute),
				attempt(2, "old", "push", 0, 3*time.Hour),
			},
			seen: memStore{"a": true},
			cfg:  Config{Lookback: time.Hour},
			want: []int64{9},
			check: func(t *testing.T, r Report) {
				if r.Attempts != 2 {
					t.Errorf("read %d attempts, want 2 (the third is outside the window)", r.Attempts)
				}
			},
		},
		{
			name: "redeliveries per pass are capped",
			log: []github.HookDelivery{
				attempt(3, "c", "push", 0, time.Minute), attempt(2, "b", "push", 0, time.Minute), attempt(1, "a", "push", 0, time.Minute),
			},
			cfg:  Config{MaxRedeliveries: 2},
			want: []int64{3, 2},
			check: func(t *testing.T, r Report) {
				if r.Missing != 3 {
					t.Errorf("missing = %d, want 3", r.Missing)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := &memLog{items: tt.log}
			cfg := tt.cfg
			cfg.Now = func() time.Time { return now }
			r := New(log, tt.seen, Always{}, cfg)
			rep, err := r.Pass(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(log.redelivers) != fmt.Sprint(tt.want) && !(len(log.redelivers) == 0 && len(tt.want) == 0) {
				t.Errorf("redelivered %v, want %v", log.redelivers, tt.want)
			}
			if rep.Redelivered != len(tt.want) {
				t.Errorf("report says %d redelivered, want %d", rep.Redelivered, len(tt.want))
			}
			if tt.check != nil {
				tt.check(t, rep)
			}
		})
	}
}

func TestASecondPassDoesNotAskAgainForWhatIsInFlight(t *testing.T) {
	clock := now
	log := &memLog{items: []github.HookDelivery{attempt(4, "g", "push", 0, time.Minute)}}
	log.failAt = func() time.Time { return clock }
	r := New(log, memStore{}, Always{}, Config{Now: func() time.Time { return clock }})
	for range 2 {
		if _, err := r.Pass(t.Context()); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(time.Minute)
	}
	if len(log.redelivers) != 1 {
		t.Fatalf("asked %d times within one interval, want once", len(log.redelivers))
	}
	clock = clock.Add(10 * time.Minute)
	if _, err := r.Pass(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(log.redelivers) != 2 {
		t.Fatalf("a redelivery that failed again was not asked for again after the interval")
	}
}

func TestOnlyTheLeaderReconciles(t *testing.T) {
	log := &memLog{items: []github.HookDelivery{attempt(4, "g", "push", 0, time.Minute)}}
	rep, err := New(log, memStore{}, never{}, Config{Now: func() time.Time { return now }}).Pass(t.Context())
	if err != nil || rep.Led || len(log.redelivers) != 0 {
		t.Fatalf("a follower reconciled: %+v, %v, %v", rep, err, log.redelivers)
	}
}

func TestAFailedListingIsReportedAndRetriedFromTheSameWatermark(t *testing.T) {
	boom := errors.New("github is down")
	log := &memLog{listErr: boom}
	r := New(log, memStore{}, Always{}, Config{Now: func() time.Time { return now }})
	if _, err := r.Pass(t.Context()); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if !r.since.IsZero() {
		t.Fatal("a failed pass moved the watermark; its window would never be read again")
	}
}

func TestDeliveriesOverThePassCapAreRedeliveredByTheNextPass(t *testing.T) {
	clock := now
	log := &memLog{items: []github.HookDelivery{
		attempt(3, "c", "push", 0, 5*time.Minute), attempt(2, "b", "push", 0, 5*time.Minute), attempt(1, "a", "push", 0, 5*time.Minute),
	}}
	store := memStore{}
	r := New(log, store, Always{}, Config{MaxRedeliveries: 2, Now: func() time.Time { return clock }})
	if _, err := r.Pass(t.Context()); err != nil {
		t.Fatal(err)
	}
	store["c"], store["b"] = true, true // the two redeliveries arrived
	clock = clock.Add(5 * time.Minute)
	rep, err := r.Pass(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(log.redelivers) != "[3 2 1]" || rep.Redelivered != 1 {
		t.Fatalf("redelivered %v (second pass: %d), want [3 2 1]: the delivery over the first pass's cap was left behind", log.redelivers, rep.Redelivered)
	}
}
