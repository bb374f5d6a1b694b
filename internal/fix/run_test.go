package fix_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/diff"
	"github.com/contractbot/contractbot/internal/fix"
	"github.com/rogpeppe/go-internal/txtar"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const fixtures = "../../fixtures"

func engine(t *testing.T) *checks.Engine {
	t.Helper()
	e, err := checks.NewEngine(checks.All())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func preparer(service string) func(ctx context.Context, repo, soa fs.FS) (checks.Target, error) {
	return func(ctx context.Context, repo, soa fs.FS) (checks.Target, error) {
		return checks.Prepare(ctx, repo, checks.Options{DefaultService: service, SOA: soa})
	}
}

// tree is one fixture: a repository and, optionally, a soa tree of its
// own, checked as one service.
type tree struct {
	name, service string
	repo, soa     fs.FS
}

// fixtureTrees lists every fixture: each service repository alone, the
// bundled example with its yelpsoa-configs, and each service of each soa
// fixture tree with an empty repository.
func fixtureTrees(t *testing.T) []tree {
	t.Helper()
	var out []tree
	services, err := os.ReadDir(filepath.Join(fixtures, "services"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range services {
		if d.IsDir() {
			out = append(out, tree{name: "services-" + d.Name(), service: d.Name(), repo: os.DirFS(filepath.Join(fixtures, "services", d.Name()))})
		}
	}
	out = append(out, tree{name: "example-legacy-service", service: "legacy-service",
		repo: os.DirFS(filepath.Join(fixtures, "services", "legacy-service")),
		soa:  os.DirFS(filepath.Join(fixtures, "yelpsoa-configs", "example"))})
	var roots []string
	for _, top := range []string{"good", "example"} {
		roots = append(roots, filepath.Join(fixtures, "yelpsoa-configs", top))
	}
	bad, err := os.ReadDir(filepath.Join(fixtures, "yelpsoa-configs", "bad"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range bad {
		if d.IsDir() {
			roots = append(roots, filepath.Join(fixtures, "yelpsoa-configs", "bad", d.Name()))
		}
	}
	for _, root := range roots {
		svcs, err := os.ReadDir(root)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range svcs {
			if !s.IsDir() || strings.HasPrefix(s.Name(), ".") || strings.HasPrefix(s.Name(), "_") {
				continue
			}
			rel, _ := filepath.Rel(filepath.Join(fixtures, "yelpsoa-configs"), root)
			out = append(out, tree{name: "soa-" + strings.ReplaceAll(rel, string(filepath.Separator), "-") + "-" + s.Name(),
				service: s.Name(), repo: fstest.MapFS{}, soa: os.DirFS(root)})
		}
	}
	return out
}

type key struct{ rule, path, what string }

// keyOf identifies a finding across fixes, which move lines and may
// change the advice after the message's first ": " (the list of deploy
// groups to choose from grows when a fix adds one).
func keyOf(f checks.Finding) key {
	what, _, _ := strings.Cut(f.Message, ": ")
	return key{f.RuleID, f.Path, what}
}

// prove checks what every fix run must do: each applied fix's finding is
// gone, no finding appeared that was not there before, and fixing the
// fixed tree again changes nothing.
func prove(t *testing.T, e *checks.Engine, tr tree, out *fix.Outcome) {
	t.Helper()
	ctx := context.Background()
	target, err := preparer(tr.service)(ctx, tr.repo, tr.soa)
	if err != nil {
		t.Fatal(err)
	}
	before, err := e.Run(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	was := map[key]bool{}
	for _, f := range before.Findings {
		was[keyOf(f)] = true
	}
	left := map[key]bool{}
	for _, f := range out.Result.Findings {
		left[keyOf(f)] = true
		if !was[keyOf(f)] {
			t.Errorf("fixing made a new finding: %s", f)
		}
	}
	for _, a := range out.Applied {
		if left[keyOf(a.Finding)] {
			t.Errorf("the fix %q did not resolve: %s", a.Fix.Message, a.Finding)
		}
	}
	repo, soa := fixedTrees(tr, out)
	again, err := fix.Run(ctx, fix.Options{Engine: e, Prepare: preparer(tr.service)}, repo, soa)
	if err != nil {
		t.Fatal(err)
	}
	if again.Changed() || len(again.Applied) > 0 {
		t.Errorf("a second fix run changes the tree again: %+v", again.Applied)
	}
}

// fixedTrees returns the fixture's trees with the outcome's changes.
func fixedTrees(tr tree, out *fix.Outcome) (fs.FS, fs.FS) {
	repo := fix.NewOverlay(tr.repo)
	for _, c := range out.Repo {
		repo.Set(c.Path, c.New)
	}
	if tr.soa == nil {
		return repo, nil
	}
	soa := fix.NewOverlay(tr.soa)
	for _, c := range out.SOA {
		soa.Set(c.Path, c.New)
	}
	return repo, soa
}

// render prints an outcome for a golden file: the fixes applied, the
// changes as a diff, and what is left.
func render(out *fix.Outcome) string {
	var b strings.Builder
	for _, a := range out.Applied {
		fmt.Fprintf(&b, "fixed %s [%s] %s\n", a.Finding.Where(), a.Finding.RuleID, a.Fix.Message)
	}
	for _, s := range out.Skipped {
		fmt.Fprintf(&b, "not fixed %s [%s]: %v\n", s.Finding.Where(), s.Finding.RuleID, s.Err)
	}
	for _, set := range []struct {
		prefix  string
		changes []fix.Change
	}{{"", out.Repo}, {"soa:", out.SOA}} {
		for _, c := range set.changes {
			fmt.Fprintf(&b, "--- %s%s\n+++ %s%s\n%s\n", set.prefix, c.Path, set.prefix, c.Path, diff.Unified(string(c.Old), string(c.New), diff.DefaultContext))
		}
	}
	for _, f := range out.Result.Findings {
		fmt.Fprintf(&b, "left %s\n", f)
	}
	return b.String()
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if got != string(want) {
		t.Errorf("differs from %s (go test -update rewrites it)\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// TestEveryFixtureIsFixedAndStaysFixed fixes every fixture in memory and
// proves the fixes (see prove); the golden file shows each fixture before
// and after as a diff.
func TestEveryFixtureIsFixedAndStaysFixed(t *testing.T) {
	e := engine(t)
	fixed := map[string]bool{}
	for _, tr := range fixtureTrees(t) {
		t.Run(tr.name, func(t *testing.T) {
			out, err := fix.Run(context.Background(), fix.Options{Engine: e, Prepare: preparer(tr.service)}, tr.repo, tr.soa)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range out.Applied {
				fixed[a.Finding.RuleID] = true
			}
			prove(t, e, tr, out)
			golden(t, filepath.Join("testdata", "fixtures", tr.name+".golden"), render(out))
		})
	}
	t.Logf("rules fixed on the fixtures: %v", slices.Sorted(func(yield func(string) bool) {
		for r := range fixed {
			if !yield(r) {
				return
			}
		}
	}))
}

// TestFixes runs each testdata/fixes/*.txtar: the files under repo/ and
// soa/ are fixed as service "svc" (or the archive's service file), and
// the changed files must equal those under want/; want/fixed lists the
// fixes applied. Each fix is also proven (see prove).
func TestFixes(t *testing.T) {
	e := engine(t)
	archives, err := filepath.Glob(filepath.Join("testdata", "fixes", "*.txtar"))
	if err != nil || len(archives) == 0 {
		t.Fatalf("no archives: %v", err)
	}
	for _, name := range archives {
		t.Run(strings.TrimSuffix(filepath.Base(name), ".txtar"), func(t *testing.T) {
			a := loadArchive(t, name)
			tr, ar, want := a.tree, a.ar, a.want
			out, err := fix.Run(context.Background(), fix.Options{Engine: e, Prepare: preparer(tr.service)}, tr.repo, tr.soa)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, c := range out.Repo {
				got["repo/"+c.Path] = string(c.New)
			}
			for _, c := range out.SOA {
				got["soa/"+c.Path] = string(c.New)
			}
			var applied strings.Builder
			for _, a := range out.Applied {
				fmt.Fprintf(&applied, "%s %s\n", a.Finding.RuleID, a.Fix.Message)
			}
			got["fixed"] = applied.String()
			if *update {
				var files []txtar.File
				for _, f := range ar.Files {
					if !strings.HasPrefix(f.Name, "want/") {
						files = append(files, f)
					}
				}
				for _, n := range slices.Sorted(mapKeys(got)) {
					files = append(files, txtar.File{Name: "want/" + n, Data: []byte(got[n])})
				}
				ar.Files = files
				if err := os.WriteFile(name, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			for n, g := range got {
				if w, ok := want[n]; !ok || w != g {
					t.Errorf("%s:\n--- got\n%s--- want\n%s", n, g, w)
				}
			}
			for n := range want {
				if _, ok := got[n]; !ok {
					t.Errorf("%s: want a change, got none", n)
				}
			}
			prove(t, e, tr, out)
		})
	}
}

// archive is a testdata/fixes archive: its trees and the files it wants.
type archive struct {
	tree
	ar   *txtar.Archive
	want map[string]string
}

func loadArchive(t *testing.T, name string) archive {
	t.Helper()
	ar, err := txtar.ParseFile(name)
	if err != nil {
		t.Fatal(err)
	}
	tr := tree{name: strings.TrimSuffix(filepath.Base(name), ".txtar"), service: "svc"}
	repo, soa := fstest.MapFS{}, fstest.MapFS{}
	want := map[string]string{}
	for _, f := range ar.Files {
		switch {
		case f.Name == "service":
			tr.service = strings.TrimSpace(string(f.Data))
		case strings.HasPrefix(f.Name, "repo/"):
			repo[strings.TrimPrefix(f.Name, "repo/")] = &fstest.MapFile{Data: f.Data, Mode: 0o644}
		case strings.HasPrefix(f.Name, "soa/"):
			soa[strings.TrimPrefix(f.Name, "soa/")] = &fstest.MapFile{Data: f.Data, Mode: 0o644}
		case strings.HasPrefix(f.Name, "want/"):
			want[strings.TrimPrefix(f.Name, "want/")] = string(f.Data)
		}
	}
	tr.repo = repo
	if len(soa) > 0 {
		tr.soa = soa
	}
	return archive{tree: tr, ar: ar, want: want}
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestRunKeepsTheLineEndingsAndTheMissingFinalNewline(t *testing.T) {
	tests := []struct {
		name, makefile, want string
	}{
		{"a CRLF Makefile stays CRLF",
			"DOCKER_TAG = svc-dev\r\n.PHONY: test itest\r\ntest:\r\n    true\r\nitest:\r\n\ttrue\r\n",
			"DOCKER_TAG ?= svc-dev\r\n.PHONY: test itest\r\ntest:\r\n\ttrue\r\nitest: cook-image\r\n\ttrue\r\n\r\n.PHONY: cook-image\r\ncook-image:\r\n\tdocker build -t $(DOCKER_TAG) .\r\n"},
		{"a Makefile without a final newline keeps it so",
			"DOCKER_TAG = svc-dev\n.PHONY: test itest cook-image\ntest:\n\ttrue\ncook-image:\n\tdocker build -t $(DOCKER_TAG) .\nitest: cook-image\n    true",
			"DOCKER_TAG ?= svc-dev\n.PHONY: test itest cook-image\ntest:\n\ttrue\ncook-image:\n\tdocker build -t $(DOCKER_TAG) .\nitest: cook-image\n\ttrue"},
	}
	e := engine(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := fstest.MapFS{"Makefile": {Data: []byte(tt.makefile)}, "Dockerfile": {Data: []byte("FROM scratch\nEXPOSE 8888\n")}}
			out, err := fix.Run(context.Background(), fix.Options{Engine: e, Prepare: preparer("svc")}, repo, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Repo) != 1 || string(out.Repo[0].New) != tt.want {
				t.Fatalf("changes %+v\nwant Makefile %q", out.Repo, tt.want)
			}
			prove(t, e, tree{service: "svc", repo: repo}, out)
		})
	}
}

func TestRunReportsAFixItCannotApply(t *testing.T) {
	e := engine(t)
	repo := fstest.MapFS{"Makefile": {Data: []byte("# caf\xe9\nDOCKER_TAG = svc-dev\ntest itest cook-image:\n\ttrue $(DOCKER_TAG)\n")}}
	out, err := fix.Run(context.Background(), fix.Options{Engine: e, Prepare: preparer("svc")}, repo, nil)
	if err != nil {
		t.Fatal(err)
	}
	if out.Changed() || len(out.Skipped) != 1 || !errors.Is(out.Skipped[0].Err, fix.ErrNotText) || out.Skipped[0].Finding.RuleID != "makefile.docker-tag" {
		t.Errorf("changed %v, skipped %+v; want only the docker-tag fix skipped as not text", out.Changed(), out.Skipped)
	}
}

func TestRunAppliesOnlyTheRulesAskedFor(t *testing.T) {
	e := engine(t)
	repo := os.DirFS(filepath.Join(fixtures, "services", "legacy-service"))
	out, err := fix.Run(context.Background(), fix.Options{Engine: e, Prepare: preparer("legacy-service"), Rules: []string{"makefile.tabs"}}, repo, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range out.Applied {
		if a.Finding.RuleID != "makefile.tabs" {
			t.Errorf("applied a fix of %s", a.Finding.RuleID)
		}
	}
	if len(out.Applied) != 1 {
		t.Errorf("applied %d fixes, want the one tab fix", len(out.Applied))
	}
}
