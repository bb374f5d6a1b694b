package githubfake

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// listInstallationRepos answers GET /installation/repositories: the
// repositories of the installation's owner, by page (per_page at most 100,
// as GitHub), with total_count.
func (s *Server) listInstallationRepos(req *http.Request, p principal) reply {
	s.mu.Lock()
	owner := s.installations[p.installation]
	var names []string
	for k, r := range s.repos {
		if strings.EqualFold(r.owner, owner) {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	m := s.example(req, "repository-paginated-2", 200)
	template := map[string]any{}
	if rs, ok := m["repositories"].([]any); ok && len(rs) > 0 {
		if t, ok := rs[0].(map[string]any); ok {
			template = t
		}
	}
	repos := []any{}
	for _, name := range page(req, names) {
		r := s.repos[name]
		e := clone(template)
		e["id"], e["name"], e["full_name"] = r.id, r.name, r.owner+"/"+r.name
		e["default_branch"] = r.defaultBranch
		e["url"] = s.apiURL("repos/" + r.owner + "/" + r.name)
		e["html_url"] = "https://github.com/" + r.owner + "/" + r.name
		e["clone_url"] = s.CloneURL(r.owner, r.name) // served by smarthttp.go
		e["private"], e["visibility"] = !r.public, map[bool]string{true: "public", false: "private"}[r.public]
		if o, ok := e["owner"].(map[string]any); ok {
			o = clone(o)
			o["login"] = r.owner
			e["owner"] = o
		}
		repos = append(repos, e)
	}
	s.mu.Unlock()
	m["total_count"] = len(names)
	m["repositories"] = repos
	return ok(m)
}

// clone copies a JSON object one level deep.
func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// listInstallations answers GET /app/installations (the App's JWT): every
// installation, by page.
func (s *Server) listInstallations(req *http.Request) reply {
	s.mu.Lock()
	ids := make([]int64, 0, len(s.installations))
	owners := map[int64]string{}
	for id, owner := range s.installations {
		ids = append(ids, id)
		owners[id] = owner
	}
	s.mu.Unlock()
	slices.Sort(ids)
	out := []any{}
	for _, id := range page(req, ids) {
		m := s.installationBody(req, id, owners[id])
		// GitHub's description of this list (unlike the single
		// installation's) joins the user and enterprise account schemas
		// with allOf, so an account must carry the enterprise's required
		// fields too to pass the fake's own validation.
		if acc, ok := m["account"].(map[string]any); ok {
			acc["name"], acc["slug"] = owners[id], strings.ToLower(owners[id])
			acc["created_at"], acc["updated_at"] = "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"
		}
		out = append(out, m)
	}
	return ok(out)
}

// paging reads a list request's per_page (default 30, at most 100, as
// GitHub) and page (1-based).
func paging(req *http.Request) (perPage, page int) {
	perPage, page = 30, 1
	if v, err := strconv.Atoi(req.URL.Query().Get("per_page")); err == nil && v > 0 {
		perPage = min(v, 100)
	}
	if v, err := strconv.Atoi(req.URL.Query().Get("page")); err == nil && v > 0 {
		page = v
	}
	return perPage, page
}
