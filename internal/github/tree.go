package github

import (
	"bytes"
	"container/list"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrBlobTooLarge is returned when reading a file bigger than the
// configured maximum ([WithMaxBlobBytes]).
var ErrBlobTooLarge = errors.New("file too large to read")

// ErrTreeTruncated is returned by [Client.Tree] when GitHub truncated the
// recursive tree (over 100,000 entries or 7 MB) and completing it one
// sub-tree at a time would take more requests than allowed
// ([WithMaxTreeRequests]): contractbot then does not check the repository
// through the API, and says so.
var ErrTreeTruncated = errors.New("repository tree too large: GitHub truncated it")

// maxSymlinkHops bounds symlink resolution inside a tree.
const maxSymlinkHops = 8

// Tree returns the tree of commit (or tree) sha in owner/repo as a
// read-only file system. It makes one request, GET
// /repos/{owner}/{repo}/git/trees/{sha}?recursive=1, unless GitHub
// truncates the answer: then it fetches the sub-trees the answer did not
// list whole, one request each (treewalk.go), up to [WithMaxTreeRequests]
// of them. File contents are
// fetched on first Read through the Blobs API and cached by blob SHA, shared
// with every installation. Listing and Stat never fetch contents, except
// that following a symbolic link reads the link.
//
// Reads made through the returned FS use ctx: it must outlive the use of
// the FS (a check run's context, typically).
func (c *Client) Tree(ctx context.Context, owner, repo, sha string) (*TreeFS, error) {
	var out struct {
		SHA       string         `json:"sha"`
		Truncated bool           `json:"truncated"`
		Tree      []apiTreeEntry `json:"tree"`
	}
	p := repoPath(owner, repo) + "/git/trees/" + pathEscape(sha) + "?recursive=1"
	if err := c.do(ctx, http.MethodGet, p, nil, &out); err != nil {
		return nil, fmt.Errorf("read tree of %s/%s@%s: %w", owner, repo, sha, err)
	}
	if out.Truncated {
		if out.SHA == "" {
			return nil, fmt.Errorf("read tree of %s/%s@%s: %w", owner, repo, sha, ErrTreeTruncated)
		}
		full, _, err := c.completeTree(ctx, owner, repo, out.SHA, out.Tree)
		if err != nil {
			return nil, fmt.Errorf("read tree of %s/%s@%s: %w", owner, repo, sha, err)
		}
		out.Tree = full
	}
	t := buildTree(out.Tree)
	t.ctx, t.c, t.owner, t.repo, t.sha = ctx, c, owner, repo, sha
	return t, nil
}

// link adds n under its parent directory, creating missing parents; it
// refuses (false) when a parent is a file.
func (t *TreeFS) link(p string, n *entry) bool {
	var created []string
	for {
		dir := path.Dir(p)
		parent, ok := t.entries[dir]
		if ok && !parent.isDir() || ok && parent.submodule {
			for _, c := range created { // undo the parents made for n
				delete(t.entries, c)
			}
			return false
		}
		if !ok {
			parent = &entry{name: path.Base(dir), mode: fs.ModeDir | 0o555}
			t.entries[dir] = parent
			created = append(created, dir)
		}
		parent.children = append(parent.children, n)
		if ok || dir == "." {
			return true
		}
		p, n = dir, parent
	}
}

// apiTreeEntry is one entry of a Git Trees API response.
type apiTreeEntry struct {
	Path string `json:"path"`
	Mode string `json:"mode"`
	Type string `json:"type"`
	SHA  string `json:"sha"`
	Size int64  `json:"size"`
}

// buildTree indexes a recursive tree listing. Entries whose path could
// leave the root or is not a clean slash-separated path are dropped; a file
// listed where a directory must be keeps the directory.
func buildTree(list []apiTreeEntry) *TreeFS {
	t := &TreeFS{entries: make(map[string]*entry, len(list)+1)}
	root := &entry{name: ".", mode: fs.ModeDir | 0o555}
	t.entries["."] = root
	for _, e := range list {
		if !fs.ValidPath(e.Path) || e.Path == "." {
			continue // not a path GitHub would send; never let it escape the root
		}
		n := &entry{name: path.Base(e.Path), sha: e.SHA, size: e.Size}
		switch {
		case e.Type == "tree":
			n.mode = fs.ModeDir | 0o555
		case e.Type == "commit": // a submodule: an empty directory, as in a checkout
			n.mode = fs.ModeDir | 0o555
			n.submodule = true
		case e.Mode == "120000":
			n.mode = fs.ModeSymlink | 0o777
		case e.Mode == "100755":
			n.mode = 0o555
		default:
			n.mode = 0o444
		}
		if old, ok := t.entries[e.Path]; ok {
			if old.isDir() && n.isDir() {
				old.sha, old.submodule = n.sha, n.submodule // implied by a child listed first
			}
			continue // a duplicate path: the first listing wins
		}
		if !t.link(e.Path, n) {
			continue
		}
		t.entries[e.Path] = n
	}
	for _, e := range t.entries {
		slices.SortFunc(e.children, func(a, b *entry) int { return strings.Compare(a.name, b.name) })
	}
	return t
}

// TreeFS is a commit's tree as an [fs.FS]. It implements [fs.ReadDirFS],
// [fs.ReadFileFS] and [fs.StatFS], so the check engine reads it as it
// reads a checkout. It is safe for concurrent use.
type TreeFS struct {
	ctx     context.Context
	c       *Client
	owner   string
	repo    string
	sha     string
	entries map[string]*entry
}

// SHA returns the commit (or tree) SHA the tree was requested for.
func (t *TreeFS) SHA() string { return t.sha }

// BlobSHA returns the blob SHA of the file at name, without reading it, so
// that callers can cache what they parse from it (a .contractbot.yaml) by
// content.
func (t *TreeFS) BlobSHA(name string) (string, bool) {
	e, ok := t.entries[name]
	if !ok || e.isDir() {
		return "", false
	}
	return e.sha, true
}

// Open implements [fs.FS]. Symbolic links are followed within the tree; a
// link that leaves the tree does not exist.
func (t *TreeFS) Open(name string) (fs.File, error) {
	e, err := t.resolve("open", name)
	if err != nil {
		return nil, err
	}
	if e.isDir() {
		return &dirFile{e: e}, nil
	}
	return &blobFile{t: t, e: e, name: name}, nil
}

// Stat implements [fs.StatFS]; like [os.Stat] it follows symbolic links.
func (t *TreeFS) Stat(name string) (fs.FileInfo, error) {
	e, err := t.resolve("stat", name)
	if err != nil {
		return nil, err
	}
	return e, nil
}

// ReadDir implements [fs.ReadDirFS]; entries are sorted by name.
func (t *TreeFS) ReadDir(name string) ([]fs.DirEntry, error) {
	e, err := t.resolve("readdir", name)
	if err != nil {
		return nil, err
	}
	if !e.isDir() {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	out := make([]fs.DirEntry, len(e.children))
	for i, c := range e.children {
		out[i] = c
	}
	return out, nil
}

// ReadFile implements [fs.ReadFileFS].
func (t *TreeFS) ReadFile(name string) ([]byte, error) {
	e, err := t.resolve("read", name)
	if err != nil {
		return nil, err
	}
	if e.isDir() {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errors.New("is a directory")}
	}
	b, err := t.blob(e)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return bytes.Clone(b), nil
}

// resolve finds name, following symbolic links in any of its elements.
func (t *TreeFS) resolve(op, name string) (*entry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	p := name
	for hops := 0; ; hops++ {
		if hops > maxSymlinkHops {
			return nil, &fs.PathError{Op: op, Path: name, Err: errors.New("too many levels of symbolic links")}
		}
		e, rest, err := t.walk(p)
		if err != nil {
			return nil, &fs.PathError{Op: op, Path: name, Err: err}
		}
		if e.mode&fs.ModeSymlink == 0 {
			return e, nil
		}
		target, err := t.blob(e)
		if err != nil {
			return nil, &fs.PathError{Op: op, Path: name, Err: err}
		}
		linkDir := path.Dir(strings.TrimSuffix(strings.TrimSuffix(p, rest), "/"))
		tgt := string(target)
		if strings.HasPrefix(tgt, "/") {
			return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
		np := path.Join(linkDir, tgt)
		if rest != "" {
			np = path.Join(np, rest)
		}
		if !fs.ValidPath(np) { // "../" out of the tree
			return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
		p = np
	}
}

// walk looks p up element by element, stopping at the first symbolic link;
// rest is what follows the link.
func (t *TreeFS) walk(p string) (e *entry, rest string, err error) {
	// GitHub lists nothing below a symbolic link, so a listed path has no
	// link above it.
	if e, ok := t.entries[p]; ok {
		return e, "", nil
	}
	parts := strings.Split(p, "/")
	for i := range parts {
		prefix := strings.Join(parts[:i+1], "/")
		e, ok := t.entries[prefix]
		if !ok {
			return nil, "", fs.ErrNotExist
		}
		if e.mode&fs.ModeSymlink != 0 {
			return e, strings.Join(parts[i+1:], "/"), nil
		}
		if i < len(parts)-1 && !e.isDir() {
			return nil, "", fs.ErrNotExist
		}
	}
	return t.entries[p], "", nil
}

// blob returns e's contents from the cache or the Blobs API.
func (t *TreeFS) blob(e *entry) ([]byte, error) {
	max := t.c.apps.cfg.maxBlobBytes
	if max > 0 && e.size > max {
		return nil, fmt.Errorf("%w (%d bytes, limit %d)", ErrBlobTooLarge, e.size, max)
	}
	return t.c.apps.blobs.get(t.ctx, e.sha, func(ctx context.Context) ([]byte, error) {
		return t.c.fetchBlob(ctx, t.owner, t.repo, e.sha)
	})
}

// fetchBlob reads one blob (GET /repos/{owner}/{repo}/git/blobs/{sha}) and
// checks that its content hashes to sha, as git would.
func (c *Client) fetchBlob(ctx context.Context, owner, repo, sha string) ([]byte, error) {
	var out struct {
		Content  string `json:"content"`
		Encoding string `json:"encoding"`
		Size     int64  `json:"size"`
	}
	p := repoPath(owner, repo) + "/git/blobs/" + pathEscape(sha)
	if err := c.do(ctx, http.MethodGet, p, nil, &out); err != nil {
		return nil, fmt.Errorf("read blob %s: %w", sha, err)
	}
	var b []byte
	switch out.Encoding {
	case "base64":
		var err error
		b, err = base64.StdEncoding.DecodeString(strings.ReplaceAll(out.Content, "\n", ""))
		if err != nil {
			return nil, fmt.Errorf("read blob %s: %w", sha, err)
		}
	case "utf-8", "utf8", "":
		b = []byte(out.Content)
	default:
		return nil, fmt.Errorf("read blob %s: unknown encoding %q", sha, out.Encoding)
	}
	if got := BlobSHA(b); got != sha {
		return nil, fmt.Errorf("read blob %s: content hashes to %s", sha, got)
	}
	return b, nil
}

// BlobSHA returns the git object id of a blob with content b:
// SHA-1 over "blob <len>\x00" followed by b.
func BlobSHA(b []byte) string {
	h := sha1.New()
	h.Write([]byte("blob " + strconv.Itoa(len(b)) + "\x00"))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// entry is one node of a tree; it is its own fs.FileInfo and fs.DirEntry.
type entry struct {
	name      string
	mode      fs.FileMode
	sha       string
	size      int64
	submodule bool
	children  []*entry
}

func (e *entry) isDir() bool                { return e.mode.IsDir() }
func (e *entry) Name() string               { return e.name }
func (e *entry) Size() int64                { return e.size }
func (e *entry) Mode() fs.FileMode          { return e.mode }
func (e *entry) ModTime() time.Time         { return time.Time{} }
func (e *entry) IsDir() bool                { return e.isDir() }
func (e *entry) Sys() any                   { return nil }
func (e *entry) Type() fs.FileMode          { return e.mode.Type() }
func (e *entry) Info() (fs.FileInfo, error) { return e, nil }
func (e *entry) String() string             { return fs.FormatDirEntry(e) }

// blobFile is an open file; its contents are fetched on first Read.
type blobFile struct {
	t    *TreeFS
	e    *entry
	name string
	r    *bytes.Reader
}

func (f *blobFile) Stat() (fs.FileInfo, error) { return f.e, nil }
func (f *blobFile) Close() error               { return nil }

func (f *blobFile) Read(p []byte) (int, error) {
	if f.r == nil {
		b, err := f.t.blob(f.e)
		if err != nil {
			return 0, &fs.PathError{Op: "read", Path: f.name, Err: err}
		}
		f.r = bytes.NewReader(b)
	}
	return f.r.Read(p)
}

// dirFile is an open directory.
type dirFile struct {
	e   *entry
	off int
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.e, nil }
func (d *dirFile) Close() error               { return nil }
func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.e.name, Err: errors.New("is a directory")}
}

func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.e.children[d.off:]
	if n > 0 && len(rest) == 0 {
		return nil, io.EOF
	}
	if n > 0 && n < len(rest) {
		rest = rest[:n]
	}
	d.off += len(rest)
	out := make([]fs.DirEntry, len(rest))
	for i, c := range rest {
		out[i] = c
	}
	return out, nil
}

// blobCache is a content-addressed LRU of blobs bounded in bytes, with
// concurrent fetches of one SHA merged into one request. Sharing it across
// installations is safe: a blob's SHA is a hash of its content, and a tree
// only names blobs its repository holds.
type blobCache struct {
	mu       sync.Mutex
	max      int64
	size     int64
	ll       *list.List
	m        map[string]*list.Element
	inflight map[string]*call
	metrics  *metrics
}

type blobEntry struct {
	sha string
	b   []byte
}

type call struct {
	done chan struct{}
	b    []byte
	err  error
}

func newBlobCache(maxBytes int64, m *metrics) *blobCache {
	return &blobCache{max: maxBytes, ll: list.New(), m: map[string]*list.Element{}, inflight: map[string]*call{}, metrics: m}
}

func (c *blobCache) get(ctx context.Context, sha string, fetch func(context.Context) ([]byte, error)) ([]byte, error) {
	c.mu.Lock()
	if el, ok := c.m[sha]; ok {
		c.ll.MoveToFront(el)
		c.mu.Unlock()
		c.metrics.cache("blob", true)
		return el.Value.(*blobEntry).b, nil
	}
	if cl, ok := c.inflight[sha]; ok {
		c.mu.Unlock()
		select {
		case <-cl.done:
			if cl.err != nil && ctx.Err() == nil && (errors.Is(cl.err, context.Canceled) || errors.Is(cl.err, context.DeadlineExceeded)) {
				// The fetch died with its caller's context, not ours: try again.
				return c.get(ctx, sha, fetch)
			}
			return cl.b, cl.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	cl := &call{done: make(chan struct{})}
	c.inflight[sha] = cl
	c.mu.Unlock()
	c.metrics.cache("blob", false)

	cl.b, cl.err = fetch(ctx)
	c.mu.Lock()
	delete(c.inflight, sha)
	if cl.err == nil && int64(len(cl.b)) <= c.max {
		c.m[sha] = c.ll.PushFront(&blobEntry{sha: sha, b: cl.b})
		c.size += int64(len(cl.b))
		for c.size > c.max && c.ll.Len() > 0 {
			old := c.ll.Remove(c.ll.Back()).(*blobEntry)
			delete(c.m, old.sha)
			c.size -= int64(len(old.b))
		}
	}
	c.mu.Unlock()
	close(cl.done)
	return cl.b, cl.err
}

var (
	_ fs.ReadDirFS   = (*TreeFS)(nil)
	_ fs.ReadFileFS  = (*TreeFS)(nil)
	_ fs.StatFS      = (*TreeFS)(nil)
	_ fs.ReadDirFile = (*dirFile)(nil)
)
