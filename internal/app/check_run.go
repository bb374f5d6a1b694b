package app

import (
	"context"

	"github.com/google/go-github/v60/github"
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
	r := ev.GetRepo()
	ctx, logger, at, err := prepareEvent(ctx, ev.Installation, r.GetOwner(), r.GetName(), r.GetFullName())
	if err != nil {
		return err
	}
	inst, owner, name := at.installation, at.owner, at.name
	sha := run.GetHeadSHA()
	if sha == "" {
		return errBadPayloadf("check run without head sha")
	}
	j := checkJob{
		Installation:  inst,
		Owner:         owner,
		Repo:          name,
		SHA:           sha,
		DefaultBranch: r.GetDefaultBranch(),
		SOA:           h.isSOARepo(owner, name),
		Event:         eventType,
		Delivery:      deliveryID,
	}
	if b := run.GetCheckSuite().GetHeadBranch(); b != "" {
		j.Ref = "refs/heads/" + b
	}
	dup, err := enqueueCheck(ctx, q, rerunTaskID(owner, name, sha, deliveryID), j)
	if err != nil {
		return err
	}
	logger.Debug().Str(logSHA, sha).Bool("duplicate", dup).Msg("re-run enqueued")
	return nil
}
