// Package gitmirror keeps local bare partial clones of the repositories the
// App reads in bulk (the soa repository above all), so that a tree of
// 44,000 files costs a few git requests instead of thousands of API calls.
//
// Each mirror is a `--filter=blob:none` clone: it holds every commit and
// tree, and only the blobs that a check asked for, fetched in one batch
// ([Handle.Prefetch]). git runs with an argument list and an environment
// of its own (no user configuration, no credential helper, no prompt, only
// https); the installation token travels as an HTTP header in GIT_CONFIG_*
// variables, never in argv, a URL, the repository's config or a log.
//
// Reads go through a second, bare repository beside each mirror that
// borrows its objects (objects/info/alternates) and has no promisor remote:
// a blob the mirror lacks is then "missing" to `git cat-file`, not a lazy
// fetch that would hang, prompt or kill the reader. The file system of
// [Handle.FS] fetches such a blob itself, with the token, and reads again.
package gitmirror

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/contractbot/contractbot/internal/gitobj"
	"github.com/rs/zerolog"
)

// Options configure a [Manager].
type Options struct {
	// Dir holds the mirrors (CONTRACTBOT_DATA_DIR/git).
	Dir string
	// MaxBytes bounds the disk the mirrors use; beyond it the least
	// recently used mirror that no one is reading is deleted. 0: no bound.
	MaxBytes int64
	// Timeout bounds one git command (default 5 minutes).
	Timeout time.Duration
	// Git is the git program (default "git" on PATH).
	Git string
	// AllowHTTPHost is a host:port that may be fetched over plain http
	// (a test server); every other URL must be https.
	AllowHTTPHost string
}

// Manager owns the mirrors of one process. Replicas each have their own.
type Manager struct {
	opts Options
	home string // an empty HOME for git

	mu      sync.Mutex
	mirrors map[string]*mirror // by directory name

	// over is whether the last eviction left the mirrors beyond the
	// bound, every one left being in use; guarded by mu. It makes the
	// log say so once, not on every fetch.
	over bool

	// evicting, in tests, runs between evict's choice and its deletions.
	evicting func()
}

// mirror is one repository's bare partial clone.
type mirror struct {
	name string
	dir  string // the partial clone
	view string // the reader's repository, borrowing dir's objects

	// sem serialises the commands that write to the mirror (fetch,
	// maintenance); a fetch that waited for another finds what it wanted
	// already there, which is how concurrent fetches coalesce.
	sem chan struct{}

	// guarded by sem
	url      string // remote.origin.url as this process last set it
	unpruned int    // refs/contractbot/ refs added since the last prune

	// fetches counts the fetches done (guarded by Manager.mu): a fetch
	// that got the lock checks again what it lacks only when one ran
	// since it looked.
	fetches int

	// guarded by Manager.mu
	users    int // pins: handles, trees being read, operations under way
	lastUsed time.Time
	size     int64
	store    *gitobj.Store
	listings map[string][]blob // by commit
	gone     bool
}

// New opens the mirrors under opts.Dir, creating it; mirrors left by an
// earlier run are kept (and count towards the bound).
func New(opts Options) (*Manager, error) {
	if opts.Dir == "" {
		return nil, errors.New("git mirrors need a directory")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Minute
	}
	if opts.Git == "" {
		opts.Git = "git"
	}
	m := &Manager{opts: opts, home: filepath.Join(opts.Dir, ".home"), mirrors: map[string]*mirror{}}
	if err := os.MkdirAll(m.home, 0o700); err != nil {
		return nil, fmt.Errorf("git mirrors: %w", err)
	}
	if err := m.checkGit(); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("git mirrors: %w", err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), evictedMark) {
			// An eviction this process did not finish deleting.
			os.RemoveAll(filepath.Join(opts.Dir, e.Name()))
			continue
		}
		if !e.IsDir() || !strings.HasSuffix(e.Name(), ".git") {
			continue
		}
		mr := m.newMirror(e.Name())
		mr.size = dirSize(opts.Dir, e.Name())
		if info, err := e.Info(); err == nil {
			mr.lastUsed = info.ModTime()
		}
		m.mirrors[mr.name] = mr
	}
	return m, nil
}

func (m *Manager) newMirror(name string) *mirror {
	dir := filepath.Join(m.opts.Dir, name)
	return &mirror{name: name, dir: dir, view: filepath.Join(dir, "contractbot-view"), sem: make(chan struct{}, 1)}
}

// ErrNoGit is returned by [New] when there is no git, or one too old for
// the manager (GIT_CONFIG_COUNT is git 2.31's).
var ErrNoGit = errors.New("no usable git")

// minGit is the oldest git the manager can keep a token out of argv with.
var minGit = [2]int{2, 31}

// checkGit runs `git version` and refuses a git older than minGit.
func (m *Manager) checkGit() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := m.run(ctx, m.home, nil, nil, "version")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNoGit, err)
	}
	v, ok := parseGitVersion(string(out))
	if !ok || v[0] < minGit[0] || (v[0] == minGit[0] && v[1] < minGit[1]) {
		return fmt.Errorf("%w: %q, want git %d.%d or later", ErrNoGit, strings.TrimSpace(string(out)), minGit[0], minGit[1])
	}
	return nil
}

// parseGitVersion reads "git version 2.39.5" (and vendor suffixes such as
// "2.39.5 (Apple Git-154)" or "2.45.1.windows.1").
func parseGitVersion(s string) ([2]int, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "git version ")
	if !ok {
		return [2]int{}, false
	}
	words := strings.Fields(rest)
	if len(words) == 0 {
		return [2]int{}, false
	}
	parts := strings.SplitN(words[0], ".", 3)
	if len(parts) < 2 {
		return [2]int{}, false
	}
	var v [2]int
	for i := range v {
		n, err := strconv.Atoi(parts[i])
		if err != nil || n < 0 {
			return [2]int{}, false
		}
		v[i] = n
	}
	return v, true
}

// safeName is what a mirror's directory name is made of.
var safeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// mirrorName is the directory of a repository's mirror: its host, owner
// and name, lower-cased (GitHub's names are case-insensitive).
func mirrorName(host, owner, repo string) string {
	n := strings.ToLower(host + "+" + owner + "+" + repo)
	return strings.Trim(safeName.ReplaceAllString(n, "_"), ".") + ".git"
}

// Handle is one user's hold on a mirror: it is not evicted until every
// handle is released. A released handle may still be used (a tree read
// after its check): each operation then pins the mirror while it runs,
// and fails with [ErrEvicted] once the mirror is gone.
type Handle struct {
	m       *Manager
	mr      *mirror
	remote  RemoteFunc
	release func()
}

// ErrEvicted is returned by a handle's operations once its mirror was
// evicted (it was released, and the disk bound needed the room). It is
// transient: the retry opens the mirror again.
var ErrEvicted = errors.New("git mirror evicted")

// Open returns a handle on the mirror of host/owner/repo, creating the
// (empty) mirror on first use; remote says where to fetch it from.
func (m *Manager) Open(ctx context.Context, host, owner, repo string, remote RemoteFunc) (*Handle, error) {
	name := mirrorName(host, owner, repo)
	m.mu.Lock()
	mr, ok := m.mirrors[name]
	if !ok {
		mr = m.newMirror(name)
		m.mirrors[name] = mr
	}
	release := m.pinLocked(mr)
	m.mu.Unlock()
	h := &Handle{m: m, mr: mr, remote: remote, release: release}
	if err := h.lock(ctx); err != nil {
		h.Release()
		return nil, err
	}
	defer h.unlock()
	if err := m.initMirror(ctx, mr); err != nil {
		h.Release()
		return nil, err
	}
	return h, nil
}

// Release gives the handle back. A tree from [Handle.FS] is still read
// after: it pins the mirror itself, until its context is done.
func (h *Handle) Release() { h.release() }

// pin keeps the mirror from eviction until the returned function is
// called (once or more); it fails when the mirror is gone already. Every
// operation pins for as long as it runs, whether or not its handle was
// released: eviction renames the directory away, and a git command or
// reader inside it would then fail, or a fetch write into a tombstone.
func (h *Handle) pin() (unpin func(), err error) {
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	if h.mr.gone {
		return nil, ErrEvicted
	}
	return h.m.pinLocked(h.mr), nil
}

// pinLocked is pin with m.mu held and mr known to be there.
func (m *Manager) pinLocked(mr *mirror) func() {
	mr.users++
	mr.lastUsed = time.Now()
	var once sync.Once
	return func() {
		once.Do(func() {
			m.mu.Lock()
			mr.users--
			mr.lastUsed = time.Now()
			m.mu.Unlock()
		})
	}
}

// Dir is the mirror's git directory.
func (h *Handle) Dir() string { return h.mr.dir }

func (h *Handle) lock(ctx context.Context) error {
	select {
	case h.mr.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Handle) unlock() { <-h.mr.sem }

// initMirror makes an empty partial clone and its reader's view, unless
// they exist.
func (m *Manager) initMirror(ctx context.Context, mr *mirror) error {
	if _, err := os.Stat(filepath.Join(mr.view, "objects", "info", "alternates")); err == nil {
		return nil
	}
	if _, err := m.run(ctx, mr.dir, nil, nil, "init", "--quiet", "--bare", mr.dir); err != nil {
		return fmt.Errorf("init mirror: %w", err)
	}
	for _, kv := range [][2]string{
		{"core.repositoryformatversion", "1"},
		{"extensions.partialClone", "origin"},
		{"remote.origin.promisor", "true"},
		{"remote.origin.partialclonefilter", "blob:none"},
		{"remote.origin.url", "https://invalid.invalid/"}, // set before each fetch
		// Whatever runs in the mirror without the manager's environment
		// (an operator's `git log`) cannot reach the network.
		{"protocol.allow", "never"},
		{"gc.autoDetach", "false"},
		{"core.logAllRefUpdates", "false"},
	} {
		if _, err := m.run(ctx, mr.dir, nil, nil, "config", kv[0], kv[1]); err != nil {
			return fmt.Errorf("init mirror: %w", err)
		}
	}
	if _, err := m.run(ctx, mr.view, nil, nil, "init", "--quiet", "--bare", mr.view); err != nil {
		return fmt.Errorf("init mirror view: %w", err)
	}
	alt := filepath.Join(mr.dir, "objects") + "\n"
	if err := os.WriteFile(filepath.Join(mr.view, "objects", "info", "alternates"), []byte(alt), 0o644); err != nil {
		return fmt.Errorf("init mirror view: %w", err)
	}
	return nil
}

// Fetch brings the commits want into the mirror, by id; without want it
// brings every branch up to date instead. Concurrent fetches of one
// mirror coalesce: a fetch finds the commits it wants there when the one
// it waited for brought them.
func (h *Handle) Fetch(ctx context.Context, want ...string) error {
	for _, sha := range want {
		// A want becomes a refspec: anything but an object id (a push
		// payload's before, say) must not reach git as one.
		if !isOID(sha) {
			return fmt.Errorf("%w: fetch %q: not an object id", ErrPermanent, sha)
		}
	}
	unpin, err := h.pin()
	if err != nil {
		return err
	}
	defer unpin()
	seen := h.fetchCount()
	missing := h.missingCommits(ctx, want)
	if len(want) > 0 && len(missing) == 0 {
		return nil
	}
	if err := h.lock(ctx); err != nil {
		return err
	}
	defer h.unlock()
	if len(want) > 0 && h.fetchCount() != seen {
		if missing = h.missingCommits(ctx, missing); len(missing) == 0 {
			return nil // the fetch we waited for brought them
		}
	}
	defer h.fetched()
	r, cfg, err := h.remoteConfig(ctx)
	if err != nil {
		return err
	}
	common := []string{"fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--recurse-submodules=no", "--filter=blob:none", "origin"}
	if len(want) > 0 {
		// Commits asked for by id: one round trip fewer than listing the
		// refs (protocol v2 lists none for ids), and a commit no branch
		// reaches any more (a force push) comes too. The ids are kept
		// reachable under refs/contractbot/, so gc keeps them.
		args := common
		for _, sha := range missing {
			args = append(args, "+"+sha+":refs/contractbot/"+sha)
		}
		if _, err := h.m.run(ctx, h.mr.dir, cfg, nil, args...); err != nil {
			return refused(r, fmt.Errorf("fetch %s of %s: %w", strings.Join(want, ","), redact(r.URL), err))
		}
		h.mr.unpruned += len(missing)
		h.pruneWanted(ctx, want)
	} else {
		args := append(common, "--prune", "+refs/heads/*:refs/heads/*")
		if _, err := h.m.run(ctx, h.mr.dir, cfg, nil, args...); err != nil {
			return refused(r, fmt.Errorf("fetch %s: %w", redact(r.URL), err))
		}
	}
	h.maintain(ctx)
	return nil
}

// fetchCount is how many fetches the mirror has done.
func (h *Handle) fetchCount() int {
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	return h.mr.fetches
}

// fetched counts a fetch done (or tried). Called with the lock held.
func (h *Handle) fetched() {
	h.m.mu.Lock()
	h.mr.fetches++
	h.m.mu.Unlock()
}

// keptWanted is how many commits fetched by id stay under
// refs/contractbot/: enough for the heads checks are reading.
const keptWanted = 16

// pruneWanted drops all but the newest refs/contractbot/ refs, keeping
// keep's, once keptWanted were added since it last did: listing them at
// every fetch cost a git process each. Called with the lock held; a
// failure only keeps refs longer.
func (h *Handle) pruneWanted(ctx context.Context, keep []string) {
	if h.mr.unpruned < keptWanted {
		return
	}
	h.mr.unpruned = 0
	out, err := h.m.run(ctx, h.mr.dir, nil, nil, "for-each-ref", "--sort=-creatordate", "--format=%(refname)", "refs/contractbot/")
	if err != nil {
		return
	}
	refs := strings.Fields(string(out))
	if len(refs) <= keptWanted {
		return
	}
	var del strings.Builder
	for _, ref := range refs[keptWanted:] {
		if !slices.Contains(keep, strings.TrimPrefix(ref, "refs/contractbot/")) {
			del.WriteString("delete " + ref + "\n")
		}
	}
	_, _ = h.m.run(ctx, h.mr.dir, nil, strings.NewReader(del.String()), "update-ref", "--stdin")
}

// remoteConfig asks for the remote, points origin at it and returns the
// configuration of a fetch from it. Called with the lock held.
func (h *Handle) remoteConfig(ctx context.Context) (Remote, [][2]string, error) {
	r, err := h.remote(ctx)
	if err != nil {
		return Remote{}, nil, fmt.Errorf("git remote: %w", err)
	}
	cfg, err := h.m.remoteConfig(r)
	if err != nil {
		return Remote{}, nil, err
	}
	// The URL, never the token, is kept in the mirror's config: a
	// partial clone fetches only from its promisor remote. It changes
	// only with a rename or a transfer: set once a process, not at every
	// fetch.
	if h.mr.url != r.URL {
		if _, err := h.m.run(ctx, h.mr.dir, nil, nil, "config", "remote.origin.url", r.URL); err != nil {
			return Remote{}, nil, err
		}
		h.mr.url = r.URL
	}
	return r, cfg, nil
}

// refused tells r's owner when the server refused its token, and returns
// err.
func refused(r Remote, err error) error {
	if errors.Is(err, ErrAuth) && r.Refused != nil {
		r.Refused()
	}
	return err
}

// redact drops anything but scheme, host and path from a URL for a message.
func redact(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		u.User, u.RawQuery, u.Fragment = nil, "", ""
		return u.String()
	}
	return "the clone url"
}

// HasCommits reports whether the mirror has every commit in shas.
func (h *Handle) HasCommits(ctx context.Context, shas ...string) bool {
	unpin, err := h.pin()
	if err != nil {
		return false
	}
	defer unpin()
	return len(h.missingCommits(ctx, shas)) == 0
}

// missingCommits returns those of shas that are not commits of the
// mirror, asking one `git cat-file --batch-check` about them all (it names
// each input that does not resolve "missing", in order). When git cannot
// tell, they all are.
func (h *Handle) missingCommits(ctx context.Context, shas []string) []string {
	var missing, ask []string
	for _, sha := range shas {
		if isOID(sha) {
			ask = append(ask, sha)
		} else {
			missing = append(missing, sha)
		}
	}
	if len(ask) == 0 {
		return missing
	}
	var in strings.Builder
	for _, sha := range ask {
		in.WriteString(sha + "^{commit}\n")
	}
	out, err := h.m.run(ctx, h.mr.view, nil, strings.NewReader(in.String()), "cat-file", "--batch-check=%(objectname) %(objecttype)")
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if err != nil || len(lines) != len(ask) {
		return append(missing, ask...)
	}
	for i, sha := range ask {
		if oid, typ, _ := strings.Cut(lines[i], " "); oid != sha || typ != "commit" {
			missing = append(missing, sha)
		}
	}
	return missing
}

// Ref returns the commit ref (refs/heads/main) points at in the mirror, as
// of its last fetch.
func (h *Handle) Ref(ctx context.Context, ref string) (string, error) {
	if !strings.HasPrefix(ref, "refs/heads/") {
		return "", fmt.Errorf("ref %q: not a branch", ref)
	}
	unpin, err := h.pin()
	if err != nil {
		return "", err
	}
	defer unpin()
	out, err := h.m.run(ctx, h.mr.dir, nil, nil, "rev-parse", "--verify", "--quiet", "--end-of-options", ref+"^{commit}")
	if err != nil {
		return "", fmt.Errorf("ref %s: not in the mirror: %w", ref, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// isOID reports whether s is a full hexadecimal object id.
func isOID(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// maintain lets git repack when it judges it worth it (`git gc --auto`:
// every fetch adds a pack, and reads slow down with many), then updates the
// disk use and evicts beyond the bound. Called with the lock held; its
// failures only cost speed, so they are not returned.
func (h *Handle) maintain(ctx context.Context) {
	_, _ = h.m.run(ctx, h.mr.dir, nil, nil, "gc", "--auto", "--quiet")
	size := dirSize(h.m.opts.Dir, h.mr.name)
	h.m.mu.Lock()
	h.mr.size = size
	h.m.mu.Unlock()
	h.m.evict(ctx)
}

// evict deletes least recently used mirrors, never a pinned one (a
// handle, a tree being read, an operation under way), until the disk use
// is within the bound. When every mirror left is pinned, the use stays
// beyond the bound until they are released and a later fetch evicts: a
// read must not fail for the room, and the log says so once.
func (m *Manager) evict(ctx context.Context) {
	if m.opts.MaxBytes <= 0 {
		return
	}
	m.mu.Lock()
	var total int64
	all := make([]*mirror, 0, len(m.mirrors))
	for _, mr := range m.mirrors {
		total += mr.size
		all = append(all, mr)
	}
	slices.SortFunc(all, func(a, b *mirror) int { return a.lastUsed.Compare(b.lastUsed) })
	var victims []string
	var stores []*gitobj.Store
	for _, mr := range all {
		if total <= m.opts.MaxBytes {
			break
		}
		if mr.users > 0 {
			continue
		}
		total -= mr.size
		delete(m.mirrors, mr.name)
		mr.gone = true
		// The directory leaves its name before the lock does: an Open of
		// the same repository right after must find no mirror there (and
		// make one) rather than one the deletion below then removes.
		victims = append(victims, m.tombstone(mr.dir))
		if mr.store != nil {
			stores = append(stores, mr.store)
		}
	}
	over, pinned := total > m.opts.MaxBytes, 0
	for _, mr := range m.mirrors {
		if mr.users > 0 {
			pinned++
		}
	}
	if over && !m.over {
		zerolog.Ctx(ctx).Warn().Int64("bytes", total).Int64("bound", m.opts.MaxBytes).Int("mirrors_in_use", pinned).
			Msg("git mirrors over the bound: every mirror left is in use; the next fetch after their release evicts")
	}
	m.over = over
	m.mu.Unlock()
	if m.evicting != nil {
		m.evicting()
	}
	for _, s := range stores {
		s.Close()
	}
	for _, dir := range victims {
		os.RemoveAll(dir)
	}
}

// evictedMark names the directories of evicted mirrors being deleted; a
// mirror's own name never has a "~" (safeName).
const evictedMark = "~evicted-"

// tombstone moves dir out of the way of a new mirror and returns where it
// went, to be deleted; when it cannot, it deletes dir at once.
func (m *Manager) tombstone(dir string) string {
	if tmp, err := os.MkdirTemp(m.opts.Dir, filepath.Base(dir)+evictedMark+"*"); err == nil {
		to := filepath.Join(tmp, "mirror")
		if os.Rename(dir, to) == nil {
			return tmp
		}
		os.Remove(tmp)
	}
	os.RemoveAll(dir)
	return dir
}

// Usage returns the bytes the mirrors take on disk, as last measured.
func (m *Manager) Usage() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var total int64
	for _, mr := range m.mirrors {
		total += mr.size
	}
	return total
}

// Pinned returns the bytes of the mirrors in use (pinned), as last
// measured: the part of [Manager.Usage] that eviction cannot reclaim now.
func (m *Manager) Pinned() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var total int64
	for _, mr := range m.mirrors {
		if mr.users > 0 {
			total += mr.size
		}
	}
	return total
}

// dirSize is the bytes of the files under root/name.
func dirSize(root, name string) int64 {
	var n int64
	_ = fs.WalkDir(os.DirFS(root), name, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// storeOf returns the mirror's reader, started on first use.
func (h *Handle) storeOf() (*gitobj.Store, error) {
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	if h.mr.gone {
		return nil, ErrEvicted
	}
	if h.mr.store == nil {
		// The reader outlives any one request: it is closed with the
		// mirror. Its environment is the manager's (no user
		// configuration), and its repository has no remote to fetch from.
		s, err := gitobj.Open(context.Background(), gitobj.Options{GitDir: h.mr.view, Git: h.m.opts.Git, Env: h.m.env(h.mr.view, nil)})
		if err != nil {
			return nil, fmt.Errorf("git mirror reader: %w", err)
		}
		h.mr.store = s
	}
	return h.mr.store, nil
}

// resetStore drops the mirror's reader s, so that the next read starts a
// new one; false when s was replaced already (by another reader's reset)
// or never was the mirror's.
func (h *Handle) resetStore(s *gitobj.Store) bool {
	h.m.mu.Lock()
	mine := s != nil && h.mr.store == s
	if mine {
		h.mr.store = nil
	}
	h.m.mu.Unlock()
	if mine {
		s.Close()
	}
	return mine || (s != nil && h.currentStore() != s)
}

func (h *Handle) currentStore() *gitobj.Store {
	h.m.mu.Lock()
	defer h.m.mu.Unlock()
	return h.mr.store
}

// Close stops every reader.
func (m *Manager) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, mr := range m.mirrors {
		if mr.store != nil {
			mr.store.Close()
			mr.store = nil
		}
	}
}
