package gitobj

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// entry is one line of a git tree.
type entry struct {
	name string
	mode uint32 // git's octal mode: 040000, 100644, 100755, 120000, 160000
	oid  string
}

const (
	modeDir     = 0o040000
	modeSymlink = 0o120000
	modeGitlink = 0o160000
)

// maxSymlinks bounds symlink resolution, as the kernel's ELOOP does.
const maxSymlinks = 40

// maxLinkTarget bounds a symlink's target, as the kernel's PATH_MAX does.
// Each hop puts the target's components in front of the rest of the path,
// so without it a link to "a/a/a/..." (a blob up to the store's limit) would
// grow the path by millions of components per hop.
const maxLinkTarget = 4096

// errLinkTooLong is the error for a symlink whose target is over
// maxLinkTarget.
var errLinkTooLong = fmt.Errorf("symbolic link target longer than %d bytes", maxLinkTarget)

// errEscapes is the error for a symlink that leads out of the tree; it
// matches fs.ErrNotExist so that rules treat the file as absent, as the
// CLI's checkout reader does.
var errEscapes = fmt.Errorf("symlink leads outside the repository: %w", fs.ErrNotExist)

// FS returns the tree of commit rev as a file system. Symlinks are
// followed inside the tree only; submodules read as empty directories.
func (s *Store) FS(rev string) (fs.FS, error) {
	info, err := s.Info(rev + "^{tree}")
	if err != nil {
		return nil, err
	}
	return &treeFS{s: s, root: info.OID}, nil
}

// tree returns the sorted entries of tree oid, cached for the store's life.
func (s *Store) tree(oid string) ([]entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if es, ok := s.trees[oid]; ok {
		return es, nil
	}
	info, data, err := s.read(oid, false)
	if err != nil {
		return nil, err
	}
	if info.Type != "tree" {
		return nil, fmt.Errorf("%s is a %s, not a tree", oid, info.Type)
	}
	es, err := parseTree(data, len(info.OID)/2)
	if err != nil {
		return nil, fmt.Errorf("tree %s: %w", oid, err)
	}
	// Git sorts a directory as if its name ended in "/"; fs.ReadDir wants
	// plain name order.
	slices.SortFunc(es, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	s.trees[oid] = es
	return es, nil
}

// errCorrupt is returned for a tree object that does not parse.
var errCorrupt = errors.New("corrupt tree object")

// parseTree parses a tree object's content: entries of "<octal mode>
// <name>\x00<hashLen-byte id>". Names must be valid single path elements;
// a tree that names "..", "." or "a/b" is refused, as git fsck does.
func parseTree(data []byte, hashLen int) ([]entry, error) {
	var es []entry
	for len(data) > 0 {
		sp := bytes.IndexByte(data, ' ')
		nul := bytes.IndexByte(data, 0)
		if sp <= 0 || nul < sp || nul+1+hashLen > len(data) {
			return nil, errCorrupt
		}
		var mode uint32
		for _, c := range data[:sp] {
			if c < '0' || c > '7' || mode > 0o7777777 {
				return nil, errCorrupt
			}
			mode = mode<<3 | uint32(c-'0')
		}
		name := string(data[sp+1 : nul])
		if name == "" || name == "." || name == ".." || strings.ContainsRune(name, '/') {
			return nil, errCorrupt
		}
		es = append(es, entry{name: name, mode: mode, oid: hex.EncodeToString(data[nul+1 : nul+1+hashLen])})
		data = data[nul+1+hashLen:]
	}
	return es, nil
}

type treeFS struct {
	s    *Store
	root string
}

var (
	_ fs.ReadFileFS = (*treeFS)(nil)
	_ fs.ReadDirFS  = (*treeFS)(nil)
	_ fs.StatFS     = (*treeFS)(nil)
)

// lookup resolves name to its entry, following symlinks in every component
// (and in the last one when follow is set).
func (t *treeFS) lookup(op, name string, follow bool) (entry, error) {
	if !validPath(name) {
		return entry{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	hops := 0
	cur := entry{name: ".", mode: modeDir, oid: t.root}
	var done []string // resolved components so far
	rest := strings.Split(name, "/")
	if name == "." {
		rest = nil
	}
	for len(rest) > 0 {
		comp := rest[0]
		rest = rest[1:]
		if cur.mode != modeDir {
			return entry{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
		es, err := t.s.tree(cur.oid)
		if err != nil {
			return entry{}, &fs.PathError{Op: op, Path: name, Err: err}
		}
		i, ok := slices.BinarySearchFunc(es, comp, func(e entry, n string) int { return strings.Compare(e.name, n) })
		if !ok {
			return entry{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
		e := es[i]
		if e.mode == modeSymlink && (len(rest) > 0 || follow) {
			if hops++; hops > maxSymlinks {
				return entry{}, &fs.PathError{Op: op, Path: name, Err: errors.New("too many levels of symbolic links")}
			}
			_, target, err := t.s.Read(e.oid)
			if err != nil {
				return entry{}, &fs.PathError{Op: op, Path: name, Err: err}
			}
			if len(target) > maxLinkTarget {
				return entry{}, &fs.PathError{Op: op, Path: name, Err: errLinkTooLong}
			}
			joined := path.Join(append(append([]string{}, done...), string(target))...)
			if path.IsAbs(string(target)) || !validPath(joined) || joined == ".." || strings.HasPrefix(joined, "../") {
				return entry{}, &fs.PathError{Op: op, Path: name, Err: errEscapes}
			}
			// Start again from the root with the link's target in place.
			cur, done = entry{name: ".", mode: modeDir, oid: t.root}, nil
			if joined != "." {
				rest = append(strings.Split(joined, "/"), rest...)
			}
			continue
		}
		cur, done = e, append(done, comp)
	}
	return cur, nil
}

func (t *treeFS) Open(name string) (fs.File, error) {
	e, err := t.lookup("open", name, true)
	if err != nil {
		return nil, err
	}
	base := path.Base(name)
	switch e.mode {
	case modeDir:
		es, err := t.s.tree(e.oid)
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return &dir{info: fileInfo{name: base, mode: fs.ModeDir | 0o555}, t: t, entries: es}, nil
	case modeGitlink:
		return &dir{info: fileInfo{name: base, mode: fs.ModeDir | 0o555}, t: t}, nil
	}
	_, data, err := t.s.Read(e.oid)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &file{info: fileInfo{name: base, size: int64(len(data)), mode: fileMode(e.mode)}, r: bytes.NewReader(data)}, nil
}

func (t *treeFS) ReadFile(name string) ([]byte, error) {
	e, err := t.lookup("read", name, true)
	if err != nil {
		return nil, err
	}
	if e.mode == modeDir || e.mode == modeGitlink {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errors.New("is a directory")}
	}
	_, data, err := t.s.Read(e.oid)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return data, nil
}

func (t *treeFS) ReadDir(name string) ([]fs.DirEntry, error) {
	e, err := t.lookup("readdir", name, true)
	if err != nil {
		return nil, err
	}
	switch e.mode {
	case modeGitlink:
		return []fs.DirEntry{}, nil
	case modeDir:
	default:
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	es, err := t.s.tree(e.oid)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	out := make([]fs.DirEntry, len(es))
	for i, e := range es {
		out[i] = dirEntry{t: t, e: e}
	}
	return out, nil
}

func (t *treeFS) Stat(name string) (fs.FileInfo, error) {
	e, err := t.lookup("stat", name, true)
	if err != nil {
		return nil, err
	}
	return t.info(path.Base(name), e)
}

func (t *treeFS) info(name string, e entry) (fs.FileInfo, error) {
	fi := fileInfo{name: name, mode: fileMode(e.mode)}
	if e.mode != modeDir && e.mode != modeGitlink {
		info, err := t.s.Info(e.oid)
		if err != nil {
			return nil, err
		}
		fi.size = info.Size
	}
	return fi, nil
}

func fileMode(m uint32) fs.FileMode {
	switch m {
	case modeDir, modeGitlink:
		return fs.ModeDir | 0o555
	case modeSymlink:
		return fs.ModeSymlink | 0o777
	case 0o100755:
		return 0o555
	}
	return 0o444
}

type fileInfo struct {
	name string
	size int64
	mode fs.FileMode
}

func (fi fileInfo) Name() string       { return fi.name }
func (fi fileInfo) Size() int64        { return fi.size }
func (fi fileInfo) Mode() fs.FileMode  { return fi.mode }
func (fi fileInfo) ModTime() time.Time { return time.Time{} }
func (fi fileInfo) IsDir() bool        { return fi.mode.IsDir() }
func (fi fileInfo) Sys() any           { return nil }

type dirEntry struct {
	t *treeFS
	e entry
}

func (d dirEntry) Name() string               { return d.e.name }
func (d dirEntry) IsDir() bool                { return d.e.mode == modeDir || d.e.mode == modeGitlink }
func (d dirEntry) Type() fs.FileMode          { return fileMode(d.e.mode).Type() }
func (d dirEntry) Info() (fs.FileInfo, error) { return d.t.info(d.e.name, d.e) }

type file struct {
	info fileInfo
	r    *bytes.Reader
}

func (f *file) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *file) Read(b []byte) (int, error) { return f.r.Read(b) }
func (f *file) Close() error               { return nil }

type dir struct {
	info    fileInfo
	t       *treeFS
	entries []entry
	off     int
}

func (d *dir) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *dir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.name, Err: errors.New("is a directory")}
}
func (d *dir) Close() error { return nil }

func (d *dir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.off:]
	if n > 0 && len(rest) == 0 {
		return nil, io.EOF
	}
	if n > 0 && n < len(rest) {
		rest = rest[:n]
	}
	d.off += len(rest)
	out := make([]fs.DirEntry, len(rest))
	for i, e := range rest {
		out[i] = dirEntry{t: d.t, e: e}
	}
	return out, nil
}

// validPath is fs.ValidPath without its UTF-8 requirement: git file names
// are bytes, and a file whose name is not UTF-8 must still be listed and
// opened (fs.WalkDir opens what ReadDir lists), not make a rule fail.
func validPath(name string) bool {
	if name == "." {
		return true
	}
	for {
		elem, rest, more := strings.Cut(name, "/")
		if elem == "" || elem == "." || elem == ".." || strings.IndexByte(elem, 0) >= 0 {
			return false
		}
		if !more {
			return true
		}
		name = rest
	}
}
