package fix

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/contractbot/contractbot/internal/checks"
)

func openRoot(t *testing.T, dir string) *os.Root {
	t.Helper()
	r, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestWriteKeepsTheModeAndLeavesNoTemporaryFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "run.sh")
	if err := os.WriteFile(p, []byte("old\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o751); err != nil {
		t.Fatal(err)
	}
	if err := Write(openRoot(t, dir), Change{Path: "run.sh", Old: []byte("old\n"), New: []byte("new\n")}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o751 {
		t.Errorf("mode %v, want 0751", fi.Mode().Perm())
	}
	if b, _ := os.ReadFile(p); string(b) != "new\n" {
		t.Errorf("content %q", b)
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Errorf("directory holds %d entries, want only run.sh", len(es))
	}
}

func TestWriteRefuses(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		c     Change
		want  error
	}{
		{"a symbolic link inside the tree is not written through", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "real"), []byte("x\n"), 0o644)
			os.Symlink("real", filepath.Join(dir, "Makefile"))
		}, Change{Path: "Makefile", Old: []byte("x\n"), New: []byte("y\n")}, ErrSymlink},
		{"a file that changed since it was read is left alone", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "Makefile"), []byte("edited by someone\n"), 0o644)
		}, Change{Path: "Makefile", Old: []byte("x\n"), New: []byte("y\n")}, ErrChanged},
		{"a file to create that appeared meanwhile is not replaced", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "monitoring.yaml"), []byte("team: a\n"), 0o644)
		}, Change{Path: "monitoring.yaml", New: []byte("team: b\n"), Created: true}, fs.ErrExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.setup(t, dir)
			err := Write(openRoot(t, dir), tt.c)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestWriteNeverLeavesTheTreeThroughALink(t *testing.T) {
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "Makefile"), []byte("x\n"), 0o644)
	dir := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "sub")); err != nil {
		t.Fatal(err)
	}
	err := Write(openRoot(t, dir), Change{Path: "sub/Makefile", Old: []byte("x\n"), New: []byte("pwned\n")})
	if err == nil {
		t.Fatal("wrote through a link that leaves the tree")
	}
	if b, _ := os.ReadFile(filepath.Join(outside, "Makefile")); string(b) != "x\n" {
		t.Errorf("the file outside the tree became %q", b)
	}
}

func TestWriteCreatesANewFile(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "svc"), 0o755)
	if err := Write(openRoot(t, dir), Change{Path: "svc/monitoring.yaml", New: []byte("team: x\n"), Created: true}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "svc/monitoring.yaml")); string(b) != "team: x\n" {
		t.Errorf("content %q", b)
	}
	if es, _ := os.ReadDir(filepath.Join(dir, "svc")); len(es) != 1 {
		t.Errorf("%d entries, want 1", len(es))
	}
}

func TestSetAcceptsAFixWholeOrNotAtAll(t *testing.T) {
	fsys := fstest.MapFS{"a": {Data: []byte("1\n2\n")}, "b": {Data: []byte("x\n")}}
	s := NewSet(fsys)
	first := checks.SuggestedFix{Message: "first", Edits: []checks.TextEdit{lines(1, 1, "one\n")}}
	first.Edits[0].Path = "a"
	if err := s.Add(first); err != nil {
		t.Fatal(err)
	}
	// The second fix edits b (fine) and line 1 of a (taken): neither edit
	// may be applied.
	second := checks.SuggestedFix{Message: "second", Edits: []checks.TextEdit{lines(1, 1, "X\n"), lines(1, 1, "uno\n")}}
	second.Edits[0].Path, second.Edits[1].Path = "b", "a"
	var ce *ConflictError
	if err := s.Add(second); !errors.As(err, &ce) || ce.With != "first" || ce.Path != "a" {
		t.Fatalf("err = %v, want a conflict with the first fix on a", err)
	}
	got := map[string]string{}
	for _, c := range s.Changes() {
		got[c.Path] = string(c.New)
	}
	if len(got) != 1 || got["a"] != "one\n2\n" {
		t.Errorf("changes = %v, want only a's first line", got)
	}
}

func TestOverlayListsAddedFilesAndServesReplacedOnes(t *testing.T) {
	base := fstest.MapFS{"svc/deploy.yaml": {Data: []byte("old")}, "Makefile": {Data: []byte("m")}}
	o := NewOverlay(base)
	o.Set("svc/deploy.yaml", []byte("new!"))
	o.Set("svc/monitoring.yaml", []byte("team: x\n"))
	o.Set("new/dir/file", []byte("f"))
	if b, _ := fs.ReadFile(o, "svc/deploy.yaml"); string(b) != "new!" {
		t.Errorf("deploy.yaml reads %q", b)
	}
	f, err := o.Open("svc")
	if err != nil {
		t.Fatal(err)
	}
	es, err := f.(fs.ReadDirFile).ReadDir(-1)
	if err != nil || len(es) != 2 || es[0].Name() != "deploy.yaml" || es[1].Name() != "monitoring.yaml" {
		t.Errorf("svc lists %v, %v", es, err)
	}
	if err := fstest.TestFS(o, "Makefile", "svc/deploy.yaml", "svc/monitoring.yaml", "new/dir/file"); err != nil {
		t.Error(err)
	}
}
