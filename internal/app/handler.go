package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/contractbot/contractbot/internal/webhook"
	"github.com/rs/zerolog"
)

// Handler is the [webhook.Handler] of the App: it routes delivery tasks to
// the event handlers and runs check tasks.
type Handler struct {
	events  map[string]EventHandler
	checker *Checker
	metrics *metrics
}

var _ webhook.Handler = (*Handler)(nil)

// NewHandler returns a handler that routes deliveries to handlers by event
// and runs check tasks with checker. Two handlers for one event are an
// error.
func NewHandler(checker *Checker, handlers ...EventHandler) (*Handler, error) {
	h := &Handler{events: map[string]EventHandler{}, checker: checker, metrics: checker.metrics}
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

// Handle implements [webhook.Handler].
func (h *Handler) Handle(ctx context.Context, t webhook.Task, q webhook.Enqueuer) error {
	switch t.Kind {
	case webhook.KindDelivery:
		d, err := webhook.DecodeDelivery(t)
		if err != nil {
			return webhook.Permanent(err)
		}
		return h.handleDelivery(ctx, d, q)
	case KindCheck:
		return h.checker.Run(ctx, t)
	default:
		zerolog.Ctx(ctx).Warn().Str("kind", t.Kind).Str(logTaskID, t.ID).Msg("task of an unknown kind dropped")
		return nil
	}
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
