package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/gitobj"
	"github.com/contractbot/contractbot/internal/gittest"
	"github.com/contractbot/contractbot/internal/hook"
)

// The three faces (the CLI, the pre-receive hook, the App's check job)
// build their targets with checks.Prepare and must agree on every
// repository: the same findings at the same paths, and the same verdict.
// Each case is a repository as files; every face checks it as a whole.
func TestFacesAgree(t *testing.T) {
	bin := contractbotBinary(t)
	const soaService = "service.yaml"
	good := map[string]string{"Makefile": goodMakefile, "Dockerfile": "FROM scratch\nCOPY . /code\n"}
	with := func(extra ...string) map[string]string {
		m := map[string]string{}
		for k, v := range good {
			m[k] = v
		}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		name  string
		files map[string]string
		// want holds findings that must be among every face's, as
		// "severity rule path:line"; ok is the verdict.
		want []string
		ok   bool
	}{
		{
			name:  "a service keeping the contract is clean everywhere",
			files: good, ok: true,
		},
		{
			name:  "soa_dir with ./ is the directory it names",
			files: with(checks.ConfigFile, "service: web\nsoa_dir: ./yelpsoa-configs\n", "yelpsoa-configs/web/"+soaService, "description: web\n"),
			want:  []string{"error soa.deploy-yaml yelpsoa-configs/web/deploy.yaml:1"},
		},
		{
			name:  "soa_dir with a trailing slash is the directory it names",
			files: with(checks.ConfigFile, "service: web\nsoa_dir: yelpsoa-configs/\n", "yelpsoa-configs/web/"+soaService, "description: web\n"),
			want:  []string{"error soa.deploy-yaml yelpsoa-configs/web/deploy.yaml:1"},
		},
		{
			name: "findings of an in-repository soa tree name files of the repository",
			files: with(checks.ConfigFile, "service: sdtest\nsoa_dir: soa\n",
				"soa/sdtest/"+soaService, "description: x\n",
				"soa/sdtest/deploy.yaml", "pipeline:\n- step: itest\n- step: security-check\n- step: prod.main\n",
				"soa/sdtest/kubernetes-prod.yaml", "main:\n  deploy_group: prod.nope\n"),
			want: []string{"error soa.deploy-group soa/sdtest/kubernetes-prod.yaml:2"},
		},
		{
			name:  "a broken config is one config.invalid finding at its line",
			files: with(checks.ConfigFile, "service: web\nrules:\n  makefile.nope: off\n"),
			want:  []string{"error config.invalid .contractbot.yaml:3"},
		},
		{
			name: "a contractbot:ignore comment silences its finding on every face",
			files: with("Makefile", strings.Replace(goodMakefile, "DOCKER_TAG ?=",
				"# contractbot:ignore makefile.docker-tag -- the release job pins the tag\nDOCKER_TAG =", 1)),
			ok: true,
		},
		{
			name: "a contractbot:ignore comment in a soa file that suppresses nothing is a notice on every face",
			files: with(checks.ConfigFile, "service: web\nsoa_dir: yelpsoa-configs\n",
				"yelpsoa-configs/web/"+soaService, "description: web\n# contractbot:ignore soa.deploy-yaml -- stale\n"),
			want: []string{"error soa.deploy-yaml yelpsoa-configs/web/deploy.yaml:1", "notice config.unused-ignore yelpsoa-configs/web/service.yaml:2"},
		},
		{
			name:  "a soa_dir that leaves the repository is a config.invalid finding",
			files: with(checks.ConfigFile, "service: web\nsoa_dir: ../soa\n"),
			want:  []string{"error config.invalid .contractbot.yaml:2"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			faces := map[string]faceResult{
				"cli":  runCLIFace(t, bin, tc.files),
				"hook": runHookFace(t, tc.files),
				"app":  runAppFace(t, tc.files),
			}
			for name, got := range faces {
				if got.ok != tc.ok {
					t.Errorf("%s: ok = %v, want %v; findings:\n%s", name, got.ok, tc.ok, strings.Join(got.findings, "\n"))
				}
				for _, w := range tc.want {
					if !slices.Contains(got.findings, w) {
						t.Errorf("%s: no finding %q in:\n%s", name, w, strings.Join(got.findings, "\n"))
					}
				}
				if tc.ok && len(got.findings) > 0 {
					t.Errorf("%s: findings on a clean repository:\n%s", name, strings.Join(got.findings, "\n"))
				}
			}
			if !slices.Equal(faces["cli"].findings, faces["hook"].findings) || !slices.Equal(faces["cli"].findings, faces["app"].findings) {
				t.Errorf("the faces disagree:\ncli:\n%s\nhook:\n%s\napp:\n%s", strings.Join(faces["cli"].findings, "\n"),
					strings.Join(faces["hook"].findings, "\n"), strings.Join(faces["app"].findings, "\n"))
			}
		})
	}
}

type faceResult struct {
	ok       bool
	findings []string // "severity rule path:line", sorted
}

func summarise(ok bool, fs []checks.Finding) faceResult {
	r := faceResult{ok: ok}
	for _, f := range fs {
		r.findings = append(r.findings, f.Severity.String()+" "+f.RuleID+" "+f.Path+":"+strconv.Itoa(f.Line))
	}
	slices.Sort(r.findings)
	return r
}

var buildOnce struct {
	sync.Once
	bin string
	err error
}

// contractbotBinary builds the real CLI once per test process.
func contractbotBinary(t *testing.T) string {
	t.Helper()
	gittest.RequireTool(t, "git")
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "contractbot-faces")
		if err != nil {
			buildOnce.err = err
			return
		}
		buildOnce.bin = filepath.Join(dir, "contractbot")
		cmd := exec.Command("go", "build", "-o", buildOnce.bin, "github.com/contractbot/contractbot/cmd/contractbot")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildOnce.err = errors.New(string(out))
		}
	})
	if buildOnce.err != nil {
		t.Fatalf("go build: %v", buildOnce.err)
	}
	return buildOnce.bin
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func runCLIFace(t *testing.T, bin string, files map[string]string) faceResult {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "web")
	writeFiles(t, dir, files)
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "check", "--format", "json", dir)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1) {
		t.Fatalf("contractbot check: %v\n%s", err, stderr.String())
	}
	var res checks.Result
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("contractbot check --format json: %v\n%s", err, stdout.String())
	}
	if res.OK != (err == nil) {
		t.Errorf("cli: ok is %v but the exit status is %v", res.OK, err)
	}
	return summarise(res.OK, res.Findings)
}

func runHookFace(t *testing.T, files map[string]string) faceResult {
	t.Helper()
	dir, commit := gittest.Commit(t, files)
	store, err := gitobj.Open(context.Background(), gitobj.Options{GitDir: filepath.Join(dir, ".git")})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var out bytes.Buffer
	updates := []hook.Update{{Old: strings.Repeat("0", 40), New: commit, Ref: "refs/heads/main"}}
	v, err := hook.Run(context.Background(), hook.Config{Branches: []string{"refs/heads/main"}, RepoName: "web"}, store, updates, &out)
	if err != nil {
		t.Fatal(err)
	}
	if v.Accept != (v.Errors == 0) {
		t.Errorf("hook: accepted %v with %d errors", v.Accept, v.Errors)
	}
	return summarise(v.Accept, v.Findings)
}

func runAppFace(t *testing.T, files map[string]string) faceResult {
	t.Helper()
	var kv []string
	for k, v := range files {
		kv = append(kv, k, v)
	}
	now := time.Unix(1700000000, 0)
	c := &fakeClient{trees: map[string]fs.FS{"m": tree(kv...)}}
	ch := newTestChecker(t, c, &now)
	if err := runJob(t, ch, checkJob{SHA: "m", DefaultSHA: "m", Event: "push"}); err != nil {
		t.Fatal(err)
	}
	_, runs := c.take()
	if len(runs) != 1 || runs[0].Result == nil {
		t.Fatalf("app: published %+v, want one run with a result", runs)
	}
	return summarise(runs[0].Result.OK, runs[0].Result.Findings)
}
