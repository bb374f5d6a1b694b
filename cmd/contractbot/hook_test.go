package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/gitref"
	"github.com/contractbot/contractbot/internal/registry/registrytest"
)

// requireTool skips a test when an external program is missing, unless
// CONTRACTBOT_REQUIRE_ITEST=1 (make itest), which makes it fail.
func requireTool(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CONTRACTBOT_REQUIRE_ITEST") == "1" {
			t.Fatalf("%s is not installed", name)
		}
		t.Skipf("%s is not installed", name)
	}
}

// buildContractbot builds the real binary into dir.
func buildContractbot(t testing.TB, dir string) string {
	t.Helper()
	requireTool(t, "go")
	bin := filepath.Join(dir, "contractbot")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// gitWorld is a bare "server" repository with the hook installed, a clone
// to push from, and an environment that keeps the user's git config out.
type gitWorld struct {
	t      testing.TB
	dir    string
	bare   string // the server's repository, <dir>/web.git
	clone  string
	soa    string
	env    []string
	commit int
}

func newGitWorld(t testing.TB, bin string) *gitWorld {
	t.Helper()
	requireTool(t, "git")
	dir := t.TempDir()
	w := &gitWorld{t: t, dir: dir, bare: filepath.Join(dir, "web.git"), clone: filepath.Join(dir, "clone"), soa: filepath.Join(dir, "soa")}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GIT_") && !strings.HasPrefix(kv, "HOME=") {
			w.env = append(w.env, kv)
		}
	}
	w.env = append(w.env, "HOME="+dir, "GIT_CONFIG_NOSYSTEM=1", "GIT_AUTHOR_NAME=Dev", "GIT_AUTHOR_EMAIL=dev@example.com",
		"GIT_COMMITTER_NAME=Dev", "GIT_COMMITTER_EMAIL=dev@example.com", "GIT_AUTHOR_DATE=2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2026-01-01T00:00:00Z")
	w.git(dir, "init", "-q", "--bare", "-b", "main", w.bare)
	hookScript := fmt.Sprintf("#!/bin/sh\nexec %q hook pre-receive\n", bin)
	if err := os.WriteFile(filepath.Join(w.bare, "hooks", "pre-receive"), []byte(hookScript), 0o755); err != nil {
		t.Fatal(err)
	}
	w.write(filepath.Join(w.soa, "web", "deploy.yaml"), "pipeline:\n- step: itest\n- step: security-check\n- step: canary\n- parallel:\n  - step: prod.main\n  - step: prod.batch\n")
	w.git(w.bare, "config", "contractbot.soaDir", w.soa)
	// The tests run on loaded machines: a generous limit, not the default.
	w.git(w.bare, "config", "contractbot.timeout", "2m")
	w.git(dir, "clone", "-q", w.bare, w.clone)
	w.git(w.clone, "checkout", "-q", "-b", "main")
	return w
}

func (w *gitWorld) write(p, content string) {
	w.t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

// run runs git and returns its stdout, stderr and error.
func (w *gitWorld) run(dir string, args ...string) (string, string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = w.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return strings.TrimSpace(out.String()), errb.String(), err
}

func (w *gitWorld) git(dir string, args ...string) string {
	w.t.Helper()
	out, errs, err := w.run(dir, args...)
	if err != nil {
		w.t.Fatalf("git %v: %v\n%s", args, err, errs)
	}
	return out
}

// goodMakefile keeps the whole Makefile contract.
const goodMakefile = "DOCKER_TAG ?= web-dev-$(USER)\n\ntest:\n\tgo test ./...\n\nitest: cook-image\n\t./itest.sh $(DOCKER_TAG)\n\ncook-image:\n\tdocker build -t $(DOCKER_TAG) .\n"

// commitFiles writes files into the clone and commits them.
func (w *gitWorld) commitFiles(files map[string]string) string {
	w.t.Helper()
	for name, content := range files {
		p := filepath.Join(w.clone, name)
		if content == "" {
			os.Remove(p)
			continue
		}
		w.write(p, content)
	}
	w.commit++
	w.git(w.clone, "add", "-A")
	w.git(w.clone, "commit", "-q", "--allow-empty", "-m", fmt.Sprintf("change %d", w.commit))
	return w.git(w.clone, "rev-parse", "HEAD")
}

// push pushes refspecs and returns the remote: lines and whether git
// accepted the push.
func (w *gitWorld) push(refspecs ...string) (remote []string, ok bool) {
	w.t.Helper()
	_, errs, err := w.run(w.clone, append([]string{"push", "--porcelain", "origin"}, refspecs...)...)
	for _, l := range strings.Split(errs, "\n") {
		if strings.HasPrefix(l, "remote: ") {
			// Git pads relayed lines with spaces that clear the rest of a
			// terminal line; they are not the hook's.
			l = strings.TrimRight(l, " ")
			remote = append(remote, l)
			// Exempt: git's own line, and GitLab's one-line web UI message,
			// which must not be wrapped.
			if len(l) > 80 && !strings.HasPrefix(l, "remote: error: hook declined") && !strings.HasPrefix(l, "remote: GL-HOOK-ERR: ") {
				w.t.Errorf("remote line is %d columns: %q", len(l), l)
			}
		}
	}
	return remote, err == nil
}

func (w *gitWorld) exists(ref string) bool {
	_, _, err := w.run(w.bare, "rev-parse", "--verify", "-q", ref)
	return err == nil
}

// containsLine reports whether one of the remote lines contains want, or,
// for text the hook wraps, whether the lines' words joined do.
func containsLine(lines []string, want string) bool {
	var words []string
	for _, l := range lines {
		if strings.Contains(l, want) {
			return true
		}
		words = append(words, strings.Fields(strings.TrimPrefix(l, "remote:"))...)
	}
	return strings.Contains(strings.Join(words, " "), strings.Join(strings.Fields(want), " "))
}

// TestHookThroughRealGit builds the contractbot binary once, installs it as
// the hook of bare repositories and pushes to them with git.
func TestHookThroughRealGit(t *testing.T) {
	bin := buildContractbot(t, t.TempDir())
	t.Run("deploy refs and the default branch", func(t *testing.T) { testHookPushes(t, bin) })
	t.Run("images in a real docker-registry", func(t *testing.T) { testHookRegistry(t, bin) })
	t.Run("the update hook and a soa repository", func(t *testing.T) { testHookUpdateAndSOARepository(t, bin) })
	t.Run("a Makefile make cannot use is refused", func(t *testing.T) { testHookMakefileFailsClosed(t, bin) })
}

// testHookMakefileFailsClosed pushes issue 14's Makefiles that look clean
// to a careless reader but that make refuses (or that contractbot cannot
// finish reading) to the default branch: each push is refused.
func testHookMakefileFailsClosed(t *testing.T, bin string) {
	w := newGitWorld(t, bin)
	good := w.commitFiles(map[string]string{"Dockerfile": "FROM debian\n", "Makefile": goodMakefile})
	if remote, ok := w.push("main"); !ok {
		t.Fatalf("a commit that keeps the contract was refused:\n%s", strings.Join(remote, "\n"))
	}
	chain := map[string]string{"Makefile": "include mk/1.mk\n" + goodMakefile}
	for i := 1; i < 40; i++ {
		chain[fmt.Sprintf("mk/%d.mk", i)] = fmt.Sprintf("include mk/%d.mk\n", i+1)
	}
	chain["mk/40.mk"] = "DOCKER_TAG := forced\n"
	for _, tt := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"a missing endif", map[string]string{"Makefile": "ifdef CI\n" + goodMakefile}, "error makefile.parse: "},
		{"a top-level error call", map[string]string{"Makefile": "$(error boom)\n" + goodMakefile}, "error makefile.parse: "},
		{"itest needing a cook-image that has no rule", map[string]string{"Makefile": strings.Replace(goodMakefile, "cook-image:\n", "build-image:\n", 1)}, "error makefile.itest: "},
		{"an include chain deeper than contractbot reads", chain, "error makefile.incomplete: "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w.git(w.clone, "reset", "-q", "--hard", good)
			os.RemoveAll(filepath.Join(w.clone, "mk"))
			w.commitFiles(tt.files)
			remote, ok := w.push("main")
			if ok || w.git(w.bare, "rev-parse", "main") != good {
				t.Fatalf("accepted: %v\n%s", ok, strings.Join(remote, "\n"))
			}
			if !containsLine(remote, tt.want) {
				t.Fatalf("no %q finding:\n%s", tt.want, strings.Join(remote, "\n"))
			}
		})
	}
}

func testHookPushes(t *testing.T, bin string) {
	w := newGitWorld(t, bin)
	good := w.commitFiles(map[string]string{"Dockerfile": "FROM debian:bookworm\n", "Makefile": goodMakefile, "main.go": "package main\n"})
	if remote, ok := w.push("main"); !ok {
		t.Fatalf("a commit that keeps the contract was refused:\n%s", strings.Join(remote, "\n"))
	}
	ts := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tag := func(group string, n int) string {
		return gitref.Ref{Kind: gitref.DeployTag, DeployGroup: group, Time: ts.Add(time.Duration(n) * time.Second), State: gitref.StateDeploy}.String()
	}

	t.Run("a malformed deploy tag is refused with the reason and does not exist afterwards", func(t *testing.T) {
		ref := "refs/tags/paasta-prod.main-2026-01-01-deploy"
		remote, ok := w.push(good + ":" + ref)
		if ok || w.exists(ref) {
			t.Fatalf("accepted: %v, exists: %v", ok, w.exists(ref))
		}
		for _, want := range []string{
			"remote: contractbot: " + ref,
			`remote:   error ref.name: bad timestamp "2026-01-01": want YYYYmmddTHHMMSS in`,
			"remote:     refs/tags/paasta-<deploy_group>[+<version>]-<YYYYmmddTHHMMSS>-deploy",
			"contractbot: push refused: 1 error in 1 of 1 pushed ref. Fix the errors and push again.",
		} {
			if !containsLine(remote, want) {
				t.Errorf("no line %q in:\n%s", want, strings.Join(remote, "\n"))
			}
		}
	})
	t.Run("month 13 is refused", func(t *testing.T) {
		ref := "refs/tags/paasta-prod.main-20261301T000000-deploy"
		remote, ok := w.push(good + ":" + ref)
		if ok || !containsLine(remote, "there is no month 13") {
			t.Fatalf("accepted: %v\n%s", ok, strings.Join(remote, "\n"))
		}
	})
	t.Run("a well-formed deploy tag for a known deploy group is accepted", func(t *testing.T) {
		ref := tag("prod.main", 0)
		remote, ok := w.push(good + ":" + ref)
		if !ok || !w.exists(ref) || len(remote) != 0 {
			t.Fatalf("accepted: %v, exists: %v\n%s", ok, w.exists(ref), strings.Join(remote, "\n"))
		}
	})
	t.Run("a deploy tag for a group that is not in deploy.yaml is refused", func(t *testing.T) {
		ref := tag("prod.mian", 0)
		remote, ok := w.push(good + ":" + ref)
		if ok || !containsLine(remote, `error ref.deploy-group: deploy group "prod.mian" is not a deploy`) {
			t.Fatalf("accepted: %v\n%s", ok, strings.Join(remote, "\n"))
		}
	})
	t.Run("an annotated deploy tag is refused: it points at a tag object", func(t *testing.T) {
		ref := tag("canary", 1)
		w.git(w.clone, "tag", "-a", "-m", "deploy", strings.TrimPrefix(ref, "refs/tags/"), good)
		remote, ok := w.push(ref)
		if ok || !containsLine(remote, "error ref.target: points at annotated tag object") {
			t.Fatalf("accepted: %v\n%s", ok, strings.Join(remote, "\n"))
		}
	})
	t.Run("branch deletions and ordinary refs pass untouched", func(t *testing.T) {
		w.git(w.clone, "branch", "-f", "feature", good)
		if remote, ok := w.push("feature"); !ok || len(remote) != 0 {
			t.Fatalf("feature branch: accepted %v\n%s", ok, strings.Join(remote, "\n"))
		}
		if remote, ok := w.push(":refs/heads/feature"); !ok || len(remote) != 0 || w.exists("refs/heads/feature") {
			t.Fatalf("deletion: accepted %v\n%s", ok, strings.Join(remote, "\n"))
		}
	})
	t.Run("a push of 20 refs is judged ref by ref", func(t *testing.T) {
		var specs, bad []string
		for i := range 20 {
			ref := tag("prod.batch", 100+i)
			if i%7 == 3 {
				ref = fmt.Sprintf("refs/tags/paasta-prod.batch-2026010%dT00000-deploy", i%10)
				bad = append(bad, ref)
			}
			specs = append(specs, good+":"+ref)
		}
		remote, ok := w.push(specs...)
		if ok {
			t.Fatal("a push with malformed refs was accepted")
		}
		for _, ref := range bad {
			if !containsLine(remote, "remote: contractbot: "+ref) {
				t.Errorf("%s not named:\n%s", ref, strings.Join(remote, "\n"))
			}
		}
		if n := strings.Count(strings.Join(remote, "\n"), "remote: contractbot: refs/"); n != len(bad) {
			t.Errorf("%d refs named, want the %d bad ones:\n%s", n, len(bad), strings.Join(remote, "\n"))
		}
		if !containsLine(remote, fmt.Sprintf("%d errors in %d of 20 pushed refs", len(bad), len(bad))) {
			t.Errorf("no summary:\n%s", strings.Join(remote, "\n"))
		}
		// Without the bad ones, the other 17 go in together.
		var goodSpecs []string
		for _, s := range specs {
			if !strings.Contains(s, "T00000-") {
				goodSpecs = append(goodSpecs, s)
			}
		}
		if remote, ok := w.push(goodSpecs...); !ok {
			t.Fatalf("17 good refs refused:\n%s", strings.Join(remote, "\n"))
		}
		for _, s := range goodSpecs {
			if ref := s[strings.IndexByte(s, ':')+1:]; !w.exists(ref) {
				t.Errorf("%s missing after the push", ref)
			}
		}
	})

	// The contract on the default branch. Until the Makefile rules exist
	// the breaking commit drops the Dockerfile instead.
	breaking, ruleID := map[string]string{"Makefile": strings.Replace(goodMakefile, "itest: cook-image", "integration: cook-image", 1)}, "makefile.itest"
	if e, _ := checks.NewEngine(checks.All()); e.Rule("makefile.itest") == nil {
		breaking, ruleID = map[string]string{"Dockerfile": ""}, "dockerfile.missing"
	}
	bad := w.commitFiles(breaking)
	t.Run("a commit that breaks the contract is refused on the default branch in enforce mode", func(t *testing.T) {
		remote, ok := w.push("main")
		if ok || w.git(w.bare, "rev-parse", "main") != good {
			t.Fatalf("accepted: %v\n%s", ok, strings.Join(remote, "\n"))
		}
		if !containsLine(remote, "remote: contractbot: refs/heads/main at "+bad[:12]) || !containsLine(remote, "error "+ruleID+": ") {
			t.Fatalf("no %s finding:\n%s", ruleID, strings.Join(remote, "\n"))
		}
	})
	t.Run("the same commit on another branch is not checked", func(t *testing.T) {
		if remote, ok := w.push("main:refs/heads/wip"); !ok || len(remote) != 0 {
			t.Fatalf("accepted: %v\n%s", ok, strings.Join(remote, "\n"))
		}
	})
	t.Run("in warn mode it is accepted with the findings printed", func(t *testing.T) {
		w.git(w.bare, "config", "contractbot.mode", "warn")
		defer w.git(w.bare, "config", "contractbot.mode", "enforce")
		remote, ok := w.push("main")
		if !ok || w.git(w.bare, "rev-parse", "main") != bad {
			t.Fatalf("refused in warn mode:\n%s", strings.Join(remote, "\n"))
		}
		if !containsLine(remote, "error "+ruleID+": ") || !containsLine(remote, "contractbot: warn mode: accepting the push despite") {
			t.Fatalf("no warning:\n%s", strings.Join(remote, "\n"))
		}
	})
}

func testHookRegistry(t *testing.T, bin string) {
	w := newGitWorld(t, bin)
	srv := registrytest.Start(t)
	withImage := w.commitFiles(map[string]string{"Dockerfile": "FROM debian\n", "Makefile": goodMakefile})
	noImage := w.commitFiles(map[string]string{"README": "x\n"})
	if remote, ok := w.push("main"); !ok {
		t.Fatalf("push main refused:\n%s", strings.Join(remote, "\n"))
	}
	srv.Push(t, "services-web", "paasta-"+withImage)
	w.git(w.bare, "config", "contractbot.registry", srv.URL)
	w.git(w.bare, "config", "contractbot.registryTimeout", "500ms")
	n := 0
	tag := func() string {
		n++
		return gitref.Ref{Kind: gitref.DeployTag, DeployGroup: "prod.main", Time: time.Date(2026, 2, 1, 0, 0, n, 0, time.UTC), State: gitref.StateDeploy}.String()
	}

	t.Run("a deploy of a commit whose image exists is accepted", func(t *testing.T) {
		ref := tag()
		if remote, ok := w.push(withImage + ":" + ref); !ok || !w.exists(ref) {
			t.Fatalf("refused:\n%s", strings.Join(remote, "\n"))
		}
	})
	t.Run("a deploy of a commit with no image is refused", func(t *testing.T) {
		ref := tag()
		remote, ok := w.push(noImage + ":" + ref)
		if ok || w.exists(ref) || !containsLine(remote, "error ref.image: image services-web:paasta-"+noImage[:20]) {
			t.Fatalf("accepted: %v\n%s", ok, strings.Join(remote, "\n"))
		}
	})
	srv.Stop()
	t.Run("a stopped registry refuses the deploy within the timeout (fail-closed)", func(t *testing.T) {
		ref := tag()
		remote, ok := w.push(withImage + ":" + ref)
		if ok || !containsLine(remote, "refusing (fail-closed)") {
			t.Fatalf("accepted: %v\n%s", ok, strings.Join(remote, "\n"))
		}
	})
	t.Run("a stopped registry accepts the deploy with a warning (fail-open)", func(t *testing.T) {
		w.git(w.bare, "config", "contractbot.registryFailOpen", "true")
		ref := tag()
		remote, ok := w.push(withImage + ":" + ref)
		if !ok || !w.exists(ref) || !containsLine(remote, "contractbot: warning: registry") || !containsLine(remote, "accepting (fail-open)") {
			t.Fatalf("accepted: %v\n%s", ok, strings.Join(remote, "\n"))
		}
	})
}

func TestHookArguments(t *testing.T) {
	tests := []struct {
		name string
		args []string
		in   string
		code int
		err  string
	}{
		{"a missing hook kind is a usage error", nil, "", 2, "want pre-receive or update"},
		{"an unknown mode is a usage error", []string{"pre-receive", "--mode", "strict"}, "", 2, `mode "strict": want enforce or warn`},
		{"garbage on standard input is an error", []string{"pre-receive", "--mode", "enforce"}, "not a ref line\n", 2, "want <old> <new> <refname>"},
		{"an empty push does nothing", []string{"pre-receive"}, "", 0, ""},
	}
	if runtime.GOOS == "windows" {
		t.Skip("hooks run on unix git servers")
	}
	t.Setenv("GIT_DIR", t.TempDir())
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("HOME", t.TempDir())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), stdio{strings.NewReader(tt.in), &out, &errb}, append([]string{"hook"}, tt.args...))
			if code != tt.code || !strings.Contains(errb.String(), tt.err) {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.code, errb.String())
			}
		})
	}
}

func testHookUpdateAndSOARepository(t *testing.T, bin string) {
	w := newGitWorld(t, bin)
	// The soa tree as a bare repository instead of a directory.
	soaRepo := filepath.Join(w.dir, "yelpsoa-configs.git")
	w.git(w.dir, "init", "-q", "--bare", "-b", "main", soaRepo)
	soaClone := filepath.Join(w.dir, "soa-clone")
	w.git(w.dir, "init", "-q", "-b", "main", soaClone)
	w.write(filepath.Join(soaClone, "web", "deploy.yaml"), "pipeline:\n- step: itest\n- step: pnw-prod.main\n")
	w.git(soaClone, "add", "-A")
	w.git(soaClone, "commit", "-q", "-m", "soa")
	w.git(soaClone, "push", "-q", soaRepo, "main")
	w.git(w.bare, "config", "--unset", "contractbot.soaDir")
	w.git(w.bare, "config", "contractbot.soaRepo", soaRepo)

	good := w.commitFiles(map[string]string{"Dockerfile": "FROM debian\n", "Makefile": goodMakefile})
	if remote, ok := w.push("main"); !ok {
		t.Fatalf("push main refused:\n%s", strings.Join(remote, "\n"))
	}

	// As the update hook, git asks about each ref on its own.
	if err := os.Remove(filepath.Join(w.bare, "hooks", "pre-receive")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(w.bare, "hooks", "update"), []byte(fmt.Sprintf("#!/bin/sh\nexec %q hook update \"$@\"\n", bin)), 0o755); err != nil {
		t.Fatal(err)
	}
	known := "refs/tags/paasta-pnw-prod.main-20260102T030405-deploy"
	unknown := "refs/tags/paasta-prod.main-20260102T030405-deploy"
	remote, _ := w.push(good+":"+known, good+":"+unknown)
	if !w.exists(known) {
		t.Errorf("the deploy tag for a group in the soa repository was refused:\n%s", strings.Join(remote, "\n"))
	}
	if w.exists(unknown) || !containsLine(remote, `deploy group "prod.main" is not a deploy step of web/deploy.yaml (deploy groups: pnw-prod.main)`) {
		t.Errorf("the deploy tag for an unknown group was not refused on its own:\n%s", strings.Join(remote, "\n"))
	}

	t.Run("on GitLab the first error is also a GL-HOOK-ERR line for the web UI", func(t *testing.T) {
		w.env = append(w.env, "GL_PROJECT_PATH=group/web")
		defer func() { w.env = w.env[:len(w.env)-1] }()
		remote, _ := w.push(good + ":refs/tags/paasta-prod.main-2026-01-01-deploy")
		if !containsLine(remote, `remote: GL-HOOK-ERR: contractbot [ref.name] refs/tags/paasta-prod.main-2026-01-01-deploy: bad timestamp`) {
			t.Fatalf("no GL-HOOK-ERR line:\n%s", strings.Join(remote, "\n"))
		}
	})
	t.Run("a broken .contractbot.yaml on the default branch is refused at its line", func(t *testing.T) {
		w.commitFiles(map[string]string{".contractbot.yaml": "service: web\nrules:\n  makefile.nope: off\n"})
		remote, ok := w.push("main")
		if ok || !containsLine(remote, `error config.invalid: .contractbot.yaml:3: unknown rule`) {
			t.Fatalf("accepted: %v\n%s", ok, strings.Join(remote, "\n"))
		}
	})
}

func TestHookTimeoutIsAClearRefusal(t *testing.T) {
	requireTool(t, "git")
	dir := t.TempDir()
	cmd := exec.Command("git", "init", "-q", "--bare", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Setenv("GIT_DIR", dir)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("HOME", t.TempDir())
	in := strings.Repeat("0", 40) + " " + strings.Repeat("a", 40) + " refs/tags/paasta-prod-20260101T000000-deploy\n"
	var out, errb bytes.Buffer
	code := run(context.Background(), stdio{strings.NewReader(in), &out, &errb}, []string{"hook", "pre-receive", "--timeout", "1ns"})
	if code != 2 || !strings.Contains(errb.String(), "could not check this push, refusing it: the checks took longer than the 1ns timeout") {
		t.Fatalf("exit %d; stderr: %s", code, errb.String())
	}
}

func TestHookHasADefaultTimeLimit(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), stdio{strings.NewReader(""), &out, &errb}, []string{"hook", "pre-receive", "--help"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "(default "+DefaultHookTimeout.String()+")") || DefaultHookTimeout <= 0 || DefaultHookTimeout >= 5*time.Second {
		t.Fatalf("the hook's default time limit is not %s, under GHES's 5 s:\n%s", DefaultHookTimeout, out.String())
	}
}
