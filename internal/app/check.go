package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/contractbot/contractbot/internal/checks"
	ghclient "github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/soa"
	"github.com/contractbot/contractbot/internal/webhook"
)

// CheckName is the name of the check run contractbot publishes. Branch
// protection requires it by this name, so it never changes.
const CheckName = "PaaSTA contract"

// Clients creates API clients for the installations of this App;
// [*github.Apps] is one, through [AppsClients].
type Clients interface {
	Installation(ctx context.Context, id int64) (Client, error)
	// RepoInstallation finds the installation that covers owner/repo.
	RepoInstallation(ctx context.Context, owner, repo string) (int64, error)
	Forget(id int64)
}

// Client is what the check job needs from GitHub for one installation.
type Client interface {
	// Tree returns the tree of a commit; files are read lazily.
	Tree(ctx context.Context, owner, repo, sha string) (fs.FS, error)
	// DefaultBranchHead returns the repository's default branch and the
	// commit it points at.
	DefaultBranchHead(ctx context.Context, owner, repo string) (branch, sha string, err error)
	// PublishCheckRun creates the check run, with all its annotations.
	PublishCheckRun(ctx context.Context, owner, repo string, run ghclient.CheckRun) (int64, error)
}

// Checker is the check job: it checks one commit and publishes the result
// as a check run.
type Checker struct {
	*Base
	Clients Clients
	Engine  *checks.Engine
	// WarningsConclusion is the conclusion of a run with warnings and no
	// errors: "neutral" (the default), "success" or "failure".
	WarningsConclusion string
	// PaastaSchemas, when set, replaces the built-in PaaSTA schemas.
	PaastaSchemas fs.FS

	metrics *metrics
	now     func() time.Time
}

// Run runs the check job of task t. Errors worth retrying (GitHub
// unreachable, a rate limit) are returned as they are; a task that can
// never succeed is returned as [webhook.Permanent].
func (c *Checker) Run(ctx context.Context, t webhook.Task) error {
	var j checkJob
	if err := json.Unmarshal(t.Payload, &j); err != nil || j.Owner == "" || j.Repo == "" || j.SHA == "" || j.Installation == 0 {
		return webhook.Permanent(fmt.Errorf("%w: check task %s: %v", ErrBadPayload, t.ID, err))
	}
	ctx, logger := prepareRepoContext(ctx, j.Installation, j.Owner, j.Repo)
	logger = logger.With().Str(logSHA, j.SHA).Str(logTaskID, t.ID).Str(logDeliveryID, j.Delivery).Str(logEventType, j.Event).Logger()
	ctx = logger.WithContext(ctx)
	start := c.clock()

	client, err := c.Clients.Installation(ctx, j.Installation)
	if err != nil {
		return fmt.Errorf("installation %d: %w", j.Installation, err)
	}
	run := ghclient.CheckRun{
		Name:               CheckName,
		HeadSHA:            j.SHA,
		ExternalID:         t.ID,
		Rules:              c.Engine.Rules(),
		WarningsConclusion: c.WarningsConclusion,
		// A task that ran before (a retry, or one taken over from a
		// replica that died) may have published its run already.
		Resume: t.Attempts > 1,
	}
	var tree fs.FS
	run.Result, run.ConfigError, tree, err = c.check(ctx, client, j)
	if err != nil {
		return permanentIfHopeless(err)
	}
	if tree != nil {
		// GitHub can place an annotation only on a file of the checked
		// commit; findings in the soa repository go to the summary.
		run.Annotate = func(f checks.Finding) bool {
			_, err := fs.Stat(tree, f.Path)
			return err == nil
		}
	}
	id, err := client.PublishCheckRun(ctx, j.Owner, j.Repo, run)
	if err != nil {
		return permanentIfHopeless(fmt.Errorf("publish check run: %w", err))
	}
	outcome := "config_error"
	ev := logger.Info().Int64("check_run_id", id)
	if run.Result != nil {
		e, w, n := checks.Count(run.Result.Findings)
		ev = ev.Int("errors", e).Int("warnings", w).Int("notices", n)
		outcome = "ok"
		if !run.Result.OK {
			outcome = "failed"
		}
	} else {
		ev = ev.AnErr("config_error", run.ConfigError)
	}
	ev.Str("outcome", outcome).Dur("took", c.clock().Sub(start)).Msg("check run published")
	c.metrics.observeCheck(outcome, c.clock().Sub(start))
	return nil
}

// check reads what the job needs and runs the engine. It returns a result,
// or a configuration error to publish instead of one, or an error that
// should make the task retry.
func (c *Checker) check(ctx context.Context, client Client, j checkJob) (res *checks.Result, broken error, tree fs.FS, err error) {
	tree, err = client.Tree(ctx, j.Owner, j.Repo, j.SHA)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("tree of %s: %w", j.SHA, err)
	}
	cfg, broken, err := c.config(ctx, client, j, tree)
	if err != nil || broken != nil {
		return nil, broken, tree, err
	}
	if j.SOA {
		res, err = c.checkSOA(ctx, j, tree, cfg)
	} else {
		res, err = c.checkService(ctx, client, j, tree, cfg)
	}
	var ce *checks.ConfigError
	if errors.As(err, &ce) {
		return nil, ce, tree, nil
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("check: %w", err)
	}
	return res, nil, tree, nil
}

// checkService checks a service repository at a commit, with its soa
// directory when one is known.
func (c *Checker) checkService(ctx context.Context, client Client, j checkJob, tree fs.FS, cfg *checks.Config) (*checks.Result, error) {
	soaCache, soaDir, err := c.soaTree(ctx, client, j, tree, cfg)
	if err != nil {
		return nil, err
	}
	service := j.Repo
	if cfg != nil && cfg.Service != "" {
		service = cfg.Service
	}
	var refs []string
	if j.Ref != "" {
		refs = []string{j.Ref}
	}
	res, err := c.Engine.Run(ctx, checks.Target{Repo: tree, SOA: soaCache.FS(), SOACache: soaCache, Service: service, Refs: refs, Config: cfg, PaastaSchemas: c.PaastaSchemas})
	if err != nil || soaDir == "" {
		return res, err
	}
	// Findings of the soa rules are relative to the soa root; with the soa
	// tree inside the repository they belong under soa_dir, where GitHub
	// can show them.
	for i, f := range res.Findings {
		if _, err := fs.Stat(tree, f.Path); err == nil || !c.readsSOA(f.RuleID) {
			continue
		}
		res.Findings[i].Path = path.Join(soaDir, f.Path)
		if f.Fix != nil {
			fix := *f.Fix
			fix.Path = path.Join(soaDir, fix.Path)
			res.Findings[i].Fix = &fix
		}
	}
	checks.SortFindings(res.Findings)
	return res, nil
}

// readsSOA reports whether a rule reads the soa tree rather than the
// service repository.
func (c *Checker) readsSOA(id string) bool {
	r := c.Engine.Rule(id)
	return r != nil && r.Needs&checks.NeedsRepo == 0 && r.Needs&(checks.NeedsService|checks.NeedsSOA) != 0
}

// checkSOA checks the services of the soa repository that a push changed,
// and the repository-wide rules, in one result posted on the soa commit.
func (c *Checker) checkSOA(ctx context.Context, j checkJob, tree fs.FS, cfg *checks.Config) (*checks.Result, error) {
	var services []string
	for _, s := range j.Services {
		if fi, err := fs.Stat(tree, s); err == nil && fi.IsDir() {
			services = append(services, s)
		}
	}
	if len(services) == 0 {
		services = []string{""} // the repository-wide rules only
	}
	// The services of one soa commit share its index and schemas.
	cache := soa.NewCache(tree, c.PaastaSchemas, soa.DefaultLimits())
	merged := &checks.Result{Service: strings.Join(services, ","), Findings: []checks.Finding{}, Facts: map[string]any{}}
	seen := map[checks.Finding]bool{}
	for _, s := range services {
		res, err := c.Engine.Run(ctx, checks.Target{SOA: tree, SOACache: cache, Service: s, Config: cfg, PaastaSchemas: c.PaastaSchemas})
		if err != nil {
			return nil, fmt.Errorf("service %q: %w", s, err)
		}
		for _, f := range res.Findings {
			// Rules over the whole soa tree report the same findings in
			// every service's run; keep one of each.
			key := f
			key.Fix = nil
			if !seen[key] {
				seen[key] = true
				merged.Findings = append(merged.Findings, f)
			}
		}
		for k, v := range res.Facts {
			merged.Facts[k] = v
		}
	}
	checks.SortFindings(merged.Findings)
	errs, _, _ := checks.Count(merged.Findings)
	merged.OK = errs == 0
	return merged, nil
}

// config returns the repository's .contractbot.yaml as it is on the default
// branch: a pull request or a branch must not be able to switch its own
// checks off. broken is a *checks.ConfigError when the file is invalid.
func (c *Checker) config(ctx context.Context, client Client, j checkJob, tree fs.FS) (cfg *checks.Config, broken error, err error) {
	full := j.Owner + "/" + j.Repo
	now := c.clock()
	src, sha, fromPush := fs.FS(nil), j.DefaultSHA, false
	switch e, ok := c.state.configs.get(full); {
	case j.SHA == j.DefaultSHA:
		src, fromPush = tree, j.Event == "push" // the commit is the default branch's head
		if ok && e.sha == sha {
			return e.cfg, e.broken, nil
		}
	case ok && (e.sha == sha || (e.fromPush && e.fresh(now)) || (sha == "" && e.fresh(now))):
		return e.cfg, e.broken, nil
	}
	if src == nil {
		if sha == "" {
			if _, sha, err = client.DefaultBranchHead(ctx, j.Owner, j.Repo); err != nil {
				return nil, nil, fmt.Errorf("head of the default branch: %w", err)
			}
		}
		if src, err = client.Tree(ctx, j.Owner, j.Repo, sha); err != nil {
			return nil, nil, fmt.Errorf("tree of the default branch at %s: %w", sha, err)
		}
	}
	cfg, broken, err = c.readConfig(src)
	if err != nil {
		return nil, nil, err
	}
	c.state.configs.put(full, configEntry{sha: sha, installation: j.Installation, cfg: cfg, broken: broken, at: now, fromPush: fromPush})
	return cfg, broken, nil
}

// readConfig reads and validates .contractbot.yaml from a tree; a missing
// file means the defaults.
func (c *Checker) readConfig(src fs.FS) (*checks.Config, error, error) {
	cfg, err := checks.ReadConfig(src)
	var ce *checks.ConfigError
	if err != nil && !errors.As(err, &ce) {
		return nil, nil, err // could not read: retry, the file may be fine
	}
	if err == nil {
		err = cfg.CheckRules(c.Engine)
	}
	if err != nil {
		return nil, err, nil
	}
	return cfg, nil, nil
}

// soaTree returns the soa tree to check a service against, in a cache for
// as long as that snapshot lives: a soa_dir in the repository itself, or
// the configured soa repository at its default branch, or nil when there
// is neither. tree is nil when the commit is
// unknown (the deploy-ref guard on an annotated tag): a soa_dir in it
// cannot be read then, and the soa tree is nil.
func (c *Checker) soaTree(ctx context.Context, client Client, j checkJob, tree fs.FS, cfg *checks.Config) (soaCache *soa.Cache, soaDir string, err error) {
	if cfg != nil && cfg.SOADir != "" {
		dir := path.Clean(strings.Trim(cfg.SOADir, "/"))
		if !fs.ValidPath(dir) || dir == "." {
			return nil, "", &checks.ConfigError{Path: checks.ConfigFile, Msg: fmt.Sprintf("soa_dir %q must be a directory inside the repository", cfg.SOADir)}
		}
		if tree == nil {
			return nil, "", nil // fs.Sub of a nil FS would panic on first read
		}
		sub, err := fs.Sub(tree, dir)
		if err != nil {
			return nil, "", err
		}
		return soa.NewCache(sub, c.PaastaSchemas, soa.DefaultLimits()), dir, nil
	}
	if c.SOARepo == "" {
		return nil, "", nil
	}
	soaCache, err = c.soaRepoTree(ctx, client, j)
	return soaCache, "", err
}

// soaRepoTree returns the soa repository's tree at the head of its default
// branch, cached by that head together with the index and schemas that the
// checks of every service against it share.
func (c *Checker) soaRepoTree(ctx context.Context, client Client, j checkJob) (*soa.Cache, error) {
	owner, name, _ := strings.Cut(c.SOARepo, "/")
	now := c.clock()
	inst, _, head, cached := c.state.soa.snapshot(now)
	if cached != nil {
		return cached, nil
	}
	if inst == 0 {
		var err error
		if inst, err = c.Clients.RepoInstallation(ctx, owner, name); err != nil {
			return nil, fmt.Errorf("soa repository %s: %w", c.SOARepo, err)
		}
		c.state.soa.observe(inst, "", "")
	}
	soaClient := client
	if inst != j.Installation {
		var err error
		if soaClient, err = c.Clients.Installation(ctx, inst); err != nil {
			return nil, fmt.Errorf("installation %d of %s: %w", inst, c.SOARepo, err)
		}
	}
	// The soa tree outlives this check: it is cached and read lazily by
	// later checks, so its reads must not end with this task's context.
	// Every request still has the client's timeout.
	tctx := context.WithoutCancel(ctx)
	if head == "" {
		var err error
		if _, head, err = soaClient.DefaultBranchHead(tctx, owner, name); err != nil {
			return nil, fmt.Errorf("head of %s: %w", c.SOARepo, err)
		}
	}
	tree, err := soaClient.Tree(tctx, owner, name, head)
	if err != nil {
		return nil, fmt.Errorf("tree of %s at %s: %w", c.SOARepo, head, err)
	}
	cache := soa.NewCache(tree, c.PaastaSchemas, soa.DefaultLimits())
	c.state.soa.setTree(head, now, cache)
	return cache, nil
}

// permanentIfHopeless marks errors that no retry can fix, so the task is
// dead-lettered at once instead of retried for minutes: a tree GitHub
// truncates, a file over the size limit, a request GitHub rejects as
// invalid (422).
func permanentIfHopeless(err error) error {
	var apiErr *ghclient.APIError
	switch {
	case errors.Is(err, ghclient.ErrTreeTruncated), errors.Is(err, ghclient.ErrBlobTooLarge),
		errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusUnprocessableEntity:
		return webhook.Permanent(err)
	}
	return err
}

func (c *Checker) clock() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
}
