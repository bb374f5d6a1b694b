package githubfake

import (
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// gitClient runs the real git as a client of the fake: no user or system
// configuration, no prompts, and the credential (if any) passed as an
// http.extraHeader through the environment, never on the command line.
type gitClient struct {
	t        *testing.T
	home     string
	token    string
	protocol string // "0", "2" or "" for git's default
}

func (c gitClient) env() []string {
	env := []string{"HOME=" + c.home, "PATH=" + os.Getenv("PATH"), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=", "SSH_ASKPASS="}
	var kv [][2]string
	if c.token != "" {
		basic := base64.StdEncoding.EncodeToString([]byte("x-access-token:" + c.token))
		kv = append(kv, [2]string{"http.extraHeader", "Authorization: Basic " + basic})
	}
	if c.protocol != "" {
		kv = append(kv, [2]string{"protocol.version", c.protocol})
	}
	env = append(env, "GIT_CONFIG_COUNT="+strconv.Itoa(len(kv)))
	for i, p := range kv {
		env = append(env, "GIT_CONFIG_KEY_"+strconv.Itoa(i)+"="+p[0], "GIT_CONFIG_VALUE_"+strconv.Itoa(i)+"="+p[1])
	}
	return env
}

// run runs git in dir and returns its trimmed output and error.
func (c gitClient) run(dir string, args ...string) (string, error) {
	c.t.Helper()
	return c.runStdin(dir, "", args...)
}

// runStdin is run with stdin.
func (c gitClient) runStdin(dir, stdin string, args ...string) (string, error) {
	c.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = c.env()
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func (c gitClient) must(dir string, args ...string) string {
	c.t.Helper()
	out, err := c.run(dir, args...)
	if err != nil {
		c.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return out
}

func TestGitSmartHTTP_PartialCloneFetchAndBlobByID(t *testing.T) {
	requireGit(t)
	for _, protocol := range []string{"0", "2"} {
		t.Run("protocol v"+protocol, func(t *testing.T) {
			s := New(t)
			s.AddInstallation(1, "Acme")
			first := s.Push("Acme", "soa", "main", map[string]string{"svc/deploy.yaml": "pipeline: []\n", "svc/service.yaml": "description: x\n", "README": "hi\n"})
			c := gitClient{t: t, home: t.TempDir(), token: s.InstallationToken(1), protocol: protocol}
			dir := filepath.Join(c.home, "mirror.git")

			c.must(c.home, "clone", "-q", "--bare", "--filter=blob:none", s.CloneURL("acme", "soa"), dir)
			if got := c.must(dir, "rev-parse", "refs/heads/main"); got != first {
				t.Fatalf("cloned main = %s, the fake's = %s", got, first)
			}
			missing := c.must(dir, "rev-list", "--objects", "--all", "--missing=print")
			if n := strings.Count(missing, "\n?"); n != 3 {
				t.Errorf("a blob:none clone should miss the 3 blobs, misses %d:\n%s", n, missing)
			}

			second := s.Push("Acme", "soa", "main", map[string]string{"svc/deploy.yaml": "pipeline: [{step: itest}]\n", "README": "hi\n"})
			c.must(dir, "fetch", "-q", "--filter=blob:none", "origin", "+refs/heads/*:refs/heads/*")
			if got := c.must(dir, "rev-parse", "refs/heads/main"); got != second {
				t.Fatalf("fetched main = %s, the fake's = %s", got, second)
			}
			if got := c.must(dir, "rev-parse", "main~1"); got != first {
				t.Errorf("main~1 = %s, want the first push %s", got, first)
			}

			// A blob read later is fetched from the promisor remote by id.
			blob := c.must(dir, "rev-parse", "main:svc/deploy.yaml")
			if got := c.must(dir, "cat-file", "blob", blob); got != "pipeline: [{step: itest}]" {
				t.Errorf("blob %s = %q", blob, got)
			}
			calls := s.Calls()
			if calls[GitInfoRefsOp] < 2 || calls[GitUploadPackOp] < 3 {
				t.Errorf("clone, fetch and blob fetch should be counted, got %v", calls)
			}
			if calls[GitReceivePackOp] != 0 || calls[GitDumbOp] != 0 {
				t.Errorf("unexpected git requests: %v", calls)
			}
		})
	}
}

func TestGitSmartHTTP_SpeaksTheProtocolVersionTheClientAsksFor(t *testing.T) {
	requireGit(t)
	s := New(t)
	s.AddInstallation(1, "acme")
	s.Push("acme", "soa", "main", map[string]string{"a": "1\n"})
	for _, tc := range []struct{ protocol, want string }{{"2", "version 2"}, {"0", "# service=git-upload-pack"}} {
		c := gitClient{t: t, home: t.TempDir(), token: s.InstallationToken(1), protocol: tc.protocol}
		cmd := exec.Command("git", "ls-remote", s.CloneURL("acme", "soa"))
		cmd.Env = append(c.env(), "GIT_TRACE_PACKET=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("ls-remote: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "< "+tc.want) {
			t.Errorf("protocol.version=%s: the server's first packets lack %q:\n%s", tc.protocol, tc.want, out)
		}
		if tc.protocol == "0" && strings.Contains(string(out), "< version 2") {
			t.Errorf("protocol.version=0 answered with v2")
		}
	}
}

func TestGitSmartHTTP_RefusesWhatGitHubRefuses(t *testing.T) {
	requireGit(t)
	s := New(t)
	s.AddInstallation(1, "acme")
	s.AddInstallation(2, "other")
	s.Push("acme", "private", "main", map[string]string{"a": "1\n"})
	s.Push("acme", "public", "main", map[string]string{"a": "1\n"})
	s.SetPrivate("acme", "public", false)
	good := s.InstallationToken(1)
	uncovered := s.InstallationToken(2)

	for _, tc := range []struct {
		name, token, repo string
		ok                bool
	}{
		{"a covering token reads a private repository", good, "private", true},
		{"a wrong token is refused", "ghs_" + strings.Repeat("0", 40), "private", false},
		{"a token of another installation is refused", uncovered, "private", false},
		{"no token cannot read a private repository", "", "private", false},
		{"no token reads a public repository", "", "public", true},
		{"a token of another installation reads a public repository", uncovered, "public", true},
		{"a repository that does not exist is not found", good, "missing", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := gitClient{t: t, home: t.TempDir(), token: tc.token}
			out, err := c.run(c.home, "clone", "-q", "--bare", s.CloneURL("acme", tc.repo), "m.git")
			if (err == nil) != tc.ok {
				t.Fatalf("clone succeeded = %v, want %v\n%s", err == nil, tc.ok, out)
			}
			if strings.Contains(out, tc.token) && tc.token != "" {
				t.Errorf("git's output shows the token: %s", out)
			}
		})
	}

	t.Run("a token whose installation was removed is refused", func(t *testing.T) {
		s.AddInstallation(3, "acme")
		tok := s.InstallationToken(3)
		c := gitClient{t: t, home: t.TempDir(), token: tok}
		c.must(c.home, "ls-remote", s.CloneURL("acme", "private"))
		s.RemoveInstallation(3)
		if out, err := c.run(c.home, "ls-remote", s.CloneURL("acme", "private")); err == nil {
			t.Fatalf("ls-remote with a dead token succeeded:\n%s", out)
		}
	})

	t.Run("a push is refused even with a covering token", func(t *testing.T) {
		c := gitClient{t: t, home: t.TempDir(), token: good}
		c.must(c.home, "clone", "-q", s.CloneURL("acme", "private"), "w")
		w := filepath.Join(c.home, "w")
		c.must(w, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "x")
		before := s.Calls()[GitReceivePackOp]
		if out, err := c.run(w, "push", "-q", "origin", "HEAD:main"); err == nil {
			t.Fatalf("push succeeded:\n%s", out)
		}
		if s.Calls()[GitReceivePackOp] == before {
			t.Errorf("the refused push was not counted: %v", s.Calls())
		}
		if s.Statuses()[403] == 0 {
			t.Errorf("the push should be answered 403, statuses %v", s.Statuses())
		}
	})
}

func TestGitSmartHTTP_ServesBranchesTagsPullRefsAndCaseInsensitiveNames(t *testing.T) {
	requireGit(t)
	s := New(t)
	s.AddInstallation(1, "acme")
	main := s.Push("acme", "svc", "main", map[string]string{"a": "1\n"})
	dev := s.Push("acme", "svc", "dev", map[string]string{"a": "2\n"})
	s.PushTag("acme", "svc", "v1", main)
	tag := s.PushAnnotatedTag("acme", "svc", "v2", dev)
	pr := s.OpenPull("acme", "svc", "main", "dev")
	c := gitClient{t: t, home: t.TempDir(), token: s.InstallationToken(1)}
	out := c.must(c.home, "ls-remote", s.CloneURL("ACME", "Svc"))
	for _, want := range []string{main + "\tHEAD", main + "\trefs/heads/main", dev + "\trefs/heads/dev",
		main + "\trefs/tags/v1", tag + "\trefs/tags/v2", dev + "\trefs/tags/v2^{}", dev + "\trefs/pull/" + strconv.Itoa(pr) + "/head"} {
		if !strings.Contains(out, want) {
			t.Errorf("ls-remote lacks %q:\n%s", want, out)
		}
	}
}

func TestRepositories_GiveTheFakesCloneURLAndVisibility(t *testing.T) {
	s := New(t)
	s.AddInstallation(1, "acme")
	s.Push("acme", "soa", "main", map[string]string{"a": "1\n"})
	tok := installToken(t, s, 1)
	st, m, _ := do(t, s, "GET", "repos/acme/soa", tok, nil)
	if st != 200 || m["clone_url"] != s.CloneURL("acme", "soa") || m["private"] != true || m["visibility"] != "private" {
		t.Fatalf("repos/get: %d clone_url=%v private=%v visibility=%v", st, m["clone_url"], m["private"], m["visibility"])
	}
	s.SetPrivate("acme", "soa", false)
	if _, m, _ = do(t, s, "GET", "repos/acme/soa", tok, nil); m["private"] != false || m["visibility"] != "public" {
		t.Fatalf("public repository: private=%v visibility=%v", m["private"], m["visibility"])
	}
	st, m, _ = do(t, s, "GET", "installation/repositories", tok, nil)
	repos, _ := m["repositories"].([]any)
	if st != 200 || len(repos) != 1 {
		t.Fatalf("installation/repositories: %d %v", st, m)
	}
	if r := repos[0].(map[string]any); r["clone_url"] != s.CloneURL("acme", "soa") || r["private"] != false {
		t.Errorf("listed: clone_url=%v private=%v", r["clone_url"], r["private"])
	}
}

func TestGitSmartHTTP_InjectedFaultsApplyToGitRequests(t *testing.T) {
	requireGit(t)
	s := New(t)
	s.AddInstallation(1, "acme")
	s.Push("acme", "soa", "main", map[string]string{"a": "1\n"})
	c := gitClient{t: t, home: t.TempDir(), token: s.InstallationToken(1)}
	s.InjectFault(Fault{Kind: FaultServerError, Operation: GitUploadPackOp, Status: 502})
	if out, err := c.run(c.home, "clone", "-q", "--bare", s.CloneURL("acme", "soa"), "a.git"); err == nil {
		t.Fatalf("clone through a 502 succeeded:\n%s", out)
	}
	if s.Statuses()[502] != 1 {
		t.Errorf("statuses %v, want one 502", s.Statuses())
	}
	c.must(c.home, "clone", "-q", "--bare", s.CloneURL("acme", "soa"), "b.git") // the fault is spent

	s.InjectFault(Fault{Kind: FaultDisconnect, Operation: GitInfoRefsOp})
	if out, err := c.run(c.home, "ls-remote", s.CloneURL("acme", "soa")); err == nil {
		t.Fatalf("ls-remote through a dropped connection succeeded:\n%s", out)
	}
	// A truncated body is for a JSON answer: git requests leave it queued.
	s.InjectFault(Fault{Kind: FaultTruncatedBody, Operation: ""})
	c.must(c.home, "ls-remote", s.CloneURL("acme", "soa"))
	s.mu.Lock()
	left := len(s.faults)
	s.mu.Unlock()
	if left != 1 {
		t.Errorf("%d faults queued after a git request, want the truncated body still waiting", left)
	}
}

func TestMaterialize_WritesPacksGitAccepts(t *testing.T) {
	requireGit(t)
	s := New(t)
	s.AddInstallation(1, "acme")
	files := map[string]string{}
	for i := range 300 {
		files["svc"+strconv.Itoa(i%17)+"/f"+strconv.Itoa(i)+".yaml"] = strings.Repeat("line "+strconv.Itoa(i)+"\n", i)
	}
	s.Push("acme", "soa", "main", files)
	if st := s.Materialize("acme", "soa"); st.Objects == 0 || st.Packs != 1 {
		t.Fatalf("first materialization: %+v", st)
	}
	if st := s.Materialize("acme", "soa"); st.Objects != 0 || st.Packs != 1 {
		t.Fatalf("nothing changed, yet: %+v", st)
	}
	files["svc0/new.yaml"] = "x: 1\n"
	s.Push("acme", "soa", "main", files)
	// One blob, the svc0 tree, the root tree and the commit.
	if st := s.Materialize("acme", "soa"); st.Objects != 4 || st.Packs != 2 {
		t.Fatalf("after one more file: %+v", st)
	}
	dir, _, err := s.materialize("acme/soa")
	if err != nil {
		t.Fatal(err)
	}
	c := gitClient{t: t, home: t.TempDir()}
	c.must(dir, "fsck", "--full", "--strict", "--no-dangling")
	packs, _ := filepath.Glob(filepath.Join(dir, "objects", "pack", "*.idx"))
	for _, p := range packs {
		c.must(dir, "verify-pack", p)
	}
}

func TestMaterialize_MergesPacksAfterManyPushes(t *testing.T) {
	requireGit(t)
	s := New(t)
	s.AddInstallation(1, "acme")
	c := gitClient{t: t, home: t.TempDir(), token: s.InstallationToken(1)}
	dir := filepath.Join(c.home, "m.git")
	var head string
	for i := range maxPacks + 5 {
		head = s.Push("acme", "soa", "main", map[string]string{"n": strconv.Itoa(i) + "\n", "keep": "same\n"})
		st := s.Materialize("acme", "soa")
		if st.Packs > maxPacks {
			t.Fatalf("push %d: %d packs, over %d", i, st.Packs, maxPacks)
		}
		if i == 0 {
			c.must(c.home, "clone", "-q", "--bare", "--filter=blob:none", s.CloneURL("acme", "soa"), dir)
		}
	}
	c.must(dir, "fetch", "-q", "origin", "+refs/heads/*:refs/heads/*")
	if got := c.must(dir, "rev-parse", "main"); got != head {
		t.Fatalf("fetched %s, pushed %s", got, head)
	}
	if got := c.must(dir, "cat-file", "blob", "main~36:n"); got != "0" {
		t.Errorf("the first commit's file reads %q after the packs were merged", got)
	}
	bare, _, err := s.materialize("acme/soa")
	if err != nil {
		t.Fatal(err)
	}
	c.must(bare, "fsck", "--full", "--strict", "--no-dangling")
}

func TestGitSmartHTTP_ServesConcurrentFetchesWhilePushesLand(t *testing.T) {
	requireGit(t)
	s := New(t)
	s.AddInstallation(1, "acme")
	s.Push("acme", "soa", "main", map[string]string{"n": "start\n"})
	c := gitClient{t: t, home: t.TempDir(), token: s.InstallationToken(1)}
	errs := make(chan error, 4)
	for g := range 4 {
		go func() {
			dir := filepath.Join(c.home, "m"+strconv.Itoa(g)+".git")
			if out, err := c.run(c.home, "clone", "-q", "--bare", "--filter=blob:none", s.CloneURL("acme", "soa"), dir); err != nil {
				errs <- fmt.Errorf("clone: %v\n%s", err, out)
				return
			}
			for range 10 {
				if out, err := c.run(dir, "fetch", "-q", "origin", "+refs/heads/*:refs/heads/*"); err != nil {
					errs <- fmt.Errorf("fetch: %v\n%s", err, out)
					return
				}
			}
			errs <- nil
		}()
	}
	for i := range maxPacks + 10 { // enough to merge packs while git runs
		s.Push("acme", "soa", "main", map[string]string{"n": strconv.Itoa(i) + "\n"})
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// GitHub keeps refs/pull/N/head, and the pull request's head.sha, at the
// pull request's last head when its branch is deleted; the fake's used to
// vanish with the branch.
func TestGitSmartHTTP_KeepsThePullRefWhenItsBranchIsDeleted(t *testing.T) {
	requireGit(t)
	s := New(t)
	s.AddInstallation(1, "acme")
	s.GrantPermission(1, "contents", "write")
	s.Push("acme", "svc", "main", map[string]string{"a": "1\n"})
	dev := s.Push("acme", "svc", "dev", map[string]string{"a": "2\n"})
	pr := s.OpenPull("acme", "svc", "main", "dev")
	s.ClosePull("acme", "svc", pr)
	tok := installToken(t, s, 1)
	if st, m, _ := do(t, s, "DELETE", "repos/acme/svc/git/refs/heads/dev", tok, nil); st != 204 {
		t.Fatalf("delete-ref: %d %v", st, m)
	}
	// A new branch of the same name is not the closed pull request's head.
	s.Push("acme", "svc", "dev", map[string]string{"a": "3\n"})

	c := gitClient{t: t, home: t.TempDir(), token: s.InstallationToken(1)}
	out := c.must(c.home, "ls-remote", s.CloneURL("acme", "svc"))
	if want := dev + "\trefs/pull/" + strconv.Itoa(pr) + "/head"; !strings.Contains(out, want) {
		t.Errorf("ls-remote lacks %q:\n%s", want, out)
	}
	st, m, _ := do(t, s, "GET", "repos/acme/svc/pulls/"+strconv.Itoa(pr), tok, nil)
	if head, _ := m["head"].(map[string]any); st != 200 || head["sha"] != dev {
		t.Errorf("pulls/get: %d head.sha %v, want %s", st, head["sha"], dev)
	}
	if v := s.Violations(); len(v) != 0 {
		t.Fatalf("answers outside GitHub's description: %v", v)
	}
}
