package github

import (
	"context"
	"fmt"
	"net/http"
)

// Repository is a repository an installation covers, as onboarding needs
// it.
type Repository struct {
	Owner, Name   string
	DefaultBranch string
	Archived      bool
}

// InstallationReposPerPage is the page size of [Client.InstallationRepositories]:
// GitHub's maximum.
const InstallationReposPerPage = 100

// InstallationRepositories returns one page (1-based) of the repositories
// the installation covers (GET /installation/repositories) and whether a
// later page has more.
func (c *Client) InstallationRepositories(ctx context.Context, page int) ([]Repository, bool, error) {
	var out struct {
		TotalCount   int `json:"total_count"`
		Repositories []struct {
			Name          string `json:"name"`
			DefaultBranch string `json:"default_branch"`
			Archived      bool   `json:"archived"`
			Owner         struct {
				Login string `json:"login"`
			} `json:"owner"`
		} `json:"repositories"`
	}
	p := fmt.Sprintf("installation/repositories?per_page=%d&page=%d", InstallationReposPerPage, page)
	if err := c.do(ctx, http.MethodGet, p, nil, &out); err != nil {
		return nil, false, fmt.Errorf("list the installation's repositories, page %d: %w", page, err)
	}
	repos := make([]Repository, 0, len(out.Repositories))
	for _, r := range out.Repositories {
		repos = append(repos, Repository{Owner: r.Owner.Login, Name: r.Name, DefaultBranch: r.DefaultBranch, Archived: r.Archived})
	}
	return repos, page*InstallationReposPerPage < out.TotalCount, nil
}

// Installations returns the ids of every installation of the App (GET
// /app/installations, with the App's own credentials), page by page: the
// sweep re-checks each one's repositories.
func (a *Apps) Installations(ctx context.Context) ([]int64, error) {
	type item struct {
		ID int64 `json:"id"`
	}
	items, err := listPages(func(page int) ([]item, error) {
		var out []item
		p := fmt.Sprintf("app/installations?per_page=%d&page=%d", perPage, page)
		if err := a.do(ctx, a.app, http.MethodGet, p, nil, &out); err != nil {
			return nil, fmt.Errorf("page %d: %w", page, err)
		}
		return out, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list the App's installations: %w", err)
	}
	ids := make([]int64, 0, len(items))
	for _, i := range items {
		ids = append(ids, i.ID)
	}
	return ids, nil
}
