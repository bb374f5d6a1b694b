package github

import (
	"container/list"
	"sync"
)

// DefaultTreeCacheEntries bounds the sub-tree listings kept between
// truncated trees ([WithTreeCacheEntries]): the 4,000-service soa
// repository's 44,000 entries fit, in a few MiB.
const DefaultTreeCacheEntries = 100_000

// WithTreeCacheEntries sets how many tree entries the listings of verified
// sub-trees may hold in all (default [DefaultTreeCacheEntries]; 0
// disables it). It is what makes the next head of a truncated repository
// cheap: only the directories that changed are listed again.
func WithTreeCacheEntries(n int) Option { return func(c *config) { c.treeCacheEntries = n } }

// treeCache holds the direct entries of sub-trees whose listing hashed to
// their id, by that id, least recently used first out. Like the blob
// cache it is shared by every installation: an id is a hash of the
// listing, and a walk only looks up ids its own repository's trees name.
type treeCache struct {
	mu   sync.Mutex
	max  int
	size int
	ll   *list.List
	m    map[string]*list.Element
}

// cachedTree is one listing: entries' paths are names within the tree.
type cachedTree struct {
	sha     string
	entries []apiTreeEntry
}

func newTreeCache(maxEntries int) *treeCache {
	return &treeCache{max: maxEntries, ll: list.New(), m: map[string]*list.Element{}}
}

func (c *treeCache) get(sha string) ([]apiTreeEntry, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.m[sha]
	if !ok {
		return nil, false
	}
	c.ll.MoveToFront(el)
	return el.Value.(*cachedTree).entries, true
}

func (c *treeCache) put(sha string, entries []apiTreeEntry) {
	if c == nil || len(entries) > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[sha]; ok {
		return
	}
	c.m[sha] = c.ll.PushFront(&cachedTree{sha: sha, entries: entries})
	c.size += len(entries)
	for c.size > c.max && c.ll.Len() > 0 {
		old := c.ll.Remove(c.ll.Back()).(*cachedTree)
		delete(c.m, old.sha)
		c.size -= len(old.entries)
	}
}
