package main

import (
	"os"
	"path/filepath"

	"github.com/contractbot/contractbot/internal/report"
)

// outputBase says where the checked trees (repoDir, and soaDir when it is a
// tree of its own; either may be "") are relative to the paths format
// prints: the current directory for text, which a person reads and an
// editor opens from where they are, and the repository's root for JSON,
// SARIF (%SRCROOT%) and workflow commands, which code scanning, reviewdog
// and the Actions runner resolve from there.
func outputBase(format report.Format, repoDir, soaDir string) report.Base {
	where := repoRootOf
	if format == report.FormatText || format == "" {
		where = func(string) string { return "." }
	}
	return report.Base{Repo: relTo(where, repoDir), SOA: relTo(where, soaDir)}
}

// relTo is dir relative to where(dir), slash-separated, or "" for dir
// itself; the absolute path when there is no relative one.
func relTo(where func(abs string) string, dir string) string {
	if dir == "" {
		return ""
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return filepath.ToSlash(dir)
	}
	from, err := filepath.Abs(where(abs))
	if err != nil {
		return filepath.ToSlash(abs)
	}
	rel, err := filepath.Rel(from, abs)
	if err != nil {
		return filepath.ToSlash(abs)
	}
	if rel == "." {
		return ""
	}
	return filepath.ToSlash(rel)
}

// repoRootOf returns the repository that holds dir: the nearest directory
// at or above it with a .git (a directory, or the file of a worktree or
// submodule), found by looking, never by running git. A dir in no
// repository is its own root.
func repoRootOf(dir string) string {
	for d := dir; ; {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return dir
		}
		d = parent
	}
}
