package webhook

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// IntakeOption configures [NewIntake].
type IntakeOption interface{ applyIntake(*intakeConfig) }

// ProcessorOption configures [NewProcessor].
type ProcessorOption interface{ applyProcessor(*processorConfig) }

// BoltOption configures [OpenBolt].
type BoltOption interface{ applyBolt(*boltConfig) }

// SharedOption is accepted by [NewIntake], [NewProcessor] and [OpenBolt], so
// main can build it once and pass it to all three.
type SharedOption interface {
	IntakeOption
	ProcessorOption
	BoltOption
}

type sharedOption struct {
	intake    func(*intakeConfig)
	processor func(*processorConfig)
	bolt      func(*boltConfig)
}

func (o sharedOption) applyIntake(c *intakeConfig)       { o.intake(c) }
func (o sharedOption) applyProcessor(c *processorConfig) { o.processor(c) }
func (o sharedOption) applyBolt(c *boltConfig)           { o.bolt(c) }

// WithLogger sets the logger (default: disabled). Log lines carry
// go-githubapp's field names, github_delivery_id and github_event_type.
func WithLogger(l zerolog.Logger) SharedOption {
	return sharedOption{
		intake:    func(c *intakeConfig) { c.log = l },
		processor: func(c *processorConfig) { c.log = l },
		bolt:      func(c *boltConfig) { c.log = l },
	}
}

// WithMetrics registers the component's Prometheus collectors with r
// (default: none registered). Passing the same Registerer to several
// components is fine: collectors already registered are shared.
func WithMetrics(r prometheus.Registerer) SharedOption {
	return sharedOption{
		intake:    func(c *intakeConfig) { c.reg = r },
		processor: func(c *processorConfig) { c.reg = r },
		bolt:      func(c *boltConfig) { c.reg = r },
	}
}

// WithClock replaces time.Now, for tests. The processor still waits on real
// timers between polls; only the times it computes and stores come from now.
func WithClock(now func() time.Time) SharedOption {
	return sharedOption{
		intake:    func(c *intakeConfig) { c.now = now },
		processor: func(c *processorConfig) { c.now = now },
		bolt:      func(c *boltConfig) { c.now = now },
	}
}

type intakeOption func(*intakeConfig)

func (o intakeOption) applyIntake(c *intakeConfig) { o(c) }

// WithMaxBodyBytes caps request bodies (default [DefaultMaxBodyBytes], GitHub's
// 25 MiB limit). Larger bodies are answered 413.
func WithMaxBodyBytes(n int64) IntakeOption {
	return intakeOption(func(c *intakeConfig) { c.maxBody = n })
}

// WithMaxInFlightBytes bounds the body bytes all requests together may be
// holding while they are received (default [DefaultMaxInFlightBytes]); a
// request that would exceed it is answered 503 with Retry-After. Bytes are
// charged as they arrive, never for what Content-Length announces: a
// request holds its first 64 KiB (or less, as announced) and then what it
// actually sent, and what requests hold beyond their first 64 KiB may use
// all but an eighth of the budget, which stays for small deliveries.
func WithMaxInFlightBytes(n int64) IntakeOption {
	return intakeOption(func(c *intakeConfig) { c.maxInFlight = n })
}

type processorOption func(*processorConfig)

func (o processorOption) applyProcessor(c *processorConfig) { o(c) }

// WithWorkers bounds how many tasks run at once (default 4).
func WithWorkers(n int) ProcessorOption {
	return processorOption(func(c *processorConfig) { c.workers = n })
}

// WithBackoff sets the retry delay after the first failure (base, default 2 s)
// and its ceiling (max, default 5 min). The delay doubles with each attempt
// and is jittered ("full jitter" between half and all of it).
func WithBackoff(base, max time.Duration) ProcessorOption {
	return processorOption(func(c *processorConfig) { c.backoffBase, c.backoffMax = base, max })
}

// WithMaxAttempts dead-letters a task after it failed n times (default 8).
func WithMaxAttempts(n int) ProcessorOption {
	return processorOption(func(c *processorConfig) { c.maxAttempts = n })
}

// WithTaskTimeout bounds one handler call (default 5 min). It should be
// shorter than the queue's lease.
func WithTaskTimeout(d time.Duration) ProcessorOption {
	return processorOption(func(c *processorConfig) { c.taskTimeout = d })
}

// WithDrainTimeout bounds how long [Processor.Run] waits for running tasks
// after its context is done (default 25 s); tasks still running then are
// cancelled and returned to the queue.
func WithDrainTimeout(d time.Duration) ProcessorOption {
	return processorOption(func(c *processorConfig) { c.drainTimeout = d })
}

// WithPollInterval sets how often the processor looks for runnable tasks when
// nothing notified it (default 500 ms). Delayed retries become runnable at
// the next poll after their time.
func WithPollInterval(d time.Duration) ProcessorOption {
	return processorOption(func(c *processorConfig) { c.poll = d })
}

// WithJitter replaces the source of randomness for backoff jitter: it must
// return a value in [0, 1). Tests pass a constant.
func WithJitter(f func() float64) ProcessorOption {
	return processorOption(func(c *processorConfig) { c.jitter = f })
}

type boltOption func(*boltConfig)

func (o boltOption) applyBolt(c *boltConfig) { o(c) }

// WithLease sets how long a claimed task stays in flight before it is
// runnable again if its worker never finishes it (default 15 min). Keep it
// longer than the processor's task timeout plus drain timeout.
func WithLease(d time.Duration) BoltOption {
	return boltOption(func(c *boltConfig) { c.lease = d })
}

// WithDedupeRetention sets how long task IDs are remembered for dedupe after
// they were enqueued (default 72 h, GitHub's redelivery window).
func WithDedupeRetention(d time.Duration) BoltOption {
	return boltOption(func(c *boltConfig) { c.retention = d })
}

// WithPruneInterval sets how often remembered IDs older than the retention are
// deleted (default 10 min).
func WithPruneInterval(d time.Duration) BoltOption {
	return boltOption(func(c *boltConfig) { c.pruneEvery = d })
}

// WithOpenTimeout bounds how long [OpenBolt] waits for the file lock held by
// another process (default 5 s).
func WithOpenTimeout(d time.Duration) BoltOption {
	return boltOption(func(c *boltConfig) { c.openTimeout = d })
}

func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
}
