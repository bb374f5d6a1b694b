package app

import (
	"context"

	"github.com/google/go-github/v60/github"
	"github.com/rs/zerolog"
)

// PingHandler logs GitHub's ping, sent when the webhook is set up. The
// intake has already answered it; there is no work to do.
type PingHandler struct{ *Base }

// Handles implements [EventHandler].
func (PingHandler) Handles() []string { return []string{"ping"} }

// Handle implements [EventHandler].
func (h PingHandler) Handle(ctx context.Context, eventType, deliveryID string, payload []byte, q Enqueuer) error {
	var ev github.PingEvent
	if err := decodeEvent(payload, &ev); err != nil {
		return err
	}
	zerolog.Ctx(ctx).Info().Int64("hook_id", ev.GetHookID()).Str("hook_type", ev.GetHook().GetType()).Msg("ping")
	return nil
}
