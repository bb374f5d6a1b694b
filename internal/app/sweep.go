package app

import (
	"context"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/rs/zerolog"
)

// DefaultSweepInterval is how often every installation's repositories are
// re-checked (CONTRACTBOT_SWEEP_INTERVAL): status stays true after a rule
// or schema change, and after events the App never received.
const DefaultSweepInterval = 24 * time.Hour

// Sweep re-checks the default branch of every repository of every
// installation once per interval, through the onboarding chain. It ticks
// at a jittered time within each period, so that replicas do not all ask
// GitHub at once, and every replica may tick: the tasks' ids name the
// period, so the queue keeps the first replica's and drops the others'
// (one sweep per period, without a leader). It returns when ctx ends.
func (o *Onboarder) Sweep(ctx context.Context, q Enqueuer, interval time.Duration) {
	log := zerolog.Ctx(ctx)
	for {
		// Between half an interval and an interval after the last tick:
		// jittered, and never a whole period without a tick.
		wait := interval/2 + rand.N(interval/2+1)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		period := strconv.FormatInt(time.Now().Truncate(interval).Unix(), 10)
		ids, err := o.Clients.Installations(ctx)
		if err != nil {
			log.Warn().Err(err).Msg("sweep: cannot list the App's installations; next period then")
			continue
		}
		for _, id := range ids {
			if err := enqueueOnboardPage(ctx, q, onboardJob{Installation: id, Page: 1, Delivery: "sweep-" + period, Sweep: period}); err != nil {
				log.Warn().Err(err).Int64(logInstallationID, id).Msg("sweep: cannot enqueue")
			}
		}
		log.Info().Int("installations", len(ids)).Str("period", period).Msg("sweep enqueued")
	}
}
