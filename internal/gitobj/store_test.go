package gitobj

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/contractbot/contractbot/internal/gittest"
)

// gitRepo makes a repository with the given files (a value starting with
// "->" is a symlink) and returns its directory and the commit id.
func gitRepo(t *testing.T, files map[string]string) (string, string) {
	t.Helper()
	return gittest.Commit(t, files)
}

func openStore(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(context.Background(), Options{GitDir: filepath.Join(dir, ".git"), MaxBlob: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestFSPassesTheStandardFileSystemTests(t *testing.T) {
	dir, commit := gitRepo(t, map[string]string{
		"Makefile": "test:\n\ttrue\n", "Dockerfile": "FROM debian\n", "bin/run.sh": "#!/bin/sh\n",
		"soa/web/deploy.yaml": "pipeline: []\n", "soa/web/smartstack.yaml": "main: {}\n", "a-b/c": "x",
	})
	fsys, err := openStore(t, dir).FS(commit)
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(fsys, "Makefile", "Dockerfile", "bin/run.sh", "soa/web/deploy.yaml", "soa/web/smartstack.yaml", "a-b/c"); err != nil {
		t.Fatal(err)
	}
	fi, err := fs.Stat(fsys, "bin/run.sh")
	if err != nil || fi.Mode()&0o100 == 0 {
		t.Fatalf("executable bit lost: %v %v", fi, err)
	}
}

func TestFSSymlinks(t *testing.T) {
	dir, commit := gitRepo(t, map[string]string{
		"build/Makefile": "real\n", "Makefile": "->build/Makefile", "docs/Makefile": "->../build/Makefile",
		"link": "->build", "passwd": "->/etc/passwd", "up": "->../../x", "loop": "->loop",
	})
	fsys, err := openStore(t, dir).FS(commit)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
		err              error
	}{
		{"a symlink to a file in the tree is followed", "Makefile", "real\n", nil},
		{"a relative symlink from a subdirectory is followed", "docs/Makefile", "real\n", nil},
		{"a symlinked directory is followed", "link/Makefile", "real\n", nil},
		{"an absolute symlink reads as missing", "passwd", "", fs.ErrNotExist},
		{"a symlink out of the tree reads as missing", "up", "", fs.ErrNotExist},
		{"a symlink loop is an error", "loop", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := fs.ReadFile(fsys, tt.path)
			switch {
			case tt.want != "":
				if err != nil || string(b) != tt.want {
					t.Fatalf("ReadFile = %q, %v", b, err)
				}
			case tt.err != nil:
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
			default:
				if err == nil {
					t.Fatal("no error")
				}
			}
		})
	}
}

// TestFSRefusesASymlinkTargetLongerThanPathMax commits, through git's
// plumbing (no file system accepts such a link), a link whose target names
// itself a thousand times: each hop would put a thousand components in
// front of the path.
func TestFSRefusesASymlinkTargetLongerThanPathMax(t *testing.T) {
	dir, _ := gitRepo(t, map[string]string{"Makefile": "real\n"})
	git := func(stdin string, args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Stdin = strings.NewReader(stdin)
		cmd.Env = append(cleanEnv(os.Environ()), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	oid := git(strings.Repeat("grow/", 1000)+"Makefile", "hash-object", "-w", "--stdin")
	git("", "update-index", "--add", "--cacheinfo", "120000,"+oid+",grow")
	git("", "commit", "-q", "-m", "link")
	s, err := Open(context.Background(), Options{GitDir: filepath.Join(dir, ".git"), MaxBlob: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	fsys, err := s.FS(git("", "rev-parse", "HEAD"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.ReadFile(fsys, "grow"); !errors.Is(err, errLinkTooLong) {
		t.Fatalf("ReadFile = %v, want %v", err, errLinkTooLong)
	}
}

func TestStoreLimitsAndMissingObjects(t *testing.T) {
	dir, commit := gitRepo(t, map[string]string{"big": strings.Repeat("x", 4<<10), "small": "s"})
	s := openStore(t, dir)
	fsys, err := s.FS(commit)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.ReadFile(fsys, "big"); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("a blob over the limit: err = %v", err)
	}
	if b, err := fs.ReadFile(fsys, "small"); err != nil || string(b) != "s" {
		t.Fatalf("the store is out of step after a refused blob: %q %v", b, err)
	}
	if _, err := s.Info(strings.Repeat("0", 40)); !errors.Is(err, ErrMissing) {
		t.Fatalf("a missing object: err = %v", err)
	}
	info, err := s.Info(commit)
	if err != nil || info.Type != "commit" || info.OID != commit {
		t.Fatalf("Info(commit) = %+v, %v", info, err)
	}
}

func TestStoreRefusesAnOversizedTree(t *testing.T) {
	files := map[string]string{"small": "s"}
	for i := range 400 {
		files[fmt.Sprintf("dir/a-rather-long-file-name-number-%04d", i)] = "x"
	}
	dir, commit := gitRepo(t, files)
	s := openStore(t, dir) // 1 KiB blobs, so trees up to 8 KiB
	fsys, err := s.FS(commit)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.ReadDir(fsys, "dir"); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("a 20 KiB tree: err = %v", err)
	}
	if b, err := fs.ReadFile(fsys, "small"); err != nil || string(b) != "s" {
		t.Fatalf("the store is out of step after a refused tree: %q %v", b, err)
	}
}
