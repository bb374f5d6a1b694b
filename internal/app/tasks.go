package app

import (
	"context"

	"github.com/contractbot/contractbot/internal/webhook"
)

// jobRunner runs queued tasks of one kind: the review ([KindReview]) and
// deploy-ref guard ([KindRefGuard]) jobs are two.
type jobRunner interface {
	Run(ctx context.Context, t webhook.Task) error
}

var (
	_ jobRunner = (*Reviewer)(nil)
	_ jobRunner = (*RefGuard)(nil)
)
