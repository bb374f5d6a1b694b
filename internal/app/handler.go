package app

import (
	"context"
	"errors"
	"fmt"

	ghclient "github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/webhook"
	"github.com/rs/zerolog"
)

// Handler is the [webhook.Handler] of the App: it routes delivery tasks to
// the event handlers and other tasks to the function that runs their kind
// (the check job for [KindCheck]; more with [Handler.Register]).
type Handler struct {
	events  map[string]EventHandler
	runs    map[string]func(context.Context, webhook.Task, webhook.Enqueuer) error
	metrics *metrics
}

var _ webhook.Handler = (*Handler)(nil)

// NewHandler returns a handler that routes deliveries to handlers by event
// and runs check tasks with checker. Two handlers for one event are an
// error.
func NewHandler(checker *Checker, handlers ...EventHandler) (*Handler, error) {
	h := &Handler{
		events:  map[string]EventHandler{},
		runs:    map[string]func(context.Context, webhook.Task, webhook.Enqueuer) error{KindCheck: checker.runCheckTask},
		metrics: checker.metrics,
	}
	for _, eh := range handlers {
		for _, ev := range eh.Handles() {
			if _, dup := h.events[ev]; dup {
				return nil, fmt.Errorf("two handlers for event %q", ev)
			}
			h.events[ev] = eh
		}
	}
	return h, nil
}

// Register makes run process the tasks of kind, e.g. a job that handlers
// enqueue besides checks. A kind has one function; deliveries are the
// Handler's own.
func (h *Handler) Register(kind string, run func(context.Context, webhook.Task) error) error {
	if run == nil {
		return fmt.Errorf("task kind %q: no function", kind)
	}
	return h.RegisterEnqueuing(kind, withoutQueue(run))
}

// RegisterEnqueuing is [Handler.Register] for a job that enqueues more
// tasks (onboarding enqueues a task per repository).
func (h *Handler) RegisterEnqueuing(kind string, run func(context.Context, webhook.Task, webhook.Enqueuer) error) error {
	if _, dup := h.runs[kind]; dup || kind == webhook.KindDelivery || run == nil {
		return fmt.Errorf("task kind %q: already handled, or no function", kind)
	}
	h.runs[kind] = run
	return nil
}

func withoutQueue(run func(context.Context, webhook.Task) error) func(context.Context, webhook.Task, webhook.Enqueuer) error {
	return func(ctx context.Context, t webhook.Task, _ webhook.Enqueuer) error { return run(ctx, t) }
}

// Handle implements [webhook.Handler].
func (h *Handler) Handle(ctx context.Context, t webhook.Task, q webhook.Enqueuer) error {
	if t.Kind == webhook.KindDelivery {
		d, err := webhook.DecodeDelivery(t)
		if err != nil {
			return webhook.Permanent(err)
		}
		return h.handleDelivery(ctx, d, q)
	}
	run, ok := h.runs[t.Kind]
	if !ok {
		zerolog.Ctx(ctx).Warn().Str("kind", t.Kind).Str(logTaskID, t.ID).Msg("task of an unknown kind dropped")
		return nil
	}
	err := run(ctx, t, q)
	// A rate limit that resets later than the transport would wait: retry
	// the task when it resets, not after the queue's shorter backoff.
	if at, ok := ghclient.RetryAt(err); ok {
		return webhook.RetryLater(err, at)
	}
	return err
}

func (h *Handler) handleDelivery(ctx context.Context, d webhook.Delivery, q webhook.Enqueuer) error {
	logger := zerolog.Ctx(ctx).With().Str(logDeliveryID, d.ID).Str(logEventType, d.Event).Logger()
	ctx = logger.WithContext(ctx)
	eh, ok := h.events[d.Event]
	if !ok {
		logger.Debug().Msg("event not handled")
		h.metrics.observeEvent(d.Event, "ignored")
		return nil
	}
	err := eh.Handle(ctx, d.Event, d.ID, d.Payload, q)
	switch {
	case errors.Is(err, ErrBadPayload):
		// Retrying cannot fix a payload; the dead letter keeps it for a look.
		logger.Error().Err(err).Msg("delivery cannot be processed")
		h.metrics.observeEvent(d.Event, "bad_payload")
		return webhook.Permanent(err)
	case err != nil:
		h.metrics.observeEvent(d.Event, "error")
		return err
	}
	h.metrics.observeEvent(d.Event, "handled")
	return nil
}
