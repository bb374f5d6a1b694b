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
	sha := suite.GetHeadSHA()
	if sha == "" {
		return errBadPayloadf("check suite without head sha")
	}
	j := h.suiteJob(at, r.GetDefaultBranch(), sha, suite.GetHeadBranch(), eventType, deliveryID)
	if j.Ref != "" && suite.GetHeadBranch() == j.DefaultBranch && action == "requested" {
		j.DefaultSHA = sha // a new head of the default branch
	}
	owner, name := at.owner, at.name
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

// suiteJob is the check job for a commit whose check suite or run GitHub
// asks for: check_suite and check_run events describe it alike.
func (b *Base) suiteJob(at eventRepo, defaultBranch, sha, headBranch, eventType, deliveryID string) checkJob {
	j := checkJob{
		Installation:  at.installation,
		Owner:         at.owner,
		Repo:          at.name,
		SHA:           sha,
		DefaultBranch: defaultBranch,
		SOA:           b.isSOARepo(at.owner, at.name),
		Event:         eventType,
		Delivery:      deliveryID,
	}
	if headBranch != "" {
		j.Ref = "refs/heads/" + headBranch
	}
	return j
}
