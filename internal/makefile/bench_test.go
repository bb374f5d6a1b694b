package makefile

import (
	"context"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// benchMakefile is a typical service Makefile of about 100 lines.
const benchMakefile = "testdata/service.mk"

// BenchmarkAnalyze measures a full in-process analysis (two readings of the
// makefile, the contract targets and their recipes) of a typical service
// Makefile.
func BenchmarkAnalyze(b *testing.B) {
	src, err := os.ReadFile(benchMakefile)
	if err != nil {
		b.Fatal(err)
	}
	fsys := fstest.MapFS{"Makefile": {Data: src}}
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		probe(b, ctx, Config{FS: fsys}, "Makefile")
	}
}

// BenchmarkParse measures the parser alone on the same file.
func BenchmarkParse(b *testing.B) {
	src, err := os.ReadFile(benchMakefile)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := ParseFile(token.NewFileSet(), "Makefile", src); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGNUMake runs `make -p -q` on the same file, with an empty
// environment, for comparison: process start-up included, as a user or a
// CI job would pay it.
func BenchmarkGNUMake(b *testing.B) {
	makePath, err := exec.LookPath("make")
	if err != nil {
		b.Skip("GNU make is not installed")
	}
	src, err := os.ReadFile(benchMakefile)
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Makefile"), src, 0o644); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		cmd := exec.Command(makePath, "-p", "-q", "-f", "Makefile")
		cmd.Dir = dir
		cmd.Env = []string{}
		// -q exits 1 when the goal is out of date; only 2 is an error.
		if err := cmd.Run(); err != nil {
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkAnalyzeManyBadLines measures a hostile worst case: a Makefile of
// 100,000 lines that make rejects, each one a finding that quotes its line.
// Quoting used to rescan the file from the top, so this took minutes.
func BenchmarkAnalyzeManyBadLines(b *testing.B) {
	src := []byte(strings.Repeat("x\n", 100_000))
	fsys := fstest.MapFS{"Makefile": {Data: src}}
	ctx := context.Background()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		probe(b, ctx, Config{FS: fsys}, "Makefile")
	}
}

// BenchmarkParseLongContinuation measures one assignment continued over
// 100,000 lines. Joining the lines used to copy the line so far at every
// backslash-newline.
func BenchmarkParseLongContinuation(b *testing.B) {
	src := []byte("X = " + strings.Repeat("a \\\n", 100_000) + "\n")
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := ParseFile(token.NewFileSet(), "Makefile", src); err != nil {
			b.Fatal(err)
		}
	}
}
