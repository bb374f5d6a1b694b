package soa

import (
	"context"
	"io/fs"
	"path"
	"slices"
	"sync"
)

// Cache is what the checks of one soa tree snapshot share: the repository
// index, the compiled schemas and the listing of the tree's root. It is
// built by whoever knows how long the snapshot lives (`contractbot
// check-soa` for its whole run, the App for one soa commit), and passed
// explicitly, so that wrapping the tree's fs.FS (fs.Sub, a counting or
// caching layer) never loses it. 2,000 services checked against one Cache
// build one index, not 2,000.
//
// A Cache is safe for concurrent use. Its tree must not change while the
// Cache is in use: build a new Cache for a new snapshot.
type Cache struct {
	fsys      fs.FS
	schemaDir fs.FS
	lim       Limits

	indexMu sync.Mutex // held while the index is built, so it is built once
	index   *RepoIndex
	// base and changed, set by [Cache.Next] until the index is built: the
	// previous snapshot's index and the top-level names that differ since,
	// to derive this snapshot's index from.
	base    *RepoIndex
	changed []string

	schemas func() (Schemas, error)
	root    func() (map[string]fs.FileMode, error)
}

// builtinSchemas compiles the built-in definitions once per process; the
// result is never modified.
var builtinSchemas = sync.OnceValues(Builtin)

// NewCache returns a cache over the soa tree fsys. schemaDir is a PaaSTA
// installation's schemas directory (*_schema.json) to validate against, or
// nil for the built-in schemas; it is compiled on first use.
func NewCache(fsys fs.FS, schemaDir fs.FS, lim Limits) *Cache {
	c := &Cache{fsys: fsys, schemaDir: schemaDir, lim: lim}
	c.schemas = sync.OnceValues(func() (Schemas, error) {
		if schemaDir == nil {
			return builtinSchemas()
		}
		return LoadSchemas(schemaDir)
	})
	c.root = sync.OnceValues(func() (map[string]fs.FileMode, error) {
		entries, err := fs.ReadDir(fsys, ".")
		if err != nil {
			return nil, err
		}
		types := make(map[string]fs.FileMode, len(entries))
		for _, e := range entries {
			types[e.Name()] = e.Type()
		}
		return types, nil
	})
	return c
}

// FS returns the soa tree the cache is about; nil for a nil Cache, so that
// "no soa tree" needs no special case.
func (c *Cache) FS() fs.FS {
	if c == nil {
		return nil
	}
	return c.fsys
}

// Limits returns the limits files of the tree are loaded with.
func (c *Cache) Limits() Limits { return c.lim }

// Index returns the repository index, building it on first use. A failed
// build is not remembered (it may have been stopped by ctx): the next
// caller tries again.
func (c *Cache) Index(ctx context.Context) (*RepoIndex, error) {
	c.indexMu.Lock()
	defer c.indexMu.Unlock()
	if c.index != nil {
		return c.index, nil
	}
	var x *RepoIndex
	var err error
	if c.base != nil {
		x, err = c.base.Derive(ctx, c.fsys, c.changed, c.lim)
	} else {
		x, err = BuildRepoIndex(ctx, c.fsys, c.lim)
	}
	if err != nil {
		return nil, err
	}
	c.index, c.base, c.changed = x, nil, nil // the base may now be freed
	return x, nil
}

// IndexReads says which files the cache's first [Cache.Index] will read,
// so that a tree whose blobs are fetched lazily (a partial git clone) can
// fetch them in one batch beforehand: the smartstack.yaml of each changed
// service when the index is derived ([Cache.Next]), or, with all set, every
// service's smartstack.yaml (a build from the whole tree). Nothing when the
// index is built already or shared unchanged.
func (c *Cache) IndexReads() (paths []string, all bool) {
	c.indexMu.Lock()
	defer c.indexMu.Unlock()
	switch {
	case c.index != nil:
		return nil, false
	case c.base == nil:
		return nil, true
	}
	for _, svc := range c.changed {
		paths = append(paths, path.Join(svc, "smartstack.yaml"))
	}
	return paths, false
}

// Next returns the cache of the next snapshot of the soa tree, fsys, whose
// index is derived from this one's instead of read from the whole tree.
// changed lists the paths that differ between the two trees (git's
// diff-tree names, or just their top-level directories; deleted ones
// included); only the smartstack.yaml files of the top-level names they
// lie under are read, on the first [Cache.Index] of the new cache. A path
// "." means the whole tree changed: the new cache then builds its index
// from scratch, as [NewCache]'s does. An empty list means the trees are
// equal, and the index is shared. The schemas and limits are the same as
// this cache's.
//
// The new cache holds this one's index (never modified once built) and no
// reference to this cache or its tree, so both can be used concurrently and
// this one dropped at any time. When this cache has not built its index
// yet, the new one derives from the index this one would have derived from,
// with both lists of changes; failing that it builds from scratch: Next
// never reads a tree itself, nor waits. A caller that wants the derivation
// even while this cache's index is still being built calls Index on this
// cache first, which waits for that build.
//
// changed must list every path that differs (git diff-tree -r -z
// --name-only, unquoted): a name left out keeps its old entry. When the
// list may be incomplete (the push payload's capped lists), pass ".".
func (c *Cache) Next(fsys fs.FS, changed []string) *Cache {
	n := NewCache(fsys, c.schemaDir, c.lim)
	n.schemas = c.schemas // compiled once per schema directory, read-only after
	c.indexMu.Lock()
	base, earlier := c.index, []string(nil)
	if base == nil {
		base, earlier = c.base, c.changed
	}
	c.indexMu.Unlock()
	if base == nil {
		return n
	}
	names, whole := ChangedServices(slices.Concat(earlier, changed))
	if whole {
		return n
	}
	n.base, n.changed = base, names
	return n
}

// Schemas returns the compiled schemas: the schema directory's, or the
// built-in ones. They are compiled once per cache.
func (c *Cache) Schemas() (Schemas, error) { return c.schemas() }

// LoadService is [LoadService] over the cache's tree, with one listing of
// the tree's root shared by every service (2,000 services would otherwise
// list the root 2,000 times to learn whether each is a link).
func (c *Cache) LoadService(name string) (*Service, error) {
	return loadService(c.fsys, name, c.lim, c.root)
}
