package githubfake

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// requireGit skips without git unless CONTRACTBOT_REQUIRE_ITEST=1.
func requireGit(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("git")
	if err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("git not found: %v", err)
		}
		t.Skip("git not installed")
	}
	return p
}

func git(t *testing.T, dir string, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_NOSYSTEM=1", "HOME="+dir, "GIT_AUTHOR_NAME=contractbot fake", "GIT_AUTHOR_EMAIL=fake@contractbot.invalid",
		"GIT_COMMITTER_NAME=contractbot fake", "GIT_COMMITTER_EMAIL=fake@contractbot.invalid",
		"GIT_AUTHOR_DATE=1700000001 +0000", "GIT_COMMITTER_DATE=1700000001 +0000")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestHashObject_MatchesGit(t *testing.T) {
	requireGit(t)
	dir := t.TempDir()
	for _, content := range []string{"", "hello\n", "no newline", strings.Repeat("x", 70000), "\x00binary\xff"} {
		f := filepath.Join(dir, "f")
		if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		want := git(t, dir, "", "hash-object", f)
		if got := hashObject(typeBlob, []byte(content)); got != want {
			t.Errorf("blob %q: got %s, git says %s", content[:min(len(content), 10)], got, want)
		}
	}
}

func TestAddTree_MatchesGitMktree(t *testing.T) {
	requireGit(t)
	dir := t.TempDir()
	git(t, dir, "", "init", "-q", "--bare", "r.git")
	repo := filepath.Join(dir, "r.git")
	s := store{}
	// "a.b" sorts before "a/" but after "a" as a file would: git's order.
	root, err := s.addTree([]File{{Path: "a.b", Content: "1"}, {Path: "a/x", Content: "2"}, {Path: "a0", Content: "3"},
		{Path: "run.sh", Content: "#!/bin/sh\n", Mode: "100755"}, {Path: "link", Content: "a/x", Mode: "120000"}})
	if err != nil {
		t.Fatal(err)
	}
	var mktree func(id string) string
	mktree = func(id string) string {
		var in strings.Builder
		for _, e := range s[id].entries {
			var sha string
			if e.typ() == typeTree {
				sha = mktree(e.sha)
			} else {
				sha = git(t, repo, string(s[e.sha].data), "hash-object", "-w", "--stdin")
			}
			in.WriteString(strings.Replace(e.mode, "40000", "040000", 1) + " " + e.typ() + " " + sha + "\t" + e.name + "\n")
		}
		return git(t, repo, in.String(), "mktree")
	}
	if want := mktree(root); root != want {
		t.Errorf("root tree %s, git mktree says %s", root, want)
	}
}

func TestPush_CommitMatchesGitCommit(t *testing.T) {
	requireGit(t)
	dir := t.TempDir()
	work := filepath.Join(dir, "w")
	git(t, dir, "", "init", "-q", "-b", "main", work)
	files := map[string]string{"Makefile": "test:\n\ttrue\n", "deploy/x.yaml": "a: 1\n"}
	for p, c := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(work, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git(t, work, "", "add", ".")
	git(t, work, "", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "push 1700000001")
	want := git(t, work, "", "rev-parse", "HEAD")

	s := store{}
	var fs []File
	for p, c := range files {
		fs = append(fs, File{Path: p, Content: c})
	}
	tree, err := s.addTree(fs)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.addCommit(tree, "", 1700000001, "push 1700000001"); got != want {
		t.Errorf("commit %s, git commit says %s\nfake commit:\n%s", got, want, s[got].data)
	}
}

func TestAddTree_RejectsPathsGitWouldNot(t *testing.T) {
	for _, p := range []string{"", "/abs", "dir/", "a//b", "../x", "a/./b", ".git/config"} {
		if _, err := (store{}).addTree([]File{{Path: p, Content: "x"}}); err == nil {
			t.Errorf("path %q accepted", p)
		}
	}
}
