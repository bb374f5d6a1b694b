package github_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/githubfake"
)

func TestClient_Issues(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T, grant string) (*githubfake.Server, *github.Client) {
		gh := githubfake.New(t)
		gh.AddInstallation(7, "acme")
		gh.Push("acme", "soa", "main", map[string]string{"README": "soa\n"})
		if grant != "" {
			gh.GrantPermission(7, "issues", grant)
		}
		_, c := newClient(t, gh, github.WithNoSleep(), github.WithTimeout(300*time.Millisecond))
		return gh, c
	}
	t.Run("an issue created is listed by its creator, read and edited in place", func(t *testing.T) {
		gh, c := setup(t, "write")
		gh.CreateIssueAs("acme", "soa", "octocat", "PaaSTA contract dashboard", "by hand")
		n, err := c.CreateIssue(ctx, "acme", "soa", "PaaSTA contract dashboard", "v1", nil)
		if err != nil {
			t.Fatal(err)
		}
		mine, err := c.Issues(ctx, "acme", "soa", "contractbot-fake[bot]")
		if err != nil || len(mine) != 1 || mine[0].Number != n || mine[0].Body != "v1" {
			t.Fatalf("the bot's issues: %+v, %v", mine, err)
		}
		all, err := c.Issues(ctx, "acme", "soa", "")
		if err != nil || len(all) != 2 {
			t.Fatalf("every issue: %+v, %v", all, err)
		}
		if err := c.UpdateIssueBody(ctx, "acme", "soa", n, "v2"); err != nil {
			t.Fatal(err)
		}
		is, err := c.GetIssue(ctx, "acme", "soa", n)
		if err != nil || is.Body != "v2" || is.State != "open" {
			t.Fatalf("after the edit: %+v, %v", is, err)
		}
		if got := gh.Issues("acme", "soa"); len(got) != 2 || got[1].Edits != 1 {
			t.Fatalf("the fake holds %+v", got)
		}
	})
	t.Run("a create whose answer was lost is looked up, not sent again", func(t *testing.T) {
		gh, c := setup(t, "write")
		gh.InjectFault(githubfake.Fault{Kind: githubfake.FaultServerError, Operation: "issues/create", After: true, Status: 502})
		looked := 0
		look := func(ctx context.Context) (int, error) {
			looked++
			is, err := c.Issues(ctx, "acme", "soa", "contractbot-fake[bot]")
			if err != nil || len(is) == 0 {
				return 0, err
			}
			return is[0].Number, nil
		}
		n, err := c.CreateIssue(ctx, "acme", "soa", "PaaSTA contract dashboard", "v1", look)
		if err != nil {
			t.Fatal(err)
		}
		if got := gh.Issues("acme", "soa"); len(got) != 1 || got[0].Number != n || looked != 1 {
			t.Fatalf("%d issues (%+v), looked %d times; want one, looked once", len(got), got, looked)
		}
	})
	t.Run("a body over GitHub's limit is refused with 422", func(t *testing.T) {
		gh, c := setup(t, "write")
		_, err := c.CreateIssue(ctx, "acme", "soa", "t", strings.Repeat("é", 65537), nil)
		if err == nil || !strings.Contains(err.Error(), "422") {
			t.Fatalf("err %v, want a 422", err)
		}
		if len(gh.Issues("acme", "soa")) != 0 {
			t.Fatal("an issue was created")
		}
	})
	t.Run("without the issues permission GitHub answers 403", func(t *testing.T) {
		_, c := setup(t, "")
		_, err := c.Issues(ctx, "acme", "soa", "")
		if !github.IsForbidden(err) {
			t.Fatalf("list: %v, want a 403", err)
		}
		_, c = setup(t, "read")
		if _, err := c.CreateIssue(ctx, "acme", "soa", "t", "b", nil); !github.IsForbidden(err) {
			t.Fatalf("create with issues: read: %v, want a 403", err)
		}
	})
}
