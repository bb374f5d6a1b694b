package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/contractbot/contractbot/internal/gitref"
	"github.com/contractbot/contractbot/internal/registry/registrytest"
)

// BenchmarkHookPush pushes through real git into a bare repository whose
// pre-receive hook is the real contractbot binary:
//
//	go test -run '^$' -bench BenchmarkHookPush -benchtime 20x ./cmd/contractbot
//
// It reports the median wall time of the whole `git push` (push-ms) and of
// the hook process alone (hook-ms, timed by the hook script), next to
// GitHub Enterprise Server's 5 s pre-receive limit.
func BenchmarkHookPush(b *testing.B) {
	bin := buildContractbot(b, b.TempDir())
	b.Run("deploy-tag", func(b *testing.B) {
		w := newBenchWorld(b, bin, 10)
		benchPushes(b, w, func(i int) []string {
			return []string{w.head + ":" + benchTag(i)}
		})
	})
	b.Run("deploy-tag-registry", func(b *testing.B) {
		w := newBenchWorld(b, bin, 10)
		srv := registrytest.Start(b)
		srv.Push(b, "services-web", "paasta-"+w.head)
		w.git(w.bare, "config", "contractbot.registry", srv.URL)
		benchPushes(b, w, func(i int) []string {
			return []string{w.head + ":" + benchTag(i)}
		})
	})
	for _, files := range []int{1000, 50000} {
		b.Run(fmt.Sprintf("commit-main-%d-files", files), func(b *testing.B) {
			w := newBenchWorld(b, bin, files)
			benchPushes(b, w, func(i int) []string {
				w.head = w.newCommit(i)
				return []string{"main"}
			})
		})
	}
}

func benchTag(i int) string {
	return gitref.Ref{Kind: gitref.DeployTag, DeployGroup: "prod.main", Time: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second), State: gitref.StateDeploy}.String()
}

// benchWorld is a gitWorld whose clone is a bare repository filled by git
// fast-import, so that 50,000 files cost seconds, not minutes.
type benchWorld struct {
	*gitWorld
	client string // bare repository that pushes to bare
	head   string
	timing string // the hook script appends its run time (ns) here
	files  int
}

func newBenchWorld(b *testing.B, bin string, files int) *benchWorld {
	b.Helper()
	w := &benchWorld{gitWorld: newGitWorld(b, bin), files: files}
	w.timing = filepath.Join(w.dir, "hook-times")
	// The hook script times the hook process itself.
	script := fmt.Sprintf("#!/bin/sh\nstart=$(date +%%s%%N)\n%q hook pre-receive\nrc=$?\necho $(( $(date +%%s%%N) - start )) >> %q\nexit $rc\n", bin, w.timing)
	if err := os.WriteFile(filepath.Join(w.bare, "hooks", "pre-receive"), []byte(script), 0o755); err != nil {
		b.Fatal(err)
	}
	w.client = filepath.Join(w.dir, "client.git")
	w.git(w.dir, "init", "-q", "--bare", "-b", "main", w.client)
	w.git(w.client, "remote", "add", "origin", w.bare)

	// One commit with a service's top-level files and files-3 more in
	// directories of 100.
	var s strings.Builder
	blob := func(path, content string) {
		fmt.Fprintf(&s, "M 100644 inline %s\ndata %d\n%s\n", path, len(content), content)
	}
	s.WriteString("commit refs/heads/main\ncommitter Dev <dev@example.com> 1767225600 +0000\ndata 5\nbase\n")
	blob("Makefile", goodMakefile)
	blob("Dockerfile", "FROM debian:bookworm\n")
	blob("README.md", "web\n")
	for i := range files - 3 {
		blob(fmt.Sprintf("src/pkg%03d/file%05d.go", i/100, i), fmt.Sprintf("package pkg%03d\n\nconst X%d = %d\n", i/100, i, i))
	}
	w.fastImport(s.String())
	w.head = w.git(w.client, "rev-parse", "main")
	// The first push carries every object; it is not what is measured.
	if _, errs, err := w.run(w.client, "push", "-q", "origin", "main"); err != nil {
		b.Fatalf("initial push: %v\n%s", err, errs)
	}
	os.Remove(w.timing)
	return w
}

func (w *benchWorld) fastImport(stream string) {
	w.t.Helper()
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir = w.client
	cmd.Env = w.env
	cmd.Stdin = strings.NewReader(stream)
	if out, err := cmd.CombinedOutput(); err != nil {
		w.t.Fatalf("git fast-import: %v\n%s", err, out)
	}
}

// newCommit commits a change to one file on main.
func (w *benchWorld) newCommit(i int) string {
	content := fmt.Sprintf("web, change %d\n", i)
	w.fastImport(fmt.Sprintf("commit refs/heads/main\ncommitter Dev <dev@example.com> %d +0000\ndata 7\nchange\nfrom refs/heads/main^0\nM 100644 inline README.md\ndata %d\n%s\n",
		1767225600+i+1, len(content), content))
	return w.git(w.client, "rev-parse", "main")
}

func benchPushes(b *testing.B, w *benchWorld, next func(i int) []string) {
	var push []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		refspecs := next(i)
		b.StartTimer()
		start := time.Now()
		_, errs, err := w.run(w.client, append([]string{"push", "-q", "origin"}, refspecs...)...)
		push = append(push, time.Since(start))
		if err != nil {
			b.Fatalf("push %v refused: %v\n%s", refspecs, err, errs)
		}
	}
	b.StopTimer()
	b.ReportMetric(medianMS(push), "push-ms")
	b.ReportMetric(medianMS(w.hookTimes(b)), "hook-ms")
}

func (w *benchWorld) hookTimes(b *testing.B) []time.Duration {
	f, err := os.Open(w.timing)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var ds []time.Duration
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n, err := strconv.ParseInt(strings.TrimSpace(sc.Text()), 10, 64)
		if err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Duration(n))
	}
	return ds
}

func medianMS(ds []time.Duration) float64 {
	if len(ds) == 0 {
		return 0
	}
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return float64(ds[len(ds)/2]) / float64(time.Millisecond)
}
