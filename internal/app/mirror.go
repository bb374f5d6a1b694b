package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/contractbot/contractbot/internal/checks"
	ghclient "github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/gitmirror"
	"github.com/contractbot/contractbot/internal/metricsutil"
	"github.com/contractbot/contractbot/internal/soa"
	"github.com/contractbot/contractbot/internal/webhook"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// gitClient is what a [Client] needs to fetch a mirror: the installation
// token and a repository's clone_url. The API client has both; a client
// without them (a test's) reads through the REST API only.
type gitClient interface {
	GitToken(ctx context.Context) (string, error)
	CloneURL(ctx context.Context, owner, repo string) (cloneURL, defaultBranch string, err error)
}

// mirrors holds the App's git mirrors: the soa repository's handle is kept
// for the life of the process (it is read by every check), so that mirror
// is never evicted; a service repository's is taken for one check.
type mirrors struct {
	m *gitmirror.Manager

	mu       sync.Mutex
	soa      *gitmirror.Handle
	soaInst  int64
	branches map[string]string // default branch by lower-case owner/repo, from the API
	// cloneURLs are the service repositories' clone_url, by lower-case
	// owner/repo, asked of the API once: they change only with a rename
	// or a transfer, which a fetch answered "not found" reveals.
	cloneURLs map[string]string
	// caches are the soa caches of the last commits read through the
	// mirror, newest last: the next commit's index is derived from one
	// of them and the diff, not rebuilt from every smartstack.yaml.
	caches []soaSnapshot
	// building are the caches being built, by commit: closed when kept.
	building map[string]chan struct{}
}

// soaSnapshot is the cache of one soa commit.
type soaSnapshot struct {
	commit string
	cache  *soa.Cache
}

// maxSOASnapshots bounds the caches kept: the default branch's head and
// a few pushes in flight.
const maxSOASnapshots = 4

// SetMirrors makes the App read the soa repository (and service
// repositories whose tree GitHub truncates) through git mirrors kept by m.
func (c *Checker) SetMirrors(m *gitmirror.Manager) {
	c.mirrors = &mirrors{m: m, branches: map[string]string{}}
}

// newMirrorManager opens the mirrors in the data directory. Plain http is
// allowed for the API's host only when the API itself is plain http (a
// test's fake GitHub).
//
// Without a usable git the App still starts, reading everything through
// the REST API, and says so: an image without git must not turn every
// check against the soa repository into retries.
func newMirrorManager(cfg Config, log zerolog.Logger) (*gitmirror.Manager, error) {
	if cfg.GitCacheBytes <= 0 {
		return nil, nil
	}
	opts := gitmirror.Options{Dir: filepath.Join(cfg.DataDir, GitDir), MaxBytes: cfg.GitCacheBytes}
	if u, err := url.Parse(cfg.APIURL); err == nil && u.Scheme == "http" {
		opts.AllowHTTPHost = u.Host
	}
	m, err := gitmirror.New(opts)
	switch {
	case errors.Is(err, gitmirror.ErrNoGit):
		log.Warn().Err(err).Msg("git mirrors off: every repository is read through the REST API (install git 2.31 or later, or set CONTRACTBOT_GIT_CACHE_BYTES=0 to silence this)")
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("CONTRACTBOT_DATA_DIR: %w", err)
	}
	return m, nil
}

// registerMirrorMetrics exports the mirrors' disk use, as last measured
// (after each fetch), next to its bound, and the part of it in use: the
// use exceeds the bound while every mirror beyond it is being read.
func registerMirrorMetrics(reg prometheus.Registerer, m *gitmirror.Manager) error {
	if _, err := metricsutil.Register(reg, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "contractbot_git_mirror_bytes",
		Help: "Disk used by the git mirrors in CONTRACTBOT_DATA_DIR/git (bounded by CONTRACTBOT_GIT_CACHE_BYTES).",
	}, func() float64 { return float64(m.Usage()) })); err != nil {
		return err
	}
	_, err := metricsutil.Register(reg, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "contractbot_git_mirror_pinned_bytes",
		Help: "Disk used by the git mirrors being read, which eviction must keep (beyond CONTRACTBOT_GIT_CACHE_BYTES if need be).",
	}, func() float64 { return float64(m.Pinned()) }))
	return err
}

// remote returns the RemoteFunc of owner/repo at cloneURL, read as
// installation inst: the token is asked for at each fetch, so an expired
// one is replaced.
func (c *Checker) remote(inst int64, cloneURL string) gitmirror.RemoteFunc {
	return func(ctx context.Context) (gitmirror.Remote, error) {
		cl, err := c.Clients.Installation(ctx, inst)
		if err != nil {
			return gitmirror.Remote{}, err
		}
		gc, ok := cl.(gitClient)
		if !ok {
			return gitmirror.Remote{}, errors.New("the installation's client cannot fetch with git")
		}
		tok, err := gc.GitToken(ctx)
		if err != nil {
			return gitmirror.Remote{}, err
		}
		// A token git's server refuses (revoked, the App reinstalled) is
		// dropped with its client, as the API client does on a 401.
		return gitmirror.Remote{URL: cloneURL, Token: tok, Refused: func() { c.Clients.Forget(inst) }}, nil
	}
}

// soaMirror returns the soa repository's mirror, opened on first use with
// the clone_url the API gives (one request per process and installation;
// a push payload's is not trusted to be the API host's).
func (c *Checker) soaMirror(ctx context.Context, client Client, inst int64) (*gitmirror.Handle, error) {
	mr := c.mirrors
	mr.mu.Lock()
	defer mr.mu.Unlock()
	if mr.soa != nil && mr.soaInst == inst {
		return mr.soa, nil
	}
	owner, name, _ := strings.Cut(c.SOARepo, "/")
	gc, ok := client.(gitClient)
	if !ok {
		return nil, errors.New("the installation's client cannot fetch with git")
	}
	cloneURL, branch, err := gc.CloneURL(ctx, owner, name)
	if err != nil {
		return nil, err
	}
	mr.branches[strings.ToLower(c.SOARepo)] = branch
	u, err := url.Parse(cloneURL)
	if err != nil {
		return nil, webhook.Permanent(fmt.Errorf("clone url of %s: %w", c.SOARepo, err))
	}
	h, err := mr.m.Open(ctx, u.Host, owner, name, c.remote(inst, cloneURL))
	if err != nil {
		return nil, err
	}
	if mr.soa != nil {
		mr.soa.Release()
	}
	mr.soa, mr.soaInst = h, inst
	return h, nil
}

// soaCache returns the cache of soa commit at tree: one kept, else one
// derived from the newest kept (the index follows the directories git says
// changed), else a new one. It then fetches, in one batch, what the
// cache's index will read and the files choose picks.
func (c *Checker) soaCache(ctx context.Context, h *gitmirror.Handle, commit string, tree fs.FS, choose func(string) bool) (*soa.Cache, error) {
	cache, err := c.mirrors.cacheFor(ctx, commit, func(base *soaSnapshot) *soa.Cache {
		if base != nil {
			// diff-tree names what changed at the top; Next reads the
			// smartstack.yaml under each name. A failed diff (the base's
			// commit gone with an evicted mirror) builds afresh.
			if dirs, err := h.ChangedDirs(ctx, base.commit, commit); err == nil {
				return base.cache.Next(tree, dirs)
			}
		}
		return soa.NewCache(tree, c.PaastaSchemas, soa.DefaultLimits())
	})
	if err != nil {
		return nil, err
	}
	return cache, c.prefetchFor(ctx, h, commit, cache, choose)
}

// cacheFor returns the kept cache of soa commit, else the one build makes
// from the newest kept (nil when none is), which is then kept. Checks of
// one commit that race (a push's check and a service's, a redelivery)
// share one build: the first builds, the others wait for it, or for
// their own context to end. golang.org/x/sync is no direct dependency;
// a map of builds under way does what its singleflight would.
func (mr *mirrors) cacheFor(ctx context.Context, commit string, build func(base *soaSnapshot) *soa.Cache) (*soa.Cache, error) {
	for {
		mr.mu.Lock()
		var base *soaSnapshot
		for i := len(mr.caches) - 1; i >= 0; i-- {
			if mr.caches[i].commit == commit {
				cache := mr.caches[i].cache
				mr.mu.Unlock()
				return cache, nil
			}
			if base == nil {
				b := mr.caches[i]
				base = &b
			}
		}
		if wait, ok := mr.building[commit]; ok {
			mr.mu.Unlock()
			select {
			case <-wait:
				// Kept now, unless newer commits pushed it out already:
				// look again, and build it if so.
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		if mr.building == nil {
			mr.building = map[string]chan struct{}{}
		}
		done := make(chan struct{})
		mr.building[commit] = done
		mr.mu.Unlock()

		return mr.built(commit, done, build, base), nil
	}
}

// built runs build and keeps its cache for commit, then lets the checks
// waiting on done look again: even when build panics (the task's handler
// recovers), so that they build it themselves rather than wait for ever.
func (mr *mirrors) built(commit string, done chan struct{}, build func(*soaSnapshot) *soa.Cache, base *soaSnapshot) (cache *soa.Cache) {
	defer func() {
		mr.mu.Lock()
		defer mr.mu.Unlock()
		if cache != nil {
			mr.caches = append(mr.caches, soaSnapshot{commit: commit, cache: cache})
			if len(mr.caches) > maxSOASnapshots {
				mr.caches = mr.caches[len(mr.caches)-maxSOASnapshots:]
			}
		}
		delete(mr.building, commit)
		close(done)
	}()
	return build(base)
}

// prefetchFor fetches the blobs cache's first Index will read, the
// repository's top-level files and those choose picks, in one request.
func (c *Checker) prefetchFor(ctx context.Context, h *gitmirror.Handle, commit string, cache *soa.Cache, choose func(string) bool) error {
	paths, all := cache.IndexReads()
	reads := map[string]bool{}
	for _, p := range paths {
		reads[p] = true
	}
	_, err := h.Prefetch(ctx, commit, func(p string) bool {
		return (all && readsIndex(p)) || reads[p] || !strings.Contains(p, "/") || (choose != nil && choose(p))
	})
	return mirrorErr(err)
}

// soaBranch is the soa repository's default branch: from an event, else
// from the API (asked once, with the clone_url).
func (c *Checker) soaBranch(known string) string {
	if known != "" {
		return known
	}
	c.mirrors.mu.Lock()
	defer c.mirrors.mu.Unlock()
	return c.mirrors.branches[strings.ToLower(c.SOARepo)]
}

// readsIndex chooses what the soa rules read of every service: the
// repository-wide index is built from each smartstack.yaml, and the
// repository's own top-level files (.contractbot.yaml) are read too.
func readsIndex(p string) bool {
	dir, rest, nested := strings.Cut(p, "/")
	return !nested || (!strings.HasPrefix(dir, ".") && rest == "smartstack.yaml")
}

// inDirs chooses the files under the directories dirs.
func inDirs(dirs []string) func(string) bool {
	set := map[string]bool{}
	for _, d := range dirs {
		set[d] = true
	}
	return func(p string) bool {
		dir, _, nested := strings.Cut(p, "/")
		return nested && set[dir]
	}
}

// soaTreeFromMirror is soaRepoTree through the mirror: the soa tree at the
// default branch's head, its index's files fetched in one batch.
func (c *Checker) soaTreeFromMirror(ctx context.Context, client Client, inst int64, branch, head string) (*soa.Cache, string, error) {
	h, err := c.soaMirror(ctx, client, inst)
	if err != nil {
		return nil, "", fmt.Errorf("soa mirror: %w", err)
	}
	if head == "" {
		// The branch's head is unknown or stale: one fetch brings every
		// branch, and the head is read from the mirror.
		if err := h.Fetch(ctx); err != nil {
			return nil, "", mirrorErr(err)
		}
		branch = c.soaBranch(branch)
		if branch == "" {
			return nil, "", fmt.Errorf("default branch of %s unknown", c.SOARepo)
		}
		if head, err = h.Ref(ctx, "refs/heads/"+branch); err != nil {
			return nil, "", webhook.Permanent(err)
		}
	} else if err := h.Fetch(ctx, head); err != nil {
		return nil, "", mirrorErr(err)
	}
	// The tree outlives this check: its cache serves later checks of the
	// head, so the soa mirror (pinned for the process anyway) is read
	// under no task's cancellation.
	tree, err := h.FS(context.WithoutCancel(ctx), head)
	if err != nil {
		return nil, "", err
	}
	cache, err := c.soaCache(ctx, h, head, tree, nil)
	if err != nil {
		return nil, "", err
	}
	return cache, head, nil
}

// prefetchService fetches the files of service's directory at the soa
// head in one batch, before its rules read them one by one.
func (c *Checker) prefetchService(ctx context.Context, head, service string) error {
	if c.mirrors == nil || head == "" || service == "" {
		return nil
	}
	c.mirrors.mu.Lock()
	h := c.mirrors.soa
	c.mirrors.mu.Unlock()
	if h == nil {
		return nil
	}
	_, err := h.Prefetch(ctx, head, inDirs([]string{service}))
	return mirrorErr(err)
}

// runSOAFromMirror checks a soa push through the mirror: the changed
// services are the top-level directories that differ between the push's
// before and after (every service when before is unknown), whatever the
// payload could list. gitServices are those directories when git could
// name them (before known), nil when every service was checked.
func (c *Checker) runSOAFromMirror(ctx context.Context, client Client, j checkJob) (_ *checks.Result, _ fs.FS, _ *checks.Config, gitServices []string, _ error) {
	logger := zerolog.Ctx(ctx)
	start := c.clock()
	h, err := c.soaMirror(ctx, client, j.Installation)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("soa mirror: %w", err)
	}
	if err := h.Fetch(ctx, j.SHA); err != nil {
		return nil, nil, nil, nil, mirrorErr(err)
	}
	before := j.Before
	if before == zeroSHA {
		before = ""
	}
	if before != "" && !h.HasCommits(ctx, before) {
		// A before that no branch reaches any more (a force push):
		// ask for it; without it every service is checked.
		if err := h.Fetch(ctx, before); err != nil {
			logger.Info().Err(err).Str("before", before).Msg("soa push: the commit before is gone; checking every service")
			before = ""
		}
	}
	var services []string
	if before != "" {
		if services, err = h.ChangedDirs(ctx, before, j.SHA); err != nil {
			return nil, nil, nil, nil, mirrorErr(err)
		}
		services = serviceDirs(appendSlash(services))
	}
	// The tree outlives this check (the commit's cache is kept for later
	// ones), as soaTreeFromMirror's does.
	tree, err := h.FS(context.WithoutCancel(ctx), j.SHA)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if before == "" {
		if services, err = soa.ListServices(tree); err != nil {
			return nil, nil, nil, nil, fmt.Errorf("services of %s: %w", j.SHA, err)
		}
	}
	cache, err := c.soaCache(ctx, h, j.SHA, tree, inDirs(services))
	if err != nil {
		return nil, nil, nil, nil, err
	}
	logger.Info().Int("services", len(services)).Bool("all_services", before == "").Dur("read", c.clock().Sub(start)).Msg("soa push: checking the services git says it changed")
	cfg, err := c.config(ctx, client, j, tree)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	j.Services = services
	if len(services) == 0 {
		j.Services = nil
	}
	res, err := c.checkSOAWith(ctx, j, tree, cache, cfg)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("check: %w", err)
	}
	if before != "" {
		gitServices = services
	}
	return res, tree, cfg, gitServices, nil
}

// soaCommitTree returns the soa repository's tree at commit, to read a few
// of its files (a re-check reads one service.yaml): through the soa
// mirror when mirrors are on, since an organisation's soa repository is
// one whose recursive tree GitHub truncates; else through the REST API.
func (c *Checker) soaCommitTree(ctx context.Context, client Client, inst int64, owner, repo, commit string) (fs.FS, error) {
	if _, git := client.(gitClient); c.mirrors == nil || !git || !strings.EqualFold(owner+"/"+repo, c.SOARepo) {
		return c.repoTree(ctx, client, inst, owner, repo, commit)
	}
	h, err := c.soaMirror(ctx, client, inst)
	if err != nil {
		return nil, fmt.Errorf("soa mirror: %w", err)
	}
	if err := h.Fetch(ctx, commit); err != nil {
		return nil, mirrorErr(err)
	}
	return h.FS(ctx, commit)
}

// repoTree returns a commit's tree through the REST API, or, when GitHub
// truncates it and mirrors are on, through a mirror of the repository.
func (c *Checker) repoTree(ctx context.Context, client Client, inst int64, owner, repo, sha string) (fs.FS, error) {
	tree, err := client.Tree(ctx, owner, repo, sha)
	if _, git := client.(gitClient); err == nil || !errors.Is(err, ghclient.ErrTreeTruncated) || !git || c.mirrors == nil {
		return tree, err
	}
	zerolog.Ctx(ctx).Info().Str(logSHA, sha).Msg("tree truncated by GitHub: reading the repository through a git mirror")
	return c.treeFromMirror(ctx, client, inst, owner, repo, sha)
}

// treeFromMirror reads a service repository's commit through its mirror,
// with the files the repository rules read fetched in one batch. The
// repository's clone_url is asked of the API once and kept; when git finds
// no repository there (renamed, transferred), it is asked once more.
func (c *Checker) treeFromMirror(ctx context.Context, client Client, inst int64, owner, repo, sha string) (fs.FS, error) {
	gc := client.(gitClient)
	cloneURL, kept, err := c.mirrors.cloneURL(ctx, gc, owner, repo)
	if err != nil {
		return nil, err
	}
	tree, err := c.treeAt(ctx, inst, owner, repo, sha, cloneURL)
	if errors.Is(err, gitmirror.ErrNotFound) {
		c.mirrors.forgetCloneURL(owner, repo)
		if kept {
			zerolog.Ctx(ctx).Info().Err(err).Msg("git found no repository at the kept clone_url: asking the API for it again")
			if cloneURL, _, err = c.mirrors.cloneURL(ctx, gc, owner, repo); err != nil {
				return nil, err
			}
			if tree, err = c.treeAt(ctx, inst, owner, repo, sha, cloneURL); errors.Is(err, gitmirror.ErrNotFound) {
				c.mirrors.forgetCloneURL(owner, repo)
			}
		}
	}
	return tree, err
}

// maxCloneURLs bounds the clone_urls kept (a few hundred bytes each): only
// repositories whose tree GitHub truncates are read through mirrors.
const maxCloneURLs = 4096

// cloneURL returns owner/repo's clone_url, kept or asked of the API (and
// then kept); kept says which.
func (mr *mirrors) cloneURL(ctx context.Context, gc gitClient, owner, repo string) (cloneURL string, kept bool, _ error) {
	key := strings.ToLower(owner + "/" + repo)
	mr.mu.Lock()
	cloneURL, kept = mr.cloneURLs[key]
	mr.mu.Unlock()
	if kept {
		return cloneURL, true, nil
	}
	cloneURL, _, err := gc.CloneURL(ctx, owner, repo)
	if err != nil {
		return "", false, err
	}
	mr.mu.Lock()
	if mr.cloneURLs == nil || len(mr.cloneURLs) >= maxCloneURLs {
		mr.cloneURLs = map[string]string{}
	}
	mr.cloneURLs[key] = cloneURL
	mr.mu.Unlock()
	return cloneURL, false, nil
}

func (mr *mirrors) forgetCloneURL(owner, repo string) {
	mr.mu.Lock()
	defer mr.mu.Unlock()
	delete(mr.cloneURLs, strings.ToLower(owner+"/"+repo))
}

// treeAt is treeFromMirror with the clone_url known.
func (c *Checker) treeAt(ctx context.Context, inst int64, owner, repo, sha, cloneURL string) (fs.FS, error) {
	u, err := url.Parse(cloneURL)
	if err != nil {
		return nil, webhook.Permanent(fmt.Errorf("clone url of %s/%s: %w", owner, repo, err))
	}
	h, err := c.mirrors.m.Open(ctx, u.Host, owner, repo, c.remote(inst, cloneURL))
	if err != nil {
		return nil, err
	}
	// The handle goes back at once; the tree pins the mirror until this
	// task's context ends (gitmirror's FS). A later task's read of it (a
	// review of the same check) pins it only while it reads, and fails,
	// retrying the task, if the mirror was evicted in between: holding it
	// for as long as a review may come would pin every large repository.
	defer h.Release()
	if err := h.Fetch(ctx, sha); err != nil {
		return nil, mirrorErr(err)
	}
	if _, err := h.Prefetch(ctx, sha, readsRepo); err != nil {
		return nil, mirrorErr(err)
	}
	return h.FS(ctx, sha)
}

// readsRepo chooses what the repository rules read of a service's own
// repository before they open anything else: its top-level files and the
// YAML and make files near the top (a soa_dir, included makefiles). The
// rest comes one request a file, if a rule reads it.
func readsRepo(p string) bool {
	depth := strings.Count(p, "/")
	base := path.Base(p)
	switch {
	case depth == 0:
		return true
	case depth > 2:
		return false
	}
	ext := path.Ext(base)
	return ext == ".yaml" || ext == ".yml" || ext == ".mk" || strings.HasPrefix(base, "Makefile") || strings.HasPrefix(base, "Dockerfile")
}

// eachService runs f for every service, on as many at once as there are
// CPUs (a soa push of 2,000 services is that many engine runs, all CPU),
// and returns the results in the order of services; the first error stops
// the rest.
func eachService(ctx context.Context, services []string, f func(context.Context, string) (*checks.Result, error)) ([]*checks.Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make([]*checks.Result, len(services))
	// first is the error that stopped the rest: the services running
	// beside it then fail with the cancellation it caused, which must not
	// hide it (a permanent error would become a retried one).
	var first error
	var once sync.Once
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(services)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				res, err := f(ctx, services[i])
				if err != nil {
					once.Do(func() { first = err; cancel() })
					continue
				}
				out[i] = res
			}
		}()
	}
feed:
	for i := range services {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first != nil {
		return nil, first
	}
	for i := range out {
		if out[i] == nil { // never run: the caller's context ended
			return nil, fmt.Errorf("service %q: %w", services[i], ctx.Err())
		}
	}
	return out, nil
}

// appendSlash makes directory names paths that serviceDirs takes.
func appendSlash(dirs []string) []string {
	out := make([]string, len(dirs))
	for i, d := range dirs {
		out[i] = path.Join(d, "x")
	}
	return out
}

// mirrorErr makes a git failure that no retry can fix permanent; others
// are retried like a failed API request.
func mirrorErr(err error) error {
	if err != nil && errors.Is(err, gitmirror.ErrPermanent) {
		return webhook.Permanent(err)
	}
	return err
}
