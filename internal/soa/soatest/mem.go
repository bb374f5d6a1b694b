package soatest

import (
	"bytes"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// MemFS is a read-only in-memory tree for tests and benchmarks at
// organisation scale. fstest.MapFS scans every file to open a directory,
// which makes loading 4,000 services of a 40,000-file tree ([BigRepo])
// quadratic, and writing those files to disk takes longer than checking
// them; MemFS indexes its directories once.
type MemFS struct {
	files map[string][]byte
	dirs  map[string][]fs.DirEntry // sorted by name
}

var (
	_ fs.ReadDirFS  = (*MemFS)(nil)
	_ fs.ReadFileFS = (*MemFS)(nil)
	_ fs.StatFS     = (*MemFS)(nil)
)

// NewMemFS returns a tree of files (as [Generate] returns them; a later
// file of the same path wins); their directories are implied.
func NewMemFS(files []File) *MemFS {
	m := &MemFS{files: make(map[string][]byte, len(files)), dirs: map[string][]fs.DirEntry{".": nil}}
	children := map[string]map[string]bool{} // dir -> child -> is a dir
	for _, f := range files {
		name := f.Path
		m.files[name] = []byte(f.Content)
		for p := name; p != "."; {
			parent := path.Dir(p)
			if children[parent] == nil {
				children[parent] = map[string]bool{}
			}
			children[parent][path.Base(p)] = p != name
			p = parent
		}
	}
	for dir, kids := range children {
		es := make([]fs.DirEntry, 0, len(kids))
		for name, isDir := range kids {
			full := path.Join(dir, name)
			es = append(es, fs.FileInfoToDirEntry(m.info(full, isDir)))
		}
		slices.SortFunc(es, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
		m.dirs[dir] = es
	}
	return m
}

func (m *MemFS) info(name string, isDir bool) memInfo {
	if isDir {
		return memInfo{name: path.Base(name), mode: fs.ModeDir | 0o555}
	}
	return memInfo{name: path.Base(name), size: int64(len(m.files[name])), mode: 0o444}
}

// Open implements fs.FS.
func (m *MemFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if data, ok := m.files[name]; ok {
		return &memFile{info: m.info(name, false), r: bytes.NewReader(data)}, nil
	}
	if es, ok := m.dirs[name]; ok {
		return &memDir{info: m.info(name, true), entries: es}, nil
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

// ReadDir implements fs.ReadDirFS.
func (m *MemFS) ReadDir(name string) ([]fs.DirEntry, error) {
	es, ok := m.dirs[name]
	if !ok {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	return slices.Clone(es), nil
}

// ReadFile implements fs.ReadFileFS.
func (m *MemFS) ReadFile(name string) ([]byte, error) {
	data, ok := m.files[name]
	if !ok {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
	}
	return slices.Clone(data), nil
}

// Stat implements fs.StatFS.
func (m *MemFS) Stat(name string) (fs.FileInfo, error) {
	if _, ok := m.files[name]; ok {
		return m.info(name, false), nil
	}
	if _, ok := m.dirs[name]; ok {
		return m.info(name, true), nil
	}
	return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
}

type memInfo struct {
	name string
	size int64
	mode fs.FileMode
}

func (i memInfo) Name() string       { return i.name }
func (i memInfo) Size() int64        { return i.size }
func (i memInfo) Mode() fs.FileMode  { return i.mode }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return i.mode.IsDir() }
func (i memInfo) Sys() any           { return nil }

type memFile struct {
	info memInfo
	r    *bytes.Reader
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *memFile) Read(p []byte) (int, error) { return f.r.Read(p) }
func (f *memFile) Close() error               { return nil }

type memDir struct {
	info    memInfo
	entries []fs.DirEntry
	off     int
}

func (d *memDir) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *memDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.name, Err: fs.ErrInvalid}
}
func (d *memDir) Close() error { return nil }

func (d *memDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.off:]
	if n <= 0 {
		d.off = len(d.entries)
		return slices.Clone(rest), nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	rest = rest[:min(n, len(rest))]
	d.off += len(rest)
	return slices.Clone(rest), nil
}
