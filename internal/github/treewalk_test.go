package github_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"strconv"
	"strings"
	"testing"

	"github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/githubfake"
	"github.com/contractbot/contractbot/internal/soa/soatest"
	"github.com/rs/zerolog"
)

// nestedFiles is a repository whose directories nest three deep, with a
// symbolic link, an executable and a directory that sorts before a file of
// a similar name ("a" and "a.txt"), so that a completed tree must get git's
// order and modes right to hash as GitHub's.
func nestedFiles() []githubfake.File {
	var files []githubfake.File
	for i := range 6 {
		for j := range 3 {
			files = append(files, githubfake.File{Path: "d" + strconv.Itoa(i) + "/s" + strconv.Itoa(j) + "/f.yaml", Content: "n: " + strconv.Itoa(i*10+j) + "\n"})
		}
		files = append(files, githubfake.File{Path: "d" + strconv.Itoa(i) + "/top.txt", Content: strconv.Itoa(i) + "\n"})
	}
	return append(files,
		githubfake.File{Path: "a/x", Content: "1\n"}, githubfake.File{Path: "a.txt", Content: "2\n"},
		githubfake.File{Path: "run.sh", Content: "#!/bin/sh\n", Mode: "100755"},
		githubfake.File{Path: "link", Content: "a/x", Mode: "120000"})
}

// listing returns every path of fsys with its mode, in walk order.
func listing(t *testing.T, fsys fs.FS) []string {
	t.Helper()
	var out []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		out = append(out, p+" "+d.Type().String())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestClient_TreeCompletesATruncatedTreeSubTreeBySubTree(t *testing.T) {
	whole := githubfake.New(t)
	whole.AddInstallation(7, "acme")
	sha := whole.PushFiles("acme", "svc", "main", nestedFiles())
	_, wc := newClient(t, whole)
	wantTree, err := wc.Tree(context.Background(), "acme", "svc", sha)
	if err != nil {
		t.Fatal(err)
	}
	want := listing(t, wantTree)

	for _, limit := range []int{1, 2, 3, 7, 20, len(want) - 2} {
		t.Run("truncated after "+strconv.Itoa(limit)+" entries", func(t *testing.T) {
			gh := githubfake.New(t, githubfake.WithTreeLimit(limit))
			gh.AddInstallation(7, "acme")
			if got := gh.PushFiles("acme", "svc", "main", nestedFiles()); got != sha {
				t.Fatalf("the same files gave commit %s, want %s", got, sha)
			}
			_, c := newClient(t, gh)
			tree, err := c.Tree(context.Background(), "acme", "svc", sha)
			if err != nil {
				t.Fatal(err)
			}
			if got := listing(t, tree); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("completed tree:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if b, err := fs.ReadFile(tree, "d5/s2/f.yaml"); err != nil || string(b) != "n: 52\n" {
				t.Errorf("d5/s2/f.yaml = %q, %v", b, err)
			}
			if b, err := fs.ReadFile(tree, "link"); err != nil || string(b) != "1\n" {
				t.Errorf("the link reads %q, %v; want a/x's content", b, err)
			}
			// At most: the truncated answer, then per directory (6 d*, 18 s*,
			// a) one recursive and one plain listing.
			if n := gh.Calls()["git/get-tree"]; n > 1+2*25 {
				t.Errorf("%d tree requests", n)
			}
		})
	}
}

func TestClient_TreeRefusesATruncatedTreeOverTheRequestBound(t *testing.T) {
	for _, tc := range []struct {
		name       string
		max        int
		maxEntries int
	}{
		{"no requests allowed refuses at once", 0, 0},
		{"a bound below what the tree needs stops there", 3, 0},
		{"a tree with more entries than allowed is refused", 1000, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gh := githubfake.New(t, githubfake.WithTreeLimit(2))
			gh.AddInstallation(7, "acme")
			sha := gh.PushFiles("acme", "svc", "main", nestedFiles())
			opts := []github.Option{github.WithMaxTreeRequests(tc.max)}
			if tc.maxEntries > 0 {
				opts = append(opts, github.WithMaxTreeEntries(tc.maxEntries))
			}
			_, c := newClient(t, gh, opts...)
			_, err := c.Tree(context.Background(), "acme", "svc", sha)
			if !errors.Is(err, github.ErrTreeTruncated) {
				t.Fatalf("err = %v, want ErrTreeTruncated", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("the error is not one line: %q", err)
			}
			if tc.maxEntries > 0 && !strings.Contains(err.Error(), "more than 10 entries") {
				t.Errorf("the error does not say the entry bound stopped it: %v", err)
			}
			if n := gh.Calls()["git/get-tree"]; n > 1+tc.max {
				t.Errorf("%d tree requests, over the bound %d (+1 for the truncated answer)", n, tc.max)
			}
		})
	}
}

// TestClient_TreeCompletesTheBigRepository reads the 4,000-service soa
// repository through the REST API alone, as the App must when git is not
// available: GitHub's recursive answer stops near 7 MB, the rest comes one
// service directory at a time. The request count is the REST-only figure
// for BENCHMARKS.md.
func TestClient_TreeCompletesTheBigRepository(t *testing.T) {
	if testing.Short() {
		t.Skip("the 40,000-file repository takes seconds; not under -short")
	}
	files, err := soatest.BigRepo()
	if err != nil {
		t.Fatal(err)
	}
	gh := githubfake.New(t, githubfake.WithRateLimit(100000))
	gh.AddInstallation(7, "acme")
	sha := gh.PushFiles("acme", "yelpsoa-configs", "main", githubfake.FilesOf(files))
	_, c := newClient(t, gh)
	gh.ResetCalls()
	tree, err := c.Tree(context.Background(), "acme", "yelpsoa-configs", sha)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range listing(t, tree) {
		if strings.HasSuffix(p, " ----------") {
			n++
		}
	}
	if n != len(files) {
		t.Errorf("the completed tree has %d files, the repository %d", n, len(files))
	}
	last := files[len(files)-1]
	if b, err := fs.ReadFile(tree, last.Path); err != nil || string(b) != last.Content {
		t.Errorf("%s: %q, %v", last.Path, b, err)
	}
	t.Logf("%d files listed with %d git/get-tree requests (%v)", n, gh.Calls()["git/get-tree"], gh.Calls())
	if got := gh.Calls()["git/get-tree"]; got > github.DefaultMaxTreeRequests+1 {
		t.Errorf("%d tree requests, over the default bound", got)
	}

	// The next head changes one service at each end of the listing: only
	// the truncated answer, the new root and the changed directory that the
	// answer cut off are listed again; the rest is known by id.
	for i, f := range files {
		switch f.Path {
		case "svc0000/monitoring.yaml", "svc3999/monitoring.yaml":
			files[i].Content += "notification_email: x@example.com\n"
		}
	}
	next := gh.PushFiles("acme", "yelpsoa-configs", "main", githubfake.FilesOf(files))
	gh.ResetCalls()
	tree, err = c.Tree(context.Background(), "acme", "yelpsoa-configs", next)
	if err != nil {
		t.Fatal(err)
	}
	if got := gh.Calls()["git/get-tree"]; got != 3 {
		t.Errorf("the next head took %d tree requests, want 3 (truncated answer, root, svc3999)", got)
	}
	for _, p := range []string{"svc0000/monitoring.yaml", "svc3999/monitoring.yaml"} {
		if b, err := fs.ReadFile(tree, p); err != nil || !strings.Contains(string(b), "notification_email") {
			t.Errorf("%s at the next head: %q, %v", p, b, err)
		}
	}
}

func TestClient_TreeWithoutTheListingCacheListsEverySubTreeAgain(t *testing.T) {
	gh := githubfake.New(t, githubfake.WithTreeLimit(3))
	gh.AddInstallation(7, "acme")
	sha := gh.PushFiles("acme", "svc", "main", nestedFiles())
	_, c := newClient(t, gh, github.WithTreeCacheEntries(0))
	var counts []int
	for range 2 {
		gh.ResetCalls()
		if _, err := c.Tree(context.Background(), "acme", "svc", sha); err != nil {
			t.Fatal(err)
		}
		counts = append(counts, gh.Calls()["git/get-tree"])
	}
	if counts[0] != counts[1] || counts[0] < 3 {
		t.Errorf("tree requests per read %v, want the same walk twice", counts)
	}
	_, cached := newClient(t, gh)
	for i := range 2 {
		gh.ResetCalls()
		if _, err := cached.Tree(context.Background(), "acme", "svc", sha); err != nil {
			t.Fatal(err)
		}
		if n := gh.Calls()["git/get-tree"]; i == 1 && n != 1 {
			t.Errorf("the same tree again, with the cache: %d requests, want 1", n)
		}
	}
}

// Completing a truncated tree costs requests out of the installation's
// hourly budget: each walk logs, at info, what it spent and how many
// entries it found, whether it completed the tree or hit its bound.
func TestClient_TreeLogsTheCostOfCompletingATruncatedTree(t *testing.T) {
	tests := []struct {
		name        string
		maxRequests int
		wantOutcome string
	}{
		{"a walk that completes the tree", github.DefaultMaxTreeRequests, "complete"},
		{"a walk that hits its request bound", 2, "bound"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gh := githubfake.New(t, githubfake.WithTreeLimit(3))
			gh.AddInstallation(7, "acme")
			sha := gh.PushFiles("acme", "svc", "main", nestedFiles())
			var buf bytes.Buffer
			_, c := newClient(t, gh, github.WithLogger(zerolog.New(&buf)), github.WithMaxTreeRequests(tc.maxRequests))
			_, err := c.Tree(context.Background(), "acme", "svc", sha)
			if (tc.wantOutcome == "complete") != (err == nil) {
				t.Fatalf("Tree: %v", err)
			}
			var line struct {
				Level    string `json:"level"`
				Message  string `json:"message"`
				Outcome  string `json:"outcome"`
				Requests int    `json:"requests"`
				Entries  int    `json:"entries"`
				Tree     string `json:"tree_sha"`
			}
			found := false
			for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
				if json.Unmarshal([]byte(l), &line) == nil && line.Outcome != "" {
					found = true
					break
				}
			}
			if !found {
				t.Fatalf("no log line with the walk's outcome:\n%s", buf.String())
			}
			calls := gh.Calls()["git/get-tree"] - 1 // the first, truncated answer is not the walk's
			if line.Level != "info" || line.Outcome != tc.wantOutcome || line.Requests != calls || line.Entries == 0 || line.Tree == "" {
				t.Errorf("logged %+v; want info, outcome %s, %d requests, some entries, the tree", line, tc.wantOutcome, calls)
			}
		})
	}
}
