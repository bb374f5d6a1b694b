package fix

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
)

// ErrSymlink is returned for a file that is a symbolic link (or not a
// regular file at all): fixes never write through a link, which could
// lead anywhere, and never replace one with a file.
var ErrSymlink = errors.New("not a regular file (contractbot does not write through symbolic links)")

// ErrChanged is returned when a file changed between the moment fixes
// were computed on it and the moment they would be written.
var ErrChanged = errors.New("the file changed while the fixes were computed; run contractbot fix again")

// Write makes c.New the content of c.Path under root, atomically: it
// writes a temporary file in the same directory, gives it the file's
// mode, and renames it over the file, so that a reader sees the old or
// the new content and never a part. A created file (c.Created) is linked
// into place, so that it never replaces a file that appeared meanwhile.
//
// os.Root keeps every operation inside the tree: a path through a link
// that leaves it is refused. The file itself must be a regular file whose
// content is still c.Old.
func Write(root *os.Root, c Change) error {
	name := path.Clean(c.Path)
	if !fs.ValidPath(name) || name == "." {
		return fmt.Errorf("write %s: not a file of the tree", c.Path)
	}
	var mode fs.FileMode
	if !c.Created {
		fi, err := root.Lstat(name)
		if err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("write %s: %w", name, ErrSymlink)
		}
		mode = fi.Mode().Perm()
		cur, err := root.ReadFile(name)
		if err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		if !bytes.Equal(cur, c.Old) {
			return fmt.Errorf("write %s: %w", name, ErrChanged)
		}
	}
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	dir, base := path.Split(name)
	tmp := dir + "." + base + ".contractbot-" + hex.EncodeToString(rnd[:]) + ".tmp"
	// A created file gets the mode a plain create gives (0644 less the
	// umask); a replaced one gets its old mode once written.
	perm := fs.FileMode(0o600)
	if c.Created {
		perm = 0o644
	}
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	done := false
	defer func() {
		if !done {
			root.Remove(tmp)
		}
	}()
	_, werr := f.Write(c.New)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil && !c.Created {
		werr = root.Chmod(tmp, mode)
	}
	if werr != nil {
		return fmt.Errorf("write %s: %w", name, werr)
	}
	if c.Created {
		if err := root.Link(tmp, name); err != nil {
			return fmt.Errorf("create %s: %w", name, err)
		}
		root.Remove(tmp)
		done = true
		return nil
	}
	if err := root.Rename(tmp, name); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	done = true
	return nil
}
