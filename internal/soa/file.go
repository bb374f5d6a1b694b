package soa

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
)

// File is one YAML file of a soa tree.
type File struct {
	// Path is slash-separated and relative to the soa root
	// ("web/kubernetes-norcal.yaml").
	Path string
	// Rel is the path relative to the service directory
	// ("kubernetes-norcal.yaml", "autotuned_defaults/kubernetes-x.yaml").
	Rel string
	// Root is the loaded document, nil when Err is set.
	Root *Node
	// Err is why the file could not be loaded: a *SyntaxError (bad YAML,
	// too large, not UTF-8) or an I/O error.
	Err error
}

// ErrSymlink is returned for files and directories that are symbolic
// links: contractbot never follows them, so a link cannot make it read
// outside the tree (and paasta validate skips linked files too).
var ErrSymlink = errors.New("is a symbolic link, which contractbot does not follow")

// readFile reads name from fsys, refusing files over lim.MaxFileBytes
// without reading them whole.
func readFile(fsys fs.FS, name string, lim Limits) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a directory", name)
	}
	max := lim.MaxFileBytes
	if max <= 0 {
		max = DefaultLimits().MaxFileBytes
	}
	if st.Size() > max {
		return nil, &SyntaxError{Line: 1, Limit: true, Msg: fmt.Sprintf("file is %d bytes, more than the %d bytes contractbot reads", st.Size(), max)}
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, &SyntaxError{Line: 1, Limit: true, Msg: fmt.Sprintf("file is more than the %d bytes contractbot reads", max)}
	}
	return data, nil
}

// isSymlink reports whether name's directory entry is a symbolic link. It
// lists the parent directory, because fs.Stat follows links on os.DirFS.
func isSymlink(fsys fs.FS, name string) (bool, error) {
	if rl, ok := fsys.(fs.ReadLinkFS); ok {
		fi, err := rl.Lstat(name)
		if err != nil {
			return false, err
		}
		return fi.Mode()&fs.ModeSymlink != 0, nil
	}
	dir, base := path.Split(name)
	if dir == "" {
		dir = "."
	} else {
		dir = path.Clean(dir)
	}
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return false, err
	}
	for _, e := range entries {
		if e.Name() == base {
			return e.Type()&fs.ModeSymlink != 0, nil
		}
	}
	return false, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

// loadFile reads and parses one file; problems end up in File.Err.
func loadFile(fsys fs.FS, service, rel string, lim Limits) *File {
	f := &File{Path: path.Join(service, rel), Rel: rel}
	data, err := readFile(fsys, f.Path, lim)
	if err != nil {
		f.Err = err
		return f
	}
	f.Root, f.Err = Parse(data, lim)
	if f.Err == nil && RuamelReads(rel) {
		if ln, col := RuamelTab(data); ln > 0 {
			f.Err = &SyntaxError{Line: ln, Ruamel: true, Msg: fmt.Sprintf("a tab at column %d, outside any quoted value and comment: ruamel.yaml, which paasta validate reads kubernetes and eks files with, refuses it (only spaces may separate tokens), though yaml.safe_load accepts it", col)}
		}
	}
	if f.Err != nil {
		f.Root = nil
	}
	return f
}
