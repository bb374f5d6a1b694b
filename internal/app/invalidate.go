package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"path"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	ghclient "github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/webhook"
)

// Cross-repository invalidation: a push to the default branch of the soa
// repository that changes SERVICE/… can break SERVICE (a deploy group
// removed, a port taken), and the service repository's own status must
// say so. Each changed service gets a [KindRecheck] task, which finds the
// service's repository and enqueues a check of its default branch's head
// against the new soa head: a check of its own (its task id names the soa
// commit), published on the service repository.
const KindRecheck = "recheck"

// recheckJob is the payload of a [KindRecheck] task.
type recheckJob struct {
	Installation int64  `json:"installation"` // the soa repository's
	SOAOwner     string `json:"soa_owner"`
	SOARepo      string `json:"soa_repo"`
	SOASHA       string `json:"soa_sha"`
	Service      string `json:"service"`
	Delivery     string `json:"delivery"`
}

func enqueueRecheck(ctx context.Context, q Enqueuer, j recheckJob) error {
	p, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("encode recheck job: %w", err)
	}
	id := KindRecheck + "/" + strings.ToLower(j.SOAOwner+"/"+j.SOARepo) + "@" + j.SOASHA + "/" + j.Service
	if _, err := q.Enqueue(ctx, webhook.Task{ID: id, Key: KindRecheck + "/" + j.Service, Kind: KindRecheck, Payload: p}); err != nil {
		return fmt.Errorf("enqueue recheck of %s: %w", j.Service, err)
	}
	return nil
}

// maxServiceYAML bounds the read of service.yaml for its git_url.
const maxServiceYAML = 64 << 10

// RunRecheck runs a [KindRecheck] task.
func (o *Onboarder) RunRecheck(ctx context.Context, t webhook.Task, q webhook.Enqueuer) error {
	var j recheckJob
	if err := json.Unmarshal(t.Payload, &j); err != nil || j.Installation == 0 || j.Service == "" || !ghclient.IsSHA(j.SOASHA) {
		return webhook.Permanent(fmt.Errorf("%w: recheck task %s: %v", ErrBadPayload, t.ID, err))
	}
	ctx, logger := prepareRepoContext(ctx, j.Installation, j.SOAOwner, j.SOARepo)
	client, err := o.Clients.Installation(ctx, j.Installation)
	if err != nil {
		return fmt.Errorf("installation %d: %w", j.Installation, err)
	}
	tree, err := o.soaCommitTree(ctx, client, j.Installation, j.SOAOwner, j.SOARepo, j.SOASHA)
	if err != nil {
		return permanentIfHopeless(err)
	}
	owner, repo, from := o.serviceRepo(tree, j)
	inst := j.Installation
	if !strings.EqualFold(owner, j.SOAOwner) {
		inst, err = o.repoInstallation(ctx, o.Clients, owner, repo, o.clock())
		if ghclient.IsNotFound(err) {
			logger.Info().Str("service", j.Service).Str("repository", owner+"/"+repo).Err(err).
				Msg("recheck: the App is not installed on the service's repository")
			return nil
		}
		if err != nil {
			// Anything but GitHub's 404 says nothing about the
			// installation: retry rather than drop the re-check.
			return permanentIfHopeless(err)
		}
		if client, err = o.Clients.Installation(ctx, inst); err != nil {
			return fmt.Errorf("installation %d: %w", inst, err)
		}
	}
	branch, sha, err := client.DefaultBranchHead(ctx, owner, repo)
	var apiErr *ghclient.APIError
	if errors.As(err, &apiErr) && (apiErr.StatusCode == 404 || apiErr.StatusCode == 409) {
		logger.Info().Str("service", j.Service).Str("repository", owner+"/"+repo).Str("from", from).
			Msg("recheck: no such service repository, or it is empty")
		return nil
	}
	if err != nil {
		return permanentIfHopeless(err)
	}
	cj := checkJob{Installation: inst, Owner: owner, Repo: repo, SHA: sha, DefaultBranch: branch, DefaultSHA: sha,
		Event: "push", Delivery: j.Delivery}
	// Its own id: the commit may have been checked against the old soa
	// head already, and that check's id would make this one a duplicate.
	id := checkTaskID(owner, repo, sha) + "/soa@" + j.SOASHA
	dup, err := enqueueCheck(ctx, q, id, cj)
	if err != nil {
		return err
	}
	logger.Info().Str("service", j.Service).Str("repository", owner+"/"+repo).Str("from", from).Str(logSHA, sha).
		Bool("duplicate", dup).Msg("recheck: service repository check enqueued")
	return nil
}

// serviceRepo maps a service to its repository: service.yaml's git_url
// when it names one, else the configured map, else the repository of the
// service's name beside the soa repository. from says which.
func (o *Onboarder) serviceRepo(tree fs.FS, j recheckJob) (owner, repo, from string) {
	if o, r, ok := gitURLRepo(tree, j.Service); ok {
		return o, r, "git_url"
	}
	if full, ok := o.ServiceRepos[j.Service]; ok {
		if o, r, ok := strings.Cut(full, "/"); ok {
			return o, r, "map"
		}
	}
	return j.SOAOwner, j.Service, "name"
}

// gitURLRepo reads SERVICE/service.yaml's git_url
// (git@host:owner/repo.git, ssh://git@host/owner/repo, https://host/owner/repo.git).
func gitURLRepo(tree fs.FS, service string) (owner, repo string, ok bool) {
	f, err := tree.Open(path.Join(service, "service.yaml"))
	if err != nil {
		return "", "", false
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxServiceYAML))
	if err != nil {
		return "", "", false
	}
	var doc struct {
		GitURL string `yaml:"git_url"`
	}
	if yaml.Unmarshal(data, &doc) != nil || doc.GitURL == "" {
		return "", "", false
	}
	return splitGitURL(doc.GitURL)
}

// splitGitURL returns the owner and name of a repository's git URL.
func splitGitURL(s string) (owner, repo string, ok bool) {
	p := ""
	if u, err := url.Parse(s); err == nil && u.Scheme != "" && u.Host != "" {
		p = u.Path
	} else if _, after, found := strings.Cut(s, ":"); found && !strings.Contains(s, "://") {
		p = after // scp-like git@host:owner/repo.git
	}
	p = strings.TrimSuffix(strings.Trim(p, "/"), ".git")
	parts := strings.Split(p, "/")
	if len(parts) < 2 || parts[len(parts)-2] == "" || parts[len(parts)-1] == "" {
		return "", "", false
	}
	return parts[len(parts)-2], parts[len(parts)-1], true
}

// parseServiceRepos parses CONTRACTBOT_SERVICE_REPOS: "svc=owner/repo,…".
func parseServiceRepos(s string) (map[string]string, error) {
	m := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		svc, full, ok := strings.Cut(kv, "=")
		if o, r, ok2 := strings.Cut(full, "/"); !ok || !ok2 || svc == "" || o == "" || r == "" || strings.Contains(r, "/") {
			return nil, fmt.Errorf("CONTRACTBOT_SERVICE_REPOS entry %s: want service=owner/repo", strconv.Quote(kv))
		}
		m[svc] = full
	}
	return m, nil
}
