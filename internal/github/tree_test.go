package github

import (
	"io/fs"
	"strings"
	"testing"
)

func FuzzBuildTree(f *testing.F) {
	f.Add("a\nb/c\nb/d/e", "tree")
	f.Add("../x\n/abs\na//b\na\na/b", "blob")
	f.Add("sub\nsub/x", "commit")
	f.Fuzz(func(t *testing.T, paths, typ string) {
		var list []apiTreeEntry
		for i, p := range strings.Split(paths, "\n") {
			ty := "blob"
			if i%2 == 1 {
				ty = typ
			}
			list = append(list, apiTreeEntry{Path: p, Mode: "100644", Type: ty, SHA: strings.Repeat("a", 40)})
		}
		tr := buildTree(list)
		// Every indexed path is valid, reachable from the root through
		// directories, and listed exactly once by its parent.
		for p, e := range tr.entries {
			if !fs.ValidPath(p) {
				t.Fatalf("indexed invalid path %q", p)
			}
			if p == "." {
				continue
			}
			parent := tr.entries[pathDir(p)]
			if parent == nil || !parent.isDir() {
				t.Fatalf("%q has no directory parent", p)
			}
			n := 0
			for _, c := range parent.children {
				if c == e {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("%q listed %d times by its parent", p, n)
			}
		}
	})
}

func pathDir(p string) string {
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[:i]
	}
	return "."
}
