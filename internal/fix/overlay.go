package fix

import (
	"errors"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// Overlay is a file system that reads as base with some files replaced
// or added in memory: the tree as it will be once fixes are written, so
// that the rules can check it again before anything is written.
//
// An Overlay is used by one goroutine at a time.
type Overlay struct {
	base  fs.FS
	files map[string][]byte
}

var (
	_ fs.ReadDirFS  = (*Overlay)(nil)
	_ fs.StatFS     = (*Overlay)(nil)
	_ fs.ReadFileFS = (*Overlay)(nil)
	_ fs.ReadLinkFS = (*Overlay)(nil)
)

// NewOverlay returns an overlay of base with no file replaced.
func NewOverlay(base fs.FS) *Overlay { return &Overlay{base: base, files: map[string][]byte{}} }

// Set makes name read as data.
func (o *Overlay) Set(name string, data []byte) { o.files[name] = data }

// Files returns the names of the files replaced or added, sorted.
func (o *Overlay) Files() []string {
	names := make([]string, 0, len(o.files))
	for n := range o.files {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Data returns the overlay's content of name, if it replaces it.
func (o *Overlay) Data(name string) ([]byte, bool) {
	b, ok := o.files[name]
	return b, ok
}

// Open implements [fs.FS].
func (o *Overlay) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if data, ok := o.files[name]; ok {
		return &memFile{info: o.info(name, data), r: strings.NewReader(string(data))}, nil
	}
	f, err := o.base.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && o.isNewDir(name) {
			return &dirFile{info: dirInfo(name), entries: o.added(name, nil)}, nil
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil || !fi.IsDir() {
		return f, err
	}
	entries, err := o.ReadDir(name)
	f.Close()
	if err != nil {
		return nil, err
	}
	return &dirFile{info: fi, entries: entries}, nil
}

// ReadFile implements [fs.ReadFileFS].
func (o *Overlay) ReadFile(name string) ([]byte, error) {
	if data, ok := o.files[name]; ok {
		return slices.Clone(data), nil
	}
	return fs.ReadFile(o.base, name)
}

// Stat implements [fs.StatFS].
func (o *Overlay) Stat(name string) (fs.FileInfo, error) {
	if data, ok := o.files[name]; ok {
		return o.info(name, data), nil
	}
	fi, err := fs.Stat(o.base, name)
	if errors.Is(err, fs.ErrNotExist) && o.isNewDir(name) {
		return dirInfo(name), nil
	}
	return fi, err
}

// Lstat implements [fs.ReadLinkFS]: a replaced file is a regular file.
func (o *Overlay) Lstat(name string) (fs.FileInfo, error) {
	if data, ok := o.files[name]; ok {
		return o.info(name, data), nil
	}
	fi, err := fs.Lstat(o.base, name)
	if errors.Is(err, fs.ErrNotExist) && o.isNewDir(name) {
		return dirInfo(name), nil
	}
	return fi, err
}

// ReadLink implements [fs.ReadLinkFS].
func (o *Overlay) ReadLink(name string) (string, error) {
	if _, ok := o.files[name]; ok {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
	}
	return fs.ReadLink(o.base, name)
}

// ReadDir implements [fs.ReadDirFS]: base's entries, with replaced files
// described by their new content and added files listed.
func (o *Overlay) ReadDir(name string) ([]fs.DirEntry, error) {
	entries, err := fs.ReadDir(o.base, name)
	if errors.Is(err, fs.ErrNotExist) && o.isNewDir(name) {
		err = nil
	}
	if err != nil {
		return nil, err
	}
	return o.added(name, entries), nil
}

// added merges the overlay's files directly in dir into entries.
func (o *Overlay) added(dir string, entries []fs.DirEntry) []fs.DirEntry {
	out := slices.Clone(entries)
	seen := map[string]int{}
	for i, e := range out {
		seen[e.Name()] = i
	}
	for n, data := range o.files {
		d, base := path.Split(n)
		d = strings.TrimSuffix(d, "/")
		if d == "" {
			d = "."
		}
		if d != dir {
			if child, ok := o.childDir(dir, n); ok {
				if _, dup := seen[child]; !dup {
					seen[child] = len(out)
					out = append(out, fs.FileInfoToDirEntry(dirInfo(path.Join(dir, child))))
				}
			}
			continue
		}
		e := fs.FileInfoToDirEntry(o.info(n, data))
		if i, ok := seen[base]; ok {
			out[i] = e
		} else {
			seen[base] = len(out)
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return out
}

// childDir returns the first path element of file below dir when file is
// deeper than dir's direct children.
func (o *Overlay) childDir(dir, file string) (string, bool) {
	rest := file
	if dir != "." {
		var ok bool
		if rest, ok = strings.CutPrefix(file, dir+"/"); !ok {
			return "", false
		}
	}
	child, _, deeper := strings.Cut(rest, "/")
	return child, deeper
}

// isNewDir reports whether some added file lies below name.
func (o *Overlay) isNewDir(name string) bool {
	for n := range o.files {
		if name == "." || strings.HasPrefix(n, name+"/") {
			return true
		}
	}
	return false
}

// info describes a replaced or added file: the base file's mode and time
// when it exists, the new size.
func (o *Overlay) info(name string, data []byte) fs.FileInfo {
	fi := memInfo{name: path.Base(name), size: int64(len(data)), mode: 0o644}
	if bfi, err := fs.Lstat(o.base, name); err == nil && bfi.Mode().IsRegular() {
		fi.mode, fi.mod = bfi.Mode(), bfi.ModTime()
	}
	return fi
}

type memInfo struct {
	name string
	size int64
	mode fs.FileMode
	mod  time.Time
}

func (m memInfo) Name() string       { return m.name }
func (m memInfo) Size() int64        { return m.size }
func (m memInfo) Mode() fs.FileMode  { return m.mode }
func (m memInfo) ModTime() time.Time { return m.mod }
func (m memInfo) IsDir() bool        { return m.mode.IsDir() }
func (m memInfo) Sys() any           { return nil }

func dirInfo(name string) fs.FileInfo {
	return memInfo{name: path.Base(name), mode: fs.ModeDir | 0o755}
}

type memFile struct {
	info fs.FileInfo
	r    *strings.Reader
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *memFile) Read(b []byte) (int, error) { return f.r.Read(b) }
func (f *memFile) Close() error               { return nil }

// dirFile is a directory opened through the overlay, listing its merged
// entries.
type dirFile struct {
	info    fs.FileInfo
	entries []fs.DirEntry
	off     int
}

var _ fs.ReadDirFile = (*dirFile)(nil)

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *dirFile) Close() error               { return nil }
func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.Name(), Err: fs.ErrInvalid}
}

func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.off:]
	if n <= 0 {
		d.off = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	rest = rest[:min(n, len(rest))]
	d.off += len(rest)
	return rest, nil
}
