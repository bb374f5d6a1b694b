package githubfake

import "testing"

// GitHub refuses a git/create-tree entry whose path has a component git
// forbids (".", "..", ".git"), in the last place as in any other: such a
// tree could never be checked out, and the fake must not accept what
// GitHub refuses.
func TestServer_CreateTreeRefusesPathsWithComponentsGitForbids(t *testing.T) {
	s := New(t)
	s.AddInstallation(1, "acme")
	s.Push("acme", "svc", "main", map[string]string{"a": "1\n"})
	s.GrantPermission(1, "contents", "write")
	tok := installToken(t, s, 1)
	tests := []struct{ name, path string }{
		{"a last component of two dots", "deploy/.."},
		{"a path of one dot", "."},
		{"a last component of one dot", "deploy/."},
		{"a file named .git", ".git"},
		{"a file named .git in a directory", "deploy/.git"},
		{"a directory named .git", ".git/config"},
	}
	for _, tt := range tests {
		t.Run("it refuses "+tt.name, func(t *testing.T) {
			st, m, _ := do(t, s, "POST", "repos/acme/svc/git/trees", tok, map[string]any{
				"tree": []any{map[string]any{"path": tt.path, "mode": "100644", "type": "blob", "content": "x\n"}}})
			if st != 422 {
				t.Fatalf("create-tree of %q: %d %v, want 422", tt.path, st, m)
			}
		})
	}
}
