package app

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/contractbot/contractbot/internal/checks"
	ghclient "github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/report"
)

// checkRunSink publishes a result as the commit's "PaaSTA contract" check
// run: the App's face of the sink layer, next to the CLI's formats and the
// hook's message.
type checkRunSink struct {
	client      Client
	owner, repo string
	run         ghclient.CheckRun // everything but the result
	// tree is the checked commit: GitHub places annotations only on its
	// files, so findings elsewhere (the soa repository) go to the summary.
	tree fs.FS
	id   int64 // the published run, after Post
}

var _ report.Sink = (*checkRunSink)(nil)

// Post implements [report.Sink].
func (s *checkRunSink) Post(ctx context.Context, r *checks.Result) error {
	run := s.run
	run.Result = r
	run.Annotate = func(f checks.Finding) bool {
		_, err := fs.Stat(s.tree, f.Path)
		return err == nil
	}
	id, err := s.client.PublishCheckRun(ctx, s.owner, s.repo, run)
	if err != nil {
		return fmt.Errorf("publish check run: %w", err)
	}
	s.id = id
	return nil
}

// reviewSink comments on a pull request's diff with a result's findings,
// as the repository's review_comments and review_event ask.
type reviewSink struct {
	r      *Reviewer
	client Client
	job    reviewJob
	files  []ghclient.PullFile
	tree   fs.FS
	cfg    *checks.Config
	mode   string

	plan  reviewPlan
	stats publishStats
}

var _ report.Sink = (*reviewSink)(nil)

// Post implements [report.Sink].
func (s *reviewSink) Post(ctx context.Context, r *checks.Result) error {
	j := s.job
	existing, err := s.client.ReviewComments(ctx, j.Owner, j.Repo, j.Number)
	if err != nil {
		return err
	}
	s.plan = planReview(r.Findings, s.tree, s.files, existing, s.mode, s.r.botLogin.Load())
	if s.plan.unread != nil {
		// Posting with fingerprints from a file not read would comment
		// again on what is commented on, and reply "Fixed" to what is
		// not: retry instead (a fresh check reads the tree again).
		return fmt.Errorf("review: %w", s.plan.unread)
	}
	if s.cfg.ReviewEvent == "request_changes" && s.plan.errors > 0 {
		s.plan.event = "REQUEST_CHANGES" // the repository asked for it (never the default)
	}
	s.stats, err = s.r.publish(ctx, s.client, j, s.plan)
	return err
}
