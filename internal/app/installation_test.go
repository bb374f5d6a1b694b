package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	ghclient "github.com/contractbot/contractbot/internal/github"
)

// repoInstallationAPI answers apps/get-repo-installation from installed
// ("owner/repo" → installation; any other repository is a 404, or err
// when set) and counts the requests.
type repoInstallationAPI struct {
	oneClient
	installed map[string]int64
	err       error
	asked     *int
}

func (a repoInstallationAPI) RepoInstallation(_ context.Context, owner, repo string) (int64, error) {
	*a.asked++
	if a.err != nil {
		return 0, a.err
	}
	if id, ok := a.installed[strings.ToLower(owner+"/"+repo)]; ok {
		return id, nil
	}
	return 0, fmt.Errorf("find installation of %s/%s: %w", owner, repo,
		&ghclient.APIError{Method: "GET", Path: "repos/" + owner + "/" + repo + "/installation", StatusCode: 404, Message: "Not Found"})
}

func TestRepoInstallations_AreAskedOnceUntilTheyExpireAndA404OnlyBriefly(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	for _, tc := range []struct {
		name      string
		repo      string
		err       error
		later     time.Duration // the second lookup, after the first
		wantID    int64
		wantAsked int
	}{
		{name: "an installed repository is asked once", repo: "Other/Web", later: time.Minute, wantID: 9, wantAsked: 1},
		{name: "an installed repository is asked again once its answer expired", repo: "other/web", later: repoInstallationTTL, wantID: 9, wantAsked: 2},
		{name: "a repository the App is not installed on is asked once in a short while", repo: "services/worker", later: repoInstallationMissTTL / 2, wantAsked: 1},
		{name: "a repository the App is not installed on is asked again soon after", repo: "services/worker", later: repoInstallationMissTTL, wantAsked: 2},
		{name: "an error that is no answer is not kept", repo: "other/web", err: errors.New("connection reset"), later: time.Second, wantAsked: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			asked := 0
			api := repoInstallationAPI{installed: map[string]int64{"other/web": 9}, err: tc.err, asked: &asked}
			c := &repoInstallations{}
			owner, repo, _ := strings.Cut(tc.repo, "/")
			for _, at := range []time.Time{t0, t0.Add(tc.later)} {
				id, err := c.lookup(context.Background(), api, owner, repo, at)
				switch {
				case tc.err != nil:
					if !errors.Is(err, tc.err) {
						t.Errorf("error %v, want %v", err, tc.err)
					}
				case tc.wantID == 0:
					if !ghclient.IsNotFound(err) {
						t.Errorf("error %v, want GitHub's 404", err)
					}
				case id != tc.wantID || err != nil:
					t.Errorf("installation %d (%v), want %d", id, err, tc.wantID)
				}
			}
			if asked != tc.wantAsked {
				t.Errorf("asked GitHub %d times, want %d", asked, tc.wantAsked)
			}
		})
	}
}

func TestRepoInstallations_ForgetWhatAnInstallationEventChanged(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	ctx := context.Background()
	asked := 0
	api := repoInstallationAPI{installed: map[string]int64{"other/web": 9, "other/api": 9, "third/db": 3}, asked: &asked}
	c := &repoInstallations{}
	for _, r := range []string{"other/web", "other/api", "third/db", "services/worker"} {
		owner, repo, _ := strings.Cut(r, "/")
		c.lookup(ctx, api, owner, repo, t0)
	}
	// Installation 9 is deleted; the App is installed on services/worker.
	c.forgetInstallation(9)
	c.forget("Services/Worker")
	asked = 0
	for _, r := range []string{"other/web", "other/api", "third/db", "services/worker"} {
		owner, repo, _ := strings.Cut(r, "/")
		c.lookup(ctx, api, owner, repo, t0.Add(time.Second))
	}
	if asked != 3 {
		t.Errorf("asked GitHub %d times after the events, want 3 (all but third/db)", asked)
	}
}

func TestRepoInstallations_KeepAtMostTheirBound(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	asked := 0
	api := repoInstallationAPI{asked: &asked}
	c := &repoInstallations{}
	for i := range maxRepoInstallations + 10 {
		c.lookup(context.Background(), api, "services", fmt.Sprintf("svc%05d", i), t0)
	}
	if n := len(c.m); n > maxRepoInstallations {
		t.Errorf("%d answers kept, bound %d", n, maxRepoInstallations)
	}
}

func TestHandlers_InstallationEventsForgetTheInstallationsOfRepositoriesTheyChange(t *testing.T) {
	t0 := time.Now()
	ctx := context.Background()
	asked := 0
	api := repoInstallationAPI{installed: map[string]int64{"other/web": 2}, asked: &asked}
	base := &Base{state: newState()}
	h := InstallationHandler{Base: base, Clients: &forgetter{}}
	// The App is not installed on Codertocat/Space, and installation 2
	// covers other/web.
	for _, r := range []string{"Codertocat/Space", "other/web"} {
		owner, repo, _ := strings.Cut(r, "/")
		base.repoInstallation(ctx, api, owner, repo, t0)
	}
	for _, p := range []string{"installation_repositories.added.1.json", "installation.deleted.1.json"} {
		event, _, _ := strings.Cut(p, ".")
		if err := h.Handle(ctx, event, "d1", realPayload(t, p), &recorder{}); err != nil {
			t.Fatal(err)
		}
	}
	asked = 0
	for _, r := range []string{"Codertocat/Space", "other/web"} {
		owner, repo, _ := strings.Cut(r, "/")
		base.repoInstallation(ctx, api, owner, repo, t0.Add(time.Second))
	}
	if asked != 2 {
		t.Errorf("asked GitHub %d times after the events, want 2: the added repository and the deleted installation's", asked)
	}
}
