package github

import (
	"context"
	"errors"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"testing"
)

func TestTreeWalk_TrustsOnlyListingsThatHashToTheirTree(t *testing.T) {
	// git mktree of "100644 blob 5716ca…\tb" (b: "bar\n") and
	// "040000 tree 4b825d…\te": the ids git computes.
	entries := map[string]apiTreeEntry{
		"b": {Path: "d/b", Mode: "100644", Type: "blob", SHA: "5716ca5987cbf97d6bb54920bea6adde242d87e6"},
		"e": {Path: "d/e", Mode: "040000", Type: "tree", SHA: emptyTreeSHA},
	}
	id, err := treeID(entries)
	if err != nil || id != "5f23f982177f8f597fdd14c552138644a057ac04" {
		t.Fatalf("treeID = %s, %v; git mktree says 5f23f982177f8f597fdd14c552138644a057ac04", id, err)
	}
	for _, tc := range []struct {
		name   string
		edit   func(map[string]apiTreeEntry)
		wantOK bool
	}{
		{"the whole listing is trusted", func(map[string]apiTreeEntry) {}, true},
		{"a listing missing an entry is not", func(m map[string]apiTreeEntry) { delete(m, "e") }, false},
		{"a listing with an extra entry is not", func(m map[string]apiTreeEntry) {
			m["x"] = apiTreeEntry{Path: "d/x", Mode: "100644", Type: "blob", SHA: emptyTreeSHA}
		}, false},
		{"a listing with another mode is not", func(m map[string]apiTreeEntry) {
			e := m["b"]
			e.Mode = "100755"
			m["b"] = e
		}, false},
		{"a listing with a bad object id is not", func(m map[string]apiTreeEntry) {
			e := m["b"]
			e.SHA = "zz"
			m["b"] = e
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := map[string]apiTreeEntry{}
			for k, v := range entries {
				m[k] = v
			}
			tc.edit(m)
			w := &treeWalk{dirs: map[string]map[string]apiTreeEntry{"d": m}}
			if got := w.whole("d", id); got != tc.wantOK {
				t.Errorf("whole = %v, want %v", got, tc.wantOK)
			}
		})
	}
	if w := (&treeWalk{dirs: map[string]map[string]apiTreeEntry{}}); !w.whole(".", emptyTreeSHA) {
		t.Error("an empty repository's root is complete with no entries")
	}
}

// memRepo is a repository of trees in memory, served to a treeWalk as
// GitHub's Trees API would serve it, truncating recursive answers.
type memRepo struct {
	trees map[string]map[string]apiTreeEntry // id -> name -> entry (Path = name)
	root  string
}

// newMemRepo builds the trees of the files at paths (invalid paths and
// paths that clash with a file or directory already there are skipped).
func newMemRepo(paths []string) *memRepo {
	files := map[string]bool{}
	dirs := map[string]bool{".": true}
	for _, p := range paths {
		if !fs.ValidPath(p) || p == "." || files[p] || dirs[p] {
			continue
		}
		ok := true
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			if files[d] {
				ok = false
			}
		}
		if !ok {
			continue
		}
		files[p] = true
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	r := &memRepo{trees: map[string]map[string]apiTreeEntry{}}
	var build func(dir string) string
	build = func(dir string) string {
		entries := map[string]apiTreeEntry{}
		for p := range files {
			if path.Dir(p) == dir {
				entries[path.Base(p)] = apiTreeEntry{Path: path.Base(p), Mode: "100644", Type: "blob", SHA: BlobSHA([]byte(p))}
			}
		}
		for d := range dirs {
			if d != "." && path.Dir(d) == dir {
				entries[path.Base(d)] = apiTreeEntry{Path: path.Base(d), Mode: "040000", Type: "tree", SHA: build(d)}
			}
		}
		id, err := treeID(entries)
		if err != nil {
			panic(err) // ids made above are well formed
		}
		r.trees[id] = entries
		return id
	}
	r.root = build(".")
	return r
}

// listing is tree id's recursive listing in pre-order, git order within a
// tree (GitHub's), paths relative to it.
func (r *memRepo) listing(id, prefix string) []apiTreeEntry {
	var out []apiTreeEntry
	entries := r.trees[id]
	for _, name := range slices.Sorted(maps.Keys(entries)) {
		e := entries[name]
		e.Path = prefix + name
		out = append(out, e)
		if e.Type == "tree" {
			out = append(out, r.listing(e.SHA, prefix+name+"/")...)
		}
	}
	return out
}

func FuzzTreeWalk(f *testing.F) {
	f.Add("a\nb/c\nb/d/e\nb/d/f\ng/h", uint8(2), uint8(0), false)
	f.Add("x/1\nx/2\nx/3\ny/1\ny/z/1\ny/z/2", uint8(1), uint8(3), true)
	f.Add("", uint8(0), uint8(0), false)
	f.Fuzz(func(t *testing.T, paths string, cut, drop uint8, lie bool) {
		r := newMemRepo(strings.Split(paths, "\n"))
		want := r.listing(r.root, "")
		server := func(_ context.Context, sha string, recursive bool) ([]apiTreeEntry, bool, error) {
			entries, ok := r.trees[sha]
			if !ok {
				return nil, false, errors.New("404")
			}
			if recursive {
				l := r.listing(sha, "")
				if int(cut) > 0 && len(l) > int(cut) {
					return l[:cut], true, nil
				}
				return l, false, nil
			}
			var out []apiTreeEntry
			for _, name := range slices.Sorted(maps.Keys(entries)) {
				out = append(out, entries[name])
			}
			if lie && len(out) > 1 { // a listing that leaves an entry out
				out = out[1:]
			}
			return out, false, nil
		}
		partial := slices.Clone(want)
		if int(cut) > 0 && len(partial) > int(cut) {
			partial = partial[:cut]
		}
		if len(partial) > 0 && drop > 0 { // and GitHub's cut need not be at the end
			partial = slices.Delete(partial, int(drop)%len(partial), int(drop)%len(partial)+1)
		}
		w := &treeWalk{list: server, max: 10000}
		got, err := w.complete(context.Background(), r.root, partial)
		if err != nil {
			if lie && errors.Is(err, errTreeMismatch) {
				return // refused, not believed
			}
			t.Fatalf("complete: %v", err)
		}
		key := func(l []apiTreeEntry) []string {
			var out []string
			for _, e := range l {
				out = append(out, e.Path+" "+e.Type+" "+e.SHA)
			}
			slices.Sort(out)
			return out
		}
		if g, w := key(got), key(want); !slices.Equal(g, w) {
			t.Fatalf("completed listing:\n%s\nwant:\n%s", strings.Join(g, "\n"), strings.Join(w, "\n"))
		}
	})
}
