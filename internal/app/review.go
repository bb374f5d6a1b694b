package app

import (
	"bufio"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/diff"
	ghclient "github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/report"
	"github.com/contractbot/contractbot/internal/webhook"
)

// KindReview is the queue kind of a review job: comment on the lines of a
// pull request's diff that break the contract.
const KindReview = "review"

// MaxReviewComments is how many comments one run posts at most, errors
// first; the rest stay in the check run. GitHub documents no limit per
// review, but a wall of comments hides the ones that matter (reviewdog
// uses the same number).
const MaxReviewComments = 30

// Markers hidden in contractbot's comments. The fingerprint identifies a
// finding across pushes without its line number; the fixed marker tags the
// reply that closes a thread.
const (
	fingerprintMarker = "<!-- contractbot:fp="
	fixedMarker       = "<!-- contractbot:fixed -->"
)

var fingerprintRE = regexp.MustCompile(`<!-- contractbot:fp=([0-9a-f]{16,64}) -->`)

// reviewJob is the payload of a [KindReview] task.
type reviewJob struct {
	checkJob
	Number int `json:"number"`
}

// reviewTaskID names the review of one head of a pull request: a redelivered
// event makes no second review.
func reviewTaskID(owner, repo string, number int, sha string) string {
	return "review/" + strings.ToLower(owner+"/"+repo) + "#" + strconv.Itoa(number) + "@" + sha
}

// enqueueReview stores the review job of pull request number at j.SHA. The
// key is the pull request, so two reviews of it never run at once (they
// would both post the same comments) and a pending one is replaced by the
// newer head's.
func enqueueReview(ctx context.Context, q Enqueuer, j checkJob, number int) (bool, error) {
	p, err := json.Marshal(reviewJob{checkJob: j, Number: number})
	if err != nil {
		return false, fmt.Errorf("encode review job: %w", err)
	}
	key := "review/" + strings.ToLower(j.Owner+"/"+j.Repo) + "#" + strconv.Itoa(number)
	dup, err := q.Enqueue(ctx, webhook.Task{ID: reviewTaskID(j.Owner, j.Repo, number, j.SHA), Key: key, Kind: KindReview, Payload: p})
	if err != nil {
		return false, fmt.Errorf("enqueue review of %s/%s#%d: %w", j.Owner, j.Repo, number, err)
	}
	return dup, nil
}

// ReviewClient is what the review job needs from GitHub beyond the
// check job's calls.
type ReviewClient interface {
	PullHead(ctx context.Context, owner, repo string, number int) (sha string, open bool, err error)
	PullFiles(ctx context.Context, owner, repo string, number int) ([]ghclient.PullFile, error)
	ReviewComments(ctx context.Context, owner, repo string, number int) ([]ghclient.ReviewComment, error)
	CreateReview(ctx context.Context, owner, repo string, number int, rv ghclient.Review) (int64, error)
	CreateFileComment(ctx context.Context, owner, repo string, number int, commitID, path, body string) (int64, error)
	ReplyToComment(ctx context.Context, owner, repo string, number int, commitID, path string, id int64, body string) (int64, error)
}

// Reviewer is the review job: it checks a pull request's head as the check
// job does and comments, as a reviewer would, on the lines of the diff that
// break the contract, with a suggestion where the fix is mechanical.
type Reviewer struct {
	*Checker
}

// Run runs one task of its kind.
func (r *Reviewer) Run(ctx context.Context, t webhook.Task) error {
	var j reviewJob
	if err := json.Unmarshal(t.Payload, &j); err != nil || j.Owner == "" || j.Repo == "" || j.SHA == "" || j.Installation == 0 || j.Number <= 0 {
		return webhook.Permanent(fmt.Errorf("%w: review task %s: %v", ErrBadPayload, t.ID, err))
	}
	ctx, logger := prepareRepoContext(ctx, j.Installation, j.Owner, j.Repo)
	logger = logger.With().Str(logSHA, j.SHA).Int(logPRNum, j.Number).Str(logTaskID, t.ID).Str(logDeliveryID, j.Delivery).Logger()
	ctx = logger.WithContext(ctx)

	c, err := r.Clients.Installation(ctx, j.Installation)
	if err != nil {
		return fmt.Errorf("installation %d: %w", j.Installation, err)
	}
	client := c
	head, open, err := client.PullHead(ctx, j.Owner, j.Repo, j.Number)
	if err != nil {
		return permanentIfHopeless(err)
	}
	if !open || head != j.SHA {
		logger.Debug().Str("head", head).Bool("open", open).Msg("pull request moved on or closed: review skipped")
		return nil
	}
	files, err := client.PullFiles(ctx, j.Owner, j.Repo, j.Number)
	if errors.Is(err, ghclient.ErrListTooLong) {
		// GitHub lists at most 3,000 files of a pull request. With the
		// rest of the diff unknown no finding can be placed in or out
		// of it (nor, in a soa repository, the changed services be
		// known), so there is no review; the commit's check run has
		// every finding, and no retry would list more.
		logger.Info().Err(err).Msg("review skipped: the pull request has more files than GitHub lists; the check run has every finding")
		return nil
	}
	if err != nil {
		return permanentIfHopeless(err)
	}
	if j.SOA {
		j.Services = changedDirs(files)
	}
	// The findings of the commit's check run, not a second run of the
	// engine that could see another soa tree or configuration. A retry
	// checks afresh: what failed may be the kept check's tree (a lazy
	// read after its task ended, see reviewSink.Post).
	done, err := r.check(ctx, client, j.checkJob, t.Attempts > 1)
	if err != nil {
		return permanentIfHopeless(err)
	}
	res, tree, cfg := done.res, done.tree, done.cfg
	if cfg.Problem != nil {
		return nil // the check run says what is wrong with the configuration
	}
	mode := "all"
	if cfg.ReviewComments != "" {
		mode = cfg.ReviewComments
	}
	if mode == "off" {
		logger.Info().Msg("review skipped: review_comments is off")
		return nil
	}
	sink := &reviewSink{r: r, client: client, job: j, files: files, tree: tree, cfg: cfg, mode: mode}
	err = report.Publish(ctx, sink, res)
	plan, st := sink.plan, sink.stats
	logger.Info().Int("line_comments", st.lines).Int("file_comments", st.files).Int("fixed", st.fixed).
		Int("already_commented", plan.unchanged).Int("not_in_diff", plan.outside).Int("over_limit", plan.overLimit).
		AnErr("error", err).Msg("review published")
	return permanentIfHopeless(err)
}

// changedDirs returns the top-level directories a pull request touches (the
// services of a soa repository).
func changedDirs(files []ghclient.PullFile) []string {
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.Path
	}
	return serviceDirs(paths)
}

// reviewPlan is what one run posts.
type reviewPlan struct {
	lines     []ghclient.LineComment
	files     []ghclient.LineComment // file-level: Path and Body only
	fixed     []ghclient.ReviewComment
	unchanged int // findings already commented on
	outside   int // findings outside the diff: check run only
	overLimit int // findings over MaxReviewComments
	errors    int // line comments about error-level findings
	event     string
	// unread is why a file that findings point into could not be read:
	// their fingerprints would be wrong, so nothing is to be posted.
	unread error
}

func (p *reviewPlan) countError(f checks.Finding) {
	if f.Severity == checks.SeverityError {
		p.errors++
	}
}

type publishStats struct{ lines, files, fixed int }

func (r *Reviewer) publish(ctx context.Context, client ReviewClient, j reviewJob, p reviewPlan) (publishStats, error) {
	var st publishStats
	if len(p.lines) > 0 {
		body := fmt.Sprintf("contractbot found %d problem%s with the PaaSTA contract on lines this pull request changes.", len(p.lines), plural(len(p.lines)))
		if p.overLimit > 0 {
			body += fmt.Sprintf(" %d more are listed in the %q check run only.", p.overLimit, CheckName)
		}
		event := cmp.Or(p.event, "COMMENT")
		if _, err := client.CreateReview(ctx, j.Owner, j.Repo, j.Number, ghclient.Review{CommitID: j.SHA, Body: body, Event: event, Comments: p.lines}); err != nil {
			return st, err
		}
		st.lines = len(p.lines)
	}
	for _, f := range p.files {
		if _, err := client.CreateFileComment(ctx, j.Owner, j.Repo, j.Number, j.SHA, f.Path, f.Body); err != nil {
			return st, err
		}
		st.files++
	}
	for _, c := range p.fixed {
		body := fmt.Sprintf("Fixed in %s: contractbot no longer finds this problem.\n\n%s", j.SHA, fixedMarker)
		if _, err := client.ReplyToComment(ctx, j.Owner, j.Repo, j.Number, j.SHA, c.Path, c.ID, body); err != nil {
			return st, err
		}
		st.fixed++
	}
	return st, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// planReview decides what to post, in reviewdog's terms: a finding whose
// lines are inside one hunk of the diff (RIGHT side) becomes a line comment,
// one in a changed file but outside its hunks a file-level comment, any
// other stays in the check run. A finding already commented on (same
// fingerprint, thread not closed) is not commented again, wherever it moved;
// an open thread whose finding is gone gets a "Fixed" reply.
func planReview(findings []checks.Finding, tree fs.FS, files []ghclient.PullFile, existing []ghclient.ReviewComment, mode string, bot *string) reviewPlan {
	var p reviewPlan
	byPath := map[string]*ghclient.PullFile{}
	for i := range files {
		byPath[files[i].Path] = &files[i]
	}
	// Threads contractbot opened, by fingerprint, and whether closed.
	open := map[string]ghclient.ReviewComment{}
	closed := map[int64]bool{}
	for _, c := range existing {
		if c.InReplyTo != 0 && strings.Contains(c.Body, fixedMarker) && ours(c, bot) {
			closed[c.InReplyTo] = true
		}
	}
	for _, c := range existing {
		if c.InReplyTo != 0 || !ours(c, bot) || closed[c.ID] {
			continue
		}
		if m := fingerprintRE.FindStringSubmatch(c.Body); m != nil {
			if _, dup := open[m[1]]; !dup {
				open[m[1]] = c
			}
		}
	}

	ordered := slices.Clone(findings)
	slices.SortStableFunc(ordered, func(a, b checks.Finding) int { return int(b.Severity) - int(a.Severity) })
	current := map[string]bool{}
	seen := map[string]int{}
	lines := fileLines(tree, &p.unread)
	for _, f := range ordered {
		fp := fingerprint(f, lines, seen)
		current[fp] = true
		if mode == "errors" && f.Severity != checks.SeverityError {
			continue
		}
		if _, done := open[fp]; done {
			p.unchanged++
			continue
		}
		if lc, ok := fixElsewhere(f, byPath, fp); ok {
			// e.g. an instance whose deploy group is missing from
			// deploy.yaml, while the pull request touches deploy.yaml's
			// pipeline: the suggestion goes where the edit is.
			if len(p.lines)+len(p.files) >= MaxReviewComments {
				p.overLimit++
				continue
			}
			p.lines = append(p.lines, lc)
			p.countError(f)
			continue
		}
		pf := byPath[f.Path]
		if pf == nil || f.Path == "" {
			p.outside++
			continue
		}
		if len(p.lines)+len(p.files) >= MaxReviewComments {
			p.overLimit++
			continue
		}
		if lc, ok := lineComment(f, pf.Hunks, fp); ok {
			p.lines = append(p.lines, lc)
			p.countError(f)
		} else {
			p.files = append(p.files, ghclient.LineComment{Path: f.Path, Body: commentBody(f, "", false, fp)})
		}
	}
	// Fixed: open threads whose finding is no longer found anywhere (a
	// finding still there but outside the diff is not fixed).
	for fp, c := range open {
		if !current[fp] {
			p.fixed = append(p.fixed, c)
		}
	}
	slices.SortFunc(p.fixed, func(a, b ghclient.ReviewComment) int { return cmp.Compare(a.ID, b.ID) })
	return p
}

// ours reports whether c was written by this App: by its bot user when its
// login is known, else by any bot (the marker alone is plain text anyone
// could paste).
func ours(c ghclient.ReviewComment, bot *string) bool {
	if bot != nil && *bot != "" {
		return strings.EqualFold(c.User, *bot)
	}
	return strings.HasSuffix(c.User, "[bot]")
}

// suggestion is the edit of f's preferred fix when a GitHub suggestion
// block can carry it: one whole-line edit.
func suggestion(f checks.Finding) (checks.TextEdit, bool) {
	fix, ok := f.Fix()
	if !ok {
		return checks.TextEdit{}, false
	}
	return fix.LineEdit()
}

// fixElsewhere places a comment with f's suggestion on the lines its fix
// edits when those are in another file of the diff, inside one hunk. The
// message names the finding's own place, since the comment is not there.
func fixElsewhere(f checks.Finding, byPath map[string]*ghclient.PullFile, fp string) (ghclient.LineComment, bool) {
	fx, ok := suggestion(f)
	if !ok || fx.Path == f.Path || byPath[fx.Path] == nil {
		return ghclient.LineComment{}, false
	}
	g := f
	g.Message = fmt.Sprintf("%s:%d: %s", f.Path, f.Line, f.Message)
	g.Path, g.Line, g.EndLine = fx.Path, fx.Line, fx.EndLine
	return lineComment(g, byPath[fx.Path].Hunks, fp)
}

// lineComment places f on the RIGHT side of one hunk: its own lines, or its
// fix's lines when they are what the suggestion replaces. ok is false when
// the lines are not all inside one hunk.
func lineComment(f checks.Finding, hunks *diff.File, fp string) (ghclient.LineComment, bool) {
	if hunks == nil {
		return ghclient.LineComment{}, false
	}
	inOneHunk := func(a, b int) bool {
		ha, okA := hunks.RightLine(a)
		hb, okB := hunks.RightLine(b)
		return okA && okB && ha == hb
	}
	start, end := f.Line, max(f.EndLine, f.Line)
	suggest := ""
	hasFix := false
	if fx, ok := suggestion(f); ok && fx.Path == f.Path && fx.Line >= 1 && inOneHunk(fx.Line, max(fx.EndLine, fx.Line)) {
		start, end = fx.Line, max(fx.EndLine, fx.Line)
		suggest, hasFix = fx.NewText, true
	}
	if !inOneHunk(start, end) {
		return ghclient.LineComment{}, false
	}
	lc := ghclient.LineComment{Path: f.Path, Line: end, Body: commentBody(f, suggest, hasFix, fp)}
	if start < end {
		lc.StartLine = start
	}
	return lc, true
}

// commentBody renders one comment: severity, rule and message (escaped:
// it quotes repository content), a suggestion block when there is a
// mechanical fix, the rule's link with how to suppress the finding, and
// the hidden fingerprint.
func commentBody(f checks.Finding, suggestion string, hasFix bool, fp string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** `%s`: %s\n", f.Severity, f.RuleID, ghclient.MarkdownEscape(f.Message))
	if hasFix {
		fence := "```"
		for strings.Contains(suggestion, fence) {
			fence += "`"
		}
		b.WriteString("\n" + fence + "suggestion\n" + suggestion)
		if suggestion != "" && !strings.HasSuffix(suggestion, "\n") {
			b.WriteString("\n")
		}
		b.WriteString(fence + "\n")
		if fix, _ := f.Fix(); fix.Message != "" {
			b.WriteString("\nSuggested fix: " + ghclient.MarkdownEscape(fix.Message) + ".\n")
		}
	}
	// How to keep the finding, if it is deliberate: a suppression comment
	// where it is, which every face honours (see config.unused-ignore).
	fmt.Fprintf(&b, "\n<sub>contractbot · rule [%s](%s) · deliberate? <code># contractbot:ignore %s -- reason</code> on this line or the line above silences it</sub>\n%s%s -->",
		f.RuleID, checks.RuleURL(f.RuleID), f.RuleID, fingerprintMarker, fp)
	return b.String()
}

// maxFingerprintFile bounds how much of a file is read to fingerprint
// findings; lines beyond it count as empty.
const maxFingerprintFile = 4 << 20

// fileLines returns a function that gives a file's line (1-based) from
// tree, reading each file once. A file that is not there has no lines; one
// that is but cannot be read (a failed lazy blob fetch) sets *unread.
func fileLines(tree fs.FS, unread *error) func(path string, line int) string {
	cache := map[string][]string{}
	return func(p string, line int) string {
		ls, ok := cache[p]
		if !ok {
			if tree != nil && fs.ValidPath(p) {
				f, err := tree.Open(p)
				if err == nil {
					sc := bufio.NewScanner(f)
					sc.Buffer(make([]byte, 64<<10), maxFingerprintFile)
					n := 0
					for sc.Scan() && n < maxFingerprintFile {
						ls = append(ls, sc.Text())
						n += len(sc.Text()) + 1
					}
					if serr := sc.Err(); serr != nil && !errors.Is(serr, bufio.ErrTooLong) && *unread == nil {
						*unread = fmt.Errorf("read %s: %w", p, serr)
					}
					f.Close()
				} else if !errors.Is(err, fs.ErrNotExist) && *unread == nil {
					*unread = err
				}
			}
			cache[p] = ls
		}
		if line < 1 || line > len(ls) {
			return ""
		}
		return ls[line-1]
	}
}

// fingerprint identifies a finding without its line number: the rule, the
// path and the offending lines' text with whitespace runs folded (so that
// re-indenting is not a new finding), plus an occurrence count for the same
// rule on identical text in one file. Moving the line keeps it; changing
// the line's text makes a new finding.
func fingerprint(f checks.Finding, line func(string, int) string, seen map[string]int) string {
	h := sha256.New()
	h.Write([]byte(f.RuleID + "\x00" + path.Clean(f.Path) + "\x00"))
	end := min(max(f.EndLine, f.Line), f.Line+50)
	for l := f.Line; l <= end; l++ {
		h.Write([]byte(strings.Join(strings.Fields(line(f.Path, l)), " ") + "\n"))
	}
	if f.Path == "" || line(f.Path, f.Line) == "" {
		// No text to go by (a file-level finding): the message says which.
		h.Write([]byte("\x00" + f.Message))
	}
	sum := hex.EncodeToString(h.Sum(nil))[:16]
	seen[sum]++
	if n := seen[sum]; n > 1 {
		h.Write([]byte("#" + strconv.Itoa(n)))
		sum = hex.EncodeToString(h.Sum(nil))[:16]
	}
	return sum
}
