package app

import (
	"context"

	"github.com/google/go-github/v60/github"
)

// CheckSuiteHandler runs the check of a commit when GitHub asks for this
// App's check suite (requested) or a user presses "Re-run all checks"
// (rerequested).
type CheckSuiteHandler struct{ *Base }

// Handles implements [EventHandler].
func (CheckSuiteHandler) Handles() []string { return []string{"check_suite"} }

// Handle implements [EventHandler].
func (h CheckSuiteHandler) Handle(ctx context.Context, eventType, deliveryID string, payload []byte, q Enqueuer) error {
	var ev github.CheckSuiteEvent
	if err := decodeEvent(payload, &ev); err != nil {
		return err
	}
	suite, action := ev.GetCheckSuite(), ev.GetAction()
	if (action != "requested" && action != "rerequested") || !h.ownApp(suite.GetApp()) {
		return nil
	}
	r := ev.GetRepo()
	ctx, logger, at, err := prepareEvent(ctx, ev.Installation, r.GetOwner(), r.GetName(), r.GetFullName())
	if err != nil {
		return err
	}
	inst, owner, name := at.installation, at.owner, at.name
	sha := suite.GetHeadSHA()
	if sha == "" {
		return errBadPayloadf("check suite without head sha")
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
	if b := suite.GetHeadBranch(); b != "" {
		j.Ref = "refs/heads/" + b
		if b == j.DefaultBranch && action == "requested" {
			j.DefaultSHA = sha // a new head of the default branch
		}
	}
	// requested comes with every push: it shares the push's check.
	// rerequested is a user asking again: a fresh check.
	id := checkTaskID(owner, name, sha)
	if action == "rerequested" {
		id = rerunTaskID(owner, name, sha, deliveryID)
	}
	dup, err := enqueueCheck(ctx, q, id, j)
	if err != nil {
		return err
	}
	logger.Debug().Str(logSHA, sha).Str(logAction, action).Bool("duplicate", dup).Msg("check enqueued")
	return nil
}
