package github

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Refs, simple check runs and rulesets, for the deploy-ref guard.

// RefTarget returns the object a ref points at and its type ("commit",
// "tag" for an annotated tag object, ...), or "missing" when the ref does
// not exist (GET /repos/{owner}/{repo}/git/ref/{ref}). ref is a full name,
// "refs/tags/x".
func (c *Client) RefTarget(ctx context.Context, owner, repo, ref string) (sha, typ string, err error) {
	short, ok := strings.CutPrefix(ref, "refs/")
	if !ok {
		return "", "", fmt.Errorf("ref %q is not a full name like refs/tags/x", ref)
	}
	var out struct {
		Object struct {
			Type string `json:"type"`
			SHA  string `json:"sha"`
		} `json:"object"`
	}
	if err := c.do(ctx, http.MethodGet, repoPath(owner, repo)+"/git/ref/"+escapeSegments(short), nil, &out); err != nil {
		if IsNotFound(err) {
			return "", "missing", nil
		}
		return "", "", fmt.Errorf("get %s of %s/%s: %w", ref, owner, repo, err)
	}
	return out.Object.SHA, out.Object.Type, nil
}

// DeleteRef deletes a ref (DELETE /repos/{owner}/{repo}/git/refs/{ref});
// ref is a full name, "refs/tags/x". It needs the contents: write
// permission.
func (c *Client) DeleteRef(ctx context.Context, owner, repo, ref string) error {
	short, ok := strings.CutPrefix(ref, "refs/")
	if !ok {
		return fmt.Errorf("ref %q is not a full name like refs/tags/x", ref)
	}
	if err := c.do(ctx, http.MethodDelete, repoPath(owner, repo)+"/git/refs/"+escapeSegments(short), nil, nil); err != nil {
		return fmt.Errorf("delete %s of %s/%s: %w", ref, owner, repo, err)
	}
	return nil
}

// SimpleCheckRun is a completed check run without annotations: a title and
// a Markdown summary the caller wrote (and escaped) itself.
type SimpleCheckRun struct {
	Name       string
	HeadSHA    string
	ExternalID string
	Conclusion string // ConclusionSuccess, ConclusionNeutral or ConclusionFailure
	Title      string
	Summary    string
	// Once publishes the run only if the commit has none with this Name
	// and ExternalID yet (one more request, checks/list-for-ref), so that
	// work repeated after a restart or by another replica does not post it
	// twice.
	Once bool
}

// PublishSimpleCheckRun creates run as completed in one request and
// returns its id. A summary over [MaxSummaryChars] is cut. With Once, an
// existing run's id is returned instead.
func (c *Client) PublishSimpleCheckRun(ctx context.Context, owner, repo string, run SimpleCheckRun) (int64, error) {
	if !IsSHA(run.HeadSHA) {
		return 0, fmt.Errorf("publish check run on %s/%s: head sha %q is not a commit SHA", owner, repo, run.HeadSHA)
	}
	if run.Once && run.ExternalID != "" {
		prev, err := c.findCheckRun(ctx, owner, repo, run.HeadSHA, run.Name, run.ExternalID)
		if err != nil {
			return 0, fmt.Errorf("publish check run %q on %s/%s@%s: %w", run.Name, owner, repo, run.HeadSHA, err)
		}
		if prev != nil {
			return prev.ID, nil
		}
	}
	// One request, looked up before it is sent again if its answer is lost.
	p := &publisher{c: c, owner: owner, repo: repo, sha: run.HeadSHA, name: run.Name, externalID: run.ExternalID,
		out: rendered{title: truncateRunes(run.Title, MaxAnnotationTitleChars), summary: truncateSummary(run.Summary), conclusion: run.Conclusion}}
	st, err := p.publish(ctx, runState{})
	if err != nil {
		return st.id, fmt.Errorf("publish check run %q: %w", run.Name, err)
	}
	return st.id, nil
}

// RulesetInfo names an existing repository ruleset.
type RulesetInfo struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Target string `json:"target"`
}

// Rulesets lists owner/repo's rulesets, without those inherited from the
// organisation (GET /repos/{owner}/{repo}/rulesets).
func (c *Client) Rulesets(ctx context.Context, owner, repo string) ([]RulesetInfo, error) {
	out, err := listPages(func(page int) ([]RulesetInfo, error) {
		var items []RulesetInfo
		p := fmt.Sprintf("%s/rulesets?includes_parents=false&per_page=%d&page=%d", repoPath(owner, repo), perPage, page)
		err := c.do(ctx, http.MethodGet, p, nil, &items)
		return items, err
	})
	if err != nil {
		return nil, fmt.Errorf("list rulesets of %s/%s: %w", owner, repo, err)
	}
	return out, nil
}

// CreateRuleset creates a repository ruleset from its JSON body
// (POST /repos/{owner}/{repo}/rulesets) and returns its id. It needs the
// administration: write permission.
func (c *Client) CreateRuleset(ctx context.Context, owner, repo string, body json.RawMessage) (int64, error) {
	var out struct {
		ID int64 `json:"id"`
	}
	if err := c.do(ctx, http.MethodPost, repoPath(owner, repo)+"/rulesets", body, &out); err != nil {
		return 0, fmt.Errorf("create ruleset on %s/%s: %w", owner, repo, err)
	}
	return out.ID, nil
}
