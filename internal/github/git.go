package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/bradleyfalzon/ghinstallation/v2"
)

// GitToken returns the installation's token, for git over HTTPS (basic
// auth, user x-access-token). It is the token the API requests use, minted
// or refreshed as they would be.
func (c *Client) GitToken(ctx context.Context) (string, error) {
	itr, ok := c.hc.Transport.(*ghinstallation.Transport)
	if !ok {
		return "", errors.New("installation client without an installation token")
	}
	tok, err := itr.Token(ctx)
	if err != nil {
		return "", fmt.Errorf("installation token: %w", err)
	}
	return tok, nil
}

// CloneURL returns owner/repo's clone_url (https://HOST/owner/repo.git,
// GitHub Enterprise's host included) and its default branch, in one
// request.
func (c *Client) CloneURL(ctx context.Context, owner, repo string) (cloneURL, defaultBranch string, err error) {
	var out struct {
		CloneURL      string `json:"clone_url"`
		DefaultBranch string `json:"default_branch"`
	}
	if err := c.do(ctx, http.MethodGet, repoPath(owner, repo), nil, &out); err != nil {
		return "", "", fmt.Errorf("get repository %s/%s: %w", owner, repo, err)
	}
	if out.CloneURL == "" {
		return "", "", fmt.Errorf("get repository %s/%s: no clone_url", owner, repo)
	}
	return out.CloneURL, out.DefaultBranch, nil
}
