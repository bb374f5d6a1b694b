package webhook

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	bolt "go.etcd.io/bbolt"
)

// Buckets of the bbolt file. Tasks are keyed by an 8-byte big-endian
// sequence number, so cursor order is enqueue order.
var (
	bktPending  = []byte("pending")   // seq -> record
	bktDue      = []byte("due")       // due time (8 bytes) + seq -> nothing: pending tasks in the order they may run
	bktInFlight = []byte("inflight")  // seq -> record (with LeaseUntil)
	bktDead     = []byte("dead")      // seq -> record (with DeadAt)
	bktPayload  = []byte("payload")   // seq -> payload bytes (kept apart so scans decode small records)
	bktIDs      = []byte("ids")       // task ID -> seq, for every live (pending, in-flight, dead) task
	bktCoalesce = []byte("coalesce")  // kind NUL key -> seq of the pending task with that Kind and Key
	bktSeen     = []byte("seen")      // task ID -> unix nanos when first enqueued (dedupe memory)
	bktSeenTime = []byte("seen_time") // unix nanos (8 bytes) + ID -> nothing, to prune seen in time order
	bktMeta     = []byte("meta")      // name -> value: the redelivery reconciler's watermark
	allBuckets  = [][]byte{bktPending, bktDue, bktInFlight, bktDead, bktPayload, bktIDs, bktCoalesce, bktSeen, bktSeenTime, bktMeta, bktState}

	keyWatermark = []byte("redelivery_watermark") // unix nanos, 8 bytes big-endian
)

// maxCommitBatch bounds how many operations share one transaction.
const maxCommitBatch = 256

// pruneChunk bounds the dedupe records deleted per transaction, so pruning
// never holds the write lock long enough to delay an acknowledgement much.
const pruneChunk = 1000

// record is a stored task without its payload.
type record struct {
	ID         string    `json:"id"`
	Key        string    `json:"key"`
	Kind       string    `json:"kind"`
	Attempts   int       `json:"attempts,omitempty"`
	NotBefore  time.Time `json:"not_before,omitzero"`
	EnqueuedAt time.Time `json:"enqueued_at"`
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	DeadAt     time.Time `json:"dead_at,omitzero"`
	LastError  string    `json:"last_error,omitempty"`
}

func (r *record) task(payload []byte) Task {
	return Task{
		ID: r.ID, Key: r.Key, Kind: r.Kind, Payload: payload, Attempts: r.Attempts,
		NotBefore: r.NotBefore, EnqueuedAt: r.EnqueuedAt, LastError: r.LastError,
	}
}

type boltConfig struct {
	log         zerolog.Logger
	reg         prometheus.Registerer
	now         func() time.Time
	lease       time.Duration
	retention   time.Duration
	pruneEvery  time.Duration
	openTimeout time.Duration
}

// BoltQueue is a [Queue] in one bbolt file, for a single process (bbolt locks
// the file). Every write is committed and fsync'd before the call returns.
// Concurrent writes are group-committed: whatever arrives while one commit
// is being fsync'd goes into the next transaction, so a burst of deliveries
// costs one fsync per batch, not per delivery, and nobody waits for a timer.
//
// Coalescing: when Enqueue finds a pending task with the same Kind and Key,
// the pending task keeps its ID, its place in line and its EnqueuedAt; it
// takes the new task's Payload and NotBefore, and its Attempts and LastError
// are reset (it is new work). The new task's ID is remembered like any other
// enqueued ID, so a repeated Enqueue of either ID is reported as a duplicate.
// A task returned to pending (Retry, or an expired lease) while a newer task
// with the same Kind and Key is pending is dropped in favour of the newer
// one.
type BoltQueue struct {
	db  *bolt.DB
	cfg boltConfig
	m   *boltMetrics

	ops   chan *op
	ready chan struct{}
	quit  chan struct{}
	wg    sync.WaitGroup

	closeOnce sync.Once
	closeErr  error
}

var _ Queue = (*BoltQueue)(nil)
var _ Notifier = (*BoltQueue)(nil)

// op is one write waiting for the committer.
type op struct {
	fn   func(tx *bolt.Tx) error
	done chan error
}

// logicalError marks an op failure that wrote nothing and must not abort the
// other ops of its batch (e.g. [ErrNotInFlight]).
type logicalError struct{ err error }

func (e logicalError) Error() string { return e.err.Error() }
func (e logicalError) Unwrap() error { return e.err }

// OpenBolt opens (creating if needed) the queue file at path. Tasks that a
// previous process left in flight become pending again: bbolt's file lock
// means that process is gone.
//
// An existing file is checked first, without bbolt ([CheckBolt]): one that
// is empty, truncated or has a page that does not read is refused with an
// error wrapping [ErrDamaged] that names the file and the cause, never
// opened as an empty queue, and never a crash. [SalvageBolt] copies what
// can still be read into a new file.
func OpenBolt(path string, opts ...BoltOption) (*BoltQueue, error) {
	c := boltConfig{
		log: zerolog.Nop(), now: time.Now,
		lease: 15 * time.Minute, retention: 72 * time.Hour, pruneEvery: 10 * time.Minute,
		openTimeout: 5 * time.Second,
	}
	for _, o := range opts {
		o.applyBolt(&c)
	}
	if c.lease <= 0 || c.retention <= 0 || c.pruneEvery <= 0 {
		return nil, errors.New("open webhook queue: lease, retention and prune interval must be positive")
	}
	// An existing file is read and checked before bbolt maps it: bbolt
	// faults (SIGBUS) on a file truncated inside its data and panics,
	// where no recover reaches, on a garbled page; and it would start an
	// empty file as a new queue, dropping every task the file held.
	if _, err := os.Lstat(path); err == nil {
		if _, err := checkBolt(path, c.openTimeout); err != nil {
			return nil, fmt.Errorf("open webhook queue %s: %w", path, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open webhook queue %s: %w", path, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:      c.openTimeout,
		FreelistType: bolt.FreelistMapType,
		// Map 1 GiB of address space up front: growing the map makes bbolt
		// remap, which blocks every transaction and showed up as rare
		// acknowledgement stalls. It is address space, not memory.
		InitialMmapSize: 1 << 30,
		// The freelist is rebuilt at open instead of written at every
		// commit: fewer pages per fsync on the acknowledgement path.
		NoFreelistSync: true,
	})
	if err != nil {
		return nil, fmt.Errorf("open webhook queue %s: %w", path, err)
	}
	q := &BoltQueue{
		db: db, cfg: c, m: newBoltMetrics(c.reg),
		ops: make(chan *op), ready: make(chan struct{}, 1), quit: make(chan struct{}),
	}
	var resumed int
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		if err := rebuildDue(tx); err != nil {
			return err
		}
		var seqs [][]byte
		if err := tx.Bucket(bktInFlight).ForEach(func(k, _ []byte) error {
			seqs = append(seqs, append([]byte(nil), k...))
			return nil
		}); err != nil {
			return err
		}
		for _, seq := range seqs {
			r, err := getRecord(tx.Bucket(bktInFlight), seq)
			if err != nil {
				return err
			}
			r.LeaseUntil = time.Time{}
			if err := returnToPending(tx, seq, r, bktInFlight); err != nil {
				return err
			}
		}
		resumed = len(seqs)
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open webhook queue %s: %w", path, err)
	}
	if resumed > 0 {
		c.log.Info().Int("tasks", resumed).Msg("webhook queue: tasks left in flight by a previous process are pending again")
	}
	q.prune()
	q.wg.Add(2)
	go q.commitLoop()
	go q.pruneLoop()
	return q, nil
}

// Lease returns how long a claimed task stays in flight before it is
// runnable again. A [Processor] warns when its task timeout plus drain
// timeout exceed it.
func (q *BoltQueue) Lease() time.Duration { return q.cfg.lease }

// Ready implements [Notifier].
func (q *BoltQueue) Ready() <-chan struct{} { return q.ready }

func (q *BoltQueue) notify() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// Close stops the committer (pending calls fail with [ErrClosed]) and closes
// the file.
func (q *BoltQueue) Close() error {
	q.closeOnce.Do(func() {
		close(q.quit)
		q.wg.Wait()
		q.closeErr = q.db.Close()
	})
	return q.closeErr
}

// write runs fn in a committed, fsync'd transaction shared with other
// concurrent writes.
func (q *BoltQueue) write(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	o := &op{fn: fn, done: make(chan error, 1)}
	select {
	case q.ops <- o:
	case <-q.quit:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-o.done:
		return err
	case <-ctx.Done():
		// The op may still commit; callers treat this as "unknown", and
		// dedupe by ID makes a retry safe.
		return ctx.Err()
	}
}

func (q *BoltQueue) commitLoop() {
	defer q.wg.Done()
	for {
		var first *op
		select {
		case first = <-q.ops:
		case <-q.quit:
			return
		}
		batch := []*op{first}
	fill:
		for len(batch) < maxCommitBatch {
			select {
			case o := <-q.ops:
				batch = append(batch, o)
			default:
				break fill
			}
		}
		q.commit(batch)
		q.m.batch.Observe(float64(len(batch)))
	}
}

// commit runs a batch in one transaction. If the transaction fails, each op
// is retried alone so one bad op cannot fail its neighbours (as bbolt's
// DB.Batch does).
func (q *BoltQueue) commit(batch []*op) {
	results := make([]error, len(batch))
	err := q.db.Update(func(tx *bolt.Tx) error {
		for i, o := range batch {
			err := o.fn(tx)
			var le logicalError
			if err != nil && !errors.As(err, &le) {
				return err
			}
			results[i] = err
		}
		return nil
	})
	if err != nil && len(batch) > 1 {
		for _, o := range batch {
			q.commit([]*op{o})
		}
		return
	}
	for i, o := range batch {
		if err != nil {
			o.done <- err
			continue
		}
		var le logicalError
		if errors.As(results[i], &le) {
			o.done <- le.err
			continue
		}
		o.done <- results[i]
	}
	q.notify()
}

// Enqueue implements [Queue]. See [BoltQueue] for how coalescing works.
func (q *BoltQueue) Enqueue(ctx context.Context, t Task) (bool, error) {
	if err := ValidateTask(t); err != nil {
		return false, err
	}
	var dup bool
	err := q.write(ctx, func(tx *bolt.Tx) error {
		dup = false // the op may run twice (batch, then alone)
		id := []byte(t.ID)
		if tx.Bucket(bktSeen).Get(id) != nil || tx.Bucket(bktIDs).Get(id) != nil {
			dup = true
			return nil
		}
		now := q.cfg.now()
		if err := remember(tx, id, now); err != nil {
			return err
		}
		ck := coalesceKey(t.Kind, t.Key)
		if seq := tx.Bucket(bktCoalesce).Get(ck); seq != nil {
			seq = append([]byte(nil), seq...)
			r, err := getRecord(tx.Bucket(bktPending), seq)
			if err != nil {
				return err
			}
			if err := tx.Bucket(bktDue).Delete(dueKey(r, seq)); err != nil {
				return err
			}
			r.NotBefore, r.Attempts, r.LastError = t.NotBefore, 0, ""
			if err := putPending(tx, seq, r); err != nil {
				return err
			}
			return tx.Bucket(bktPayload).Put(seq, t.Payload)
		}
		n, err := tx.Bucket(bktPending).NextSequence()
		if err != nil {
			return err
		}
		seq := seqKey(n)
		r := &record{ID: t.ID, Key: t.Key, Kind: t.Kind, NotBefore: t.NotBefore, EnqueuedAt: now}
		if err := putPending(tx, seq, r); err != nil {
			return err
		}
		if err := tx.Bucket(bktPayload).Put(seq, t.Payload); err != nil {
			return err
		}
		if err := tx.Bucket(bktIDs).Put(id, seq); err != nil {
			return err
		}
		return tx.Bucket(bktCoalesce).Put(ck, seq)
	})
	if err != nil {
		return false, fmt.Errorf("enqueue %s: %w", t.ID, err)
	}
	return dup, nil
}

// Claim implements [Queue]. It first looks in a read-only transaction, so a
// claim that finds nothing runnable (the common idle poll) costs no commit
// and no fsync, and does not compete with enqueues for the write lock.
func (q *BoltQueue) Claim(ctx context.Context, n int) ([]Task, error) {
	if n <= 0 {
		return nil, nil
	}
	select {
	case <-q.quit:
		return nil, fmt.Errorf("claim: %w", ErrClosed)
	default:
	}
	var work bool
	err := q.db.View(func(tx *bolt.Tx) error {
		expired, claimed, _, err := scanClaimable(tx, q.cfg.now(), n)
		work = len(expired)+len(claimed) > 0
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	if !work {
		return nil, nil
	}
	var out []Task
	err = q.write(ctx, func(tx *bolt.Tx) error {
		out = out[:0]
		now := q.cfg.now()
		expired, _, _, err := scanClaimable(tx, now, n)
		if err != nil {
			return err
		}
		inflight := tx.Bucket(bktInFlight)
		for _, seq := range expired {
			r, err := getRecord(inflight, seq)
			if err != nil {
				return err
			}
			q.cfg.log.Warn().Str("task_id", r.ID).Str("task_key", r.Key).Msg("webhook queue: lease expired, task is pending again")
			r.LeaseUntil = time.Time{}
			if err := returnToPending(tx, seq, r, bktInFlight); err != nil {
				return err
			}
		}
		// Rescan: returning expired tasks changed what is pending.
		_, claimed, recs, err := scanClaimable(tx, now, n)
		if err != nil {
			return err
		}
		pending := tx.Bucket(bktPending)
		for i, seq := range claimed {
			r := recs[i]
			r.Attempts++
			r.LeaseUntil = now.Add(q.cfg.lease)
			if err := pending.Delete(seq); err != nil {
				return err
			}
			if err := tx.Bucket(bktDue).Delete(dueKey(r, seq)); err != nil {
				return err
			}
			if err := tx.Bucket(bktCoalesce).Delete(coalesceKey(r.Kind, r.Key)); err != nil {
				return err
			}
			if err := putRecord(inflight, seq, r); err != nil {
				return err
			}
			payload := append([]byte(nil), tx.Bucket(bktPayload).Get(seq)...)
			out = append(out, r.task(payload))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	return out, nil
}

// scanClaimable finds in-flight tasks whose lease expired, and up to n
// pending tasks that may be claimed now: due, in enqueue order, at most one
// per Key, none whose Key has a live lease. Keys of expired tasks count as
// free; a task returned by an expired lease is found on the next scan.
func scanClaimable(tx *bolt.Tx, now time.Time, n int) (expired, claimed [][]byte, recs []*record, err error) {
	busy := map[string]bool{}
	err = tx.Bucket(bktInFlight).ForEach(func(k, v []byte) error {
		var r record
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("decode task %x: %w", k, err)
		}
		if now.Before(r.LeaseUntil) {
			busy[r.Key] = true
		} else {
			expired = append(expired, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil {
		return nil, nil, nil, err
	}
	// Walk pending tasks in due order and stop at the first one not due:
	// tasks waiting for a retry are never even decoded.
	pending := tx.Bucket(bktPending)
	c := tx.Bucket(bktDue).Cursor()
	for k, _ := c.First(); k != nil && len(claimed) < n; k, _ = c.Next() {
		if len(k) != 16 {
			return nil, nil, nil, fmt.Errorf("corrupt due index key %x", k)
		}
		if int64(binary.BigEndian.Uint64(k[:8])) > now.UnixNano() {
			break
		}
		seq := k[8:]
		v := pending.Get(seq)
		if v == nil {
			return nil, nil, nil, fmt.Errorf("due index names missing task %x", seq)
		}
		var r record
		if err := json.Unmarshal(v, &r); err != nil {
			return nil, nil, nil, fmt.Errorf("decode task %x: %w", seq, err)
		}
		if busy[r.Key] {
			continue
		}
		busy[r.Key] = true
		claimed = append(claimed, append([]byte(nil), seq...))
		recs = append(recs, &r)
	}
	return expired, claimed, recs, nil
}

// inFlight finds the in-flight record of id.
func inFlight(tx *bolt.Tx, id string) ([]byte, *record, error) {
	seq := tx.Bucket(bktIDs).Get([]byte(id))
	if seq == nil || tx.Bucket(bktInFlight).Get(seq) == nil {
		return nil, nil, logicalError{fmt.Errorf("%w: %s", ErrNotInFlight, id)}
	}
	seq = append([]byte(nil), seq...)
	r, err := getRecord(tx.Bucket(bktInFlight), seq)
	return seq, r, err
}

// Complete implements [Queue].
func (q *BoltQueue) Complete(ctx context.Context, id string) error {
	err := q.write(ctx, func(tx *bolt.Tx) error {
		seq, _, err := inFlight(tx, id)
		if err != nil {
			return err
		}
		return deleteTask(tx, seq, id, bktInFlight)
	})
	if err != nil {
		return fmt.Errorf("complete %s: %w", id, err)
	}
	return nil
}

// Retry implements [Queue].
func (q *BoltQueue) Retry(ctx context.Context, id string, at time.Time, cause error) error {
	err := q.write(ctx, func(tx *bolt.Tx) error {
		seq, r, err := inFlight(tx, id)
		if err != nil {
			return err
		}
		r.NotBefore, r.LeaseUntil, r.LastError = at, time.Time{}, errString(cause)
		return returnToPending(tx, seq, r, bktInFlight)
	})
	if err != nil {
		return fmt.Errorf("retry %s: %w", id, err)
	}
	return nil
}

// DeadLetter implements [Queue]. The task and its payload stay in the file
// until [BoltQueue.Requeue] or [BoltQueue.Discard].
func (q *BoltQueue) DeadLetter(ctx context.Context, id string, cause error) error {
	err := q.write(ctx, func(tx *bolt.Tx) error {
		seq, r, err := inFlight(tx, id)
		if err != nil {
			return err
		}
		r.LeaseUntil, r.DeadAt, r.LastError = time.Time{}, q.cfg.now(), errString(cause)
		if err := tx.Bucket(bktInFlight).Delete(seq); err != nil {
			return err
		}
		return putRecord(tx.Bucket(bktDead), seq, r)
	})
	if err != nil {
		return fmt.Errorf("dead-letter %s: %w", id, err)
	}
	return nil
}

// DeadLetters lists up to limit dead-lettered tasks, oldest first, with
// their payloads and last errors.
func (q *BoltQueue) DeadLetters(ctx context.Context, limit int) ([]Task, error) {
	var out []Task
	err := q.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bktDead).Cursor()
		for k, v := c.First(); k != nil && len(out) < limit; k, v = c.Next() {
			var r record
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode task %x: %w", k, err)
			}
			out = append(out, r.task(append([]byte(nil), tx.Bucket(bktPayload).Get(k)...)))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list dead letters: %w", err)
	}
	return out, nil
}

// ErrNotDead is returned by Requeue and Discard for a task that is not in the
// dead-letter list.
var ErrNotDead = errors.New("task not dead-lettered")

// Requeue moves a dead-lettered task back to pending with its attempts reset,
// for an operator who fixed the cause.
func (q *BoltQueue) Requeue(ctx context.Context, id string) error {
	err := q.write(ctx, func(tx *bolt.Tx) error {
		seq, r, err := dead(tx, id)
		if err != nil {
			return err
		}
		r.Attempts, r.DeadAt, r.NotBefore = 0, time.Time{}, time.Time{}
		return returnToPending(tx, seq, r, bktDead)
	})
	if err != nil {
		return fmt.Errorf("requeue %s: %w", id, err)
	}
	return nil
}

// Discard deletes a dead-lettered task for good. Its ID stays remembered for
// the dedupe retention.
func (q *BoltQueue) Discard(ctx context.Context, id string) error {
	err := q.write(ctx, func(tx *bolt.Tx) error {
		seq, _, err := dead(tx, id)
		if err != nil {
			return err
		}
		return deleteTask(tx, seq, id, bktDead)
	})
	if err != nil {
		return fmt.Errorf("discard %s: %w", id, err)
	}
	return nil
}

func dead(tx *bolt.Tx, id string) ([]byte, *record, error) {
	seq := tx.Bucket(bktIDs).Get([]byte(id))
	if seq == nil || tx.Bucket(bktDead).Get(seq) == nil {
		return nil, nil, logicalError{fmt.Errorf("%w: %s", ErrNotDead, id)}
	}
	seq = append([]byte(nil), seq...)
	r, err := getRecord(tx.Bucket(bktDead), seq)
	return seq, r, err
}

// Stats implements [Queue].
func (q *BoltQueue) Stats(ctx context.Context) (Stats, error) {
	var s Stats
	select {
	case <-q.quit:
		return s, ErrClosed
	default:
	}
	err := q.db.View(func(tx *bolt.Tx) error {
		s.Pending = tx.Bucket(bktPending).Stats().KeyN
		s.InFlight = tx.Bucket(bktInFlight).Stats().KeyN
		s.Dead = tx.Bucket(bktDead).Stats().KeyN
		// Sequence order is enqueue order, and EnqueuedAt never changes,
		// so the first pending record is the oldest.
		if k, v := tx.Bucket(bktPending).Cursor().First(); k != nil {
			var r record
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode task %x: %w", k, err)
			}
			if age := q.cfg.now().Sub(r.EnqueuedAt); age > 0 {
				s.OldestPending = age
			}
		}
		return nil
	})
	if err != nil {
		return Stats{}, fmt.Errorf("queue stats: %w", err)
	}
	return s, nil
}

// returnToPending moves the task at seq from bucket from back to pending.
// If another pending task with the same Kind and Key exists, that one is
// newer work and this one is dropped.
func returnToPending(tx *bolt.Tx, seq []byte, r *record, from []byte) error {
	ck := coalesceKey(r.Kind, r.Key)
	if other := tx.Bucket(bktCoalesce).Get(ck); other != nil {
		return deleteTask(tx, seq, r.ID, from)
	}
	if err := tx.Bucket(from).Delete(seq); err != nil {
		return err
	}
	if err := putPending(tx, seq, r); err != nil {
		return err
	}
	return tx.Bucket(bktCoalesce).Put(ck, seq)
}

// deleteTask removes a task that is finished for good. Its ID stays in the
// dedupe memory (bktSeen) until the retention passes.
func deleteTask(tx *bolt.Tx, seq []byte, id string, from []byte) error {
	if err := tx.Bucket(from).Delete(seq); err != nil {
		return err
	}
	if err := tx.Bucket(bktPayload).Delete(seq); err != nil {
		return err
	}
	return tx.Bucket(bktIDs).Delete([]byte(id))
}

func remember(tx *bolt.Tx, id []byte, now time.Time) error {
	ts := seqKey(uint64(now.UnixNano()))
	if err := tx.Bucket(bktSeen).Put(id, ts); err != nil {
		return err
	}
	return tx.Bucket(bktSeenTime).Put(append(ts, id...), nil)
}

func (q *BoltQueue) pruneLoop() {
	defer q.wg.Done()
	t := time.NewTicker(q.cfg.pruneEvery)
	defer t.Stop()
	for {
		select {
		case <-q.quit:
			return
		case <-t.C:
			q.prune()
		}
	}
}

// prune forgets IDs enqueued longer ago than the retention. IDs of tasks
// still queued stay deduped through bktIDs.
func (q *BoltQueue) prune() {
	cutoff := seqKey(uint64(q.cfg.now().Add(-q.cfg.retention).UnixNano()))
	for {
		select {
		case <-q.quit:
			return
		default:
		}
		n := 0
		err := q.db.Update(func(tx *bolt.Tx) error {
			n = 0
			seen, byTime := tx.Bucket(bktSeen), tx.Bucket(bktSeenTime)
			c := byTime.Cursor()
			for k, _ := c.First(); k != nil && n < pruneChunk && string(k[:8]) < string(cutoff); k, _ = c.Next() {
				id := k[8:]
				if v := seen.Get(id); v != nil && string(v) == string(k[:8]) {
					if err := seen.Delete(id); err != nil {
						return err
					}
				}
				if err := c.Delete(); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			q.cfg.log.Error().Err(err).Msg("webhook queue: pruning dedupe records failed")
			return
		}
		q.m.pruned.Add(float64(n))
		if n < pruneChunk {
			return
		}
	}
}

// due is when a pending task may run: its NotBefore if that is after its
// enqueue time, else zero ("now"). Undelayed tasks therefore run in
// sequence (enqueue) order, a coalesced task keeps its place, and a wall
// clock stepping backwards never holds back work that was not delayed.
// Tasks that become due after a delay queue behind undelayed ones, as
// retries do in most job queues.
func due(r *record) int64 {
	if r.NotBefore.After(r.EnqueuedAt) {
		return max(r.NotBefore.UnixNano(), 0)
	}
	return 0
}

// dueKey orders the due index by due time, then by sequence.
func dueKey(r *record, seq []byte) []byte {
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, uint64(due(r)))
	copy(k[8:], seq)
	return k
}

// putPending stores a pending record and indexes it by due time. A caller
// changing NotBefore or EnqueuedAt of a pending record deletes its old due
// key first.
func putPending(tx *bolt.Tx, seq []byte, r *record) error {
	if err := putRecord(tx.Bucket(bktPending), seq, r); err != nil {
		return err
	}
	return tx.Bucket(bktDue).Put(dueKey(r, seq), nil)
}

// rebuildDue recreates the due index from the pending records, so the index
// can never drift from them across versions or crashes.
func rebuildDue(tx *bolt.Tx) error {
	if err := tx.DeleteBucket(bktDue); err != nil {
		return err
	}
	b, err := tx.CreateBucket(bktDue)
	if err != nil {
		return err
	}
	return tx.Bucket(bktPending).ForEach(func(k, v []byte) error {
		var r record
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("decode task %x: %w", k, err)
		}
		return b.Put(dueKey(&r, k), nil)
	})
}

func getRecord(b *bolt.Bucket, seq []byte) (*record, error) {
	v := b.Get(seq)
	if v == nil {
		return nil, fmt.Errorf("task %x missing", seq)
	}
	var r record
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("decode task %x: %w", seq, err)
	}
	return &r, nil
}

func putRecord(b *bolt.Bucket, seq []byte, r *record) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return b.Put(seq, v)
}

func seqKey(n uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, n)
	return k
}

func coalesceKey(kind, key string) []byte {
	return []byte(kind + "\x00" + key)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Seen reports whether a task with this ID was enqueued within the dedupe
// retention: for a delivery GUID, whether the delivery reached the queue.
// The redelivery reconciler asks it of every delivery in GitHub's log.
func (q *BoltQueue) Seen(ctx context.Context, id string) (bool, error) {
	select {
	case <-q.quit:
		return false, fmt.Errorf("seen: %w", ErrClosed)
	default:
	}
	var seen bool
	err := q.db.View(func(tx *bolt.Tx) error {
		seen = tx.Bucket(bktSeen).Get([]byte(id)) != nil || tx.Bucket(bktIDs).Get([]byte(id)) != nil
		return nil
	})
	return seen, err
}

// RedeliveryWatermark returns the redelivery reconciler's watermark, kept
// in the queue file so that a restarted process reads GitHub's delivery log
// back to where its last completed pass left off.
func (q *BoltQueue) RedeliveryWatermark(ctx context.Context) (time.Time, bool, error) {
	select {
	case <-q.quit:
		return time.Time{}, false, fmt.Errorf("redelivery watermark: %w", ErrClosed)
	default:
	}
	var at time.Time
	var ok bool
	err := q.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bktMeta).Get(keyWatermark)
		if v == nil {
			return nil
		}
		if len(v) != 8 {
			return fmt.Errorf("redelivery watermark: %d bytes, want 8", len(v))
		}
		at, ok = time.Unix(0, int64(binary.BigEndian.Uint64(v))).UTC(), true
		return nil
	})
	return at, ok, err
}

// SetRedeliveryWatermark stores the redelivery reconciler's watermark.
func (q *BoltQueue) SetRedeliveryWatermark(ctx context.Context, at time.Time) error {
	v := seqKey(uint64(at.UnixNano()))
	err := q.write(ctx, func(tx *bolt.Tx) error { return tx.Bucket(bktMeta).Put(keyWatermark, v) })
	if err != nil {
		return fmt.Errorf("store redelivery watermark: %w", err)
	}
	return nil
}
