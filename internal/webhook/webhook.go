// Package webhook receives GitHub webhook deliveries, stores them durably and
// runs queued work with bounded, per-key serialised workers.
//
// The flow is: [Intake] (an http.Handler) verifies a delivery and enqueues it
// as a [Task] of kind [KindDelivery] on a [Queue] (e.g. [BoltQueue]) before it
// answers 202; a [Processor] claims tasks from the queue and hands them to a
// [Handler], retrying failures with backoff and dead-lettering tasks that keep
// failing.
package webhook

import (
	"context"
	"errors"
	"time"
)

// KindDelivery is the [Task.Kind] of the task the [Intake] enqueues for every
// delivery. Its payload is produced by [Delivery.Task] and read back by
// [DecodeDelivery].
const KindDelivery = "delivery"

// Delivery is one webhook delivery as GitHub sent it.
type Delivery struct {
	ID         string // X-GitHub-Delivery GUID
	Event      string // X-GitHub-Event
	Payload    []byte // raw body, exactly the bytes that were signed
	ReceivedAt time.Time
}

// Task is a unit of queued work.
//
// The intake enqueues one Task per delivery (Kind [KindDelivery], ID = the
// delivery GUID, Key = "delivery/<GUID>"). Handlers may enqueue more Tasks, for
// example Kind "check" with Key "owner/repo@sha".
type Task struct {
	// ID is unique. A Task whose ID was enqueued before (even if it is done,
	// within the queue's dedupe retention) is dropped: that is how a
	// redelivered webhook is processed once.
	ID string
	// Key serialises work: tasks with the same Key never run concurrently.
	// Pending (not yet claimed) tasks with the same Key and Kind are coalesced:
	// the older task keeps its ID and its place in line and takes the newer
	// task's Payload and NotBefore (its Attempts start again); the newer ID is
	// remembered, so enqueuing either ID again is a duplicate.
	Key string
	// Kind says which handler code interprets Payload.
	Kind    string
	Payload []byte
	// Attempts is set by the queue: the number of times the task was claimed,
	// including the current claim (1 on the first run).
	Attempts int
	// NotBefore delays the task: it is not claimed before this time. The zero
	// value means "now".
	NotBefore time.Time
	// EnqueuedAt is set by the queue when the task is first stored; a
	// coalesced task keeps the time of the task it replaced into.
	EnqueuedAt time.Time
	// LastError is set by the queue: the cause given to the last
	// [Queue.Retry] or [Queue.DeadLetter].
	LastError string
}

// Stats is a snapshot of a queue's size.
type Stats struct {
	Pending  int // waiting to be claimed, including tasks delayed by NotBefore
	InFlight int // claimed and not yet completed, retried or dead-lettered
	Dead     int // dead-lettered
	// OldestPending is the age of the oldest pending task (by EnqueuedAt),
	// zero when nothing is pending.
	OldestPending time.Duration
}

// Enqueuer stores tasks. Handlers receive one to enqueue follow-up work.
type Enqueuer interface {
	// Enqueue stores t durably (fsync'd) before returning. duplicate reports
	// that t.ID was seen before, in which case nothing was stored.
	Enqueue(ctx context.Context, t Task) (duplicate bool, err error)
}

// Queue is a durable task queue with dedupe by ID, per-Key serialisation,
// coalescing of pending work and leases on claimed tasks.
//
// Implementations must pass the conformance suite in package
// webhook/queuetest. [BoltQueue] is the embedded single-process
// implementation.
type Queue interface {
	Enqueuer
	// Claim returns up to n runnable tasks (NotBefore reached), marking them
	// in flight under a lease. Tasks that were never delayed come in enqueue
	// order; where delayed tasks that became due fit in is up to the
	// implementation ([BoltQueue] puts them after undelayed ones, by due
	// time). It never returns two tasks with the same Key, nor a task whose
	// Key is already in flight. A task whose lease expired (its worker died)
	// is runnable again.
	Claim(ctx context.Context, n int) ([]Task, error)
	// Complete marks an in-flight task done for good.
	Complete(ctx context.Context, id string) error
	// Retry returns an in-flight task to pending, runnable from at, and
	// records cause.
	Retry(ctx context.Context, id string, at time.Time, cause error) error
	// DeadLetter parks an in-flight task for good, recording cause.
	DeadLetter(ctx context.Context, id string, cause error) error
	// Stats counts pending, in-flight and dead tasks.
	Stats(ctx context.Context) (Stats, error)
	// Close releases the queue. In-flight tasks stay claimed until their
	// lease expires or the queue is reopened.
	Close() error
}

// Notifier is optionally implemented by a [Queue] that can tell a
// [Processor] that new work may be runnable, so the processor does not wait
// for its next poll.
type Notifier interface {
	// Ready returns a channel that receives a value after an Enqueue or Retry.
	Ready() <-chan struct{}
}

// Handler processes one task. Returning an error retries the task with
// backoff; after the processor's maximum attempts it is dead-lettered. q
// enqueues follow-up tasks.
type Handler interface {
	Handle(ctx context.Context, t Task, q Enqueuer) error
}

// HandlerFunc adapts a function to a [Handler].
type HandlerFunc func(ctx context.Context, t Task, q Enqueuer) error

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, t Task, q Enqueuer) error { return f(ctx, t, q) }

var (
	// ErrClosed is returned by a queue that was closed.
	ErrClosed = errors.New("webhook queue closed")
	// ErrNotInFlight is returned by Complete, Retry and DeadLetter for a task
	// that is not currently claimed (unknown, already finished, or its lease
	// was lost).
	ErrNotInFlight = errors.New("task not in flight")
	// ErrInvalidTask is returned by Enqueue for a task without ID, Key or
	// Kind, or with one longer than its limit ([MaxTaskIDLen] and others).
	ErrInvalidTask = errors.New("invalid task")
)

// Permanent wraps err so that a [Processor] dead-letters the task at once
// instead of retrying it (e.g. a payload that can never be parsed).
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return "permanent: " + e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// IsPermanent reports whether err was marked with [Permanent].
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// Limits on a task's identifiers, so that every store can index them (bbolt
// refuses keys over 32 KiB; databases cap index entries too). Delivery GUIDs
// and "owner/repo@sha" keys are far shorter.
const (
	MaxTaskIDLen   = 512
	MaxTaskKeyLen  = 1024
	MaxTaskKindLen = 128
)

// ValidateTask reports whether t may be enqueued: ID, Key and Kind set and
// within their limits. Queue implementations call it first in Enqueue and
// wrap its [ErrInvalidTask].
func ValidateTask(t Task) error {
	switch {
	case t.ID == "":
		return errorf(ErrInvalidTask, "empty ID")
	case t.Key == "":
		return errorf(ErrInvalidTask, "task %s: empty Key", t.ID)
	case t.Kind == "":
		return errorf(ErrInvalidTask, "task %s: empty Kind", t.ID)
	case len(t.ID) > MaxTaskIDLen:
		return errorf(ErrInvalidTask, "ID longer than %d bytes", MaxTaskIDLen)
	case len(t.Key) > MaxTaskKeyLen:
		return errorf(ErrInvalidTask, "task %s: Key longer than %d bytes", t.ID, MaxTaskKeyLen)
	case len(t.Kind) > MaxTaskKindLen:
		return errorf(ErrInvalidTask, "task %s: Kind longer than %d bytes", t.ID, MaxTaskKindLen)
	}
	return nil
}

// RetryLater wraps err so that a [Processor] retries the task no earlier
// than at, e.g. when GitHub's rate limit resets, instead of after its usual
// backoff (which would spend attempts on a limit that has not reset yet).
func RetryLater(err error, at time.Time) error {
	if err == nil {
		return nil
	}
	return &retryLaterError{err: err, at: at}
}

type retryLaterError struct {
	err error
	at  time.Time
}

func (e *retryLaterError) Error() string { return e.err.Error() }
func (e *retryLaterError) Unwrap() error { return e.err }

// DeadLetterAdmin is implemented by queues whose dead letters an operator
// can list, send back to work, or drop (`contractbot dead-letters`).
type DeadLetterAdmin interface {
	// DeadLetters lists up to limit dead-lettered tasks, oldest first.
	DeadLetters(ctx context.Context, limit int) ([]Task, error)
	// Requeue makes a dead-lettered task pending again, attempts reset.
	Requeue(ctx context.Context, id string) error
	// Discard deletes a dead-lettered task for good.
	Discard(ctx context.Context, id string) error
}
