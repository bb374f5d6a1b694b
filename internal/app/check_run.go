package app

import (
	"context"

	"github.com/google/go-github/v60/github"
	"github.com/rs/zerolog"
)

// CheckRunHandler runs a check again when a user presses "Re-run" on one of
// this App's check runs.
type CheckRunHandler struct{ *Base }

// Handles implements [EventHandler].
func (CheckRunHandler) Handles() []string { return []string{"check_run"} }

// Handle implements [EventHandler].
func (h CheckRunHandler) Handle(ctx context.Context, eventType, deliveryID string, payload []byte, q Enqueuer) error {
	var ev github.CheckRunEvent
	if err := decodeEvent(payload, &ev); err != nil {
		return err
	}
	run := ev.GetCheckRun()
	if ev.GetAction() != "rerequested" || !h.ownApp(run.GetApp()) {
		return nil
	}
	if run.GetName() == RefCheckName {
		// The deploy-ref guard's run is published once per ref and target;
		// a contract check in its place would answer another question.
		zerolog.Ctx(ctx).Info().Int64("check_run_id", run.GetID()).Msg("re-run of a deploy-ref check run: nothing to re-judge")
		return nil
	}
	r := ev.GetRepo()
	ctx, logger, at, err := prepareEvent(ctx, ev.Installation, r.GetOwner(), r.GetName(), r.GetFullName())
	if err != nil {
		return err
	}
	sha := run.GetHeadSHA()
	if sha == "" {
		return errBadPayloadf("check run without head sha")
	}
	j := h.suiteJob(at, r.GetDefaultBranch(), sha, run.GetCheckSuite().GetHeadBranch(), eventType, deliveryID)
	owner, name := at.owner, at.name
	dup, err := enqueueCheck(ctx, q, rerunTaskID(owner, name, sha, deliveryID), j)
	if err != nil {
		return err
	}
	logger.Debug().Str(logSHA, sha).Bool("duplicate", dup).Msg("re-run enqueued")
	return nil
}
