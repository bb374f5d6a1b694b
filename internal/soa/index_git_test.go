package soa

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contractbot/contractbot/internal/gitobj"
	"github.com/contractbot/contractbot/internal/gittest"
	"github.com/contractbot/contractbot/internal/soa/soatest"
)

// TestCacheNext_OverGitTreesWithGitsOwnDiff derives the index of a second
// commit over the git-object trees the App reads, from the names `git
// diff-tree` gives, as the App's soa push does; it equals a full build of
// that commit's tree.
func TestCacheNext_OverGitTreesWithGitsOwnDiff(t *testing.T) {
	ctx := context.Background()
	dir, first := gittest.Commit(t, map[string]string{
		"alpha/smartstack.yaml":   "main:\n  proxy_port: 20001\n",
		"beta/smartstack.yaml":    "main:\n  proxy_port: 20002\n",
		"gamma/smartstack.yaml":   "main:\n  proxy_port: 20003\n",
		"delta/smartstack.yaml":   "main:\n  proxy_port: 20004\n",
		"epsilon/service.yaml":    "description: d\n",
		"zeta/smartstack.yaml":    "->../alpha/smartstack.yaml",
		"_shared/smartstack.yaml": "main:\n  proxy_port: 20009\n",
	})
	git := func(args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
			"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com"}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	write := func(name, body string) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The second commit: beta takes alpha's port, gamma is removed, delta
	// becomes a link to alpha, zeta's link becomes a file, a new service
	// shares 20002, and an underscore directory changes.
	write("beta/smartstack.yaml", "main:\n  proxy_port: 20001\n")
	if err := os.RemoveAll(filepath.Join(dir, "gamma")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "delta")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("alpha", filepath.Join(dir, "delta")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "zeta", "smartstack.yaml")); err != nil {
		t.Fatal(err)
	}
	write("zeta/smartstack.yaml", "web:\n  proxy_port: 20002\n")
	write("eta/smartstack.yaml", "main:\n  proxy_port: 20002\nbatch:\n  proxy_port: null\n")
	write("_shared/smartstack.yaml", "main:\n  proxy_port: 20001\n")
	git("add", "-A")
	git("commit", "-q", "-m", "second")
	second := strings.TrimSpace(git("rev-parse", "HEAD"))
	var changed []string
	for _, p := range strings.Split(git("diff-tree", "-r", "-z", "--name-only", "--no-commit-id", first, second), "\x00") {
		if p != "" {
			changed = append(changed, p)
		}
	}

	store, err := gitobj.Open(ctx, gitobj.Options{GitDir: filepath.Join(dir, ".git")})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	before, err := store.FS(first)
	if err != nil {
		t.Fatal(err)
	}
	after, err := store.FS(second)
	if err != nil {
		t.Fatal(err)
	}
	c := NewCache(before, nil, DefaultLimits())
	if _, err := c.Index(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := c.Next(after, changed).Index(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want, err := BuildRepoIndex(ctx, after, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if d := sameIndex(got, want); d != "" {
		t.Errorf("changed %q: %s", changed, d)
	}
	if users := got.PortUsers(20001); len(users) != 2 || users[0].Service != "alpha" || users[1].Service != "beta" {
		t.Errorf("port 20001 users %v, want alpha and beta", users)
	}
	if got.HasSmartstack("gamma") || got.HasSmartstack("delta") {
		t.Errorf("the removed gamma or the linked delta is still in the index: %v", got)
	}
}

// fastImport makes a bare repository of two commits with git fast-import
// (40,000 files in a second or two, where writing them to disk takes tens
// here): first holds files, second the same with edit applied. It returns
// the repository and the two commits.
func fastImport(tb testing.TB, files []soatest.File, edit map[string]string) (gitDir, first, second string) {
	tb.Helper()
	gittest.RequireTool(tb, "git")
	gitDir = tb.TempDir()
	env := []string{"HOME=" + tb.TempDir(), "PATH=" + os.Getenv("PATH"), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1", "GIT_DIR=" + gitDir}
	run := func(stdin string, args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Env = env
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			tb.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	run("", "init", "-q", "--bare", "-b", "main")
	var b strings.Builder
	commit := func(mark int, from string, files []soatest.File) {
		fmt.Fprintf(&b, "commit refs/heads/main\nmark :%d\ncommitter t <t@example.com> 0 +0000\ndata 1\nc\n", mark)
		if from != "" {
			b.WriteString("from " + from + "\n")
		}
		for _, f := range files {
			fmt.Fprintf(&b, "M 100644 inline %s\ndata %d\n%s\n", f.Path, len(f.Content), f.Content)
		}
	}
	commit(1, "", files)
	var changed []soatest.File
	for p, c := range edit {
		changed = append(changed, soatest.File{Path: p, Content: c})
	}
	commit(2, ":1", changed)
	run(b.String(), "fast-import", "--quiet")
	return gitDir, run("", "rev-parse", "main~1"), run("", "rev-parse", "main")
}

// BenchmarkRepoIndexOverGit is BenchmarkRepoIndex over the App's kind of
// tree: git-object trees of a repository of soatest.BigRepo, read through
// one `git cat-file --batch-command` per iteration (opened afresh, so that
// no tree is cached), the second commit changing one service's port.
func BenchmarkRepoIndexOverGit(b *testing.B) {
	files, err := soatest.BigRepo()
	if err != nil {
		b.Fatal(err)
	}
	svc := ""
	for i := 0; svc == ""; i++ {
		if _, ok := soatest.HasSmartStack(i, soatest.BigServices, soatest.BigSmartStack); ok {
			svc = fmt.Sprintf("svc%04d", i)
		}
	}
	changed := svc + "/smartstack.yaml"
	gitDir, first, second := fastImport(b, files, map[string]string{changed: "main:\n  proxy_port: 20999\n"})
	ctx := context.Background()
	lim := DefaultLimits()
	open := func(b *testing.B, rev string) (fs.FS, func()) {
		store, err := gitobj.Open(ctx, gitobj.Options{GitDir: gitDir})
		if err != nil {
			b.Fatal(err)
		}
		tree, err := store.FS(rev)
		if err != nil {
			b.Fatal(err)
		}
		return tree, func() { store.Close() }
	}
	before, done := open(b, first)
	base, err := BuildRepoIndex(ctx, before, lim)
	done()
	if err != nil || base.Services() != soatest.BigSmartStack {
		b.Fatalf("%v, %v; want %d services with smartstack.yaml", base, err, soatest.BigSmartStack)
	}
	b.Run("full build", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			tree, done := open(b, second)
			if _, err := BuildRepoIndex(ctx, tree, lim); err != nil {
				b.Fatal(err)
			}
			done()
		}
	})
	b.Run("derived, 1 changed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			tree, done := open(b, second)
			if _, err := base.Derive(ctx, tree, []string{changed}, lim); err != nil {
				b.Fatal(err)
			}
			done()
		}
	})
}
