package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/contractbot/contractbot/internal/gitobj"
	"github.com/contractbot/contractbot/internal/hook"
	"github.com/contractbot/contractbot/internal/registry"
	"github.com/contractbot/contractbot/internal/report"
)

const hookUsage = "hook pre-receive [flags]  (or: hook update [flags] REF OLD NEW)"

// modeFlag is hook.Mode as a flag.Value.
type modeFlag struct{ m *hook.Mode }

func (f modeFlag) String() string {
	if f.m == nil {
		return "enforce"
	}
	return f.m.String()
}

func (f modeFlag) Set(s string) error {
	m, err := hook.ParseMode(s)
	if err == nil {
		*f.m = m
	}
	return err
}

// DefaultHookTimeout bounds a push's checks when contractbot.timeout is
// not set: a hostile or huge push must not hold the git server (GitHub
// Enterprise Server kills a hook after 5 s, and says less than we would).
const DefaultHookTimeout = 3 * time.Second

// hookSettings are the hook's settings, each in the table of [hookSettings.table].
type hookSettings struct {
	mode           hook.Mode
	branches       []string
	service        string
	soaDir         string
	soaRepo        string
	registryURL    string
	registryTO     time.Duration
	registryFailOp bool
	git            string
	timeout        time.Duration
}

// table is the hook's settings table: each setting once, with its flag,
// git config key and parser.
func (s *hookSettings) table() []setting {
	return []setting{
		{"mode", "", "mode", "enforce: refuse pushes with errors; warn: print them and accept", modeFlag{&s.mode}},
		{"branch", "", "branch", "branch whose pushed commits are checked against the contract, repeatable (default: the repository's default branch)", listValue{&s.branches}},
		{"service", "", "service", "service name (default: .contractbot.yaml's service, else the repository's name)", stringValue{&s.service}},
		{"soa-dir", "", "soaDir", "yelpsoa-configs checkout for deploy-group checks", stringValue{&s.soaDir}},
		{"soa-repo", "", "soaRepo", "yelpsoa-configs git repository (bare or not) whose HEAD is used for deploy-group checks", stringValue{&s.soaRepo}},
		{"registry", "", "registry", "Docker registry URL; when set, deploy refs must name an existing image", stringValue{&s.registryURL}},
		{"registry-timeout", "", "registryTimeout", "how long to wait for the registry", durationValue{&s.registryTO}},
		{"registry-fail-open", "", "registryFailOpen", "accept deploys when the registry cannot answer, with a warning; default is to refuse them", boolValue{&s.registryFailOp}},
		{"git", "", "", "the git program (git 2.36 or later, for cat-file --batch-command)", stringValue{&s.git}},
		{"timeout", "", "timeout", "give up on a push that takes longer, with a message: refused in enforce mode, accepted in warn mode (GHES kills hooks after 5s; 0 means no limit)", durationValue{&s.timeout}},
	}
}

// runHook implements `contractbot hook pre-receive`, installed as a bare
// repository's hooks/pre-receive. Exit 1 refuses the push.
func runHook(ctx context.Context, io stdio, args []string) error {
	if len(args) == 0 || (args[0] != "pre-receive" && args[0] != "update") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprintf(io.out, "Usage: contractbot %s\nSee docs/hook.md for installation.\n", hookUsage)
			return nil
		}
		return errors.New("want pre-receive or update: " + hookUsage)
	}
	kind := args[0]
	s := hookSettings{registryTO: registry.DefaultTimeout, git: "git", timeout: DefaultHookTimeout}
	flags := newFlags(io, "hook "+kind, hookUsage)
	if err := register(flags, s.table(), os.LookupEnv); err != nil {
		return err
	}
	if err := parseFlags(flags, args[1:]); err != nil {
		return err
	}

	gitDir := os.Getenv("GIT_DIR")
	if gitDir == "" {
		gitDir = "."
	}
	gitDir, err := filepath.Abs(gitDir)
	if err != nil {
		return err
	}
	var updates []hook.Update
	switch kind {
	case "pre-receive":
		if flags.NArg() != 0 {
			return errors.New("pre-receive reads its refs from standard input and takes no arguments")
		}
		if updates, err = hook.ReadUpdates(io.in); err != nil {
			return err
		}
	case "update":
		if flags.NArg() != 3 {
			return errors.New("update takes REF OLD NEW, as git passes them")
		}
		if updates, err = hook.ReadUpdates(strings.NewReader(flags.Arg(1) + " " + flags.Arg(2) + " " + flags.Arg(0) + "\n")); err != nil {
			return err
		}
	}
	if len(updates) == 0 {
		return nil
	}
	if err := fromGitConfig(ctx, s.git, flags, s.table()); err != nil {
		return err
	}

	if s.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	v, err := judge(ctx, io, s, gitDir, updates)
	if err != nil && s.timeout > 0 && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("the checks took longer than the %s timeout", s.timeout)
	}
	if err != nil {
		if s.mode == hook.Warn {
			fmt.Fprintf(io.err, "contractbot: could not check this push (%v); accepting it (warn mode)\n", err)
			return nil
		}
		return fmt.Errorf("could not check this push, refusing it: %w", err)
	}
	if !v.Accept {
		glHookErr(io, v)
		return &exitError{code: exitFindings}
	}
	return nil
}

// glHookErr prints the one line GitLab shows in its web UI when a hook
// declines a push (a web edit or a merge): the line must start with
// GL-HOOK-ERR:. Other servers get nothing extra.
func glHookErr(io stdio, v *hook.Verdict) {
	if os.Getenv("GL_PROJECT_PATH") == "" || v.First == nil {
		return
	}
	f := v.First
	line := strings.Join(strings.Fields(report.Escape(f.Where()+": "+f.Message)), " ")
	fmt.Fprintf(io.err, "GL-HOOK-ERR: contractbot [%s] %s\n", f.RuleID, line)
}

// judge opens what the settings name and runs the hook.
func judge(ctx context.Context, io stdio, s hookSettings, gitDir string, updates []hook.Update) (*hook.Verdict, error) {
	cfg := hook.Config{Mode: s.mode, Service: s.service, RepoName: repoName(gitDir)}
	for _, b := range s.branches {
		if !strings.HasPrefix(b, "refs/") {
			b = "refs/heads/" + b
		}
		cfg.Branches = append(cfg.Branches, b)
	}
	if len(cfg.Branches) == 0 {
		b, err := hook.DefaultBranch(gitDir)
		if err != nil {
			return nil, err
		}
		cfg.Branches = []string{b}
	}

	// The repository's objects, quarantined ones included: the process
	// inherits the environment git gave the hook.
	store, err := gitobj.Open(ctx, gitobj.Options{Git: s.git})
	if err != nil {
		return nil, err
	}
	defer store.Close()

	switch {
	case s.soaDir != "":
		if cfg.SOA, err = openTree(s.soaDir); err != nil {
			return nil, err
		}
	case s.soaRepo != "":
		soaStore, err := gitobj.Open(ctx, gitobj.Options{GitDir: soaGitDir(s.soaRepo), Git: s.git})
		if err != nil {
			return nil, err
		}
		defer soaStore.Close()
		if cfg.SOA, err = soaStore.FS("HEAD"); err != nil {
			return nil, fmt.Errorf("soa repository %s: %w", s.soaRepo, err)
		}
	}
	if s.registryURL != "" {
		c, err := registry.New(s.registryURL, registry.Options{
			Timeout: s.registryTO, FailOpen: s.registryFailOp,
			Warn: func(m string) {
				for _, l := range hook.Wrap("", "  ", "contractbot: warning: "+m) {
					fmt.Fprintln(io.err, l)
				}
			},
		})
		if err != nil {
			return nil, err
		}
		cfg.Images = c
	}
	return hook.Run(ctx, cfg, store, updates, io.err)
}

// soaGitDir returns the git directory of a soa repository path: the path
// itself for a bare repository, path/.git for a checkout.
func soaGitDir(p string) string {
	if st, err := os.Stat(filepath.Join(p, ".git")); err == nil && st.IsDir() {
		return filepath.Join(p, ".git")
	}
	return p
}

// repoName is the default service name: the repository's name as the git
// server knows it (GitLab keeps repositories under hashed paths and says
// the project's path in GL_PROJECT_PATH; GitHub Enterprise Server says
// GITHUB_REPO_NAME), else the directory name without ".git".
func repoName(gitDir string) string {
	for _, env := range []string{"GL_PROJECT_PATH", "GITHUB_REPO_NAME"} {
		if v := os.Getenv(env); v != "" {
			return path.Base(v)
		}
	}
	base := filepath.Base(gitDir)
	if base == ".git" {
		base = filepath.Base(filepath.Dir(gitDir))
	}
	return strings.TrimSuffix(base, ".git")
}
