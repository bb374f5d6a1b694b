package makefile

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
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
	a := probe(t, context.Background(), Config{FS: fsys, MaxSteps: budget}, "Makefile")
	if !strings.Contains(a.DB.Errors.Error(), "budget") {
		t.Errorf("errors %v, want the step budget", a.DB.Errors)
	}
	// The analysis reads the makefile more than once (with and without an
	// environment), each read with its own budget: hence the factor.
	if fsys.entries > 2*budget {
		t.Fatalf("$(wildcard) listed %d directory entries under a budget of %d steps", fsys.entries, budget)
	}
}

// readCountingFS counts the bytes read from its files.
type readCountingFS struct {
	files fstest.MapFS
	bytes int
}

func (c *readCountingFS) Open(name string) (fs.File, error) {
	f, err := c.files.Open(name)
	if err != nil {
		return nil, err
	}
	return &countedFile{f, c}, nil
}

type countedFile struct {
	fs.File
	c *readCountingFS
}

func (f *countedFile) Read(b []byte) (int, error) {
	n, err := f.File.Read(b)
	f.c.bytes += n
	return n, err
}

func TestIncludesStopAtATotalOfBytesRead(t *testing.T) {
	fsys := &readCountingFS{files: fstest.MapFS{
		// Too big to be read as a makefile, so never cached: every
		// include of it reads it again.
		"big.mk":   {Data: []byte(strings.Repeat("#", MaxFileSize+1))},
		"Makefile": {Data: []byte("-include $(foreach i," + strings.Repeat("x ", 100) + ",big.mk)\n")},
	}}
	a := probe(t, context.Background(), Config{FS: fsys}, "Makefile")
	if !slices.ContainsFunc(a.DB.Errors, func(e *Error) bool { return strings.Contains(e.Msg, "more than 64 MiB") }) {
		t.Errorf("errors %v, want the read budget", a.DB.Errors)
	}
	// Two readings (see Database.EnvironmentWins), each allowed maxBytesRead and one
	// file more.
	if max := 2 * (maxBytesRead + MaxFileSize + 1); fsys.bytes > max {
		t.Fatalf("read %d MiB of includes, want at most %d MiB", fsys.bytes>>20, max>>20)
	}
}

func TestAppendingPaysForTheValueItCopies(t *testing.T) {
	// Each += copies the value so far: 20,000 of them copy 400 MB in all,
	// far more work than 20,000 statements.
	src := strings.Repeat("V += x\n", 20_000)
	a := probe(t, context.Background(), Config{FS: fstest.MapFS{"Makefile": {Data: []byte(src)}}, MaxSteps: 100_000}, "Makefile")
	if !strings.Contains(a.DB.Errors.Error(), "budget") {
		t.Errorf("errors %v, want the step budget", a.DB.Errors)
	}
}
