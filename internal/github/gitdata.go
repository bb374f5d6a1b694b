package github

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The Git Data API, pull requests and issue comments: what the App needs
// to open its fix pull requests. Every create is exactly once under a lost
// answer: blobs, trees and commits are content-addressed (sending one
// again stores the same object), and a ref, a pull request or a comment
// is looked up on GitHub before it is sent again.

// ErrRefExists is returned by [Client.CreateRef] when the ref is already
// there pointing elsewhere (GitHub's 422 "Reference already exists").
var ErrRefExists = errors.New("the ref already exists")

// ErrNotFastForward is returned by [Client.UpdateRef] without force when
// the new commit does not descend from the ref's tip (GitHub's 422 "Update
// is not a fast forward").
var ErrNotFastForward = errors.New("the update is not a fast forward")

// Permissions returns the installation's permissions as GitHub granted
// them with its access token ("contents" -> "write", ...): an App's
// installation may lack what the manifest asks for, when the owner has not
// accepted a change of the App's permissions yet.
func (c *Client) Permissions(ctx context.Context) (map[string]string, error) {
	if c.tokens == nil || c.perms == nil {
		return nil, errors.New("the installation's permissions are unknown: no token source")
	}
	if _, err := c.tokens.Token(ctx); err != nil {
		return nil, fmt.Errorf("installation %d token: %w", c.id, err)
	}
	p, ok := c.perms.get()
	if !ok {
		return nil, fmt.Errorf("installation %d: GitHub's access token answer listed no permissions", c.id)
	}
	return p, nil
}

// grantedPermissions keeps the permissions of the installation's latest
// access token. They are read from the answer on its way to
// ghinstallation, whose own copy has no lock against a refresh in
// another request.
type grantedPermissions struct {
	mu sync.Mutex
	m  map[string]string
}

func (g *grantedPermissions) get() (map[string]string, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.m == nil {
		return nil, false
	}
	return maps.Clone(g.m), true
}

// recorder wraps the transport of the App's JWT requests, of which the
// access token's is the one whose permissions it keeps.
func (g *grantedPermissions) recorder(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(req)
		if err != nil || req.Method != http.MethodPost || !strings.HasSuffix(req.URL.Path, "/access_tokens") || resp.StatusCode != http.StatusCreated {
			return resp, err
		}
		body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		if rerr != nil {
			return resp, nil // ghinstallation reports the cut-off body
		}
		var out struct {
			Permissions map[string]string `json:"permissions"`
		}
		if json.Unmarshal(body, &out) == nil && out.Permissions != nil {
			g.mu.Lock()
			g.m = out.Permissions
			g.mu.Unlock()
		}
		return resp, nil
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// createObject posts one git object (kind: blobs, trees, commits) and
// returns its id. Git objects are named by their content: a create whose
// answer was lost is sent once more, harmlessly, as it stores the same
// object under the same id.
func (c *Client) createObject(ctx context.Context, owner, repo, kind string, in any) (string, error) {
	var out struct {
		SHA string `json:"sha"`
	}
	err := c.do(ctx, http.MethodPost, repoPath(owner, repo)+"/git/"+kind, in, &out)
	if IsUncertain(err) && ctx.Err() == nil {
		err = c.do(ctx, http.MethodPost, repoPath(owner, repo)+"/git/"+kind, in, &out)
	}
	return out.SHA, err
}

// CreateBlob stores content as a blob and returns its id. The id is git's
// hash of the content, so a repeated create is harmless.
func (c *Client) CreateBlob(ctx context.Context, owner, repo string, content []byte) (string, error) {
	in := map[string]string{"content": base64.StdEncoding.EncodeToString(content), "encoding": "base64"}
	sha, err := c.createObject(ctx, owner, repo, "blobs", in)
	if err != nil {
		return "", fmt.Errorf("create blob in %s/%s: %w", owner, repo, err)
	}
	if want := BlobSHA(content); sha != want {
		return "", fmt.Errorf("create blob in %s/%s: GitHub answered blob %s, git hashes the content as %s", owner, repo, sha, want)
	}
	return sha, nil
}

// TreeChange is one file of a new tree: its path, git mode ("100644",
// "100755") and blob.
type TreeChange struct {
	Path, Mode, BlobSHA string
}

// CreateTree stores the tree of base with changes applied and returns its
// id; a repeated create stores the same tree.
func (c *Client) CreateTree(ctx context.Context, owner, repo, base string, changes []TreeChange) (string, error) {
	entries := make([]map[string]string, 0, len(changes))
	for _, ch := range changes {
		entries = append(entries, map[string]string{"path": ch.Path, "mode": ch.Mode, "type": "blob", "sha": ch.BlobSHA})
	}
	in := map[string]any{"base_tree": base, "tree": entries}
	sha, err := c.createObject(ctx, owner, repo, "trees", in)
	if err != nil {
		return "", fmt.Errorf("create tree in %s/%s: %w", owner, repo, err)
	}
	return sha, nil
}

// Identity is a commit's author or committer.
type Identity struct {
	Name  string    `json:"name"`
	Email string    `json:"email"`
	Date  time.Time `json:"-"`
}

// Commit is a commit as the Git Data API shows it.
type Commit struct {
	SHA       string
	Tree      string
	Parents   []string
	Message   string
	Committer Identity
}

// CreateCommit stores a commit of tree on parents. With the committer's
// date given the commit is fully determined by its arguments, so a
// repeated create (after a lost answer) stores the same object.
func (c *Client) CreateCommit(ctx context.Context, owner, repo, message, tree string, parents []string, who Identity) (string, error) {
	person := map[string]string{"name": who.Name, "email": who.Email, "date": who.Date.UTC().Format(time.RFC3339)}
	in := map[string]any{"message": message, "tree": tree, "parents": parents, "author": person, "committer": person}
	sha, err := c.createObject(ctx, owner, repo, "commits", in)
	if err != nil {
		return "", fmt.Errorf("create commit in %s/%s: %w", owner, repo, err)
	}
	return sha, nil
}

// GetCommit returns commit sha (GET .../git/commits/{sha}).
func (c *Client) GetCommit(ctx context.Context, owner, repo, sha string) (Commit, error) {
	var out struct {
		SHA     string `json:"sha"`
		Message string `json:"message"`
		Tree    struct {
			SHA string `json:"sha"`
		} `json:"tree"`
		Parents []struct {
			SHA string `json:"sha"`
		} `json:"parents"`
		Committer struct {
			Name  string `json:"name"`
			Email string `json:"email"`
			Date  string `json:"date"`
		} `json:"committer"`
	}
	if err := c.do(ctx, http.MethodGet, repoPath(owner, repo)+"/git/commits/"+pathEscape(sha), nil, &out); err != nil {
		return Commit{}, fmt.Errorf("get commit %s of %s/%s: %w", sha, owner, repo, err)
	}
	cm := Commit{SHA: out.SHA, Tree: out.Tree.SHA, Message: out.Message,
		Committer: Identity{Name: out.Committer.Name, Email: out.Committer.Email}}
	cm.Committer.Date, _ = time.Parse(time.RFC3339, out.Committer.Date)
	for _, p := range out.Parents {
		cm.Parents = append(cm.Parents, p.SHA)
	}
	return cm, nil
}

// CreateRef creates ref ("refs/heads/x") at sha. After a lost answer the
// ref is read back: pointing at sha, it was created.
func (c *Client) CreateRef(ctx context.Context, owner, repo, ref, sha string) error {
	in := map[string]string{"ref": ref, "sha": sha}
	err := c.do(ctx, http.MethodPost, repoPath(owner, repo)+"/git/refs", in, nil)
	if IsUncertain(err) && ctx.Err() == nil {
		got, _, lerr := c.RefTarget(ctx, owner, repo, ref)
		switch {
		case lerr != nil:
			err = fmt.Errorf("%w; then looking whether it landed: %w", err, lerr)
		case got == sha:
			err = nil
		case got == "":
			err = c.do(ctx, http.MethodPost, repoPath(owner, repo)+"/git/refs", in, nil)
		}
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusUnprocessableEntity && strings.Contains(apiErr.Message, "already exists") {
		return fmt.Errorf("create %s in %s/%s: %w", ref, owner, repo, ErrRefExists)
	}
	if err != nil {
		return fmt.Errorf("create %s in %s/%s: %w", ref, owner, repo, err)
	}
	return nil
}

// UpdateRef moves ref ("refs/heads/x") to sha; force allows an update
// that is not a fast forward. Setting a ref to a value is idempotent, so
// after a lost answer the ref is read back and, without force, the update
// sent again if it did not land (GitHub refuses it if someone else moved
// the ref meanwhile). A forced update is not sent again: a ref pointing
// elsewhere may be a commit someone pushed after the update landed, which
// a second forced update would throw away, so the caller gets the error
// and looks at the ref's tip again before it forces anything.
func (c *Client) UpdateRef(ctx context.Context, owner, repo, ref, sha string, force bool) error {
	short, ok := strings.CutPrefix(ref, "refs/")
	if !ok {
		return fmt.Errorf("ref %q is not a full name like refs/heads/x", ref)
	}
	p := repoPath(owner, repo) + "/git/refs/" + escapeSegments(short)
	in := map[string]any{"sha": sha, "force": force}
	err := c.do(ctx, http.MethodPatch, p, in, nil)
	if IsUncertain(err) && ctx.Err() == nil {
		got, _, lerr := c.RefTarget(ctx, owner, repo, ref)
		switch {
		case lerr != nil:
			err = fmt.Errorf("%w; then looking whether it landed: %w", err, lerr)
		case got == sha:
			err = nil
		case force:
			err = fmt.Errorf("%w; %s now points at %s, and a forced update is not sent again over what may be someone else's commit", err, ref, got)
		default:
			err = c.do(ctx, http.MethodPatch, p, in, nil)
		}
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusUnprocessableEntity && strings.Contains(apiErr.Message, "fast forward") {
		return fmt.Errorf("update %s of %s/%s: %w", ref, owner, repo, ErrNotFastForward)
	}
	if err != nil {
		return fmt.Errorf("update %s of %s/%s: %w", ref, owner, repo, err)
	}
	return nil
}

// Pull is a pull request as the App needs it.
type Pull struct {
	Number  int
	State   string // "open" or "closed"
	Title   string
	Body    string
	HeadSHA string
	HeadRef string // the branch, "contractbot/fix"
	BaseRef string
	User    string // login of its author
	Merged  bool
}

type apiPull struct {
	Number int    `json:"number"`
	State  string `json:"state"`
	Title  string `json:"title"`
	Body   string `json:"body"`
	User   struct {
		Login string `json:"login"`
	} `json:"user"`
	Head struct {
		Ref string `json:"ref"`
		SHA string `json:"sha"`
	} `json:"head"`
	Base struct {
		Ref string `json:"ref"`
	} `json:"base"`
	MergedAt *string `json:"merged_at"`
}

func (p apiPull) pull() Pull {
	return Pull{Number: p.Number, State: p.State, Title: p.Title, Body: p.Body, HeadSHA: p.Head.SHA,
		HeadRef: p.Head.Ref, BaseRef: p.Base.Ref, User: p.User.Login, Merged: p.MergedAt != nil && *p.MergedAt != ""}
}

// ListPulls returns the pull requests of owner/repo from branch head of
// the same repository, in state ("open", "closed" or "all"), newest first
// (GET .../pulls?head=owner:branch).
func (c *Client) ListPulls(ctx context.Context, owner, repo, head, state string) ([]Pull, error) {
	items, err := listPages(func(page int) ([]apiPull, error) {
		q := url.Values{"head": {owner + ":" + head}, "state": {state}, "per_page": {strconv.Itoa(perPage)}, "page": {strconv.Itoa(page)}}
		var items []apiPull
		err := c.do(ctx, http.MethodGet, repoPath(owner, repo)+"/pulls?"+q.Encode(), nil, &items)
		return items, err
	})
	if err != nil {
		return nil, fmt.Errorf("list pull requests of %s/%s from %s: %w", owner, repo, head, err)
	}
	out := make([]Pull, 0, len(items))
	for _, it := range items {
		out = append(out, it.pull())
	}
	return out, nil
}

// ListOpenPulls returns the open pull requests of owner/repo into base,
// newest first (GET .../pulls?state=open&base=base). A listing cut at its
// bound fails with [ErrListTooLong]: a caller acting on what is missing
// must treat that as "unknown".
func (c *Client) ListOpenPulls(ctx context.Context, owner, repo, base string) ([]Pull, error) {
	items, err := listPages(func(page int) ([]apiPull, error) {
		q := url.Values{"base": {base}, "state": {"open"}, "per_page": {strconv.Itoa(perPage)}, "page": {strconv.Itoa(page)}}
		var items []apiPull
		err := c.do(ctx, http.MethodGet, repoPath(owner, repo)+"/pulls?"+q.Encode(), nil, &items)
		return items, err
	})
	if err != nil {
		return nil, fmt.Errorf("list open pull requests of %s/%s into %s: %w", owner, repo, base, err)
	}
	out := make([]Pull, 0, len(items))
	for _, it := range items {
		out = append(out, it.pull())
	}
	return out, nil
}

// CreatePull opens a pull request of branch head into base. After a lost
// answer the open pull requests from head are listed first; one into base
// is the one this create opened, and is returned instead of a second.
func (c *Client) CreatePull(ctx context.Context, owner, repo, title, head, base, body string) (int, error) {
	in := map[string]any{"title": title, "head": head, "base": base, "body": body, "maintainer_can_modify": false}
	look := func(ctx context.Context) (int64, error) {
		open, err := c.ListPulls(ctx, owner, repo, head, "open")
		if err != nil {
			return 0, err
		}
		for _, p := range open {
			if p.BaseRef == base {
				return int64(p.Number), nil
			}
		}
		return 0, nil
	}
	var out struct {
		Number int `json:"number"`
	}
	for looked := 0; ; looked++ {
		err := c.do(ctx, http.MethodPost, repoPath(owner, repo)+"/pulls", in, &out)
		if err == nil {
			return out.Number, nil
		}
		if !IsUncertain(err) || ctx.Err() != nil || looked+1 >= c.apps.cfg.maxAttempts {
			return 0, fmt.Errorf("open a pull request from %s in %s/%s: %w", head, owner, repo, err)
		}
		if serr := c.apps.cfg.clock.Sleep(ctx, c.apps.cfg.backoff(looked+1)); serr != nil {
			return 0, fmt.Errorf("open a pull request from %s in %s/%s: %w", head, owner, repo, err)
		}
		n, lerr := look(ctx)
		if lerr != nil {
			return 0, fmt.Errorf("open a pull request from %s in %s/%s: %w; then looking whether it landed: %w", head, owner, repo, err, lerr)
		}
		if n != 0 {
			return int(n), nil
		}
	}
}

// PullUpdate is what [Client.UpdatePull] changes; empty fields stay.
type PullUpdate struct {
	Title string `json:"title,omitempty"`
	Body  string `json:"body,omitempty"`
	State string `json:"state,omitempty"` // "closed" closes it
}

// UpdatePull edits pull request number. Setting fields to values is
// idempotent, so a lost answer is simply sent again (the transport's
// retries excepted, which never repeat a write).
func (c *Client) UpdatePull(ctx context.Context, owner, repo string, number int, u PullUpdate) error {
	p := repoPath(owner, repo) + "/pulls/" + strconv.Itoa(number)
	err := c.do(ctx, http.MethodPatch, p, u, nil)
	if IsUncertain(err) && ctx.Err() == nil {
		err = c.do(ctx, http.MethodPatch, p, u, nil)
	}
	if err != nil {
		return fmt.Errorf("update %s/%s#%d: %w", owner, repo, number, err)
	}
	return nil
}

// IssueComments returns the bodies of the comments on issue or pull
// request number, oldest first.
func (c *Client) IssueComments(ctx context.Context, owner, repo string, number int) ([]string, error) {
	comments, err := c.issueComments(ctx, owner, repo, number)
	if err != nil {
		return nil, err
	}
	bodies := make([]string, 0, len(comments))
	for _, cm := range comments {
		bodies = append(bodies, cm.Body)
	}
	return bodies, nil
}

// issueComment is a comment on an issue or pull request.
type issueComment struct {
	ID   int64  `json:"id"`
	Body string `json:"body"`
}

// issueComments lists the comments on issue or pull request number,
// oldest first (GET /repos/{owner}/{repo}/issues/{n}/comments).
func (c *Client) issueComments(ctx context.Context, owner, repo string, number int) ([]issueComment, error) {
	comments, err := listPages(func(page int) ([]issueComment, error) {
		var items []issueComment
		p := fmt.Sprintf("%s/issues/%d/comments?per_page=%d&page=%d", repoPath(owner, repo), number, perPage, page)
		err := c.do(ctx, http.MethodGet, p, nil, &items)
		return items, err
	})
	if err != nil {
		return nil, fmt.Errorf("list comments of %s/%s#%d: %w", owner, repo, number, err)
	}
	return comments, nil
}

// CreateIssueComment comments on issue or pull request number and returns
// the comment's id. After a lost answer the comments are read back and
// the one with this body counts as this comment: its id is returned, as
// a caller may edit or cite the comment by it.
func (c *Client) CreateIssueComment(ctx context.Context, owner, repo string, number int, body string) (int64, error) {
	look := func(ctx context.Context) (int64, error) {
		comments, err := c.issueComments(ctx, owner, repo, number)
		if err != nil {
			return 0, err
		}
		for _, cm := range comments {
			if cm.Body == body {
				return cm.ID, nil
			}
		}
		return 0, nil
	}
	id, err := c.writeOnce(ctx, http.MethodPost, fmt.Sprintf("%s/issues/%d/comments", repoPath(owner, repo), number), map[string]string{"body": body}, look)
	if err != nil {
		return 0, fmt.Errorf("comment on %s/%s#%d: %w", owner, repo, number, err)
	}
	return id, nil
}

// AppendToCheckRun adds note to the summary of the check run named name
// with externalID on sha, unless the summary carries it already; it
// returns false when there is no such run.
//
// GitHub has no conditional update of a check run, so a note is a read,
// then a PATCH of the whole output. Nothing upstream serializes those
// writes: in the soa repository each service's fix pull request job has
// its own queue key and notes on the same check run, and the queue runs
// tasks of different keys at once, on one replica or several. So the notes on one run take turns within the
// process ([runLocks]); a PATCH whose answer was lost is never sent again
// blindly, as another note may have landed since and the resend would
// erase it: the run is read again and the note written over what it
// holds then, if it is not there; and every write is read back, so that a
// note another replica overwrote with what it read before is written
// again, up to the client's attempts. What is left is a replica's stale
// PATCH landing after this one was read back (closing that needs the
// queue to serialize the notes of one run across replicas).
//
// The App's publication of the run itself does not overwrite a note: a
// note follows the run's completion (the fix pull request job is queued
// after the check), and a resumed publication of a completed run writes
// nothing.
func (c *Client) AppendToCheckRun(ctx context.Context, owner, repo, sha, name, externalID, note string) (bool, error) {
	r, err := c.findCheckRun(ctx, owner, repo, sha, name, externalID)
	if err != nil || r == nil {
		return false, err
	}
	unlock, err := c.apps.notes.lock(ctx, r.ID)
	if err != nil {
		return false, fmt.Errorf("note on check run %d: %w", r.ID, err)
	}
	defer unlock()
	cfg := &c.apps.cfg
	p := repoPath(owner, repo) + "/check-runs/" + strconv.FormatInt(r.ID, 10)
	var lastErr error
	for writes := 0; ; writes++ {
		var cur struct {
			Output struct {
				Title   string `json:"title"`
				Summary string `json:"summary"`
			} `json:"output"`
		}
		if err := c.do(ctx, http.MethodGet, p, nil, &cur); err != nil {
			if lastErr != nil {
				return false, fmt.Errorf("update check run %d: %w; then looking whether it landed: %w", r.ID, lastErr, err)
			}
			return false, fmt.Errorf("get check run %d: %w", r.ID, err)
		}
		if strings.Contains(cur.Output.Summary, note) {
			return true, nil
		}
		if writes >= cfg.maxAttempts {
			if lastErr != nil {
				return false, fmt.Errorf("update check run %d: %w", r.ID, lastErr)
			}
			return false, fmt.Errorf("update check run %d: the note was overwritten %d times by concurrent writers", r.ID, writes)
		}
		summary := truncateSummary(note + "\n\n" + cur.Output.Summary)
		in := map[string]any{"output": map[string]string{"title": cur.Output.Title, "summary": summary}}
		err := c.do(ctx, http.MethodPatch, p, in, nil)
		switch {
		case err == nil:
			lastErr = nil // read back next
		case !IsUncertain(err) || ctx.Err() != nil:
			return false, fmt.Errorf("update check run %d: %w", r.ID, err)
		default:
			lastErr = err
			if serr := cfg.clock.Sleep(ctx, cfg.backoff(writes+1)); serr != nil {
				return false, fmt.Errorf("update check run %d: %w", r.ID, err)
			}
		}
	}
}

// runLocks makes the notes on one check run take turns within the
// process ([Client.AppendToCheckRun]); the clients of every installation
// share it through their [Apps].
type runLocks struct {
	mu sync.Mutex
	m  map[int64]*runLock
}

// runLock is one run's turn (a one-slot channel, so that a wait ends with
// its context) and how many callers hold or wait for it.
type runLock struct {
	turn  chan struct{}
	users int
}

// lock waits for the turn of run id and returns its release.
func (l *runLocks) lock(ctx context.Context, id int64) (func(), error) {
	l.mu.Lock()
	if l.m == nil {
		l.m = map[int64]*runLock{}
	}
	rl := l.m[id]
	if rl == nil {
		rl = &runLock{turn: make(chan struct{}, 1)}
		l.m[id] = rl
	}
	rl.users++
	l.mu.Unlock()
	done := func() {
		l.mu.Lock()
		if rl.users--; rl.users == 0 {
			delete(l.m, id)
		}
		l.mu.Unlock()
	}
	select {
	case rl.turn <- struct{}{}:
		return func() { <-rl.turn; done() }, nil
	case <-ctx.Done():
		done()
		return nil, ctx.Err()
	}
}
