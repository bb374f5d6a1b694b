package app

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/fix"
	ghclient "github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/webhook"
)

// The struct fake of [Client] makes no fix pull requests.
func (onlyChecks) Permissions(context.Context) (map[string]string, error) { return nil, errNotFaked }
func (onlyChecks) GetCommit(context.Context, string, string, string) (ghclient.Commit, error) {
	return ghclient.Commit{}, errNotFaked
}
func (onlyChecks) CreateBlob(context.Context, string, string, []byte) (string, error) {
	return "", errNotFaked
}
func (onlyChecks) CreateTree(context.Context, string, string, string, []ghclient.TreeChange) (string, error) {
	return "", errNotFaked
}
func (onlyChecks) CreateCommit(context.Context, string, string, string, string, []string, ghclient.Identity) (string, error) {
	return "", errNotFaked
}
func (onlyChecks) CreateRef(context.Context, string, string, string, string) error {
	return errNotFaked
}
func (onlyChecks) UpdateRef(context.Context, string, string, string, string, bool) error {
	return errNotFaked
}
func (onlyChecks) ListPulls(context.Context, string, string, string, string) ([]ghclient.Pull, error) {
	return nil, errNotFaked
}
func (onlyChecks) ListOpenPulls(context.Context, string, string, string) ([]ghclient.Pull, error) {
	return nil, errNotFaked
}
func (onlyChecks) CreatePull(context.Context, string, string, string, string, string, string) (int, error) {
	return 0, errNotFaked
}
func (onlyChecks) UpdatePull(context.Context, string, string, int, ghclient.PullUpdate) error {
	return errNotFaked
}
func (onlyChecks) CreateIssueComment(context.Context, string, string, int, string) (int64, error) {
	return 0, errNotFaked
}
func (onlyChecks) IssueComments(context.Context, string, string, int) ([]string, error) {
	return nil, errNotFaked
}
func (onlyChecks) AppendToCheckRun(context.Context, string, string, string, string, string, string) (bool, error) {
	return false, errNotFaked
}

func TestFixPRs_AnInstallationGetsABurstAndThenItsHourlyRate(t *testing.T) {
	p := &FixPRs{PerHour: 6, Burst: 2}
	t0 := time.Unix(1700000000, 0)
	var got []time.Duration
	for range 4 {
		got = append(got, p.reserve(1, t0).Sub(t0))
	}
	want := []time.Duration{0, 0, 10 * time.Minute, 20 * time.Minute}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("reservations wait %v, want %v", got, want)
		}
	}
	if d := p.reserve(2, t0).Sub(t0); d != 0 {
		t.Fatalf("another installation waits %v, want its own full bucket", d)
	}
	// An hour later the bucket has refilled by six tokens, less the two
	// reservations still owed.
	if d := p.reserve(1, t0.Add(time.Hour)).Sub(t0.Add(time.Hour)); d != 0 {
		t.Fatalf("after an hour: waits %v", d)
	}
}

func TestFixPRs_AreOnWhereTheRepositoryOrTheOrganisationAsks(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		name string
		org  bool
		cfg  *checks.Config
		want bool
	}{
		{"off by default", false, &checks.Config{}, false},
		{"on for the organisation", true, &checks.Config{}, true},
		{"a repository opts in", false, &checks.Config{FixPullRequests: &yes}, true},
		{"a repository opts out of the organisation's default", true, &checks.Config{FixPullRequests: &no}, false},
		{"a broken configuration turns them off", true, &checks.Config{FixPullRequests: &yes, Problem: &checks.ConfigError{Msg: "x"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := (&FixPRs{Org: tc.org}).enabled(tc.cfg); got != tc.want {
				t.Fatalf("enabled = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFixPRBody_ListsEachFixWithItsRuleAndDocsLink(t *testing.T) {
	j := fixPRJob{SHA: strings.Repeat("a", 40), DefaultBranch: "main"}
	applied := []fix.Applied{{
		Finding: checks.Finding{RuleID: "makefile.docker-tag", Path: "Makefile", Line: 3},
		Fix:     checks.SuggestedFix{Message: "make DOCKER_TAG overridable from the environment"},
	}}
	body := fixPRBody(j, applied)
	for _, want := range []string{"[makefile.docker-tag](" + checks.RuleURL("makefile.docker-tag") + ")", "`Makefile:3`", "make DOCKER\\_TAG overridable"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	msg := fixCommitMessage(j, applied)
	if !ownFixCommit(ghclient.Commit{Message: msg, Committer: ghclient.Identity{Name: fixCommitterName, Email: fixCommitterEmail}}) {
		t.Fatalf("the App's own commit is not recognised:\n%s", msg)
	}
	if ownFixCommit(ghclient.Commit{Message: msg, Committer: ghclient.Identity{Name: "Jane", Email: "jane@example.com"}}) {
		t.Fatal("an amended commit with another committer counts as the App's")
	}
}

// GitHub refuses a pull request body over 65,536 characters (422), which
// left a pushed fix branch without its pull request on every push.
func TestFixPRBody_StaysWithinGitHubsLimitHoweverManyFixesThereAre(t *testing.T) {
	j := fixPRJob{SHA: strings.Repeat("a", 40), DefaultBranch: "main"}
	var applied []fix.Applied
	for i := range 3000 {
		applied = append(applied, fix.Applied{
			Finding: checks.Finding{RuleID: "makefile.tabs", Path: "Makefile", Line: i + 1},
			Fix:     checks.SuggestedFix{Message: "indent the recipe line with a tab"},
		})
	}
	body := fixPRBody(j, applied)
	if n := utf8.RuneCountInString(body); n > ghclient.MaxPullBodyChars {
		t.Fatalf("body of %d characters, over GitHub's %d", n, ghclient.MaxPullBodyChars)
	}
	if !strings.Contains(body, "`Makefile:1`") || strings.Contains(body, "`Makefile:3000`") {
		t.Errorf("want the first fixes listed and not the last")
	}
	if !strings.Contains(body, "more fixes") || !strings.Contains(body, "commit message") {
		t.Errorf("the body does not say that fixes are left out, nor where they are:\n%s", body[len(body)-600:])
	}
	if !strings.Contains(body, "never force-pushes") {
		t.Error("the closing paragraph was cut off")
	}
}

// A soa service directory's name becomes a branch, a title and code spans
// in a pull request body: only the names PaaSTA gives services (letters,
// digits, ".", "_" and "-") get a fix pull request, so no name can close
// a code span and mention a team, nor make a branch git refuses.
func TestFixableService_IsAServiceNameAsPaaSTAWritesThem(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"web", true},
		{"web_api-2.internal", true},
		{"", false},
		{".hidden", false},
		{"a..b", false},
		{"web.lock", false},
		{"svc`@everyone`", false},
		{"svc@{1}", false},
		{"svc#12", false},
		{"svc<b>", false},
		{"svc with space", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fixableService(tc.name); got != tc.want {
				t.Fatalf("fixableService(%q) = %v, want %v", tc.name, got, tc.want)
			}
		})
	}
}

// openFixPulls is a [Client] whose repository has open pull requests from
// the given branches, listed whole unless cut.
type openFixPulls struct {
	Client
	heads  []string
	cut    bool
	err    error
	listed *int
}

func (o openFixPulls) ListOpenPulls(context.Context, string, string, string) ([]ghclient.Pull, error) {
	*o.listed++
	if o.cut {
		return nil, ghclient.ErrListTooLong
	}
	var out []ghclient.Pull
	for i, h := range o.heads {
		out = append(out, ghclient.Pull{Number: i + 1, HeadRef: h, BaseRef: "master", State: "open"})
	}
	return out, o.err
}

func TestASOAPushQueuesFixPullRequestJobsOnlyForServicesWithFixesOrAnOpenFixPullRequest(t *testing.T) {
	fixable := checks.Finding{RuleID: "soa.deploy-yaml", Path: "web/deploy.yaml", Line: 1, EndLine: 1,
		SuggestedFixes: []checks.SuggestedFix{checks.LineFix("add the security-check step", "web/deploy.yaml", 2, 1, "  - step: security-check\n")}}
	unfixable := checks.Finding{RuleID: "soa.proxy-port", Path: "api/smartstack.yaml", Line: 2, EndLine: 2}
	res := &checks.Result{Findings: []checks.Finding{fixable, unfixable}}
	changed := []string{"api", "db", "web", "worker"}
	for _, tc := range []struct {
		name       string
		services   []string
		heads      []string
		cut        bool
		err        error
		want       []string
		wantListed int
	}{
		{name: "a service with a fix gets its job and a clean one without a pull request none",
			services: changed, want: []string{"web"}, wantListed: 1},
		{name: "a clean service with an open fix pull request gets its job, to close it",
			services: changed, heads: []string{FixBranch + "-worker", "someone/else-db", FixBranch}, want: []string{"web", "worker"}, wantListed: 1},
		{name: "when every service has fixes nothing is listed",
			services: []string{"web"}, want: []string{"web"}, wantListed: 0},
		{name: "a listing cut at its bound keeps every job",
			services: changed, cut: true, want: changed, wantListed: 1},
		{name: "a listing that fails keeps every job",
			services: changed, err: errNotFaked, want: changed, wantListed: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			listed := 0
			c := openFixPulls{heads: tc.heads, cut: tc.cut, err: tc.err, listed: &listed}
			p := &FixPRs{Checker: &Checker{Clients: oneClient{c}}}
			j := checkJob{Installation: 7, Owner: "Acme", Repo: "yelpsoa-configs", SHA: strings.Repeat("1", 40), DefaultBranch: "master", SOA: true}
			got := p.servicesWithWork(context.Background(), j, res, tc.services)
			if !slices.Equal(got, tc.want) {
				t.Errorf("jobs for %q, want %q", got, tc.want)
			}
			if listed != tc.wantListed {
				t.Errorf("%d listings of the open pull requests, want %d", listed, tc.wantListed)
			}
		})
	}
}

func TestRefusedAsProtected_IsBranchProtectionsAnswerAndNothingElse(t *testing.T) {
	api := func(status int, msg string) error {
		return fmt.Errorf("update refs/heads/contractbot/fix of acme/web: %w", &ghclient.APIError{Method: "PATCH", Path: "repos/acme/web/git/refs/heads/contractbot/fix", StatusCode: status, Message: msg})
	}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"a protected branch's 422", api(422, "Protected branch update failed for refs/heads/contractbot/fix."), true},
		{"a ruleset's 422", api(422, "Repository rule violations found\n\nCannot update this protected ref."), true},
		{"the 422 of a ref the rules forbid creating", api(422, "Reference update failed"), true},
		{"a 403 that is no rate limit", api(403, "Resource not accessible by integration"), true},
		{"a rate limit's 403", &ghclient.RateLimitError{Status: 403}, false},
		{"a ref someone moved", api(422, "Update is not a fast forward"), false},
		{"a ref that exists", api(422, "Reference already exists"), false},
		{"a server error", api(502, "Bad Gateway"), false},
		{"no error", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := refusedAsProtected(tc.err); got != tc.want {
				t.Errorf("refusedAsProtected(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

// listsTooLong is a [Client] one of whose listings, the first the job
// makes, is longer than a listing reads.
type listsTooLong struct{ Client }

func (listsTooLong) Permissions(context.Context) (map[string]string, error) {
	return nil, fmt.Errorf("list the installation's repositories: %w", ghclient.ErrListTooLong)
}

// No retry lists more than a listing's bound: a fix pull request job that
// meets one ends at once, whichever step listed.
func TestAFixPullRequestJobWhoseListingIsTooLongIsNotRetried(t *testing.T) {
	p := &FixPRs{Checker: &Checker{Clients: oneClient{listsTooLong{}}}}
	payload, _ := json.Marshal(fixPRJob{Installation: 7, Owner: "acme", Repo: "web", SHA: strings.Repeat("1", 40), DefaultBranch: "main"})
	err := p.Run(context.Background(), webhook.Task{ID: "fix-pr/acme/web", Kind: KindFixPR, Payload: payload}, nil)
	if err == nil || !webhook.IsPermanent(err) {
		t.Fatalf("Run: %v, want a permanent error", err)
	}
}
