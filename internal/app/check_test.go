package app

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/contractbot/contractbot/internal/checks"
	ghclient "github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/webhook"
)

// fakeClient answers from canned trees and counts what it was asked, so the
// tests can tell which reads the check job made. It is the pulltest-style
// struct fake of [Client]; the end-to-end tests use the HTTP fake GitHub.
type fakeClient struct {
	onlyChecks
	mu        sync.Mutex
	trees     map[string]fs.FS  // by sha
	heads     map[string]string // default-branch head by "owner/repo"
	calls     []string
	published []ghclient.CheckRun
}

func (c *fakeClient) Tree(_ context.Context, owner, repo, sha string) (fs.FS, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, "tree "+owner+"/"+repo+"@"+sha)
	t, ok := c.trees[sha]
	if !ok {
		return nil, &ghclient.APIError{Method: "GET", Path: "git/trees/" + sha, StatusCode: 404}
	}
	return t, nil
}

func (c *fakeClient) DefaultBranchHead(_ context.Context, owner, repo string) (string, string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, "head "+owner+"/"+repo)
	return "main", c.heads[owner+"/"+repo], nil
}

func (c *fakeClient) PublishCheckRun(_ context.Context, _, _ string, run ghclient.CheckRun) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.published = append(c.published, run)
	return int64(len(c.published)), nil
}

func (c *fakeClient) take() ([]string, []ghclient.CheckRun) {
	c.mu.Lock()
	defer c.mu.Unlock()
	calls, runs := c.calls, c.published
	c.calls, c.published = nil, nil
	return calls, runs
}

// onlyChecks answers the review job's and the deploy-ref guard's calls
// with an error: a fake that embeds it fakes only the check job's.
type onlyChecks struct{}

var errNotFaked = errors.New("not faked")

func (onlyChecks) PullHead(context.Context, string, string, int) (string, bool, error) {
	return "", false, errNotFaked
}
func (onlyChecks) PullFiles(context.Context, string, string, int) ([]ghclient.PullFile, error) {
	return nil, errNotFaked
}
func (onlyChecks) ReviewComments(context.Context, string, string, int) ([]ghclient.ReviewComment, error) {
	return nil, errNotFaked
}
func (onlyChecks) CreateReview(context.Context, string, string, int, ghclient.Review) (int64, error) {
	return 0, errNotFaked
}
func (onlyChecks) CreateFileComment(context.Context, string, string, int, string, string, string) (int64, error) {
	return 0, errNotFaked
}
func (onlyChecks) ReplyToComment(context.Context, string, string, int, string, string, int64, string) (int64, error) {
	return 0, errNotFaked
}
func (onlyChecks) RefTarget(context.Context, string, string, string) (string, string, error) {
	return "", "", errNotFaked
}
func (onlyChecks) DeleteRef(context.Context, string, string, string) error { return errNotFaked }
func (onlyChecks) InstallationRepositories(context.Context, int) ([]ghclient.Repository, bool, error) {
	return nil, false, errNotFaked
}
func (onlyChecks) PublishSimpleCheckRun(context.Context, string, string, ghclient.SimpleCheckRun) (int64, error) {
	return 0, errNotFaked
}

type fakeClients struct{ c *fakeClient }

func (f fakeClients) Installation(context.Context, int64) (Client, error) { return f.c, nil }
func (f fakeClients) RepoInstallation(context.Context, string, string) (int64, error) {
	return 1, nil
}
func (f fakeClients) Forget(int64)                                   {}
func (f fakeClients) Installations(context.Context) ([]int64, error) { return []int64{1}, nil }

const goodMakefile = "DOCKER_TAG ?= web-$(USER)-dev\n\ntest:\n\ttrue\n\nitest: cook-image\n\tdocker run $(DOCKER_TAG) true\n\ncook-image:\n\tdocker build -t $(DOCKER_TAG) .\n"

func tree(kv ...string) fs.FS {
	m := fstest.MapFS{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = &fstest.MapFile{Data: []byte(kv[i+1])}
	}
	return m
}

func newTestChecker(t *testing.T, c *fakeClient, now *time.Time) *Checker {
	t.Helper()
	e, err := checks.NewEngine(checks.All())
	if err != nil {
		t.Fatal(err)
	}
	return &Checker{Base: &Base{AppID: 1, state: newState()}, Clients: fakeClients{c}, Engine: e, now: func() time.Time { return *now }}
}

func runJob(t *testing.T, ch *Checker, j checkJob) error {
	t.Helper()
	j.Installation, j.Owner, j.Repo = 1, "acme", "web"
	if j.DefaultBranch == "" {
		j.DefaultBranch = "main"
	}
	p, _ := jsonMarshal(j)
	return ch.Run(context.Background(), webhook.Task{ID: "check/" + j.SHA, Key: j.SHA, Kind: KindCheck, Payload: p})
}

func TestChecker_ReadsTheConfigFromTheDefaultBranchAndCachesItByItsHead(t *testing.T) {
	now := time.Unix(1700000000, 0)
	off := "rules:\n  dockerfile.missing: off\n"
	c := &fakeClient{
		trees: map[string]fs.FS{
			"main1": tree("Makefile", goodMakefile, checks.ConfigFile, off), // the default branch turns the rule off
			"feat1": tree("Makefile", goodMakefile),                         // no Dockerfile, no config of its own
			"feat2": tree("Makefile", goodMakefile, checks.ConfigFile, "rules:\n  makefile.itest: off\n"),
			"main2": tree("Makefile", goodMakefile), // the rule is back on
		},
		heads: map[string]string{"acme/web": "main1"},
	}
	ch := newTestChecker(t, c, &now)
	conclusion := func(runs []ghclient.CheckRun) string {
		if len(runs) != 1 {
			t.Fatalf("%d runs published, want 1", len(runs))
		}
		if isConfigProblem(runs[0].Result) {
			return "config error: " + runs[0].Result.Findings[0].Message
		}
		if runs[0].Result.OK {
			return "ok"
		}
		return "failed"
	}

	steps := []struct {
		name      string
		job       checkJob
		wantCalls []string
		want      string
	}{
		{"a branch push with nothing cached asks where the default branch is",
			checkJob{SHA: "feat1", Ref: "refs/heads/feat", Event: "push"},
			[]string{"tree acme/web@feat1", "head acme/web", "tree acme/web@main1"}, "ok"},
		{"the next branch push within the TTL uses the cached config, not the branch's own",
			checkJob{SHA: "feat2", Ref: "refs/heads/feat", Event: "push"},
			[]string{"tree acme/web@feat2"}, "ok"},
		{"a push to the default branch reads the config from its own tree",
			checkJob{SHA: "main2", Ref: "refs/heads/main", DefaultSHA: "main2", Event: "push"},
			[]string{"tree acme/web@main2"}, "failed"},
		{"after it, a branch push sees the new default-branch config without asking",
			checkJob{SHA: "feat1", Ref: "refs/heads/feat", Event: "push"},
			[]string{"tree acme/web@feat1"}, "failed"},
	}
	for _, s := range steps {
		if err := runJob(t, ch, s.job); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		calls, runs := c.take()
		if strings.Join(calls, "; ") != strings.Join(s.wantCalls, "; ") {
			t.Errorf("%s: calls %q, want %q", s.name, calls, s.wantCalls)
		}
		if got := conclusion(runs); got != s.want {
			t.Errorf("%s: %s, want %s", s.name, got, s.want)
		}
	}

	// A head learned by a lookup is asked for again once it is older than
	// the TTL: the App may have missed pushes to the default branch.
	now = now.Add(2 * headTTL)
	c.heads["acme/web"] = "main1"
	ch.state.configs.put("acme/web", configEntry{sha: "main1", at: now.Add(-2 * headTTL)})
	if err := runJob(t, ch, checkJob{SHA: "feat1", Ref: "refs/heads/feat", Event: "push"}); err != nil {
		t.Fatal(err)
	}
	calls, _ := c.take()
	if want := []string{"tree acme/web@feat1", "head acme/web", "tree acme/web@main1"}; strings.Join(calls, "; ") != strings.Join(want, "; ") {
		t.Errorf("a stale head was used without asking: calls %q, want %q", calls, want)
	}
}

func TestChecker_APullRequestUsesItsBaseAsTheDefaultBranchHead(t *testing.T) {
	now := time.Unix(1700000000, 0)
	c := &fakeClient{trees: map[string]fs.FS{
		"base": tree("Makefile", goodMakefile, "Dockerfile", "FROM scratch\n"),
		"head": tree("Makefile", goodMakefile, checks.ConfigFile, "rules:\n  dockerfile.missing: off\n"),
	}}
	ch := newTestChecker(t, c, &now)
	if err := runJob(t, ch, checkJob{SHA: "head", DefaultSHA: "base", Event: "pull_request"}); err != nil {
		t.Fatal(err)
	}
	calls, runs := c.take()
	if want := "tree acme/web@head; tree acme/web@base"; strings.Join(calls, "; ") != want {
		t.Errorf("calls %q, want %q", calls, want)
	}
	if len(runs) != 1 || runs[0].Result == nil || runs[0].Result.OK {
		t.Errorf("the pull request's own config switched dockerfile.missing off: %+v", runs)
	}
}

func TestChecker_ABrokenConfigIsPublishedAsAConfigInvalidFinding(t *testing.T) {
	for _, tc := range []struct {
		name, config, want string
		line               int
	}{
		{"invalid YAML", "rules: [\n", "invalid YAML", 1},
		{"an unknown key", "servce: web\n", `unknown key "servce"`, 1},
		{"an unknown rule", "rules:\n  makefile.nope: off\n", `unknown rule "makefile.nope"`, 2},
		{"a soa_dir outside the repository", "service: web\nsoa_dir: ../elsewhere\n", "soa_dir", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := time.Unix(1700000000, 0)
			c := &fakeClient{trees: map[string]fs.FS{"m": tree("Makefile", goodMakefile, checks.ConfigFile, tc.config)}}
			ch := newTestChecker(t, c, &now)
			if err := runJob(t, ch, checkJob{SHA: "m", DefaultSHA: "m", Event: "push"}); err != nil {
				t.Fatal(err)
			}
			_, runs := c.take()
			if len(runs) != 1 || runs[0].Result == nil {
				t.Fatalf("published %+v, want one run", runs)
			}
			res := runs[0].Result
			if res.OK || len(res.Findings) != 1 {
				t.Fatalf("findings %v, want one config.invalid finding", res.Findings)
			}
			if f := res.Findings[0]; f.RuleID != "config.invalid" || f.Path != checks.ConfigFile || f.Line != tc.line || !strings.Contains(f.Message, tc.want) {
				t.Errorf("finding %s, want config.invalid at line %d containing %q", f, tc.line, tc.want)
			}
		})
	}
}

func TestChecker_FindingsInAnInRepositorySOADirPointIntoIt(t *testing.T) {
	now := time.Unix(1700000000, 0)
	c := &fakeClient{trees: map[string]fs.FS{"m": tree(
		"Makefile", goodMakefile, "Dockerfile", "FROM scratch\n",
		checks.ConfigFile, "soa_dir: soa\n",
		"soa/web/service.yaml", "description: web\n", // no deploy.yaml
	)}}
	ch := newTestChecker(t, c, &now)
	if err := runJob(t, ch, checkJob{SHA: "m", DefaultSHA: "m", Event: "push"}); err != nil {
		t.Fatal(err)
	}
	_, runs := c.take()
	if len(runs) != 1 || runs[0].Result == nil {
		t.Fatalf("published %+v", runs)
	}
	var soaFindings int
	for _, f := range runs[0].Result.Findings {
		if strings.HasPrefix(f.RuleID, "soa.") {
			soaFindings++
			if !strings.HasPrefix(f.Path, "soa/") {
				t.Errorf("soa finding at %s, want a path under soa/", f)
			}
		}
	}
	if soaFindings == 0 {
		t.Fatalf("no soa finding for a service without deploy.yaml: %v", runs[0].Result.Findings)
	}
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
