// Package gittest makes real git repositories for tests: the hook, the
// git-object file system and the cross-face tests read commits that git
// itself wrote.
package gittest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// RequireEnv, set to 1 (as `make itest` does), turns a missing tool from a
// skipped test into a failed one.
const RequireEnv = "CONTRACTBOT_REQUIRE_ITEST"

// RequireTool skips t when the program name is not installed, unless
// RequireEnv is 1, which makes it fail.
func RequireTool(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("%s=1 but %s is not installed", RequireEnv, name)
		}
		t.Skipf("%s is not installed", name)
	}
}

// Commit makes a repository on branch main with one commit of files
// (slash-separated paths; a value starting with "->" is a symlink to the
// rest, a name ending in .sh is executable) and returns its working
// directory and the commit id. The user's git configuration and the
// variables through which git tells a hook where to look are kept out.
func Commit(t testing.TB, files map[string]string) (dir, commit string) {
	t.Helper()
	RequireTool(t, "git")
	dir = t.TempDir()
	git := func(args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(cleanEnv(os.Environ()), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q", "-b", "main")
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(content, "->"); ok {
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, ".sh") {
			mode = 0o755
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	git("add", "-A")
	git("commit", "-q", "--allow-empty", "-m", "c")
	return dir, git("rev-parse", "HEAD")
}

// cleanEnv drops the variables through which git tells a hook where the
// repository is, so that a test run from a hook's environment still
// makes its own repository.
func cleanEnv(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "GIT_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}
