package app

import (
	"context"
	"io/fs"

	ghclient "github.com/contractbot/contractbot/internal/github"
)

// AppsClients adapts [*ghclient.Apps] to [Clients].
type AppsClients struct{ Apps *ghclient.Apps }

var (
	_ Clients = AppsClients{}
	_ Client  = installationClient{}
)

// Installation implements [Clients].
func (a AppsClients) Installation(ctx context.Context, id int64) (Client, error) {
	c, err := a.Apps.Installation(ctx, id)
	if err != nil {
		return nil, err
	}
	return installationClient{c}, nil
}

// RepoInstallation implements [Clients].
func (a AppsClients) RepoInstallation(ctx context.Context, owner, repo string) (int64, error) {
	return a.Apps.RepoInstallation(ctx, owner, repo)
}

// Installations implements [Clients].
func (a AppsClients) Installations(ctx context.Context) ([]int64, error) {
	return a.Apps.Installations(ctx)
}

// Forget implements [Clients].
func (a AppsClients) Forget(id int64) { a.Apps.Forget(id) }

// installationClient adapts [*ghclient.Client] to [Client]: its Tree
// returns the concrete *TreeFS.
type installationClient struct{ *ghclient.Client }

func (c installationClient) Tree(ctx context.Context, owner, repo, sha string) (fs.FS, error) {
	t, err := c.Client.Tree(ctx, owner, repo, sha)
	if err != nil {
		return nil, err // not a typed nil *TreeFS in a non-nil fs.FS
	}
	return t, nil
}
