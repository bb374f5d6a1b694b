package app

import (
	"context"
	"errors"

	ghclient "github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/webhook"
	"github.com/rs/zerolog"
)

// publishFailure completes the commit's check run as action_required when
// the check can never succeed (err is [webhook.Permanent]: a tree GitHub
// truncates, a file over the size limit, a request GitHub refuses), so
// that a required check does not wait for a run that will never come. The
// summary says what went wrong and how to run the check again. err is
// returned as it is: the task is dead-lettered all the same, and errors
// worth retrying are retried without a run being published.
func (c *Checker) publishFailure(ctx context.Context, client Client, j checkJob, run ghclient.CheckRun, err error) error {
	if !webhook.IsPermanent(err) {
		return err
	}
	cause := err
	if u := errors.Unwrap(err); u != nil {
		cause = u // without the queue's "permanent:" prefix
	}
	run.Result, run.Failure, run.Annotate = nil, cause, nil
	log := zerolog.Ctx(ctx)
	if id, perr := client.PublishCheckRun(ctx, j.Owner, j.Repo, run); perr != nil {
		log.Error().Err(perr).AnErr("cause", cause).Msg("the commit cannot be checked, and its check run could not be completed to say so")
	} else {
		log.Warn().Int64("check_run_id", id).Err(cause).Msg("the commit cannot be checked: check run completed as action_required")
	}
	return err
}
