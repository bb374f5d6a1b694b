package fix

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"

	"github.com/contractbot/contractbot/internal/checks"
)

// Set collects fixes over the files of one tree and applies them
// together: every edit's positions refer to the files as they were when
// the set was made, and a fix is accepted whole or not at all.
//
// A Set is used by one goroutine at a time.
type Set struct {
	fsys  fs.FS
	files map[string]*text
	// exists records which files were there; a fix may create a file
	// (edits at line 1 of a file that does not exist).
	exists map[string]bool
	order  []string
}

// NewSet returns a set whose edits name files of fsys.
func NewSet(fsys fs.FS) *Set {
	return &Set{fsys: fsys, files: map[string]*text{}, exists: map[string]bool{}}
}

func (s *Set) file(name string) (*text, error) {
	if t, ok := s.files[name]; ok {
		return t, nil
	}
	if !fs.ValidPath(name) || name == "." {
		return nil, &EditError{Path: name, Line: 1, Msg: "the path is not a file of the tree"}
	}
	src, err := fs.ReadFile(s.fsys, name)
	exists := true
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if _, lerr := fs.Lstat(s.fsys, name); lerr == nil {
			// There is something (a link the tree does not follow).
			return nil, fmt.Errorf("%s: %w", name, ErrSymlink)
		}
		exists, src = false, nil
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if exists {
		if fi, lerr := fs.Lstat(s.fsys, name); lerr == nil && !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%s: %w", name, ErrSymlink)
		}
	}
	t, err := newText(name, src)
	if err != nil {
		return nil, err
	}
	s.files[name], s.exists[name] = t, exists
	s.order = append(s.order, name)
	return t, nil
}

// Add accepts every edit of fix, or none of them: it returns a
// *[ConflictError] when an edit overlaps one accepted from an earlier fix,
// an *[EditError] when an edit does not fit its file, and another error
// when a file cannot be edited at all ([ErrNotText], [ErrSymlink], a read
// error).
func (s *Set) Add(fix checks.SuggestedFix) error {
	byFile := map[string][]checks.TextEdit{}
	var names []string
	for _, e := range fix.Edits {
		if _, ok := byFile[e.Path]; !ok {
			names = append(names, e.Path)
		}
		byFile[e.Path] = append(byFile[e.Path], e)
	}
	if len(names) == 0 {
		return &EditError{Line: 1, Msg: "the fix has no edits"}
	}
	// Check every file before changing any, so that a fix over two files
	// is never half accepted.
	saved := map[string][]span{}
	for _, n := range names {
		t, err := s.file(n)
		if err != nil {
			return err
		}
		if !s.exists[n] {
			for _, e := range byFile[n] {
				if e.Line != 1 || e.EndLine != 0 || e.Column != 0 {
					return &EditError{Path: n, Line: e.Line, Msg: "the file does not exist, and the edit does not create it"}
				}
			}
		}
		saved[n] = slices.Clone(t.spans)
		if err := t.accept(byFile[n], fix.Message); err != nil {
			for m, sp := range saved {
				s.files[m].spans = sp
			}
			return err
		}
	}
	return nil
}

// Change is one file a set changes.
type Change struct {
	Path string
	// Old is the file's content when the set was made (nil when Created).
	Old, New []byte
	Created  bool
}

// Changes returns the files whose content the accepted fixes change, in
// the order fixes first touched them.
func (s *Set) Changes() []Change {
	var out []Change
	for _, n := range s.order {
		t := s.files[n]
		if len(t.spans) == 0 {
			continue
		}
		b := t.result()
		if string(b) == string(t.src) && s.exists[n] {
			continue
		}
		out = append(out, Change{Path: n, Old: t.src, New: b, Created: !s.exists[n]})
	}
	return out
}
