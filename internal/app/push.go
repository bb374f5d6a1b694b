package app

import (
	"context"
	"path"
	"slices"
	"strings"

	"github.com/google/go-github/v60/github"
	"github.com/rs/zerolog"
)

// zeroSHA is the before or after of a push that created or deleted a ref.
const zeroSHA = "0000000000000000000000000000000000000000"

// maxPushCommits is how many commits a push payload lists at most; a push
// listing that many may have more, so its changed files are not known.
const maxPushCommits = 20

// PushHandler checks the commit a branch now points at. A push to the soa
// repository checks the services whose directories it changed instead, and
// a push creating a PaaSTA deploy tag goes to the deploy-ref guard.
type PushHandler struct{ *Base }

// Handles implements [EventHandler].
func (PushHandler) Handles() []string { return []string{"push"} }

// Handle implements [EventHandler].
func (h PushHandler) Handle(ctx context.Context, eventType, deliveryID string, payload []byte, q Enqueuer) error {
	var ev github.PushEvent
	if err := decodeEvent(payload, &ev); err != nil {
		return err
	}
	// A new PaaSTA deploy tag goes to the deploy-ref guard, not the check.
	if guarded, err := h.guardPush(ctx, &ev, eventType, deliveryID, q); guarded || err != nil {
		return err
	}
	ref, after := ev.GetRef(), ev.GetAfter()
	branch, isBranch := strings.CutPrefix(ref, "refs/heads/")
	if !isBranch || ev.GetDeleted() || after == "" || after == zeroSHA {
		zerolog.Ctx(ctx).Debug().Str("ref", ref).Msg("push of a tag or a deletion: nothing to check")
		return nil
	}
	r := ev.GetRepo()
	ctx, logger, at, err := prepareEvent(ctx, ev.Installation, r.GetOwner(), r.GetName(), r.GetFullName())
	if err != nil {
		return err
	}
	inst, owner, name := at.installation, at.owner, at.name
	if h.fromSelf(ev.GetSender()) {
		logger.Debug().Msg("push by this App: ignored")
		return nil
	}
	j := checkJob{
		Installation:  inst,
		Owner:         owner,
		Repo:          name,
		SHA:           after,
		Ref:           ref,
		DefaultBranch: r.GetDefaultBranch(),
		Event:         eventType,
		Delivery:      deliveryID,
	}
	if j.DefaultBranch == "" {
		j.DefaultBranch = r.GetMasterBranch()
	}
	if branch == j.DefaultBranch {
		j.DefaultSHA = after
	}
	if h.isSOARepo(owner, name) {
		h.state.soa.observe(inst, j.DefaultBranch, j.DefaultSHA)
		j.SOA = true
		j.Services = changedServices(ev.Commits)
		j.Before = ev.GetBefore()
		// A change to the default branch's services changes their own
		// repositories' status too: re-check those (invalidate.go).
		if j.DefaultSHA != "" {
			for _, svc := range j.Services {
				if err := enqueueRecheck(ctx, q, recheckJob{Installation: inst, SOAOwner: owner, SOARepo: name, SOASHA: after, Service: svc, Delivery: deliveryID}); err != nil {
					return err
				}
			}
		}
	}
	dup, err := enqueueCheck(ctx, q, checkTaskID(owner, name, after), j)
	if err != nil {
		return err
	}
	logger.Debug().Str(logSHA, after).Bool("duplicate", dup).Msg("check enqueued")
	return nil
}

// changedServices returns the top-level directories of the soa repository
// that a push touched, sorted; nil when the payload cannot say (no commits
// listed, or so many that the list may be cut).
func changedServices(commits []*github.HeadCommit) []string {
	if len(commits) == 0 || len(commits) >= maxPushCommits {
		return nil
	}
	var paths []string
	for _, c := range commits {
		paths = append(paths, c.Added...)
		paths = append(paths, c.Modified...)
		paths = append(paths, c.Removed...)
	}
	return serviceDirs(paths)
}

// serviceDirs returns the top-level directories of paths (in the soa
// repository, its services), sorted; dot-directories are not services.
func serviceDirs(paths []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, p := range paths {
		dir, _, ok := strings.Cut(path.Clean(p), "/")
		if ok && dir != "" && !strings.HasPrefix(dir, ".") && !seen[dir] {
			seen[dir] = true
			out = append(out, dir)
		}
	}
	slices.Sort(out)
	return out
}
