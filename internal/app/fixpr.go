package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/fix"
	ghclient "github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/webhook"
	"github.com/rs/zerolog"
)

// Fix pull requests: when the check of a service repository's default
// branch finds problems contractbot can fix mechanically, it opens one
// pull request with the fixes `contractbot fix` would make, built through
// the Git Data API on branch [FixBranch], and keeps it in step with the
// default branch until it is merged or no longer needed.

// KindFixPR is the queue kind of the fix pull request job of one
// repository.
const KindFixPR = "fix-pr"

// FixBranch is the branch of the fix pull request; FixPRTitle its title.
const (
	FixBranch  = "contractbot/fix"
	FixPRTitle = "Keep the PaaSTA contract"
)

// fixBaseTrailer starts the trailer of every commit the App makes on
// [FixBranch], naming the default branch commit it fixes.
const fixBaseTrailer = "Contractbot-Fix-Base: "

// fixCommitterName and fixCommitterEmail are the author and committer of the App's fix commits. A
// commit on FixBranch is the App's own only when it carries this committer
// and the trailer: a commit someone else pushes (or amends) has their
// committer, and is never force-pushed over.
const (
	fixCommitterName  = "contractbot"
	fixCommitterEmail = "contractbot@users.noreply.github.com"
)

// Defaults of [FixPRs].
const (
	DefaultFixPRsPerHour = 60
	DefaultFixPRBurst    = 10
)

// FixPRClient is what the fix pull request job needs from GitHub.
type FixPRClient interface {
	Permissions(ctx context.Context) (map[string]string, error)
	GetCommit(ctx context.Context, owner, repo, sha string) (ghclient.Commit, error)
	CreateBlob(ctx context.Context, owner, repo string, content []byte) (string, error)
	CreateTree(ctx context.Context, owner, repo, base string, changes []ghclient.TreeChange) (string, error)
	CreateCommit(ctx context.Context, owner, repo, message, tree string, parents []string, who ghclient.Identity) (string, error)
	CreateRef(ctx context.Context, owner, repo, ref, sha string) error
	UpdateRef(ctx context.Context, owner, repo, ref, sha string, force bool) error
	ListPulls(ctx context.Context, owner, repo, head, state string) ([]ghclient.Pull, error)
	ListOpenPulls(ctx context.Context, owner, repo, base string) ([]ghclient.Pull, error)
	CreatePull(ctx context.Context, owner, repo, title, head, base, body string) (int, error)
	UpdatePull(ctx context.Context, owner, repo string, number int, u ghclient.PullUpdate) error
	CreateIssueComment(ctx context.Context, owner, repo string, number int, body string) (int64, error)
	IssueComments(ctx context.Context, owner, repo string, number int) ([]string, error)
	AppendToCheckRun(ctx context.Context, owner, repo, sha, name, externalID, note string) (bool, error)
}

// FixPRs is the fix pull request job, and the per-installation budget of
// such jobs.
type FixPRs struct {
	*Checker
	// Org turns fix pull requests on for every repository whose
	// .contractbot.yaml does not say fix_pull_requests: false
	// (CONTRACTBOT_FIX_PULL_REQUESTS).
	Org bool
	// PerHour and Burst are the token bucket of fix pull request jobs of
	// one installation: an organisation-wide rollout opens Burst pull
	// requests at once and then PerHour an hour, so that it cannot spend
	// the installation's hourly request budget (opening a pull request
	// costs about a dozen requests) on pull requests.
	PerHour float64
	Burst   int
	// PerPush cuts the soa repository's fix pull requests per push
	// (fixpr_push.go) instead of per service directory; Store keeps the
	// services pushes broke until a job has looked at them.
	PerPush bool
	Store   webhook.StateStore

	mu      sync.Mutex
	buckets map[int64]*bucket
}

// bucket is a token bucket whose tokens may go negative: each reservation
// takes one and runs when the bucket would have held it.
type bucket struct {
	tokens float64
	at     time.Time
}

// reserve takes a token of installation id's bucket and returns when the
// job it pays for may run. The reservation is stored with the task (its
// NotBefore), so the budget holds across restarts for what is queued;
// the buckets themselves start full again after a restart.
func (p *FixPRs) reserve(id int64, now time.Time) time.Time {
	rate := p.PerHour
	if rate <= 0 {
		rate = DefaultFixPRsPerHour
	}
	burst := float64(p.Burst)
	if burst <= 0 {
		burst = DefaultFixPRBurst
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.buckets == nil {
		p.buckets = map[int64]*bucket{}
	}
	b := p.buckets[id]
	if b == nil {
		b = &bucket{tokens: burst, at: now}
		p.buckets[id] = b
	}
	b.tokens = min(burst, b.tokens+now.Sub(b.at).Hours()*rate)
	b.at = now
	b.tokens--
	if b.tokens >= 0 {
		return now
	}
	return now.Add(time.Duration(-b.tokens / rate * float64(time.Hour)))
}

// enabled reports whether cfg (the default branch's .contractbot.yaml)
// asks for fix pull requests.
func (p *FixPRs) enabled(cfg *checks.Config) bool {
	if cfg == nil || cfg.Problem != nil {
		return false
	}
	if cfg.FixPullRequests != nil {
		return *cfg.FixPullRequests
	}
	return p.Org
}

// fixPRJob is the payload of a [KindFixPR] task.
type fixPRJob struct {
	Installation  int64  `json:"installation"`
	Owner         string `json:"owner"`
	Repo          string `json:"repo"`
	SHA           string `json:"sha"` // the default branch's head that was checked
	DefaultBranch string `json:"default_branch"`
	// CheckRun is the external id of that commit's check run, which the
	// job adds a line to when it cannot do its work.
	CheckRun string `json:"check_run"`
	// checkedSHA is the commit of that check run when the job works on a
	// newer head (SHA); not stored.
	checkedSHA string
	// Service, in the soa repository, is the service directory whose
	// fixes this pull request carries: one pull request per service.
	Service  string `json:"service,omitempty"`
	Delivery string `json:"delivery,omitempty"`
	// Push, in the soa repository, marks the one rolling pull request of
	// the per-push mode; Services are then the services it covers (in
	// the payload: those the push changed).
	Push     bool     `json:"push,omitempty"`
	Services []string `json:"services,omitempty"`
}

// branch is the job's pull request branch: FixBranch in a service
// repository, one per service directory in the soa repository (not
// under FixBranch/, which git cannot hold beside a FixBranch ref).
func (j fixPRJob) branch() string {
	if j.Service == "" {
		return FixBranch
	}
	return FixBranch + "-" + j.Service
}

// title is the job's pull request title.
func (j fixPRJob) title() string {
	if j.Service == "" {
		return FixPRTitle
	}
	return FixPRTitle + ": " + j.Service
}

// fixableService reports whether a soa service directory name is one
// PaaSTA gives a service (letters, digits, ., _ and -), which makes a
// branch name git accepts (git refuses "..", a leading "." and a ".lock"
// ending) and text that can stand in the pull request's title and code
// spans as it is: a backtick, "@" or "#" there could close a code span
// and mention a team or an issue.
func fixableService(s string) bool {
	if s == "" || strings.Contains(s, "..") || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".lock") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// runCheckTask is the check job as the queue runs it: the check, then
// the fix pull request job of a default branch's head when the
// repository wants one.
func (c *Checker) runCheckTask(ctx context.Context, t webhook.Task, q webhook.Enqueuer) error {
	if err := c.Run(ctx, t); err != nil {
		return err
	}
	var j checkJob
	if err := json.Unmarshal(t.Payload, &j); err != nil || j.DefaultSHA == "" || j.SHA != j.DefaultSHA || j.DefaultBranch == "" {
		return nil
	}
	e := c.state.checked.peek(checkedKey(j))
	if j.SOA && e != nil {
		// The services git found changed, where the payload could not
		// list them (recheck_git.go).
		var err error
		if j.Services, err = c.recheckGitServices(ctx, q, j, e); err != nil {
			return err
		}
	}
	p := c.fixPRs
	if p == nil {
		return nil
	}
	services := []string{""}
	if j.SOA {
		services = nil
		for _, s := range j.Services {
			if fixableService(s) {
				services = append(services, s)
			}
		}
	}
	if e == nil || !p.enabled(e.cfg) { // not a service, or not wanted
		return nil
	}
	if j.SOA && p.PerPush {
		return p.enqueuePush(ctx, t, q, j, services)
	}
	if j.SOA {
		services = p.servicesWithWork(ctx, j, e.res, services)
	}
	for _, s := range services {
		fj := fixPRJob{Installation: j.Installation, Owner: j.Owner, Repo: j.Repo, SHA: j.SHA, DefaultBranch: j.DefaultBranch,
			CheckRun: t.ID, Service: s, Delivery: j.Delivery}
		payload, err := json.Marshal(fj)
		if err != nil {
			return fmt.Errorf("encode fix pull request job: %w", err)
		}
		// One key per pull request: one job at a time, and a pending one
		// takes the newest head instead of queueing a job per push.
		prKey := KindFixPR + "/" + strings.ToLower(j.Owner+"/"+j.Repo)
		if s != "" {
			prKey += "/" + s
		}
		task := webhook.Task{ID: prKey + "@" + j.SHA, Key: prKey, Kind: KindFixPR, Payload: payload, NotBefore: p.reserve(j.Installation, c.clock())}
		if _, err := q.Enqueue(ctx, task); err != nil {
			return fmt.Errorf("enqueue the fix pull request job of %s/%s: %w", j.Owner, j.Repo, err)
		}
	}
	zerolog.Ctx(ctx).Info().Str(logSHA, j.SHA).Int("jobs", len(services)).Msg("fix pull request jobs enqueued")
	return nil
}

// servicesWithWork returns the services of services, those soa push j
// changed, whose fix pull request job has something to do: a service
// with a fix in res (the check of that push), or one with an open fix
// pull request, which may need updating or closing. Each job takes a
// token of the installation's budget, so a migration through 2,000
// services must not queue 2,000 jobs to fix a handful. The open pull
// requests are listed once for the push; when that listing cannot be
// had whole, every service keeps its job (fail closed).
func (p *FixPRs) servicesWithWork(ctx context.Context, j checkJob, res *checks.Result, services []string) []string {
	fixable := fixableServices(res)
	clean := 0
	for _, s := range services {
		if !fixable[s] {
			clean++
		}
	}
	if clean == 0 {
		return services
	}
	logger := zerolog.Ctx(ctx).With().Str(logSHA, j.SHA).Int("services", len(services)).Logger()
	client, err := p.Clients.Installation(ctx, j.Installation)
	if err != nil {
		logger.Warn().Err(err).Msg("fix pull requests: the open ones could not be listed; every changed service gets its job")
		return services
	}
	pulls, err := client.ListOpenPulls(ctx, j.Owner, j.Repo, j.DefaultBranch)
	if err != nil { // ErrListTooLong included: what is not listed may be open
		logger.Warn().Err(err).Msg("fix pull requests: the open ones could not be listed; every changed service gets its job")
		return services
	}
	open := map[string]bool{}
	for _, pr := range pulls {
		if s, ok := strings.CutPrefix(pr.HeadRef, FixBranch+"-"); ok {
			open[s] = true
		}
	}
	var out []string
	for _, s := range services {
		if fixable[s] || open[s] {
			out = append(out, s)
		}
	}
	return out
}

// fixableServices returns the soa service directories that a finding of
// res has a fix in: the fix job's first round of `contractbot fix` sees
// the same findings, and a later round only follows a first one.
func fixableServices(res *checks.Result) map[string]bool {
	out := map[string]bool{}
	if res == nil {
		return out
	}
	for _, f := range res.Findings {
		fx, ok := f.Fix()
		if !ok {
			continue
		}
		for _, e := range fx.Edits {
			if s, _, ok := strings.Cut(e.Path, "/"); ok {
				out[s] = true
			}
		}
	}
	return out
}

// peek returns the finished, successful check of key, or nil.
func (c *checkedCache) peek(key string) *checked {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[key]
	if e == nil {
		return nil
	}
	select {
	case <-e.done:
		if e.err == nil && e.res != nil {
			return e
		}
	default:
	}
	return nil
}

// errFixPRsOff is fixes' answer when the default branch's configuration
// no longer asks for fix pull requests.
var errFixPRsOff = errors.New("fix pull requests are off for this repository")

// Notes the job adds to the check run of the default branch's head.
const (
	noteNoPermissions = "**Fix pull requests are off:** this repository asks for them, but the App's installation lacks `contents: write` and `pull_requests: write`. An organisation owner can grant them on the App's installation page (Configure, then accept the new permissions)."
	noteDeclined      = "**No fix pull request:** #%d from `%s` was closed without being merged, so contractbot leaves these fixes to you. Delete the branch `%s` and contractbot opens a new pull request the next time `%s` needs fixes."
	noteForeignCommit = "**The fix pull request was not updated:** someone else pushed commit %s to `%s`, and contractbot never force-pushes over other people's work. Merge or close that pull request (or delete the branch) and contractbot opens a new one."
	noteProtected     = "**No fix pull request:** branch protection refuses the App's writes to `%s`, so contractbot cannot push its fixes there. To allow it, leave the branches `" + FixBranch + "*` out of the branch protection rule or ruleset that matches them, or add the App to that rule's bypass list (Settings, then Branches or Rules); contractbot tries again on the next push to `%s`."
)

// Run runs the fix pull request job of task t; q takes the check of the
// commit it pushes.
func (p *FixPRs) Run(ctx context.Context, t webhook.Task, q webhook.Enqueuer) (err error) {
	defer func() {
		// A listing past its bound (the fix branch's pull requests, a
		// pull request's comments) lists no more on a retry.
		if errors.Is(err, ghclient.ErrListTooLong) && !webhook.IsPermanent(err) {
			err = webhook.Permanent(err)
		}
	}()
	var j fixPRJob
	if err := json.Unmarshal(t.Payload, &j); err != nil || j.Owner == "" || j.Repo == "" || j.SHA == "" || j.Installation == 0 || j.DefaultBranch == "" ||
		(j.Service != "" && (j.Push || !fixableService(j.Service))) {
		return webhook.Permanent(fmt.Errorf("%w: fix pull request task %s: %v", ErrBadPayload, t.ID, err))
	}
	ctx, logger := prepareRepoContext(ctx, j.Installation, j.Owner, j.Repo)
	logger = logger.With().Str(logSHA, j.SHA).Str(logTaskID, t.ID).Str(logDeliveryID, j.Delivery).Str("service", j.Service).Logger()
	ctx = logger.WithContext(ctx)
	client, err := p.Clients.Installation(ctx, j.Installation)
	if err != nil {
		return fmt.Errorf("installation %d: %w", j.Installation, err)
	}
	perms, err := client.Permissions(ctx)
	if err != nil {
		return err
	}
	if perms["contents"] != "write" || perms["pull_requests"] != "write" {
		logger.Warn().Msg("fix pull request: the installation lacks contents: write or pull_requests: write")
		return p.note(ctx, client, j, noteNoPermissions)
	}
	if j.Push {
		// The services earlier pushes recorded, once this job has looked
		// at them (it returns nil), are forgotten. They are read before
		// the head: a record is written after its push's check, so the
		// head read next holds every push whose record is read here.
		var seen []string
		if j.Services, seen, err = p.pushServices(ctx, client, j); err != nil {
			return err
		}
		defer func() {
			if err == nil {
				err = p.forgetPushed(ctx, seen)
			}
		}()
	}
	_, head, err := client.DefaultBranchHead(ctx, j.Owner, j.Repo)
	if err != nil {
		return fmt.Errorf("head of the default branch: %w", err)
	}
	j.checkedSHA = j.SHA
	switch {
	case head == j.SHA:
	case j.Service == "" && !j.Push:
		// The branch moved on: the check of its new head queues the job
		// again (a pending one takes the newer head).
		logger.Info().Str("head", head).Msg("fix pull request: the default branch moved on; nothing done")
		return nil
	default:
		// In the soa repository the next push may change other services
		// only, and queue no job for this one: fix this service on the
		// newest head.
		j.SHA = head
	}
	changes, applied, headTree, err := p.fixes(ctx, client, j)
	if errors.Is(err, errFixPRsOff) {
		// The default branch's configuration turned them off since the
		// check: leave any open pull request to its readers.
		logger.Info().Msg("fix pull request: turned off by the default branch's .contractbot.yaml; nothing done")
		return nil
	}
	if err != nil {
		return permanentIfHopeless(err)
	}
	open, err := p.openPull(ctx, client, j)
	if err != nil {
		return err
	}
	if len(changes) == 0 {
		return p.closeIfOpen(ctx, client, j, open)
	}
	if j.Push {
		j.Services = servicesOf(changes) // what the pull request covers
	}
	ref := "refs/heads/" + j.branch()
	tip, typ, err := client.RefTarget(ctx, j.Owner, j.Repo, ref)
	if err != nil {
		return err
	}
	var tipCommit ghclient.Commit
	if typ != "missing" {
		if tipCommit, err = client.GetCommit(ctx, j.Owner, j.Repo, tip); err != nil {
			return err
		}
		if !ownFixCommit(tipCommit) {
			logger.Warn().Str("tip", tip).Msg("fix pull request: someone else pushed to the branch; left alone")
			return p.note(ctx, client, j, fmt.Sprintf(noteForeignCommit, tip, j.branch()))
		}
		if open == nil {
			// The App deletes the branch when it closes its own pull
			// request, so a branch without an open one whose last pull
			// request was closed unmerged is a "no, thanks".
			closed, err := client.ListPulls(ctx, j.Owner, j.Repo, j.branch(), "closed")
			if err != nil {
				return err
			}
			for _, c := range closed {
				if c.BaseRef != j.DefaultBranch || c.HeadRef != j.branch() {
					continue
				}
				if !c.Merged {
					// Closed by the App itself (its branch's delete
					// failed, or the default branch broke again
					// before a retry deleted it) is no "no, thanks".
					said, err := client.IssueComments(ctx, j.Owner, j.Repo, c.Number)
					if err != nil {
						return err
					}
					if slices.ContainsFunc(said, closedByApp) {
						break
					}
					logger.Info().Int(logPRNum, c.Number).Msg("fix pull request: declined; left alone")
					return p.note(ctx, client, j, fmt.Sprintf(noteDeclined, c.Number, j.branch(), j.branch(), j.DefaultBranch))
				}
				break
			}
		}
	}
	tree, err := p.buildTree(ctx, client, j, headTree, changes)
	if err != nil {
		return err
	}
	commit := tip
	switch {
	case typ != "missing" && tipCommit.Tree == tree && slices.Equal(tipCommit.Parents, []string{j.SHA}):
		// The branch already carries exactly these fixes on this head.
	default:
		msg := fixCommitMessage(j, applied)
		who := ghclient.Identity{Name: fixCommitterName, Email: fixCommitterEmail, Date: p.clock().Truncate(time.Second)}
		if commit, err = client.CreateCommit(ctx, j.Owner, j.Repo, msg, tree, []string{j.SHA}, who); err != nil {
			return err
		}
		if typ == "missing" {
			err = client.CreateRef(ctx, j.Owner, j.Repo, ref, commit)
		} else {
			// GitHub's update-ref cannot say "only from this tip", so
			// the tip is read once more just before: a push that lands
			// in the milliseconds between is the one case left.
			if now, _, err := client.RefTarget(ctx, j.Owner, j.Repo, ref); err != nil {
				return err
			} else if now != tip {
				logger.Warn().Str("tip", now).Msg("fix pull request: someone else pushed to the branch; left alone")
				return p.note(ctx, client, j, fmt.Sprintf(noteForeignCommit, now, j.branch()))
			}
			// The tip is the App's own last commit: replacing it loses
			// nobody's work. The new commit sits on the new head, so
			// this is not a fast forward.
			err = client.UpdateRef(ctx, j.Owner, j.Repo, ref, commit, true)
		}
		if refusedAsProtected(err) {
			// No retry gets past the rule: say so once, in the check
			// run, rather than retrying until the task is dead-lettered.
			logger.Warn().Err(err).Str("branch", j.branch()).Msg("fix pull request: the fix branch is protected; left alone")
			return p.note(ctx, client, j, fmt.Sprintf(noteProtected, j.branch(), j.DefaultBranch))
		}
		if err != nil {
			return err
		}
	}
	// GitHub sends the push of the App's own commit to the App, which
	// ignores its own events; the pull request's head still needs its
	// check run (branch protection may require it). Queued on every run,
	// so that a retry after a failure here still queues it: a check
	// queued before is dropped as a duplicate.
	cj := checkJob{Installation: j.Installation, Owner: j.Owner, Repo: j.Repo, SHA: commit, Ref: ref,
		DefaultBranch: j.DefaultBranch, DefaultSHA: j.SHA, Event: KindFixPR, Delivery: j.Delivery}
	if j.Service != "" {
		cj.SOA, cj.Services = true, []string{j.Service}
	}
	if j.Push {
		cj.SOA, cj.Services = true, j.Services
	}
	if _, err := enqueueCheck(ctx, q, checkTaskID(j.Owner, j.Repo, commit), cj); err != nil {
		return err
	}
	body := fixPRBody(j, applied)
	if open != nil {
		if open.Title != j.title() || open.Body != body {
			if err := client.UpdatePull(ctx, j.Owner, j.Repo, open.Number, ghclient.PullUpdate{Title: j.title(), Body: body}); err != nil {
				return err
			}
		}
		logger.Info().Int(logPRNum, open.Number).Int("fixes", len(applied)).Msg("fix pull request updated")
		return nil
	}
	n, err := client.CreatePull(ctx, j.Owner, j.Repo, j.title(), j.branch(), j.DefaultBranch, body)
	if err != nil {
		return err
	}
	logger.Info().Int(logPRNum, n).Int("fixes", len(applied)).Msg("fix pull request opened")
	return nil
}

// fixes computes the fixes of the default branch's head, as `contractbot
// fix` computes them over a working tree: the same engine, configuration
// and soa tree as the check. In a service repository only its own files
// are changed (a fix of the soa repository belongs in a pull request
// there); in the soa repository only the files of j.Service.
func (p *FixPRs) fixes(ctx context.Context, client Client, j fixPRJob) ([]fix.Change, []fix.Applied, fs.FS, error) {
	// Through the mirrors as the check read it: an organisation's soa
	// repository is one whose recursive tree GitHub truncates.
	tree, err := p.soaCommitTree(ctx, client, j.Installation, j.Owner, j.Repo, j.SHA)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("tree of %s: %w", j.SHA, err)
	}
	cj := checkJob{Installation: j.Installation, Owner: j.Owner, Repo: j.Repo, SHA: j.SHA, DefaultBranch: j.DefaultBranch, DefaultSHA: j.SHA, Event: KindFixPR}
	cfg, err := p.config(ctx, client, cj, tree)
	if err != nil {
		return nil, nil, nil, err
	}
	if !p.enabled(cfg) {
		return nil, nil, nil, errFixPRsOff
	}
	if j.Push {
		changes, applied, err := p.pushFixes(ctx, cfg, tree, j.Services)
		return changes, applied, tree, err
	}
	var out *fix.Outcome
	var candidates []fix.Change
	if j.Service == "" {
		prepare := func(ctx context.Context, repo, _ fs.FS) (checks.Target, error) {
			return p.target(ctx, client, cj, repo, cfg, checks.Options{})
		}
		if out, err = fix.Run(ctx, fix.Options{Engine: p.Engine, Prepare: prepare}, tree, nil); err != nil {
			return nil, nil, nil, fmt.Errorf("fix: %w", err)
		}
		candidates = out.Repo
	} else if out, err = p.soaFix(ctx, cfg, tree, j.Service); err != nil {
		return nil, nil, nil, err
	} else {
		candidates = out.SOA
	}
	var changes []fix.Change
	for _, ch := range candidates {
		if isLink(tree, ch.Path) || (j.Service != "" && !strings.HasPrefix(ch.Path, j.Service+"/")) {
			continue // never write through a link, nor outside the service
		}
		changes = append(changes, ch)
	}
	var applied []fix.Applied
	for _, a := range out.Applied {
		if a.SOA == (j.Service != "") && (j.Service == "" || strings.HasPrefix(a.Finding.Path, j.Service+"/")) {
			applied = append(applied, a)
		}
	}
	if len(changes) == 0 {
		applied = nil
	}
	return changes, applied, tree, nil
}

// soaFix runs `contractbot fix` over service's directory of the soa
// repository's tree.
func (p *FixPRs) soaFix(ctx context.Context, cfg *checks.Config, tree fs.FS, service string) (*fix.Outcome, error) {
	prepare := func(ctx context.Context, _, soaTree fs.FS) (checks.Target, error) {
		return checks.Prepare(ctx, nil, checks.Options{Config: cfg, SOA: soaTree, Service: service, PaastaSchemas: p.PaastaSchemas, PaastaConfig: p.PaastaConfig})
	}
	out, err := fix.Run(ctx, fix.Options{Engine: p.Engine, Prepare: prepare}, emptyFS{}, tree)
	if err != nil {
		return nil, fmt.Errorf("fix %s: %w", service, err)
	}
	return out, nil
}

// emptyFS is the repository of a check of the soa repository: none.
type emptyFS struct{}

func (emptyFS) Open(name string) (fs.File, error) {
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

// isLink reports whether name is a symbolic link in tree.
func isLink(tree fs.FS, name string) bool {
	entries, err := fs.ReadDir(tree, path.Dir(name))
	if err != nil {
		return false
	}
	for _, e := range entries {
		if e.Name() == path.Base(name) {
			return e.Type()&fs.ModeSymlink != 0
		}
	}
	return false
}

// buildTree stores the changed files as blobs and the head's tree with
// them as a new tree, keeping each file's mode.
func (p *FixPRs) buildTree(ctx context.Context, client Client, j fixPRJob, tree fs.FS, changes []fix.Change) (string, error) {
	base, err := client.GetCommit(ctx, j.Owner, j.Repo, j.SHA)
	if err != nil {
		return "", err
	}
	var entries []ghclient.TreeChange
	for _, ch := range changes {
		blob, err := client.CreateBlob(ctx, j.Owner, j.Repo, ch.New)
		if err != nil {
			return "", err
		}
		mode := "100644"
		if fi, err := fs.Stat(tree, ch.Path); err == nil && fi.Mode()&0o111 != 0 {
			mode = "100755"
		}
		entries = append(entries, ghclient.TreeChange{Path: ch.Path, Mode: mode, BlobSHA: blob})
	}
	return client.CreateTree(ctx, j.Owner, j.Repo, base.Tree, entries)
}

// ownFixCommit reports whether c is a commit the App made on FixBranch.
func ownFixCommit(c ghclient.Commit) bool {
	return strings.EqualFold(c.Committer.Email, fixCommitterEmail) && c.Committer.Name == fixCommitterName &&
		strings.Contains(c.Message, "\n"+fixBaseTrailer)
}

// openPull returns the open pull request from FixBranch into the default
// branch, or nil.
func (p *FixPRs) openPull(ctx context.Context, client Client, j fixPRJob) (*ghclient.Pull, error) {
	pulls, err := client.ListPulls(ctx, j.Owner, j.Repo, j.branch(), "open")
	if err != nil {
		return nil, err
	}
	for i := range pulls {
		if pulls[i].BaseRef == j.DefaultBranch && pulls[i].HeadRef == j.branch() {
			return &pulls[i], nil
		}
	}
	return nil, nil
}

// closeIfOpen closes the fix pull request, with a comment that says why,
// once the default branch needs none of its fixes, and deletes its branch
// while that holds only the App's commit: a fix branch left behind then
// always means a pull request someone declined (or a person's commits).
// A retry repeats nothing: the comment is looked for first, and a closed
// pull request is no longer open.
func (p *FixPRs) closeIfOpen(ctx context.Context, client Client, j fixPRJob, open *ghclient.Pull) error {
	if open != nil {
		// A pull request someone pushed to is theirs now, to close or
		// merge: their commits may be more than the App's fixes.
		if tip, theirs, err := p.foreignTip(ctx, client, j); err != nil {
			return err
		} else if theirs {
			zerolog.Ctx(ctx).Warn().Str("tip", tip).Int(logPRNum, open.Number).Msg("fix pull request: someone else pushed to the branch; left alone")
			return nil
		}
		body := fmt.Sprintf("`%s` no longer needs these fixes as of %s, "+closedByAppPhrase+". "+
			"It opens a new one if the branch breaks the contract again in a way it can fix.", j.DefaultBranch, j.SHA)
		said, err := client.IssueComments(ctx, j.Owner, j.Repo, open.Number)
		if err != nil {
			return err
		}
		// Any closing comment of the App's, whatever head it names: a
		// retry may work on a newer head than the try that commented.
		if !slices.ContainsFunc(said, closedByApp) {
			if _, err := client.CreateIssueComment(ctx, j.Owner, j.Repo, open.Number, body); err != nil {
				return err
			}
		}
		if err := client.UpdatePull(ctx, j.Owner, j.Repo, open.Number, ghclient.PullUpdate{State: "closed"}); err != nil {
			return err
		}
		zerolog.Ctx(ctx).Info().Int(logPRNum, open.Number).Msg("fix pull request closed")
	}
	ref := "refs/heads/" + j.branch()
	tip, typ, err := client.RefTarget(ctx, j.Owner, j.Repo, ref)
	if err != nil || typ == "missing" {
		return err
	}
	c, err := client.GetCommit(ctx, j.Owner, j.Repo, tip)
	if err != nil {
		return err
	}
	if !ownFixCommit(c) {
		return nil // a person's commit: theirs to delete
	}
	// A 422 is a ref already gone, or one branch protection keeps (the
	// pull request is closed either way); so is a 403 of the latter.
	if err := client.DeleteRef(ctx, j.Owner, j.Repo, ref); err != nil && !ghclient.IsNotFound(err) && !isUnprocessable(err) && !refusedAsProtected(err) {
		return err
	}
	return nil
}

// refusedAsProtected reports whether GitHub refused a ref write because
// branch protection or a ruleset covers the branch: 422 "Protected branch
// update failed for refs/heads/…", "Repository rule violations found" or,
// for a ref the rules forbid creating, "Reference update failed"; or a
// 403 that is no rate limit (the job checked its permissions first, so a
// 403 is a rule that keeps the App out).
func refusedAsProtected(err error) bool {
	var apiErr *ghclient.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	if apiErr.StatusCode == http.StatusUnprocessableEntity {
		msg := strings.ToLower(apiErr.Message)
		return strings.Contains(msg, "protected branch") || strings.Contains(msg, "rule violation") || strings.Contains(msg, "reference update failed")
	}
	return ghclient.IsForbidden(err)
}

// foreignTip reports whether the job's branch exists with someone else's
// commit at its tip.
func (p *FixPRs) foreignTip(ctx context.Context, client Client, j fixPRJob) (string, bool, error) {
	tip, typ, err := client.RefTarget(ctx, j.Owner, j.Repo, "refs/heads/"+j.branch())
	if err != nil || typ == "missing" {
		return "", false, err
	}
	c, err := client.GetCommit(ctx, j.Owner, j.Repo, tip)
	if err != nil {
		return "", false, err
	}
	return tip, !ownFixCommit(c), nil
}

// closedByAppPhrase is in the comment with which the App closes its fix
// pull request, and tells that closing from someone declining it.
const closedByAppPhrase = "so contractbot closes this pull request"

// closedByApp reports whether comment is the App's closing comment.
func closedByApp(comment string) bool { return strings.Contains(comment, closedByAppPhrase) }

// isUnprocessable reports GitHub's 422, which delete-ref answers for a ref
// already gone (a retry after a lost answer).
func isUnprocessable(err error) bool {
	var apiErr *ghclient.APIError
	return errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusUnprocessableEntity
}

// note adds a line to the check run of the default branch's head.
func (p *FixPRs) note(ctx context.Context, client Client, j fixPRJob, line string) error {
	sha := j.checkedSHA
	if sha == "" {
		sha = j.SHA
	}
	found, err := client.AppendToCheckRun(ctx, j.Owner, j.Repo, sha, CheckName, j.CheckRun, line)
	if err != nil {
		return err
	}
	if !found {
		zerolog.Ctx(ctx).Warn().Str("check_run", j.CheckRun).Msg("fix pull request: no check run to add the note to")
	}
	return nil
}

// fixCommitMessage is the message of a fix commit: a subject, one line per
// fix, and the trailer that marks the commit as the App's.
func fixCommitMessage(j fixPRJob, applied []fix.Applied) string {
	var b strings.Builder
	b.WriteString(j.title() + "\n\nThe mechanical fixes `contractbot fix` makes on " + j.DefaultBranch + " at " + j.SHA + ":\n\n")
	for _, a := range applied {
		fmt.Fprintf(&b, "- %s: %s (%s)\n", a.Finding.Path, a.Fix.Message, a.Finding.RuleID)
	}
	b.WriteString("\n" + fixBaseTrailer + j.SHA + "\n")
	if j.Push {
		b.WriteString(fixServicesTrailer + strings.Join(j.Services, " ") + "\n")
	}
	return b.String()
}

// fixPRBody is the fix pull request's description: each fix with its
// rule and the rule's documentation.
func fixPRBody(j fixPRJob, applied []fix.Applied) string {
	var b strings.Builder
	what := ""
	if j.Service != "" {
		what = " in `" + j.Service + "/`"
	}
	if j.Push {
		what = " in " + serviceList(j.Services)
	}
	fmt.Fprintf(&b, "contractbot found problems with the PaaSTA contract%s on `%s` at %s that it can fix mechanically. "+
		"This pull request makes those fixes, the same ones `contractbot fix` makes:\n\n", what, j.DefaultBranch, j.SHA)
	b.WriteString("| Rule | Where | Fix |\n|---|---|---|\n")
	var tail strings.Builder
	fmt.Fprintf(&tail, "\nWhat contractbot cannot fix is in the **%s** check run of that commit.\n\n", CheckName)
	fmt.Fprintf(&tail, "contractbot updates this pull request when `%s` moves, and closes it when `%s` no longer needs it. "+
		"It never force-pushes over a commit someone else adds to `%s`: once you push to this branch, it leaves the pull request to you.\n",
		j.DefaultBranch, j.DefaultBranch, j.branch())
	// GitHub refuses a longer body, so rows stop where the rest would no
	// longer fit (bytes: never fewer than characters); the commit message
	// lists every fix.
	budget := ghclient.MaxPullBodyChars - b.Len() - tail.Len() - fixPRBodyReserve
	for i, a := range applied {
		where := a.Finding.Path
		if a.Finding.Line > 0 {
			where = fmt.Sprintf("%s:%d", a.Finding.Path, a.Finding.Line)
		}
		// A code span shows the path as it is; GFM still splits a
		// table cell at "|" inside one unless it is escaped.
		where = strings.NewReplacer("`", "'", "|", "\\|", "\n", " ", "\r", " ").Replace(where)
		row := fmt.Sprintf("| [%s](%s) | `%s` | %s |\n", a.Finding.RuleID, checks.RuleURL(a.Finding.RuleID),
			where, ghclient.MarkdownEscape(a.Fix.Message))
		if budget -= len(row); budget < 0 {
			fmt.Fprintf(&b, "\n…and %d more fixes, which the commit message lists.\n", len(applied)-i)
			break
		}
		b.WriteString(row)
	}
	b.WriteString(tail.String())
	return b.String()
}

// fixPRBodyReserve is kept free in a fix pull request's body for the line
// that counts the fixes left out of its table.
const fixPRBodyReserve = 200
