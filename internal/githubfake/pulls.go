package githubfake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/contractbot/contractbot/internal/diff"
)

// Pull requests, their files and review comments (pulls/get,
// pulls/list-files, pulls/list-reviews, pulls/create-review,
// pulls/list-review-comments, pulls/create-review-comment). A pull
// request's files are computed as GitHub computes them: a real line diff
// between the trees of its base and head commits, and review comments are
// accepted only on lines of that diff's hunks (RIGHT side), as GitHub
// answers 422 otherwise.

// maxPatchBytes is the size beyond which the fake, like GitHub, leaves a
// file's patch out of pulls/list-files.
const maxPatchBytes = 1 << 20

// extState is what the fake holds beyond branches and check runs: pull
// requests, reviews, tags and rulesets. It is guarded by Server.mu.
type extState struct {
	pulls    map[string][]*pull // by repository key
	comments []*ReviewComment
	reviews  []*Review
	tags     map[string]map[string]string // repository key -> tag name -> object id
	rulesets []*Ruleset
	deleted  []string                    // "owner/repo refs/..." of deleted refs
	perms    map[int64]map[string]string // installation -> permission -> level, beyond the defaults
	// issueComments are the comments on pull requests (pullswrite.go).
	issueComments []*IssueComment
}

func (e *extState) init() {
	if e.pulls == nil {
		e.pulls = map[string][]*pull{}
		e.tags = map[string]map[string]string{}
	}
}

type pull struct {
	number     int
	base, head string // branch names
	// Set by pulls/create and pulls/update (pullswrite.go); a pull
	// request opened with OpenPull has none, and is open.
	title, body string
	closed      bool
	byApp       bool  // opened by the App (its bot is the author)
	seq         int64 // creation order among the repository's issues (issues.go)
	// headGone is the head commit when branch head was deleted: GitHub
	// keeps the pull request's head (and refs/pull/N/head) there, and a
	// new branch of that name is not this pull request's.
	headGone string
}

// headSHA is the pull request's head commit: its branch's, or where the
// branch was when it was deleted (s.mu held).
func (p *pull) headSHA(r *repo) string {
	if p.headGone != "" {
		return p.headGone
	}
	return r.branches[p.head]
}

// ReviewComment is a pull request review comment as the fake holds it.
type ReviewComment struct {
	ID          int64
	Owner, Repo string
	Number      int
	ReviewID    int64
	InReplyTo   int64
	CommitID    string
	Path        string
	Line        int // 0 for a file-level comment or a reply
	StartLine   int
	SubjectType string // "line" or "file"
	Body        string
	DiffHunk    string
}

// Review is a pull request review as the fake holds it.
type Review struct {
	ID          int64
	Owner, Repo string
	Number      int
	CommitID    string
	Event       string
	Body        string
	Comments    int
}

// OpenPull opens a pull request of branch head into branch base (both
// pushed with [Server.Push]) and returns its number. Its head follows
// later pushes to head, as on GitHub.
func (s *Server) OpenPull(owner, repo, base, head string) int {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ext.init()
	key := strings.ToLower(owner + "/" + repo)
	r := s.repos[key]
	if r == nil || r.branches[base] == "" || r.branches[head] == "" {
		s.t.Fatalf("githubfake: OpenPull: %s/%s needs branches %q and %q", owner, repo, base, head)
		return 0
	}
	n := len(s.ext.pulls[key]) + 1
	s.ext.pulls[key] = append(s.ext.pulls[key], &pull{number: n, base: base, head: head, seq: s.iss.next()})
	return n
}

// ReviewComments returns the review comments of pull request number, oldest
// first.
func (s *Server) ReviewComments(owner, repo string, number int) []ReviewComment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ReviewComment
	for _, c := range s.ext.comments {
		if strings.EqualFold(c.Owner, owner) && strings.EqualFold(c.Repo, repo) && c.Number == number {
			out = append(out, *c)
		}
	}
	return out
}

// Reviews returns the reviews of pull request number, oldest first.
func (s *Server) Reviews(owner, repo string, number int) []Review {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Review
	for _, rv := range s.ext.reviews {
		if strings.EqualFold(rv.Owner, owner) && strings.EqualFold(rv.Repo, repo) && rv.Number == number {
			out = append(out, *rv)
		}
	}
	return out
}

// exampleValue returns a deep copy of one of GitHub's named examples as an
// object; for a list example, its first item.
func (s *Server) exampleValue(name string) map[string]any {
	ex := s.spec.doc.Components.Examples[name]
	if ex == nil || ex.Value == nil {
		s.violation("no example %q in GitHub's description", name)
		return map[string]any{}
	}
	v := ex.Value.Value
	if list, ok := v.([]any); ok && len(list) > 0 {
		v = list[0]
	}
	b, err := json.Marshal(v)
	var m map[string]any
	if err == nil {
		err = json.Unmarshal(b, &m)
	}
	if err != nil {
		s.violation("example %q: %v", name, err)
		return map[string]any{}
	}
	return m
}

// findPull returns pull request number of r (s.mu held).
func (s *Server) findPull(r *repo, numStr string) *pull {
	n, err := strconv.Atoi(numStr)
	if err != nil {
		return nil
	}
	for _, p := range s.ext.pulls[strings.ToLower(r.owner+"/"+r.name)] {
		if p.number == n {
			return p
		}
	}
	return nil
}

// pullFile is one changed file of a pull request.
type pullFile struct {
	path, status, sha  string
	additions, deletes int
	patch              string
	hunks              *diff.File
	binary             bool
}

// blobsAt maps each file path of a commit to its blob id.
func blobsAt(r *repo, commit string) map[string]string {
	out := map[string]string{}
	c := r.objects[commit]
	if c == nil || c.typ != typeCommit {
		return out
	}
	r.objects.walkTree(c.tree, "", true, func(p string, e treeEntry) {
		if e.typ() == typeBlob {
			out[p] = e.sha
		}
	})
	return out
}

// pullFiles diffs the base branch's head against the pull request's head,
// file by file, in path order (s.mu held).
func (s *Server) pullFiles(r *repo, p *pull) []pullFile {
	oldB, newB := blobsAt(r, r.branches[p.base]), blobsAt(r, p.headSHA(r))
	paths := map[string]bool{}
	for k := range oldB {
		paths[k] = true
	}
	for k := range newB {
		paths[k] = true
	}
	var out []pullFile
	for _, path := range slices.Sorted(func(yield func(string) bool) {
		for k := range paths {
			if !yield(k) {
				return
			}
		}
	}) {
		o, n := oldB[path], newB[path]
		if o == n {
			continue
		}
		f := pullFile{path: path, status: "modified", sha: n}
		switch {
		case o == "":
			f.status = "added"
		case n == "":
			f.status, f.sha = "removed", o
		}
		var oldText, newText []byte
		if o != "" {
			oldText = r.objects[o].data
		}
		if n != "" {
			newText = r.objects[n].data
		}
		if slices.Contains(oldText, 0) || slices.Contains(newText, 0) || len(oldText) > maxPatchBytes || len(newText) > maxPatchBytes {
			f.binary = true
		} else {
			f.patch = diff.Unified(string(oldText), string(newText), diff.DefaultContext)
			parsed, err := diff.Parse(f.patch)
			if err != nil {
				s.violation("fake's own patch of %s does not parse: %v", path, err)
				parsed = &diff.File{}
			}
			f.hunks = parsed
			for _, h := range parsed.Hunks {
				for _, l := range h.Lines {
					switch l.Kind {
					case diff.Added:
						f.additions++
					case diff.Deleted:
						f.deletes++
					}
				}
			}
		}
		out = append(out, f)
	}
	return out
}

// page cuts items by GitHub's per_page (default 30, at most 100) and page
// (from 1) query parameters ([paging]).
func page[T any](req *http.Request, items []T) []T {
	per, pg := paging(req)
	start := min((pg-1)*per, len(items))
	return items[start:min(start+per, len(items))]
}

func (s *Server) getPull(r *repo, numStr string) reply {
	p := s.findPull(r, numStr)
	if p == nil {
		return errReply(http.StatusNotFound, "Not Found")
	}
	return ok(s.pullBody(r, p, "pull-request"))
}

func (s *Server) listPullFiles(req *http.Request, r *repo, numStr string) reply {
	p := s.findPull(r, numStr)
	if p == nil {
		return errReply(http.StatusNotFound, "Not Found")
	}
	files := s.pullFiles(r, p)
	head := p.headSHA(r)
	items := []any{}
	for _, f := range page(req, files) {
		m := s.exampleValue("diff-entry-items")
		m["sha"] = f.sha
		m["filename"] = f.path
		m["status"] = f.status
		m["additions"] = f.additions
		m["deletions"] = f.deletes
		m["changes"] = f.additions + f.deletes
		m["blob_url"] = "https://github.com/" + r.owner + "/" + r.name + "/blob/" + head + "/" + f.path
		m["raw_url"] = "https://github.com/" + r.owner + "/" + r.name + "/raw/" + head + "/" + f.path
		m["contents_url"] = s.apiURL("repos/" + r.owner + "/" + r.name + "/contents/" + f.path + "?ref=" + head)
		delete(m, "previous_filename")
		if f.binary {
			delete(m, "patch")
		} else {
			m["patch"] = f.patch
		}
		items = append(items, m)
	}
	return ok(items)
}

func (s *Server) listReviews(req *http.Request, r *repo, numStr string) reply {
	p := s.findPull(r, numStr)
	if p == nil {
		return errReply(http.StatusNotFound, "Not Found")
	}
	var mine []*Review
	for _, rv := range s.ext.reviews {
		if rv.Owner == r.owner && rv.Repo == r.name && rv.Number == p.number {
			mine = append(mine, rv)
		}
	}
	items := []any{}
	for _, rv := range page(req, mine) {
		items = append(items, s.reviewBody(r, rv))
	}
	return ok(items)
}

func (s *Server) reviewBody(r *repo, rv *Review) map[string]any {
	m := s.exampleValue("pull-request-review")
	m["id"] = rv.ID
	m["node_id"] = base64.StdEncoding.EncodeToString([]byte("PullRequestReview:" + strconv.FormatInt(rv.ID, 10)))
	m["body"] = rv.Body
	m["commit_id"] = rv.CommitID
	m["state"] = map[string]string{"COMMENT": "COMMENTED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "APPROVE": "APPROVED"}[rv.Event]
	s.botUser(m)
	return m
}

// botUser makes the "user" of a response the App's bot, who wrote it.
func (s *Server) botUser(m map[string]any) {
	if u, ok := m["user"].(map[string]any); ok {
		u["login"] = "contractbot-fake[bot]"
		u["type"] = "Bot"
	}
}

// reviewInput is the body of pulls/create-review.
type reviewInput struct {
	CommitID *string `json:"commit_id"`
	Body     *string `json:"body"`
	Event    *string `json:"event"`
	Comments []struct {
		Path      string `json:"path"`
		Position  *int   `json:"position"`
		Body      string `json:"body"`
		Line      *int   `json:"line"`
		Side      string `json:"side"`
		StartLine *int   `json:"start_line"`
		StartSide string `json:"start_side"`
	} `json:"comments"`
}

// validationFailedSimple is GitHub's 422 body of pulls/create-review.
func validationFailedSimple(msg string) reply {
	return reply{status: http.StatusUnprocessableEntity, body: map[string]any{
		"message": "Unprocessable Entity", "errors": []any{msg},
		"documentation_url": "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request",
	}}
}

// validationFailed is GitHub's 422 body of pulls/create-review-comment.
func validationFailed(field, msg string) reply {
	return reply{status: http.StatusUnprocessableEntity, body: map[string]any{
		"message": "Validation Failed",
		"errors": []any{map[string]any{
			"resource": "PullRequestReviewComment", "code": "custom", "field": field, "message": msg,
		}},
		"documentation_url": "https://docs.github.com/rest/pulls/comments#create-a-review-comment-for-a-pull-request",
	}}
}

// locate checks that path:line (and start_line) is on the RIGHT side of one
// hunk of the pull request's diff; it returns the file or a message.
func locate(files []pullFile, path string, line, start int, side string) (*pullFile, string) {
	var f *pullFile
	for i := range files {
		if files[i].path == path {
			f = &files[i]
		}
	}
	if f == nil {
		return nil, "Path could not be resolved"
	}
	if side != "" && side != "RIGHT" {
		return nil, "Line could not be resolved" // the fake serves the RIGHT side only
	}
	if f.hunks == nil {
		return nil, "Line could not be resolved"
	}
	h, ok := f.hunks.RightLine(line)
	if !ok {
		return nil, "Line could not be resolved"
	}
	if start != 0 {
		if hs, ok := f.hunks.RightLine(start); !ok || hs != h || start > line {
			return nil, "Start line could not be resolved"
		}
	}
	return f, ""
}

func (s *Server) createReview(r *repo, numStr string, body []byte) reply {
	p := s.findPull(r, numStr)
	if p == nil {
		return errReply(http.StatusNotFound, "Not Found")
	}
	var in reviewInput
	if err := json.Unmarshal(body, &in); err != nil {
		return errReply(http.StatusBadRequest, "Problems parsing JSON")
	}
	event := ""
	if in.Event != nil {
		event = *in.Event
	}
	if event == "" {
		// A pending review is never what contractbot wants: nobody sees it.
		return validationFailedSimple("contractbot fake: a review without event stays PENDING; send COMMENT")
	}
	if (event == "COMMENT" || event == "REQUEST_CHANGES") && (in.Body == nil || *in.Body == "") {
		return validationFailedSimple("Body is required for this review event")
	}
	commit := p.headSHA(r)
	if in.CommitID != nil {
		commit = *in.CommitID
		if o := r.objects[commit]; o == nil || o.typ != typeCommit {
			return validationFailedSimple("Commit could not be resolved")
		}
	}
	files := s.pullFiles(r, p)
	type placed struct {
		f           *pullFile
		line, start int
	}
	var ok []placed
	for _, c := range in.Comments {
		if c.Position != nil {
			return validationFailedSimple("contractbot fake: position is closing down; use line and side")
		}
		if c.Line == nil {
			return validationFailedSimple("Line could not be resolved")
		}
		start := 0
		if c.StartLine != nil {
			start = *c.StartLine
		}
		f, msg := locate(files, c.Path, *c.Line, start, c.Side)
		if msg != "" {
			return validationFailedSimple(msg)
		}
		ok = append(ok, placed{f, *c.Line, start})
	}
	s.nextID++
	rv := &Review{ID: s.nextID, Owner: r.owner, Repo: r.name, Number: p.number, CommitID: commit, Event: event, Comments: len(in.Comments)}
	if in.Body != nil {
		rv.Body = *in.Body
	}
	s.ext.reviews = append(s.ext.reviews, rv)
	for i, c := range in.Comments {
		s.nextID++
		s.ext.comments = append(s.ext.comments, &ReviewComment{
			ID: s.nextID, Owner: r.owner, Repo: r.name, Number: p.number, ReviewID: rv.ID, CommitID: commit,
			Path: c.Path, Line: ok[i].line, StartLine: ok[i].start, SubjectType: "line", Body: c.Body,
			DiffHunk: hunkText(ok[i].f, ok[i].line),
		})
	}
	return reply{status: http.StatusOK, body: s.reviewBody(r, rv)}
}

// hunkText is a comment's diff_hunk: its hunk up to the commented line.
func hunkText(f *pullFile, line int) string {
	if f == nil || f.hunks == nil {
		return ""
	}
	i, ok := f.hunks.RightLine(line)
	if !ok {
		return ""
	}
	h := f.hunks.Hunks[i]
	var b strings.Builder
	fmt.Fprintf(&b, "@@ -%d,%d +%d,%d @@", h.OldStart, h.OldLines, h.NewStart, h.NewLines)
	for _, l := range h.Lines {
		b.WriteString("\n" + string(l.Kind) + l.Text)
		if l.NewLine == line {
			break
		}
	}
	return b.String()
}

func (s *Server) listReviewComments(req *http.Request, r *repo, numStr string) reply {
	p := s.findPull(r, numStr)
	if p == nil {
		return errReply(http.StatusNotFound, "Not Found")
	}
	var mine []*ReviewComment
	for _, c := range s.ext.comments {
		if c.Owner == r.owner && c.Repo == r.name && c.Number == p.number {
			mine = append(mine, c)
		}
	}
	items := []any{}
	for _, c := range page(req, mine) {
		items = append(items, s.commentBody(r, c))
	}
	return ok(items)
}

func (s *Server) commentBody(r *repo, c *ReviewComment) map[string]any {
	m := s.exampleValue("pull-request-review-comment-example-for-a-multi-line-comment")
	id := strconv.FormatInt(c.ID, 10)
	m["id"] = c.ID
	m["node_id"] = base64.StdEncoding.EncodeToString([]byte("PullRequestReviewComment:" + id))
	m["url"] = s.apiURL("repos/" + r.owner + "/" + r.name + "/pulls/comments/" + id)
	m["pull_request_review_id"] = c.ReviewID
	m["diff_hunk"] = c.DiffHunk
	m["path"] = c.Path
	m["commit_id"] = c.CommitID
	m["original_commit_id"] = c.CommitID
	m["body"] = c.Body
	m["subject_type"] = c.SubjectType
	m["created_at"] = time.Unix(1700000000+c.ID, 0).UTC().Format(time.RFC3339)
	m["updated_at"] = m["created_at"]
	delete(m, "position")
	delete(m, "original_position")
	for _, k := range []string{"line", "original_line", "start_line", "original_start_line", "start_side", "side"} {
		delete(m, k) // absent rather than null: GitHub's schema does not allow null here
	}
	if c.Line != 0 {
		m["line"], m["original_line"], m["side"] = c.Line, c.Line, "RIGHT"
	}
	if c.StartLine != 0 {
		m["start_line"], m["original_start_line"], m["start_side"] = c.StartLine, c.StartLine, "RIGHT"
	}
	if c.InReplyTo != 0 {
		m["in_reply_to_id"] = c.InReplyTo
	} else {
		delete(m, "in_reply_to_id")
	}
	s.botUser(m)
	return m
}

// commentInput is the body of pulls/create-review-comment.
type commentInput struct {
	Body        string `json:"body"`
	CommitID    string `json:"commit_id"`
	Path        string `json:"path"`
	Line        *int   `json:"line"`
	Side        string `json:"side"`
	StartLine   *int   `json:"start_line"`
	InReplyTo   *int64 `json:"in_reply_to"`
	SubjectType string `json:"subject_type"`
	Position    *int   `json:"position"`
}

func (s *Server) createReviewComment(r *repo, numStr string, body []byte) reply {
	p := s.findPull(r, numStr)
	if p == nil {
		return errReply(http.StatusNotFound, "Not Found")
	}
	var in commentInput
	if err := json.Unmarshal(body, &in); err != nil {
		return errReply(http.StatusBadRequest, "Problems parsing JSON")
	}
	if o := r.objects[in.CommitID]; o == nil || o.typ != typeCommit {
		return validationFailed("commit_id", "commit_id is not part of the pull request")
	}
	c := &ReviewComment{Owner: r.owner, Repo: r.name, Number: p.number, CommitID: in.CommitID, Path: in.Path, Body: in.Body, SubjectType: "line"}
	switch {
	case in.InReplyTo != nil:
		var parent *ReviewComment
		for _, x := range s.ext.comments {
			if x.ID == *in.InReplyTo && x.Owner == r.owner && x.Repo == r.name && x.Number == p.number {
				parent = x
			}
		}
		if parent == nil {
			return errReply(http.StatusNotFound, "Not Found")
		}
		for parent.InReplyTo != 0 { // replies attach to the thread's first comment
			for _, x := range s.ext.comments {
				if x.ID == parent.InReplyTo {
					parent = x
				}
			}
		}
		c.InReplyTo, c.Path, c.Line, c.StartLine, c.SubjectType, c.DiffHunk = parent.ID, parent.Path, parent.Line, parent.StartLine, parent.SubjectType, parent.DiffHunk
		c.ReviewID = parent.ReviewID
	case in.SubjectType == "file":
		var found bool
		for _, f := range s.pullFiles(r, p) {
			found = found || f.path == in.Path
		}
		if !found {
			return validationFailed("pull_request_review_thread.path", "pull_request_review_thread.path must be a file of the pull request")
		}
		c.SubjectType = "file"
	default:
		if in.Position != nil {
			return validationFailed("position", "contractbot fake: position is closing down; use line and side")
		}
		if in.Line == nil {
			return validationFailed("pull_request_review_thread.line", "pull_request_review_thread.line must be part of the diff")
		}
		start := 0
		if in.StartLine != nil {
			start = *in.StartLine
		}
		f, msg := locate(s.pullFiles(r, p), in.Path, *in.Line, start, in.Side)
		if msg != "" {
			return validationFailed("pull_request_review_thread.line", "pull_request_review_thread.line must be part of the diff")
		}
		c.Line, c.StartLine, c.DiffHunk = *in.Line, start, hunkText(f, *in.Line)
	}
	s.nextID++
	c.ID = s.nextID
	if c.ReviewID == 0 {
		s.nextID++
		rv := &Review{ID: s.nextID, Owner: r.owner, Repo: r.name, Number: p.number, CommitID: in.CommitID, Event: "COMMENT", Comments: 1}
		s.ext.reviews = append(s.ext.reviews, rv)
		c.ReviewID = rv.ID
	}
	s.ext.comments = append(s.ext.comments, c)
	rep := created(s.commentBody(r, c))
	rep.header = http.Header{"Location": {s.apiURL("repos/" + r.owner + "/" + r.name + "/pulls/comments/" + strconv.FormatInt(c.ID, 10))}}
	return rep
}
