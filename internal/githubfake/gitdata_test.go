package githubfake

import (
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestServer_CreatesGitObjectsThatHashAsGitAndMovesRefsByGitHubsRules(t *testing.T) {
	requireGit(t)
	s := New(t)
	s.AddInstallation(1, "acme")
	base := s.Push("acme", "svc", "main", map[string]string{"Makefile": "x\n", "deploy/a.yaml": "a: 1\n"})
	tok := installToken(t, s, 1)

	// Without contents: write every write is refused, as on GitHub.
	if st, m, _ := do(t, s, "POST", "repos/acme/svc/git/blobs", tok, map[string]any{"content": "y\n"}); st != 403 {
		t.Fatalf("create-blob without contents: write: %d %v", st, m)
	}
	s.GrantPermission(1, "contents", "write")
	tok = installToken(t, s, 1)

	st, blob, _ := do(t, s, "POST", "repos/acme/svc/git/blobs", tok, map[string]any{"content": "eQo=", "encoding": "base64"})
	if st != 201 {
		t.Fatalf("create-blob: %d %v", st, blob)
	}
	_, baseCommit, _ := do(t, s, "GET", "repos/acme/svc/git/commits/"+base, tok, nil)
	baseTree := baseCommit["tree"].(map[string]any)["sha"].(string)
	st, tree, _ := do(t, s, "POST", "repos/acme/svc/git/trees", tok, map[string]any{"base_tree": baseTree,
		"tree": []any{map[string]any{"path": "deploy/b.yaml", "mode": "100644", "type": "blob", "sha": blob["sha"]},
			map[string]any{"path": "Makefile", "mode": "100755", "type": "blob", "content": "x\n"}}})
	if st != 201 {
		t.Fatalf("create-tree: %d %v", st, tree)
	}
	who := map[string]any{"name": "contractbot fake", "email": "fake@contractbot.invalid", "date": "2023-11-14T22:13:21Z"}
	st, commit, _ := do(t, s, "POST", "repos/acme/svc/git/commits", tok, map[string]any{"message": "fix\n", "tree": tree["sha"],
		"parents": []string{base}, "author": who, "committer": who})
	if st != 201 {
		t.Fatalf("create-commit: %d %v", st, commit)
	}

	// The same objects made by git have the same ids: the base commit
	// first, then the new tree and the commit on it.
	dir := t.TempDir()
	git(t, dir, "", "init", "-q", "w")
	w := filepath.Join(dir, "w")
	write := func(files map[string]string) {
		for name, content := range files {
			_ = os.MkdirAll(filepath.Dir(filepath.Join(w, name)), 0o755)
			if err := os.WriteFile(filepath.Join(w, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		git(t, w, "", "add", ".")
	}
	write(map[string]string{"Makefile": "x\n", "deploy/a.yaml": "a: 1\n"})
	if got := gitAt(t, w, "", "1700000001 +0000", "commit-tree", git(t, w, "", "write-tree"), "-m", "push 1700000001"); got != base {
		t.Fatalf("base %s, git writes %s", base, got)
	}
	write(map[string]string{"deploy/b.yaml": "y\n"})
	git(t, w, "", "update-index", "--chmod=+x", "Makefile")
	if got := git(t, w, "", "write-tree"); got != tree["sha"] {
		t.Fatalf("tree %v, git writes %s", tree["sha"], got)
	}
	c := gitAt(t, w, "fix\n", "2023-11-14T22:13:21Z", "commit-tree", tree["sha"].(string), "-p", base)
	if c != commit["sha"] {
		t.Fatalf("commit %v, git writes %s", commit["sha"], c)
	}

	// Refs: a second create is 422, an update that is not a fast forward
	// is 422 without force and lands with it.
	sha := commit["sha"].(string)
	if st, m, _ := do(t, s, "POST", "repos/acme/svc/git/refs", tok, map[string]any{"ref": "refs/heads/contractbot/fix", "sha": sha}); st != 201 {
		t.Fatalf("create-ref: %d %v", st, m)
	}
	if st, m, _ := do(t, s, "POST", "repos/acme/svc/git/refs", tok, map[string]any{"ref": "refs/heads/contractbot/fix", "sha": base}); st != 422 || !strings.Contains(m["message"].(string), "already exists") {
		t.Fatalf("second create-ref: %d %v", st, m)
	}
	if st, m, _ := do(t, s, "PATCH", "repos/acme/svc/git/refs/heads/contractbot/fix", tok, map[string]any{"sha": base}); st != 422 || !strings.Contains(m["message"].(string), "fast forward") {
		t.Fatalf("update-ref backwards without force: %d %v", st, m)
	}
	if st, m, _ := do(t, s, "PATCH", "repos/acme/svc/git/refs/heads/contractbot/fix", tok, map[string]any{"sha": base, "force": true}); st != 200 {
		t.Fatalf("forced update-ref: %d %v", st, m)
	}
	if st, m, _ := do(t, s, "PATCH", "repos/acme/svc/git/refs/heads/contractbot/fix", tok, map[string]any{"sha": sha}); st != 200 {
		t.Fatalf("fast-forward update-ref: %d %v", st, m)
	}
	if got := s.Branch("acme", "svc", "contractbot/fix"); got != sha {
		t.Fatalf("branch at %s, want %s", got, sha)
	}
}

func TestServer_OpensOnePullRequestPerHeadAndBase(t *testing.T) {
	s := New(t)
	s.AddInstallation(1, "acme")
	s.Push("acme", "svc", "main", map[string]string{"Makefile": "x\n"})
	s.Push("acme", "svc", "fix", map[string]string{"Makefile": "y\n"})
	tok := installToken(t, s, 1)
	in := map[string]any{"title": "Keep the PaaSTA contract", "head": "fix", "base": "main", "body": "b"}
	st, pr, _ := do(t, s, "POST", "repos/acme/svc/pulls", tok, in)
	if st != 201 || pr["number"] != float64(1) || pr["user"].(map[string]any)["type"] != "Bot" {
		t.Fatalf("pulls/create: %d %v", st, pr)
	}
	if st, m, _ := do(t, s, "POST", "repos/acme/svc/pulls", tok, in); st != 422 {
		t.Fatalf("second pulls/create: %d %v", st, m)
	}
	if st, m, _ := do(t, s, "POST", "repos/acme/svc/issues/1/comments", tok, map[string]any{"body": "closing"}); st != 201 {
		t.Fatalf("issues/create-comment: %d %v", st, m)
	}
	if st, m, _ := do(t, s, "PATCH", "repos/acme/svc/pulls/1", tok, map[string]any{"state": "closed"}); st != 200 || m["state"] != "closed" {
		t.Fatalf("pulls/update: %d %v", st, m)
	}
	if got := s.PullRequests("acme", "svc"); len(got) != 1 || got[0].Open || got[0].Title != "Keep the PaaSTA contract" {
		t.Fatalf("pull requests: %+v", got)
	}
	if got := s.IssueComments("acme", "svc", 1); len(got) != 1 || got[0].Body != "closing" {
		t.Fatalf("comments: %+v", got)
	}
	s.RevokePermission(1, "pull_requests")
	tok = installToken(t, s, 1)
	if st, m, _ := do(t, s, "POST", "repos/acme/svc/pulls", tok, in); st != 403 {
		t.Fatalf("pulls/create without pull_requests: write: %d %v", st, m)
	}
}

// gitAt runs git in dir with both its dates set to date (ISO 8601) and
// returns its output.
func gitAt(t *testing.T, dir, stdin, date string, args ...string) string {
	t.Helper()
	cmd := osexec.Command("git", args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir,
		"GIT_AUTHOR_NAME=contractbot fake", "GIT_AUTHOR_EMAIL=fake@contractbot.invalid", "GIT_AUTHOR_DATE="+date,
		"GIT_COMMITTER_NAME=contractbot fake", "GIT_COMMITTER_EMAIL=fake@contractbot.invalid", "GIT_COMMITTER_DATE="+date)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestServer_CreateTreeRefusesWhatGitHubRefuses(t *testing.T) {
	s := New(t)
	s.AddInstallation(1, "acme")
	base := s.Push("acme", "svc", "main", map[string]string{"Makefile": "x\n", "deploy/a.yaml": "a: 1\n"})
	s.GrantPermission(1, "contents", "write")
	tok := installToken(t, s, 1)
	_, c, _ := do(t, s, "GET", "repos/acme/svc/git/commits/"+base, tok, nil)
	baseTree := c["tree"].(map[string]any)["sha"].(string)
	for _, tc := range []struct {
		name  string
		entry map[string]any
		base  string
	}{
		{"a base tree that does not exist", map[string]any{"path": "x", "mode": "100644", "type": "blob", "content": "x"}, strings.Repeat("0", 40)},
		{"both sha and content", map[string]any{"path": "x", "mode": "100644", "type": "blob", "content": "x", "sha": strings.Repeat("a", 40)}, baseTree},
		{"a blob the repository does not hold", map[string]any{"path": "x", "mode": "100644", "type": "blob", "sha": strings.Repeat("a", 40)}, baseTree},
		{"a path through a file", map[string]any{"path": "Makefile/x", "mode": "100644", "type": "blob", "content": "x"}, baseTree},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if st, m, _ := do(t, s, "POST", "repos/acme/svc/git/trees", tok, map[string]any{"base_tree": tc.base, "tree": []any{tc.entry}}); st != 422 {
				t.Fatalf("create-tree: %d %v", st, m)
			}
		})
	}
	// A null sha deletes the path; the directory goes with its last file.
	st, tree, _ := do(t, s, "POST", "repos/acme/svc/git/trees", tok, map[string]any{"base_tree": baseTree,
		"tree": []any{map[string]any{"path": "deploy/a.yaml", "mode": "100644", "type": "blob", "sha": nil}}})
	if st != 201 {
		t.Fatalf("create-tree: %d %v", st, tree)
	}
	var paths []string
	for _, e := range tree["tree"].([]any) {
		paths = append(paths, e.(map[string]any)["path"].(string))
	}
	if strings.Join(paths, ",") != "Makefile" {
		t.Fatalf("tree after deleting deploy/a.yaml: %v", paths)
	}
}

func TestServer_RefusesPullRequestBodiesAndCommentsOverGitHubsLimit(t *testing.T) {
	s := New(t)
	s.AddInstallation(1, "acme")
	s.Push("acme", "svc", "main", map[string]string{"Makefile": "x\n"})
	s.Push("acme", "svc", "fix", map[string]string{"Makefile": "y\n"})
	tok := installToken(t, s, 1)
	long := strings.Repeat("é", maxIssueBodyChars+1) // characters, not bytes, count
	in := map[string]any{"title": "Keep the PaaSTA contract", "head": "fix", "base": "main", "body": long}
	if st, m, _ := do(t, s, "POST", "repos/acme/svc/pulls", tok, in); st != 422 {
		t.Fatalf("pulls/create with a long body: %d %v", st, m)
	}
	in["body"] = strings.Repeat("é", maxIssueBodyChars)
	if st, m, _ := do(t, s, "POST", "repos/acme/svc/pulls", tok, in); st != 201 {
		t.Fatalf("pulls/create with a body at the limit: %d %v", st, m)
	}
	if st, m, _ := do(t, s, "PATCH", "repos/acme/svc/pulls/1", tok, map[string]any{"body": long}); st != 422 {
		t.Fatalf("pulls/update with a long body: %d %v", st, m)
	}
	if st, m, _ := do(t, s, "POST", "repos/acme/svc/issues/1/comments", tok, map[string]any{"body": long}); st != 422 {
		t.Fatalf("issues/create-comment with a long body: %d %v", st, m)
	}
	if got := s.PullRequests("acme", "svc"); len(got) != 1 || len(s.IssueComments("acme", "svc", 1)) != 0 {
		t.Fatalf("pull requests %d, comments %d", len(got), len(s.IssueComments("acme", "svc", 1)))
	}
}

// A branch protection rule refuses the App's writes of a matching branch
// through the refs API with GitHub's 422; a branch it does not match is
// written as before.
func TestServer_RefusesRefWritesOfAProtectedBranch(t *testing.T) {
	s := New(t)
	s.AddInstallation(1, "acme")
	s.GrantPermission(1, "contents", "write")
	base := s.Push("acme", "svc", "main", map[string]string{"Makefile": "x\n"})
	theirs := s.Push("acme", "svc", "contractbot/fix", map[string]string{"Makefile": "y\n"})
	s.ProtectBranch("acme", "svc", "contractbot/*")
	tok := installToken(t, s, 1)
	protected := func(st int, m map[string]any, branch string) bool {
		msg, _ := m["message"].(string)
		return st == 422 && msg == "Protected branch update failed for refs/heads/"+branch+"."
	}
	if st, m, _ := do(t, s, "POST", "repos/acme/svc/git/refs", tok, map[string]any{"ref": "refs/heads/contractbot/fix-web", "sha": base}); !protected(st, m, "contractbot/fix-web") {
		t.Errorf("create-ref of a protected branch: %d %v", st, m)
	}
	if st, m, _ := do(t, s, "PATCH", "repos/acme/svc/git/refs/heads/contractbot/fix", tok, map[string]any{"sha": base, "force": true}); !protected(st, m, "contractbot/fix") {
		t.Errorf("update-ref of a protected branch: %d %v", st, m)
	}
	if st, m, _ := do(t, s, "DELETE", "repos/acme/svc/git/refs/heads/contractbot/fix", tok, nil); !protected(st, m, "contractbot/fix") {
		t.Errorf("delete-ref of a protected branch: %d %v", st, m)
	}
	if got := s.Branch("acme", "svc", "contractbot/fix"); got != theirs {
		t.Errorf("the protected branch moved to %q", got)
	}
	if st, m, _ := do(t, s, "POST", "repos/acme/svc/git/refs", tok, map[string]any{"ref": "refs/heads/other", "sha": base}); st != 201 {
		t.Errorf("create-ref of an unprotected branch: %d %v", st, m)
	}
}
