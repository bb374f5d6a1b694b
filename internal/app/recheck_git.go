package app

import (
	"context"

	"github.com/rs/zerolog"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/webhook"
)

// A push to the soa repository's default branch whose payload lists 20
// commits (GitHub's cap) names no files, so the push handler cannot tell
// which services' repositories to re-check (push.go). Through the mirror
// the check of that push computes the changed services from git instead
// (runSOAFromMirror); once it is done, runCheckTask hands them here, and
// they get the re-checks and the fix pull request jobs the payload's
// lists would have given them.
//
// The re-check tasks have the ids the push handler gives (enqueueRecheck),
// so a service both name is re-checked once, and a check task retried
// after this ran enqueues nothing new. They are enqueued before the check
// task returns, so they are durable before it is acknowledged.
//
// They carry no NotBefore of their own, as onboarding's tasks do not: each
// costs a few requests through the installation's client, which waits out
// GitHub's rate limit rather than failing, so 2,000 of them spend the
// installation's budget over the hour or two it takes, and the tasks wait
// in the queue meanwhile (BENCHMARKS.md, onboarding throughput).

// recheckGitServices enqueues the re-checks of the services git found
// that soa push j changed (e.gitServices) and returns the services whose
// fix pull requests the check's job covers: git's, or the payload's when
// git did not say.
func (c *Checker) recheckGitServices(ctx context.Context, q webhook.Enqueuer, j checkJob, e *checked) ([]string, error) {
	if e.gitServices == nil {
		if j.Services == nil && j.Event == "push" {
			// Through the mirror, the push's before is new or gone:
			// every service was checked on the soa commit, but
			// re-checking the repository of every service for one push
			// would spend the whole budget; the sweep re-checks them.
			// Without it, the run says so (addServicesUnknown).
			zerolog.Ctx(ctx).Info().Str(logSHA, j.SHA).
				Msg("soa push: the changed services are unknown (no commit before it, or no git mirror); their repositories are not re-checked")
		}
		return j.Services, nil
	}
	for _, svc := range e.gitServices {
		if err := enqueueRecheck(ctx, q, recheckJob{Installation: j.Installation, SOAOwner: j.Owner, SOARepo: j.Repo, SOASHA: j.SHA,
			Service: svc, Delivery: j.Delivery}); err != nil {
			return nil, err
		}
	}
	zerolog.Ctx(ctx).Debug().Str(logSHA, j.SHA).Int("services", len(e.gitServices)).Msg("soa push: re-checks of the services git says it changed enqueued")
	return e.gitServices, nil
}

// Without the mirror nothing can name those services: the check of such a
// push runs the repository-wide rules only and no re-check follows. It
// says so in its run (soa.changed-services), since a run that found
// nothing in the services it could not name must not read "no problems".

// addServicesUnknown adds the soa.changed-services notice to res, the
// check through the REST API of soa push j, when the push's payload did
// not list its files (j.Services nil) and cfg leaves the rule on.
func addServicesUnknown(j checkJob, cfg *checks.Config, res *checks.Result) {
	if !j.SOA || j.Event != "push" || j.Services != nil || res == nil || cfg == nil || cfg.Problem != nil {
		return
	}
	sev := checks.SeverityNotice
	if s, ok := cfg.Rules[checks.ChangedServicesRuleID]; ok {
		sev = s.Severity
	}
	if sev == checks.SeverityOff {
		return
	}
	msg := "This push's payload does not say which services it changed (GitHub lists at most 20 commits of a push, " +
		"and the files of none when it lists no commit), and without a git mirror of the soa repository contractbot " +
		"cannot tell: it checked only the repository-wide rules of this commit"
	if j.DefaultSHA != "" {
		msg += ", and re-checked no service's repository"
	}
	msg += ". Enable the App's git mirror (git installed, CONTRACTBOT_GIT_CACHE_BYTES not 0) to have every changed " +
		"service checked, or push fewer than 20 commits at a time."
	res.Findings = append(res.Findings, checks.Finding{RuleID: checks.ChangedServicesRuleID, Severity: sev, Message: msg})
	checks.SortFindings(res.Findings)
	errs, _, _ := checks.Count(res.Findings)
	res.OK = errs == 0
}
