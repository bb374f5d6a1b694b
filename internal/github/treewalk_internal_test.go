package github

import "testing"

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
			if got := w.complete("d", id); got != tc.wantOK {
				t.Errorf("complete = %v, want %v", got, tc.wantOK)
			}
		})
	}
	if w := (&treeWalk{dirs: map[string]map[string]apiTreeEntry{}}); !w.complete(".", emptyTreeSHA) {
		t.Error("an empty repository's root is complete with no entries")
	}
}
