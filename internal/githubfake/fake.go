// Package githubfake is an in-process fake of the GitHub REST API for
// contractbot's tests. It holds repositories as real git objects, serves
// exactly the endpoints the App calls, enforces GitHub's documented limits,
// authenticates like GitHub (App JWT, installation tokens), and validates
// every request and response against GitHub's own OpenAPI description, so
// that it cannot drift from GitHub unnoticed.
//
// Implemented operations (GitHub's operationIds): apps/get-authenticated,
// apps/create-installation-access-token, apps/get-installation,
// apps/get-repo-installation (App JWT); repos/get, git/get-ref,
// git/get-tree, git/get-blob, checks/create, checks/update, checks/get,
// checks/list-for-ref, and the writes of fix pull requests: git/create-blob,
// git/create-tree, git/create-commit, git/get-commit, git/create-ref,
// git/update-ref, pulls/create, pulls/update, pulls/list,
// issues/create-comment, issues/list-comments (installation token; see
// gitdata.go and pullswrite.go). Any other request fails the
// test. Responses start from GitHub's documented examples, so every field
// GitHub documents is present.
//
// Git smart HTTP: each repository can also be fetched with the real git at
// [Server.CloneURL] (repos/get's clone_url), /<owner>/<repo>.git, through
// the real `git http-backend`: info/refs?service=git-upload-pack and
// git-upload-pack, protocol v0 and v2 (the Git-Protocol header becomes
// GIT_PROTOCOL), with partial clones (--filter=blob:none) and fetches of
// any object by id allowed, as on GitHub. Credentials are HTTP basic, user
// x-access-token, password an installation token the fake issued whose
// installation covers the repository; repositories are private unless
// [Server.SetPrivate] makes them public, which git can then read without a
// credential. git-receive-pack and the dumb protocol are refused (403). Git
// requests count in [Server.Calls] as [GitInfoRefsOp], [GitUploadPackOp],
// [GitReceivePackOp] and [GitDumbOp], take the fake's latency and injected
// faults (before the request is carried out), but not the API's hourly
// quota, as on GitHub. The fake's objects are git objects already; the
// first git request of a repository writes them as a pack into a bare
// repository in a temporary directory of the Server's own (removed when
// the test ends), and each later one writes only what was pushed since
// (see [Server.Materialize]), merging the packs into one every 32, with
// refs mirroring branches, tags and refs/pull/<n>/head.
package githubfake

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// DefaultRateLimit is the hourly request quota per installation (and for
// the App's JWT), GitHub's base limit for an installation.
const DefaultRateLimit = 5000

// maxRequestBody bounds a request body, as GitHub does (about 25 MB).
const maxRequestBody = 25 << 20

// Option configures [New].
type Option func(*Server)

// WithRateLimit sets the hourly quota per installation (default
// [DefaultRateLimit]); benchmarks raise it.
func WithRateLimit(n int) Option { return func(s *Server) { s.rateLimit = n } }

// WithTokenTTL sets how long installation tokens live (GitHub: one hour).
func WithTokenTTL(d time.Duration) Option { return func(s *Server) { s.tokenTTL = d } }

// WithTreeLimit makes recursive trees with more than n entries come back
// truncated (default [MaxTreeEntries], GitHub's; see also [WithTreeBytes]).
func WithTreeLimit(n int) Option { return func(s *Server) { s.treeLimit = n } }

// RecordViolations makes OpenAPI violations and requests to endpoints the
// fake does not implement recorded (see [Server.Violations]) instead of
// failing the test: for tests that send bad requests on purpose.
func RecordViolations() Option { return func(s *Server) { s.lenient = true } }

// WithoutValidation turns OpenAPI validation off; benchmarks use it to
// measure the client rather than the validator. Tests must not.
func WithoutValidation() Option { return func(s *Server) { s.noValidate = true } }

// Server is a fake GitHub API. Its methods are safe for concurrent use.
type Server struct {
	t          testing.TB
	srv        *httptest.Server
	spec       *spec
	specPath   string
	appID      int64
	key        *rsa.PrivateKey
	keyPEM     []byte
	rateLimit  int
	tokenTTL   time.Duration
	treeLimit  int
	treeBytes  int
	lenient    bool
	noValidate bool
	closing    chan struct{}

	vmu        sync.Mutex // guards violations; separate from mu so handlers holding mu can report
	violations []string

	mu            sync.Mutex
	installations map[int64]string // id -> account login
	tokens        map[string]token
	repos         map[string]*repo // "owner/name" (lower case) -> repo
	runs          []*CheckRunRecord
	calls         map[string]int
	statuses      map[int]int
	faults        []*Fault
	latency       time.Duration
	quota         map[string]*quota
	nextID        int64
	clock         int64 // commit timestamps: deterministic, increasing
	hookURL       string
	hookSecret    []byte
	deliveries    []*Delivery
	redeliveries  atomic.Int64
	ext           extState // pull requests, reviews, tags, rulesets (pulls.go, refs.go)
	git           gitDisk  // bare repositories served over git smart HTTP (gitdisk.go, smarthttp.go)

	iss issueState // issues (issues.go)
}

type token struct {
	installation int64
	expires      time.Time
}

type quota struct {
	used  int
	reset time.Time
}

type repo struct {
	id            int64
	owner, name   string
	defaultBranch string
	branches      map[string]string // branch -> commit id
	objects       store
	public        bool // readable over git without a token (smarthttp.go)
	// protected are the branch name patterns (path.Match) whose refs the
	// API refuses to create, move or delete ([Server.ProtectBranch]).
	protected []string
}

// CheckRunRecord is a check run as the fake holds it after create and
// update calls: every annotation sent, in order.
type CheckRunRecord struct {
	ID          int64
	Owner, Repo string
	Name        string
	HeadSHA     string
	Status      string
	Conclusion  string
	ExternalID  string
	DetailsURL  string
	StartedAt   string
	CompletedAt string
	Title       string
	Summary     string
	Text        string
	Annotations []Annotation
	// Requests counts the create and update calls that built the run.
	Requests int
	// Created and Completed are when the fake created the run and when it
	// first became completed (zero until then), for latency measurements:
	// StartedAt and CompletedAt are what the client sent, in whole seconds.
	Created, Completed time.Time
	// CallsAtCompletion is what TotalCalls was when the run first became
	// completed: the requests that led to it, without those of work the
	// App goes on with afterwards (the re-checks a soa push enqueues).
	CallsAtCompletion int
}

// Annotation is one check-run annotation as sent.
type Annotation struct {
	Path            string `json:"path"`
	StartLine       int    `json:"start_line"`
	EndLine         int    `json:"end_line"`
	StartColumn     *int   `json:"start_column,omitempty"`
	EndColumn       *int   `json:"end_column,omitempty"`
	AnnotationLevel string `json:"annotation_level"`
	Message         string `json:"message"`
	Title           string `json:"title,omitempty"`
	RawDetails      string `json:"raw_details,omitempty"`
}

// FaultKind is a kind of failure the fake can inject.
type FaultKind int

// Fault kinds.
const (
	// FaultServerError answers with Status (default 500) and GitHub's error body.
	FaultServerError FaultKind = iota + 1
	// FaultSecondaryRateLimit answers 403 (or Status 429) with Retry-After.
	FaultSecondaryRateLimit
	// FaultPrimaryRateLimit answers 403 (or Status 429) with
	// x-ratelimit-remaining: 0 and x-ratelimit-reset Reset from now.
	FaultPrimaryRateLimit
	// FaultHang never answers; the client must give up on its own.
	FaultHang
	// FaultLatency delays the response by Latency, then answers normally.
	FaultLatency
	// FaultDisconnect closes the connection without an answer.
	FaultDisconnect
	// FaultTruncatedBody answers 200 with the right headers (ETag
	// included) but only the first half of the JSON body, sent chunked and
	// ended cleanly, as a proxy that gives up mid-answer does: the reader
	// sees a clean end of the body, the decoder a cut-off document.
	FaultTruncatedBody
)

// Fault is a failure injected into the next Times (default 1) requests to
// Operation (an operationId such as "checks/create"; "" matches all).
//
// With After set, the fault fires after the fake carried out the request:
// the check run is created, the annotations appended, the comment posted,
// and only then is the answer replaced (FaultServerError: a 502 from
// GitHub's front end; FaultDisconnect: the connection reset; FaultHang:
// no answer at all; FaultLatency: the real answer, Latency late, longer
// than the client waits). It is the fault that tells a client that retries
// blindly from one that looks before it writes again.
type Fault struct {
	Kind       FaultKind
	Operation  string
	Times      int
	Status     int
	RetryAfter time.Duration
	Reset      time.Duration
	Latency    time.Duration
	After      bool
}

// New starts a fake GitHub; t.Cleanup closes it. When GitHub's OpenAPI
// description is missing the test is skipped, or fails when
// CONTRACTBOT_REQUIRE_ITEST=1. Every request and response is validated
// against it; a violation fails t (see [RecordViolations]).
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{
		t:             t,
		appID:         4242,
		rateLimit:     DefaultRateLimit,
		tokenTTL:      time.Hour,
		treeLimit:     MaxTreeEntries,
		treeBytes:     MaxTreeBytes,
		closing:       make(chan struct{}),
		installations: map[int64]string{},
		tokens:        map[string]token{},
		repos:         map[string]*repo{},
		calls:         map[string]int{},
		statuses:      map[int]int{},
		quota:         map[string]*quota{},
		nextID:        1000,
		clock:         1700000000,
	}
	for _, o := range opts {
		o(s)
	}
	if s.specPath == "" {
		s.specPath = requireReference(t, SpecRelPath)
	}
	sp, err := getSpec(s.specPath)
	if err != nil {
		t.Fatalf("githubfake: GitHub's OpenAPI description: %v", err)
	}
	s.spec = sp
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("githubfake: generate app key: %v", err)
	}
	s.key = key
	s.keyPEM = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	t.Cleanup(func() {
		close(s.closing)
		s.srv.Close()
		s.git.close()
	})
	return s
}

// URL returns the API root, ending in "/" (CONTRACTBOT_GITHUB_API_URL).
func (s *Server) URL() string { return s.srv.URL + "/" }

// Client returns an HTTP client for the fake.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// AppID returns the fake App's id.
func (s *Server) AppID() int64 { return s.appID }

// PrivateKeyPEM returns the fake App's private key (PKCS #1 PEM, as GitHub
// issues them); the fake accepts JWTs signed with it and nothing else.
func (s *Server) PrivateKeyPEM() []byte { return bytes.Clone(s.keyPEM) }

// AddInstallation installs the App on account owner (a user or an
// organisation) with the given installation id; its tokens can read every
// repository of owner.
func (s *Server) AddInstallation(id int64, owner string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.installations[id] = owner
}

// RemoveInstallation uninstalls the App: the installation's tokens stop
// working (401) and new ones cannot be created (404).
func (s *Server) RemoveInstallation(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.installations, id)
	for k, tok := range s.tokens {
		if tok.installation == id {
			delete(s.tokens, k)
		}
	}
}

// RevokeTokens invalidates the installation's tokens (401 from then on)
// while the App stays installed, so new tokens can be created.
func (s *Server) RevokeTokens(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, tok := range s.tokens {
		if tok.installation == id {
			delete(s.tokens, k)
		}
	}
}

// Push commits files (path -> content, mode 100644) as the whole tree of a
// new commit on branch, whose parent is the branch's previous head, and
// returns the commit id. The repository is created on first push, with
// branch as its default branch. Ids are computed exactly as git computes
// them.
func (s *Server) Push(owner, repo, branch string, files map[string]string) (sha string) {
	fs := make([]File, 0, len(files))
	for p, c := range files {
		fs = append(fs, File{Path: p, Content: c})
	}
	return s.PushFiles(owner, repo, branch, fs)
}

// PushFiles is [Server.Push] with file modes (executables, symbolic links).
func (s *Server) PushFiles(owner, repoName, branch string, files []File) (sha string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(owner + "/" + repoName)
	r := s.repos[key]
	if r == nil {
		s.nextID++
		r = &repo{id: s.nextID, owner: owner, name: repoName, defaultBranch: branch, branches: map[string]string{}, objects: store{}}
		s.repos[key] = r
	}
	tree, err := r.objects.addTree(files)
	if err != nil {
		s.t.Fatalf("%v", err)
		return ""
	}
	s.clock++
	id := r.objects.addCommit(tree, r.branches[branch], s.clock, "push "+strconv.FormatInt(s.clock, 10))
	r.branches[branch] = id
	return id
}

// CheckRuns returns the check runs posted on owner/repo for commit sha, in
// creation order.
func (s *Server) CheckRuns(owner, repo, sha string) []CheckRunRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []CheckRunRecord
	for _, r := range s.runs {
		if strings.EqualFold(r.Owner, owner) && strings.EqualFold(r.Repo, repo) && r.HeadSHA == sha {
			c := *r
			c.Annotations = append([]Annotation(nil), r.Annotations...)
			out = append(out, c)
		}
	}
	return out
}

// AllCheckRuns returns every check run posted, on any repository, in
// creation order: load tests look at thousands of commits at once.
func (s *Server) AllCheckRuns() []CheckRunRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]CheckRunRecord, len(s.runs))
	for i, r := range s.runs {
		out[i] = *r
		out[i].Annotations = append([]Annotation(nil), r.Annotations...)
	}
	return out
}

// Calls returns how many requests each operation (by operationId, e.g.
// "git/get-tree") received, including failed and faulted ones. Requests
// that match no operation are counted under "(unknown) METHOD /path".
func (s *Server) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

// TotalCalls returns the number of requests received.
func (s *Server) TotalCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, v := range s.calls {
		n += v
	}
	return n
}

// ResetCalls sets every call and status count back to zero.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.calls)
	clear(s.statuses)
}

// Statuses returns how many responses the fake sent with each HTTP status
// (304 Not Modified shows conditional requests at work). Injected faults
// count under their status; hangs and dropped connections under 0.
func (s *Server) Statuses() map[int]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[int]int, len(s.statuses))
	for k, v := range s.statuses {
		out[k] = v
	}
	return out
}

// SetDefaultBranch makes branch, which must have been pushed, the
// repository's default branch.
func (s *Server) SetDefaultBranch(owner, repo, branch string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[strings.ToLower(owner+"/"+repo)]
	if r == nil || r.branches[branch] == "" {
		s.t.Fatalf("githubfake: SetDefaultBranch: %s/%s has no branch %q", owner, repo, branch)
		return
	}
	r.defaultBranch = branch
}

// InjectFault queues a failure; faults apply in the order injected.
func (s *Server) InjectFault(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// SetLatency delays every response by d (simulated network and GitHub
// processing time).
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// Violations returns the OpenAPI violations seen so far (with
// [RecordViolations]; otherwise they have already failed the test).
func (s *Server) Violations() []string {
	s.vmu.Lock()
	defer s.vmu.Unlock()
	return append([]string(nil), s.violations...)
}

func (s *Server) violation(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.vmu.Lock()
	s.violations = append(s.violations, msg)
	s.vmu.Unlock()
	if !s.lenient {
		s.t.Errorf("githubfake: %s", msg)
	}
}

// reply is a handler's answer before headers, ETag and validation.
type reply struct {
	status int
	body   any
	header http.Header
	// truncate sends half the body, chunked (FaultTruncatedBody).
	truncate bool
}

func errReply(status int, msg string) reply {
	return reply{status: status, body: map[string]any{
		"message":           msg,
		"documentation_url": "https://docs.github.com/rest",
	}}
}

// serveHTTP is the fake's single entry point: route, count, fault, delay,
// authenticate, validate, handle, add GitHub's headers, validate, answer.
func (s *Server) serveHTTP(w http.ResponseWriter, req *http.Request) {
	if s.serveGit(w, req) {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, maxRequestBody))
	if err != nil {
		s.write(w, req, nil, nil, errReply(http.StatusRequestEntityTooLarge, "request body too large"))
		return
	}
	route, params, ok := s.spec.route(req.Method, req.URL.EscapedPath())
	if !ok {
		s.mu.Lock()
		s.calls["(unknown) "+req.Method+" "+req.URL.Path]++
		s.mu.Unlock()
		s.violation("%s %s: not an operation in GitHub's OpenAPI description", req.Method, req.URL.Path)
		s.write(w, req, nil, nil, errReply(http.StatusNotFound, "Not Found"))
		return
	}
	op := route.Operation.OperationID
	s.mu.Lock()
	s.calls[op]++
	latency := s.latency
	var fault *Fault
	for i, f := range s.faults {
		if f.Operation == "" || f.Operation == op {
			fault = f
			if f.Times--; f.Times <= 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
			break
		}
	}
	s.mu.Unlock()

	if fault != nil && fault.Kind == FaultLatency && !fault.After {
		latency += fault.Latency
	}
	if latency > 0 && !s.sleep(req.Context(), latency) {
		return
	}
	if fault != nil && !fault.After && fault.Kind != FaultTruncatedBody && s.fault(w, req, fault) {
		return
	}

	auth, rep := s.authenticate(req, op, params)
	if rep.status != 0 {
		s.write(w, req, route, params, rep)
		return
	}
	if !s.noValidate {
		if err := s.spec.validateRequest(req.Context(), req, body, route, params); err != nil {
			s.violation("%s %s (%s): request does not match GitHub's OpenAPI description: %v", req.Method, req.URL.Path, op, err)
			s.write(w, req, route, params, errReply(http.StatusUnprocessableEntity, "Invalid request.\n\n"+err.Error()))
			return
		}
	}
	rl := rep.header
	rep = s.handle(req, op, params, body, auth)
	if rep.header == nil {
		rep.header = rl
	}
	if fault != nil && fault.After {
		// The request was carried out; now its answer is lost.
		switch fault.Kind {
		case FaultLatency:
			if !s.sleep(req.Context(), fault.Latency) {
				s.countStatus(0)
				return
			}
		default:
			f := *fault // shared with the requests that take the next Times
			if f.Kind == FaultServerError && f.Status == 0 {
				f.Status = http.StatusBadGateway // GitHub's front end
			}
			if s.fault(w, req, &f) {
				return
			}
		}
	}
	rep.truncate = fault != nil && fault.Kind == FaultTruncatedBody
	s.write(w, req, route, params, rep)
}

func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.closing:
		return false
	}
}

func (s *Server) countStatus(code int) {
	s.mu.Lock()
	s.statuses[code]++
	s.mu.Unlock()
}

// fault answers req as f says; it reports whether it did.
func (s *Server) fault(w http.ResponseWriter, req *http.Request, f *Fault) bool {

	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	status := f.Status
	switch f.Kind {
	case FaultServerError:
		if status == 0 {
			status = http.StatusInternalServerError
		}
		s.countStatus(status)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"message":"Server Error","documentation_url":"https://docs.github.com/rest"}`)
	case FaultSecondaryRateLimit:
		if status == 0 {
			status = http.StatusForbidden
		}
		h.Set("Retry-After", strconv.Itoa(int(f.RetryAfter/time.Second)))
		s.countStatus(status)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`)
	case FaultPrimaryRateLimit:
		if status == 0 {
			status = http.StatusForbidden
		}
		h.Set("X-Ratelimit-Limit", strconv.Itoa(s.rateLimit))
		h.Set("X-Ratelimit-Remaining", "0")
		h.Set("X-Ratelimit-Used", strconv.Itoa(s.rateLimit))
		h.Set("X-Ratelimit-Resource", "core")
		h.Set("X-Ratelimit-Reset", strconv.FormatInt(time.Now().Add(f.Reset).Unix(), 10))
		s.countStatus(status)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"message":"API rate limit exceeded for installation.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}`)
	case FaultHang:
		s.countStatus(0)
		select {
		case <-req.Context().Done():
		case <-s.closing:
		}
	case FaultDisconnect:
		s.countStatus(0)
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic(http.ErrAbortHandler)
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			conn.Close()
		}
	default:
		return false
	}
	return true
}

// write adds GitHub's headers (rate limit, ETag), answers conditional GETs
// with 304, validates the response and sends it.
func (s *Server) write(w http.ResponseWriter, req *http.Request, route routeRef, params map[string]string, rep reply) {
	var body []byte
	if rep.body != nil {
		var err error
		body, err = json.Marshal(rep.body)
		if err != nil {
			s.violation("marshal response: %v", err)
			rep = errReply(http.StatusInternalServerError, "fake: "+err.Error())
			body, _ = json.Marshal(rep.body)
		}
	}
	h := w.Header()
	for k, v := range rep.header {
		h[k] = v
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-GitHub-Api-Version-Selected", "2022-11-28")
	h.Set("X-GitHub-Request-Id", strconv.FormatInt(time.Now().UnixNano(), 16))
	status := rep.status
	if req.Method == http.MethodGet && status == http.StatusOK {
		sum := sha256.Sum256(body)
		etag := `W/"` + hex.EncodeToString(sum[:16]) + `"`
		h.Set("ETag", etag)
		if inm := req.Header.Get("If-None-Match"); inm != "" && inm == etag {
			s.countStatus(http.StatusNotModified)
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	if route != nil && !s.noValidate && documented(route, status) {
		if err := s.spec.validateResponse(req.Context(), req, route, params, status, h, body); err != nil {
			s.violation("%s %s (%s): fake's %d response does not match GitHub's OpenAPI description: %v",
				req.Method, req.URL.Path, route.Operation.OperationID, status, err)
		}
	}
	if rep.truncate {
		// No Content-Length: the answer is chunked and ends cleanly after
		// half the document, so only the JSON decoder can tell.
		s.countStatus(status)
		w.WriteHeader(status)
		_, _ = w.Write(body[:len(body)/2])
		return
	}
	if body != nil && len(body) <= chunkedAbove {
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	s.countStatus(status)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
