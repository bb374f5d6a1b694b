package app

import (
	"context"
	"strings"

	"github.com/google/go-github/v60/github"
	"github.com/rs/zerolog"
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
	}
	for _, r := range added {
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
	}
	logger.Info().Int("repositories_added", len(added)).Int("repositories_removed", len(gone)).Msg("installation changed")
	return nil
}
