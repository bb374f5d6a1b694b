// Package redeliver recovers webhook deliveries that never made it into
// contractbot's queue. GitHub does not retry a failed delivery by itself; it
// keeps a log of attempts for three days and redelivers on request. The
// reconciler reads that log, finds deliveries whose GUID the local store
// has never seen, and asks GitHub to send them again. Since the intake
// deduplicates by GUID, asking twice is harmless; not asking is a lost event.
package redeliver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/contractbot/contractbot/internal/github"

	"github.com/contractbot/contractbot/internal/metricsutil"
)

// Log is the App's webhook delivery log: [github.Apps] implements it.
type Log interface {
	// ListDeliveries returns a page of attempts, newest first, and the
	// cursor of the next page ("" on the last).
	ListDeliveries(ctx context.Context, cursor string, perPage int) ([]github.HookDelivery, string, error)
	// Redeliver asks GitHub to send the attempt's payload again.
	Redeliver(ctx context.Context, id int64) error
}

// Store answers whether a delivery reached the queue: the webhook queues
// implement it (a delivery's task ID is its GUID).
type Store interface {
	Seen(ctx context.Context, id string) (bool, error)
}

// Leader lets one replica at a time reconcile. TryLead returns ok=false when
// another replica leads; release ends this replica's turn.
type Leader interface {
	TryLead(ctx context.Context) (release func(), ok bool, err error)
}

// Always is the [Leader] of a single replica.
type Always struct{}

// TryLead implements [Leader].
func (Always) TryLead(context.Context) (func(), bool, error) { return func() {}, true, nil }

// Config tunes a [Reconciler]. The zero value of each field means its default.
type Config struct {
	// Interval between passes (default 5 minutes): the longest a missed
	// delivery stays missed.
	Interval time.Duration
	// Lookback is how far back the first pass reads (default 1 hour; at most
	// GitHub's 3-day log). Later passes read back to the previous pass's
	// start, plus Overlap.
	Lookback time.Duration
	// Overlap re-reads the end of the previous window (default 1 minute), for
	// attempts logged late.
	Overlap time.Duration
	// Settle skips attempts younger than this (default 10 s): the delivery
	// may still be on its way into the store.
	Settle time.Duration
	// MaxRedeliveries bounds the redeliveries of one pass (default 100), to
	// stay well inside GitHub's rate limits after an outage; the rest wait
	// for the next pass.
	MaxRedeliveries int
	// MaxPages bounds the log pages one pass reads (default 50 × 100).
	MaxPages int
	// Now replaces time.Now in tests.
	Now func() time.Time
	Log zerolog.Logger
	// Metrics, when set, receives the reconciler's counters.
	Metrics prometheus.Registerer
}

func (c *Config) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Interval, 5*time.Minute)
	def(&c.Lookback, time.Hour)
	def(&c.Overlap, time.Minute)
	def(&c.Settle, 10*time.Second)
	c.Lookback = min(c.Lookback, 72*time.Hour)
	if c.MaxRedeliveries <= 0 {
		c.MaxRedeliveries = 100
	}
	if c.MaxPages <= 0 {
		c.MaxPages = 50
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Reconciler finds and redelivers missed deliveries.
type Reconciler struct {
	log    Log
	store  Store
	leader Leader
	cfg    Config

	since time.Time            // the previous pass's start, or its oldest attempt left for later
	asked map[string]time.Time // GUID -> when this replica last asked for it

	passes      *prometheus.CounterVec
	redelivered prometheus.Counter
	missing     prometheus.Gauge
}

// New returns a reconciler; nothing runs until [Reconciler.Run] or
// [Reconciler.Pass].
func New(log Log, store Store, leader Leader, cfg Config) *Reconciler {
	cfg.defaults()
	r := &Reconciler{log: log, store: store, leader: leader, cfg: cfg, asked: map[string]time.Time{},
		passes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "contractbot_redelivery_passes_total",
			Help: "Reconciler passes by result: ok, error, or follower (another replica leads).",
		}, []string{"result"}),
		redelivered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "contractbot_redelivery_requested_total",
			Help: "Redeliveries asked of GitHub for deliveries the queue never stored.",
		}),
		missing: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "contractbot_redelivery_missing",
			Help: "Deliveries in GitHub's log that the queue had not stored, at the last pass.",
		}),
	}
	var errs [3]error
	r.passes, errs[0] = metricsutil.Register(cfg.Metrics, r.passes)
	r.redelivered, errs[1] = metricsutil.Register(cfg.Metrics, r.redelivered)
	r.missing, errs[2] = metricsutil.Register(cfg.Metrics, r.missing)
	if err := errors.Join(errs[:]...); err != nil {
		cfg.Log.Warn().Err(err).Msg("redelivery metrics not registered")
	}
	return r
}

// Report says what one pass did.
type Report struct {
	Led         bool // false: another replica leads, nothing was read
	Attempts    int  // log entries read
	Deliveries  int  // distinct GUIDs among them
	Missing     int  // GUIDs the store has not seen
	Redelivered int  // redeliveries asked for
}

// Run makes a pass every Interval until ctx ends.
func (r *Reconciler) Run(ctx context.Context) error {
	t := time.NewTicker(r.cfg.Interval)
	defer t.Stop()
	for {
		rep, err := r.Pass(ctx)
		ev := r.cfg.Log.Info()
		if err != nil {
			ev = r.cfg.Log.Warn().Err(err)
		}
		if rep.Led && (err != nil || rep.Missing > 0) {
			ev.Int("attempts", rep.Attempts).Int("missing", rep.Missing).Int("redelivered", rep.Redelivered).
				Msg("redelivery pass")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Pass reads the delivery log back to the previous pass and redelivers what
// the store has not seen.
func (r *Reconciler) Pass(ctx context.Context) (Report, error) {
	rep, err := r.pass(ctx)
	switch {
	case err != nil:
		r.passes.WithLabelValues("error").Inc()
	case !rep.Led:
		r.passes.WithLabelValues("follower").Inc()
	default:
		r.passes.WithLabelValues("ok").Inc()
		r.missing.Set(float64(rep.Missing))
	}
	r.redelivered.Add(float64(rep.Redelivered))
	return rep, err
}

func (r *Reconciler) pass(ctx context.Context) (Report, error) {
	var rep Report
	release, ok, err := r.leader.TryLead(ctx)
	if err != nil || !ok {
		return rep, err
	}
	defer release()
	rep.Led = true

	start := r.cfg.Now()
	from := start.Add(-r.cfg.Lookback)
	if !r.since.IsZero() {
		from = r.since.Add(-r.cfg.Overlap)
	}
	settled := start.Add(-r.cfg.Settle)

	// Newest attempt per GUID, and whether any attempt of it succeeded.
	type guidState struct {
		newest github.HookDelivery
		ok     bool
	}
	byGUID := map[string]*guidState{}
	var order []string
	cursor := ""
pages:
	for page := 0; page < r.cfg.MaxPages; page++ {
		items, next, err := r.log.ListDeliveries(ctx, cursor, github.MaxDeliveriesPerPage)
		if err != nil {
			return rep, err
		}
		for _, d := range items {
			if d.DeliveredAt.Before(from) {
				break pages
			}
			rep.Attempts++
			st := byGUID[d.GUID]
			if st == nil {
				st = &guidState{newest: d}
				byGUID[d.GUID] = st
				order = append(order, d.GUID)
			}
			st.ok = st.ok || d.OK()
		}
		if next == "" {
			break
		}
		cursor = next
	}
	rep.Deliveries = len(byGUID)

	// watermark is where the next pass reads back to: this pass's start,
	// or the oldest attempt left for later (unsettled, or over the cap),
	// which a window starting at this pass would miss.
	watermark := start
	later := func(d github.HookDelivery) {
		if d.DeliveredAt.Before(watermark) {
			watermark = d.DeliveredAt
		}
	}
	for _, guid := range order {
		st := byGUID[guid]
		if st.newest.DeliveredAt.After(settled) {
			later(st.newest) // may still be arriving
			continue
		}
		// GitHub answers ping itself counts as delivered; the intake
		// answers it without storing anything.
		if st.ok && st.newest.Event == "ping" {
			continue
		}
		seen, err := r.store.Seen(ctx, guid)
		if err != nil {
			return rep, fmt.Errorf("redelivery: look up %s: %w", guid, err)
		}
		if seen {
			continue
		}
		rep.Missing++
		if at, ok := r.asked[guid]; ok && start.Sub(at) < r.cfg.Interval {
			continue // asked on the last pass; the redelivery may be in flight
		}
		if rep.Redelivered >= r.cfg.MaxRedeliveries {
			later(st.newest)
			continue
		}
		if err := r.log.Redeliver(ctx, st.newest.ID); err != nil {
			return rep, err
		}
		r.asked[guid] = start
		rep.Redelivered++
		r.cfg.Log.Info().Str("github_delivery_id", guid).Str("github_event_type", st.newest.Event).
			Int64("attempt_id", st.newest.ID).Msg("redelivery requested for a delivery the queue never stored")
	}
	for guid, at := range r.asked {
		if start.Sub(at) > 72*time.Hour {
			delete(r.asked, guid)
		}
	}
	r.since = watermark
	return rep, nil
}
