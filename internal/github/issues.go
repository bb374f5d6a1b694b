package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// Issue is an issue as the App's dashboard needs it.
type Issue struct {
	Number  int
	Title   string
	Body    string
	State   string // "open" or "closed"
	User    string // the creator's login
	HTMLURL string
}

type issueJSON struct {
	Number  int    `json:"number"`
	Title   string `json:"title"`
	Body    string `json:"body"`
	State   string `json:"state"`
	HTMLURL string `json:"html_url"`
	User    struct {
		Login string `json:"login"`
	} `json:"user"`
	// PullRequest is set on the pull requests that GitHub lists among
	// a repository's issues.
	PullRequest *struct{} `json:"pull_request"`
}

func (j issueJSON) issue() Issue {
	return Issue{Number: j.Number, Title: j.Title, Body: j.Body, State: j.State, User: j.User.Login, HTMLURL: j.HTMLURL}
}

// Issues lists the issues of owner/repo, open and closed, that creator
// opened (every issue when creator is ""), oldest first, without the pull
// requests GitHub lists with them (GET /repos/{owner}/{repo}/issues).
func (c *Client) Issues(ctx context.Context, owner, repo, creator string) ([]Issue, error) {
	q := url.Values{"state": {"all"}, "sort": {"created"}, "direction": {"asc"}, "per_page": {strconv.Itoa(perPage)}}
	if creator != "" {
		q.Set("creator", creator)
	}
	items, err := listPages(func(page int) ([]issueJSON, error) {
		q.Set("page", strconv.Itoa(page))
		var items []issueJSON
		err := c.do(ctx, http.MethodGet, repoPath(owner, repo)+"/issues?"+q.Encode(), nil, &items)
		return items, err
	})
	if err != nil {
		return nil, fmt.Errorf("list issues of %s/%s: %w", owner, repo, err)
	}
	var out []Issue
	for _, it := range items {
		if it.PullRequest == nil {
			out = append(out, it.issue())
		}
	}
	return out, nil
}

// GetIssue returns issue number of owner/repo
// (GET /repos/{owner}/{repo}/issues/{n}).
func (c *Client) GetIssue(ctx context.Context, owner, repo string, number int) (Issue, error) {
	var out issueJSON
	if err := c.do(ctx, http.MethodGet, repoPath(owner, repo)+"/issues/"+strconv.Itoa(number), nil, &out); err != nil {
		return Issue{}, fmt.Errorf("issue %s/%s#%d: %w", owner, repo, number, err)
	}
	return out.issue(), nil
}

// CreateIssue opens an issue and returns its number
// (POST /repos/{owner}/{repo}/issues). An issue is a write GitHub does not
// deduplicate: when the answer is lost ([UncertainError]) it calls look,
// which returns the number of the issue the write created if GitHub
// carried it out (0 if not), and sends the write again only then.
func (c *Client) CreateIssue(ctx context.Context, owner, repo, title, body string, look func(context.Context) (int, error)) (int, error) {
	cfg := &c.apps.cfg
	in := map[string]string{"title": title, "body": body}
	for looked := 0; ; {
		var out issueJSON
		err := c.do(ctx, http.MethodPost, repoPath(owner, repo)+"/issues", in, &out)
		if err == nil {
			return out.Number, nil
		}
		if !IsUncertain(err) || ctx.Err() != nil || looked+1 >= cfg.maxAttempts {
			return 0, fmt.Errorf("create issue in %s/%s: %w", owner, repo, err)
		}
		looked++
		if serr := cfg.clock.Sleep(ctx, cfg.backoff(looked)); serr != nil {
			return 0, fmt.Errorf("create issue in %s/%s: %w", owner, repo, err)
		}
		n, lerr := look(ctx)
		if lerr != nil {
			return 0, fmt.Errorf("create issue in %s/%s: %w; then looking whether it landed: %w", owner, repo, err, lerr)
		}
		if n != 0 {
			return n, nil
		}
	}
}

// UpdateIssueBody replaces the body of issue number
// (PATCH /repos/{owner}/{repo}/issues/{n}). The edit sets the whole body,
// so sending it again after a lost answer changes nothing.
func (c *Client) UpdateIssueBody(ctx context.Context, owner, repo string, number int, body string) error {
	in := map[string]string{"body": body}
	if err := c.do(ctx, http.MethodPatch, repoPath(owner, repo)+"/issues/"+strconv.Itoa(number), in, nil); err != nil {
		return fmt.Errorf("edit issue %s/%s#%d: %w", owner, repo, number, err)
	}
	return nil
}

// IsForbidden reports whether GitHub refused a request for want of a
// permission (403 without a rate limit): the installation was not granted
// it.
func IsForbidden(err error) bool {
	var apiErr *APIError
	var rl *RateLimitError
	return errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusForbidden && !errors.As(err, &rl)
}
