package fix_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/fix"
)

// TestGNUMakeAgreesWithTheMakefileFixes asks GNU make, the oracle the
// makefile package is tested against, about every fixed Makefile of the
// fixtures and archives: each contract target contractbot no longer
// reports missing is one `make -n TARGET` answers, and when
// makefile.docker-tag is no longer reported, a DOCKER_TAG in the
// environment (as the pipeline sets it) and on the command line wins over
// the Makefile's default. make only reads the fixed test fixtures here,
// with -n and -q, and an empty environment; it never sees user input.
func TestGNUMakeAgreesWithTheMakefileFixes(t *testing.T) {
	if testing.Short() && os.Getenv("CONTRACTBOT_REQUIRE_ITEST") != "1" {
		t.Skip("asks GNU make; skipped with -short")
	}
	makePath, err := exec.LookPath("make")
	if err != nil {
		if os.Getenv("CONTRACTBOT_REQUIRE_ITEST") == "1" {
			t.Fatal("GNU make is required (CONTRACTBOT_REQUIRE_ITEST=1) but not installed")
		}
		t.Skip("GNU make is not installed")
	}
	e := engine(t)
	trees := fixtureTrees(t)
	trees = append(trees, archiveTrees(t)...)
	checked := 0
	for _, tr := range trees {
		if _, err := fs.Stat(tr.repo, "Makefile"); err != nil {
			continue
		}
		out, err := fix.Run(context.Background(), fix.Options{Engine: e, Prepare: preparer(tr.service)}, tr.repo, tr.soa)
		if err != nil {
			t.Fatal(err)
		}
		touched := false
		for _, c := range out.Repo {
			touched = touched || c.Path == "Makefile"
		}
		if !touched {
			continue
		}
		checked++
		t.Run(tr.name, func(t *testing.T) {
			repo, _ := fixedTrees(tr, out)
			dir := t.TempDir()
			if err := os.CopyFS(dir, repo); err != nil {
				t.Fatal(err)
			}
			left := map[string]bool{}
			for _, f := range out.Result.Findings {
				left[f.RuleID] = true
			}
			for _, target := range checks.ContractTargets() {
				if left["makefile."+target] {
					continue
				}
				if _, stderr, err := runMake(t, makePath, dir, nil, "-n", target); err != nil {
					t.Errorf("contractbot no longer reports %s, but make -n %s fails: %v\n%s", target, target, err, stderr)
				}
			}
			if left["makefile.docker-tag"] {
				return
			}
			value := regexp.MustCompile(`(?m)^DOCKER_TAG :?= fromthepipeline$`)
			db, stderr, _ := runMake(t, makePath, dir, []string{"DOCKER_TAG=fromthepipeline"}, "-p", "-q")
			if !value.MatchString(db) {
				t.Errorf("contractbot no longer reports makefile.docker-tag, but make ignores DOCKER_TAG from the environment:\n%s%s", grepDockerTag(db), stderr)
			}
			db, stderr, _ = runMake(t, makePath, dir, nil, "-p", "-q", "DOCKER_TAG=fromthepipeline")
			if !value.MatchString(db) {
				t.Errorf("make -p -q DOCKER_TAG=x ignores the command line:\n%s%s", grepDockerTag(db), stderr)
			}
		})
	}
	if checked == 0 {
		t.Fatal("no fixture has a Makefile fix to check")
	}
}

func grepDockerTag(db string) string {
	var b strings.Builder
	for _, l := range strings.Split(db, "\n") {
		if strings.Contains(l, "DOCKER_TAG") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// runMake runs GNU make in dir with exactly env as its environment.
func runMake(t *testing.T, makePath, dir string, env []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, makePath, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{}, env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("make %v timed out", args)
	}
	return o.String(), e.String(), err
}

// archiveTrees returns the repositories of testdata/fixes/*.txtar.
func archiveTrees(t *testing.T) []tree {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join("testdata", "fixes", "*.txtar"))
	var out []tree
	for _, n := range names {
		tr := loadArchive(t, n)
		out = append(out, tr.tree)
	}
	return out
}
