package diff

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gitDiff returns the hunks of `git diff --no-index -U3 old new`.
func gitDiff(t *testing.T, old, new string) string {
	t.Helper()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := os.WriteFile(a, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte(new), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("git", "diff", "--no-index", "--no-color", "-U3", a, b).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Fatalf("git diff: %v", err)
		}
	}
	s := string(out)
	if i := strings.Index(s, "\n@@"); i >= 0 {
		s = s[i+1:]
	} else {
		s = ""
	}
	// git appends the function context after "@@"; GitHub keeps it, the
	// hunks do not depend on it.
	var lines []string
	for _, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		if strings.HasPrefix(l, "@@") {
			l = l[:strings.Index(l[2:], "@@")+4]
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}

// TestUnified_MatchesGit compares the hunks with real git's for the shapes
// of change a pull request usually has; GitHub's patches are git's.
func TestUnified_MatchesGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		if os.Getenv("CONTRACTBOT_REQUIRE_ITEST") == "1" {
			t.Fatal("git is required")
		}
		t.Skip("git not installed")
	}
	mk := "test:\n\ttrue\nitest:\n\ttrue\n# a\n# b\n# c\n# d\n# e\n# f\n# g\nend:\n\ttrue\n"
	for _, tc := range []struct{ name, old, new string }{
		{"a line added at the top", mk, "DOCKER_TAG := x\n" + mk},
		{"a line changed in the middle", mk, strings.Replace(mk, "# d", "# D", 1)},
		{"a line deleted", mk, strings.Replace(mk, "# c\n", "", 1)},
		{"changes far apart", mk, "x\n" + mk + "y\n"},
		{"a new file", "", mk},
		{"a file emptied", mk, ""},
		{"lines appended", mk, mk + "more:\n\ttrue\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := Unified(tc.old, tc.new, DefaultContext), gitDiff(t, tc.old, tc.new); got != want {
				t.Fatalf("Unified:\n%s\ngit diff:\n%s", got, want)
			}
		})
	}
}
