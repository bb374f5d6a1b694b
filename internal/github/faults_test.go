package github_test

import (
	"context"
	"io/fs"
	"sync"
	"testing"
	"time"

	"github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/githubfake"
)

func TestClient_RidesOutTheFakesFaults(t *testing.T) {
	tests := []struct {
		name  string
		fault githubfake.Fault
	}{
		{"a 502", githubfake.Fault{Kind: githubfake.FaultServerError, Operation: "git/get-tree", Status: 502, Times: 2}},
		{"a secondary rate limit", githubfake.Fault{Kind: githubfake.FaultSecondaryRateLimit, Operation: "git/get-tree", RetryAfter: 2 * time.Second}},
		{"a spent quota", githubfake.Fault{Kind: githubfake.FaultPrimaryRateLimit, Operation: "git/get-tree", Reset: 5 * time.Second}},
		{"a hanging response", githubfake.Fault{Kind: githubfake.FaultHang, Operation: "git/get-tree"}},
		{"a dropped connection", githubfake.Fault{Kind: githubfake.FaultDisconnect, Operation: "git/get-tree"}},
		{"a token endpoint failure", githubfake.Fault{Kind: githubfake.FaultServerError, Operation: "apps/create-installation-access-token"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gh := githubfake.New(t)
			gh.AddInstallation(7, "acme")
			sha := gh.Push("acme", "svc", "main", serviceFiles)
			gh.InjectFault(tc.fault)
			_, c := newClient(t, gh, github.WithNoSleep(), github.WithTimeout(200*time.Millisecond))
			tree, err := c.Tree(context.Background(), "acme", "svc", sha)
			if err != nil {
				t.Fatalf("Tree: %v", err)
			}
			if _, err := fs.ReadFile(tree, "Makefile"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestClient_GivesUpOnARateLimitBeyondTheCeiling(t *testing.T) {
	gh := githubfake.New(t)
	gh.AddInstallation(7, "acme")
	sha := gh.Push("acme", "svc", "main", serviceFiles)
	gh.InjectFault(githubfake.Fault{Kind: githubfake.FaultPrimaryRateLimit, Operation: "git/get-tree", Reset: time.Hour})
	_, c := newClient(t, gh, github.WithNoSleep(), github.WithMaxWait(time.Minute))
	_, err := c.Tree(context.Background(), "acme", "svc", sha)
	at, ok := github.RetryAt(err)
	if !ok || time.Until(at) < 59*time.Minute {
		t.Fatalf("err = %v (retry at %v), want a rate limit about an hour away", err, at)
	}
	if gh.Calls()["git/get-tree"] != 1 {
		t.Errorf("tree requests = %d, want 1", gh.Calls()["git/get-tree"])
	}
}

func TestClient_ConcurrentReadsOfOneBlobMakeOneRequest(t *testing.T) {
	gh := githubfake.New(t)
	gh.AddInstallation(7, "acme")
	sha := gh.Push("acme", "svc", "main", serviceFiles)
	gh.SetLatency(20 * time.Millisecond)
	_, c := newClient(t, gh)
	tree, err := c.Tree(context.Background(), "acme", "svc", sha)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := fs.ReadFile(tree, "Makefile"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := gh.Calls()["git/get-blob"]; n != 1 {
		t.Errorf("blob requests = %d, want 1", n)
	}
}

func TestClient_RepeatedRepositoryReadsAreConditional(t *testing.T) {
	gh := githubfake.New(t)
	gh.AddInstallation(7, "acme")
	gh.Push("acme", "soa", "master", serviceFiles)
	_, c := newClient(t, gh)
	for range 3 {
		if _, _, err := c.DefaultBranchHead(context.Background(), "acme", "soa"); err != nil {
			t.Fatal(err)
		}
	}
	// The fake answers If-None-Match with 304 (no body); the client must have
	// replayed the cached body, or DefaultBranchHead would have failed.
	if n := gh.Calls()["repos/get"]; n != 3 {
		t.Errorf("repos/get = %d", n)
	}
	if n := gh.Statuses()[304]; n != 4 { // repos/get and git/get-ref, twice each
		t.Errorf("304 responses = %d, want 4", n)
	}
}

// Issue 15, defect 4: one answer cut off mid-JSON (with the right ETag)
// must not poison the conditional-request cache: the next read, answered
// 304, would replay the cut-off body forever.
func TestClient_ABodyCutOffOnceIsNotReplayedFromTheCache(t *testing.T) {
	gh := githubfake.New(t, githubfake.RecordViolations())
	gh.AddInstallation(7, "acme")
	sha := gh.Push("acme", "svc", "main", serviceFiles)
	_, c := newClient(t, gh, github.WithNoSleep())
	gh.InjectFault(githubfake.Fault{Kind: githubfake.FaultTruncatedBody, Operation: "git/get-tree"})
	if _, err := c.Tree(context.Background(), "acme", "svc", sha); err == nil {
		t.Fatal("a cut-off tree decoded")
	}
	for i := range 3 {
		tree, err := c.Tree(context.Background(), "acme", "svc", sha)
		if err != nil {
			t.Fatalf("read %d after the cut-off answer: %v", i+2, err)
		}
		if _, err := fs.ReadFile(tree, "Makefile"); err != nil {
			t.Fatal(err)
		}
	}
	if n := gh.Statuses()[304]; n != 2 {
		t.Errorf("%d answers 304, want 2: the whole tree, once decoded, is what the cache holds", n)
	}
}
