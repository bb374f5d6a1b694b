package github

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
)

// DefaultMaxTreeRequests bounds the requests [Client.Tree] spends
// completing one truncated tree (see [WithMaxTreeRequests]): enough for a
// soa repository of a few thousand services, a fraction of the 5,000
// requests an installation has an hour.
const DefaultMaxTreeRequests = 2000

// WithMaxTreeRequests sets how many requests [Client.Tree] may spend
// completing a tree GitHub truncated (default [DefaultMaxTreeRequests]);
// over it, Tree fails with [ErrTreeTruncated]. 0 or less refuses
// truncated trees outright.
func WithMaxTreeRequests(n int) Option { return func(c *config) { c.maxTreeRequests = n } }

// DefaultMaxTreeEntries bounds the entries a completed tree may have
// ([WithMaxTreeEntries]): 4 times the 4,000-service soa repository's, so
// that a repository of millions of files cannot make [Client.Tree] hold
// them all (about 150 bytes each) within its request bound.
const DefaultMaxTreeEntries = 200_000

// WithMaxTreeEntries sets how many entries a tree completed after GitHub
// truncated it may have (default [DefaultMaxTreeEntries]); over it, Tree
// fails with [ErrTreeTruncated].
func WithMaxTreeEntries(n int) Option { return func(c *config) { c.maxTreeEntries = n } }

// errTreeMismatch says that a directory's listing does not hash to the
// directory's id: GitHub's answer is not the tree it names.
var errTreeMismatch = errors.New("listing does not hash to the tree's id")

// treeWalk completes a truncated recursive listing, as GitHub documents:
// "use the non-recursive method of fetching trees, and fetch one sub-tree
// at a time". What the truncated answer did list is kept, but trusted only
// where it can be proved whole: a directory's direct entries are complete
// exactly when they hash to the directory's tree id, since a git tree's id
// is the hash of its entries. So nothing depends on the order in which
// GitHub lists entries or where it cut, and a directory is fetched only
// when its listing is missing or incomplete: first recursively (one
// request for the whole sub-tree when it fits), then, if that too comes
// back truncated, on its own and one level down at a time.
type treeWalk struct {
	// list fetches tree sha's listing, recursively or not, and says
	// whether GitHub truncated it (the Trees API; tests put in others).
	list       func(ctx context.Context, sha string, recursive bool) ([]apiTreeEntry, bool, error)
	cache      *treeCache
	max        int // requests
	maxEntries int // entries known at once; 0: no bound
	requests   int
	entries    int
	hit        string // the bound the walk hit: "requests" or "entries"
	// dirs maps a directory's path ("." for the root) to its direct
	// entries by name, with paths from the root.
	dirs map[string]map[string]apiTreeEntry
}

// completeTree returns the whole recursive listing of tree rootSHA, given
// the truncated answer partial.
func (c *Client) completeTree(ctx context.Context, owner, repo, rootSHA string, partial []apiTreeEntry) ([]apiTreeEntry, int, error) {
	list := func(ctx context.Context, sha string, recursive bool) ([]apiTreeEntry, bool, error) {
		var out struct {
			Truncated bool           `json:"truncated"`
			Tree      []apiTreeEntry `json:"tree"`
		}
		p := repoPath(owner, repo) + "/git/trees/" + pathEscape(sha)
		if recursive {
			p += "?recursive=1"
		}
		if err := c.do(ctx, http.MethodGet, p, nil, &out); err != nil {
			return nil, false, err
		}
		return out.Tree, out.Truncated, nil
	}
	w := &treeWalk{list: list, cache: c.apps.trees, max: c.apps.cfg.maxTreeRequests, maxEntries: c.apps.cfg.maxTreeEntries}
	out, err := w.complete(ctx, rootSHA, partial)
	// A walk spends requests of the installation's hourly budget (up to
	// maxTreeRequests): its cost is worth seeing on every walk, and a
	// bound it hits is a repository that will fail every check.
	ev := c.apps.cfg.log.Info().Str("github_owner", owner).Str("github_repo", repo).Str("tree_sha", rootSHA).
		Int("requests", w.requests).Int("entries", w.entries)
	switch {
	case err == nil:
		ev.Str("outcome", "complete").Msg("truncated tree completed sub-tree by sub-tree")
	case w.hit != "":
		ev.Str("outcome", "bound").Str("bound", w.hit).Err(err).Msg("truncated tree not completed: the walk hit its bound")
	default:
		ev.Str("outcome", "error").Err(err).Msg("truncated tree not completed")
	}
	return out, w.requests, err
}

// complete returns the whole listing of tree rootSHA from its truncated
// recursive listing partial.
func (w *treeWalk) complete(ctx context.Context, rootSHA string, partial []apiTreeEntry) ([]apiTreeEntry, error) {
	w.dirs = map[string]map[string]apiTreeEntry{}
	if w.max <= 0 {
		w.hit = "requests"
		return nil, ErrTreeTruncated
	}
	w.add(".", partial)
	if err := w.tooMany(); err != nil {
		return nil, err
	}
	if err := w.resolve(ctx, ".", rootSHA, true); err != nil {
		return nil, err
	}
	var out []apiTreeEntry
	var walk func(dir string)
	walk = func(dir string) {
		names := make([]string, 0, len(w.dirs[dir]))
		for n := range w.dirs[dir] {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			e := w.dirs[dir][n]
			out = append(out, e)
			if e.Type == "tree" {
				walk(e.Path)
			}
		}
	}
	walk(".")
	return out, nil
}

// add records entries listed under dir (paths relative to dir).
func (w *treeWalk) add(dir string, entries []apiTreeEntry) {
	for _, e := range entries {
		if !fs.ValidPath(e.Path) || e.Path == "." {
			continue // buildTree drops these too; they never name a directory's entry
		}
		if dir != "." {
			e.Path = dir + "/" + e.Path
		}
		parent := path.Dir(e.Path)
		if w.dirs[parent] == nil {
			w.dirs[parent] = map[string]apiTreeEntry{}
		}
		if _, seen := w.dirs[parent][path.Base(e.Path)]; !seen {
			w.entries++
		}
		w.dirs[parent][path.Base(e.Path)] = e
	}
}

// forget drops dir's direct entries, to be listed again.
func (w *treeWalk) forget(dir string) {
	w.entries -= len(w.dirs[dir])
	delete(w.dirs, dir)
}

// tooMany says whether the walk knows more entries than it may hold.
func (w *treeWalk) tooMany() error {
	if w.maxEntries > 0 && w.entries > w.maxEntries {
		w.hit = "entries"
		return fmt.Errorf("%w, and it has more than %d entries", ErrTreeTruncated, w.maxEntries)
	}
	return nil
}

// resolve makes dir's listing (tree sha) whole, then its sub-directories'.
// listedRecursively says the recursive answer for dir is already in: the
// root's, which came back truncated.
func (w *treeWalk) resolve(ctx context.Context, dir, sha string, listedRecursively bool) error {
	if !w.whole(dir, sha) {
		if cached, ok := w.cache.get(sha); ok {
			w.forget(dir)
			w.add(dir, cached)
		}
	}
	if !w.whole(dir, sha) && !listedRecursively {
		// A truncated recursive answer still lists a prefix worth keeping;
		// whether dir is whole now is decided by hashing, below.
		entries, _, err := w.fetch(ctx, dir, sha, true)
		if err != nil {
			return err
		}
		w.add(dir, entries)
		if err := w.tooMany(); err != nil {
			return err
		}
	}
	if !w.whole(dir, sha) {
		entries, truncated, err := w.fetch(ctx, dir, sha, false)
		if err != nil {
			return err
		}
		if truncated { // GitHub cut even one directory's own entries: fail closed
			return fmt.Errorf("directory %s: %w", dir, ErrTreeTruncated)
		}
		w.forget(dir)
		w.add(dir, entries)
		if err := w.tooMany(); err != nil {
			return err
		}
		if !w.whole(dir, sha) {
			return fmt.Errorf("directory %s (tree %s): %w", dir, sha, errTreeMismatch)
		}
	}
	w.remember(dir, sha)
	for _, name := range slices.Sorted(maps.Keys(w.dirs[dir])) {
		e := w.dirs[dir][name]
		if e.Type != "tree" {
			continue
		}
		if err := w.resolve(ctx, e.Path, e.SHA, false); err != nil {
			return err
		}
	}
	return nil
}

// remember keeps dir's verified listing (tree sha) for later walks, with
// paths relative to dir, as a non-recursive answer for it would give them.
func (w *treeWalk) remember(dir, sha string) {
	entries := make([]apiTreeEntry, 0, len(w.dirs[dir]))
	for name, e := range w.dirs[dir] {
		e.Path = name
		entries = append(entries, e)
	}
	w.cache.put(sha, entries)
}

// fetch lists tree sha (recursively or not), counting the request
// against the walk's bound.
func (w *treeWalk) fetch(ctx context.Context, dir, sha string, recursive bool) ([]apiTreeEntry, bool, error) {
	if w.requests >= w.max {
		w.hit = "requests"
		return nil, false, fmt.Errorf("%w, and completing it takes more than %d requests", ErrTreeTruncated, w.max)
	}
	w.requests++
	entries, truncated, err := w.list(ctx, sha, recursive)
	if err != nil {
		return nil, false, fmt.Errorf("read sub-tree %s (%s): %w", dir, sha, err)
	}
	return entries, truncated, nil
}

// whole reports whether dir's known direct entries are exactly the
// entries of tree sha.
func (w *treeWalk) whole(dir, sha string) bool {
	entries := w.dirs[dir]
	if entries == nil {
		// An empty directory has no entries to list; git has no empty trees
		// but in the root of an empty repository.
		return sha == emptyTreeSHA
	}
	id, err := treeID(entries)
	return err == nil && id == sha
}

// emptyTreeSHA is the id of the tree with no entries.
const emptyTreeSHA = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

// treeID computes the git id of a tree with entries (by name): SHA-1 over
// "tree <len>\x00" and each entry's "<mode> <name>\x00<20-byte id>", in
// git's order, where a directory sorts as if its name ended in "/".
func treeID(entries map[string]apiTreeEntry) (string, error) {
	type ent struct {
		mode, name string
		raw        []byte
		dir        bool
	}
	list := make([]ent, 0, len(entries))
	for name, e := range entries {
		raw, err := hex.DecodeString(e.SHA)
		if err != nil || len(raw) != sha1.Size {
			return "", fmt.Errorf("entry %s: bad object id %q", e.Path, e.SHA)
		}
		// The API pads a directory's mode to six digits; a tree object
		// holds it as git writes it.
		mode := strings.TrimLeft(e.Mode, "0")
		list = append(list, ent{mode: mode, name: name, raw: raw, dir: e.Type == "tree"})
	}
	key := func(e ent) string {
		if e.dir {
			return e.name + "/"
		}
		return e.name
	}
	slices.SortFunc(list, func(a, b ent) int { return strings.Compare(key(a), key(b)) })
	var body []byte
	for _, e := range list {
		body = append(body, e.mode...)
		body = append(body, ' ')
		body = append(body, e.name...)
		body = append(body, 0)
		body = append(body, e.raw...)
	}
	h := sha1.New()
	h.Write([]byte("tree " + strconv.Itoa(len(body)) + "\x00"))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil)), nil
}
