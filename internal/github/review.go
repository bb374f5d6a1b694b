package github

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/contractbot/contractbot/internal/diff"
)

// Pull request reviews: the files of a pull request with their diff hunks,
// the review comments already there, and new reviews, file-level comments
// and replies.

// Limits of the pull request endpoints.
const (
	// maxListPages bounds how many pages of 100 a listing reads: GitHub lists
	// at most 3000 files of a pull request, and a pull request with more
	// than 3000 review comments is not worth reading in full.
	maxListPages = 30
	perPage      = 100
)

// ErrListTooLong is returned by a listing with more than maxListPages full
// pages: what it did not read may hold what the caller looks for (its own
// comment, an open pull request), so it gets no partial list to act on.
var ErrListTooLong = fmt.Errorf("more than %d pages of %d", maxListPages, perPage)

// listPages reads a listing page by page, get(1), get(2), ..., until a
// page holds fewer than perPage items, and fails closed with
// [ErrListTooLong] after maxListPages full pages: a caller handed a cut
// list would decide that something is not there and write it twice.
func listPages[T any](get func(page int) ([]T, error)) ([]T, error) {
	var out []T
	for page := 1; page <= maxListPages; page++ {
		items, err := get(page)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if len(items) < perPage {
			return out, nil
		}
	}
	return nil, ErrListTooLong
}

// PullFile is one file a pull request changes.
type PullFile struct {
	Path   string
	Status string // added, removed, modified, renamed, copied, changed, unchanged
	// Hunks is the parsed patch; nil when GitHub sent none (a binary file,
	// or a diff too large to show).
	Hunks *diff.File
}

// PullFiles lists the files of pull request number with their hunks
// (GET /repos/{owner}/{repo}/pulls/{n}/files, 100 per page).
func (c *Client) PullFiles(ctx context.Context, owner, repo string, number int) ([]PullFile, error) {
	type item struct {
		Filename string  `json:"filename"`
		Status   string  `json:"status"`
		Patch    *string `json:"patch"`
	}
	items, err := listPages(func(page int) ([]item, error) {
		var items []item
		p := fmt.Sprintf("%s/pulls/%d/files?per_page=%d&page=%d", repoPath(owner, repo), number, perPage, page)
		err := c.do(ctx, http.MethodGet, p, nil, &items)
		return items, err
	})
	if err != nil {
		return nil, fmt.Errorf("list files of %s/%s#%d: %w", owner, repo, number, err)
	}
	out := make([]PullFile, 0, len(items))
	for _, it := range items {
		f := PullFile{Path: it.Filename, Status: it.Status}
		if it.Patch != nil {
			h, err := diff.Parse(*it.Patch)
			if err != nil {
				return nil, fmt.Errorf("list files of %s/%s#%d: %s: %w", owner, repo, number, it.Filename, err)
			}
			f.Hunks = h
		}
		out = append(out, f)
	}
	return out, nil
}

// ReviewComment is a review comment already on a pull request.
type ReviewComment struct {
	ID        int64
	InReplyTo int64 // 0 for the first comment of a thread
	Path      string
	Line      int // 0 for a file-level comment or an outdated one
	Body      string
	User      string // login of the author
}

// ReviewComments lists every review comment of pull request number, oldest
// first (GET /repos/{owner}/{repo}/pulls/{n}/comments).
func (c *Client) ReviewComments(ctx context.Context, owner, repo string, number int) ([]ReviewComment, error) {
	type item struct {
		ID        int64  `json:"id"`
		InReplyTo int64  `json:"in_reply_to_id"`
		Path      string `json:"path"`
		Line      *int   `json:"line"`
		Body      string `json:"body"`
		User      *struct {
			Login string `json:"login"`
		} `json:"user"`
	}
	items, err := listPages(func(page int) ([]item, error) {
		var items []item
		p := fmt.Sprintf("%s/pulls/%d/comments?per_page=%d&page=%d", repoPath(owner, repo), number, perPage, page)
		err := c.do(ctx, http.MethodGet, p, nil, &items)
		return items, err
	})
	if err != nil {
		return nil, fmt.Errorf("list review comments of %s/%s#%d: %w", owner, repo, number, err)
	}
	out := make([]ReviewComment, 0, len(items))
	for _, it := range items {
		rc := ReviewComment{ID: it.ID, InReplyTo: it.InReplyTo, Path: it.Path, Body: it.Body}
		if it.Line != nil {
			rc.Line = *it.Line
		}
		if it.User != nil {
			rc.User = it.User.Login
		}
		out = append(out, rc)
	}
	return out, nil
}

// LineComment is one comment of a new review, on lines StartLine through
// Line (RIGHT side) of Path; StartLine 0 means a single line.
type LineComment struct {
	Path      string
	StartLine int
	Line      int
	Body      string
}

// Review is a review to submit on a pull request.
type Review struct {
	CommitID string
	Body     string
	// Event is "COMMENT" (the default) or "REQUEST_CHANGES".
	Event    string
	Comments []LineComment
}

type reviewCommentRequest struct {
	Path      string `json:"path"`
	Body      string `json:"body"`
	Line      int    `json:"line"`
	Side      string `json:"side"`
	StartLine int    `json:"start_line,omitempty"`
	StartSide string `json:"start_side,omitempty"`
}

// CreateReview submits rv on pull request number in one request
// (POST /repos/{owner}/{repo}/pulls/{n}/reviews) and returns the review id.
// GitHub refuses the whole review with 422 when one comment is not on a
// line of the diff, so callers place comments with [PullFile.Hunks] first.
func (c *Client) CreateReview(ctx context.Context, owner, repo string, number int, rv Review) (int64, error) {
	if rv.Event == "" {
		rv.Event = "COMMENT"
	}
	body := struct {
		CommitID string                 `json:"commit_id"`
		Body     string                 `json:"body"`
		Event    string                 `json:"event"`
		Comments []reviewCommentRequest `json:"comments,omitempty"`
	}{CommitID: rv.CommitID, Body: rv.Body, Event: rv.Event}
	for _, lc := range rv.Comments {
		r := reviewCommentRequest{Path: lc.Path, Body: lc.Body, Line: lc.Line, Side: "RIGHT"}
		if lc.StartLine > 0 && lc.StartLine < lc.Line {
			r.StartLine, r.StartSide = lc.StartLine, "RIGHT"
		}
		body.Comments = append(body.Comments, r)
	}
	// A review whose answer was lost is found by its commit and body: the
	// body and its comments carry the findings' fingerprints.
	look := func(ctx context.Context) (int64, error) {
		return c.findReview(ctx, owner, repo, number, rv.CommitID, rv.Body)
	}
	id, err := c.writeOnce(ctx, http.MethodPost, repoPath(owner, repo)+"/pulls/"+strconv.Itoa(number)+"/reviews", body, look)
	if err != nil {
		return 0, fmt.Errorf("create review on %s/%s#%d: %w", owner, repo, number, err)
	}
	return id, nil
}

// findReview returns the id of the review of pull request number on
// commitID with this body, or 0 (GET /repos/{owner}/{repo}/pulls/{n}/reviews).
func (c *Client) findReview(ctx context.Context, owner, repo string, number int, commitID, body string) (int64, error) {
	type item struct {
		ID       int64  `json:"id"`
		CommitID string `json:"commit_id"`
		Body     string `json:"body"`
	}
	items, err := listPages(func(page int) ([]item, error) {
		var items []item
		p := fmt.Sprintf("%s/pulls/%d/reviews?per_page=%d&page=%d", repoPath(owner, repo), number, perPage, page)
		err := c.do(ctx, http.MethodGet, p, nil, &items)
		return items, err
	})
	if err != nil {
		return 0, fmt.Errorf("list reviews of %s/%s#%d: %w", owner, repo, number, err)
	}
	for _, it := range items {
		if it.CommitID == commitID && it.Body == body {
			return it.ID, nil
		}
	}
	return 0, nil
}

// writeOnce sends a POST that creates one thing and returns its id. When
// the outcome is unknown ([UncertainError]) it waits a backoff and calls
// look, which returns the id of what the write created if GitHub carried
// it out (0 if not); only then is the write sent again, up to the
// client's attempts.
func (c *Client) writeOnce(ctx context.Context, method, path string, in any, look func(context.Context) (int64, error)) (int64, error) {
	cfg := &c.apps.cfg
	for looked := 0; ; {
		var out struct {
			ID int64 `json:"id"`
		}
		err := c.do(ctx, method, path, in, &out)
		if err == nil {
			return out.ID, nil
		}
		if !IsUncertain(err) || ctx.Err() != nil || looked+1 >= cfg.maxAttempts {
			return 0, err
		}
		looked++
		if serr := cfg.clock.Sleep(ctx, cfg.backoff(looked)); serr != nil {
			return 0, err
		}
		id, lerr := look(ctx)
		if lerr != nil {
			return 0, fmt.Errorf("%w; then looking whether it landed: %w", err, lerr)
		}
		if id != 0 {
			return id, nil
		}
	}
}

// CreateFileComment comments on file path of pull request number as a whole
// (subject_type "file"): for a finding in a changed file but outside its
// hunks, where GitHub accepts no line comment.
func (c *Client) CreateFileComment(ctx context.Context, owner, repo string, number int, commitID, path, body string) (int64, error) {
	in := map[string]any{"commit_id": commitID, "path": path, "body": body, "subject_type": "file"}
	return c.createComment(ctx, owner, repo, number, in)
}

// ReplyToComment answers the thread of review comment id. GitHub's REST
// API cannot resolve a thread (that takes the GraphQL
// resolveReviewThread mutation), so a fixed finding is marked by a reply.
func (c *Client) ReplyToComment(ctx context.Context, owner, repo string, number int, commitID, path string, id int64, body string) (int64, error) {
	in := map[string]any{"commit_id": commitID, "path": path, "body": body, "in_reply_to": id}
	return c.createComment(ctx, owner, repo, number, in)
}

func (c *Client) createComment(ctx context.Context, owner, repo string, number int, in map[string]any) (int64, error) {
	// A comment whose answer was lost is found by its path, thread and
	// body, which carries the finding's fingerprint (or the fixed marker
	// and the commit of a reply).
	path, _ := in["path"].(string)
	body, _ := in["body"].(string)
	replyTo, _ := in["in_reply_to"].(int64)
	look := func(ctx context.Context) (int64, error) {
		comments, err := c.ReviewComments(ctx, owner, repo, number)
		if err != nil {
			return 0, err
		}
		for _, rc := range comments {
			if rc.Body == body && rc.InReplyTo == replyTo && (replyTo != 0 || rc.Path == path) {
				return rc.ID, nil
			}
		}
		return 0, nil
	}
	id, err := c.writeOnce(ctx, http.MethodPost, repoPath(owner, repo)+"/pulls/"+strconv.Itoa(number)+"/comments", in, look)
	if err != nil {
		return 0, fmt.Errorf("comment on %s/%s#%d: %w", owner, repo, number, err)
	}
	return id, nil
}

// PullHead returns the head commit of pull request number and whether the
// pull request is open (GET /repos/{owner}/{repo}/pulls/{n}).
func (c *Client) PullHead(ctx context.Context, owner, repo string, number int) (sha string, open bool, err error) {
	var out struct {
		State string `json:"state"`
		Head  struct {
			SHA string `json:"sha"`
		} `json:"head"`
	}
	if err := c.do(ctx, http.MethodGet, repoPath(owner, repo)+"/pulls/"+strconv.Itoa(number), nil, &out); err != nil {
		return "", false, fmt.Errorf("get %s/%s#%d: %w", owner, repo, number, err)
	}
	return out.Head.SHA, out.State == "open", nil
}
