package gitmirror_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/contractbot/contractbot/internal/gitmirror"
	"github.com/contractbot/contractbot/internal/gittest"
	"github.com/rs/zerolog"
)

const token = "ghs_testtoken123"

// origin is a repository served over git smart HTTP by the real
// `git http-backend` (test code only: the App's tests use the fake
// GitHub's), which wants the token as basic auth and counts requests.
type origin struct {
	t        *testing.T
	work     string // a working directory whose .git is served
	srv      *httptest.Server
	requests atomic.Int64
	packs    atomic.Int64 // POSTs to git-upload-pack
}

func newOrigin(t *testing.T, files map[string]string) (*origin, string) {
	t.Helper()
	gittest.RequireTool(t, "git")
	work, sha := gittest.Commit(t, files)
	o := &origin{t: t, work: work}
	o.git("config", "uploadpack.allowFilter", "true")
	o.git("config", "uploadpack.allowAnySHA1InWant", "true")
	gitPath, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	backend := &cgi.Handler{
		Path: gitPath,
		Args: []string{"http-backend"},
		Env: []string{"GIT_PROJECT_ROOT=" + work, "GIT_HTTP_EXPORT_ALL=1",
			"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME=" + t.TempDir()},
	}
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.requests.Add(1)
		if user, pass, ok := r.BasicAuth(); !ok || user != "x-access-token" || pass != token {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, "auth", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-upload-pack") {
			o.packs.Add(1)
		}
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(o.srv.Close)
	return o, sha
}

func (o *origin) url() string { return o.srv.URL + "/.git" }

func (o *origin) host() string {
	u, _ := url.Parse(o.srv.URL)
	return u.Host
}

func (o *origin) git(args ...string) string {
	o.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = o.work
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		o.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// commit writes files (a value "" deletes the file) and commits them.
func (o *origin) commit(files map[string]string) string {
	o.t.Helper()
	for name, content := range files {
		p := filepath.Join(o.work, filepath.FromSlash(name))
		if content == "" {
			os.Remove(p)
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			o.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			o.t.Fatal(err)
		}
	}
	o.git("add", "-A")
	o.git("commit", "-q", "-m", "c")
	return o.git("rev-parse", "HEAD")
}

func newManager(t *testing.T, o *origin, maxBytes int64) *gitmirror.Manager {
	t.Helper()
	m, err := gitmirror.New(gitmirror.Options{Dir: t.TempDir(), MaxBytes: maxBytes, Timeout: time.Minute, AllowHTTPHost: o.host()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

func (o *origin) remote(tok string) gitmirror.RemoteFunc {
	return func(context.Context) (gitmirror.Remote, error) {
		return gitmirror.Remote{URL: o.url(), Token: tok}, nil
	}
}

func open(t *testing.T, m *gitmirror.Manager, o *origin, repo string) *gitmirror.Handle {
	t.Helper()
	h, err := m.Open(context.Background(), o.host(), "acme", repo, o.remote(token))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Release)
	return h
}

func services(n int) map[string]string {
	files := map[string]string{"README.md": "soa\n"}
	for i := range n {
		svc := fmt.Sprintf("svc%03d", i)
		files[svc+"/service.yaml"] = "description: " + svc + "\n"
		files[svc+"/smartstack.yaml"] = fmt.Sprintf("main:\n  proxy_port: %d\n", 20000+i)
	}
	return files
}

func TestMirror_AFetchedCommitIsReadWithoutItsBlobsUntilPrefetchedInOneRequest(t *testing.T) {
	o, sha := newOrigin(t, services(50))
	m := newManager(t, o, 0)
	h := open(t, m, o, "soa")
	if err := h.Fetch(context.Background(), sha); err != nil {
		t.Fatal(err)
	}
	if !h.HasCommits(context.Background(), sha) {
		t.Fatal("the fetched commit is not in the mirror")
	}
	if got := o.requests.Load(); got > 2 {
		t.Errorf("fetching a commit by id took %d requests, want 2 (refs advertisement, pack)", got)
	}
	before := o.packs.Load()
	n, err := h.Prefetch(context.Background(), sha, func(p string) bool { return strings.HasSuffix(p, "/smartstack.yaml") })
	if err != nil {
		t.Fatal(err)
	}
	if n != 50 {
		t.Errorf("prefetched %d blobs, want 50", n)
	}
	if got := o.packs.Load() - before; got != 1 {
		t.Errorf("prefetch took %d upload-pack requests, want 1", got)
	}
	fsys, err := h.FS(context.Background(), sha)
	if err != nil {
		t.Fatal(err)
	}
	before = o.packs.Load()
	for i := range 50 {
		data, err := fs.ReadFile(fsys, fmt.Sprintf("svc%03d/smartstack.yaml", i))
		if err != nil || !strings.Contains(string(data), fmt.Sprint(20000+i)) {
			t.Fatalf("smartstack.yaml of svc%03d: %q, %v", i, data, err)
		}
	}
	if got := o.packs.Load() - before; got != 0 {
		t.Errorf("reading prefetched blobs took %d requests, want 0", got)
	}
	// Prefetching again finds nothing missing and sends nothing.
	if n, err := h.Prefetch(context.Background(), sha, func(p string) bool { return strings.HasSuffix(p, "/smartstack.yaml") }); err != nil || n != 0 {
		t.Errorf("second prefetch: %d blobs, %v; want 0", n, err)
	}
}

func TestMirror_ABlobThatWasNotPrefetchedIsFetchedWhenReadAndNeverHangs(t *testing.T) {
	o, sha := newOrigin(t, services(3))
	m := newManager(t, o, 0)
	h := open(t, m, o, "soa")
	if err := h.Fetch(context.Background(), sha); err != nil {
		t.Fatal(err)
	}
	fsys, err := h.FS(context.Background(), sha)
	if err != nil {
		t.Fatal(err)
	}
	before := o.packs.Load()
	data, err := fs.ReadFile(fsys, "svc001/service.yaml")
	if err != nil || string(data) != "description: svc001\n" {
		t.Fatalf("service.yaml: %q, %v", data, err)
	}
	if got := o.packs.Load() - before; got != 1 {
		t.Errorf("a lazy read took %d requests, want 1", got)
	}
	if _, err := fs.Stat(fsys, "svc001/nothing.yaml"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a file that is not there: %v, want fs.ErrNotExist", err)
	}
	// With the server gone the read fails; it does not hang or prompt.
	o.srv.Close()
	if _, err := fs.ReadFile(fsys, "svc002/service.yaml"); err == nil {
		t.Error("a blob read while the server is down succeeded")
	}
}

func TestMirror_ChangedDirectoriesComeFromTheTreesNotTheBlobs(t *testing.T) {
	o, first := newOrigin(t, services(5))
	second := o.commit(map[string]string{"svc001/service.yaml": "description: changed\n", "svc003/smartstack.yaml": "", "new/service.yaml": "x: 1\n", "README.md": "changed\n"})
	m := newManager(t, o, 0)
	h := open(t, m, o, "soa")
	if err := h.Fetch(context.Background(), second); err != nil {
		t.Fatal(err)
	}
	before := o.requests.Load()
	got, err := h.ChangedDirs(context.Background(), first, second)
	if err != nil {
		t.Fatal(err)
	}
	if want := "new,svc001,svc003"; strings.Join(got, ",") != want {
		t.Errorf("changed directories %v, want %s", got, want)
	}
	if n := o.requests.Load() - before; n != 0 {
		t.Errorf("the diff took %d requests, want 0", n)
	}
	if err := h.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	if head, err := h.Ref(context.Background(), "refs/heads/main"); err != nil || head != second {
		t.Errorf("refs/heads/main is %q, %v; want %s", head, err, second)
	}
}

func TestMirror_ConcurrentFetchesOfOneCommitCoalesce(t *testing.T) {
	o, sha := newOrigin(t, services(5))
	m := newManager(t, o, 0)
	h := open(t, m, o, "soa")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- h.Fetch(context.Background(), sha)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := o.packs.Load(); got > 2 {
		t.Errorf("8 concurrent fetches sent %d upload-pack requests, want at most 2", got)
	}
}

func TestMirror_ACommitNoBranchReachesIsFetchedByID(t *testing.T) {
	o, first := newOrigin(t, services(2))
	lost := o.commit(map[string]string{"svc000/service.yaml": "description: lost\n"})
	o.git("reset", "-q", "--hard", first) // a force push took it away
	m := newManager(t, o, 0)
	h := open(t, m, o, "soa")
	if err := h.Fetch(context.Background(), lost); err != nil {
		t.Fatal(err)
	}
	if !h.HasCommits(context.Background(), lost, first) {
		t.Error("the commit no branch reaches was not fetched")
	}
}

func TestMirror_AWantThatIsNoObjectIDNeverReachesGitAsARefspec(t *testing.T) {
	o, _ := newOrigin(t, services(1))
	m := newManager(t, o, 0)
	h := open(t, m, o, "soa")
	for _, want := range []string{"+refs/heads/*:refs/heads/*", "main", "--upload-pack=touch /tmp/x", ""} {
		if err := h.Fetch(context.Background(), want); !errors.Is(err, gitmirror.ErrPermanent) {
			t.Errorf("Fetch(%q) = %v, want a permanent refusal", want, err)
		}
	}
}

func TestMirror_TheTokenIsNeverWrittenToTheMirror(t *testing.T) {
	o, sha := newOrigin(t, services(3))
	dir := t.TempDir()
	m, err := gitmirror.New(gitmirror.Options{Dir: dir, AllowHTTPHost: o.host()})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	h, err := m.Open(context.Background(), o.host(), "acme", "soa", o.remote(token))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Release()
	if err := h.Fetch(context.Background(), sha); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Prefetch(context.Background(), sha, func(string) bool { return true }); err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if strings.Contains(string(data), token) || strings.Contains(string(data), "eC1hY2Nlc3MtdG9rZW46") {
			t.Errorf("%s holds the token", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestMirror_AWrongTokenIsAnErrorNotAPrompt(t *testing.T) {
	o, sha := newOrigin(t, services(1))
	m := newManager(t, o, 0)
	refused := 0
	h, err := m.Open(context.Background(), o.host(), "acme", "soa", func(context.Context) (gitmirror.Remote, error) {
		return gitmirror.Remote{URL: o.url(), Token: "wrong", Refused: func() { refused++ }}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Release()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = h.Fetch(ctx, sha)
	if err == nil || ctx.Err() != nil {
		t.Fatalf("fetch with a wrong token: %v (context: %v), want a prompt-free failure", err, ctx.Err())
	}
	if !errors.Is(err, gitmirror.ErrAuth) || errors.Is(err, gitmirror.ErrPermanent) {
		t.Errorf("fetch with a wrong token: %v, want ErrAuth, not permanent", err)
	}
	if refused != 1 {
		t.Errorf("the remote was told %d times that its token was refused, want 1", refused)
	}
}

func TestMirror_URLsOtherThanHTTPSAreRefusedForGood(t *testing.T) {
	o, sha := newOrigin(t, services(1))
	m := newManager(t, o, 0)
	for _, tc := range []struct{ name, url string }{
		{"plain http to another host", "http://example.com/acme/soa.git"},
		{"a local path", "file:///etc"},
		{"ssh", "ssh://git@example.com/acme/soa.git"},
		{"credentials in the URL", "https://user:pass@example.com/acme/soa.git"},
		{"git's ext transport", "ext::sh -c touch% /tmp/pwned"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := m.Open(context.Background(), "example.com", "acme", tc.name, func(context.Context) (gitmirror.Remote, error) {
				return gitmirror.Remote{URL: tc.url, Token: token}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			defer h.Release()
			if err := h.Fetch(context.Background(), sha); !errors.Is(err, gitmirror.ErrPermanent) {
				t.Errorf("fetch from %s: %v, want ErrPermanent", tc.url, err)
			}
		})
	}
}

func TestMirror_TheLeastRecentlyUsedMirrorNotInUseIsEvictedBeyondTheBound(t *testing.T) {
	o, sha := newOrigin(t, services(20))
	m := newManager(t, o, 1) // every mirror is over the bound
	held := open(t, m, o, "held")
	if err := held.Fetch(context.Background(), sha); err != nil {
		t.Fatal(err)
	}
	old, err := m.Open(context.Background(), o.host(), "acme", "old", o.remote(token))
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Fetch(context.Background(), sha); err != nil {
		t.Fatal(err)
	}
	oldDir := old.Dir()
	old.Release()
	last := open(t, m, o, "last")
	if err := last.Fetch(context.Background(), sha); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(oldDir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the released mirror was kept: %v", err)
	}
	for _, h := range []*gitmirror.Handle{held, last} {
		if !h.HasCommits(context.Background(), sha) {
			t.Errorf("mirror %s in use was evicted", h.Dir())
		}
	}
	if m.Usage() <= 0 {
		t.Error("no disk use reported")
	}
}

func TestMirror_AReaderThatDiedIsReplacedOnTheNextRead(t *testing.T) {
	o, sha := newOrigin(t, services(2))
	m := newManager(t, o, 0)
	h := open(t, m, o, "soa")
	if err := h.Fetch(context.Background(), sha); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Prefetch(context.Background(), sha, func(string) bool { return true }); err != nil {
		t.Fatal(err)
	}
	fsys, err := h.FS(context.Background(), sha)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.ReadFile(fsys, "svc000/service.yaml"); err != nil {
		t.Fatal(err)
	}
	h.KillReader()
	if data, err := fs.ReadFile(fsys, "svc001/service.yaml"); err != nil || string(data) != "description: svc001\n" {
		t.Errorf("read after the reader died: %q, %v", data, err)
	}
}

func TestMirror_AServerErrorIsWorthRetryingAndAMissingRepositoryIsNot(t *testing.T) {
	gittest.RequireTool(t, "git")
	sha := strings.Repeat("a", 40)
	for _, tc := range []struct {
		name      string
		status    int
		body      string // git shows it as "remote:" lines
		permanent bool
	}{
		{"a 503 is transient", http.StatusServiceUnavailable, "no", false},
		{"a 500 is transient", http.StatusInternalServerError, "no", false},
		{"a 404 is permanent", http.StatusNotFound, "no", true},
		{"GitHub's answer to a repository the installation cannot see is permanent", http.StatusNotFound, "Repository not found.", true},
		{"a 429 is transient", http.StatusTooManyRequests, "no", false},
		{"a 403 that gives no reason is transient", http.StatusForbidden, "no", false},
		{"a 403 for a secondary rate limit is transient", http.StatusForbidden,
			"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", false},
		{"a 403 of abuse detection is transient", http.StatusForbidden,
			"You have triggered an abuse detection mechanism. Please wait a few minutes before you try again.", false},
		{"a 403 refusing the App's permission is permanent", http.StatusForbidden,
			"Permission to acme/soa.git denied to contractbot[bot].", true},
		{"a 403 of an organisation's SAML enforcement is permanent", http.StatusForbidden,
			"Resource protected by organization SAML enforcement. You must grant your Personal Access token access to this organization.", true},
		{"a 403 of an organisation's IP allow list is permanent", http.StatusForbidden,
			"Although you appear to have the correct authorization credentials, the `acme` organization has an IP allow list enabled, and your IP address is not permitted to access this resource.", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, tc.body, tc.status)
			}))
			defer srv.Close()
			u, _ := url.Parse(srv.URL)
			m, err := gitmirror.New(gitmirror.Options{Dir: t.TempDir(), Timeout: time.Minute, AllowHTTPHost: u.Host})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			h, err := m.Open(context.Background(), u.Host, "acme", "soa", func(context.Context) (gitmirror.Remote, error) {
				return gitmirror.Remote{URL: srv.URL + "/acme/soa.git", Token: token}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			defer h.Release()
			err = h.Fetch(context.Background(), sha)
			if err == nil {
				t.Fatal("fetch from a failing server succeeded")
			}
			if got := errors.Is(err, gitmirror.ErrPermanent); got != tc.permanent {
				t.Errorf("permanent = %v, want %v: %v", got, tc.permanent, err)
			}
			// A 404 is what a moved repository's old URL answers: its
			// clone_url is worth asking again.
			if got := errors.Is(err, gitmirror.ErrNotFound); got != (tc.status == http.StatusNotFound) {
				t.Errorf("not found = %v for a %d: %v", got, tc.status, err)
			}
		})
	}
}

func TestMirror_RepackingKeepsEveryCommitAndBlobTheMirrorFetched(t *testing.T) {
	o, first := newOrigin(t, services(3))
	m := newManager(t, o, 0)
	h := open(t, m, o, "soa")
	// Let gc --auto repack after every other fetch instead of every 50th.
	cmd := exec.Command("git", "--git-dir", h.Dir(), "config", "gc.autoPackLimit", "2")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	shas := []string{first}
	for i := range 6 {
		shas = append(shas, o.commit(map[string]string{fmt.Sprintf("svc00%d/service.yaml", i%3): fmt.Sprintf("description: %d\n", i)}))
		if err := h.Fetch(context.Background(), shas[len(shas)-1]); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Prefetch(context.Background(), shas[len(shas)-1], func(string) bool { return true }); err != nil {
			t.Fatal(err)
		}
	}
	packs, _ := filepath.Glob(filepath.Join(h.Dir(), "objects", "pack", "*.pack"))
	if len(packs) > 4 {
		t.Errorf("%d packs after 12 fetches: gc --auto did not repack", len(packs))
	}
	before := o.requests.Load()
	for _, sha := range shas[1:] {
		fsys, err := h.FS(context.Background(), sha)
		if err != nil {
			t.Fatalf("commit %s lost: %v", sha, err)
		}
		if _, err := fs.ReadFile(fsys, "svc000/service.yaml"); err != nil {
			t.Errorf("a fetched blob of %s lost: %v", sha, err)
		}
	}
	if n := o.requests.Load() - before; n != 0 {
		t.Errorf("reading what was fetched took %d requests after the repack", n)
	}
}

func TestMirror_ARepositoryOpenedAgainWhileItsMirrorIsEvictedGetsAMirrorThatStays(t *testing.T) {
	o, sha := newOrigin(t, services(20))
	m := newManager(t, o, 1) // every mirror is over the bound
	old, err := m.Open(context.Background(), o.host(), "acme", "old", o.remote(token))
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Fetch(context.Background(), sha); err != nil {
		t.Fatal(err)
	}
	old.Release()
	var again *gitmirror.Handle
	m.OnEvicting(func() {
		m.OnEvicting(nil)
		// A check of "old" starts just as its released mirror is chosen.
		if again, err = m.Open(context.Background(), o.host(), "acme", "old", o.remote(token)); err != nil {
			t.Error(err)
		}
	})
	trigger := open(t, m, o, "trigger")
	if err := trigger.Fetch(context.Background(), sha); err != nil {
		t.Fatal(err)
	}
	if again == nil {
		t.Fatal("no eviction happened")
	}
	defer again.Release()
	if err := again.Fetch(context.Background(), sha); err != nil {
		t.Fatalf("the mirror opened during the eviction: %v", err)
	}
	if !again.HasCommits(context.Background(), sha) {
		t.Error("the mirror opened during the eviction lost its commit")
	}
	left, err := filepath.Glob(filepath.Join(filepath.Dir(again.Dir()), "*evicted*"))
	if err != nil || len(left) > 0 {
		t.Errorf("the evicted mirror was not deleted: %v %v", left, err)
	}
}

func TestMirror_AMirrorBeingReadIsNotEvictedUntilItsReaderIsDone(t *testing.T) {
	o, sha := newOrigin(t, services(20))
	m := newManager(t, o, 1) // every mirror is over the bound
	var log strings.Builder
	logged := zerolog.New(&log).WithContext(context.Background())
	read, done := context.WithCancel(context.Background())
	defer done()
	a, err := m.Open(context.Background(), o.host(), "acme", "a", o.remote(token))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Fetch(logged, sha); err != nil {
		t.Fatal(err)
	}
	fsys, err := a.FS(read, sha)
	if err != nil {
		t.Fatal(err)
	}
	// As a check does: the handle goes back, the tree is read on.
	a.Release()
	b := open(t, m, o, "b")
	if err := b.Fetch(logged, sha); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(a.Dir()); err != nil {
		t.Fatalf("the mirror being read was evicted by another repository's fetch: %v", err)
	}
	// A blob the mirror lacks: read lazily, with a fetch of its own.
	if data, err := fs.ReadFile(fsys, "svc001/service.yaml"); err != nil || string(data) != "description: svc001\n" {
		t.Fatalf("reading the mirror while another's fetch evicted: %q, %v", data, err)
	}
	if !strings.Contains(log.String(), "over the bound") {
		t.Errorf("no log line says the mirrors exceed their bound because all are in use: %q", log.String())
	}
	if m.Usage() <= 1 || m.Pinned() <= 1 {
		t.Errorf("usage %d, pinned %d: want both over the bound of 1 byte", m.Usage(), m.Pinned())
	}
	// Once the reader is done, the next eviction takes the mirror.
	done()
	c := open(t, m, o, "c")
	if err := c.Fetch(context.Background(), sha); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(a.Dir()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the mirror whose reader is done was kept: %v", err)
	}
	// What still holds the evicted mirror's handle gets an error worth a
	// retry (which opens the mirror again), not "not a git repository".
	if err := a.Fetch(context.Background(), strings.Repeat("b", 40)); !errors.Is(err, gitmirror.ErrEvicted) || errors.Is(err, gitmirror.ErrPermanent) {
		t.Errorf("fetch into an evicted mirror: %v, want ErrEvicted and not permanent", err)
	}
}

func TestMirror_ALazyReadWaitingBehindAFetchEndsWithItsContextOrTheTimeout(t *testing.T) {
	for _, tc := range []struct {
		name     string
		deadline time.Duration // of the tree's context; 0: none
		timeout  time.Duration // the manager's
	}{
		{"the tree's context has a deadline", 300 * time.Millisecond, time.Minute},
		{"the tree's context has none, the manager's timeout bounds the wait", 0, 3 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, sha := newOrigin(t, services(3))
			m, err := gitmirror.New(gitmirror.Options{Dir: t.TempDir(), Timeout: tc.timeout, AllowHTTPHost: o.host()})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			h := open(t, m, o, "soa")
			if err := h.Fetch(context.Background(), sha); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if tc.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.deadline)
				defer cancel()
			}
			fsys, err := h.FS(ctx, sha)
			if err != nil {
				t.Fatal(err)
			}
			// A long fetch holds the lock the read's blob fetch waits for.
			if err := h.Lock(context.Background()); err != nil {
				t.Fatal(err)
			}
			defer h.Unlock()
			read := make(chan error, 1)
			go func() {
				_, err := fs.ReadFile(fsys, "svc001/service.yaml")
				read <- err
			}()
			select {
			case err := <-read:
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("read behind a fetch: %v, want the deadline's error", err)
				}
			case <-time.After(tc.deadline + tc.timeout + 10*time.Second):
				t.Fatal("a read waiting behind a fetch ignored its deadline")
			}
		})
	}
}

// countingGit is a git that counts the commands the manager runs, and,
// through trace2, every git process they start in turn.
func countingGit(t *testing.T) (git string, commands, processes func() []string) {
	t.Helper()
	real, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	log, trace := filepath.Join(dir, "commands"), filepath.Join(dir, "trace")
	git = filepath.Join(dir, "git")
	script := "#!/bin/sh\necho \"$1\" >>" + log + "\nGIT_TRACE2_EVENT=" + trace + " exec " + real + " \"$@\"\n"
	if err := os.WriteFile(git, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	lines := func(p string, keep func(string) (string, bool)) []string {
		data, _ := os.ReadFile(p)
		var out []string
		for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			if s, ok := keep(l); ok && l != "" {
				out = append(out, s)
			}
		}
		return out
	}
	commands = func() []string { return lines(log, func(l string) (string, bool) { return l, true }) }
	processes = func() []string {
		return lines(trace, func(l string) (string, bool) {
			if !strings.Contains(l, `"event":"start"`) {
				return "", false
			}
			_, argv, _ := strings.Cut(l, `"argv":[`)
			return strings.TrimSuffix(argv, "]}"), true
		})
	}
	return git, commands, processes
}

func TestMirror_AFetchRunsNoGitCommandItDoesNotNeed(t *testing.T) {
	o, first := newOrigin(t, services(3))
	second := o.commit(map[string]string{"svc000/service.yaml": "description: second\n"})
	git, commands, processes := countingGit(t)
	m, err := gitmirror.New(gitmirror.Options{Dir: t.TempDir(), Timeout: time.Minute, Git: git, AllowHTTPHost: o.host()})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	h := open(t, m, o, "soa")
	if err := h.Fetch(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	c0, p0 := len(commands()), len(processes())
	if err := h.Fetch(context.Background(), second); err != nil {
		t.Fatal(err)
	}
	c1, p1 := len(commands()), len(processes())
	if err := h.Fetch(context.Background(), second); err != nil {
		t.Fatal(err)
	}
	c2, p2 := len(commands()), len(processes())
	t.Logf("a fetch of a new commit: %d commands %v, %d git processes %v", c1-c0, commands()[c0:c1], p1-p0, processes()[p0:p1])
	t.Logf("a fetch of a commit the mirror has: %d commands, %d git processes", c2-c1, p2-p1)
	if got, want := c1-c0, 3; got > want {
		t.Errorf("a fetch of a new commit ran %d git commands %v, want at most %d (check, fetch, gc --auto)", got, commands()[c0:c1], want)
	}
	if got := c2 - c1; got != 1 {
		t.Errorf("a fetch of a commit the mirror has ran %d git commands, want 1 (the check)", got)
	}
}
