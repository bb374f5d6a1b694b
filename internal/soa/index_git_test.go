package soa

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contractbot/contractbot/internal/gitobj"
	"github.com/contractbot/contractbot/internal/gittest"
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
