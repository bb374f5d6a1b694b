package makefile

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

// countingFS counts the directory entries a reader lists. It has no Glob
// method, as a tree read from git objects or from disk has none.
type countingFS struct {
	files   fstest.MapFS
	entries int
}

func (c *countingFS) Open(name string) (fs.File, error) { return c.files.Open(name) }

func (c *countingFS) ReadDir(name string) ([]fs.DirEntry, error) {
	es, err := c.files.ReadDir(name)
	c.entries += len(es)
	return es, err
}

func TestWildcardsThatMatchNothingStillSpendTheBudget(t *testing.T) {
	fsys := &countingFS{files: fstest.MapFS{}}
	for i := range 100 {
		for j := range 10 {
			fsys.files[fmt.Sprintf("d%d/f%d", i, j)] = &fstest.MapFile{}
		}
	}
	words := strings.Repeat("x ", 1000)
	fsys.files["Makefile"] = &fstest.MapFile{Data: []byte("X := $(foreach i," + words + ",$(wildcard */nothing*))\n")}
	const budget = 20_000
	a, err := AnalyzeConfig(context.Background(), Config{FS: fsys, MaxSteps: budget}, "Makefile")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(a.DB.Errors.Error(), "budget") {
		t.Errorf("errors %v, want the step budget", a.DB.Errors)
	}
	// Analyze reads the makefile more than once (with and without an
	// environment), each read with its own budget: hence the factor.
	if fsys.entries > 2*budget {
		t.Fatalf("$(wildcard) listed %d directory entries under a budget of %d steps", fsys.entries, budget)
	}
}
