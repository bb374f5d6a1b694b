package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"

	"github.com/contractbot/contractbot/internal/checks"
	ghclient "github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/gitref"
	"github.com/contractbot/contractbot/internal/report"
	"github.com/contractbot/contractbot/internal/webhook"
	"github.com/google/go-github/v60/github"
	"github.com/prometheus/client_golang/prometheus"
)

// The deploy-ref guard. A webhook cannot stop a push on GitHub.com: the ref
// exists by the time the event arrives. So for every new tag under
// refs/tags/paasta- the guard checks the name against PaaSTA's grammar, the
// deploy group against the service's deploy.yaml, the target (a commit)
// and, with a registry, the image; it publishes a check run "PaaSTA deploy
// ref" on the tagged commit and, in delete mode only, deletes a malformed
// tag. Prevention at push time is GitHub's job: see `contractbot rulesets`.

// KindRefGuard is the queue kind of a deploy-ref guard job.
const KindRefGuard = "refguard"

// RefCheckName is the name of the guard's check run.
const RefCheckName = ghclient.DeployRefCheckRunName

// Deploy-ref actions (CONTRACTBOT_DEPLOY_REF_ACTION).
const (
	// RefActionReport publishes a failing check run and leaves the ref.
	RefActionReport = "report"
	// RefActionDelete also deletes a malformed ref; the App then needs the
	// contents: write permission.
	RefActionDelete = "delete"
)

// refGuardJob is the payload of a [KindRefGuard] task.
type refGuardJob struct {
	Installation int64  `json:"installation"`
	Owner        string `json:"owner"`
	Repo         string `json:"repo"`
	Ref          string `json:"ref"`              // full name, refs/tags/paasta-...
	Commit       string `json:"commit,omitempty"` // the tagged commit, when the event says
	Event        string `json:"event"`
	Delivery     string `json:"delivery"`
}

// guarded reports whether a new ref is the guard's business: every tag
// under refs/tags/paasta- is either a PaaSTA tag or a malformed one.
// Branches are not: PaaSTA has not deployed from branches since 2016.
func guarded(ref string) bool { return strings.HasPrefix(ref, gitref.TagPrefix) }

// enqueueRefGuard stores a guard job. The create and push events of one tag
// share the key, so they never run at once; the job itself skips a ref and
// target it has already judged.
func enqueueRefGuard(ctx context.Context, q Enqueuer, j refGuardJob) (bool, error) {
	p, err := json.Marshal(j)
	if err != nil {
		return false, fmt.Errorf("encode ref guard job: %w", err)
	}
	key := "refguard/" + strings.ToLower(j.Owner+"/"+j.Repo) + ":" + j.Ref
	dup, err := q.Enqueue(ctx, webhook.Task{ID: key + "/" + j.Event + "/" + j.Delivery, Key: key, Kind: KindRefGuard, Payload: p})
	if err != nil {
		return false, fmt.Errorf("enqueue ref guard of %s/%s %s: %w", j.Owner, j.Repo, j.Ref, err)
	}
	return dup, nil
}

// RefGuardHandler handles create events of tags. Push events of new tags
// reach the guard through [PushHandler].
type RefGuardHandler struct{ *Base }

// Handles implements [EventHandler].
func (RefGuardHandler) Handles() []string { return []string{"create"} }

// Handle implements [EventHandler].
func (h RefGuardHandler) Handle(ctx context.Context, eventType, deliveryID string, payload []byte, q Enqueuer) error {
	var ev github.CreateEvent
	if err := decodeEvent(payload, &ev); err != nil {
		return err
	}
	if ev.GetRefType() != "tag" || !guarded("refs/tags/"+ev.GetRef()) {
		return nil
	}
	r := ev.GetRepo()
	ctx, logger, at, err := prepareEvent(ctx, ev.Installation, r.GetOwner(), r.GetName(), r.GetFullName())
	if err != nil {
		return err
	}
	inst, owner, name := at.installation, at.owner, at.name
	if h.fromSelf(ev.GetSender()) {
		return nil
	}
	j := refGuardJob{Installation: inst, Owner: owner, Repo: name, Ref: "refs/tags/" + ev.GetRef(), Event: eventType, Delivery: deliveryID}
	dup, err := enqueueRefGuard(ctx, q, j)
	if err != nil {
		return err
	}
	logger.Debug().Str("ref", j.Ref).Bool("duplicate", dup).Msg("ref guard enqueued")
	return nil
}

// guardPush enqueues the guard for a push event that created a PaaSTA tag;
// it reports whether the push was one.
func (b *Base) guardPush(ctx context.Context, ev *github.PushEvent, eventType, deliveryID string, q Enqueuer) (bool, error) {
	if !ev.GetCreated() || ev.GetDeleted() || !guarded(ev.GetRef()) {
		return false, nil
	}
	inst, err := installationID(ev.Installation)
	if err != nil {
		return true, err
	}
	r := ev.GetRepo()
	owner, name, err := repoName(r.GetOwner(), r.GetName(), r.GetFullName())
	if err != nil {
		return true, err
	}
	if b.fromSelf(ev.GetSender()) {
		return true, nil
	}
	j := refGuardJob{Installation: inst, Owner: owner, Repo: name, Ref: ev.GetRef(), Commit: ev.GetHeadCommit().GetID(), Event: eventType, Delivery: deliveryID}
	_, err = enqueueRefGuard(ctx, q, j)
	return true, err
}

// RefGuardClient is what the guard needs from GitHub beyond the check
// job's calls.
type RefGuardClient interface {
	RefTarget(ctx context.Context, owner, repo, ref string) (sha, typ string, err error)
	DeleteRef(ctx context.Context, owner, repo, ref string) error
	PublishSimpleCheckRun(ctx context.Context, owner, repo string, run ghclient.SimpleCheckRun) (int64, error)
}

// RefGuard is the guard job.
type RefGuard struct {
	*Checker
	// Action is RefActionReport (the default) or RefActionDelete.
	Action string
	// Images, when set, is the registry a deploy ref's image must be in.
	Images checks.Images

	refs *prometheus.CounterVec

	mu     sync.Mutex
	judged map[string]bool // "owner/repo ref@sha" already reported
}

// maxJudged bounds the memory of judged refs; past it, it starts over (a
// duplicate check run at worst).
const maxJudged = 10000

// NewRefGuard returns the guard; its metric is registered with reg when
// reg is not nil.
func NewRefGuard(c *Checker, action string, images checks.Images, reg prometheus.Registerer) (*RefGuard, error) {
	switch action {
	case "":
		action = RefActionReport
	case RefActionReport, RefActionDelete:
	default:
		return nil, fmt.Errorf("CONTRACTBOT_DEPLOY_REF_ACTION is %q; want report or delete", action)
	}
	refs, err := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "contractbot_app_deploy_refs_total",
		Help: "New PaaSTA deploy refs judged by the guard, by result (ok, malformed, deleted, delete_failed).",
	}, []string{"result"}), nil)
	if err != nil {
		return nil, err
	}
	return &RefGuard{Checker: c, Action: action, Images: images, judged: map[string]bool{}, refs: refs}, nil
}

// knownTarget is [checks.RefObjects] over the one ref the guard looked up.
type knownTarget struct{ ref, sha, typ string }

func (k knownTarget) RefTarget(_ context.Context, ref string) (string, string, error) {
	if ref != k.ref {
		return "", "missing", nil
	}
	return k.sha, k.typ, nil
}

// Run runs one task of its kind.
func (g *RefGuard) Run(ctx context.Context, t webhook.Task) error {
	var j refGuardJob
	if err := json.Unmarshal(t.Payload, &j); err != nil || j.Owner == "" || j.Repo == "" || !guarded(j.Ref) || j.Installation == 0 {
		return webhook.Permanent(fmt.Errorf("%w: ref guard task %s: %v", ErrBadPayload, t.ID, err))
	}
	ctx, logger := prepareRepoContext(ctx, j.Installation, j.Owner, j.Repo)
	logger = logger.With().Str("ref", j.Ref).Str(logTaskID, t.ID).Str(logDeliveryID, j.Delivery).Str(logEventType, j.Event).Logger()
	ctx = logger.WithContext(ctx)
	c, err := g.Clients.Installation(ctx, j.Installation)
	if err != nil {
		return fmt.Errorf("installation %d: %w", j.Installation, err)
	}
	client := c
	sha, typ, err := client.RefTarget(ctx, j.Owner, j.Repo, j.Ref)
	if err != nil {
		return permanentIfHopeless(err)
	}
	if typ == "missing" {
		logger.Debug().Msg("ref is gone already: nothing to guard")
		return nil
	}
	commit := j.Commit
	if typ == "commit" {
		commit = sha
	}
	seen := strings.ToLower(j.Owner+"/"+j.Repo) + " " + j.Ref + "@" + sha
	g.mu.Lock()
	done := g.judged[seen]
	g.mu.Unlock()
	if done {
		logger.Debug().Msg("ref judged already (create and push events of one tag)")
		return nil
	}

	findings, err := g.judge(ctx, client, j, knownTarget{j.Ref, sha, typ}, commit)
	if err != nil {
		return permanentIfHopeless(err)
	}
	sink := &deployRefSink{client: client, owner: j.Owner, repo: j.Repo, ref: j.Ref, target: sha, commit: commit, action: g.Action}
	if err := report.Publish(ctx, sink, &checks.Result{Service: j.Ref, OK: len(findings) == 0, Findings: findings}); err != nil {
		return permanentIfHopeless(err)
	}
	result, delErr, runID := sink.result, sink.delErr, sink.id
	g.mu.Lock()
	if len(g.judged) >= maxJudged {
		g.judged = map[string]bool{}
	}
	g.judged[seen] = true
	g.mu.Unlock()
	g.refs.WithLabelValues(result).Inc()
	ev := logger.Info()
	if len(findings) > 0 {
		ev = logger.Warn()
		msgs := make([]string, len(findings))
		for i, f := range findings {
			msgs[i] = f.RuleID + ": " + f.Message
		}
		ev = ev.Strs("problems", msgs)
	}
	ev.Str("result", result).Str("target", sha).Str("target_type", typ).Int64("check_run_id", runID).
		AnErr("delete_error", delErr).Msg("deploy ref judged")
	return nil
}

// judge runs the ref rules over the one ref, with the service's deploy.yaml
// when a soa tree is known.
func (g *RefGuard) judge(ctx context.Context, client Client, j refGuardJob, target knownTarget, commit string) ([]checks.Finding, error) {
	cj := checkJob{Installation: j.Installation, Owner: j.Owner, Repo: j.Repo, SHA: commit, Event: j.Event, Delivery: j.Delivery}
	if cj.SHA == "" {
		cj.SHA = target.sha // never the (unknown, empty) default branch head: config reads that branch
	}
	cfg, err := g.config(ctx, client, cj, nil)
	if err != nil {
		return nil, err
	}
	// A soa_dir is read from the deploy's commit; without one (an
	// annotated tag whose commit is unknown) the soa tree is unknown too.
	var tree fs.FS
	if cfg.Problem == nil && cfg.SOADir != "" && ghclient.IsSHA(commit) {
		if tree, err = client.Tree(ctx, j.Owner, j.Repo, commit); err != nil {
			return nil, fmt.Errorf("tree of %s: %w", commit, err)
		}
	}
	t, err := g.target(ctx, client, cj, tree, cfg, checks.Options{Refs: []string{j.Ref}, RefObjects: target, Images: g.Images})
	if err != nil {
		return nil, err
	}
	res, err := g.Engine.Subset(checks.ReadsRefs).Run(ctx, t)
	if err != nil {
		return nil, fmt.Errorf("check %s: %w", j.Ref, err)
	}
	var out []checks.Finding
	for _, f := range res.Findings {
		if f.Severity == checks.SeverityError && (strings.HasPrefix(f.RuleID, "ref.") || f.RuleID == "config.invalid") {
			out = append(out, f)
		}
	}
	return out, nil
}

// deployRefSink publishes the guard's verdict on one ref: it deletes a
// malformed tag in delete mode, then posts the "PaaSTA deploy ref" check
// run on the deploy's commit (when the commit is known).
type deployRefSink struct {
	client                   Client
	owner, repo, ref, target string
	commit, action           string
	result                   string // ok, malformed, deleted or delete_failed, after Post
	delErr                   error
	id                       int64
}

var _ report.Sink = (*deployRefSink)(nil)

// Post implements [report.Sink].
func (s *deployRefSink) Post(ctx context.Context, r *checks.Result) error {
	deleted := false
	s.result = "ok"
	if len(r.Findings) > 0 {
		s.result = "malformed"
		// A tag is deleted for what is wrong with it, never for a broken
		// .contractbot.yaml alone.
		if s.action == RefActionDelete && slices.ContainsFunc(r.Findings, func(f checks.Finding) bool { return f.RuleID != "config.invalid" }) {
			if s.delErr = s.client.DeleteRef(ctx, s.owner, s.repo, s.ref); s.delErr == nil {
				s.result, deleted = "deleted", true
			} else {
				s.result = "delete_failed"
			}
		}
	}
	if !ghclient.IsSHA(s.commit) {
		return nil // an annotated tag whose commit is unknown: nowhere to post
	}
	run := refCheckRun(s.ref, r.Findings, s.action, deleted, s.delErr)
	// One run per ref and target, however many events (create, push),
	// replicas or restarts judge it.
	run.ExternalID, run.Once, run.HeadSHA = "deploy-ref "+s.ref+"@"+s.target, true, s.commit
	var err error
	s.id, err = s.client.PublishSimpleCheckRun(ctx, s.owner, s.repo, run)
	return err
}

// refCheckRun renders the guard's check run.
func refCheckRun(ref string, findings []checks.Finding, action string, deleted bool, delErr error) ghclient.SimpleCheckRun {
	run := ghclient.SimpleCheckRun{Name: RefCheckName}
	name := ghclient.MarkdownEscape(ref)
	if len(findings) == 0 {
		run.Conclusion, run.Title = ghclient.ConclusionSuccess, "Well-formed deploy ref"
		run.Summary = name + " is a well-formed PaaSTA ref: its name, deploy group and target pass every check contractbot can make here.\n"
		return run
	}
	run.Conclusion, run.Title = ghclient.ConclusionFailure, "Malformed deploy ref"
	var b strings.Builder
	fmt.Fprintf(&b, "%s is not a deploy ref PaaSTA can use: pushing it deploys nothing.\n\n", name)
	b.WriteString("| Rule | Problem and fix |\n|---|---|\n")
	for _, f := range findings {
		fmt.Fprintf(&b, "| %s | %s |\n", ghclient.MarkdownEscape(f.RuleID), ghclient.MarkdownEscape(f.Message))
	}
	b.WriteString("\n")
	switch {
	case deleted:
		run.Title += ": deleted"
		b.WriteString("contractbot **deleted** this tag (CONTRACTBOT\\_DEPLOY\\_REF\\_ACTION=delete). Push a corrected tag, " +
			"preferably with `paasta mark-for-deployment`.\n")
	case action == RefActionDelete:
		fmt.Fprintf(&b, "contractbot could **not delete** this tag: %s. Delete it yourself: git push origin \\-\\-delete %s\n",
			ghclient.MarkdownEscape(delErr.Error()), ghclient.MarkdownEscape(ref))
	default:
		fmt.Fprintf(&b, "The tag was left in place (CONTRACTBOT\\_DEPLOY\\_REF\\_ACTION=report). Delete it with "+
			"git push origin \\-\\-delete %s (then push a corrected one, preferably with `paasta mark-for-deployment`).\n", ghclient.MarkdownEscape(ref))
	}
	b.WriteString("\nTo refuse such names at push time, create the ruleset that `contractbot rulesets` prints.\n")
	run.Summary = b.String()
	return run
}
