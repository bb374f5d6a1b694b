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

	// buildMu is held while the index is built, so that it is built once;
	// mu guards the fields below it, and is never held while a tree is
	// read, so that Next and IndexReads do not wait for a build.
	buildMu sync.Mutex
	mu      sync.Mutex
	index   *RepoIndex
	// base and changed, set by [Cache.Next] until the index is built: the
	// previous snapshot's index and the top-level names that differ since,
	// to derive this snapshot's index from. prev, instead of base, is a
	// previous snapshot's cache that had no index yet when Next was called
	// (it may be building it): the first Index takes its index, or its
	// base, then. A prev never has a prev itself, so a chain of caches
	// that never built an index holds one old tree, not all of them.
	base    *RepoIndex
	prev    *Cache
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
	c.buildMu.Lock()
	defer c.buildMu.Unlock()
	c.mu.Lock()
	index, base, prev, changed := c.index, c.base, c.prev, c.changed
	c.mu.Unlock()
	if index != nil {
		return index, nil
	}
	var x *RepoIndex
	var err error
	if base, changed = resolve(base, prev, changed); base != nil {
		x, err = base.Derive(ctx, c.fsys, changed, c.lim)
	} else {
		x, err = BuildRepoIndex(ctx, c.fsys, c.lim)
	}
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	// The base and the previous cache, with its tree, may now be freed.
	c.index, c.base, c.prev, c.changed = x, nil, nil, nil
	c.mu.Unlock()
	return x, nil
}

// resolve returns the index to derive a cache's from, given its base, prev
// and changed, and the top-level names changed since; nil to build it from
// the whole tree. It waits for a build of prev's index in progress. Locks
// are taken from the newer cache to the older only (a prev has no prev), so
// two caches never wait for each other.
func resolve(base *RepoIndex, prev *Cache, changed []string) (*RepoIndex, []string) {
	if base != nil || prev == nil {
		return base, changed
	}
	prev.buildMu.Lock() // wait for its build in progress, if any
	prev.mu.Lock()
	index, pbase, pchanged := prev.index, prev.base, prev.changed
	prev.mu.Unlock()
	prev.buildMu.Unlock()
	switch {
	case index != nil:
		return index, changed
	case pbase != nil:
		names, _ := ChangedServices(slices.Concat(pchanged, changed))
		return pbase, names
	}
	return nil, nil
}

// IndexReads says which files the cache's first [Cache.Index] will read,
// so that a tree whose blobs are fetched lazily (a partial git clone) can
// fetch them in one batch beforehand: the smartstack.yaml of each changed
// service when the index is derived ([Cache.Next]), or, with all set, every
// service's smartstack.yaml (a build from the whole tree). Nothing when the
// index is built already or shared unchanged. Like Index, it waits for a
// build of the previous snapshot's index in progress.
func (c *Cache) IndexReads() (paths []string, all bool) {
	c.mu.Lock()
	index, base, prev, changed := c.index, c.base, c.prev, c.changed
	c.mu.Unlock()
	if index != nil {
		return nil, false
	}
	if base, changed = resolve(base, prev, changed); base == nil {
		return nil, true
	}
	for _, svc := range changed {
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
// The new cache holds this one's index (never modified once built), so
// both can be used concurrently and this one dropped at any time. When this
// cache has not built its index yet, the new one holds this cache until
// its own first Index, and derives then from this one's index if it has
// been built meanwhile (waiting for a build in progress), else from the
// index this one would have derived from, with both lists of changes;
// failing both it builds from scratch. Next itself never reads a tree, nor
// waits.
//
// changed must list every path that differs (git diff-tree -r -z
// --name-only, unquoted): a name left out keeps its old entry. When the
// list may be incomplete (the push payload's capped lists), pass ".".
func (c *Cache) Next(fsys fs.FS, changed []string) *Cache {
	n := NewCache(fsys, c.schemaDir, c.lim)
	n.schemas = c.schemas // compiled once per schema directory, read-only after
	c.mu.Lock()
	index, base, prev, earlier := c.index, c.base, c.prev, c.changed
	c.mu.Unlock()
	names, whole := ChangedServices(slices.Concat(earlier, changed))
	switch {
	case whole:
	case index != nil:
		n.base, n.changed = index, names
	case base != nil:
		n.base, n.changed = base, names
	case prev != nil:
		// c is itself waiting on prev: skip c, so that prev stays the
		// only old cache held, with c's changes and these.
		n.prev, n.changed = prev, names
	default:
		n.prev, n.changed = c, names
	}
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
