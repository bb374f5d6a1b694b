package githubfake

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Git smart HTTP, as GitHub serves it at a repository's clone_url: the
// fake hands /<owner>/<repo>.git/info/refs?service=git-upload-pack and
// /<owner>/<repo>.git/git-upload-pack to the real `git http-backend`, so
// that clients meet git's own protocol (v0 and v2, partial clones, fetches
// of single objects by id) rather than an imitation of it.

// Operation names under which git requests are counted in [Server.Calls],
// beside the API's operationIds, so that a test can sum every request the
// App made of GitHub.
const (
	GitInfoRefsOp    = "git/upload-pack-info-refs"
	GitUploadPackOp  = "git/upload-pack"
	GitReceivePackOp = "git/receive-pack" // info/refs for it included; always refused
	GitDumbOp        = "git/dumb"         // the dumb protocol's plain file requests; refused
)

// gitPath matches the paths of a repository's git endpoints; the owner and
// name use the characters GitHub allows, so that neither can climb out of
// the fake's git directory.
var gitPath = regexp.MustCompile(`^/([A-Za-z0-9][A-Za-z0-9-]*)/([A-Za-z0-9._-]+)\.git(/.*)$`)

// gitProtocol is what a Git-Protocol header may carry ("version=2",
// several keys separated by ":").
var gitProtocol = regexp.MustCompile(`^[A-Za-z0-9=:._,-]{1,256}$`)

// CloneURL returns owner/repo's clone_url on the fake, as repos/get and
// push payloads give it.
func (s *Server) CloneURL(owner, repo string) string {
	return s.srv.URL + "/" + owner + "/" + repo + ".git"
}

// SetPrivate sets owner/repo's visibility. Repositories are private until
// made public: git reads of a private repository need an installation
// token that covers it, while a public one can be cloned anonymously, as
// on GitHub. repos/get reports the visibility.
func (s *Server) SetPrivate(owner, repo string, private bool) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[strings.ToLower(owner+"/"+repo)]
	if r == nil {
		s.t.Fatalf("githubfake: SetPrivate: no repository %s/%s", owner, repo)
		return
	}
	r.public = !private
}

// InstallationToken mints an installation token for installation id
// without a request (not counted): for tests that drive git directly.
func (s *Server) InstallationToken(id int64) string {
	s.t.Helper()
	var raw [20]byte
	_, _ = rand.Read(raw[:])
	tok := "ghs_" + hex.EncodeToString(raw[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.installations[id]; !ok {
		s.t.Fatalf("githubfake: InstallationToken: no installation %d", id)
		return ""
	}
	s.tokens[tok] = token{installation: id, expires: time.Now().Add(s.tokenTTL)}
	return tok
}

// Materialize writes owner/repo's objects and refs to its bare repository
// now, as the first git request would, and says how much it wrote:
// benchmarks measure it, tests need not call it.
func (s *Server) Materialize(owner, repo string) MaterializeStats {
	s.t.Helper()
	_, st, err := s.materialize(strings.ToLower(owner + "/" + repo))
	if err != nil {
		s.t.Fatalf("%v", err)
	}
	return st
}

// statusWriter remembers the status of an answer for [Server.Statuses].
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (hijack for
// FaultDisconnect, flush for the CGI's streamed answer).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// serveGit answers req if it is a git request and reports whether it was.
func (s *Server) serveGit(w http.ResponseWriter, req *http.Request) bool {
	m := gitPath.FindStringSubmatch(req.URL.Path)
	if m == nil {
		return false
	}
	owner, name, rest := m[1], m[2], m[3]
	var op string
	switch {
	case rest == "/info/refs" && req.Method == http.MethodGet && req.URL.Query().Get("service") == "git-upload-pack":
		op = GitInfoRefsOp
	case rest == "/git-upload-pack" && req.Method == http.MethodPost:
		op = GitUploadPackOp
	case rest == "/git-receive-pack" || (rest == "/info/refs" && req.URL.Query().Get("service") == "git-receive-pack"):
		op = GitReceivePackOp
	default:
		op = GitDumbOp
	}
	s.mu.Lock()
	s.calls[op]++
	latency := s.latency
	var fault *Fault
	for i, f := range s.faults {
		// A truncated body is a JSON answer's fault; git requests leave it
		// to the API request it was meant for.
		if (f.Operation == "" || f.Operation == op) && f.Kind != FaultTruncatedBody {
			fault = f
			if f.Times--; f.Times <= 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
			break
		}
	}
	s.mu.Unlock()

	sw := &statusWriter{ResponseWriter: w}
	counted := false // s.fault counts its own answers
	defer func() {
		if !counted {
			s.countStatus(sw.status)
		}
	}()
	// Faults apply before the request is carried out: an upload-pack has
	// no effect to lose, so After adds nothing here.
	if fault != nil && fault.Kind == FaultLatency {
		latency += fault.Latency
	}
	if latency > 0 && !s.sleep(req.Context(), latency) {
		return true
	}
	if fault != nil && fault.Kind != FaultLatency && s.fault(w, req, fault) { // w: FaultDisconnect hijacks it
		counted = true
		return true
	}

	switch op {
	case GitReceivePackOp:
		gitError(sw, http.StatusForbidden, "Write access to repository not granted.")
		return true
	case GitDumbOp:
		gitError(sw, http.StatusForbidden, "The dumb HTTP protocol is not supported; use git 1.6.6 or later.")
		return true
	}

	key := strings.ToLower(owner + "/" + name)
	s.mu.Lock()
	r := s.repos[key]
	public := r != nil && r.public
	s.mu.Unlock()
	if st, msg := s.gitAccess(req, r, public); st != 0 {
		if st == http.StatusUnauthorized {
			sw.Header().Set("WWW-Authenticate", `Basic realm="GitHub"`)
		}
		gitError(sw, st, msg)
		return true
	}
	dir, _, err := s.materialize(key)
	if err != nil {
		s.violation("git %s %s: %v", req.Method, req.URL.Path, err)
		gitError(sw, http.StatusInternalServerError, "fake: "+err.Error())
		return true
	}
	gitBin, err := exec.LookPath("git")
	if err != nil {
		s.violation("git %s %s: git is not installed: %v", req.Method, req.URL.Path, err)
		gitError(sw, http.StatusInternalServerError, "fake: git is not installed")
		return true
	}
	root := filepath.Dir(filepath.Dir(dir))
	env := []string{
		"GIT_PROJECT_ROOT=" + root,
		"GIT_HTTP_EXPORT_ALL=1",
		"PATH=" + os.Getenv("PATH"),
		// No system or user configuration: the fake's behaviour is the
		// same on every machine.
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		// What GitHub allows: partial clones (--filter=blob:none) and the
		// fetches of missing blobs by id that follow them.
		"GIT_CONFIG_COUNT=3",
		"GIT_CONFIG_KEY_0=uploadpack.allowFilter", "GIT_CONFIG_VALUE_0=true",
		"GIT_CONFIG_KEY_1=uploadpack.allowAnySHA1InWant", "GIT_CONFIG_VALUE_1=true",
		"GIT_CONFIG_KEY_2=http.receivepack", "GIT_CONFIG_VALUE_2=false",
	}
	if v := req.Header.Get("Git-Protocol"); v != "" {
		if !gitProtocol.MatchString(v) {
			gitError(sw, http.StatusBadRequest, "bad Git-Protocol header")
			return true
		}
		env = append(env, "GIT_PROTOCOL="+v)
	}
	// The CGI sees the lower-case path the repository is stored under, as
	// GitHub's names are case-insensitive.
	req2 := req.Clone(req.Context())
	req2.URL.Path = "/" + key + ".git" + rest
	req2.URL.RawPath = ""
	// The token has done its work; git need not see it in its environment.
	req2.Header.Del("Authorization")
	h := &cgi.Handler{Path: gitBin, Args: []string{"http-backend"}, Root: "/", Dir: root, Env: env, Stderr: io.Discard}
	s.git.serving.RLock()
	defer s.git.serving.RUnlock()
	h.ServeHTTP(sw, req2)
	return true
}

// gitAccess decides whether req may read r: 0 when it may, otherwise the
// status and message GitHub's git front end answers with. A token must be
// an installation token the fake issued, live, of an installation that
// covers the repository (the same rule as the API's); a public repository
// can also be read without any credential.
func (s *Server) gitAccess(req *http.Request, r *repo, public bool) (int, string) {
	user, pass, hasAuth := req.BasicAuth()
	if !hasAuth {
		if req.Header.Get("Authorization") != "" {
			return http.StatusUnauthorized, "Invalid username or password."
		}
		if r != nil && public {
			return 0, ""
		}
		// A private repository and a missing one look alike to a
		// stranger, as on GitHub.
		return http.StatusUnauthorized, "Authentication required."
	}
	if user != "x-access-token" {
		return http.StatusUnauthorized, "Invalid username or password."
	}
	s.mu.Lock()
	var tok token
	var found bool
	for k, v := range s.tokens { // constant-time per candidate, as authenticate
		if subtle.ConstantTimeCompare([]byte(k), []byte(pass)) == 1 {
			tok, found = v, true
		}
	}
	owner, installed := s.installations[tok.installation]
	s.mu.Unlock()
	if !found || !installed || time.Now().After(tok.expires) {
		return http.StatusUnauthorized, "Invalid username or password."
	}
	if r == nil || (!public && !strings.EqualFold(owner, r.owner)) {
		return http.StatusNotFound, "Repository not found."
	}
	return 0, ""
}

// gitError answers as GitHub's git front end does: plain text, which git
// shows the user after "remote:".
func gitError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = fmt.Fprintln(w, msg)
}
