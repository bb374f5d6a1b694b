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
	"slices"
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

// Watermarks is implemented by a [Store] that keeps the reconciler's
// watermark across restarts (both webhook queues do): the time back to
// which the next pass must read, everything logged before it having been
// handled. Without it a restarted reconciler reads back its whole
// look-back window.
type Watermarks interface {
	RedeliveryWatermark(ctx context.Context) (t time.Time, ok bool, err error)
	SetRedeliveryWatermark(ctx context.Context, t time.Time) error
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
	// Lookback is how far back a pass reads at most (default and maximum:
	// GitHub's 3-day log, [Retention]). A pass reads back to the watermark
	// the last completed pass left (kept by a [Watermarks] store across
	// restarts, so an outage of any length up to Lookback is recovered),
	// plus Overlap; with no record of a pass, the whole Lookback.
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
	// MaxPages bounds the log pages one pass reads (default 100 × 100
	// attempts). A pass that hits it says so (a log line,
	// contractbot_redelivery_capped_passes_total) and keeps its watermark
	// where reading stopped; the next pass reads what is new, then goes on
	// from there.
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
	def(&c.Lookback, Retention)
	def(&c.Overlap, time.Minute)
	def(&c.Settle, 10*time.Second)
	c.Lookback = min(c.Lookback, Retention)
	if c.MaxRedeliveries <= 0 {
		c.MaxRedeliveries = 100
	}
	if c.MaxPages <= 0 {
		c.MaxPages = 100
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Retention is how long GitHub keeps an App's webhook delivery log.
const Retention = 72 * time.Hour

// Reconciler finds and redelivers missed deliveries.
type Reconciler struct {
	log    Log
	store  Store
	leader Leader
	cfg    Config

	// since is where the next pass reads back to from the newest attempt:
	// the previous pass's start, or its oldest attempt left for later
	// (unsettled, or over the redelivery cap). Zero before the first pass.
	since time.Time
	// backlog holds the parts of the log a capped pass did not reach,
	// oldest first, for the next passes to go on with.
	backlog []segment
	// stored is the watermark this replica last stored; another value in
	// the store means another replica led since, and this one's state is
	// stale.
	stored time.Time
	asked  map[string]time.Time // GUID -> when this replica last asked for it

	passes      *prometheus.CounterVec
	redelivered prometheus.Counter
	missing     prometheus.Gauge
	capped      prometheus.Counter
	lag         prometheus.Gauge
}

// segment is a part of the delivery log still to read: from cursor ("" is
// the newest page) back to until.
type segment struct {
	cursor string
	until  time.Time
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
			Help: "Deliveries in GitHub's log that the queue had not stored and the last pass could not recover (not redelivered: over its cap, or asked for within the interval and still missing).",
		}),
		capped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "contractbot_redelivery_capped_passes_total",
			Help: "Passes that stopped at their page cap before reading back to the watermark; the next passes go on from where they stopped.",
		}),
		lag: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "contractbot_redelivery_watermark_age_seconds",
			Help: "How far back the delivery log still has to be read, at the last completed pass: the age of its watermark.",
		}),
	}
	var errs [5]error
	r.passes, errs[0] = metricsutil.Register(cfg.Metrics, r.passes)
	r.redelivered, errs[1] = metricsutil.Register(cfg.Metrics, r.redelivered)
	r.missing, errs[2] = metricsutil.Register(cfg.Metrics, r.missing)
	r.capped, errs[3] = metricsutil.Register(cfg.Metrics, r.capped)
	r.lag, errs[4] = metricsutil.Register(cfg.Metrics, r.lag)
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
	// Unrecovered is Missing less Redelivered: deliveries found missing
	// and left for a later pass (contractbot_redelivery_missing).
	Unrecovered int
	Pages       int  // log pages read
	Capped      bool // the page cap stopped reading before the watermark
	// Watermark is where the next pass will read back to.
	Watermark time.Time
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
		if rep.Led && (err != nil || rep.Missing > 0 || rep.Capped) {
			ev.Int("attempts", rep.Attempts).Int("pages", rep.Pages).Int("missing", rep.Missing).Int("redelivered", rep.Redelivered).
				Int("unrecovered", rep.Unrecovered).Time("watermark", rep.Watermark).Msg("redelivery pass")
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
		r.missing.Set(float64(rep.Unrecovered))
		r.lag.Set(max(r.cfg.Now().Sub(rep.Watermark), 0).Seconds())
		if rep.Capped {
			r.capped.Inc()
		}
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
	oldest := start.Add(-r.cfg.Lookback) // GitHub has nothing older
	// Nothing of the reconciler's state changes unless the pass completes:
	// a failed pass is tried again from the same watermark.
	since, pending, stored, err := r.resume(ctx, start)
	if err != nil {
		return rep, err
	}
	if since.Before(oldest) {
		r.cfg.Log.Warn().Time("watermark", since).Dur("retention", r.cfg.Lookback).
			Msg("redelivery: the last completed pass is older than GitHub's delivery log reaches back; deliveries that failed before the log's start cannot be recovered")
		since = oldest
	}
	settled := start.Add(-r.cfg.Settle)

	// Newest attempt per GUID, and whether any attempt of it succeeded.
	type guidState struct {
		newest github.HookDelivery
		ok     bool
	}
	byGUID := map[string]*guidState{}
	var order []string
	record := func(d github.HookDelivery) {
		rep.Attempts++
		st := byGUID[d.GUID]
		if st == nil {
			st = &guidState{newest: d}
			byGUID[d.GUID] = st
			order = append(order, d.GUID)
		}
		if d.DeliveredAt.After(st.newest.DeliveredAt) {
			st.newest = d
		}
		st.ok = st.ok || d.OK()
	}
	// What earlier capped passes did not reach, oldest first (it leaves
	// GitHub's log first), then what is new since the last pass. The page
	// budget is shared; a part not read to its end is left, from where
	// reading stopped, to the next pass, which goes on from its cursor, so
	// every pass gets further however busy the log is.
	segs := append(slices.Clone(pending), segment{until: since})
	var backlog []segment
	for i, seg := range segs {
		if rep.Pages >= r.cfg.MaxPages {
			backlog = append(backlog, segs[i:]...)
			break
		}
		rest, err := r.read(ctx, seg, &rep, record)
		if err != nil {
			return rep, err
		}
		if rest != nil {
			backlog = append(backlog, *rest)
		}
	}
	rep.Capped = len(backlog) > 0
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
	rep.Unrecovered = rep.Missing - rep.Redelivered
	for guid, at := range r.asked {
		if start.Sub(at) > Retention {
			delete(r.asked, guid)
		}
	}
	r.since, r.backlog, r.stored = watermark, backlog, stored
	// Stores keep microseconds (PostgreSQL); reading back a little
	// earlier is harmless, and the stored value compares equal later.
	rep.Watermark = r.watermark().Truncate(time.Microsecond)
	if rep.Capped {
		r.cfg.Log.Warn().Int("pages", rep.Pages).Int("max_pages", r.cfg.MaxPages).Time("watermark", rep.Watermark).
			Msg("redelivery pass stopped at its page cap: the older part of the delivery log, back to the watermark, is read by the next passes")
	}
	if w, ok := r.store.(Watermarks); ok {
		if err := w.SetRedeliveryWatermark(ctx, rep.Watermark); err != nil {
			// The pass itself did its work; the next one reads back to
			// the watermark in memory, a restarted one further.
			r.cfg.Log.Warn().Err(err).Msg("redelivery: could not store the watermark")
		} else {
			r.stored = rep.Watermark
		}
	}
	return rep, nil
}

// watermark is the oldest point the next passes must still read back to.
func (r *Reconciler) watermark() time.Time {
	w := r.since
	for _, s := range r.backlog {
		if s.until.Before(w) {
			w = s.until
		}
	}
	return w
}

// resume says where a pass reads back to: this replica's own state, or
// the stored watermark when there is none or another replica stored
// another one since (it led meanwhile), or the whole look-back window when
// no pass ever completed.
func (r *Reconciler) resume(ctx context.Context, start time.Time) (since time.Time, backlog []segment, stored time.Time, err error) {
	since, backlog, stored = r.since, r.backlog, r.stored
	if w, ok := r.store.(Watermarks); ok {
		at, found, err := w.RedeliveryWatermark(ctx)
		if err != nil {
			return since, backlog, stored, fmt.Errorf("redelivery: read the watermark: %w", err)
		}
		if found && (since.IsZero() || !at.Equal(stored)) {
			return at, nil, at, nil
		}
	}
	if since.IsZero() {
		since = start.Add(-r.cfg.Lookback)
	}
	return since, backlog, stored, nil
}

// read reads seg of the log within the pass's page budget, handing every
// attempt back to the segment's end (less Overlap, for attempts logged
// late) to record. It returns what is left of seg when the budget ran out
// first.
func (r *Reconciler) read(ctx context.Context, seg segment, rep *Report, record func(github.HookDelivery)) (*segment, error) {
	from := seg.until.Add(-r.cfg.Overlap)
	cursor := seg.cursor
	for {
		if rep.Pages >= r.cfg.MaxPages {
			return &segment{cursor: cursor, until: seg.until}, nil
		}
		items, next, err := r.log.ListDeliveries(ctx, cursor, github.MaxDeliveriesPerPage)
		if err != nil {
			return nil, err
		}
		rep.Pages++
		for _, d := range items {
			if d.DeliveredAt.Before(from) {
				return nil, nil
			}
			record(d)
		}
		if next == "" {
			return nil, nil
		}
		cursor = next
	}
}
