package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/prometheus/client_golang/prometheus"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/contractbot/contractbot/internal/checks"
	ghclient "github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/report"
	"github.com/contractbot/contractbot/internal/soa"
	"github.com/contractbot/contractbot/internal/webhook"
)

// CheckName is the name of the check run contractbot publishes.
const CheckName = ghclient.DefaultCheckRunName

// Clients creates API clients for the installations of this App;
// [*github.Apps] is one, through [AppsClients].
type Clients interface {
	Installation(ctx context.Context, id int64) (Client, error)
	// RepoInstallation finds the installation that covers owner/repo.
	RepoInstallation(ctx context.Context, owner, repo string) (int64, error)
	// Installations lists the App's installations (the sweep).
	Installations(ctx context.Context) ([]int64, error)
	Forget(id int64)
}

// Client is what the App's jobs need from GitHub for one installation:
// the check job's reads and check run, the review job's pull request
// calls ([ReviewClient]) and the deploy-ref guard's ([RefGuardClient]).
// One interface, so that a client lacking a job's calls is a compile
// error, not a task dead-lettered at run time.
type Client interface {
	ReviewClient
	RefGuardClient
	OnboardClient
	DashboardClient
	FixPRClient
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
	// PaastaConfig, when set, is PaaSTA's system configuration (a host's
	// /etc layout), for the checks that need it.
	PaastaConfig fs.FS

	metrics *metrics
	// mirrors, when set, reads the soa repository through git (mirror.go).
	mirrors *mirrors
	// onboardRepos counts what onboarding met (onboard.go), once
	// NewOnboarder set it.
	onboardRepos *prometheus.CounterVec
	// fleet is the view of every service this replica checked since it
	// started, behind the contractbot_fleet_* gauges; nil without them.
	fleet *fleetState
	// fixPRs, when set, is the fix pull request job (fixpr.go), which a
	// check of a default branch's head queues.
	fixPRs *FixPRs
	now    func() time.Time
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
		// A task that ran before (a retry, one taken over from a replica
		// that died, or a dead letter requeued, which starts its attempts
		// again but keeps its last error) may have published its run
		// already.
		Resume: t.Attempts > 1 || t.LastError != "",
	}
	done, err := c.check(ctx, client, j, true)
	if errors.Is(err, errNotService) {
		if c.onboardRepos != nil {
			c.onboardRepos.WithLabelValues("not_service").Inc()
		}
		c.fleet.notService(ctx, j.Owner+"/"+j.Repo)
		logger.Info().Msg("onboarding: not a PaaSTA service (no Makefile, Dockerfile or soa_dir); no check run")
		return nil
	}
	if err != nil {
		return c.publishFailure(ctx, client, j, run, permanentIfHopeless(err))
	}
	sink := &checkRunSink{client: client, owner: j.Owner, repo: j.Repo, run: run, tree: done.tree}
	if err := report.Publish(ctx, sink, done.res); err != nil {
		return permanentIfHopeless(err)
	}
	if !j.SOA && j.SHA == j.DefaultSHA { // the fleet is each service's default branch
		c.fleet.add(ctx, done.res, j.Owner, j.Repo, sink.id, c.clock())
	}
	e, w, n := checks.Count(done.res.Findings)
	outcome := "ok"
	switch {
	case isConfigProblem(done.res):
		outcome = "config_error"
	case !done.res.OK:
		outcome = "failed"
	}
	ev := logger.Info().Int64("check_run_id", sink.id).Int("errors", e).Int("warnings", w).Int("notices", n)
	ev.Str("outcome", outcome).Dur("took", c.clock().Sub(start)).Msg("check run published")
	c.metrics.observeCheck(outcome, c.clock().Sub(start))
	return nil
}

// isConfigProblem reports whether res is the one finding of a
// .contractbot.yaml contractbot cannot use.
func isConfigProblem(res *checks.Result) bool {
	return len(res.Findings) == 1 && res.Findings[0].RuleID == "config.invalid"
}

// check returns the check of commit j.SHA: the one under way or kept for
// the commit when there is one (fresh asks for a new one unless one is
// under way), else a new one. The check job and the review job of a pull
// request share it, so the review comments on exactly what the check run
// shows. The error is one that should make the task retry; a broken
// .contractbot.yaml is a config.invalid finding of the result.
func (c *Checker) check(ctx context.Context, client Client, j checkJob, fresh bool) (*checked, error) {
	key := checkedKey(j)
	e, mine := c.state.checked.start(key, c.clock(), fresh)
	if !mine {
		select {
		case <-e.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if e.err == nil {
			return e, nil
		}
		// The shared check failed: try again on this task's own account.
		if e, mine = c.state.checked.start(key, c.clock(), true); !mine {
			<-e.done
			return e, e.err
		}
	}
	e.res, e.tree, e.cfg, e.gitServices, e.err = c.runCheck(ctx, client, j)
	c.state.checked.finish(key, e)
	return e, e.err
}

// checkedKey is j's key in the checked cache. A soa check's result
// depends on the services it checks: the payload's, or git's between
// Before and SHA (mirror.go), so a sweep's check of the same head (every
// service, before unknown) is not taken for a push's, whose re-checks
// need the services git found.
func checkedKey(j checkJob) string {
	key := strings.ToLower(j.Owner+"/"+j.Repo) + "@" + j.SHA
	if j.SOA {
		key += " " + strings.Join(j.Services, ",") + " " + j.Before
	}
	return key
}

// runCheck reads what the job needs and runs the engine. gitServices
// are the services a soa check through the mirror found changed by git.
func (c *Checker) runCheck(ctx context.Context, client Client, j checkJob) (_ *checks.Result, _ fs.FS, _ *checks.Config, gitServices []string, _ error) {
	if _, git := client.(gitClient); j.SOA && git && c.mirrors != nil {
		return c.runSOAFromMirror(ctx, client, j)
	}
	tree, err := c.repoTree(ctx, client, j.Installation, j.Owner, j.Repo, j.SHA)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("tree of %s: %w", j.SHA, err)
	}
	if j.OnlyIfService && !c.isService(j.Owner, j.Repo, tree) {
		return nil, nil, nil, nil, errNotService
	}
	cfg, err := c.config(ctx, client, j, tree)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	var res *checks.Result
	if j.SOA {
		if res, err = c.checkSOA(ctx, j, tree, cfg); err == nil {
			addServicesUnknown(j, cfg, res)
		}
	} else {
		res, err = c.checkService(ctx, client, j, tree, cfg)
	}
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("check: %w", err)
	}
	return res, tree, cfg, nil, nil
}

// target prepares the check of a service repository at a commit (tree,
// nil when the commit is unknown): the soa tree is the repository's
// soa_dir, else the configured soa repository at its default branch.
func (c *Checker) target(ctx context.Context, client Client, j checkJob, tree fs.FS, cfg *checks.Config, o checks.Options) (checks.Target, error) {
	o.Config, o.DefaultService, o.PaastaSchemas, o.PaastaConfig = cfg, j.Repo, c.PaastaSchemas, c.PaastaConfig
	if c.SOARepo != "" {
		service := j.Repo
		if cfg != nil && cfg.Service != "" {
			service = cfg.Service
		}
		o.FallbackSOA = func(ctx context.Context) (*soa.Cache, error) {
			cache, head, err := c.soaRepoTree(ctx, client, j)
			if err != nil {
				return nil, err
			}
			// Through a mirror, the service's own soa files come in one
			// batch rather than one request each.
			return cache, c.prefetchService(ctx, head, service)
		}
	}
	return checks.Prepare(ctx, tree, o)
}

// checkService checks a service repository at a commit, with its soa
// directory when one is known.
func (c *Checker) checkService(ctx context.Context, client Client, j checkJob, tree fs.FS, cfg *checks.Config) (*checks.Result, error) {
	var refs []string
	if j.Ref != "" {
		refs = []string{j.Ref}
	}
	t, err := c.target(ctx, client, j, tree, cfg, checks.Options{Refs: refs})
	if err != nil {
		return nil, err
	}
	return c.Engine.Run(ctx, t)
}

// checkSOA checks the services of the soa repository that a push changed,
// and the repository-wide rules, in one result posted on the soa commit.
func (c *Checker) checkSOA(ctx context.Context, j checkJob, tree fs.FS, cfg *checks.Config) (*checks.Result, error) {
	// The services of one soa commit share its index and schemas.
	return c.checkSOAWith(ctx, j, tree, soa.NewCache(tree, c.PaastaSchemas, soa.DefaultLimits()), cfg)
}

// checkSOAWith is checkSOA with the commit's cache given (mirror.go
// derives it from an earlier commit's).
func (c *Checker) checkSOAWith(ctx context.Context, j checkJob, tree fs.FS, cache *soa.Cache, cfg *checks.Config) (*checks.Result, error) {
	var services []string
	for _, s := range j.Services {
		if fi, err := fs.Stat(tree, s); err == nil && fi.IsDir() {
			services = append(services, s)
		}
	}
	if len(services) == 0 {
		services = []string{""} // the repository-wide rules only
	}
	merged := &checks.Result{Service: strings.Join(services, ","), Findings: []checks.Finding{}, Facts: map[string]any{}}
	seen := map[string]bool{}
	results, err := eachService(ctx, services, func(ctx context.Context, s string) (*checks.Result, error) {
		t, err := checks.Prepare(ctx, nil, checks.Options{Config: cfg, SOACache: cache, Service: s, PaastaConfig: c.PaastaConfig})
		if err != nil {
			return nil, err
		}
		res, err := c.Engine.Run(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("service %q: %w", s, err)
		}
		return res, nil
	})
	if err != nil {
		return nil, err
	}
	for _, res := range results {
		for _, f := range res.Findings {
			// Rules over the whole soa tree report the same findings in
			// every service's run; keep one of each.
			if key := f.String(); !seen[key] {
				seen[key] = true
				merged.Findings = append(merged.Findings, f)
			}
		}
		for k, v := range res.Facts {
			merged.Facts[k] = v
		}
	}
	checks.SortFindings(merged.Findings)
	checks.OneSystemConfigNotice([]*checks.Result{merged})
	errs, _, _ := checks.Count(merged.Findings)
	merged.OK = errs == 0
	return merged, nil
}

// config returns the repository's .contractbot.yaml as it is on the default
// branch: a pull request or a branch must not be able to switch its own
// checks off. A file contractbot cannot use comes back with its Problem
// set; the error is for a file that could not be read.
func (c *Checker) config(ctx context.Context, client Client, j checkJob, tree fs.FS) (*checks.Config, error) {
	full := j.Owner + "/" + j.Repo
	now := c.clock()
	src, sha, fromPush := fs.FS(nil), j.DefaultSHA, false
	switch e, ok := c.state.configs.get(full); {
	case j.SHA == j.DefaultSHA:
		src, fromPush = tree, j.Event == "push" // the commit is the default branch's head
		if ok && e.sha == sha {
			return e.cfg, nil
		}
	case ok && (e.sha == sha || (e.fromPush && e.fresh(now)) || (sha == "" && e.fresh(now))):
		return e.cfg, nil
	}
	if src == nil {
		var err error
		if sha == "" {
			if _, sha, err = client.DefaultBranchHead(ctx, j.Owner, j.Repo); err != nil {
				return nil, fmt.Errorf("head of the default branch: %w", err)
			}
		}
		if src, err = c.repoTree(ctx, client, j.Installation, j.Owner, j.Repo, sha); err != nil {
			return nil, fmt.Errorf("tree of the default branch at %s: %w", sha, err)
		}
	}
	cfg, err := checks.LoadConfig(src)
	if err != nil {
		return nil, err // could not read: retry, the file may be fine
	}
	c.state.configs.put(full, configEntry{sha: sha, installation: j.Installation, cfg: cfg, at: now, fromPush: fromPush})
	return cfg, nil
}

// soaRepoTree returns the soa repository's tree at the head of its default
// branch, cached by that head together with the index and schemas that the
// checks of every service against it share.
func (c *Checker) soaRepoTree(ctx context.Context, client Client, j checkJob) (*soa.Cache, string, error) {
	owner, name, _ := strings.Cut(c.SOARepo, "/")
	now := c.clock()
	inst, branch, head, cached := c.state.soa.snapshot(now)
	if cached != nil {
		return cached, head, nil
	}
	if inst == 0 {
		var err error
		if inst, err = c.Clients.RepoInstallation(ctx, owner, name); err != nil {
			return nil, "", fmt.Errorf("soa repository %s: %w", c.SOARepo, err)
		}
		c.state.soa.observe(inst, "", "")
	}
	soaClient := client
	if inst != j.Installation {
		var err error
		if soaClient, err = c.Clients.Installation(ctx, inst); err != nil {
			return nil, "", fmt.Errorf("installation %d of %s: %w", inst, c.SOARepo, err)
		}
	}
	if _, git := soaClient.(gitClient); git && c.mirrors != nil {
		// The fetches are this task's and end with it; the tree's lazy
		// reads outlive it, bounded by the mirrors' timeout (mirror.go).
		cache, head, err := c.soaTreeFromMirror(ctx, soaClient, inst, branch, head)
		if err != nil {
			return nil, "", fmt.Errorf("soa repository %s: %w", c.SOARepo, err)
		}
		c.state.soa.setTree(head, now, cache)
		return cache, head, nil
	}
	// The soa tree outlives this check: it is cached and read lazily by
	// later checks, so its reads must not end with this task's context.
	// Every request still has the client's timeout.
	tctx := context.WithoutCancel(ctx)
	if head == "" {
		var err error
		if _, head, err = soaClient.DefaultBranchHead(tctx, owner, name); err != nil {
			return nil, "", fmt.Errorf("head of %s: %w", c.SOARepo, err)
		}
	}
	tree, err := soaClient.Tree(tctx, owner, name, head)
	if err != nil {
		return nil, "", fmt.Errorf("tree of %s at %s: %w", c.SOARepo, head, err)
	}
	cache := soa.NewCache(tree, c.PaastaSchemas, soa.DefaultLimits())
	c.state.soa.setTree(head, now, cache)
	return cache, head, nil
}

// permanentIfHopeless marks errors that no retry can fix, so the task is
// dead-lettered at once instead of retried for minutes: a tree GitHub
// truncates, a file over the size limit, a request GitHub rejects as
// invalid (422).
func permanentIfHopeless(err error) error {
	var apiErr *ghclient.APIError
	switch {
	case errors.Is(err, ghclient.ErrTreeTruncated), errors.Is(err, ghclient.ErrBlobTooLarge), errors.Is(err, ghclient.ErrListTooLong),
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
