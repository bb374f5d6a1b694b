package checks

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const servicesDir = "../../fixtures/services"

// makefileEngine runs only the rules over the repository's files, so that
// the golden files do not change when other areas add rules.
func makefileEngine(t *testing.T) *Engine {
	t.Helper()
	e, err := NewEngine(slices.Concat(makefileRules(), dockerfileRules()))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// render prints findings, their fixes and the makefile fact for a golden
// file.
func render(res *Result) string {
	var b strings.Builder
	for _, f := range res.Findings {
		fmt.Fprintln(&b, f)
		for _, fix := range f.SuggestedFixes {
			for _, e := range fix.Edits {
				fmt.Fprintf(&b, "  fix (%s) %s:%d-%d:\n", fix.Message, e.Path, e.Line, e.EndLine)
				for _, l := range strings.SplitAfter(e.NewText, "\n") {
					if l != "" {
						fmt.Fprintf(&b, "  | %s", l)
					}
				}
			}
		}
	}
	if fact, ok := res.Facts["makefile"]; ok {
		j, _ := json.MarshalIndent(fact, "", "  ")
		fmt.Fprintf(&b, "facts.makefile = %s\n", j)
	}
	return b.String()
}

func TestMakefileRulesOnFixtures(t *testing.T) {
	dirs, err := os.ReadDir(servicesDir)
	if err != nil {
		t.Fatal(err)
	}
	e := makefileEngine(t)
	seen := map[string]bool{}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		name := d.Name()
		t.Run(name, func(t *testing.T) {
			repo := os.DirFS(filepath.Join(servicesDir, name))
			res, err := e.Run(context.Background(), Target{Repo: repo})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range res.Findings {
				seen[f.RuleID] = true
				if _, ok := f.Fix(); ok {
					checkFixResolves(t, e, repo, f)
				}
			}
			got := render(res)
			golden := filepath.Join("testdata", "makefile", name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("findings differ from %s (go test -update rewrites it)\n--- got\n%s--- want\n%s", golden, got, want)
			}
			if name == "web-api" && len(res.Findings) > 0 {
				t.Errorf("the good service has findings:\n%s", got)
			}
		})
	}
	// Every rule has at least one fixture that breaks it.
	for _, r := range makefileEngine(t).Rules() {
		if !seen[r.ID] {
			t.Errorf("no fixture under %s breaks %s", servicesDir, r.ID)
		}
	}
}

// checkFixResolves applies f's fix to a copy of repo and checks that the
// rule no longer reports that line.
func checkFixResolves(t *testing.T, e *Engine, repo fs.FS, f Finding) {
	t.Helper()
	fix, _ := f.Fix()
	edit, ok := fix.LineEdit()
	if !ok {
		t.Fatalf("%s: the fix is not one whole-line edit: %+v", f, fix)
	}
	res, err := e.Run(context.Background(), Target{Repo: withFixApplied(t, repo, edit)})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range res.Findings {
		if g.RuleID == f.RuleID && g.Path == f.Path && g.Line == f.Line {
			t.Errorf("after applying the fix for %s, still: %s", f, g)
		}
	}
}

// withFixApplied returns an in-memory copy of fsys with fix applied.
func withFixApplied(t *testing.T, fsys fs.FS, fix TextEdit) fstest.MapFS {
	t.Helper()
	src, err := fs.ReadFile(fsys, fix.Path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(src), "\n")
	if fix.Line < 1 || fix.EndLine > len(lines) {
		t.Fatalf("fix range %d-%d outside %s", fix.Line, fix.EndLine, fix.Path)
	}
	fixed := strings.Join(lines[:fix.Line-1], "") + fix.NewText + strings.Join(lines[fix.EndLine:], "")
	mem := fstest.MapFS{}
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		mem[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	mem[fix.Path] = &fstest.MapFile{Data: []byte(fixed)}
	return mem
}

func TestMakefileRules(t *testing.T) {
	tests := []struct {
		name     string
		makefile string
		want     []string // "rule line" of each finding
	}{
		{"GNU make's own file names are read first", "", []string{"makefile.missing 1"}},
		{"a phony-only test points at the .PHONY line", "DOCKER_TAG ?= x\n\n.PHONY: test itest cook-image\nitest cook-image:\n\tdocker build -t $(DOCKER_TAG) .\n",
			[]string{"makefile.test 3"}},
		{"an override cannot be overridden", "override DOCKER_TAG = x\ntest itest cook-image:\n\tdocker build -t $(DOCKER_TAG) .\n",
			[]string{"makefile.docker-tag 1"}},
		{"a shell-dependent default is accepted", "DOCKER_TAG ?= $(shell git rev-parse --short HEAD)\ntest itest cook-image:\n\tdocker build -t $(DOCKER_TAG) .\n",
			nil},
		{"ifndef is as good as ?=", "ifndef DOCKER_TAG\nDOCKER_TAG := x\nendif\ntest itest cook-image:\n\tdocker build -t $(DOCKER_TAG) .\n", nil},
		{"no fix is offered when other assignments follow", "DOCKER_TAG = a\nDOCKER_TAG += b\ntest itest cook-image:\n\tdocker build -t $(DOCKER_TAG) .\n",
			[]string{"makefile.docker-tag 1"}},
		{"a target-specific tag beats the environment", "DOCKER_TAG ?= x\ntest:\n\ttrue\nitest: cook-image\ncook-image: override DOCKER_TAG := latest\ncook-image:\n\tdocker build -t $(DOCKER_TAG) .\n",
			[]string{"makefile.docker-tag 5"}},
		{"a default made only of environment variables is empty", "DOCKER_TAG ?= $(USER)\ntest itest cook-image:\n\tdocker build -t $(DOCKER_TAG) .\n",
			[]string{"makefile.docker-tag 1"}},
		{"a missing separator without indentation", "DOCKER_TAG ?= x\ntest itest cook-image:\n\tdocker build -t $(DOCKER_TAG) .\necho oops\n",
			[]string{"makefile.tabs 4"}},
	}
	e := makefileEngine(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := fstest.MapFS{"Dockerfile": {Data: []byte("FROM scratch\nCOPY . /code\n")}}
			if tt.makefile != "" {
				repo["GNUmakefile"] = &fstest.MapFile{Data: []byte(tt.makefile)}
			}
			res, err := e.Run(context.Background(), Target{Repo: repo})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range res.Findings {
				got = append(got, fmt.Sprintf("%s %d", f.RuleID, f.Line))
				if _, ok := f.Fix(); ok && strings.HasPrefix(tt.name, "no fix") {
					t.Errorf("unexpected fix %+v", f.SuggestedFixes)
				}
				if _, ok := f.Fix(); ok {
					checkFixResolves(t, e, repo, f)
				}
				if tt.makefile != "" && f.Path != "GNUmakefile" {
					t.Errorf("finding in %s, want GNUmakefile: %s", f.Path, f)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q\n%s", got, tt.want, render(res))
			}
		})
	}
}
