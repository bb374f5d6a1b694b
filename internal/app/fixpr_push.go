package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/fix"
	"github.com/contractbot/contractbot/internal/webhook"
	"github.com/rs/zerolog"
)

// The per-push mode of the soa repository's fix pull requests
// (CONTRACTBOT_SOA_FIX_PULL_REQUESTS=per-push): one rolling pull request
// from FixBranch, like a service repository's, that carries the fixes of
// every service a push to the default branch broke, until they are merged
// or no longer needed. One rolling pull request rather than one per push
// commit: a platform team reviews one place (as with Renovate), a newer
// push never leaves an older pull request fixing a stale tree behind, and
// the fixes of services broken by two pushes land together.
//
// The job of a push is queued under the repository's one key, so a pending
// job takes the newest push's payload and the services of the pushes it
// replaced would be lost. They are not kept in the payload: the check of
// each push records each service it changed, one record per service and
// push commit ([nsFixPRPushed]), before it queues the job; the job covers
// the recorded services, the services its branch's last commit names
// ([fixServicesTrailer]) and its payload's, on the newest head, and
// forgets exactly the records it read once it is done. A record written
// meanwhile has another key and waits for the next job.

// Settings of CONTRACTBOT_SOA_FIX_PULL_REQUESTS.
const (
	SOAFixPerService = "per-service"
	SOAFixPerPush    = "per-push"
)

// nsFixPRPushed is the state namespace of the services pushes to the soa
// repository changed, keyed "owner/repo/service@sha".
const nsFixPRPushed = "fix-pr-pushed"

// fixServicesTrailer names, in the App's per-push fix commit, the services
// that commit fixes: the services the next job looks at again.
const fixServicesTrailer = "Contractbot-Fix-Services: "

// stateStore returns q's record store, or nil.
func stateStore(q webhook.Queue) webhook.StateStore {
	s, _ := q.(webhook.StateStore)
	return s
}

// pushedKey is the record of service changed by the push of commit sha.
func pushedKey(owner, repo, service, sha string) string {
	return strings.ToLower(owner+"/"+repo) + "/" + service + "@" + sha
}

// parsePushedKey returns the service of a record key of owner/repo, ok
// false when the key is another repository's or not a record at all.
func parsePushedKey(owner, repo, key string) (service string, ok bool) {
	rest, ok := strings.CutPrefix(key, strings.ToLower(owner+"/"+repo)+"/")
	if !ok {
		return "", false
	}
	i := strings.LastIndexByte(rest, '@')
	if i < 0 {
		return "", false
	}
	service = rest[:i]
	return service, fixableService(service) && i+1 < len(rest)
}

// enqueuePush records the services the checked push j changed and queues
// the soa repository's one per-push fix pull request job.
func (p *FixPRs) enqueuePush(ctx context.Context, t webhook.Task, q webhook.Enqueuer, j checkJob, services []string) error {
	if len(services) == 0 {
		return nil
	}
	if p.Store != nil {
		for _, s := range services {
			if err := p.Store.PutState(ctx, nsFixPRPushed, pushedKey(j.Owner, j.Repo, s, j.SHA), []byte(j.SHA)); err != nil {
				return fmt.Errorf("record the services of %s/%s@%s: %w", j.Owner, j.Repo, j.SHA, err)
			}
		}
	}
	fj := fixPRJob{Installation: j.Installation, Owner: j.Owner, Repo: j.Repo, SHA: j.SHA, DefaultBranch: j.DefaultBranch,
		CheckRun: t.ID, Push: true, Services: services, Delivery: j.Delivery}
	payload, err := json.Marshal(fj)
	if err != nil {
		return fmt.Errorf("encode fix pull request job: %w", err)
	}
	key := KindFixPR + "/" + strings.ToLower(j.Owner+"/"+j.Repo)
	task := webhook.Task{ID: key + "@" + j.SHA, Key: key, Kind: KindFixPR, Payload: payload, NotBefore: p.reserve(j.Installation, p.clock())}
	if _, err := q.Enqueue(ctx, task); err != nil {
		return fmt.Errorf("enqueue the fix pull request job of %s/%s: %w", j.Owner, j.Repo, err)
	}
	return nil
}

// pushServices returns the services per-push job j covers, sorted: its
// payload's, the recorded ones (whose record keys it returns, to forget
// once the job is done) and those the App's last commit on FixBranch
// names. A commit someone else made names none: the job then leaves the
// branch alone anyway.
func (p *FixPRs) pushServices(ctx context.Context, client Client, j fixPRJob) (services, seen []string, err error) {
	set := map[string]bool{}
	for _, s := range j.Services {
		if fixableService(s) {
			set[s] = true
		}
	}
	if p.Store != nil {
		err := p.Store.ListState(ctx, nsFixPRPushed, func(key string, _ []byte) error {
			if s, ok := parsePushedKey(j.Owner, j.Repo, key); ok {
				set[s] = true
				seen = append(seen, key)
			}
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("the services pushes changed: %w", err)
		}
	}
	tip, typ, err := client.RefTarget(ctx, j.Owner, j.Repo, "refs/heads/"+j.branch())
	if err != nil {
		return nil, nil, err
	}
	if typ != "missing" {
		c, err := client.GetCommit(ctx, j.Owner, j.Repo, tip)
		if err != nil {
			return nil, nil, err
		}
		if ownFixCommit(c) {
			for _, s := range trailerServices(c.Message) {
				set[s] = true
			}
		}
	}
	for s := range set {
		services = append(services, s)
	}
	slices.Sort(services)
	return services, seen, nil
}

// forgetPushed deletes the records a finished job read.
func (p *FixPRs) forgetPushed(ctx context.Context, keys []string) error {
	for _, k := range keys {
		if err := p.Store.DeleteState(ctx, nsFixPRPushed, k); err != nil {
			return fmt.Errorf("forget the services of a push: %w", err)
		}
	}
	return nil
}

// trailerServices returns the services a fix commit message's
// [fixServicesTrailer] names, leaving out any that is not a service
// directory name.
func trailerServices(msg string) []string {
	var out []string
	for line := range strings.Lines(msg) {
		rest, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), fixServicesTrailer)
		if !ok {
			continue
		}
		for _, s := range strings.Fields(rest) {
			if fixableService(s) && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// pushFixes returns the fixes of each of services on tree, each confined
// to its service's directory, as soaFix computes them.
func (p *FixPRs) pushFixes(ctx context.Context, cfg *checks.Config, tree fs.FS, services []string) ([]fix.Change, []fix.Applied, error) {
	var changes []fix.Change
	var applied []fix.Applied
	for _, s := range services {
		if fi, err := fs.Stat(tree, s); err != nil || !fi.IsDir() {
			continue // the service's directory is gone: nothing to fix
		}
		out, err := p.soaFix(ctx, cfg, tree, s)
		if err != nil {
			return nil, nil, err
		}
		var mine []fix.Change
		for _, ch := range out.SOA {
			if !isLink(tree, ch.Path) && strings.HasPrefix(ch.Path, s+"/") {
				mine = append(mine, ch)
			}
		}
		if len(mine) == 0 {
			continue
		}
		changes = append(changes, mine...)
		for _, a := range out.Applied {
			if a.SOA && strings.HasPrefix(a.Finding.Path, s+"/") {
				applied = append(applied, a)
			}
		}
	}
	if len(services) > 0 {
		zerolog.Ctx(ctx).Debug().Strs("services", services).Int("changes", len(changes)).Msg("fix pull request: per-push fixes")
	}
	return changes, applied, nil
}

// servicesOf returns the service directories changes touch, sorted.
func servicesOf(changes []fix.Change) []string {
	var out []string
	for _, ch := range changes {
		if s, _, ok := strings.Cut(ch.Path, "/"); ok && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// serviceList names services in a pull request's description.
func serviceList(services []string) string {
	var b strings.Builder
	for i, s := range services {
		switch {
		case i == 0:
		case i == len(services)-1:
			b.WriteString(" and ")
		default:
			b.WriteString(", ")
		}
		b.WriteString("`" + strings.ReplaceAll(s, "`", "'") + "/`")
	}
	return b.String()
}
