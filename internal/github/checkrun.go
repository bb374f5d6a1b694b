package github

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/report"
)

// The names of contractbot's check runs, the one place they are written.
// Branch protection requires them by name, so they never change.
const (
	// DefaultCheckRunName is the contract's check run, and the name of a
	// [CheckRun] whose Name is empty.
	DefaultCheckRunName = "PaaSTA contract"
	// DeployRefCheckRunName is the deploy-ref guard's check run.
	DeployRefCheckRunName = "PaaSTA deploy ref"
)

// CheckRun is what [Client.PublishCheckRun] posts for one commit.
type CheckRun struct {
	Name       string // DefaultCheckRunName when empty
	HeadSHA    string
	ExternalID string         // the task id, to find the run again
	Result     *checks.Result // nil when Failure is set
	Rules      []*checks.Rule // for the "how to fix" text in the summary
	// WarningsConclusion is the conclusion when there are warnings but no
	// errors: "neutral" (the default), "success" or "failure".
	WarningsConclusion string
	DetailsURL         string

	// Annotate, when set, says which findings may become annotations; the
	// others appear in the summary only. Use it for findings whose path is not
	// in the checked repository (files of the soa repository), which GitHub
	// cannot place.
	Annotate func(checks.Finding) bool

	// Resume makes publishing idempotent for a task that may have run
	// before (a retry, or a task taken over from a replica that died): a
	// run with this Name and ExternalID already on HeadSHA is finished
	// instead of a second one being created. It costs one
	// checks/list-for-ref request, so set it on retries only. (Within one
	// call, a write whose answer was lost is always looked up before it is
	// sent again, Resume or not.)
	Resume bool

	// Failure, when set instead of Result, says why the commit could not
	// be checked at all (a tree GitHub truncates, a file over the size
	// limit): the run is completed as action_required with a summary that
	// says so and how to run the check again, so that a required check
	// never waits for a run that will not come.
	Failure error
}

// Conclusions GitHub accepts that contractbot uses.
const (
	ConclusionSuccess = "success"
	ConclusionNeutral = "neutral"
	ConclusionFailure = "failure"
)

// checkRunRequest is the body of POST /repos/{owner}/{repo}/check-runs and
// PATCH /repos/{owner}/{repo}/check-runs/{id}.
type checkRunRequest struct {
	Name        string          `json:"name,omitempty"`
	HeadSHA     string          `json:"head_sha,omitempty"`
	DetailsURL  string          `json:"details_url,omitempty"`
	ExternalID  string          `json:"external_id,omitempty"`
	Status      string          `json:"status,omitempty"`
	Conclusion  string          `json:"conclusion,omitempty"`
	StartedAt   string          `json:"started_at,omitempty"`
	CompletedAt string          `json:"completed_at,omitempty"`
	Output      *checkRunOutput `json:"output,omitempty"`
}

type checkRunOutput struct {
	Title       string       `json:"title"`
	Summary     string       `json:"summary"`
	Annotations []annotation `json:"annotations,omitempty"`
}

type annotation struct {
	Path            string `json:"path"`
	StartLine       int    `json:"start_line"`
	EndLine         int    `json:"end_line"`
	StartColumn     int    `json:"start_column,omitempty"`
	EndColumn       int    `json:"end_column,omitempty"`
	AnnotationLevel string `json:"annotation_level"`
	Message         string `json:"message"`
	Title           string `json:"title,omitempty"`
	RawDetails      string `json:"raw_details,omitempty"`
}

// PublishCheckRun posts run on owner/repo and returns the check run's id.
//
// With at most [MaxAnnotationsPerRequest] annotations the run is created
// directly as completed (one request). Otherwise it is created in progress
// with the first batch and updated with one batch of 50 per request, the
// last update completing it. At most [WithMaxAnnotations] findings become
// annotations, errors first; the summary counts the rest.
//
// Publishing is exactly once as long as run.ExternalID is set. A write
// whose answer was lost ([UncertainError]: a 5xx, a reset, a timeout) is
// never sent again blindly: the run is looked up first (by head SHA, name
// and external_id after a create, by id after an update, where
// output.annotations_count says which batches landed) and publishing goes
// on from what GitHub holds. A request GitHub refuses as invalid (422)
// still leaves a completed run: conclusion [ConclusionActionRequired]
// and a summary that says what went wrong and how to run the check again;
// the refusal is returned so that the task is dead-lettered.
func (c *Client) PublishCheckRun(ctx context.Context, owner, repo string, run CheckRun) (int64, error) {
	if !IsSHA(run.HeadSHA) {
		return 0, fmt.Errorf("publish check run on %s/%s: head sha %q is not a commit SHA", owner, repo, run.HeadSHA)
	}
	if run.Result == nil && run.Failure == nil {
		return 0, fmt.Errorf("publish check run on %s/%s@%s: neither a result nor a failure", owner, repo, run.HeadSHA)
	}
	out, err := renderCheckRun(run, c.apps.cfg.maxAnnotations)
	if err != nil {
		return 0, fmt.Errorf("publish check run on %s/%s@%s: %w", owner, repo, run.HeadSHA, err)
	}
	name := run.Name
	if name == "" {
		name = DefaultCheckRunName
	}
	p := &publisher{c: c, owner: owner, repo: repo, sha: run.HeadSHA, name: name, externalID: run.ExternalID,
		detailsURL: run.DetailsURL, out: out}
	var st runState
	if run.Resume && run.ExternalID != "" {
		prev, err := c.findCheckRun(ctx, owner, repo, run.HeadSHA, name, run.ExternalID)
		if err != nil {
			return 0, fmt.Errorf("publish check run on %s/%s@%s: %w", owner, repo, run.HeadSHA, err)
		}
		if prev != nil {
			st = prev.state()
		}
	}
	st, err = p.publish(ctx, st)
	if err != nil && refused(err) {
		return p.completeRefused(ctx, st, err)
	}
	return st.id, err
}

// ConclusionActionRequired is the conclusion of a run contractbot could not
// finish (GitHub refused part of it, or the commit could not be checked):
// its summary says why and how to run the check again.
const ConclusionActionRequired = "action_required"

// runState is what GitHub holds of a check run being published.
type runState struct {
	id          int64 // 0: not created
	annotations int   // annotations GitHub has, in the order sent
	completed   bool
}

// publisher sends one rendered check run in as many requests as it needs.
type publisher struct {
	c                                              *Client
	owner, repo, sha, name, externalID, detailsURL string
	out                                            rendered
}

func (p *publisher) base() string { return repoPath(p.owner, p.repo) + "/check-runs" }

// publish brings the run from st to completed. After a write whose outcome
// is unknown it waits a backoff, reads the run back and goes on from what
// GitHub holds; it gives up after the client's attempts.
func (p *publisher) publish(ctx context.Context, st runState) (runState, error) {
	cfg := &p.c.apps.cfg
	looked := 0
	for !st.completed {
		var err error
		if st.id == 0 {
			st, err = p.create(ctx)
		} else {
			st, err = p.update(ctx, st)
		}
		if err == nil {
			continue
		}
		if !IsUncertain(err) || ctx.Err() != nil || looked+1 >= cfg.maxAttempts || st.id == 0 && p.externalID == "" {
			return st, err
		}
		looked++
		if serr := cfg.clock.Sleep(ctx, cfg.backoff(looked)); serr != nil {
			return st, err
		}
		got, lerr := p.look(ctx, st)
		if lerr != nil {
			return st, fmt.Errorf("%w; then looking for the run: %w", err, lerr)
		}
		cfg.log.Debug().Err(err).Int64("check_run_id", got.id).Int("annotations", got.annotations).Bool("completed", got.completed).
			Msg("check run write answered with an error: read back what GitHub holds")
		st = got
	}
	return st, nil
}

// look reads back what GitHub holds of the run: by head SHA, name and
// external_id when no create is known to have landed, else by id.
func (p *publisher) look(ctx context.Context, st runState) (runState, error) {
	if st.id == 0 {
		prev, err := p.c.findCheckRun(ctx, p.owner, p.repo, p.sha, p.name, p.externalID)
		if err != nil || prev == nil {
			return runState{}, err
		}
		return prev.state(), nil
	}
	var r existingRun
	if err := p.c.do(ctx, http.MethodGet, p.base()+"/"+strconv.FormatInt(st.id, 10), nil, &r); err != nil {
		return st, fmt.Errorf("get check run %d: %w", st.id, err)
	}
	return r.state(), nil
}

// create posts the run with its first batch of annotations.
func (p *publisher) create(ctx context.Context) (runState, error) {
	now := p.c.apps.cfg.clock.Now().UTC().Format(time.RFC3339)
	first := p.out.annotations[:min(len(p.out.annotations), MaxAnnotationsPerRequest)]
	req := checkRunRequest{
		Name: p.name, HeadSHA: p.sha, DetailsURL: p.detailsURL, ExternalID: p.externalID, StartedAt: now,
		Output: &checkRunOutput{Title: p.out.title, Summary: p.out.summary, Annotations: first},
	}
	done := len(first) == len(p.out.annotations)
	if done {
		req.Status, req.Conclusion, req.CompletedAt = "completed", p.out.conclusion, now
	} else {
		req.Status = "in_progress"
	}
	var created struct {
		ID int64 `json:"id"`
	}
	if err := p.c.do(ctx, http.MethodPost, p.base(), req, &created); err != nil {
		return runState{}, fmt.Errorf("create check run on %s/%s@%s: %w", p.owner, p.repo, p.sha, err)
	}
	return runState{id: created.ID, annotations: len(first), completed: done}, nil
}

// update appends the next batch of annotations; the last one completes the
// run.
func (p *publisher) update(ctx context.Context, st runState) (runState, error) {
	rest := p.out.annotations[min(st.annotations, len(p.out.annotations)):]
	b := rest[:min(len(rest), MaxAnnotationsPerRequest)]
	upd := checkRunRequest{Output: &checkRunOutput{Title: p.out.title, Summary: p.out.summary, Annotations: b}}
	done := len(b) == len(rest)
	if done {
		upd.Status, upd.Conclusion = "completed", p.out.conclusion
		upd.CompletedAt = p.c.apps.cfg.clock.Now().UTC().Format(time.RFC3339)
	}
	if err := p.c.do(ctx, http.MethodPatch, p.base()+"/"+strconv.FormatInt(st.id, 10), upd, nil); err != nil {
		return st, fmt.Errorf("add annotations %d-%d to check run %d on %s/%s: %w",
			st.annotations+1, st.annotations+len(b), st.id, p.owner, p.repo, err)
	}
	return runState{id: st.id, annotations: st.annotations + len(b), completed: done}, nil
}

// refused reports whether GitHub rejected a request as invalid (422
// Unprocessable Entity, its answer to a body it will not take), which no
// retry changes.
func refused(err error) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusUnprocessableEntity
}

// completeRefused completes a run GitHub refused part of, so that it never
// stays in progress (a required check would block merging for good): the
// annotations that landed stay, the conclusion is action_required and the
// summary says what went wrong and how to re-run. It returns cause, which
// dead-letters the task.
func (p *publisher) completeRefused(ctx context.Context, st runState, cause error) (int64, error) {
	fail := *p
	fail.out = rendered{
		title:       truncateRunes("Not published completely: "+p.out.title, MaxAnnotationTitleChars),
		conclusion:  ConclusionActionRequired,
		summary:     refusedSummary(cause, st.annotations, len(p.out.annotations), p.out.summary),
		annotations: p.out.annotations[:min(st.annotations, len(p.out.annotations))],
	}
	st.completed = false
	got, err := fail.publish(ctx, st)
	if err != nil {
		return got.id, fmt.Errorf("%w; completing the run as action_required failed too: %v", cause, err)
	}
	return got.id, fmt.Errorf("%w (check run %d completed as action_required)", cause, got.id)
}

// refusedSummary explains a run GitHub refused part of, then gives the
// findings as the run would have.
func refusedSummary(cause error, landed, total int, findings string) string {
	var b strings.Builder
	b.WriteString("**contractbot could not publish this check completely: GitHub refused a request.**\n\n")
	b.WriteString("> " + MarkdownEscape(cause.Error()) + "\n\n")
	if total > 0 {
		fmt.Fprintf(&b, "%d of %d annotations were published before that; the findings are all listed below.\n\n", landed, total)
	}
	b.WriteString("To run the check again, press **Re-run** on this check (or push a new commit). " +
		"If it fails the same way, the App's operator finds the task with `contractbot dead-letters list`.\n\n---\n\n")
	b.WriteString(findings)
	return truncateSummary(b.String())
}

// existingRun is a check run found on GitHub, as much as resuming needs.
type existingRun struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	ExternalID string `json:"external_id"`
	Status     string `json:"status"`
	Output     struct {
		AnnotationsCount int `json:"annotations_count"`
	} `json:"output"`
}

func (r *existingRun) state() runState {
	return runState{id: r.ID, annotations: r.Output.AnnotationsCount, completed: r.Status == "completed"}
}

// findCheckRun returns the newest check run named name with externalID on
// sha, or nil when there is none (GET .../commits/{sha}/check-runs). Every
// page is read: a commit checked again and again has more than 100 runs
// of one name, and missing one makes a second run of the same check.
func (c *Client) findCheckRun(ctx context.Context, owner, repo, sha, name, externalID string) (*existingRun, error) {
	runs, err := listPages(func(page int) ([]existingRun, error) {
		q := url.Values{"check_name": {name}, "filter": {"all"}, "per_page": {strconv.Itoa(perPage)}, "page": {strconv.Itoa(page)}}
		var list struct {
			CheckRuns []existingRun `json:"check_runs"`
		}
		err := c.do(ctx, http.MethodGet, repoPath(owner, repo)+"/commits/"+sha+"/check-runs?"+q.Encode(), nil, &list)
		return list.CheckRuns, err
	})
	if err != nil {
		return nil, fmt.Errorf("list check runs: %w", err)
	}
	// GitHub lists the newest first; the first match is the one to finish.
	for i := range runs {
		if r := &runs[i]; r.Name == name && r.ExternalID == externalID {
			return r, nil
		}
	}
	return nil, nil
}

// rendered is a check run's output, computed once and sent in pieces.
type rendered struct {
	title       string
	summary     string
	conclusion  string
	annotations []annotation
}

// renderCheckRun computes the conclusion, title, summary and annotations.
func renderCheckRun(run CheckRun, maxAnnotations int) (rendered, error) {
	if run.Failure != nil && run.Result == nil {
		return rendered{
			title:      "Not checked",
			conclusion: ConclusionActionRequired,
			summary: truncateSummary("contractbot could not check this commit, so nothing was checked.\n\n> " +
				MarkdownEscape(run.Failure.Error()) + "\n\nTo run the check again, press **Re-run** on this check (or push a new commit). " +
				"If it fails the same way, the App's operator finds the task with `contractbot dead-letters list`.\n"),
		}, nil
	}
	warnConclusion := run.WarningsConclusion
	switch warnConclusion {
	case "":
		warnConclusion = ConclusionNeutral
	case ConclusionNeutral, ConclusionSuccess, ConclusionFailure:
	default:
		return rendered{}, fmt.Errorf("warnings conclusion %q: want neutral, success or failure", warnConclusion)
	}
	findings := slices.Clone(run.Result.Findings)
	errs, warns, notes := checks.Count(findings)
	r := rendered{title: Title(errs, warns, notes), conclusion: ConclusionSuccess}
	switch {
	case errs > 0:
		r.conclusion = ConclusionFailure
	case warns > 0:
		r.conclusion = warnConclusion
	}

	// Annotations: the most severe first, in the engine's order otherwise.
	byRule := make(map[string]*checks.Rule, len(run.Rules))
	for _, rl := range run.Rules {
		byRule[rl.ID] = rl
	}
	ordered := slices.Clone(findings)
	slices.SortStableFunc(ordered, func(a, b checks.Finding) int { return int(b.Severity) - int(a.Severity) })
	skipped := 0
	for _, f := range ordered {
		// GitHub places annotations on repository files only: findings about
		// no file (a ref name) or about another repository's file stay in
		// the summary.
		if f.Path == "" || !fs.ValidPath(f.Path) || f.Path == "." || run.Annotate != nil && !run.Annotate(f) {
			continue
		}
		if len(r.annotations) >= maxAnnotations {
			skipped++
			continue
		}
		r.annotations = append(r.annotations, toAnnotation(f, byRule[f.RuleID]))
	}
	r.summary = Summary(findings, run.Rules, skipped, maxAnnotations)
	return r, nil
}

func toAnnotation(f checks.Finding, rl *checks.Rule) annotation {
	a := annotation{
		Path:            f.Path,
		StartLine:       max(f.Line, 1),
		EndLine:         max(f.EndLine, f.Line, 1),
		AnnotationLevel: report.LevelOf(f.Severity).Annotation,
		Message:         truncateBytes(f.Message, MaxAnnotationMessageBytes),
		Title:           f.RuleID,
	}
	if rl != nil && rl.Title != "" {
		a.Title = f.RuleID + ": " + rl.Title
	}
	a.Title = truncateRunes(a.Title, MaxAnnotationTitleChars)
	// GitHub takes columns only on a one-line annotation.
	if f.Column > 0 && a.EndLine == a.StartLine {
		a.StartColumn, a.EndColumn = f.Column, max(f.EndColumn-1, f.Column)
	}
	if fix, ok := f.Fix(); ok {
		text := "Suggested fix: " + fix.Message
		for _, e := range fix.Edits {
			text += "\n" + e.NewText
		}
		a.RawDetails = truncateBytes(text, MaxAnnotationMessageBytes)
	}
	return a
}

// Title is the check run's title, e.g. "2 errors, 1 warning", or
// "No problems found".
func Title(errors, warnings, notices int) string {
	return cmp.Or(report.Counts(errors, warnings, notices), "No problems found")
}

// maxCellRunes bounds a message in the summary table, so that one huge
// message cannot push every other row out; the annotation has it whole.
const maxCellRunes = 500

// summaryReserve keeps room for the closing lines when rows are cut.
const summaryReserve = 512

// Summary renders the check run summary: a Markdown table with one row per
// file and rule (severity, lines, what to fix), then the rules' docs. It
// always fits in [MaxSummaryChars]; rows that do not fit are counted
// instead. Everything from the repository (paths, messages) is escaped.
// notAnnotated findings were left out of the annotations by the cap.
func Summary(findings []checks.Finding, rules []*checks.Rule, notAnnotated, maxAnnotations int) string {
	var b strings.Builder
	if len(findings) == 0 {
		b.WriteString("contractbot found nothing that breaks the PaaSTA contract.\n")
		return b.String()
	}
	byRule := make(map[string]*checks.Rule, len(rules))
	for _, rl := range rules {
		byRule[rl.ID] = rl
	}
	type group struct {
		path, rule string
		sev        checks.Severity
		lines      []int
		messages   []string
	}
	var groups []*group
	idx := map[[2]string]*group{}
	sorted := slices.Clone(findings)
	checks.SortFindings(sorted)
	for _, f := range sorted {
		k := [2]string{f.Path, f.RuleID}
		g := idx[k]
		if g == nil {
			g = &group{path: f.Path, rule: f.RuleID}
			idx[k] = g
			groups = append(groups, g)
		}
		g.sev = max(g.sev, f.Severity)
		g.lines = append(g.lines, f.Line)
		if !slices.Contains(g.messages, f.Message) {
			g.messages = append(g.messages, f.Message)
		}
	}
	errs, warns, notes := checks.Count(findings)
	fmt.Fprintf(&b, "contractbot found %s in %d places.\n\n", Title(errs, warns, notes), len(groups))
	b.WriteString("| File | Rule | Severity | Lines | How to fix |\n|---|---|---|---|---|\n")
	shown, cutFindings := 0, 0
	seenRules := []string{}
	docsLen := 20 // the docs of the rules shown so far, and their heading
	for i, g := range groups {
		newDoc := 0 // this row's rule's doc, if the row brings it in
		if rl := byRule[g.rule]; rl != nil && !slices.Contains(seenRules, g.rule) {
			newDoc = len(ruleDoc(rl))
		}
		msg := MarkdownEscape(truncateRunes(g.messages[0], maxCellRunes))
		if n := len(g.messages) - 1; n > 0 {
			msg += fmt.Sprintf(" (and %d other message%s)", n, plural(n))
		}
		file := MarkdownEscape(g.path)
		if g.path == "" {
			file = "(no file)"
		}
		row := fmt.Sprintf("| %s | %s | %s | %s | %s |\n", file, MarkdownEscape(g.rule),
			g.sev, lineList(g.lines), msg)
		if b.Len()+len(row) > MaxSummaryChars-summaryReserve-docsLen-newDoc {
			for _, rest := range groups[i:] {
				cutFindings += len(rest.lines)
			}
			break
		}
		b.WriteString(row)
		shown++
		if !slices.Contains(seenRules, g.rule) {
			seenRules = append(seenRules, g.rule)
			docsLen += newDoc
		}
	}
	if shown < len(groups) {
		fmt.Fprintf(&b, "\n%d more rows (%d findings) are not shown: the summary is limited to %d characters.\n",
			len(groups)-shown, cutFindings, MaxSummaryChars)
	}
	if notAnnotated > 0 {
		fmt.Fprintf(&b, "\n%d findings have no annotation: a check run gets at most %d.\n", notAnnotated, maxAnnotations)
	}
	var docs strings.Builder
	for _, id := range seenRules {
		if rl := byRule[id]; rl != nil {
			docs.WriteString(ruleDoc(rl))
		}
	}
	if docs.Len() > 0 && b.Len()+docs.Len()+20 <= MaxSummaryChars {
		b.WriteString("\n### Rules\n\n")
		b.WriteString(docs.String())
	}
	return truncateSummary(b.String())
}

// ruleDoc renders a rule's documentation. Rule docs are contractbot's own
// Markdown, not repository content, so they are not escaped; only line
// breaks are folded to keep each rule one list item.
func ruleDoc(rl *checks.Rule) string {
	oneLine := strings.NewReplacer("\r", " ", "\n", " ")
	return fmt.Sprintf("- **%s** (%s): %s\n", rl.ID, oneLine.Replace(rl.Title), oneLine.Replace(rl.Doc))
}

func lineList(lines []int) string {
	const show = 5
	var parts []string
	for i, l := range lines {
		if i == show {
			parts = append(parts, fmt.Sprintf("+%d more", len(lines)-show))
			break
		}
		parts = append(parts, strconv.Itoa(l))
	}
	return strings.Join(parts, ", ")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// MarkdownEscape is [report.MarkdownEscape], kept here for the many
// callers that render GitHub text.
func MarkdownEscape(s string) string { return report.MarkdownEscape(s) }

// truncateSummary is a last guard: the summary never exceeds the limit even
// if a single rule doc is enormous.
func truncateSummary(s string) string {
	if len(s) <= MaxSummaryChars {
		return s
	}
	const tail = "\n\n(summary truncated)\n"
	return truncateBytes(s, MaxSummaryChars-len(tail)) + tail
}

// truncateBytes cuts s to at most n bytes on a rune boundary.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
