package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// queueOpTimeout bounds one queue call made by the processor. The calls are
// detached from Run's context so that shutdown does not abandon a claim or a
// completion halfway.
const queueOpTimeout = 10 * time.Second

// PanicError is the error a task's handler "returned" when it panicked.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the goroutine's stack at the panic
}

func (e *PanicError) Error() string { return fmt.Sprintf("handler panic: %v", e.Value) }

// errShutdown is the cause recorded for tasks returned to the queue because
// the processor stopped before they finished.
var errShutdown = errors.New("processor shut down before the task finished")

type processorConfig struct {
	log          zerolog.Logger
	reg          prometheus.Registerer
	now          func() time.Time
	workers      int
	backoffBase  time.Duration
	backoffMax   time.Duration
	maxAttempts  int
	taskTimeout  time.Duration
	drainTimeout time.Duration
	poll         time.Duration
	jitter       func() float64
}

// Processor runs queued tasks: at most a fixed number at once, never two with
// the same Key (the queue guarantees it), retrying failures with exponential
// backoff and jitter, and dead-lettering a task after its last attempt or a
// [Permanent] error.
type Processor struct {
	q       Queue
	h       Handler
	cfg     processorConfig
	m       *processorMetrics
	running atomic.Bool
}

// NewProcessor returns a processor that feeds tasks from q to h.
func NewProcessor(q Queue, h Handler, opts ...ProcessorOption) *Processor {
	c := processorConfig{
		log: zerolog.Nop(), now: time.Now, workers: 4,
		backoffBase: 2 * time.Second, backoffMax: 5 * time.Minute, maxAttempts: 8,
		taskTimeout: 5 * time.Minute, drainTimeout: 25 * time.Second, poll: 500 * time.Millisecond,
		jitter: rand.Float64,
	}
	for _, o := range opts {
		o.applyProcessor(&c)
	}
	if c.workers < 1 {
		c.workers = 1
	}
	if c.maxAttempts < 1 {
		c.maxAttempts = 1
	}
	if c.backoffBase <= 0 {
		c.backoffBase = time.Second
	}
	if c.backoffMax < c.backoffBase {
		c.backoffMax = c.backoffBase
	}
	if c.poll <= 0 {
		c.poll = 500 * time.Millisecond
	}
	return &Processor{q: q, h: h, cfg: c, m: newProcessorMetrics(c.reg)}
}

// Backoff returns the delay before the attempt after attempt failures:
// base·2^(attempt-1), capped at the maximum, then jittered to between half
// and all of it so that tasks failing together do not retry together.
func (p *Processor) Backoff(attempt int) time.Duration {
	d := p.cfg.backoffBase
	for i := 1; i < attempt && d < p.cfg.backoffMax; i++ {
		d *= 2
	}
	d = min(d, p.cfg.backoffMax)
	return d/2 + time.Duration(p.cfg.jitter()*float64(d/2))
}

// job is one claimed task being run.
type job struct {
	t      Task
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed when the worker goroutine ends
	// state moves from jobRunning to jobSettling (the worker reports the
	// outcome to the queue) or to jobReturned (shutdown gave the task back);
	// whichever side wins owns the task's fate.
	state atomic.Int32
	start time.Time
}

const (
	jobRunning int32 = iota
	jobSettling
	jobReturned
)

// Run processes tasks until ctx is done, then stops claiming, waits up to the
// drain timeout for running tasks, and returns the ones still running to the
// queue (cancelling their contexts). It returns nil after a clean shutdown.
// Handlers run under a context detached from ctx (its values, not its
// cancellation), bounded by the task timeout.
func (p *Processor) Run(ctx context.Context) error {
	if !p.running.CompareAndSwap(false, true) {
		return errors.New("webhook processor: Run called twice")
	}
	defer p.running.Store(false)

	base := context.WithoutCancel(ctx)
	finished := make(chan *job, p.cfg.workers)
	running := map[string]*job{}
	var ready <-chan struct{}
	if n, ok := p.q.(Notifier); ok {
		ready = n.Ready()
	}
	tick := time.NewTicker(p.cfg.poll)
	defer tick.Stop()

	p.cfg.log.Info().Int("workers", p.cfg.workers).Msg("webhook processor started")
	if l, ok := p.q.(interface{ Lease() time.Duration }); ok && p.cfg.taskTimeout+p.cfg.drainTimeout >= l.Lease() {
		// A lease that runs out under a live worker lets a second worker
		// start the same task.
		p.cfg.log.Warn().Dur("lease", l.Lease()).Dur("task_timeout", p.cfg.taskTimeout).Dur("drain_timeout", p.cfg.drainTimeout).
			Msg("webhook processor: task timeout plus drain timeout should be shorter than the queue's lease")
	}
	if s, ok := p.updateGauges(base); ok && s.Dead > 0 {
		p.cfg.log.Warn().Int("dead_letters", s.Dead).Msg("webhook queue holds dead-lettered tasks; they are not retried until requeued")
	}
	for {
		if free := p.cfg.workers - len(running); free > 0 && ctx.Err() == nil {
			for _, j := range p.claim(base, free) {
				running[j.t.ID] = j
				j.ctx, j.cancel = context.WithTimeout(p.taskLog(j.t).WithContext(base), p.cfg.taskTimeout)
				go p.work(base, j, finished)
			}
		}
		select {
		case <-ctx.Done():
			return p.drain(base, running, finished)
		case j := <-finished:
			delete(running, j.t.ID)
		case <-ready:
		case <-tick.C:
			p.updateGauges(base)
		}
	}
}

func (p *Processor) claim(base context.Context, n int) []*job {
	cctx, cancel := context.WithTimeout(base, queueOpTimeout)
	defer cancel()
	tasks, err := p.q.Claim(cctx, n)
	if err != nil {
		p.cfg.log.Error().Err(err).Msg("webhook processor: claim failed")
		return nil
	}
	jobs := make([]*job, len(tasks))
	for i, t := range tasks {
		jobs[i] = &job{t: t, start: time.Now(), done: make(chan struct{})}
	}
	return jobs
}

// drain waits for running jobs until the drain timeout, then returns the
// rest to the queue.
func (p *Processor) drain(base context.Context, running map[string]*job, finished chan *job) error {
	log := p.cfg.log.With().Int("running", len(running)).Logger()
	log.Info().Dur("drain_timeout", p.cfg.drainTimeout).Msg("webhook processor stopping")
	deadline := time.NewTimer(p.cfg.drainTimeout)
	defer deadline.Stop()
wait:
	for len(running) > 0 {
		select {
		case j := <-finished:
			delete(running, j.t.ID)
		case <-deadline.C:
			break wait
		}
	}
	var errs []error
	for id, j := range running {
		if !j.state.CompareAndSwap(jobRunning, jobReturned) {
			// The worker is reporting its outcome right now; let it.
			select {
			case <-j.done:
			case <-time.After(queueOpTimeout):
			}
			continue
		}
		j.cancel()
		qctx, cancel := context.WithTimeout(base, queueOpTimeout)
		err := p.q.Retry(qctx, id, p.cfg.now(), errShutdown)
		cancel()
		p.m.results.WithLabelValues(j.t.Kind, "returned").Inc()
		if err != nil {
			errs = append(errs, err)
			log.Error().Err(err).Str("task_id", id).Msg("webhook processor: could not return task to the queue; it runs again when its lease expires")
			continue
		}
		p.taskLog(j.t).Warn().Msg("webhook processor: task still running at shutdown, returned to the queue")
	}
	p.cfg.log.Info().Msg("webhook processor stopped")
	if len(errs) > 0 {
		return fmt.Errorf("webhook processor shutdown: %w", errors.Join(errs...))
	}
	return nil
}

// taskLog returns a log event context with the task's fields, and the
// go-githubapp delivery fields for a delivery task.
func (p *Processor) taskLog(t Task) *zerolog.Logger {
	c := p.cfg.log.With().Str("task_id", t.ID).Str("task_kind", t.Kind).Str("task_key", t.Key).Int("attempt", t.Attempts)
	if t.Kind == KindDelivery {
		if d, err := DecodeDelivery(Task{Kind: t.Kind, Payload: headerOnly(t.Payload)}); err == nil {
			c = c.Str("github_delivery_id", d.ID).Str("github_event_type", d.Event)
		}
	}
	l := c.Logger()
	return &l
}

// headerOnly trims a delivery payload to its header, so logging does not copy
// the body.
func headerOnly(p []byte) []byte {
	if len(p) < len(deliveryMagic) {
		return p
	}
	if i := bytes.IndexByte(p[len(deliveryMagic):], '\n'); i >= 0 {
		return p[:len(deliveryMagic)+i+1]
	}
	return p
}

func (p *Processor) work(base context.Context, j *job, finished chan<- *job) {
	defer func() {
		close(j.done)
		finished <- j
	}()
	defer j.cancel()
	log := zerolog.Ctx(j.ctx)

	err := p.call(j.ctx, j.t)
	elapsed := time.Since(j.start)
	p.m.duration.WithLabelValues(j.t.Kind).Observe(elapsed.Seconds())
	if !j.state.CompareAndSwap(jobRunning, jobSettling) {
		return // returned to the queue by shutdown; the outcome is dropped
	}

	qctx, qcancel := context.WithTimeout(base, queueOpTimeout)
	defer qcancel()
	var pe *PanicError
	switch {
	case err == nil:
		p.m.results.WithLabelValues(j.t.Kind, "success").Inc()
		if cerr := p.q.Complete(qctx, j.t.ID); cerr != nil {
			log.Error().Err(cerr).Msg("webhook processor: could not mark task done; it may run again")
			return
		}
		log.Debug().Dur("elapsed", elapsed).Msg("task done")
		return
	case errors.As(err, &pe):
		p.m.results.WithLabelValues(j.t.Kind, "panic").Inc()
		log.Error().Str("stack", string(pe.Stack)).Err(err).Msg("task handler panicked")
	default:
		p.m.results.WithLabelValues(j.t.Kind, "error").Inc()
	}

	if IsPermanent(err) || j.t.Attempts >= p.cfg.maxAttempts {
		p.m.deadLetters.WithLabelValues(j.t.Kind).Inc()
		if derr := p.q.DeadLetter(qctx, j.t.ID, err); derr != nil {
			log.Error().Err(derr).AnErr("cause", err).Msg("webhook processor: could not dead-letter task")
			return
		}
		log.Error().Err(err).Int("max_attempts", p.cfg.maxAttempts).Bool("permanent", IsPermanent(err)).Msg("task dead-lettered")
		return
	}
	delay := p.Backoff(j.t.Attempts)
	var later *retryLaterError
	if errors.As(err, &later) {
		delay = max(delay, later.at.Sub(p.cfg.now()))
	}
	p.m.retries.WithLabelValues(j.t.Kind).Inc()
	if rerr := p.q.Retry(qctx, j.t.ID, p.cfg.now().Add(delay), err); rerr != nil {
		log.Error().Err(rerr).AnErr("cause", err).Msg("webhook processor: could not schedule retry; the task runs again when its lease expires")
		return
	}
	log.Warn().Err(err).Dur("retry_in", delay).Msg("task failed, will retry")
}

// call runs the handler, turning a panic into a *PanicError.
func (p *Processor) call(ctx context.Context, t Task) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return p.h.Handle(ctx, t, p.q)
}

func (p *Processor) updateGauges(base context.Context) (Stats, bool) {
	ctx, cancel := context.WithTimeout(base, queueOpTimeout)
	defer cancel()
	s, err := p.q.Stats(ctx)
	if err != nil {
		p.cfg.log.Warn().Err(err).Msg("webhook processor: queue stats failed")
		return Stats{}, false
	}
	p.m.pending.Set(float64(s.Pending))
	p.m.inFlight.Set(float64(s.InFlight))
	p.m.dead.Set(float64(s.Dead))
	p.m.oldest.Set(s.OldestPending.Seconds())
	return s, true
}
