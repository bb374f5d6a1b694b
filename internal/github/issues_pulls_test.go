package github_test

import (
	"context"
	"testing"

	"github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/githubfake"
)

// GitHub lists pull requests among a repository's issues; the dashboard
// must never take the App's fix pull request for its issue.
func TestClient_IssuesLeavesOutThePullRequestsGitHubListsWithThem(t *testing.T) {
	ctx := context.Background()
	gh := githubfake.New(t)
	gh.AddInstallation(7, "acme")
	gh.Push("acme", "soa", "main", map[string]string{"README": "soa\n"})
	gh.Push("acme", "soa", "topic", map[string]string{"README": "soa, changed\n"})
	gh.GrantPermission(7, "issues", "write")
	_, c := newClient(t, gh, github.WithNoSleep())
	pr := gh.OpenPull("acme", "soa", "main", "topic")
	n := gh.CreateIssueAs("acme", "soa", "octocat", "PaaSTA contract dashboard", "by hand")

	got, err := c.Issues(ctx, "acme", "soa", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Number != n {
		t.Fatalf("issues %+v, want only #%d (not pull request #%d)", got, n, pr)
	}
}
