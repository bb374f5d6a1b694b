package github

import (
	"context"
	"time"
)

// WithNoSleep makes retries and rate-limit waits instant in tests of the
// whole client against the fake; the waits are still bounded by the ceiling.
func WithNoSleep() Option { return withClock(noSleepClock{}) }

type noSleepClock struct{ realClock }

func (noSleepClock) Sleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }
