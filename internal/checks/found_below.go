package checks

import (
	"errors"
	"io/fs"
	"path"
)

// paasta check looks for deploy.yaml, the Dockerfile and the Makefile with
// is_file_in_dir, which walks the whole directory (os.walk), so a file
// that exists only in a subdirectory passes it, while PaaSTA's deploys and
// Jenkins read only the one at the top. When contractbot reports such a
// file missing, it says where the other one is, so that the finding does
// not contradict what the user sees in paasta check.

// Bounds of the search: a hostile tree must not make a missing-file
// finding expensive. Past them the search stops and reports nothing.
const (
	foundBelowMaxEntries = 5000
	foundBelowMaxDepth   = 16
)

var errFoundBelowStop = errors.New("stop")

// foundBelow returns the first file (in lexical order) named one of names
// in a subdirectory of root in fsys, or "". Symbolic links to directories
// are not followed, as os.walk does not follow them.
func foundBelow(fsys fs.FS, root string, names ...string) string {
	found, seen := "", 0
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			return nil // an unreadable subdirectory: look elsewhere
		}
		seen++
		if seen > foundBelowMaxEntries {
			return errFoundBelowStop
		}
		if d.IsDir() {
			if p != root && depth(root, p) > foundBelowMaxDepth {
				return fs.SkipDir
			}
			return nil
		}
		if path.Dir(p) == root {
			return nil // the top level is what the rule itself looked at
		}
		for _, n := range names {
			if d.Name() == n {
				found = p
				return errFoundBelowStop
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errFoundBelowStop) {
		return ""
	}
	return found
}

func depth(root, p string) int {
	if root == "." {
		return len(splitPath(p))
	}
	return len(splitPath(p)) - len(splitPath(root))
}

func splitPath(p string) []string {
	var parts []string
	for p != "." && p != "/" && p != "" {
		parts = append(parts, path.Base(p))
		p = path.Dir(p)
	}
	return parts
}
