package app_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/githubfake"
	"github.com/contractbot/contractbot/internal/gittest"
)

const soaRepo = "yelpsoa-configs"

// soaFixture reads fixtures/yelpsoa-configs/good as the files of a soa
// repository.
func soaFixture(t testing.TB) map[string]string {
	t.Helper()
	root := filepath.Join("..", "..", "fixtures", "yelpsoa-configs", "good")
	files := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func mapFS(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for p, c := range files {
		fsys[p] = &fstest.MapFile{Data: []byte(c)}
	}
	return fsys
}

// soaOracle runs the engine in-process: the service repository (or nil)
// against the soa files, for one service.
func soaOracle(t testing.TB, repo map[string]string, soa map[string]string, service string) *checks.Result {
	t.Helper()
	e, err := checks.NewEngine(checks.All())
	if err != nil {
		t.Fatal(err)
	}
	target := checks.Target{SOA: mapFS(soa), Service: service}
	if repo != nil {
		target.Repo = mapFS(repo)
		target.Refs = []string{"refs/heads/main"}
	}
	res, err := e.Run(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestServe_AServiceIsCheckedAgainstItsDirectoryInTheSOARepository(t *testing.T) {
	fake := newFake(t)
	b := startBot(t, fake, "CONTRACTBOT_SOA_REPO="+e2eOwner+"/"+soaRepo)
	soa := soaFixture(t)
	fake.Push(e2eOwner, soaRepo, "master", soa)

	// "web" has a directory in the soa repository; "ghost" has none.
	for _, tc := range []struct {
		repo string
	}{{"web"}, {"ghost"}} {
		files := goodService()
		want := soaOracle(t, files, soa, tc.repo)
		sha := fake.Push(e2eOwner, tc.repo, "main", files)
		if got := b.deliver("push", pushPayload(t, tc.repo, "main", zero, sha, "Makefile")); got != http.StatusAccepted {
			t.Fatalf("push: status %d", got)
		}
		run := waitCheckRuns(t, b, tc.repo, sha, 1)[0]
		wantConclusion := "success"
		if !want.OK {
			wantConclusion = "failure"
		}
		if run.Conclusion != wantConclusion {
			t.Errorf("%s: conclusion %q, want %q (findings %v)", tc.repo, run.Conclusion, wantConclusion, want.Findings)
		}
		// Findings in soa files cannot be annotations on the service's
		// commit; they are in the summary.
		for _, f := range want.Findings {
			if !strings.Contains(strings.ReplaceAll(run.Summary, `\`, ""), f.RuleID) {
				t.Errorf("%s: the summary does not mention %s: %q", tc.repo, f.RuleID, run.Summary)
			}
		}
		for _, a := range run.Annotations {
			if _, ok := files[a.Path]; !ok {
				t.Errorf("%s: annotation on %s, which is not in the service repository", tc.repo, a.Path)
			}
		}
	}
	if want := soaOracle(t, goodService(), soa, "ghost"); want.OK {
		t.Errorf("fixture: a service without a soa directory passes: the test cannot tell whether the soa tree was read")
	}
}

func TestServe_APushToTheSOARepositoryChecksTheChangedServicesOnTheSOACommit(t *testing.T) {
	fake := newFake(t)
	b := startBot(t, fake, "CONTRACTBOT_SOA_REPO="+e2eOwner+"/"+soaRepo)
	soa := soaFixture(t)
	first := fake.Push(e2eOwner, soaRepo, "master", soa)

	// Break "worker" (no deploy.yaml any more) and touch nothing else.
	broken := withFiles(soa, "worker/deploy.yaml", "")
	want := soaOracle(t, nil, broken, "worker")
	if want.OK {
		t.Fatalf("fixture: worker without deploy.yaml passes")
	}
	sha := fake.Push(e2eOwner, soaRepo, "master", broken)
	payload := pushPayload(t, soaRepo, "master", first, sha)
	// The payload lists the removed file, as GitHub does.
	payload = []byte(strings.Replace(string(payload), `"removed":[]`, `"removed":["worker/deploy.yaml"]`, 1))
	if !strings.Contains(string(payload), `"worker/deploy.yaml"`) {
		t.Fatal("could not list the removed file in the payload")
	}
	payload = []byte(strings.Replace(string(payload), `"default_branch":"main"`, `"default_branch":"master"`, 1))
	if got := b.deliver("push", payload); got != http.StatusAccepted {
		t.Fatalf("push: status %d", got)
	}
	run := waitCheckRuns(t, b, soaRepo, sha, 1)[0]
	if run.Conclusion != "failure" {
		t.Errorf("conclusion %q, want failure", run.Conclusion)
	}
	summary := strings.ReplaceAll(run.Summary, `\`, "")
	for _, f := range want.Findings {
		if !strings.Contains(summary, f.RuleID) {
			t.Errorf("the summary does not mention %s (%s): %q", f.RuleID, f, run.Summary)
		}
	}
	if strings.Contains(summary, "web/") || strings.Contains(summary, "nightly/") {
		t.Errorf("services the push did not touch were checked: %q", run.Summary)
	}
}

func TestServe_ASOAPushThatBreaksAServiceTurnsItsOwnRepositoryRed(t *testing.T) {
	aSOAPushThatBreaksAServiceTurnsItsOwnRepositoryRed(t, newFake(t))
}

// A soa repository too large for one recursive tree (an organisation's)
// is read through the git mirror by the re-check too, not through a tree
// GitHub truncates.
func TestServe_ASOAPushThatBreaksAServiceTurnsItsOwnRepositoryRedWhenGitHubTruncatesTheSOATree(t *testing.T) {
	gittest.RequireTool(t, "git")
	aSOAPushThatBreaksAServiceTurnsItsOwnRepositoryRed(t, newFake(t, githubfake.WithTreeBytes(200)))
}

func aSOAPushThatBreaksAServiceTurnsItsOwnRepositoryRed(t *testing.T, fake *githubfake.Server) {
	b := startBot(t, fake, "CONTRACTBOT_SOA_REPO="+e2eOwner+"/"+soaRepo)
	soa := soaFixture(t)
	// worker's service.yaml names its repository (git_url).
	soa["worker/service.yaml"] = strings.Replace(soa["worker/service.yaml"], "git@github.yelpcorp.com:services/worker", "git@github.yelpcorp.com:"+e2eOwner+"/worker.git", 1)
	first := fake.Push(e2eOwner, soaRepo, "master", soa)
	files := goodService()
	if want := soaOracle(t, files, soa, "worker"); !want.OK {
		t.Fatalf("fixture: worker fails before the soa push: %v", want.Findings)
	}
	head := fake.Push(e2eOwner, "worker", "main", files)
	b.deliver("push", pushPayload(t, "worker", "main", zero, head, "Makefile"))
	if run := waitCheckRuns(t, b, "worker", head, 1)[0]; run.Conclusion == "failure" {
		t.Fatalf("worker's first run failed: %+v", run)
	}

	// The soa push removes worker's deploy.yaml: worker's own repository,
	// untouched, must turn red at its head.
	broken := withFiles(soa, "worker/deploy.yaml", "")
	sha := fake.Push(e2eOwner, soaRepo, "master", broken)
	payload := pushPayload(t, soaRepo, "master", first, sha)
	payload = []byte(strings.Replace(string(payload), `"removed":[]`, `"removed":["worker/deploy.yaml"]`, 1))
	payload = []byte(strings.Replace(string(payload), `"default_branch":"main"`, `"default_branch":"master"`, 1))
	if got := b.deliver("push", payload); got != http.StatusAccepted {
		t.Fatalf("push: status %d", got)
	}
	runs := waitCheckRuns(t, b, "worker", head, 2)
	last := runs[len(runs)-1]
	if last.Conclusion != "failure" || !strings.Contains(last.Summary, "soa.deploy-yaml") {
		t.Errorf("worker's run after the soa push: %s %q, want a failure naming soa.deploy-yaml", last.Conclusion, last.Summary)
	}
	// Services the push did not touch keep their status: no new run on web.
	if n := len(fake.CheckRuns(e2eOwner, "web", head)); n != 0 {
		t.Errorf("%d runs on web, which the push did not touch", n)
	}
}
