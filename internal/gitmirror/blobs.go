package gitmirror

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"

	"github.com/contractbot/contractbot/internal/gitobj"
)

// Prefetch fetches, in one request, the blobs of commit's tree whose path
// choose accepts and that the mirror lacks, and returns how many it
// fetched. A partial clone would otherwise fetch each blob on its own
// request when it is read: 1,800 requests for the smartstack.yaml files of
// a large soa repository.
func (h *Handle) Prefetch(ctx context.Context, commit string, choose func(path string) bool) (int, error) {
	if !isOID(commit) {
		return 0, fmt.Errorf("prefetch: %q is not a commit id", commit)
	}
	unpin, err := h.pin()
	if err != nil {
		return 0, err
	}
	defer unpin()
	blobs, err := h.listing(ctx, commit)
	if err != nil {
		return 0, err
	}
	var chosen []string
	seen := map[string]bool{}
	for _, b := range blobs {
		if !seen[b.oid] && choose(b.path) {
			seen[b.oid] = true
			chosen = append(chosen, b.oid)
		}
	}
	if len(chosen) == 0 {
		return 0, nil
	}
	// The view has no promisor remote: cat-file names the blobs the
	// mirror lacks without trying to fetch them.
	out, err := h.m.run(ctx, h.mr.view, nil, strings.NewReader(strings.Join(chosen, "\n")+"\n"), "cat-file", "--batch-check=%(objectname)")
	if err != nil {
		return 0, fmt.Errorf("missing blobs of %s: %w", commit, err)
	}
	var missing []string
	for _, line := range strings.Split(string(out), "\n") {
		if oid, ok := strings.CutSuffix(line, " missing"); ok && isOID(oid) {
			missing = append(missing, oid)
		}
	}
	if err := h.FetchBlobs(ctx, missing); err != nil {
		return 0, err
	}
	return len(missing), nil
}

// listing returns the blobs of commit's tree, kept for the last commits
// asked: the checks of one soa head prefetch service after service.
func (h *Handle) listing(ctx context.Context, commit string) ([]blob, error) {
	h.m.mu.Lock()
	if b, ok := h.mr.listings[commit]; ok {
		h.m.mu.Unlock()
		return b, nil
	}
	h.m.mu.Unlock()
	out, err := h.m.run(ctx, h.mr.view, nil, nil, "ls-tree", "-r", "-z", "--full-tree", commit)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", commit, err)
	}
	blobs := parseBlobs(out)
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	if h.mr.listings == nil || len(h.mr.listings) >= maxListings {
		h.mr.listings = map[string][]blob{}
	}
	h.mr.listings[commit] = blobs
	return blobs, nil
}

// maxListings bounds the tree listings a mirror keeps (one of 44,000
// files is a few MB).
const maxListings = 2

// blob is one file of `git ls-tree -r -z` output.
type blob struct{ oid, path string }

// parseBlobs reads `git ls-tree -r -z` output, records of "<mode> SP
// <type> SP <oid> TAB <path>" ended by NUL, and keeps the blobs; a record
// that does not have that shape is skipped (git writes none).
func parseBlobs(listing []byte) []blob {
	var out []blob
	for _, rec := range bytes.Split(listing, []byte{0}) {
		meta, p, ok := bytes.Cut(rec, []byte{'\t'})
		f := strings.Fields(string(meta))
		if !ok || len(p) == 0 || len(f) != 3 || f[1] != "blob" || !isOID(f[2]) {
			continue
		}
		out = append(out, blob{oid: f[2], path: string(p)})
	}
	return out
}

// FetchBlobs fetches the objects oids (ids the mirror's trees name) in one
// request, as git's own lazy fetch does, with the installation token.
func (h *Handle) FetchBlobs(ctx context.Context, oids []string) error {
	if len(oids) == 0 {
		return nil
	}
	for _, oid := range oids {
		if !isOID(oid) {
			return fmt.Errorf("fetch blobs: %q is not an object id", oid)
		}
	}
	unpin, err := h.pin()
	if err != nil {
		return err
	}
	defer unpin()
	if err := h.lock(ctx); err != nil {
		return err
	}
	defer h.unlock()
	r, cfg, err := h.remoteConfig(ctx)
	if err != nil {
		return err
	}
	// The noop negotiation sends no "have" lines: the server has every
	// object, and we want these only.
	cfg = append(cfg, [2]string{"fetch.negotiationAlgorithm", "noop"})
	in := strings.NewReader(strings.Join(oids, "\n") + "\n")
	if _, err := h.m.run(ctx, h.mr.dir, cfg, in, "fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--recurse-submodules=no", "--filter=blob:none", "--stdin", "origin"); err != nil {
		return refused(r, fmt.Errorf("fetch %d blobs from %s: %w", len(oids), redact(r.URL), err))
	}
	h.maintain(ctx)
	return nil
}

// ChangedDirs returns the top-level directories whose content differs
// between commits before and after, sorted. It needs trees only, which a
// partial clone has.
func (h *Handle) ChangedDirs(ctx context.Context, before, after string) ([]string, error) {
	if !isOID(before) || !isOID(after) {
		return nil, fmt.Errorf("changed directories: %q..%q are not commit ids", before, after)
	}
	unpin, err := h.pin()
	if err != nil {
		return nil, err
	}
	defer unpin()
	out, err := h.m.run(ctx, h.mr.view, nil, nil, "diff-tree", "-z", "--name-only", "--no-renames", before, after)
	if err != nil {
		return nil, fmt.Errorf("diff %s..%s: %w", before, after, err)
	}
	seen := map[string]bool{}
	dirs := []string{}
	for _, p := range strings.Split(string(out), "\x00") {
		// Without -r, diff-tree names the top-level entries that differ;
		// a file at the top is no directory.
		if p == "" || seen[p] {
			continue
		}
		seen[p] = true
		dirs = append(dirs, p)
	}
	// Keep the directories only: a top-level file that changed is not a
	// service. ls-tree -d names the directories of either side.
	isDir := map[string]bool{}
	for _, c := range []string{before, after} {
		ls, err := h.m.run(ctx, h.mr.view, nil, nil, "ls-tree", "-z", "-d", "--name-only", c)
		if err != nil {
			return nil, fmt.Errorf("directories of %s: %w", c, err)
		}
		for _, d := range strings.Split(string(ls), "\x00") {
			isDir[d] = true
		}
	}
	dirs = slices.DeleteFunc(dirs, func(d string) bool { return !isDir[d] })
	slices.Sort(dirs)
	return dirs, nil
}

// FS returns commit's tree as a file system for the rules. A blob the
// mirror lacks (one Prefetch did not choose) is fetched when it is read,
// on one request of its own.
//
// Reads use ctx, as a github.TreeFS's do: a read that must fetch waits
// for the mirror's lock (a long fetch) and fetches only until ctx is done
// or the manager's timeout passes, whichever comes first; ctx must
// outlive the use of the tree. The tree pins the mirror until ctx is
// done, whether or not the handle is released meanwhile: the engine reads
// it after the handle's owner returned. A read after that pins the mirror
// while it runs, and fails with [ErrEvicted] if the mirror went in
// between.
func (h *Handle) FS(ctx context.Context, commit string) (fs.FS, error) {
	unpin, err := h.pin()
	if err != nil {
		return nil, err
	}
	l := &lazyFS{h: h, ctx: ctx, commit: commit}
	if _, _, err := l.current(); err != nil {
		unpin()
		return nil, err
	}
	context.AfterFunc(ctx, unpin)
	return l, nil
}

// lazyFS reads through the mirror's reader and fetches a missing blob on
// demand. fs.FS has no context: its reads use the one it was made with,
// bounded by the manager's timeout. It follows the mirror's reader: when
// that broke and was replaced, it reads through the new one.
type lazyFS struct {
	h      *Handle
	ctx    context.Context
	commit string

	mu    sync.Mutex
	store *gitobj.Store
	fsys  fs.FS
}

var (
	_ fs.ReadFileFS = (*lazyFS)(nil)
	_ fs.ReadDirFS  = (*lazyFS)(nil)
	_ fs.StatFS     = (*lazyFS)(nil)
)

// current returns the commit's tree through the mirror's reader of now.
func (l *lazyFS) current() (fs.FS, *gitobj.Store, error) {
	s, err := l.h.storeOf()
	if err != nil {
		return nil, nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.store != s {
		t, err := s.FS(l.commit)
		if err != nil {
			return nil, nil, fmt.Errorf("tree of %s: %w", l.commit, err)
		}
		l.store, l.fsys = s, t
	}
	return l.fsys, s, nil
}

// retry runs op on name, and once more after fetching name's blob when
// the mirror lacks it (the blob's id comes from the tree, which is
// there), or after replacing a reader that broke.
func retry[T any](l *lazyFS, name string, op func(fs.FS) (T, error)) (T, error) {
	var zero T
	unpin, err := l.h.pin()
	if err != nil {
		return zero, err
	}
	defer unpin()
	fsys, s, err := l.current()
	if err != nil {
		return zero, err
	}
	v, err := op(fsys)
	switch {
	case err == nil, errors.Is(err, fs.ErrNotExist), errors.Is(err, gitobj.ErrTooLarge), errors.Is(err, fs.ErrInvalid):
		return v, err
	case !errors.Is(err, gitobj.ErrMissing):
		if !l.h.resetStore(s) {
			return v, err
		}
		if fsys, _, err = l.current(); err != nil {
			return zero, err
		}
		return op(fsys)
	}
	// The whole fetch, its wait for the lock included, is bounded: a
	// tree whose context has no deadline (a soa cache's, which outlives
	// any one task) must not wait behind fetch after fetch for ever.
	ctx, cancel := context.WithTimeout(l.ctx, l.h.m.opts.Timeout)
	defer cancel()
	out, rerr := l.h.m.run(ctx, l.h.mr.view, nil, nil, "rev-parse", "--verify", "--quiet", l.commit+":"+name)
	oid := strings.TrimSpace(string(out))
	if rerr != nil || !isOID(oid) {
		return v, err // a symlink on the way, say: the rules see the error
	}
	if ferr := l.h.FetchBlobs(ctx, []string{oid}); ferr != nil {
		return zero, fmt.Errorf("%w (fetching it: %w)", err, ferr)
	}
	return op(fsys)
}

func (l *lazyFS) Open(name string) (fs.File, error) {
	return retry(l, name, func(f fs.FS) (fs.File, error) { return f.Open(name) })
}

func (l *lazyFS) ReadFile(name string) ([]byte, error) {
	return retry(l, name, func(f fs.FS) ([]byte, error) { return fs.ReadFile(f, name) })
}

func (l *lazyFS) ReadDir(name string) ([]fs.DirEntry, error) {
	return retry(l, name, func(f fs.FS) ([]fs.DirEntry, error) { return fs.ReadDir(f, name) })
}

func (l *lazyFS) Stat(name string) (fs.FileInfo, error) {
	return retry(l, name, func(f fs.FS) (fs.FileInfo, error) { return fs.Stat(f, name) })
}
