package github_test

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/githubfake"
)

func TestApps_VerifyAndFindInstallations(t *testing.T) {
	gh := githubfake.New(t)
	gh.AddInstallation(7, "acme")
	gh.AddInstallation(8, "soa-org")
	gh.Push("soa-org", "yelpsoa-configs", "master", map[string]string{"svc/deploy.yaml": "pipeline: []\n"})
	head := gh.Push("soa-org", "yelpsoa-configs", "master", map[string]string{"svc/deploy.yaml": "pipeline: [a]\n"})
	reg := prometheus.NewRegistry()
	apps, err := github.NewApps(gh.AppID(), gh.PrivateKeyPEM(), gh.URL(), github.WithMetrics(reg))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := apps.Verify(ctx); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	id, err := apps.RepoInstallation(ctx, "soa-org", "yelpsoa-configs")
	if err != nil || id != 8 {
		t.Fatalf("RepoInstallation = %d, %v", id, err)
	}
	c, err := apps.Installation(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	branch, sha, err := c.DefaultBranchHead(ctx, "soa-org", "yelpsoa-configs")
	if err != nil || branch != "master" || sha != head {
		t.Fatalf("DefaultBranchHead = %s %s %v, want master %s", branch, sha, err, head)
	}
	tree, err := c.Tree(ctx, "soa-org", "yelpsoa-configs", sha)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := fs.ReadFile(tree, "svc/deploy.yaml"); err != nil || string(b) != "pipeline: [a]\n" {
		t.Errorf("soa file = %q, %v", b, err)
	}
	if _, err := c.Tree(ctx, "soa-org", "yelpsoa-configs", strings.Repeat("0", 40)); !github.IsNotFound(err) {
		t.Errorf("unknown SHA: err = %v, want a 404", err)
	}
	if got := testutil.ToFloat64(mustGauge(t, reg, "8")); got <= 0 || got >= githubfake.DefaultRateLimit {
		t.Errorf("rate-limit gauge for installation 8 = %v", got)
	}
	// A second Apps on the same registry shares the collectors.
	if _, err := github.NewApps(gh.AppID(), gh.PrivateKeyPEM(), gh.URL(), github.WithMetrics(reg)); err != nil {
		t.Errorf("second Apps on one registry: %v", err)
	}
}

func mustGauge(t *testing.T, reg *prometheus.Registry, inst string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "contractbot_github_ratelimit_remaining" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "installation" && l.GetValue() == inst {
					g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "x"})
					g.Set(m.GetGauge().GetValue())
					return g
				}
			}
		}
	}
	t.Fatalf("no rate-limit gauge for installation %s", inst)
	return nil
}

func TestApps_RefuseBadCredentials(t *testing.T) {
	gh := githubfake.New(t)
	other := githubfake.New(t)
	if _, err := github.NewApps(gh.AppID(), []byte("not a key"), gh.URL()); err == nil {
		t.Error("a garbage key was accepted")
	}
	apps, err := github.NewApps(gh.AppID(), other.PrivateKeyPEM(), gh.URL())
	if err != nil {
		t.Fatal(err)
	}
	var apiErr *github.APIError
	if err := apps.Verify(context.Background()); !errors.As(err, &apiErr) || apiErr.StatusCode != 401 {
		t.Errorf("Verify with another App's key: %v, want 401", err)
	}
}

func TestApps_ForgetDropsTheClient(t *testing.T) {
	gh := githubfake.New(t)
	gh.AddInstallation(7, "acme")
	sha := gh.Push("acme", "svc", "main", serviceFiles)
	apps, c := newClient(t, gh)
	ctx := context.Background()
	if _, err := c.Tree(ctx, "acme", "svc", sha); err != nil {
		t.Fatal(err)
	}
	gh.RemoveInstallation(7)
	apps.Forget(7)
	c2, err := apps.Installation(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	if c2 == c {
		t.Error("Forget kept the cached client")
	}
	if _, err := c2.Tree(ctx, "acme", "svc", sha); err == nil {
		t.Error("an uninstalled installation still reads trees")
	}
}

func TestTreeFS_SymlinksStayInsideTheTree(t *testing.T) {
	gh := githubfake.New(t)
	gh.AddInstallation(7, "acme")
	sha := gh.PushFiles("acme", "svc", "main", []githubfake.File{
		{Path: "real/Makefile", Content: "test:\n"},
		{Path: "Makefile", Content: "real/Makefile", Mode: "120000"},
		{Path: "dir", Content: "real", Mode: "120000"},
		{Path: "escape", Content: "../../etc/passwd", Mode: "120000"},
		{Path: "abs", Content: "/etc/passwd", Mode: "120000"},
		{Path: "loop", Content: "loop", Mode: "120000"},
		{Path: "run.sh", Content: "#!/bin/sh\n", Mode: "100755"},
	})
	_, c := newClient(t, gh)
	tree, err := c.Tree(context.Background(), "acme", "svc", sha)
	if err != nil {
		t.Fatal(err)
	}
	// fstest opens every listed name, so check a commit whose links all
	// resolve, as os.DirFS would need too.
	good := gh.PushFiles("acme", "svc", "good", []githubfake.File{
		{Path: "real/Makefile", Content: "test:\n"},
		{Path: "Makefile", Content: "real/Makefile", Mode: "120000"},
		{Path: "dir", Content: "real", Mode: "120000"},
	})
	goodTree, err := c.Tree(context.Background(), "acme", "svc", good)
	if err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(goodTree, "real/Makefile", "Makefile"); err != nil {
		t.Errorf("fstest: %v", err)
	}
	for name, want := range map[string]string{"Makefile": "test:\n", "dir/Makefile": "test:\n"} {
		if b, err := fs.ReadFile(tree, name); err != nil || string(b) != want {
			t.Errorf("ReadFile(%s) = %q, %v", name, b, err)
		}
	}
	for _, name := range []string{"escape", "abs", "loop", "nope", "../x"} {
		if _, err := fs.ReadFile(tree, name); err == nil {
			t.Errorf("ReadFile(%s) succeeded", name)
		}
	}
	if fi, err := fs.Stat(tree, "run.sh"); err != nil || fi.Mode()&0o111 == 0 {
		t.Errorf("run.sh mode = %v, %v", fi, err)
	}
	if sha, ok := tree.BlobSHA("real/Makefile"); !ok || sha != github.BlobSHA([]byte("test:\n")) {
		t.Errorf("BlobSHA = %s %v", sha, ok)
	}
}

func TestTreeFS_RefusesOversizedFiles(t *testing.T) {
	gh := githubfake.New(t)
	gh.AddInstallation(7, "acme")
	sha := gh.Push("acme", "svc", "main", map[string]string{"big": strings.Repeat("x", 2000), "small": "x"})
	_, c := newClient(t, gh, github.WithMaxBlobBytes(1000))
	tree, err := c.Tree(context.Background(), "acme", "svc", sha)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.ReadFile(tree, "big"); !errors.Is(err, github.ErrBlobTooLarge) {
		t.Errorf("big file: err = %v", err)
	}
	if fi, err := fs.Stat(tree, "big"); err != nil || fi.Size() != 2000 {
		t.Errorf("Stat(big) = %v, %v", fi, err)
	}
	if gh.Calls()["git/get-blob"] != 0 {
		t.Error("an oversized blob was fetched")
	}
}

func TestClient_ARevokedTokenIsReplacedOnTheNextInstallationCall(t *testing.T) {
	gh := githubfake.New(t)
	gh.AddInstallation(7, "acme")
	sha := gh.Push("acme", "svc", "main", serviceFiles)
	apps, c := newClient(t, gh)
	ctx := context.Background()
	if _, err := c.Tree(ctx, "acme", "svc", sha); err != nil {
		t.Fatal(err)
	}
	gh.RevokeTokens(7)
	var apiErr *github.APIError
	if _, err := c.Tree(ctx, "acme", "svc", sha); !errors.As(err, &apiErr) || apiErr.StatusCode != 401 {
		t.Fatalf("with a revoked token: %v, want 401", err)
	}
	c2, err := apps.Installation(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Tree(ctx, "acme", "svc", sha); err != nil {
		t.Errorf("after the 401 the next client still fails: %v", err)
	}
	if n := gh.Calls()["apps/create-installation-access-token"]; n != 2 {
		t.Errorf("tokens minted = %d, want 2", n)
	}
}

func TestClient_TreeRefusesATruncatedTree(t *testing.T) {
	gh := githubfake.New(t, githubfake.WithTreeLimit(2))
	gh.AddInstallation(7, "acme")
	sha := gh.Push("acme", "svc", "main", serviceFiles)
	// With no requests to spend on completing it (issue 12: Tree now walks
	// the sub-trees of a truncated tree, see treewalk_test.go).
	_, c := newClient(t, gh, github.WithMaxTreeRequests(0))
	if _, err := c.Tree(context.Background(), "acme", "svc", sha); !errors.Is(err, github.ErrTreeTruncated) {
		t.Errorf("err = %v, want ErrTreeTruncated", err)
	}
}
