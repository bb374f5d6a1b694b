package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// openTree opens a directory as the root of a file system that nothing in
// it can escape: os.Root refuses "..", absolute paths and symlinks that
// lead outside, so a hostile repository cannot make a rule read /etc/passwd
// through a symlink named Makefile. Such a symlink reads as a missing file
// (see [errEscapes]), which is what it is inside the repository.
func openTree(dir string) (fs.FS, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot open %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot open %s: %w", dir, err)
	}
	// The Root stays open for the life of the process; the CLI checks one
	// tree and exits.
	return rootFS{root, root.FS()}, nil
}

// errEscapes is the error for a symlink that leads outside the tree. It
// matches fs.ErrNotExist so rules treat the file as absent.
var errEscapes = fmt.Errorf("symlink leads outside the repository: %w", fs.ErrNotExist)

// rootFS is os.Root's file system with escaping symlinks reported as
// missing files instead of as internal errors.
type rootFS struct {
	root *os.Root
	fsys fs.FS
}

var (
	_ fs.StatFS     = rootFS{}
	_ fs.ReadFileFS = rootFS{}
	_ fs.ReadDirFS  = rootFS{}
)

// classify replaces the error of an operation on name with errEscapes when
// name is a symlink that os.Root refused to follow.
func (r rootFS) classify(op, name string, err error) error {
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if fi, lerr := r.root.Lstat(name); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return &fs.PathError{Op: op, Path: name, Err: errEscapes}
	}
	return err
}

// errNotRegular refuses a named pipe, device or socket: opening a FIFO
// named Makefile (or .contractbot.yaml, or an included .mk) blocks until
// something writes to it, and a device can be read without end.
var errNotRegular = errors.New("not a regular file or directory (a named pipe, device or socket): not opened")

// Open opens name, refusing anything but regular files and directories
// before opening it (see errNotRegular).
func (r rootFS) Open(name string) (fs.File, error) {
	if fi, err := r.root.Stat(name); err == nil && !fi.Mode().IsRegular() && !fi.IsDir() {
		return nil, &fs.PathError{Op: "open", Path: name, Err: errNotRegular}
	}
	f, err := r.fsys.Open(name)
	return f, r.classify("open", name, err)
}

func (r rootFS) Stat(name string) (fs.FileInfo, error) {
	fi, err := fs.Stat(r.fsys, name)
	return fi, r.classify("stat", name, err)
}

func (r rootFS) ReadFile(name string) ([]byte, error) {
	if fi, err := r.root.Stat(name); err == nil && !fi.Mode().IsRegular() && !fi.IsDir() {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errNotRegular}
	}
	b, err := fs.ReadFile(r.fsys, name)
	return b, r.classify("read", name, err)
}

func (r rootFS) ReadDir(name string) ([]fs.DirEntry, error) {
	es, err := fs.ReadDir(r.fsys, name)
	return es, r.classify("readdir", name, err)
}

var _ fs.ReadLinkFS = rootFS{}

// Lstat implements [fs.ReadLinkFS]: a link is described, never followed.
func (r rootFS) Lstat(name string) (fs.FileInfo, error) { return r.root.Lstat(name) }

// ReadLink implements [fs.ReadLinkFS].
func (r rootFS) ReadLink(name string) (string, error) { return r.root.Readlink(name) }
