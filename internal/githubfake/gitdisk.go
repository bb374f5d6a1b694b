package githubfake

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// gitDisk is the on-disk side of the fake's repositories: one bare
// repository per fake repository under a temporary directory of the
// Server's own, which `git http-backend` serves (smarthttp.go).
//
// A repository is materialized when a git request needs it, not on every
// push: tests that never speak git pay nothing, and a request always sees
// every commit and ref made before it. Each materialization writes only
// the objects not yet on disk, as one new pack, and rewrites the refs.
type gitDisk struct {
	mu sync.Mutex // serialises materialization; taken before Server.mu, never while holding it
	// serving is held (read) by every running git http-backend, and
	// (write) while a repository's packs are merged, so that no git
	// process sees a pack vanish under it.
	serving sync.RWMutex
	root    string // created on first use, removed by close
	written map[string]map[string]struct{}
	refs    map[string]string // repository key -> packed-refs and HEAD last written
	packs   map[string]int    // repository key -> packs written
	closed  bool
}

// close removes the bare repositories; later git requests fail.
func (g *gitDisk) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
	if g.root != "" {
		_ = os.RemoveAll(g.root)
	}
}

// maxPacks is how many packs a bare repository collects before the next
// materialization merges them into one: git looks an object up pack by
// pack, and a test that pushes hundreds of commits should not make every
// later fetch slower.
const maxPacks = 32

// MaterializeStats says what one materialization wrote.
type MaterializeStats struct {
	Objects int // objects written (0 when the disk was up to date)
	Packs   int // packs the bare repository holds after it
}

// materialize brings the bare repository of key ("owner/name", lower
// case) up to date with the fake's objects and refs and returns its
// directory.
func (s *Server) materialize(key string) (string, MaterializeStats, error) {
	g := &s.git
	g.mu.Lock()
	defer g.mu.Unlock()
	var st MaterializeStats
	if g.closed {
		return "", st, fmt.Errorf("githubfake: server closed")
	}
	if g.root == "" {
		root, err := os.MkdirTemp("", "githubfake-git-")
		if err != nil {
			return "", st, fmt.Errorf("githubfake: git root: %w", err)
		}
		g.root = root
		g.written = map[string]map[string]struct{}{}
		g.refs = map[string]string{}
		g.packs = map[string]int{}
	}
	done := g.written[key]
	if done == nil {
		done = map[string]struct{}{}
		g.written[key] = done
	}

	// Snapshot under s.mu: objects are never changed once stored, so the
	// pointers can be written out after the lock is released.
	s.mu.Lock()
	r := s.repos[key]
	if r == nil {
		s.mu.Unlock()
		return "", st, fmt.Errorf("githubfake: no repository %s", key)
	}
	var fresh []packedObject
	for id, o := range r.objects {
		if _, ok := done[id]; !ok {
			fresh = append(fresh, packedObject{id: id, obj: o})
		}
	}
	merge := len(fresh) > 0 && g.packs[key] >= maxPacks
	if merge {
		fresh = fresh[:0]
		for id, o := range r.objects {
			fresh = append(fresh, packedObject{id: id, obj: o})
		}
	}
	refs := map[string]string{}
	for b, id := range r.branches {
		refs["refs/heads/"+b] = id
	}
	for name, id := range s.ext.tags[key] {
		refs["refs/tags/"+name] = id
	}
	for _, p := range s.ext.pulls[key] {
		if id := p.headSHA(r); id != "" {
			refs["refs/pull/"+strconv.Itoa(p.number)+"/head"] = id
		}
	}
	head := r.defaultBranch
	s.mu.Unlock()

	dir := filepath.Join(g.root, filepath.FromSlash(key)+".git")
	if _, err := os.Stat(filepath.Join(dir, "HEAD")); err != nil {
		if err := initBare(dir); err != nil {
			return "", st, err
		}
	}
	packDir := filepath.Join(dir, "objects", "pack")
	if merge {
		if err := mergePacks(&g.serving, packDir, fresh); err != nil {
			return "", st, err
		}
		g.packs[key] = 1
	} else if len(fresh) > 0 {
		if _, err := writePack(packDir, fresh); err != nil {
			return "", st, err
		}
		g.packs[key]++
	}
	for _, po := range fresh {
		done[po.id] = struct{}{}
	}
	st.Objects, st.Packs = len(fresh), g.packs[key]

	names := make([]string, 0, len(refs))
	for n := range refs {
		names = append(names, n)
	}
	slices.Sort(names)
	var b strings.Builder
	b.WriteString("# pack-refs with: sorted \n")
	for _, n := range names {
		b.WriteString(refs[n] + " " + n + "\n")
	}
	packed, headRef := b.String(), "ref: refs/heads/"+head+"\n"
	if g.refs[key] != packed+headRef {
		if err := writeFileAtomic(filepath.Join(dir, "packed-refs"), packed); err != nil {
			return "", st, err
		}
		if err := writeFileAtomic(filepath.Join(dir, "HEAD"), headRef); err != nil {
			return "", st, err
		}
		g.refs[key] = packed + headRef
	}
	return dir, st, nil
}

// mergePacks replaces every pack in packDir with one holding all of objs,
// while no git process runs.
func mergePacks(serving *sync.RWMutex, packDir string, all []packedObject) error {
	serving.Lock()
	defer serving.Unlock()
	old, err := filepath.Glob(filepath.Join(packDir, "pack-*"))
	if err != nil {
		return fmt.Errorf("githubfake: merge packs: %w", err)
	}
	name, err := writePack(packDir, all)
	if err != nil {
		return err
	}
	for _, f := range old {
		if strings.HasPrefix(filepath.Base(f), name+".") {
			continue // the same objects as before: the same pack
		}
		if err := os.Remove(f); err != nil {
			return fmt.Errorf("githubfake: merge packs: %w", err)
		}
	}
	return nil
}

// initBare lays out an empty bare repository as `git init --bare` would,
// without running git: refs live only in packed-refs, which the fake
// rewrites whole.
func initBare(dir string) error {
	for _, d := range []string{"objects/pack", "objects/info", "refs/heads", "refs/tags"} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(d)), 0o755); err != nil {
			return fmt.Errorf("githubfake: init bare repository: %w", err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte("[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n"), 0o644); err != nil {
		return fmt.Errorf("githubfake: init bare repository: %w", err)
	}
	return writeFileAtomic(filepath.Join(dir, "HEAD"), "ref: refs/heads/main\n")
}

// writeFileAtomic replaces name so that a concurrent reader sees the old
// content or the new, never a part.
func writeFileAtomic(name, content string) error {
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		return fmt.Errorf("githubfake: write %s: %w", filepath.Base(name), err)
	}
	if err := os.Rename(tmp, name); err != nil {
		return fmt.Errorf("githubfake: write %s: %w", filepath.Base(name), err)
	}
	return nil
}
