package app

import (
	"context"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/rs/zerolog"

	ghclient "github.com/contractbot/contractbot/internal/github"
)

// InstallationHandler keeps the caches in step with the App's
// installations: a deleted or suspended installation's client is dropped,
// and the installation that covers the soa repository is remembered.
type InstallationHandler struct {
	*Base
	Clients Clients
}

// Handles implements [EventHandler].
func (InstallationHandler) Handles() []string {
	return []string{"installation", "installation_repositories"}
}

// Handle implements [EventHandler].
func (h InstallationHandler) Handle(ctx context.Context, eventType, deliveryID string, payload []byte, q Enqueuer) error {
	var (
		inst        *github.Installation
		action      string
		added, gone []*github.Repository
	)
	switch eventType {
	case "installation":
		var ev github.InstallationEvent
		if err := decodeEvent(payload, &ev); err != nil {
			return err
		}
		inst, action, added = ev.Installation, ev.GetAction(), ev.Repositories
		if action == "deleted" || action == "suspend" {
			gone, added = added, nil
		}
	case "installation_repositories":
		var ev github.InstallationRepositoriesEvent
		if err := decodeEvent(payload, &ev); err != nil {
			return err
		}
		inst, action, added, gone = ev.Installation, ev.GetAction(), ev.RepositoriesAdded, ev.RepositoriesRemoved
	default:
		return nil
	}
	id, err := installationID(inst)
	if err != nil {
		return err
	}
	logger := zerolog.Ctx(ctx).With().Int64(logInstallationID, id).Str(logAction, action).Logger()
	switch action {
	case "deleted", "suspend":
		// The installation's token no longer works; a new one is minted if
		// the App is installed (or unsuspended) again.
		h.Clients.Forget(id)
		h.state.soa.forget(id)
		h.state.configs.forgetInstallation(id)
		h.state.installs.forgetInstallation(id)
	}
	for _, r := range added {
		h.state.installs.forget(r.GetFullName()) // perhaps a "not installed"
		if h.isSOAFullName(r.GetFullName()) {
			h.state.soa.observe(id, "", "")
		}
	}
	// Onboarding: every repository the installation now covers gets a
	// check of its default branch (see onboard.go). A new installation
	// lists its repositories page by page (the event lists at most some of
	// them); repositories added later are named by the event.
	switch {
	case eventType == "installation" && action == "created":
		if err := enqueueOnboardPage(ctx, q, onboardJob{Installation: id, Page: 1, Delivery: deliveryID}); err != nil {
			return err
		}
	case eventType == "installation_repositories" && action == "added":
		for _, r := range added {
			owner, name, ok := strings.Cut(r.GetFullName(), "/")
			if !ok {
				continue
			}
			if err := enqueueOnboardRepo(ctx, q, onboardRepoJob{Installation: id, Owner: owner, Repo: name, Delivery: deliveryID}); err != nil {
				return err
			}
		}
	}
	for _, r := range gone {
		if h.isSOAFullName(r.GetFullName()) {
			h.state.soa.forget(id)
		}
		h.state.configs.forget(r.GetFullName())
		h.state.installs.forget(r.GetFullName())
	}
	logger.Info().Int("repositories_added", len(added)).Int("repositories_removed", len(gone)).Msg("installation changed")
	return nil
}

// How long the answer to "which installation covers owner/repo" is kept:
// each re-check of a service whose repository lives under another owner
// asks it (apps/get-repo-installation, on the App's own budget), and a
// soa push re-checks every service it changed. A "not installed" (404)
// is kept only briefly, so that installing the App on a repository is
// seen soon even by a replica that did not get the installation event.
const (
	repoInstallationTTL     = 10 * time.Minute
	repoInstallationMissTTL = time.Minute
	maxRepoInstallations    = 10000
)

// repoInstallations caches [Clients.RepoInstallation]: the installation
// of each repository asked about, or GitHub's 404 for one the App is not
// installed on. Other errors are not kept. Installation events forget
// what they change (InstallationHandler).
type repoInstallations struct {
	repoCache[repoInstallation]
}

type repoInstallation struct {
	id      int64
	missing error // GitHub's 404, when the App is not installed
	until   time.Time
}

// lookup returns the installation that covers owner/repo, from the cache
// when it has an answer younger than its expiry, else from GitHub.
func (c *repoInstallations) lookup(ctx context.Context, clients Clients, owner, repo string, now time.Time) (int64, error) {
	key := strings.ToLower(owner + "/" + repo)
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if ok && now.Before(e.until) {
		return e.id, e.missing
	}
	id, err := clients.RepoInstallation(ctx, owner, repo)
	switch {
	case err == nil:
		e = repoInstallation{id: id, until: now.Add(repoInstallationTTL)}
	case ghclient.IsNotFound(err):
		e = repoInstallation{missing: err, until: now.Add(repoInstallationMissTTL)}
	default:
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]repoInstallation{}
	}
	if len(c.m) >= maxRepoInstallations {
		for k, old := range c.m {
			if !now.Before(old.until) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxRepoInstallations {
			c.m = map[string]repoInstallation{} // start over: one request each
		}
	}
	c.m[key] = e
	return id, err
}

// repoInstallation returns the installation that covers owner/repo,
// through the state's cache when there is one.
func (b *Base) repoInstallation(ctx context.Context, clients Clients, owner, repo string, now time.Time) (int64, error) {
	if b == nil || b.state == nil {
		return clients.RepoInstallation(ctx, owner, repo)
	}
	return b.state.installs.lookup(ctx, clients, owner, repo, now)
}

func (e repoInstallation) installationID() int64 { return e.id }
