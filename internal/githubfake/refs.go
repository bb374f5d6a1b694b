package githubfake

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// Tags (git/get-ref for tags/..., git/delete-ref) and repository rulesets
// (repos/get-repo-rulesets, repos/create-repo-ruleset).

// Ruleset is a repository ruleset as created through the API.
type Ruleset struct {
	ID          int64
	Owner, Repo string
	Name        string
	Target      string
	Enforcement string
	Conditions  map[string]any
	Rules       []map[string]any
}

// PushTag creates the lightweight tag refs/tags/<name> on commit (or any
// object id the repository holds), as `git push origin <commit>:refs/tags/<name>`.
func (s *Server) PushTag(owner, repo, name, commit string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ext.init()
	key := strings.ToLower(owner + "/" + repo)
	r := s.repos[key]
	if r == nil || r.objects[commit] == nil {
		s.t.Fatalf("githubfake: PushTag: %s/%s has no object %q", owner, repo, commit)
		return
	}
	if s.ext.tags[key] == nil {
		s.ext.tags[key] = map[string]string{}
	}
	s.ext.tags[key][name] = commit
}

// PushAnnotatedTag creates an annotated tag object for commit and the tag
// refs/tags/<name> pointing at it; it returns the tag object's id.
func (s *Server) PushAnnotatedTag(owner, repo, name, commit string) string {
	s.t.Helper()
	s.mu.Lock()
	r := s.repos[strings.ToLower(owner+"/"+repo)]
	if r == nil || r.objects[commit] == nil {
		s.mu.Unlock()
		s.t.Fatalf("githubfake: PushAnnotatedTag: %s/%s has no commit %q", owner, repo, commit)
		return ""
	}
	s.clock++
	data := []byte("object " + commit + "\ntype commit\ntag " + name + "\ntagger " + commitAuthor + " " +
		strconv.FormatInt(s.clock, 10) + " +0000\n\n" + name + "\n")
	id := hashObject("tag", data)
	r.objects[id] = &object{typ: "tag", data: data}
	s.mu.Unlock()
	s.PushTag(owner, repo, name, id)
	return id
}

// Tags returns owner/repo's tags: name -> object id.
func (s *Server) Tags(owner, repo string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	for k, v := range s.ext.tags[strings.ToLower(owner+"/"+repo)] {
		out[k] = v
	}
	return out
}

// DeletedRefs returns the refs deleted through the API, as
// "owner/repo refs/...", in order.
func (s *Server) DeletedRefs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ext.deleted...)
}

// Rulesets returns the rulesets created on owner/repo.
func (s *Server) Rulesets(owner, repo string) []Ruleset {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Ruleset
	for _, rs := range s.ext.rulesets {
		if strings.EqualFold(rs.Owner, owner) && strings.EqualFold(rs.Repo, repo) {
			out = append(out, *rs)
		}
	}
	return out
}

// GrantPermission gives installation id a permission (such as
// "contents" or "administration") at level ("read" or "write") beyond the
// fake's defaults (checks: write, contents: read, metadata: read,
// pull_requests: write). Without contents: write, git/delete-ref answers
// 403 as GitHub does; without administration: write, so does
// repos/create-repo-ruleset.
func (s *Server) GrantPermission(id int64, name, level string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ext.perms == nil {
		s.ext.perms = map[int64]map[string]string{}
	}
	if s.ext.perms[id] == nil {
		s.ext.perms[id] = map[string]string{}
	}
	s.ext.perms[id][name] = level
}

// mayWrite reports whether p holds name: write (s.mu held). The App's own
// JWT is never allowed repository writes, as on GitHub.
func (s *Server) mayWrite(p principal, name string) bool {
	return !p.app && s.ext.perms[p.installation][name] == "write"
}

// ProtectBranch protects the branches of owner/repo (pushed with
// [Server.Push]) whose names match pattern (path.Match, as a branch
// protection rule's fnmatch pattern): git/create-ref, git/update-ref and
// git/delete-ref of such a branch are refused with GitHub's 422
// "Protected branch update failed for refs/heads/NAME.", as GitHub
// answers an App that the rule does not let push. [Server.Push] is the
// repository's admin, and is not refused.
func (s *Server) ProtectBranch(owner, repo, pattern string) {
	s.t.Helper()
	if _, err := path.Match(pattern, ""); err != nil {
		s.t.Fatalf("githubfake: ProtectBranch: pattern %q: %v", pattern, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[strings.ToLower(owner+"/"+repo)]
	if r == nil {
		s.t.Fatalf("githubfake: ProtectBranch: no repository %s/%s", owner, repo)
		return
	}
	r.protected = append(r.protected, pattern)
}

// refusedAsProtected is GitHub's answer to a write of a protected branch
// through the refs API, or ok false when branch is not protected (s.mu
// held).
func refusedAsProtected(r *repo, branch, doc string) (reply, bool) {
	for _, p := range r.protected {
		if m, _ := path.Match(p, branch); m {
			return unprocessable("Protected branch update failed for refs/heads/"+branch+".", doc), true
		}
	}
	return reply{}, false
}

// notAccessible is GitHub's 403 for an installation token that lacks a
// permission.
func notAccessible(doc string) reply {
	return reply{status: http.StatusForbidden, body: map[string]any{"message": "Resource not accessible by integration", "documentation_url": doc}}
}

// getRefOrTag serves git/get-ref for tags/<name> and leaves heads/ to
// getRef (s.mu held).
func (s *Server) getRefOrTag(req *http.Request, r *repo, ref string) reply {
	name, isTag := strings.CutPrefix(ref, "tags/")
	if !isTag {
		return s.getRef(req, r, ref)
	}
	id, found := s.ext.tags[strings.ToLower(r.owner+"/"+r.name)][name]
	if !found {
		return errReply(http.StatusNotFound, "Not Found")
	}
	typ := r.objects[id].typ
	m := s.exampleValue("git-ref")
	m["ref"] = "refs/" + ref
	m["node_id"] = base64.StdEncoding.EncodeToString([]byte("Ref:" + ref))
	m["url"] = s.apiURL("repos/" + r.owner + "/" + r.name + "/git/refs/" + ref)
	m["object"] = map[string]any{"type": typ, "sha": id,
		"url": s.apiURL("repos/" + r.owner + "/" + r.name + "/git/" + typ + "s/" + id)}
	return ok(m)
}

// deleteRef serves git/delete-ref: 204, or 422 "Reference does not exist"
// as GitHub answers for a ref that is not there (s.mu held).
func (s *Server) deleteRef(p principal, r *repo, ref string) reply {
	if !s.mayWrite(p, "contents") {
		return notAccessible("https://docs.github.com/rest/git/refs#delete-a-reference")
	}
	key := strings.ToLower(r.owner + "/" + r.name)
	switch {
	case strings.HasPrefix(ref, "tags/"):
		name := strings.TrimPrefix(ref, "tags/")
		if _, found := s.ext.tags[key][name]; !found {
			return reply{status: http.StatusUnprocessableEntity, body: map[string]any{"message": "Reference does not exist", "documentation_url": "https://docs.github.com/rest/git/refs#delete-a-reference"}}
		}
		delete(s.ext.tags[key], name)
	case strings.HasPrefix(ref, "heads/"):
		name := strings.TrimPrefix(ref, "heads/")
		if _, found := r.branches[name]; !found {
			return reply{status: http.StatusUnprocessableEntity, body: map[string]any{"message": "Reference does not exist", "documentation_url": "https://docs.github.com/rest/git/refs#delete-a-reference"}}
		}
		if name == r.defaultBranch {
			return reply{status: http.StatusUnprocessableEntity, body: map[string]any{"message": "Cannot delete the default branch", "documentation_url": "https://docs.github.com/rest/git/refs#delete-a-reference"}}
		}
		if refused, ok := refusedAsProtected(r, name, "https://docs.github.com/rest/git/refs#delete-a-reference"); ok {
			return refused
		}
		for _, p := range s.ext.pulls[key] {
			if p.head == name && p.headGone == "" {
				p.headGone = r.branches[name]
			}
		}
		delete(r.branches, name)
	default:
		return reply{status: http.StatusUnprocessableEntity, body: map[string]any{"message": "Reference does not exist", "documentation_url": "https://docs.github.com/rest/git/refs#delete-a-reference"}}
	}
	s.ext.deleted = append(s.ext.deleted, r.owner+"/"+r.name+" refs/"+ref)
	return reply{status: http.StatusNoContent}
}

// rulesetInput is the body of repos/create-repo-ruleset.
type rulesetInput struct {
	Name        string           `json:"name"`
	Target      string           `json:"target"`
	Enforcement string           `json:"enforcement"`
	Conditions  map[string]any   `json:"conditions"`
	Rules       []map[string]any `json:"rules"`
}

func (s *Server) createRuleset(p principal, r *repo, body []byte) reply {
	if !s.mayWrite(p, "administration") {
		return notAccessible("https://docs.github.com/rest/repos/rules#create-a-repository-ruleset")
	}
	var in rulesetInput
	if err := json.Unmarshal(body, &in); err != nil {
		return errReply(http.StatusBadRequest, "Problems parsing JSON")
	}
	fail := func(msg string) reply {
		return reply{status: http.StatusUnprocessableEntity, body: map[string]any{
			"message": "Validation Failed", "errors": []any{map[string]any{"resource": "Ruleset", "code": "invalid", "message": msg}},
			"documentation_url": "https://docs.github.com/rest/repos/rules#create-a-repository-ruleset",
		}}
	}
	for _, rs := range s.ext.rulesets {
		if rs.Owner == r.owner && rs.Repo == r.name && rs.Name == in.Name {
			return fail("Name must be unique")
		}
	}
	if in.Target == "" {
		in.Target = "branch"
	}
	for _, rule := range in.Rules {
		typ, _ := rule["type"].(string)
		params, _ := rule["parameters"].(map[string]any)
		if typ != "tag_name_pattern" && typ != "branch_name_pattern" {
			continue
		}
		if (typ == "tag_name_pattern") != (in.Target == "tag") {
			return fail(typ + " is not allowed in a " + in.Target + " ruleset")
		}
		// GitHub evaluates regex patterns with RE2 syntax, as Go does.
		if params["operator"] == "regex" {
			if _, err := regexp.Compile(params["pattern"].(string)); err != nil {
				return fail("Invalid regex pattern: " + err.Error())
			}
		}
	}
	s.nextID++
	rs := &Ruleset{ID: s.nextID, Owner: r.owner, Repo: r.name, Name: in.Name, Target: in.Target, Enforcement: in.Enforcement, Conditions: in.Conditions, Rules: in.Rules}
	s.ext.rulesets = append(s.ext.rulesets, rs)
	return created(s.rulesetBody(r, rs))
}

func (s *Server) rulesetBody(r *repo, rs *Ruleset) map[string]any {
	m := s.exampleValue("repository-ruleset")
	m["id"] = rs.ID
	m["name"] = rs.Name
	m["target"] = rs.Target
	m["enforcement"] = rs.Enforcement
	m["source_type"] = "Repository"
	m["source"] = r.owner + "/" + r.name
	m["node_id"] = base64.StdEncoding.EncodeToString([]byte("RepositoryRuleset:" + strconv.FormatInt(rs.ID, 10)))
	if rs.Conditions != nil {
		m["conditions"] = rs.Conditions
	} else {
		delete(m, "conditions")
	}
	rules := []any{}
	for _, x := range rs.Rules {
		rules = append(rules, x)
	}
	m["rules"] = rules
	m["bypass_actors"] = []any{}
	return m
}

func (s *Server) listRulesets(req *http.Request, r *repo) reply {
	items := []any{}
	var mine []*Ruleset
	for _, rs := range s.ext.rulesets {
		if rs.Owner == r.owner && rs.Repo == r.name {
			mine = append(mine, rs)
		}
	}
	for _, rs := range page(req, mine) {
		items = append(items, s.rulesetBody(r, rs))
	}
	return ok(items)
}
