package githubfake

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/routers"
	"github.com/golang-jwt/jwt/v4"
)

type routeRef = *routers.Route

// GitHub's limits the fake enforces. internal/github names the same
// numbers for the client; they are repeated here so that the fake checks
// the client rather than sharing its constants.
const (
	maxAnnotations = 50    // per create or update request
	maxOutputChars = 65535 // output.summary and output.text, in characters
	maxJWTLifetime = 10 * time.Minute
	jwtClockSkew   = 60 * time.Second
)

// principal is who a request authenticated as.
type principal struct {
	app          bool
	installation int64
}

func (p principal) key() string {
	if p.app {
		return "app"
	}
	return "installation:" + strconv.FormatInt(p.installation, 10)
}

// jwtOperations are authenticated with the App's JWT; all others need an
// installation token.
func jwtOperation(op string) bool {
	return strings.HasPrefix(op, "apps/") && op != "apps/list-repos-accessible-to-installation"
}

// authenticate checks the Authorization header as GitHub does: 401 for a
// missing, malformed, expired or unknown credential, and charges the
// caller's hourly quota (403 with x-ratelimit-remaining: 0 when spent).
func (s *Server) authenticate(req *http.Request, op string, params map[string]string) (principal, reply) {
	scheme, cred, _ := strings.Cut(req.Header.Get("Authorization"), " ")
	var p principal
	if jwtOperation(op) {
		if !strings.EqualFold(scheme, "Bearer") {
			return p, errReply(http.StatusUnauthorized, "A JSON web token could not be decoded")
		}
		if msg := s.verifyJWT(cred); msg != "" {
			return p, errReply(http.StatusUnauthorized, msg)
		}
		p.app = true
	} else {
		if !strings.EqualFold(scheme, "token") && !strings.EqualFold(scheme, "Bearer") {
			return p, errReply(http.StatusUnauthorized, "Requires authentication")
		}
		s.mu.Lock()
		var tok token
		var found bool
		for k, v := range s.tokens { // constant-time per candidate
			if subtle.ConstantTimeCompare([]byte(k), []byte(cred)) == 1 {
				tok, found = v, true
			}
		}
		_, installed := s.installations[tok.installation]
		s.mu.Unlock()
		if !found || !installed || time.Now().After(tok.expires) {
			return p, errReply(http.StatusUnauthorized, "Bad credentials")
		}
		p.installation = tok.installation
	}
	return p, s.charge(p)
}

// charge counts one request against p's quota.
func (s *Server) charge(p principal) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.quota[p.key()]
	now := time.Now()
	if q == nil || now.After(q.reset) {
		q = &quota{reset: now.Add(time.Hour).Truncate(time.Second)}
		s.quota[p.key()] = q
	}
	q.used++
	h := http.Header{}
	h.Set("X-Ratelimit-Limit", strconv.Itoa(s.rateLimit))
	h.Set("X-Ratelimit-Remaining", strconv.Itoa(max(s.rateLimit-q.used, 0)))
	h.Set("X-Ratelimit-Used", strconv.Itoa(min(q.used, s.rateLimit)))
	h.Set("X-Ratelimit-Reset", strconv.FormatInt(q.reset.Unix(), 10))
	h.Set("X-Ratelimit-Resource", "core")
	if q.used > s.rateLimit {
		r := errReply(http.StatusForbidden, "API rate limit exceeded for installation.")
		r.header = h
		return r
	}
	return reply{header: h}
}

// verifyJWT returns "" for a JWT GitHub would accept from this App:
// RS256 with the App's key, iss the App id, iat and exp present, exp in
// the future and at most ten minutes after iat. Otherwise it returns
// GitHub's message.
func (s *Server) verifyJWT(raw string) string {
	claims := jwt.MapClaims{}
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation(), jwt.WithJSONNumber())
	if _, err := parser.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return &s.key.PublicKey, nil }); err != nil {
		return "A JSON web token could not be decoded"
	}
	num := func(k string) (int64, bool) {
		n, ok := claims[k].(json.Number)
		if !ok {
			return 0, false
		}
		v, err := n.Int64()
		return v, err == nil
	}
	iat, okI := num("iat")
	exp, okE := num("exp")
	if !okI {
		return "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
	}
	if !okE {
		return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
	}
	now := time.Now()
	switch {
	case time.Unix(iat, 0).After(now.Add(jwtClockSkew)):
		return "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
	case !time.Unix(exp, 0).After(now):
		return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
	case time.Unix(exp, 0).Sub(time.Unix(iat, 0)) > maxJWTLifetime:
		return "'Expiration time' claim ('exp') is too far in the future"
	}
	var iss string
	switch v := claims["iss"].(type) {
	case string:
		iss = v
	case json.Number:
		iss = v.String()
	}
	if iss != strconv.FormatInt(s.appID, 10) {
		return "'Issuer' claim ('iss') must be an Integer"
	}
	return ""
}

// handle answers an authenticated, valid request.
func (s *Server) handle(req *http.Request, op string, params map[string]string, body []byte, p principal) reply {
	var rep reply
	switch op {
	case "apps/get-authenticated":
		rep = s.getApp(req)
	case "apps/create-installation-access-token":
		rep = s.createToken(req, params)
	case "apps/get-installation":
		rep = s.getInstallation(req, params["installation_id"])
	case "apps/get-repo-installation":
		rep = s.getRepoInstallation(req, params)
	case "apps/list-webhook-deliveries":
		rep = s.listDeliveries(req)
	case "apps/redeliver-webhook-delivery":
		rep = s.redeliver(params["delivery_id"])
	case "apps/list-installations":
		rep = s.listInstallations(req)
	case "apps/list-repos-accessible-to-installation":
		rep = s.listInstallationRepos(req, p)
	case "repos/get":
		rep = s.withRepo(p, params, func(r *repo) reply { return s.getRepo(req, r) })
	case "git/get-ref":
		rep = s.withRepo(p, params, func(r *repo) reply { return s.getRefOrTag(req, r, params["ref"]) })
	case "git/delete-ref":
		rep = s.withRepo(p, params, func(r *repo) reply { return s.deleteRef(p, r, params["ref"]) })
	case "pulls/get":
		rep = s.withRepo(p, params, func(r *repo) reply { return s.getPull(r, params["pull_number"]) })
	case "pulls/list-files":
		rep = s.withRepo(p, params, func(r *repo) reply { return s.listPullFiles(req, r, params["pull_number"]) })
	case "pulls/list-reviews":
		rep = s.withRepo(p, params, func(r *repo) reply { return s.listReviews(req, r, params["pull_number"]) })
	case "pulls/create-review":
		rep = s.withRepo(p, params, func(r *repo) reply { return s.createReview(r, params["pull_number"], body) })
	case "pulls/list-review-comments":
		rep = s.withRepo(p, params, func(r *repo) reply { return s.listReviewComments(req, r, params["pull_number"]) })
	case "pulls/create-review-comment":
		rep = s.withRepo(p, params, func(r *repo) reply { return s.createReviewComment(r, params["pull_number"], body) })
	case "repos/get-repo-rulesets":
		rep = s.withRepo(p, params, func(r *repo) reply { return s.listRulesets(req, r) })
	case "repos/create-repo-ruleset":
		rep = s.withRepo(p, params, func(r *repo) reply { return s.createRuleset(p, r, body) })
	case "git/get-tree":
		rep = s.withRepo(p, params, func(r *repo) reply { return s.getTree(req, r, params["tree_sha"]) })
	case "git/get-blob":
		rep = s.withRepo(p, params, func(r *repo) reply { return s.getBlob(req, r, params["file_sha"]) })
	case "git/create-blob":
		rep = s.withRepo(p, params, func(r *repo) reply { return s.createBlob(p, r, body) })
	case "git/create-tree":
		rep = s.withRepo(p, params, func(r *repo) reply { return s.createTree(p, r, body) })
	case "git/create-commit":
		rep = s.withRepo(p, params, func(r *repo) reply { return s.createCommit(p, r, body) })
	case "git/get-commit":
		rep = s.withRepo(p, params, func(r *repo) reply { return s.getCommit(r, params["commit_sha"]) })
	case "git/create-ref":
		rep = s.withRepo(p, params, func(r *repo) reply { return s.createRef(p, r, body) })
	case "git/update-ref":
		rep = s.withRepo(p, params, func(r *repo) reply { return s.updateRef(p, r, params["ref"], body) })
	case "pulls/create":
		rep = s.withRepo(p, params, func(r *repo) reply { return s.createPull(p, r, body) })
	case "pulls/update":
		rep = s.withRepo(p, params, func(r *repo) reply { return s.updatePull(p, r, params["pull_number"], body) })
	case "pulls/list":
		rep = s.withRepo(p, params, func(r *repo) reply { return s.listPulls(req, r) })
	case "issues/create-comment":
		rep = s.withRepo(p, params, func(r *repo) reply { return s.createIssueComment(p, r, params["issue_number"], body) })
	case "issues/list-comments":
		rep = s.withRepo(p, params, func(r *repo) reply { return s.listIssueComments(req, r, params["issue_number"]) })
	case "checks/create":
		rep = s.withRepo(p, params, func(r *repo) reply { return s.createCheckRun(req, r, body) })
	case "checks/update":
		rep = s.withRepo(p, params, func(r *repo) reply { return s.updateCheckRun(req, r, params["check_run_id"], body) })
	case "checks/get":
		rep = s.withRepo(p, params, func(r *repo) reply { return s.getCheckRun(req, r, params["check_run_id"]) })
	case "checks/list-for-ref":
		rep = s.withRepo(p, params, func(r *repo) reply { return s.listCheckRuns(req, r, params["ref"]) })
	case "issues/create", "issues/get", "issues/update", "issues/list-for-repo":
		rep = s.withRepo(p, params, func(r *repo) reply { return s.handleIssues(req, op, p, r, params["issue_number"], body) })
	default:
		s.violation("%s %s: %s is in GitHub's description but the fake does not implement it; add it if the App needs it",
			req.Method, req.URL.Path, op)
		rep = errReply(http.StatusNotFound, "Not Found")
	}
	return rep
}

// withRepo runs f on the repository named by params if p may see it;
// otherwise it answers 404, as GitHub does for repositories an
// installation cannot access.
func (s *Server) withRepo(p principal, params map[string]string, f func(*repo) reply) reply {
	s.mu.Lock()
	r := s.repos[strings.ToLower(params["owner"]+"/"+params["repo"])]
	owner := s.installations[p.installation]
	s.mu.Unlock()
	if r == nil || (!p.app && !strings.EqualFold(owner, r.owner)) {
		return errReply(http.StatusNotFound, "Not Found")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return f(r)
}

func (s *Server) example(req *http.Request, name string, status int) map[string]any {
	route, _, _ := s.spec.route(req.Method, req.URL.EscapedPath())
	m, err := s.spec.example(route, status, name)
	if err != nil {
		s.violation("response template %s: %v", name, err)
		return map[string]any{}
	}
	return m
}

func ok(body any) reply      { return reply{status: http.StatusOK, body: body} }
func created(body any) reply { return reply{status: http.StatusCreated, body: body} }

func (s *Server) apiURL(path string) string { return s.URL() + path }

func (s *Server) getApp(req *http.Request) reply {
	m := s.example(req, "integration", 200)
	m["id"] = s.appID
	m["slug"] = "contractbot-fake"
	m["name"] = "contractbot (fake)"
	m["permissions"] = map[string]any{"checks": "write", "contents": "read", "metadata": "read", "pull_requests": "write"}
	m["events"] = []any{"push", "pull_request", "check_suite", "check_run", "create", "delete"}
	return ok(m)
}

func (s *Server) createToken(req *http.Request, params map[string]string) reply {
	id, err := strconv.ParseInt(params["installation_id"], 10, 64)
	s.mu.Lock()
	_, installed := s.installations[id]
	s.mu.Unlock()
	if err != nil || !installed {
		return errReply(http.StatusNotFound, "Not Found")
	}
	var raw [20]byte
	_, _ = rand.Read(raw[:])
	tok := "ghs_" + hex.EncodeToString(raw[:])
	exp := time.Now().Add(s.tokenTTL).UTC().Truncate(time.Second)
	s.mu.Lock()
	s.tokens[tok] = token{installation: id, expires: exp}
	s.mu.Unlock()
	m := s.example(req, "installation-token", 201)
	m["token"] = tok
	m["expires_at"] = exp.Format(time.RFC3339)
	s.mu.Lock()
	m["permissions"] = s.tokenPermissions(id)
	s.mu.Unlock()
	m["repository_selection"] = "all"
	delete(m, "repositories")
	return created(m)
}

func (s *Server) installationBody(req *http.Request, id int64, owner string) map[string]any {
	m := s.example(req, "installation", 200)
	m["id"] = id
	m["app_id"] = s.appID
	m["app_slug"] = "contractbot-fake"
	m["access_tokens_url"] = s.apiURL("app/installations/" + strconv.FormatInt(id, 10) + "/access_tokens")
	if acc, ok := m["account"].(map[string]any); ok {
		acc["login"] = owner
	}
	return m
}

func (s *Server) getInstallation(req *http.Request, idStr string) reply {
	id, err := strconv.ParseInt(idStr, 10, 64)
	s.mu.Lock()
	owner, installed := s.installations[id]
	s.mu.Unlock()
	if err != nil || !installed {
		return errReply(http.StatusNotFound, "Not Found")
	}
	return ok(s.installationBody(req, id, owner))
}

func (s *Server) getRepoInstallation(req *http.Request, params map[string]string) reply {
	s.mu.Lock()
	r := s.repos[strings.ToLower(params["owner"]+"/"+params["repo"])]
	var id int64
	var owner string
	if r != nil {
		for k, v := range s.installations {
			if strings.EqualFold(v, r.owner) {
				id, owner = k, v
			}
		}
	}
	s.mu.Unlock()
	if id == 0 {
		return errReply(http.StatusNotFound, "Not Found")
	}
	return ok(s.installationBody(req, id, owner))
}

func (s *Server) getRepo(req *http.Request, r *repo) reply {
	m := s.example(req, "full-repository", 200)
	m["id"] = r.id
	m["name"] = r.name
	m["full_name"] = r.owner + "/" + r.name
	m["default_branch"] = r.defaultBranch
	m["has_discussions"] = false // required by the schema, missing from GitHub's example
	m["url"] = s.apiURL("repos/" + r.owner + "/" + r.name)
	m["html_url"] = "https://github.com/" + r.owner + "/" + r.name
	m["clone_url"] = s.CloneURL(r.owner, r.name) // served by smarthttp.go
	m["private"], m["visibility"] = !r.public, map[bool]string{true: "public", false: "private"}[r.public]
	if o, ok := m["owner"].(map[string]any); ok {
		o["login"] = r.owner
	}
	return ok(m)
}

func (s *Server) getRef(req *http.Request, r *repo, ref string) reply {
	branch, isHead := strings.CutPrefix(ref, "heads/")
	sha, found := r.branches[branch]
	if !isHead || !found {
		return errReply(http.StatusNotFound, "Not Found")
	}
	m := s.example(req, "git-ref", 200)
	m["ref"] = "refs/" + ref
	m["url"] = s.apiURL("repos/" + r.owner + "/" + r.name + "/git/refs/" + ref)
	m["object"] = map[string]any{"type": "commit", "sha": sha,
		"url": s.apiURL("repos/" + r.owner + "/" + r.name + "/git/commits/" + sha)}
	return ok(m)
}

// getTree serves a tree by tree or commit id (GitHub accepts any tree-ish;
// the fake also accepts a branch name), recursively when the "recursive"
// query parameter is present.
func (s *Server) getTree(req *http.Request, r *repo, ref string) reply {
	id := ref
	if b, ok := r.branches[ref]; ok {
		id = b
	}
	o := r.objects[id]
	if o != nil && o.typ == typeCommit {
		id, o = o.tree, r.objects[o.tree]
	}
	if o == nil || o.typ != typeTree {
		return errReply(http.StatusNotFound, "Not Found")
	}
	recursive := req.URL.Query().Has("recursive")
	entries := []any{}
	base := s.apiURL("repos/" + r.owner + "/" + r.name + "/git/")
	r.objects.walkTree(id, "", recursive, func(p string, e treeEntry) {
		ent := map[string]any{"path": p, "mode": e.mode, "type": e.typ(), "sha": e.sha}
		switch e.typ() {
		case typeBlob:
			ent["size"] = len(r.objects[e.sha].data)
			ent["url"] = base + "blobs/" + e.sha
		case typeTree:
			ent["url"] = base + "trees/" + e.sha
		}
		entries = append(entries, ent)
	})
	truncated := false
	if recursive { // GitHub's limits are for recursive trees (treelimit.go)
		entries, truncated = truncateTree(entries, s.treeLimit, s.treeBytes)
	}
	return ok(map[string]any{"sha": id, "url": base + "trees/" + id, "tree": entries, "truncated": truncated})
}

func (s *Server) getBlob(req *http.Request, r *repo, sha string) reply {
	o := r.objects[sha]
	if o == nil || o.typ != typeBlob {
		return errReply(http.StatusNotFound, "Not Found")
	}
	// GitHub wraps base64 content at 60 characters.
	enc := base64.StdEncoding.EncodeToString(o.data)
	var b strings.Builder
	for len(enc) > 60 {
		b.WriteString(enc[:60] + "\n")
		enc = enc[60:]
	}
	b.WriteString(enc)
	m := s.example(req, "blob", 200)
	m["content"] = b.String()
	m["encoding"] = "base64"
	m["sha"] = sha
	m["size"] = len(o.data)
	m["url"] = s.apiURL("repos/" + r.owner + "/" + r.name + "/git/blobs/" + sha)
	m["node_id"] = base64.StdEncoding.EncodeToString([]byte("Blob:" + sha))
	return ok(m)
}

// checkRunInput is the body of checks/create and checks/update.
type checkRunInput struct {
	Name        *string `json:"name"`
	HeadSHA     *string `json:"head_sha"`
	DetailsURL  *string `json:"details_url"`
	ExternalID  *string `json:"external_id"`
	Status      *string `json:"status"`
	Conclusion  *string `json:"conclusion"`
	StartedAt   *string `json:"started_at"`
	CompletedAt *string `json:"completed_at"`
	Output      *struct {
		Title       *string      `json:"title"`
		Summary     *string      `json:"summary"`
		Text        *string      `json:"text"`
		Annotations []Annotation `json:"annotations"`
	} `json:"output"`
}

// checkLimits applies GitHub's rules for check-run bodies beyond what the
// schema states; it returns a 422 message or "".
func checkLimits(in *checkRunInput, creating bool) string {
	if creating && (in.HeadSHA == nil || in.Name == nil) {
		return "Invalid request.\n\n\"name\", \"head_sha\" weren't supplied."
	}
	if in.Status != nil && *in.Status == "completed" && in.Conclusion == nil {
		return "Invalid request.\n\nWhen the status is 'completed', a conclusion is required."
	}
	if in.CompletedAt != nil && in.Conclusion == nil {
		return "Invalid request.\n\nWhen completed_at is provided, a conclusion is required."
	}
	if o := in.Output; o != nil {
		if o.Title == nil || o.Summary == nil {
			return "Invalid request.\n\n\"title\", \"summary\" weren't supplied."
		}
		for _, s := range []*string{o.Summary, o.Text} {
			if s != nil && utf8.RuneCountInString(*s) > maxOutputChars {
				return fmt.Sprintf("Invalid request.\n\nOnly %d characters are allowed; %d were supplied.", maxOutputChars, utf8.RuneCountInString(*s))
			}
		}
		if n := len(o.Annotations); n > maxAnnotations {
			return fmt.Sprintf("Invalid request.\n\nNo more than 50 items are allowed; %d were supplied.", n)
		}
		for _, a := range o.Annotations {
			switch {
			case a.Path == "" || a.Message == "" || a.StartLine < 1 || a.EndLine < 1:
				return "Invalid request.\n\nAnnotations need path, start_line, end_line, annotation_level and message."
			case a.EndLine < a.StartLine:
				return "Invalid request.\n\nAn annotation's end_line must not be before its start_line."
			case (a.StartColumn != nil || a.EndColumn != nil) && a.StartLine != a.EndLine:
				return "Invalid request.\n\nstart_column and end_column are only allowed when start_line equals end_line."
			}
		}
	}
	return ""
}

func (s *Server) createCheckRun(req *http.Request, r *repo, body []byte) reply {
	var in checkRunInput
	if err := json.Unmarshal(body, &in); err != nil {
		return errReply(http.StatusBadRequest, "Problems parsing JSON")
	}
	if msg := checkLimits(&in, true); msg != "" {
		return errReply(http.StatusUnprocessableEntity, msg)
	}
	if o := r.objects[*in.HeadSHA]; o == nil || o.typ != typeCommit {
		return errReply(http.StatusUnprocessableEntity, "No commit found for SHA: "+*in.HeadSHA)
	}
	s.nextID++
	rec := &CheckRunRecord{ID: s.nextID, Owner: r.owner, Repo: r.name, Name: *in.Name, HeadSHA: *in.HeadSHA, Status: "queued", Created: time.Now()}
	rec.apply(&in)
	s.noteCompletion(rec)
	s.runs = append(s.runs, rec)
	return created(s.checkRunBody(req, r, rec, 201))
}

func (s *Server) findRun(r *repo, idStr string) *CheckRunRecord {
	id, err := strconv.ParseInt(idStr, 10, 64)
	if err != nil {
		return nil
	}
	for _, rec := range s.runs {
		if rec.ID == id && rec.Owner == r.owner && rec.Repo == r.name {
			return rec
		}
	}
	return nil
}

func (s *Server) updateCheckRun(req *http.Request, r *repo, idStr string, body []byte) reply {
	var in checkRunInput
	if err := json.Unmarshal(body, &in); err != nil {
		return errReply(http.StatusBadRequest, "Problems parsing JSON")
	}
	rec := s.findRun(r, idStr)
	if rec == nil {
		return errReply(http.StatusNotFound, "Not Found")
	}
	if msg := checkLimits(&in, false); msg != "" {
		return errReply(http.StatusUnprocessableEntity, msg)
	}
	rec.apply(&in)
	s.noteCompletion(rec)
	return ok(s.checkRunBody(req, r, rec, 200))
}

func (s *Server) getCheckRun(req *http.Request, r *repo, idStr string) reply {
	rec := s.findRun(r, idStr)
	if rec == nil {
		return errReply(http.StatusNotFound, "Not Found")
	}
	return ok(s.checkRunBody(req, r, rec, 200))
}

func (s *Server) listCheckRuns(req *http.Request, r *repo, ref string) reply {
	sha := ref
	if b, ok := r.branches[ref]; ok {
		sha = b
	}
	name := req.URL.Query().Get("check_name")
	var mine []*CheckRunRecord
	for i := len(s.runs) - 1; i >= 0; i-- { // newest first, as GitHub lists them
		rec := s.runs[i]
		if rec.Owner == r.owner && rec.Repo == r.name && rec.HeadSHA == sha && (name == "" || rec.Name == name) {
			mine = append(mine, rec)
		}
	}
	runs := []any{}
	for _, rec := range page(req, mine) {
		runs = append(runs, s.checkRunBody(req, r, rec, 200))
	}
	return ok(map[string]any{"total_count": len(mine), "check_runs": runs})
}

// noteCompletion sets rec.CallsAtCompletion when rec has just become
// completed; s.mu is held.
func (s *Server) noteCompletion(rec *CheckRunRecord) {
	if rec.Status != "completed" || rec.CallsAtCompletion != 0 {
		return
	}
	for _, n := range s.calls {
		rec.CallsAtCompletion += n
	}
}

// apply merges a create or update body into the record: fields replace,
// annotations append (as GitHub documents).
func (rec *CheckRunRecord) apply(in *checkRunInput) {
	rec.Requests++
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&rec.Name, in.Name)
	set(&rec.DetailsURL, in.DetailsURL)
	set(&rec.ExternalID, in.ExternalID)
	set(&rec.Status, in.Status)
	set(&rec.StartedAt, in.StartedAt)
	set(&rec.CompletedAt, in.CompletedAt)
	if in.Conclusion != nil {
		rec.Conclusion, rec.Status = *in.Conclusion, "completed"
		if rec.Completed.IsZero() {
			rec.Completed = time.Now()
		}
		if rec.CompletedAt == "" {
			rec.CompletedAt = time.Now().UTC().Format(time.RFC3339)
		}
	}
	if o := in.Output; o != nil {
		set(&rec.Title, o.Title)
		set(&rec.Summary, o.Summary)
		set(&rec.Text, o.Text)
		rec.Annotations = append(rec.Annotations, o.Annotations...)
	}
	if rec.StartedAt == "" {
		rec.StartedAt = time.Now().UTC().Format(time.RFC3339)
	}
}

func (s *Server) checkRunBody(req *http.Request, r *repo, rec *CheckRunRecord, status int) map[string]any {
	m := s.example(req, "check-run", status)
	repoURL := "repos/" + r.owner + "/" + r.name
	m["id"] = rec.ID
	m["node_id"] = base64.StdEncoding.EncodeToString([]byte("CheckRun:" + strconv.FormatInt(rec.ID, 10)))
	m["name"] = rec.Name
	m["head_sha"] = rec.HeadSHA
	m["external_id"] = rec.ExternalID
	m["details_url"] = rec.DetailsURL
	m["status"] = rec.Status
	m["url"] = s.apiURL(repoURL + "/check-runs/" + strconv.FormatInt(rec.ID, 10))
	m["html_url"] = "https://github.com/" + r.owner + "/" + r.name + "/runs/" + strconv.FormatInt(rec.ID, 10)
	m["conclusion"] = nil
	if rec.Conclusion != "" {
		m["conclusion"] = rec.Conclusion
	}
	m["started_at"] = rec.StartedAt
	m["completed_at"] = nil
	if rec.CompletedAt != "" {
		m["completed_at"] = rec.CompletedAt
	}
	out := map[string]any{
		"title": nil, "summary": nil, "text": nil,
		"annotations_count": len(rec.Annotations),
		"annotations_url":   s.apiURL(repoURL + "/check-runs/" + strconv.FormatInt(rec.ID, 10) + "/annotations"),
	}
	if rec.Title != "" {
		out["title"] = rec.Title
	}
	if rec.Summary != "" {
		out["summary"] = rec.Summary
	}
	if rec.Text != "" {
		out["text"] = rec.Text
	}
	m["output"] = out
	if app, ok := m["app"].(map[string]any); ok {
		app["id"] = s.appID
		app["slug"] = "contractbot-fake"
	}
	m["pull_requests"] = []any{}
	return m
}
