package makefile

import (
	"context"
	"fmt"
	"go/token"
	"io"
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

// listWords is a makefile assigning 100,000 distinct words to A.
func listWords(n int) string {
	var b strings.Builder
	b.WriteString("A :=")
	for i := range n {
		fmt.Fprintf(&b, " w%d", i)
	}
	// A goal, so that make -p -q has something to consider.
	b.WriteString("\nall: ;\n")
	return b.String()
}

// listFunctions are the list functions issue 14 found quadratic, each
// applied to 100,000 words.
var listFunctions = []struct{ name, expr string }{
	{"filter-out", "$(filter-out $(A),$(A))"},
	{"filter", "$(filter $(A),$(A))"},
	{"filter-percent", "$(filter w1% %9,$(A))"},
	{"sort", "$(sort $(A))"},
	{"words", "$(words $(A))"},
	{"wordlist", "$(wordlist 2,99999,$(A))"},
	{"patsubst", "$(patsubst w%,x%,$(A))"},
}

// BenchmarkListFunctions measures each list function over 100,000 words,
// read and expanded once (BENCHMARKS.md compares it with GNU make).
func BenchmarkListFunctions(b *testing.B) {
	words := listWords(100_000)
	for _, f := range listFunctions {
		b.Run(f.name, func(b *testing.B) {
			fsys := fstest.MapFS{"Makefile": {Data: []byte(words + "B := " + f.expr + "\n")}}
			for b.Loop() {
				db, err := Read(context.Background(), Config{FS: fsys}, "Makefile")
				if err != nil || len(db.Errors) > 0 {
					b.Fatal(err, db.Errors)
				}
			}
		})
	}
}

// BenchmarkListFunctionsGNUMake is BenchmarkListFunctions run by GNU make
// (`make -p -q`, process start-up included).
func BenchmarkListFunctionsGNUMake(b *testing.B) {
	makePath, err := exec.LookPath("make")
	if err != nil {
		b.Skip("GNU make is not installed")
	}
	words := listWords(100_000)
	for _, f := range listFunctions {
		b.Run(f.name, func(b *testing.B) {
			dir := b.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "Makefile"), []byte(words+"B := "+f.expr+"\n"), 0o644); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				// GNU make 4.3 keeps the words of $(filter ...) on the
				// stack (alloca) and overflows the default 8 MiB at
				// 100,000 words: it runs with an unlimited stack here.
				cmd := exec.Command("/bin/sh", "-c", `ulimit -s unlimited && exec "$0" -p -q -f Makefile`, makePath)
				cmd.Dir = dir
				cmd.Env = []string{}
				cmd.Stdout = io.Discard
				if err := cmd.Run(); err != nil {
					if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
