package github_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/githubfake"
)

// A listing bounded at 30 pages of 100 used to hand back the first 3000
// items with no error, so a caller looking for its own comment or its
// open pull request among them could decide it was not there and write
// it a second time. Past the bound every listing fails closed.
func TestClient_ListingsFailClosedPastThirtyPages(t *testing.T) {
	ctx := context.Background()
	const pr = 1
	tests := []struct {
		name string
		// seed makes n items of the listing on the fake.
		seed func(gh *githubfake.Server, n int)
		list func(c *github.Client, apps *github.Apps) (int, error)
	}{
		{"pull requests from one branch",
			func(gh *githubfake.Server, n int) {
				for range n {
					gh.ClosePull("acme", "svc", gh.OpenPull("acme", "svc", "main", "feature"))
				}
			},
			func(c *github.Client, _ *github.Apps) (int, error) {
				ps, err := c.ListPulls(ctx, "acme", "svc", "feature", "closed")
				return len(ps), err
			}},
		{"comments on a pull request",
			func(gh *githubfake.Server, n int) {
				gh.OpenPull("acme", "svc", "main", "feature")
				for i := range n {
					gh.CommentAs("acme", "svc", "octocat", pr, fmt.Sprintf("comment %d", i))
				}
			},
			func(c *github.Client, _ *github.Apps) (int, error) {
				cs, err := c.IssueComments(ctx, "acme", "svc", pr)
				return len(cs), err
			}},
		{"issues",
			func(gh *githubfake.Server, n int) {
				for i := range n {
					gh.CreateIssueAs("acme", "svc", "octocat", fmt.Sprintf("issue %d", i), "")
				}
			},
			func(c *github.Client, _ *github.Apps) (int, error) {
				is, err := c.Issues(ctx, "acme", "svc", "")
				return len(is), err
			}},
		{"the App's installations",
			func(gh *githubfake.Server, n int) {
				for i := range n - 1 { // installation 7 is there already
					gh.AddInstallation(int64(100+i), fmt.Sprintf("org%d", i))
				}
			},
			func(_ *github.Client, apps *github.Apps) (int, error) {
				ids, err := apps.Installations(ctx)
				return len(ids), err
			}},
	}
	for _, tc := range tests {
		for _, n := range []int{2999, 3001} {
			t.Run(fmt.Sprintf("%s: %d of them", tc.name, n), func(t *testing.T) {
				if testing.Short() && n < 3000 {
					t.Skip("the fake serves 30 pages in seconds; -short reads past the bound only")
				}
				gh := githubfake.New(t)
				gh.AddInstallation(7, "acme")
				gh.GrantPermission(7, "issues", "read")
				gh.Push("acme", "svc", "main", serviceFiles)
				gh.Push("acme", "svc", "feature", withMakefile("x:\n\ttrue\n"))
				tc.seed(gh, n)
				apps, c := newClient(t, gh, github.WithNoSleep(), github.WithTimeout(10*time.Second))
				got, err := tc.list(c, apps)
				switch {
				case n < 3000 && (err != nil || got != n):
					t.Fatalf("listed %d, %v; want all %d", got, err, n)
				case n > 3000 && !errors.Is(err, github.ErrListTooLong):
					t.Fatalf("listed %d, %v; want ErrListTooLong", got, err)
				}
			})
		}
	}
}
