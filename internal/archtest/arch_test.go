package archtest

import (
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/contractbot/contractbot/"

// part names the part of the project a package belongs to: its first
// directory under internal/ (internal/soa/soatest belongs to soa), or cmd.
func part(pkg string) string {
	rel := strings.TrimPrefix(pkg, module)
	if after, ok := strings.CutPrefix(rel, "internal/"); ok {
		first, _, _ := strings.Cut(after, "/")
		return first
	}
	first, _, _ := strings.Cut(rel, "/")
	return first
}

// graph returns, for each part, the parts its non-test code imports.
func graph(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports", "github.com/contractbot/contractbot/...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	g := map[string][]string{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		from := part(p.ImportPath)
		if _, ok := g[from]; !ok {
			g[from] = nil
		}
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			if to := part(imp); to != from && !slices.Contains(g[from], to) {
				g[from] = append(g[from], to)
			}
		}
	}
	return g
}

func TestNoTwoPartsImportEachOther(t *testing.T) {
	g := graph(t)
	// Depth-first search for a cycle; report the first one with its path.
	const (
		unseen = iota
		onPath
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(string) bool
	visit = func(p string) bool {
		state[p] = onPath
		path = append(path, p)
		for _, q := range g[p] {
			switch state[q] {
			case onPath:
				i := slices.Index(path, q)
				t.Errorf("parts import each other: %s -> %s", strings.Join(path[i:], " -> "), q)
				return true
			case unseen:
				if visit(q) {
					return true
				}
			}
		}
		path = path[:len(path)-1]
		state[p] = done
		return false
	}
	parts := make([]string, 0, len(g))
	for p := range g {
		parts = append(parts, p)
	}
	slices.Sort(parts)
	for _, p := range parts {
		if state[p] == unseen && visit(p) {
			return
		}
	}
}

// leaves are the parts that know one thing each (a grammar, a file
// format, an algorithm) and import no other part but those listed, so
// that they can be read, tested and fuzzed alone.
var leaves = map[string][]string{
	"diff":        nil,
	"fleet":       {"checks", "report", "metricsutil"},
	"gitobj":      nil,
	"gitmirror":   {"gitobj"},
	"gitref":      nil,
	"makefile":    nil,
	"metricsutil": nil,
	"registry":    nil,
	"soa":         {"suggest"},
	"suggest":     nil,
}

func TestLeavesImportNoOtherPart(t *testing.T) {
	g := graph(t)
	for leaf, allowed := range leaves {
		if _, ok := g[leaf]; !ok {
			t.Errorf("leaf part %s does not exist any more: update the table", leaf)
		}
		for _, imp := range g[leaf] {
			if !slices.Contains(allowed, imp) {
				t.Errorf("leaf part %s imports %s", leaf, imp)
			}
		}
	}
}

// TestFacesBuildTargetsWithPrepare keeps every face on one way in: a
// target written out by hand skips the rules Prepare applies to
// .contractbot.yaml, the service name and soa_dir (and once did, in three
// different ways).
func TestFacesBuildTargetsWithPrepare(t *testing.T) {
	root := "../.."
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		if rel, _ := filepath.Rel(root, p); strings.HasPrefix(filepath.ToSlash(rel), "internal/checks/") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, "checks.Target{") && !strings.Contains(line, "checks.Target{}") {
				t.Errorf("%s:%d: builds a checks.Target by hand; use checks.Prepare", p, i+1)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestMakefileKnowsNothingOfTheContract keeps internal/makefile a model of
// GNU make alone: the PaaSTA contract's names (DOCKER_TAG, cook-image)
// belong to internal/checks, which computes the contract's facts from the
// makefile package's general queries. Tests may use them as examples.
func TestMakefileKnowsNothingOfTheContract(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "makefile", "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files in internal/makefile (%v)", err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, word := range []string{"DOCKER_TAG", "cook-image"} {
			if strings.Contains(string(src), word) {
				t.Errorf("%s mentions %s: the contract's names belong in internal/checks", f, word)
			}
		}
	}
}
