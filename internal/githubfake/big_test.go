package githubfake

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/contractbot/contractbot/internal/soa/soatest"
)

// TestBigRepository_LoadsMaterializesAndClones is the fake's side of the
// organisation-scale repository (issue 12): 4,000 services pushed in one
// commit, written to disk for git, and cloned partially by the real git.
// It logs the time of each step (for BENCHMARKS.md) but asserts none.
func TestBigRepository_LoadsMaterializesAndClones(t *testing.T) {
	requireGit(t)
	if testing.Short() {
		t.Skip("the 40,000-file repository takes seconds; not under -short")
	}
	start := time.Now()
	files, err := soatest.BigRepo()
	if err != nil {
		t.Fatal(err)
	}
	generated := time.Now()
	s := New(t)
	s.AddInstallation(1, "acme")
	head := s.PushFiles("acme", "yelpsoa-configs", "main", FilesOf(files))
	loaded := time.Now()
	st := s.Materialize("acme", "yelpsoa-configs")
	materialized := time.Now()
	c := gitClient{t: t, home: t.TempDir(), token: s.InstallationToken(1)}
	dir := filepath.Join(c.home, "m.git")
	c.must(c.home, "clone", "-q", "--bare", "--filter=blob:none", s.CloneURL("acme", "yelpsoa-configs"), dir)
	cloned := time.Now()
	t.Logf("generate %d files %v, load into the fake %v, materialize %d objects %v, partial clone %v (git requests %d)",
		len(files), generated.Sub(start), loaded.Sub(generated), st.Objects, materialized.Sub(loaded), cloned.Sub(materialized),
		s.Calls()[GitInfoRefsOp]+s.Calls()[GitUploadPackOp])
	bare, _, err := s.materialize("acme/yelpsoa-configs")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("on disk: the fake's bare repository %d KiB, the blob:none clone %d KiB", dirSize(t, bare)>>10, dirSize(t, dir)>>10)
	if got := c.must(dir, "rev-parse", "main"); got != head {
		t.Fatalf("cloned main %s, pushed %s", got, head)
	}
	// The objects hash as git's: git finds the file at the path it was pushed to.
	want := files[len(files)/2]
	if got := c.must(dir, "cat-file", "blob", "main:"+want.Path); got != strings.TrimSpace(want.Content) {
		t.Errorf("%s reads %q, pushed %q", want.Path, got, want.Content)
	}
	if n := strings.Count(c.must(dir, "ls-tree", "-r", "--name-only", "main"), "\n") + 1; n != len(files) {
		t.Errorf("the clone's tree has %d files, pushed %d", n, len(files))
	}

	// The blobs the rules read, fetched by id in one batch, as a mirror
	// does instead of one lazy fetch per blob.
	var ids []string
	for _, line := range strings.Split(c.must(dir, "ls-tree", "-r", "main"), "\n") {
		if strings.HasSuffix(line, "/smartstack.yaml") {
			ids = append(ids, strings.Fields(line)[2])
		}
	}
	before := s.Calls()
	batch := time.Now()
	if out, err := c.runStdin(dir, strings.Join(ids, "\n")+"\n", "-c", "fetch.negotiationAlgorithm=noop", "fetch", "-q", "--no-tags",
		"--no-write-fetch-head", "--filter=blob:none", "--stdin", "origin"); err != nil {
		t.Fatalf("batch fetch of %d blobs: %v\n%s", len(ids), err, out)
	}
	after := s.Calls()
	requests := after[GitInfoRefsOp] + after[GitUploadPackOp] - before[GitInfoRefsOp] - before[GitUploadPackOp]
	t.Logf("fetched %d smartstack.yaml blobs by id in %v with %d git requests; the clone is now %d KiB",
		len(ids), time.Since(batch), requests, dirSize(t, dir)>>10)
	if len(ids) != soatest.BigSmartStack || requests > 3 {
		t.Errorf("%d blobs in %d requests, want %d in at most 3", len(ids), requests, soatest.BigSmartStack)
	}
	missing := c.must(dir, "rev-list", "--objects", "--missing=print", "main")
	for _, id := range ids {
		if strings.Contains(missing, "?"+id) {
			t.Fatalf("blob %s still missing after the batch fetch", id)
		}
	}
}

// dirSize is the bytes of the regular files under dir.
func dirSize(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			n += info.Size()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
