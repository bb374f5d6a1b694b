package github_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/githubfake"
)

// The fix pull request's writes, each with its answer lost after GitHub
// carried it out: the client looks before it writes again, so there is
// one ref, one pull request and one comment.
func TestClient_FixPullRequestWritesHappenOnceWhenTheAnswerIsLost(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault githubfake.Fault
	}{
		{"a 502 after the ref was created", githubfake.Fault{Kind: githubfake.FaultServerError, Operation: "git/create-ref", After: true}},
		{"a reset after the pull request was opened", githubfake.Fault{Kind: githubfake.FaultDisconnect, Operation: "pulls/create", After: true}},
		{"a slow answer after the comment was posted", githubfake.Fault{Kind: githubfake.FaultLatency, Operation: "issues/create-comment", After: true, Latency: time.Second}},
		{"a 502 after the ref was moved", githubfake.Fault{Kind: githubfake.FaultServerError, Operation: "git/update-ref", After: true}},
		{"a 502 after the blob was stored", githubfake.Fault{Kind: githubfake.FaultServerError, Operation: "git/create-blob", After: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gh := githubfake.New(t)
			gh.AddInstallation(7, "acme")
			gh.GrantPermission(7, "contents", "write")
			base := gh.Push("acme", "svc", "main", serviceFiles)
			_, c := newClient(t, gh, github.WithNoSleep(), github.WithTimeout(300*time.Millisecond))
			ctx := context.Background()
			gh.InjectFault(tc.fault)

			blob, err := c.CreateBlob(ctx, "acme", "svc", []byte("fixed\n"))
			if err != nil {
				t.Fatal(err)
			}
			bc, err := c.GetCommit(ctx, "acme", "svc", base)
			if err != nil {
				t.Fatal(err)
			}
			tree, err := c.CreateTree(ctx, "acme", "svc", bc.Tree, []github.TreeChange{{Path: "Makefile", Mode: "100644", BlobSHA: blob}})
			if err != nil {
				t.Fatal(err)
			}
			who := github.Identity{Name: "contractbot", Email: "contractbot@users.noreply.github.com", Date: time.Unix(1700000000, 0)}
			commit, err := c.CreateCommit(ctx, "acme", "svc", "fix\n", tree, []string{base}, who)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.CreateRef(ctx, "acme", "svc", "refs/heads/contractbot/fix", commit); err != nil {
				t.Fatal(err)
			}
			n, err := c.CreatePull(ctx, "acme", "svc", "Keep the PaaSTA contract", "contractbot/fix", "main", "body")
			if err != nil {
				t.Fatal(err)
			}
			// A person's comment first: the look after a lost answer
			// must pick the App's by its body, and answer its real id.
			gh.CommentAs("acme", "svc", "octocat", n, "another comment")
			commentID, err := c.CreateIssueComment(ctx, "acme", "svc", n, "a comment")
			if err != nil {
				t.Fatal(err)
			}
			again, err := c.CreateCommit(ctx, "acme", "svc", "fix again\n", tree, []string{base}, who)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.UpdateRef(ctx, "acme", "svc", "refs/heads/contractbot/fix", again, true); err != nil {
				t.Fatal(err)
			}
			if got := gh.Branch("acme", "svc", "contractbot/fix"); got != again {
				t.Fatalf("branch at %s, want %s", got, again)
			}
			if prs := gh.PullRequests("acme", "svc"); len(prs) != 1 || prs[0].Number != n {
				t.Fatalf("pull requests %+v", prs)
			}
			if cs := gh.IssueComments("acme", "svc", n); len(cs) != 2 || cs[1].ID != commentID {
				t.Fatalf("comments %+v; want the person's and the App's, id %d", cs, commentID)
			}
			// A second create of the ref is refused, not a silent move.
			if err := c.CreateRef(ctx, "acme", "svc", "refs/heads/contractbot/fix", commit); !errors.Is(err, github.ErrRefExists) {
				t.Fatalf("second create-ref: %v, want ErrRefExists", err)
			}
			if err := c.UpdateRef(ctx, "acme", "svc", "refs/heads/contractbot/fix", base, false); !errors.Is(err, github.ErrNotFastForward) {
				t.Fatalf("backwards update-ref: %v, want ErrNotFastForward", err)
			}
		})
	}
}

func TestClient_PermissionsAreThoseOfTheInstallationsToken(t *testing.T) {
	gh := githubfake.New(t)
	gh.AddInstallation(7, "acme")
	gh.Push("acme", "svc", "main", serviceFiles)
	gh.RevokePermission(7, "pull_requests")
	_, c := newClient(t, gh)
	p, err := c.Permissions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if p["contents"] != "read" || p["pull_requests"] != "" || p["checks"] != "write" {
		t.Fatalf("permissions %v", p)
	}
}

// pushAfter is a transport that, once a request to a path holding
// pathPart has been answered, runs push: another writer acting in the
// moment between a lost answer and the client's look at the ref.
type pushAfter struct {
	next     http.RoundTripper
	method   string
	pathPart string
	push     func()
	done     bool
}

func (p *pushAfter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := p.next.RoundTrip(req)
	if !p.done && req.Method == p.method && strings.Contains(req.URL.Path, p.pathPart) {
		p.done = true
		p.push()
	}
	return resp, err
}

// A forced update whose answer is lost is not sent again over a commit
// someone pushed after it: the client cannot tell that push from the
// update not having landed, and a forced resend would throw it away.
func TestClient_AForcedUpdateWhoseAnswerIsLostNeverOverwritesACommitPushedMeanwhile(t *testing.T) {
	gh := githubfake.New(t)
	gh.AddInstallation(7, "acme")
	gh.GrantPermission(7, "contents", "write")
	base := gh.Push("acme", "svc", "main", serviceFiles)
	var theirs string
	rt := &pushAfter{next: http.DefaultTransport, method: http.MethodPatch, pathPart: "/git/refs/heads/contractbot/fix", push: func() {
		theirs = gh.Push("acme", "svc", "contractbot/fix", map[string]string{"Makefile": "theirs\n"})
	}}
	_, c := newClient(t, gh, github.WithNoSleep(), github.WithTransport(rt))
	ctx := context.Background()
	bc, err := c.GetCommit(ctx, "acme", "svc", base)
	if err != nil {
		t.Fatal(err)
	}
	who := github.Identity{Name: "contractbot", Email: "contractbot@users.noreply.github.com", Date: time.Unix(1700000000, 0)}
	first, err := c.CreateCommit(ctx, "acme", "svc", "fix\n", bc.Tree, []string{base}, who)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CreateRef(ctx, "acme", "svc", "refs/heads/contractbot/fix", first); err != nil {
		t.Fatal(err)
	}
	again, err := c.CreateCommit(ctx, "acme", "svc", "fix again\n", bc.Tree, []string{base}, who)
	if err != nil {
		t.Fatal(err)
	}
	gh.InjectFault(githubfake.Fault{Kind: githubfake.FaultServerError, Operation: "git/update-ref", After: true})
	err = c.UpdateRef(ctx, "acme", "svc", "refs/heads/contractbot/fix", again, true)
	if got := gh.Branch("acme", "svc", "contractbot/fix"); got != theirs {
		t.Fatalf("branch at %s, want their commit %s: the forced update was sent again over it", got, theirs)
	}
	if err == nil {
		t.Fatal("UpdateRef reported success, but the branch holds someone else's commit")
	}
}

// The soa repository's fix pull requests are listed once per push, all
// of them into the default branch; a listing cut at its bound says so,
// so that the caller can fall back to acting as if every one were open.
func TestClient_ListOpenPullsListsEveryOpenPullRequestIntoABaseAndSaysWhenItStopped(t *testing.T) {
	gh := githubfake.New(t)
	gh.AddInstallation(7, "acme")
	gh.Push("acme", "svc", "main", serviceFiles)
	gh.Push("acme", "svc", "contractbot/fix-a", serviceFiles)
	gh.Push("acme", "svc", "contractbot/fix-b", serviceFiles)
	gh.Push("acme", "svc", "release", serviceFiles)
	a := gh.OpenPull("acme", "svc", "main", "contractbot/fix-a")
	gh.ClosePull("acme", "svc", gh.OpenPull("acme", "svc", "main", "contractbot/fix-b"))
	gh.OpenPull("acme", "svc", "release", "contractbot/fix-b")
	_, c := newClient(t, gh)
	ctx := context.Background()
	pulls, err := c.ListOpenPulls(ctx, "acme", "svc", "main")
	if err != nil {
		t.Fatal(err)
	}
	if len(pulls) != 1 || pulls[0].Number != a || pulls[0].HeadRef != "contractbot/fix-a" || pulls[0].BaseRef != "main" {
		t.Fatalf("open pull requests into main: %+v, want #%d only", pulls, a)
	}
	for range 3000 { // maxListPages pages of 100
		gh.OpenPull("acme", "svc", "main", "contractbot/fix-a")
	}
	if pulls, err := c.ListOpenPulls(ctx, "acme", "svc", "main"); !errors.Is(err, github.ErrListTooLong) {
		t.Fatalf("%d open pull requests listed (err %v), want ErrListTooLong", len(pulls), err)
	}
}
