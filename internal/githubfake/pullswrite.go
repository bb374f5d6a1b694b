package githubfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Pull requests the App opens and edits (pulls/create, pulls/update,
// pulls/list) and the comments on them (issues/create-comment,
// issues/list-comments). As on GitHub, a second open pull request of the
// same head into the same base is refused with 422, and writes need
// pull_requests: write (the fake's default; [Server.RevokePermission]
// takes it away).

const pullsDocs = "https://docs.github.com/rest/pulls/pulls"

// PullRequest is a pull request as the fake holds it.
type PullRequest struct {
	Number      int
	Base, Head  string
	Title, Body string
	Open        bool
	ByApp       bool // opened through the API by the App
}

// PullRequests returns owner/repo's pull requests, oldest first.
func (s *Server) PullRequests(owner, repo string) []PullRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []PullRequest
	for _, p := range s.ext.pulls[strings.ToLower(owner+"/"+repo)] {
		out = append(out, PullRequest{Number: p.number, Base: p.base, Head: p.head, Title: p.title, Body: p.body, Open: !p.closed, ByApp: p.byApp})
	}
	return out
}

// IssueComment is a comment on an issue or pull request as the fake holds
// it.
type IssueComment struct {
	ID          int64
	Owner, Repo string
	Number      int
	Body        string
	User        string // its author's login; "" for the App's bot
}

// CommentAs posts a comment by user on pull request number, as a person
// does on github.com, and returns its id.
func (s *Server) CommentAs(owner, repo, user string, number int, body string) int64 {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[strings.ToLower(owner+"/"+repo)]
	if r == nil || s.findPull(r, strconv.Itoa(number)) == nil {
		s.t.Fatalf("githubfake: CommentAs: %s/%s has no pull request #%d", owner, repo, number)
		return 0
	}
	s.nextID++
	s.ext.issueComments = append(s.ext.issueComments, &IssueComment{ID: s.nextID, Owner: r.owner, Repo: r.name, Number: number, Body: body, User: user})
	return s.nextID
}

// IssueComments returns the comments on issue or pull request number,
// oldest first.
func (s *Server) IssueComments(owner, repo string, number int) []IssueComment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []IssueComment
	for _, c := range s.ext.issueComments {
		if strings.EqualFold(c.Owner, owner) && strings.EqualFold(c.Repo, repo) && c.Number == number {
			out = append(out, *c)
		}
	}
	return out
}

// RevokePermission takes permission name from installation id, the
// fake's defaults included: the access token's permissions no longer list
// it and the writes that need it answer 403.
func (s *Server) RevokePermission(id int64, name string) {
	s.GrantPermission(id, name, "none")
}

// permissionLevel is installation id's level of permission name, the
// fake's defaults included (s.mu held).
func (s *Server) permissionLevel(id int64, name string) string {
	if l, ok := s.ext.perms[id][name]; ok {
		return l
	}
	return defaultPermission(name)
}

// defaultPermission is what the fake's installations are granted of
// permission name unless a test changes it: contractbot's manifest
// without the optional fix pull requests.
func defaultPermission(name string) string {
	switch name {
	case "checks", "pull_requests":
		return "write"
	case "contents", "metadata":
		return "read"
	}
	return ""
}

// tokenPermissions is the permissions object of an access token of
// installation id (s.mu held).
func (s *Server) tokenPermissions(id int64) map[string]any {
	out := map[string]any{}
	names := []string{"administration", "checks", "contents", "issues", "metadata", "pull_requests"}
	for _, n := range names {
		if l := s.permissionLevel(id, n); l == "read" || l == "write" {
			out[n] = l
		}
	}
	return out
}

// pullBody renders p from GitHub's example name ("pull-request" or
// "pull-request-simple-items") (s.mu held).
func (s *Server) pullBody(r *repo, p *pull, example string) map[string]any {
	m := s.exampleValue(example)
	m["number"] = p.number
	m["state"] = "open"
	if p.closed {
		m["state"] = "closed"
	}
	if p.title != "" {
		m["title"], m["body"] = p.title, p.body
	}
	m["requested_teams"] = []any{} // GitHub's example team lacks the "type" its schema requires
	m["url"] = s.apiURL(fmt.Sprintf("repos/%s/%s/pulls/%d", r.owner, r.name, p.number))
	// The fake merges nothing: its closed pull requests were closed
	// unmerged.
	m["merged_at"] = nil
	if _, ok := m["merged"]; ok {
		m["merged"] = false
	}
	if !p.closed {
		m["closed_at"] = nil
	}
	for side, ref := range map[string]struct{ branch, sha string }{"head": {p.head, p.headSHA(r)}, "base": {p.base, r.branches[p.base]}} {
		if b, ok := m[side].(map[string]any); ok {
			b["ref"] = ref.branch
			b["sha"] = ref.sha
			b["label"] = r.owner + ":" + ref.branch
		}
	}
	if p.byApp {
		s.botUser(m)
	}
	return m
}

func (s *Server) createPull(p principal, r *repo, body []byte) reply {
	if !s.mayWritePulls(p) {
		return notAccessible(pullsDocs + "#create-a-pull-request")
	}
	var in struct {
		Title string `json:"title"`
		Head  string `json:"head"`
		Base  string `json:"base"`
		Body  string `json:"body"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return unprocessable("Problems parsing JSON", pullsDocs+"#create-a-pull-request")
	}
	head := in.Head
	if o, b, ok := strings.Cut(head, ":"); ok {
		if !strings.EqualFold(o, r.owner) {
			return validationFailedPull("head", "invalid")
		}
		head = b
	}
	switch {
	case in.Title == "":
		return validationFailedPull("title", "missing_field")
	case utf8.RuneCountInString(in.Body) > maxIssueBodyChars:
		return pullBodyTooLong()
	case r.branches[in.Base] == "":
		return validationFailedPull("base", "invalid")
	case r.branches[head] == "":
		return validationFailedPull("head", "invalid")
	case r.branches[head] == r.branches[in.Base] || r.objects.descends(r.branches[in.Base], r.branches[head]):
		return unprocessableCustom("No commits between " + in.Base + " and " + head)
	}
	s.ext.init()
	key := strings.ToLower(r.owner + "/" + r.name)
	for _, q := range s.ext.pulls[key] {
		if !q.closed && q.head == head && q.base == in.Base {
			return unprocessableCustom("A pull request already exists for " + r.owner + ":" + head + ".")
		}
	}
	np := &pull{number: s.nextIssueNumber(key), base: in.Base, head: head, title: in.Title, body: in.Body, byApp: !p.app, seq: s.iss.next()}
	s.ext.pulls[key] = append(s.ext.pulls[key], np)
	return created(s.pullBody(r, np, "pull-request"))
}

// nextIssueNumber is the number of a new pull request of repository key:
// pull requests and issues share one sequence (s.mu held).
func (s *Server) nextIssueNumber(key string) int {
	n := 0
	for _, q := range s.ext.pulls[key] {
		n = max(n, q.number)
	}
	return n + 1
}

func (s *Server) mayWritePulls(p principal) bool {
	return !p.app && s.permissionLevel(p.installation, "pull_requests") == "write"
}

func validationFailedPull(field, code string) reply {
	return reply{status: http.StatusUnprocessableEntity, body: map[string]any{
		"message":           "Validation Failed",
		"errors":            []any{map[string]any{"resource": "PullRequest", "code": code, "field": field}},
		"documentation_url": pullsDocs + "#create-a-pull-request",
	}}
}

// pullBodyTooLong is GitHub's answer to a pull request body over its
// limit, which is an issue's (pull requests are issues).
func pullBodyTooLong() reply {
	return unprocessableCustom(fmt.Sprintf("body is too long (maximum is %d characters)", maxIssueBodyChars))
}

func unprocessableCustom(msg string) reply {
	return reply{status: http.StatusUnprocessableEntity, body: map[string]any{
		"message":           "Validation Failed",
		"errors":            []any{map[string]any{"resource": "PullRequest", "code": "custom", "message": msg}},
		"documentation_url": pullsDocs + "#create-a-pull-request",
	}}
}

func (s *Server) updatePull(p principal, r *repo, numStr string, body []byte) reply {
	if !s.mayWritePulls(p) {
		return notAccessible(pullsDocs + "#update-a-pull-request")
	}
	pr := s.findPull(r, numStr)
	if pr == nil {
		return errReply(http.StatusNotFound, "Not Found")
	}
	var in struct {
		Title *string `json:"title"`
		Body  *string `json:"body"`
		State *string `json:"state"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return unprocessable("Problems parsing JSON", pullsDocs+"#update-a-pull-request")
	}
	if in.Body != nil && utf8.RuneCountInString(*in.Body) > maxIssueBodyChars {
		return pullBodyTooLong()
	}
	if in.Title != nil {
		pr.title = *in.Title
	}
	if in.Body != nil {
		pr.body = *in.Body
	}
	if in.State != nil {
		pr.closed = *in.State == "closed"
	}
	return ok(s.pullBody(r, pr, "pull-request"))
}

// listPulls answers pulls/list with GitHub's filters: state (default
// open), head ("owner:branch") and base; newest first.
func (s *Server) listPulls(req *http.Request, r *repo) reply {
	q := req.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	var head string
	if h := q.Get("head"); h != "" {
		o, b, ok := strings.Cut(h, ":")
		if !ok || !strings.EqualFold(o, r.owner) {
			return ok200Empty()
		}
		head = b
	}
	var items []*pull
	for _, p := range s.ext.pulls[strings.ToLower(r.owner+"/"+r.name)] {
		if (state == "open" && p.closed) || (state == "closed" && !p.closed) ||
			(head != "" && p.head != head) || (q.Get("base") != "" && p.base != q.Get("base")) {
			continue
		}
		items = append(items, p)
	}
	slices.Reverse(items)
	out := []any{}
	for _, p := range page(req, items) {
		out = append(out, s.pullBody(r, p, "pull-request-simple-items"))
	}
	return ok(out)
}

func ok200Empty() reply { return ok([]any{}) }

func (s *Server) createIssueComment(p principal, r *repo, numStr string, body []byte) reply {
	// Comments on a pull request need pull_requests: write (issues: write
	// on an issue; the fake's issues are pull requests only).
	if !s.mayWritePulls(p) {
		return notAccessible("https://docs.github.com/rest/issues/comments#create-an-issue-comment")
	}
	pr := s.findPull(r, numStr)
	if pr == nil {
		return errReply(http.StatusNotFound, "Not Found")
	}
	var in struct {
		Body string `json:"body"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.Body == "" {
		return unprocessable("Invalid request.\n\n\"body\" wasn't supplied.", "https://docs.github.com/rest/issues/comments#create-an-issue-comment")
	}
	if utf8.RuneCountInString(in.Body) > maxIssueBodyChars {
		return reply{status: http.StatusUnprocessableEntity, body: map[string]any{
			"message": "Validation Failed",
			"errors": []any{map[string]any{"resource": "IssueComment", "code": "custom", "field": "body",
				"message": fmt.Sprintf("body is too long (maximum is %d characters)", maxIssueBodyChars)}},
			"documentation_url": "https://docs.github.com/rest/issues/comments#create-an-issue-comment",
		}}
	}
	s.nextID++
	c := &IssueComment{ID: s.nextID, Owner: r.owner, Repo: r.name, Number: pr.number, Body: in.Body}
	s.ext.issueComments = append(s.ext.issueComments, c)
	return created(s.issueCommentBody(r, c))
}

func (s *Server) issueCommentBody(r *repo, c *IssueComment) map[string]any {
	m := s.exampleValue("issue-comment")
	m["id"] = c.ID
	m["body"] = c.Body
	m["url"] = s.apiURL(fmt.Sprintf("repos/%s/%s/issues/comments/%d", r.owner, r.name, c.ID))
	m["issue_url"] = s.apiURL(fmt.Sprintf("repos/%s/%s/issues/%d", r.owner, r.name, c.Number))
	s.botUser(m)
	if u, ok := m["user"].(map[string]any); ok && c.User != "" {
		u["login"], u["type"] = c.User, "User"
	}
	return m
}

func (s *Server) listIssueComments(req *http.Request, r *repo, numStr string) reply {
	pr := s.findPull(r, numStr)
	if pr == nil {
		return errReply(http.StatusNotFound, "Not Found")
	}
	var items []*IssueComment
	for _, c := range s.ext.issueComments {
		if strings.EqualFold(c.Owner, r.owner) && strings.EqualFold(c.Repo, r.name) && c.Number == pr.number {
			items = append(items, c)
		}
	}
	out := []any{}
	for _, c := range page(req, items) {
		out = append(out, s.issueCommentBody(r, c))
	}
	return ok(out)
}

// ClosePull closes pull request number without merging it, as a person
// pressing "Close pull request" does.
func (s *Server) ClosePull(owner, repo string, number int) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.ext.pulls[strings.ToLower(owner+"/"+repo)] {
		if p.number == number {
			p.closed = true
			return
		}
	}
	s.t.Fatalf("githubfake: ClosePull: %s/%s has no pull request #%d", owner, repo, number)
}
