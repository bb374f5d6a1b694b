package app

import (
	"context"

	"github.com/google/go-github/v60/github"
)

// PullRequestHandler checks the head commit of a pull request when it is
// opened, reopened or gets new commits, and reviews its diff.
type PullRequestHandler struct{ *Base }

// Handles implements [EventHandler].
func (PullRequestHandler) Handles() []string { return []string{"pull_request"} }

// Handle implements [EventHandler].
func (h PullRequestHandler) Handle(ctx context.Context, eventType, deliveryID string, payload []byte, q Enqueuer) error {
	var ev github.PullRequestEvent
	if err := decodeEvent(payload, &ev); err != nil {
		return err
	}
	switch ev.GetAction() {
	case "opened", "synchronize", "reopened":
	default:
		return nil
	}
	r := ev.GetRepo()
	ctx, logger, at, err := prepareEvent(ctx, ev.Installation, r.GetOwner(), r.GetName(), r.GetFullName())
	if err != nil {
		return err
	}
	inst, owner, name := at.installation, at.owner, at.name
	pr := ev.GetPullRequest()
	logger = logger.With().Int(logPRNum, ev.GetNumber()).Str(logAction, ev.GetAction()).Logger()
	ctx = logger.WithContext(ctx)

	if h.fromSelf(ev.GetSender()) {
		return nil
	}
	sha := pr.GetHead().GetSHA()
	if sha == "" {
		return errBadPayloadf("pull request without head sha")
	}
	// The check runs in the base repository even for a pull request from a
	// fork: the fork's commits are readable there, and the check run
	// belongs on the pull request, which lives in the base repository.
	j := checkJob{
		Installation:  inst,
		Owner:         owner,
		Repo:          name,
		SHA:           sha,
		DefaultBranch: r.GetDefaultBranch(),
		Event:         eventType,
		Delivery:      deliveryID,
	}
	if base := pr.GetBase(); base.GetRef() == j.DefaultBranch && j.DefaultBranch != "" {
		j.DefaultSHA = base.GetSHA()
	}
	if head := pr.GetHead(); head.GetRepo().GetID() == r.GetID() && head.GetRef() != "" {
		j.Ref = "refs/heads/" + head.GetRef()
	}
	if h.isSOARepo(owner, name) {
		// A pull request on the soa repository: check the whole tree's
		// repository-wide rules (the pull request event lists no files)
		// and, read through a mirror, the services that differ from the
		// base (mirror.go).
		j.SOA = true
		j.Before = pr.GetBase().GetSHA()
	}
	dup, err := enqueueCheck(ctx, q, checkTaskID(owner, name, sha), j)
	if err != nil {
		return err
	}
	// The review comments on the diff's lines; it runs apart from the
	// check, which the push of the same commit may already have done.
	rdup, err := enqueueReview(ctx, q, j, ev.GetNumber())
	if err != nil {
		return err
	}
	logger.Debug().Str(logSHA, sha).Bool("duplicate", dup).Bool("review_duplicate", rdup).Msg("check and review enqueued")
	return nil
}
