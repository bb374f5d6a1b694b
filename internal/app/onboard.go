package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/contractbot/contractbot/internal/checks"
	ghclient "github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/webhook"
)

// Onboarding: when the App is installed, or repositories are added to an
// installation, every repository it covers gets a check of its default
// branch's head, so that a platform team sees the whole fleet from the
// first day instead of waiting for each repository's next push.
//
// The work is a chain of durable tasks, so it survives a restart or a
// SIGKILL half way: a [KindOnboard] task lists one page of the
// installation's repositories and enqueues a [KindOnboardRepo] task for
// each and the task of the next page; a [KindOnboardRepo] task finds the
// default branch's head and, when the repository is a PaaSTA service,
// enqueues its check. Every ID names the installation event it came from,
// so a task retried after a crash enqueues nothing twice, and the check's
// ID is the commit's (checkTaskID), so a commit that a push already had
// checked is not checked again. Requests go through the installation's
// client, which waits out its rate limits.
const (
	KindOnboard     = "onboard"
	KindOnboardRepo = "onboard-repo"
)

// OnboardClient is what onboarding needs from GitHub beyond the check
// job's calls.
type OnboardClient interface {
	InstallationRepositories(ctx context.Context, page int) ([]ghclient.Repository, bool, error)
}

// onboardJob is the payload of a [KindOnboard] task: one page.
type onboardJob struct {
	Installation int64  `json:"installation"`
	Page         int    `json:"page"`
	Delivery     string `json:"delivery"`
	// Sweep names the sweep period this onboarding is a re-check of
	// (sweep.go), or "" for an installation event.
	Sweep string `json:"sweep,omitempty"`
}

// onboardRepoJob is the payload of a [KindOnboardRepo] task.
type onboardRepoJob struct {
	Installation int64  `json:"installation"`
	Owner        string `json:"owner"`
	Repo         string `json:"repo"`
	Delivery     string `json:"delivery"`
	Sweep        string `json:"sweep,omitempty"`
}

// maxOnboardPages bounds the chain: 1,000 pages of 100 repositories.
const maxOnboardPages = 1000

func enqueueOnboardPage(ctx context.Context, q Enqueuer, j onboardJob) error {
	p, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("encode onboarding job: %w", err)
	}
	id := KindOnboard + "/" + strconv.FormatInt(j.Installation, 10) + "/" + j.Delivery + "/page-" + strconv.Itoa(j.Page)
	if _, err := q.Enqueue(ctx, webhook.Task{ID: id, Key: id, Kind: KindOnboard, Payload: p}); err != nil {
		return fmt.Errorf("enqueue onboarding of installation %d, page %d: %w", j.Installation, j.Page, err)
	}
	return nil
}

func enqueueOnboardRepo(ctx context.Context, q Enqueuer, j onboardRepoJob) error {
	p, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("encode onboarding job: %w", err)
	}
	full := strings.ToLower(j.Owner + "/" + j.Repo)
	id := KindOnboardRepo + "/" + strconv.FormatInt(j.Installation, 10) + "/" + j.Delivery + "/" + full
	if _, err := q.Enqueue(ctx, webhook.Task{ID: id, Key: KindOnboardRepo + "/" + full, Kind: KindOnboardRepo, Payload: p}); err != nil {
		return fmt.Errorf("enqueue onboarding of %s: %w", full, err)
	}
	return nil
}

// Onboarder runs the onboarding tasks.
type Onboarder struct {
	*Checker
	// ServiceRepos maps services to "owner/repo" where neither git_url
	// nor the service's name finds the repository (recheck).
	ServiceRepos map[string]string

	repos *prometheus.CounterVec
}

// NewOnboarder returns the onboarding jobs; their metric is registered
// with reg when reg is not nil.
func NewOnboarder(c *Checker, reg prometheus.Registerer) (*Onboarder, error) {
	repos, err := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "contractbot_onboarding_repositories_total",
		Help: "Repositories met by onboarding, by result: queued (a task to look at it), check_enqueued (its default branch's check, which publishes a run only for a PaaSTA service), not_service (counted by that check: no Makefile, Dockerfile or soa_dir, no check run), archived, empty.",
	}, []string{"result"}), nil)
	if err != nil {
		return nil, err
	}
	c.onboardRepos = repos
	return &Onboarder{Checker: c, repos: repos}, nil
}

// RunPage runs a [KindOnboard] task.
func (o *Onboarder) RunPage(ctx context.Context, t webhook.Task, q webhook.Enqueuer) error {
	var j onboardJob
	if err := json.Unmarshal(t.Payload, &j); err != nil || j.Installation == 0 || j.Page < 1 {
		return webhook.Permanent(fmt.Errorf("%w: onboarding task %s: %v", ErrBadPayload, t.ID, err))
	}
	client, err := o.Clients.Installation(ctx, j.Installation)
	if err != nil {
		return fmt.Errorf("installation %d: %w", j.Installation, err)
	}
	repos, more, err := client.InstallationRepositories(ctx, j.Page)
	if err != nil {
		return permanentIfHopeless(err)
	}
	for _, r := range repos {
		if r.Archived {
			o.repos.WithLabelValues("archived").Inc()
			continue
		}
		if err := enqueueOnboardRepo(ctx, q, onboardRepoJob{Installation: j.Installation, Owner: r.Owner, Repo: r.Name, Delivery: j.Delivery, Sweep: j.Sweep}); err != nil {
			return err
		}
		o.repos.WithLabelValues("queued").Inc()
	}
	zerolog.Ctx(ctx).Info().Int64(logInstallationID, j.Installation).Int("page", j.Page).Int("repositories", len(repos)).
		Bool("more", more).Msg("onboarding page listed")
	if more && j.Page < maxOnboardPages {
		next := j
		next.Page++
		return enqueueOnboardPage(ctx, q, next)
	}
	return nil
}

// RunRepo runs a [KindOnboardRepo] task.
func (o *Onboarder) RunRepo(ctx context.Context, t webhook.Task, q webhook.Enqueuer) error {
	var j onboardRepoJob
	if err := json.Unmarshal(t.Payload, &j); err != nil || j.Installation == 0 || j.Owner == "" || j.Repo == "" {
		return webhook.Permanent(fmt.Errorf("%w: onboarding task %s: %v", ErrBadPayload, t.ID, err))
	}
	ctx, logger := prepareRepoContext(ctx, j.Installation, j.Owner, j.Repo)
	client, err := o.Clients.Installation(ctx, j.Installation)
	if err != nil {
		return fmt.Errorf("installation %d: %w", j.Installation, err)
	}
	branch, sha, err := client.DefaultBranchHead(ctx, j.Owner, j.Repo)
	var apiErr *ghclient.APIError
	if errors.As(err, &apiErr) && (apiErr.StatusCode == 404 || apiErr.StatusCode == 409) {
		o.repos.WithLabelValues("empty").Inc()
		logger.Info().Msg("onboarding: the repository has no default branch head")
		return nil // an empty repository (409) or one gone since the listing
	}
	if err != nil {
		return permanentIfHopeless(err)
	}
	// The check job reads the commit's tree anyway: it decides there
	// whether the repository is a service, with no request of its own.
	cj := checkJob{Installation: j.Installation, Owner: j.Owner, Repo: j.Repo, SHA: sha, DefaultBranch: branch, DefaultSHA: sha,
		SOA: o.isSOARepo(j.Owner, j.Repo), OnlyIfService: true, Event: "installation", Delivery: j.Delivery}
	id := checkTaskID(j.Owner, j.Repo, sha)
	if j.Sweep != "" {
		// A sweep re-checks a commit checked before (the rules or the soa
		// tree may have changed since): an id of its own.
		id += "/sweep@" + j.Sweep
		cj.Event = "sweep"
	}
	dup, err := enqueueCheck(ctx, q, id, cj)
	if err != nil {
		return err
	}
	o.repos.WithLabelValues("check_enqueued").Inc()
	logger.Info().Str(logSHA, sha).Bool("duplicate", dup).Msg("onboarding: check enqueued")
	return nil
}

// errNotService ends an OnlyIfService check of a repository that is not a
// PaaSTA service: no check run.
var errNotService = errors.New("not a PaaSTA service")

// isService reports whether a repository is one contractbot checks: a
// PaaSTA service (a Makefile or a Dockerfile at its root, or a
// .contractbot.yaml), or the soa repository itself.
func (c *Checker) isService(owner, repo string, tree fs.FS) bool {
	if c.isSOARepo(owner, repo) {
		return true
	}
	for _, name := range []string{"Makefile", "makefile", "GNUmakefile", "Dockerfile", checks.ConfigFile} {
		if _, err := fs.Stat(tree, name); err == nil {
			return true
		}
	}
	return false
}
