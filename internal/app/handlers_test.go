package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	ghclient "github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/webhook"
	"github.com/google/go-github/v60/github"
)

// recorder is an Enqueuer that keeps what it was given and reports
// duplicates by ID, like the queue.
type recorder struct{ tasks []webhook.Task }

func (r *recorder) Enqueue(_ context.Context, t webhook.Task) (bool, error) {
	for _, old := range r.tasks {
		if old.ID == t.ID {
			return true, nil
		}
	}
	r.tasks = append(r.tasks, t)
	return false, nil
}

// realPayload reads one of GitHub's example payloads from the shared
// reference data, or skips when it is not there.
func realPayload(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "reference", "github", "webhooks", name))
	if err != nil {
		if os.Getenv("CONTRACTBOT_REQUIRE_ITEST") == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	return data
}

type forgetter struct {
	Clients
	forgot []int64
}

func (f *forgetter) Forget(id int64) { f.forgot = append(f.forgot, id) }

func TestHandlers_RealPayloadsBecomeTheRightChecks(t *testing.T) {
	for _, tc := range []struct {
		name, event, file string
		appID             int64
		soaRepo           string
		wantIDs           []string
		wantJob           *checkJob // of the first task, when set
	}{
		{name: "a push creating a branch checks its head", event: "push", file: "push.branch-created.2.json",
			wantIDs: []string{"check/codertocat/hello-world@6113728f27ae82c7b1a177c8d03f9e96e0adf246"},
			wantJob: &checkJob{Installation: 1, Owner: "Codertocat", Repo: "Hello-World", SHA: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
				Ref: "refs/heads/master", DefaultBranch: "master", DefaultSHA: "6113728f27ae82c7b1a177c8d03f9e96e0adf246", Event: "push", Delivery: "d1"}},
		{name: "a push to the soa repository checks the services it touched", event: "push", file: "push.branch-created.2.json", soaRepo: "codertocat/hello-world",
			wantIDs: []string{"check/codertocat/hello-world@6113728f27ae82c7b1a177c8d03f9e96e0adf246"}},
		{name: "a tag push checks nothing", event: "push", file: "push.tag-created.json"},
		{name: "a tag deletion checks nothing", event: "push", file: "push.tag-deleted.1.json"},
		{name: "an opened pull request checks and reviews its head", event: "pull_request", file: "pull_request.opened.1.json",
			wantIDs: []string{"check/codertocat/hello-world@ec26c3e57ca3a959ca5aad62de7213c562f8c821", "review/codertocat/hello-world#2@ec26c3e57ca3a959ca5aad62de7213c562f8c821"}},
		{name: "a synchronized pull request checks and reviews its new head", event: "pull_request", file: "pull_request.synchronize.json",
			wantIDs: []string{"check/codertocat/hello-world@ec26c3e57ca3a959ca5aad62de7213c562f8c821", "review/codertocat/hello-world#2@ec26c3e57ca3a959ca5aad62de7213c562f8c821"}},
		{name: "a reopened pull request is checked and reviewed", event: "pull_request", file: "pull_request.reopened.1.json",
			wantIDs: []string{"check/codertocat/hello-world@ec26c3e57ca3a959ca5aad62de7213c562f8c821", "review/codertocat/hello-world#2@ec26c3e57ca3a959ca5aad62de7213c562f8c821"}},
		{name: "a closed pull request checks nothing", event: "pull_request", file: "pull_request.closed.1.json"},
		{name: "a requested check suite shares the push's check", event: "check_suite", file: "check_suite.requested.1.json", appID: 29310,
			wantIDs: []string{"check/codertocat/hello-world@f95f852bd8fca8fcc58a9a2d6c842781e32a215e"}},
		{name: "a rerequested check suite runs again", event: "check_suite", file: "check_suite.rerequested.1.json", appID: 29310,
			wantIDs: []string{"check/codertocat/hello-world@ec26c3e57ca3a959ca5aad62de7213c562f8c821/rerun/d1"}},
		{name: "another App's check suite is not ours", event: "check_suite", file: "check_suite.rerequested.1.json", appID: 1},
		{name: "a rerequested check run with a space-separated app.created_at runs again", event: "check_run", file: "check_run.rerequested.1.json", appID: 2,
			wantIDs: []string{"check/github/hello-world@d6fde92930d4715a2b49857d24b940956b26d2d3/rerun/d1"}},
		{name: "another App's check run is not ours", event: "check_run", file: "check_run.rerequested.2.json", appID: 3},
		{name: "a created check run is no request", event: "check_run", file: "check_run.created.1.json", appID: 29310},
		{name: "an installation onboards its repositories page by page", event: "installation", file: "installation.created.1.json",
			wantIDs: []string{"onboard/957387/d1/page-1"}},
		{name: "added repositories are onboarded one by one", event: "installation_repositories", file: "installation_repositories.added.1.json",
			wantIDs: []string{"onboard-repo/957387/d1/codertocat/space"}},
		{name: "a ping checks nothing", event: "ping", file: "ping.repository.3.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := &Base{AppID: tc.appID, SOARepo: tc.soaRepo, state: newState()}
			h, err := NewHandler(&Checker{Base: base},
				PushHandler{base}, PullRequestHandler{base}, CheckSuiteHandler{base}, CheckRunHandler{base},
				InstallationHandler{Base: base, Clients: &forgetter{}}, PingHandler{base})
			if err != nil {
				t.Fatal(err)
			}
			task, err := webhook.Delivery{ID: "d1", Event: tc.event, Payload: realPayload(t, tc.file)}.Task()
			if err != nil {
				t.Fatal(err)
			}
			var q recorder
			if err := h.Handle(context.Background(), task, &q); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			var ids []string
			for _, task := range q.tasks {
				ids = append(ids, task.ID)
				if want := strings.SplitN(task.ID, "/", 2)[0]; task.Kind != want {
					t.Errorf("task %s has kind %q, want %q", task.ID, task.Kind, want)
				}
			}
			if !slices.Equal(ids, tc.wantIDs) {
				t.Fatalf("enqueued %q, want %q", ids, tc.wantIDs)
			}
			if tc.wantJob != nil {
				var j checkJob
				if err := json.Unmarshal(q.tasks[0].Payload, &j); err != nil {
					t.Fatal(err)
				}
				if !jobEqual(j, *tc.wantJob) {
					t.Errorf("job = %+v, want %+v", j, *tc.wantJob)
				}
			}
			if tc.soaRepo != "" {
				var j checkJob
				_ = json.Unmarshal(q.tasks[0].Payload, &j)
				if !j.SOA {
					t.Errorf("a push to the soa repository was not checked as one: %+v", j)
				}
			}
		})
	}
}

func jobEqual(a, b checkJob) bool {
	return slices.Equal(a.Services, b.Services) && func() bool {
		a.Services, b.Services = nil, nil
		return a.Installation == b.Installation && a.Owner == b.Owner && a.Repo == b.Repo && a.SHA == b.SHA && a.Ref == b.Ref && a.DefaultBranch == b.DefaultBranch && a.DefaultSHA == b.DefaultSHA && a.SOA == b.SOA && a.Event == b.Event && a.Delivery == b.Delivery
	}()
}

func TestHandlers_ADeletedInstallationDropsItsClient(t *testing.T) {
	base := &Base{state: newState()}
	f := &forgetter{}
	h := InstallationHandler{Base: base, Clients: f}
	if err := h.Handle(context.Background(), "installation", "d1", realPayload(t, "installation.deleted.1.json"), &recorder{}); err != nil {
		t.Fatal(err)
	}
	if len(f.forgot) != 1 || f.forgot[0] <= 0 {
		t.Fatalf("forgot %v, want the deleted installation", f.forgot)
	}
}

func TestHandlers_AnUnparsablePayloadIsDeadLetteredNotRetried(t *testing.T) {
	base := &Base{state: newState()}
	h, err := NewHandler(&Checker{Base: base}, PushHandler{base})
	if err != nil {
		t.Fatal(err)
	}
	task, _ := webhook.Delivery{ID: "d1", Event: "push", Payload: []byte(`{"ref": 7}`)}.Task()
	err = h.Handle(context.Background(), task, &recorder{})
	if !webhook.IsPermanent(err) || !errors.Is(err, ErrBadPayload) {
		t.Fatalf("Handle = %v, want a permanent ErrBadPayload", err)
	}
}

func TestChangedServices_ListsTheTopLevelDirectoriesAPushTouched(t *testing.T) {
	commit := func(added, modified, removed []string) *github.HeadCommit {
		return &github.HeadCommit{Added: added, Modified: modified, Removed: removed}
	}
	for _, tc := range []struct {
		name    string
		commits []*github.HeadCommit
		want    []string
	}{
		{"no commits listed", nil, nil},
		{"files in two services, one twice", []*github.HeadCommit{
			commit([]string{"web/deploy.yaml"}, []string{"api/kubernetes-norcal.yaml"}, nil),
			commit(nil, []string{"web/jenkins.yaml"}, []string{"README.md"}),
		}, []string{"api", "web"}},
		{"files at the root and in hidden directories are no services", []*github.HeadCommit{
			commit([]string{"README.md", ".github/CODEOWNERS"}, nil, nil),
		}, []string{}},
		{"as many commits as a payload lists at most", slices.Repeat([]*github.HeadCommit{commit([]string{"web/a"}, nil, nil)}, maxPushCommits), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := changedServices(tc.commits); !slices.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
				t.Errorf("changedServices = %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestHandlers_EventsCausedByThisAppsBotAreIgnored(t *testing.T) {
	payload := realPayload(t, "push.branch-created.2.json")
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	m["sender"] = map[string]any{"login": "contractbot[bot]", "id": 9, "type": "Bot"}
	payload, _ = json.Marshal(m)
	base := &Base{state: newState()}
	base.SetBotLogin("contractbot[bot]")
	var q recorder
	if err := (PushHandler{base}).Handle(context.Background(), "push", "d1", payload, &q); err != nil {
		t.Fatal(err)
	}
	if len(q.tasks) != 0 {
		t.Errorf("a push by the App's own bot enqueued %d checks, want none", len(q.tasks))
	}
	base.SetBotLogin("other-app[bot]")
	if err := (PushHandler{base}).Handle(context.Background(), "push", "d2", payload, &q); err != nil || len(q.tasks) != 1 {
		t.Errorf("a push by another bot: err %v, %d checks, want 1", err, len(q.tasks))
	}
}

func TestPermanentIfHopeless_DeadLettersOnlyWhatNoRetryCanFix(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"a truncated tree", fmt.Errorf("tree: %w", ghclient.ErrTreeTruncated), true},
		{"a file over the size limit", fmt.Errorf("rule makefile.itest: %w", ghclient.ErrBlobTooLarge), true},
		{"a listing longer than GitHub or contractbot reads", fmt.Errorf("list pull requests: %w", ghclient.ErrListTooLong), true},
		{"a request GitHub rejects", &ghclient.APIError{Method: "POST", Path: "repos/o/r/check-runs", StatusCode: 422}, true},
		{"a server error", &ghclient.APIError{Method: "GET", Path: "repos/o/r/git/trees/x", StatusCode: 502}, false},
		{"a commit not found yet", &ghclient.APIError{Method: "GET", Path: "repos/o/r/git/trees/x", StatusCode: 404}, false},
		{"a cancelled context", context.Canceled, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := webhook.IsPermanent(permanentIfHopeless(tc.err)); got != tc.want {
				t.Errorf("permanent = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestHandler_RunsEachTaskKindWithItsRegisteredFunction(t *testing.T) {
	base := &Base{state: newState()}
	h, err := NewHandler(&Checker{Base: base})
	if err != nil {
		t.Fatal(err)
	}
	var ran []string
	if err := h.Register("review", func(_ context.Context, t webhook.Task) error { ran = append(ran, t.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"review", KindCheck, webhook.KindDelivery} {
		if err := h.Register(kind, func(context.Context, webhook.Task) error { return nil }); err == nil {
			t.Errorf("a second function for kind %q was accepted", kind)
		}
	}
	if err := h.Handle(context.Background(), webhook.Task{ID: "r1", Key: "k", Kind: "review"}, &recorder{}); err != nil || !slices.Equal(ran, []string{"r1"}) {
		t.Errorf("review task: err %v, ran %q", err, ran)
	}
	if err := h.Handle(context.Background(), webhook.Task{ID: "x1", Key: "k", Kind: "unknown"}, &recorder{}); err != nil {
		t.Errorf("a task of an unknown kind: %v, want it dropped", err)
	}
}

func TestPushHandler_ANewDeployTagGoesToTheGuardNotTheCheck(t *testing.T) {
	var m map[string]any
	if err := json.Unmarshal(realPayload(t, "push.tag-created.json"), &m); err != nil {
		t.Fatal(err)
	}
	// GitHub's example tag push is of "simple-tag"; a deploy tag is named
	// paasta-<deploy group>-<timestamp>-deploy.
	m["ref"] = "refs/tags/paasta-prod.main-20260102T030405-deploy"
	m["installation"] = map[string]any{"id": 1}
	payload, _ := json.Marshal(m)
	base := &Base{state: newState()}
	var q recorder
	if err := (PushHandler{base}).Handle(context.Background(), "push", "d1", payload, &q); err != nil {
		t.Fatal(err)
	}
	if len(q.tasks) != 1 || q.tasks[0].Kind != KindRefGuard {
		t.Fatalf("enqueued %+v, want one ref guard task", q.tasks)
	}
}
