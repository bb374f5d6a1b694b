package githubfake

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Issues (issues/create, issues/get, issues/update,
// issues/list-for-repo), as the App's dashboard uses them. GitHub checks
// what the fake checks: a title on create, a body of at most 65,536
// characters, and the issues permission (read to read, write to write),
// without which it answers 403.

// maxIssueBodyChars is GitHub's limit on an issue body, in characters.
const maxIssueBodyChars = 65536

// firstIssueNumber numbers the fake's issues apart from its pull
// requests (on GitHub both share one sequence per repository; the fake's
// pull requests count from 1 on their own).
const firstIssueNumber = 1001

// Issue is an issue as the fake holds it.
type Issue struct {
	Number      int
	Owner, Repo string
	Title, Body string
	State       string // "open" or "closed"
	User        string // login of the creator
	// Edits counts the updates that changed it.
	Edits   int
	Created time.Time
	Updated time.Time
	seq     int64 // creation order, shared with pull requests
	pull    bool  // a pull request listed as an issue (pullsAsIssues)
}

// pullsAsIssues is r's pull requests as issues/list-for-repo shows them
// (s.mu held): their author is the App's bot when the App opened them,
// otherwise the example's user, as pullBody has it.
func (s *Server) pullsAsIssues(r *repo) []*Issue {
	var out []*Issue
	for _, p := range s.ext.pulls[strings.ToLower(r.owner+"/"+r.name)] {
		is := &Issue{Number: p.number, Owner: r.owner, Repo: r.name, Title: p.title, Body: p.body, State: "open",
			User: "octocat", seq: p.seq, pull: true}
		if p.closed {
			is.State = "closed"
		}
		if p.byApp {
			is.User = "contractbot-fake[bot]"
		}
		if is.Title == "" {
			is.Title = "Pull request #" + strconv.Itoa(p.number) // opened with OpenPull, which sets none
		}
		out = append(out, is)
	}
	return out
}

// issueState is the fake's issues, guarded by Server.mu.
type issueState struct {
	byRepo map[string][]*Issue // by repository key
	seq    int64               // last creation order given out (next)
}

// next is the creation order of a new issue or pull request, by which
// issues/list-for-repo sorts them together (s.mu held).
func (st *issueState) next() int64 {
	st.seq++
	return st.seq
}

// Issues returns the issues of owner/repo, by number.
func (s *Server) Issues(owner, repo string) []Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Issue
	for _, is := range s.iss.byRepo[strings.ToLower(owner+"/"+repo)] {
		out = append(out, *is)
	}
	return out
}

// CreateIssueAs creates an issue in owner/repo as user, as a person would
// (tests: an issue of the same title by someone else).
func (s *Server) CreateIssueAs(owner, repo, user, title, body string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[strings.ToLower(owner+"/"+repo)]
	if r == nil {
		s.t.Fatalf("githubfake: CreateIssueAs: no repository %s/%s", owner, repo)
		return 0
	}
	return s.addIssue(r, user, title, body).Number
}

// addIssue stores a new open issue (s.mu held).
func (s *Server) addIssue(r *repo, user, title, body string) *Issue {
	if s.iss.byRepo == nil {
		s.iss.byRepo = map[string][]*Issue{}
	}
	key := strings.ToLower(r.owner + "/" + r.name)
	now := time.Now().UTC()
	is := &Issue{Number: firstIssueNumber + len(s.iss.byRepo[key]), Owner: r.owner, Repo: r.name, Title: title, Body: body,
		State: "open", User: user, Created: now, Updated: now, seq: s.iss.next()}
	s.iss.byRepo[key] = append(s.iss.byRepo[key], is)
	return is
}

// findIssue returns issue numStr of r, or nil; with pulls, a pull
// request's issue view too, as GitHub's issues/get answers for every pull
// request's number (s.mu held).
func (s *Server) findIssue(r *repo, numStr string, pulls bool) *Issue {
	n, err := strconv.Atoi(numStr)
	if err != nil {
		return nil
	}
	for _, is := range s.iss.byRepo[strings.ToLower(r.owner+"/"+r.name)] {
		if is.Number == n {
			return is
		}
	}
	if pulls {
		for _, is := range s.pullsAsIssues(r) {
			if is.Number == n {
				return is
			}
		}
	}
	return nil
}

// mayReadIssues reports whether p holds issues: read or write (s.mu held).
func (s *Server) mayReadIssues(p principal) bool {
	l := s.ext.perms[p.installation]["issues"]
	return !p.app && (l == "read" || l == "write")
}

const issuesDoc = "https://docs.github.com/rest/issues/issues"

func (s *Server) issueBody(r *repo, is *Issue) map[string]any {
	m := s.exampleValue("issue")
	id := int64(r.id)*100000 + int64(is.Number)
	m["id"] = id
	m["node_id"] = base64.StdEncoding.EncodeToString([]byte("Issue:" + strconv.FormatInt(id, 10)))
	m["number"] = is.Number
	m["title"] = is.Title
	m["body"] = is.Body
	m["state"] = is.State
	m["url"] = s.apiURL(fmt.Sprintf("repos/%s/%s/issues/%d", r.owner, r.name, is.Number))
	m["repository_url"] = s.apiURL("repos/" + r.owner + "/" + r.name)
	m["html_url"] = fmt.Sprintf("https://github.com/%s/%s/issues/%d", r.owner, r.name, is.Number)
	m["created_at"] = is.Created.Format(time.RFC3339)
	m["updated_at"] = is.Updated.Format(time.RFC3339)
	m["labels"] = []any{}
	m["assignee"] = nil
	m["assignees"] = []any{}
	m["milestone"] = nil
	m["comments"] = 0
	m["closed_at"] = nil
	m["closed_by"] = nil
	delete(m, "pull_request")
	if is.pull {
		// A pull request's issue view links to the pull request.
		m["pull_request"] = map[string]any{
			"url":       s.apiURL(fmt.Sprintf("repos/%s/%s/pulls/%d", r.owner, r.name, is.Number)),
			"html_url":  fmt.Sprintf("https://github.com/%s/%s/pull/%d", r.owner, r.name, is.Number),
			"diff_url":  fmt.Sprintf("https://github.com/%s/%s/pull/%d.diff", r.owner, r.name, is.Number),
			"patch_url": fmt.Sprintf("https://github.com/%s/%s/pull/%d.patch", r.owner, r.name, is.Number),
			"merged_at": nil, // the fake merges nothing
		}
		m["html_url"] = fmt.Sprintf("https://github.com/%s/%s/pull/%d", r.owner, r.name, is.Number)
	}
	if is.State == "closed" {
		m["closed_at"] = is.Updated.Format(time.RFC3339)
	}
	if u, ok := m["user"].(map[string]any); ok {
		u["login"] = is.User
		if strings.HasSuffix(is.User, "[bot]") {
			u["type"] = "Bot"
		} else {
			u["type"] = "User"
		}
	}
	return m
}

// issueInput is the body of issues/create and issues/update.
type issueInput struct {
	Title *json.RawMessage `json:"title"`
	Body  *string          `json:"body"`
	State *string          `json:"state"`
}

// title reads a title GitHub takes as a string or an integer.
func (in issueInput) title() (string, bool) {
	if in.Title == nil {
		return "", false
	}
	var s string
	if err := json.Unmarshal(*in.Title, &s); err == nil {
		return s, true
	}
	var n json.Number
	if err := json.Unmarshal(*in.Title, &n); err == nil {
		return n.String(), true
	}
	return "", false
}

func issueTooLong() reply {
	return reply{status: http.StatusUnprocessableEntity, body: map[string]any{
		"message": "Validation Failed",
		"errors": []any{map[string]any{
			"resource": "Issue", "code": "custom", "field": "body",
			"message": fmt.Sprintf("body is too long (maximum is %d characters)", maxIssueBodyChars),
		}},
		"documentation_url": issuesDoc + "#create-an-issue",
	}}
}

func (s *Server) createIssue(p principal, r *repo, body []byte) reply {
	if !s.mayWrite(p, "issues") {
		return notAccessible(issuesDoc + "#create-an-issue")
	}
	var in issueInput
	if err := json.Unmarshal(body, &in); err != nil {
		return errReply(http.StatusBadRequest, "Problems parsing JSON")
	}
	title, ok := in.title()
	if !ok || title == "" {
		return reply{status: http.StatusUnprocessableEntity, body: map[string]any{
			"message":           "Validation Failed",
			"errors":            []any{map[string]any{"resource": "Issue", "code": "missing_field", "field": "title"}},
			"documentation_url": issuesDoc + "#create-an-issue",
		}}
	}
	text := ""
	if in.Body != nil {
		text = *in.Body
	}
	if utf8.RuneCountInString(text) > maxIssueBodyChars {
		return issueTooLong()
	}
	is := s.addIssue(r, "contractbot-fake[bot]", title, text)
	rep := created(s.issueBody(r, is))
	rep.header = http.Header{"Location": {s.apiURL(fmt.Sprintf("repos/%s/%s/issues/%d", r.owner, r.name, is.Number))}}
	return rep
}

func (s *Server) getIssue(p principal, r *repo, numStr string) reply {
	if !s.mayReadIssues(p) {
		return notAccessible(issuesDoc + "#get-an-issue")
	}
	is := s.findIssue(r, numStr, true)
	if is == nil {
		return errReply(http.StatusNotFound, "Not Found")
	}
	return ok(s.issueBody(r, is))
}

func (s *Server) updateIssue(p principal, r *repo, numStr string, body []byte) reply {
	if !s.mayWrite(p, "issues") {
		return notAccessible(issuesDoc + "#update-an-issue")
	}
	// A pull request's title, body and state are pulls/update's here:
	// the fake keeps them on the pull request, not on an issue.
	is := s.findIssue(r, numStr, false)
	if is == nil {
		return errReply(http.StatusNotFound, "Not Found")
	}
	var in issueInput
	if err := json.Unmarshal(body, &in); err != nil {
		return errReply(http.StatusBadRequest, "Problems parsing JSON")
	}
	if in.Body != nil && utf8.RuneCountInString(*in.Body) > maxIssueBodyChars {
		return issueTooLong()
	}
	changed := false
	if t, ok := in.title(); ok && t != is.Title {
		is.Title, changed = t, true
	}
	if in.Body != nil && *in.Body != is.Body {
		is.Body, changed = *in.Body, true
	}
	if in.State != nil && *in.State != is.State {
		is.State, changed = *in.State, true
	}
	if changed {
		is.Edits++
		is.Updated = time.Now().UTC()
	}
	return ok(s.issueBody(r, is))
}

// listIssues serves issues/list-for-repo: state (open by default, closed,
// all) and creator filter; newest first unless direction=asc.
func (s *Server) listIssues(req *http.Request, p principal, r *repo) reply {
	if !s.mayReadIssues(p) {
		return notAccessible(issuesDoc + "#list-repository-issues")
	}
	q := req.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	creator := q.Get("creator")
	// GitHub lists the pull requests among the issues (pullsAsIssues).
	var mine []*Issue
	for _, is := range append(slices.Clone(s.iss.byRepo[strings.ToLower(r.owner+"/"+r.name)]), s.pullsAsIssues(r)...) {
		if (state == "all" || is.State == state) && (creator == "" || strings.EqualFold(creator, is.User)) {
			mine = append(mine, is)
		}
	}
	slices.SortFunc(mine, func(a, b *Issue) int { return cmp.Compare(a.seq, b.seq) })
	if q.Get("direction") != "asc" {
		slices.Reverse(mine)
	}
	items := []any{}
	for _, is := range page(req, mine) {
		items = append(items, s.issueBody(r, is))
	}
	return ok(items)
}

// handleIssues dispatches the issues operations (s.mu held).
func (s *Server) handleIssues(req *http.Request, op string, p principal, r *repo, num string, body []byte) reply {
	switch op {
	case "issues/create":
		return s.createIssue(p, r, body)
	case "issues/get":
		return s.getIssue(p, r, num)
	case "issues/update":
		return s.updateIssue(p, r, num, body)
	default:
		return s.listIssues(req, p, r)
	}
}
