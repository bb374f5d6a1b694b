// Package pgqueue is a [webhook.Queue] in PostgreSQL, shared by several
// `contractbot serve` replicas.
//
// Correctness rests on the database's constraints rather than on timing:
//
//   - every task ID ever enqueued is a row of contractbot_seen (primary key),
//     so a redelivered webhook is stored once however many replicas receive
//     it at the same moment;
//   - at most one pending task per (kind, key) (a partial unique index), so
//     coalescing is one INSERT … ON CONFLICT DO UPDATE;
//   - at most one in-flight task per key (a partial unique index), so two
//     replicas claiming at once can never both run work for one key: the
//     second claim's UPDATE fails on the index and that claim is retried.
//
// Claims select candidates with FOR UPDATE SKIP LOCKED, so replicas do not
// queue behind each other's row locks. A claimed task carries a lease; a
// replica that dies (or is partitioned) loses its tasks when the lease
// expires and another replica picks them up. Each claim bumps the task's
// attempt count, which doubles as the lease token: Complete, Retry and
// DeadLetter from a replica whose lease was taken over fail with
// ErrNotInFlight instead of finishing someone else's claim.
package pgqueue

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/contractbot/contractbot/internal/webhook"
)

// schema is applied at Open; every statement is idempotent, so replicas
// starting together are safe (they serialise on an advisory lock).
const schema = `
CREATE TABLE IF NOT EXISTS contractbot_seen (
	id      text PRIMARY KEY,
	seen_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS contractbot_seen_at ON contractbot_seen (seen_at);
CREATE TABLE IF NOT EXISTS contractbot_tasks (
	seq         bigserial PRIMARY KEY,
	id          text NOT NULL UNIQUE,
	key         text NOT NULL,
	kind        text NOT NULL,
	payload     bytea NOT NULL,
	state       text NOT NULL CHECK (state IN ('pending', 'inflight', 'dead')),
	attempts    integer NOT NULL DEFAULT 0,
	not_before  timestamptz NOT NULL,
	enqueued_at timestamptz NOT NULL,
	lease_until timestamptz,
	dead_at     timestamptz,
	last_error  text NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX IF NOT EXISTS contractbot_tasks_pending_kind_key
	ON contractbot_tasks (kind, key) WHERE state = 'pending';
CREATE UNIQUE INDEX IF NOT EXISTS contractbot_tasks_inflight_key
	ON contractbot_tasks (key) WHERE state = 'inflight';
CREATE INDEX IF NOT EXISTS contractbot_tasks_state_seq ON contractbot_tasks (state, seq);
ALTER TABLE contractbot_tasks ADD COLUMN IF NOT EXISTS claimed_by text NOT NULL DEFAULT '';
CREATE TABLE IF NOT EXISTS contractbot_state (
	name text PRIMARY KEY,
	at   timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS contractbot_records (
	ns         text NOT NULL,
	key        text NOT NULL,
	value      bytea NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (ns, key)
);
`

// schemaLock is the advisory lock key that serialises schema setup.
const schemaLock = 0x636f6e7472616374 // "contract"

// Option configures [Open].
type Option func(*config)

type config struct {
	lease     time.Duration
	retention time.Duration
	now       func() time.Time
	claimant  string
}

// WithLease sets how long a claim is held before another replica may take
// the task over (default 15 minutes; longer than any check should run).
func WithLease(d time.Duration) Option { return func(c *config) { c.lease = d } }

// WithClaimant names this replica in the tasks it claims (column
// claimed_by; default [DefaultClaimant]), so that an operator, or the
// fault harness, can tell whose work a task in flight is.
func WithClaimant(name string) Option { return func(c *config) { c.claimant = name } }

// DefaultClaimant is how a replica names itself in its claims: host name
// and process id, "host:pid".
func DefaultClaimant() string {
	h, err := os.Hostname()
	if err != nil {
		h = "unknown"
	}
	return fmt.Sprintf("%s:%d", h, os.Getpid())
}

// Queue is a [webhook.Queue] in PostgreSQL.
type Queue struct {
	pool *pgxpool.Pool
	cfg  config

	mu     sync.Mutex
	claims map[string]int // task ID -> attempt number of this replica's claim
	closed bool
}

var _ webhook.Queue = (*Queue)(nil)

// Open connects to the database at url (postgres://…) and creates the
// queue's tables if they do not exist.
func Open(ctx context.Context, url string, opts ...Option) (*Queue, error) {
	c := config{lease: 15 * time.Minute, retention: 72 * time.Hour, now: time.Now}
	for _, o := range opts {
		o(&c)
	}
	if c.claimant == "" {
		c.claimant = DefaultClaimant()
	}
	if c.lease <= 0 || c.retention <= 0 {
		return nil, errors.New("open postgres queue: lease and retention must be positive")
	}
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open postgres queue: %w", err)
	}
	// Every outbound call has a bound: a PostgreSQL that does not answer
	// must not hang a webhook acknowledgement or a worker.
	if pcfg.ConnConfig.ConnectTimeout == 0 {
		pcfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres queue: %w", err)
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(schemaLock)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, schema)
		return err
	})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres queue: create schema: %w", err)
	}
	return &Queue{pool: pool, cfg: c, claims: map[string]int{}}, nil
}

// Lease is how long a claim is held (see [WithLease]); the processor keeps
// its task timeout below it.
func (q *Queue) Lease() time.Duration { return q.cfg.lease }

// Pool is the queue's connection pool, for other users of the same
// database (e.g. the redelivery reconciler's leader lock).
func (q *Queue) Pool() *pgxpool.Pool { return q.pool }

// Close implements [webhook.Queue]. Tasks this replica has in flight stay
// claimed until their leases expire.
func (q *Queue) Close() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.closed {
		q.closed = true
		q.pool.Close()
	}
	return nil
}

func (q *Queue) open() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return webhook.ErrClosed
	}
	return nil
}

// Enqueue implements [webhook.Queue]. Coalescing follows the bbolt queue: a
// pending task with the same Kind and Key keeps its ID and place and takes
// the new payload and NotBefore; the new ID is remembered as seen.
func (q *Queue) Enqueue(ctx context.Context, t webhook.Task) (bool, error) {
	if err := webhook.ValidateTask(t); err != nil {
		return false, fmt.Errorf("enqueue: %w", err)
	}
	if err := q.open(); err != nil {
		return false, fmt.Errorf("enqueue %s: %w", t.ID, err)
	}
	now := q.cfg.now()
	notBefore := t.NotBefore
	if notBefore.IsZero() {
		notBefore = now
	}
	payload := t.Payload
	if payload == nil {
		payload = []byte{}
	}
	var dup bool
	err := retrySerial(ctx, func() error {
		return pgx.BeginFunc(ctx, q.pool, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `INSERT INTO contractbot_seen (id, seen_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`, t.ID, now)
			if err != nil {
				return err
			}
			if dup = tag.RowsAffected() == 0; dup {
				return nil
			}
			// The ID may still be live in the tasks table after its seen
			// row was pruned; it is a duplicate then too.
			var live bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM contractbot_tasks WHERE id = $1)`, t.ID).Scan(&live); err != nil {
				return err
			}
			if dup = live; dup {
				return nil
			}
			_, err = tx.Exec(ctx, `
				INSERT INTO contractbot_tasks (id, key, kind, payload, state, not_before, enqueued_at)
				VALUES ($1, $2, $3, $4, 'pending', $5, $6)
				ON CONFLICT (kind, key) WHERE state = 'pending'
				DO UPDATE SET payload = EXCLUDED.payload, not_before = EXCLUDED.not_before,
				              attempts = 0, last_error = ''`,
				t.ID, t.Key, t.Kind, payload, notBefore, now)
			return err
		})
	})
	if err != nil {
		return false, fmt.Errorf("enqueue %s: %w", t.ID, err)
	}
	return dup, nil
}

// Claim implements [webhook.Queue].
func (q *Queue) Claim(ctx context.Context, n int) ([]webhook.Task, error) {
	if n <= 0 {
		return nil, nil
	}
	if err := q.open(); err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	var out []webhook.Task
	err := retrySerial(ctx, func() error {
		out = out[:0]
		return pgx.BeginFunc(ctx, q.pool, func(tx pgx.Tx) error {
			now := q.cfg.now()
			if err := q.expireLeases(ctx, tx, now); err != nil {
				return err
			}
			// Candidates: due, pending, key not in flight. More rows than n
			// are locked so that duplicates of one key can be skipped.
			rows, err := tx.Query(ctx, `
				SELECT seq, key FROM contractbot_tasks t
				WHERE state = 'pending' AND not_before <= $1
				  AND NOT EXISTS (SELECT 1 FROM contractbot_tasks i WHERE i.key = t.key AND i.state = 'inflight')
				ORDER BY seq
				LIMIT $2
				FOR UPDATE SKIP LOCKED`, now, n*4)
			if err != nil {
				return err
			}
			var seqs []int64
			keys := map[string]bool{}
			for rows.Next() {
				var seq int64
				var key string
				if err := rows.Scan(&seq, &key); err != nil {
					rows.Close()
					return err
				}
				if !keys[key] && len(seqs) < n {
					keys[key] = true
					seqs = append(seqs, seq)
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			if len(seqs) == 0 {
				return nil
			}
			// The in-flight key index makes a concurrent claim of the same
			// key by another replica fail here; retrySerial runs the claim
			// again and it then skips that key.
			rows, err = tx.Query(ctx, `
				UPDATE contractbot_tasks SET state = 'inflight', attempts = attempts + 1, lease_until = $2, claimed_by = $3
				WHERE seq = ANY($1)
				RETURNING id, key, kind, payload, attempts, not_before, enqueued_at, last_error, seq`,
				seqs, now.Add(q.cfg.lease), q.cfg.claimant)
			if err != nil {
				return err
			}
			var order []int64
			for rows.Next() {
				var t webhook.Task
				var seq int64
				if err := rows.Scan(&t.ID, &t.Key, &t.Kind, &t.Payload, &t.Attempts, &t.NotBefore, &t.EnqueuedAt, &t.LastError, &seq); err != nil {
					rows.Close()
					return err
				}
				out = append(out, t)
				order = append(order, seq)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			sortBySeq(out, order)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	q.mu.Lock()
	for _, t := range out {
		q.claims[t.ID] = t.Attempts
	}
	q.mu.Unlock()
	return out, nil
}

// expireLeases returns tasks whose lease ran out to pending, or drops one
// when a newer pending task with its kind and key is waiting (it would do the
// same work on newer data).
func (q *Queue) expireLeases(ctx context.Context, tx pgx.Tx, now time.Time) error {
	if _, err := tx.Exec(ctx, `
		DELETE FROM contractbot_tasks e
		WHERE e.state = 'inflight' AND e.lease_until < $1
		  AND EXISTS (SELECT 1 FROM contractbot_tasks p WHERE p.state = 'pending' AND p.kind = e.kind AND p.key = e.key)`, now); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `
		UPDATE contractbot_tasks SET state = 'pending', lease_until = NULL
		WHERE state = 'inflight' AND lease_until < $1`, now)
	return err
}

// finish runs fn on this replica's claim of id, in a transaction, with the
// row locked; fn gets the attempt number that identifies the claim.
func (q *Queue) finish(ctx context.Context, op, id string, fn func(tx pgx.Tx, attempts int) error) error {
	if err := q.open(); err != nil {
		return fmt.Errorf("%s %s: %w", op, id, err)
	}
	q.mu.Lock()
	attempts, ok := q.claims[id]
	q.mu.Unlock()
	if !ok {
		return fmt.Errorf("%s %s: %w", op, id, webhook.ErrNotInFlight)
	}
	err := retrySerial(ctx, func() error {
		return pgx.BeginFunc(ctx, q.pool, func(tx pgx.Tx) error {
			var state string
			err := tx.QueryRow(ctx, `SELECT state FROM contractbot_tasks WHERE id = $1 AND attempts = $2 FOR UPDATE`, id, attempts).Scan(&state)
			if errors.Is(err, pgx.ErrNoRows) || (err == nil && state != "inflight") {
				return webhook.ErrNotInFlight
			}
			if err != nil {
				return err
			}
			return fn(tx, attempts)
		})
	})
	q.mu.Lock()
	delete(q.claims, id)
	q.mu.Unlock()
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, id, err)
	}
	return nil
}

// Complete implements [webhook.Queue].
func (q *Queue) Complete(ctx context.Context, id string) error {
	return q.finish(ctx, "complete", id, func(tx pgx.Tx, _ int) error {
		_, err := tx.Exec(ctx, `DELETE FROM contractbot_tasks WHERE id = $1`, id)
		return err
	})
}

// Retry implements [webhook.Queue].
func (q *Queue) Retry(ctx context.Context, id string, at time.Time, cause error) error {
	return q.finish(ctx, "retry", id, func(tx pgx.Tx, _ int) error {
		tag, err := tx.Exec(ctx, `
			DELETE FROM contractbot_tasks e WHERE e.id = $1
			  AND EXISTS (SELECT 1 FROM contractbot_tasks p WHERE p.state = 'pending' AND p.kind = e.kind AND p.key = e.key)`, id)
		if err != nil || tag.RowsAffected() == 1 {
			return err // a newer pending task with this kind and key does the work
		}
		_, err = tx.Exec(ctx, `
			UPDATE contractbot_tasks SET state = 'pending', lease_until = NULL, not_before = $2, last_error = $3
			WHERE id = $1`, id, at, errString(cause))
		return err
	})
}

// DeadLetter implements [webhook.Queue].
func (q *Queue) DeadLetter(ctx context.Context, id string, cause error) error {
	return q.finish(ctx, "dead-letter", id, func(tx pgx.Tx, _ int) error {
		_, err := tx.Exec(ctx, `
			UPDATE contractbot_tasks SET state = 'dead', lease_until = NULL, dead_at = $2, last_error = $3
			WHERE id = $1`, id, q.cfg.now(), errString(cause))
		return err
	})
}

// Stats implements [webhook.Queue].
func (q *Queue) Stats(ctx context.Context) (webhook.Stats, error) {
	if err := q.open(); err != nil {
		return webhook.Stats{}, fmt.Errorf("stats: %w", err)
	}
	var s webhook.Stats
	var oldest *time.Time
	err := q.pool.QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE state = 'pending'),
		       count(*) FILTER (WHERE state = 'inflight'),
		       count(*) FILTER (WHERE state = 'dead'),
		       min(enqueued_at) FILTER (WHERE state = 'pending')
		FROM contractbot_tasks`).Scan(&s.Pending, &s.InFlight, &s.Dead, &oldest)
	if err != nil {
		return webhook.Stats{}, fmt.Errorf("stats: %w", err)
	}
	if oldest != nil {
		s.OldestPending = max(q.cfg.now().Sub(*oldest), 0)
	}
	return s, nil
}

// Prune forgets enqueued IDs older than the retention that no longer belong
// to a live task, and reports how many it forgot. Run it periodically from
// one replica (it is safe, only wasteful, from several).
func (q *Queue) Prune(ctx context.Context) (int64, error) {
	tag, err := q.pool.Exec(ctx, `
		DELETE FROM contractbot_seen s WHERE s.seen_at < $1
		  AND NOT EXISTS (SELECT 1 FROM contractbot_tasks t WHERE t.id = s.id)`,
		q.cfg.now().Add(-q.cfg.retention))
	if err != nil {
		return 0, fmt.Errorf("prune: %w", err)
	}
	return tag.RowsAffected(), nil
}

// retrySerial runs fn again when it failed on a constraint that a
// concurrent replica's transaction caused (unique violation, serialisation
// failure, deadlock): those are races the constraints resolved, not errors.
func retrySerial(ctx context.Context, fn func() error) error {
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		if err = fn(); !retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt+1) * time.Millisecond):
		}
	}
	return err
}

func retryable(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "23505", "40001", "40P01": // unique_violation, serialization_failure, deadlock_detected
		return true
	}
	return false
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// sortBySeq orders claimed tasks by their enqueue sequence (RETURNING does
// not promise an order).
func sortBySeq(ts []webhook.Task, seqs []int64) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && seqs[j] < seqs[j-1]; j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
			seqs[j], seqs[j-1] = seqs[j-1], seqs[j]
		}
	}
}

// Seen reports whether a task with this ID was ever enqueued (within the
// dedupe retention): for a delivery, whether it reached the queue.
func (q *Queue) Seen(ctx context.Context, id string) (bool, error) {
	if err := q.open(); err != nil {
		return false, err
	}
	var seen bool
	err := q.pool.QueryRow(ctx, `
		SELECT EXISTS (SELECT 1 FROM contractbot_seen WHERE id = $1)
		    OR EXISTS (SELECT 1 FROM contractbot_tasks WHERE id = $1)`, id).Scan(&seen)
	if err != nil {
		return false, fmt.Errorf("seen %s: %w", id, err)
	}
	return seen, nil
}

// leaderLock is the advisory lock key of the redelivery reconciler.
const leaderLock = 0x7265646c69766572 // "redliver"

// TryLead takes the reconciler's leadership if no other replica holds it:
// a session-level advisory lock on one pooled connection, released by the
// returned function (or by PostgreSQL when the connection dies, so a killed
// leader never blocks the others).
func (q *Queue) TryLead(ctx context.Context) (release func(), ok bool, err error) {
	if err := q.open(); err != nil {
		return nil, false, err
	}
	conn, err := q.pool.Acquire(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("leader lock: %w", err)
	}
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, int64(leaderLock)).Scan(&ok); err != nil || !ok {
		conn.Release()
		if err != nil {
			return nil, false, fmt.Errorf("leader lock: %w", err)
		}
		return nil, false, nil
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, int64(leaderLock)); err != nil {
			// The connection is suspect; closing it drops the lock too.
			conn.Conn().Close(ctx)
		}
		conn.Release()
	}, true, nil
}

// DeadLetters lists up to limit dead-lettered tasks, oldest first, with
// their payloads and last errors.
func (q *Queue) DeadLetters(ctx context.Context, limit int) ([]webhook.Task, error) {
	if err := q.open(); err != nil {
		return nil, err
	}
	rows, err := q.pool.Query(ctx, `
		SELECT id, key, kind, payload, attempts, not_before, enqueued_at, last_error
		FROM contractbot_tasks WHERE state = 'dead' ORDER BY seq LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("list dead letters: %w", err)
	}
	defer rows.Close()
	var out []webhook.Task
	for rows.Next() {
		var t webhook.Task
		if err := rows.Scan(&t.ID, &t.Key, &t.Kind, &t.Payload, &t.Attempts, &t.NotBefore, &t.EnqueuedAt, &t.LastError); err != nil {
			return nil, fmt.Errorf("list dead letters: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list dead letters: %w", err)
	}
	return out, nil
}

// Requeue moves a dead-lettered task back to pending with its attempts
// reset, for an operator who fixed the cause. When newer work with the same
// kind and key is already pending, the dead task is dropped instead: that
// work supersedes it.
func (q *Queue) Requeue(ctx context.Context, id string) error {
	if err := q.open(); err != nil {
		return err
	}
	err := retrySerial(ctx, func() error {
		return pgx.BeginFunc(ctx, q.pool, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `
				DELETE FROM contractbot_tasks d WHERE d.id = $1 AND d.state = 'dead'
				  AND EXISTS (SELECT 1 FROM contractbot_tasks p WHERE p.state = 'pending' AND p.kind = d.kind AND p.key = d.key)`, id)
			if err != nil || tag.RowsAffected() == 1 {
				return err
			}
			tag, err = tx.Exec(ctx, `
				UPDATE contractbot_tasks SET state = 'pending', attempts = 0, not_before = $2, dead_at = NULL
				WHERE id = $1 AND state = 'dead'`, id, q.cfg.now())
			if err == nil && tag.RowsAffected() == 0 {
				err = webhook.ErrNotDead
			}
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("requeue %s: %w", id, err)
	}
	return nil
}

// Discard deletes a dead-lettered task for good; its ID stays remembered
// for the dedupe retention.
func (q *Queue) Discard(ctx context.Context, id string) error {
	if err := q.open(); err != nil {
		return err
	}
	tag, err := q.pool.Exec(ctx, `DELETE FROM contractbot_tasks WHERE id = $1 AND state = 'dead'`, id)
	if err == nil && tag.RowsAffected() == 0 {
		err = webhook.ErrNotDead
	}
	if err != nil {
		return fmt.Errorf("discard %s: %w", id, err)
	}
	return nil
}

// RedeliveryWatermark returns the redelivery reconciler's watermark, shared
// by the replicas: whichever leads next reads GitHub's delivery log back to
// where the last completed pass left off.
func (q *Queue) RedeliveryWatermark(ctx context.Context) (time.Time, bool, error) {
	if err := q.open(); err != nil {
		return time.Time{}, false, fmt.Errorf("redelivery watermark: %w", err)
	}
	var at time.Time
	err := q.pool.QueryRow(ctx, `SELECT at FROM contractbot_state WHERE name = 'redelivery_watermark'`).Scan(&at)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("redelivery watermark: %w", err)
	}
	return at.UTC(), true, nil
}

// SetRedeliveryWatermark stores the redelivery reconciler's watermark.
func (q *Queue) SetRedeliveryWatermark(ctx context.Context, at time.Time) error {
	if err := q.open(); err != nil {
		return fmt.Errorf("store redelivery watermark: %w", err)
	}
	_, err := q.pool.Exec(ctx, `INSERT INTO contractbot_state (name, at) VALUES ('redelivery_watermark', $1)
		ON CONFLICT (name) DO UPDATE SET at = EXCLUDED.at`, at)
	if err != nil {
		return fmt.Errorf("store redelivery watermark: %w", err)
	}
	return nil
}

// InFlightBy counts the tasks in flight under claimant's claims, lease
// expired or not: the work a replica had when it died stays in flight until
// another replica takes it over.
func (q *Queue) InFlightBy(ctx context.Context, claimant string) (int, error) {
	var n int
	err := q.pool.QueryRow(ctx, `SELECT count(*) FROM contractbot_tasks WHERE state = 'inflight' AND claimed_by = $1`, claimant).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("tasks in flight of %s: %w", claimant, err)
	}
	return n, nil
}
