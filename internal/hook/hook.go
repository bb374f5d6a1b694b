// Package hook is contractbot's git pre-receive driver: it reads the pushed
// ref updates, judges PaaSTA deploy refs by name, deploy group, target and
// image, runs the contract rules on commits pushed to the guarded branches,
// and writes its verdict as lines that fit git's 80-column remote: output.
//
// It is another driver of the one rule set, next to the CLI and the App:
// the rules see the pushed commit through an io/fs.FS over git objects.
package hook

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/gitobj"
	"github.com/contractbot/contractbot/internal/gitref"
	"github.com/contractbot/contractbot/internal/soa"
)

// Mode says what the hook does with errors it finds.
type Mode uint8

// The modes.
const (
	Enforce Mode = iota // print the errors and refuse the push
	Warn                // print the errors and accept the push
)

// String returns "enforce" or "warn", as flags and git config spell it.
func (m Mode) String() string {
	if m == Warn {
		return "warn"
	}
	return "enforce"
}

// ParseMode parses "enforce" or "warn".
func ParseMode(s string) (Mode, error) {
	switch s {
	case "enforce":
		return Enforce, nil
	case "warn":
		return Warn, nil
	}
	return Enforce, fmt.Errorf("mode %q: want enforce or warn", s)
}

// Update is one line of a pre-receive hook's input: "<old> <new> <ref>".
type Update struct {
	Old, New, Ref string
}

// Deleted reports whether the update deletes its ref (the new id is all
// zeros).
func (u Update) Deleted() bool { return strings.Trim(u.New, "0") == "" }

// Created reports whether the update creates its ref.
func (u Update) Created() bool { return strings.Trim(u.Old, "0") == "" }

// MaxUpdates bounds the number of ref updates read from one push.
const MaxUpdates = 100000

// ReadUpdates parses the hook's standard input.
func ReadUpdates(r io.Reader) ([]Update, error) {
	var us []Update
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if line == "" {
			continue
		}
		f := strings.SplitN(line, " ", 3)
		if len(f) != 3 || !isHex(f[0]) || !isHex(f[1]) || f[2] == "" {
			return nil, fmt.Errorf("input line %d: want <old> <new> <refname>, got %q", n, line)
		}
		if len(us) == MaxUpdates {
			return nil, fmt.Errorf("more than %d ref updates in one push", MaxUpdates)
		}
		us = append(us, Update{Old: f[0], New: f[1], Ref: f[2]})
	}
	return us, sc.Err()
}

func isHex(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Config is what one hook run needs besides the push itself.
type Config struct {
	Mode Mode
	// Branches are the full ref names (refs/heads/...) whose pushed commits
	// run the contract rules. Callers fill in the default branch when the
	// user configured none (see DefaultBranch).
	Branches []string
	// Service names the service for deploy refs and contract checks; when
	// empty, the pushed commit's .contractbot.yaml names it, else RepoName.
	Service  string
	RepoName string
	// SOA is the soa repository root for deploy-group checks, or nil.
	SOA fs.FS
	// Images answers whether a deploy's image exists, or nil.
	Images checks.Images
	// Rules is the rule set (default checks.All()).
	Rules []*checks.Rule
}

// Verdict is the outcome of a run.
type Verdict struct {
	Errors, Warnings int
	// Refused lists the refs that have errors, in input order.
	Refused []string
	// Accept is false when the push must be refused (enforce mode with
	// errors).
	Accept bool
	// First is the first error found, for one-line summaries such as
	// GitLab's web UI message; nil when there is none.
	First *checks.Finding
	// Findings are every finding printed, ref by ref in input order.
	Findings []checks.Finding
}

// Run judges a push: it writes its messages to w (git shows them to the
// pusher as remote: lines) and returns the verdict. Deleted refs and refs
// that are neither PaaSTA refs nor guarded branches are not looked at.
// store reads the repository's objects, quarantined ones included.
func Run(ctx context.Context, cfg Config, store *gitobj.Store, updates []Update, w io.Writer) (*Verdict, error) {
	rules := cfg.Rules
	if rules == nil {
		rules = checks.All()
	}
	contract, err := checks.NewEngine(rules)
	if err != nil {
		return nil, err
	}
	out := &printer{w: w}
	v := &Verdict{}
	byRef := map[string][]checks.Finding{}
	var order []string
	note := func(ref string, fs []checks.Finding) {
		if _, seen := byRef[ref]; !seen {
			order = append(order, ref)
		}
		byRef[ref] = append(byRef[ref], fs...)
	}

	// Deploy refs, judged by name, deploy group, target and image.
	targets := refTargets{store: store, ref: map[string]string{}}
	var names []string
	for _, u := range updates {
		if u.Deleted() {
			continue
		}
		if !isPaaSTA(u.Ref) {
			continue
		}
		names = append(names, u.Ref)
		targets.ref[u.Ref] = u.New
	}
	if len(names) > 0 {
		refRules := contract.Subset(checks.ReadsRefs)
		// Deploy refs name no service of their own: the configuration on
		// HEAD before the push, the one the repository's owners reviewed,
		// names it (and may set the ref rules' severities).
		head, err := store.FS("HEAD")
		if err != nil {
			head = nil // an empty repository: the defaults
		}
		t, err := checks.Prepare(ctx, head, checks.Options{Service: cfg.Service, DefaultService: cfg.RepoName,
			FallbackSOA: constSOA(cfg.SOA), Refs: names, RefObjects: targets, Images: cfg.Images})
		if err != nil {
			return nil, err
		}
		res, err := refRules.Run(ctx, t)
		if err != nil {
			return nil, err
		}
		for _, f := range res.Findings {
			ref := f.Subject
			if ref == "" {
				ref = names[0] // a broken config: the refs cannot be judged; report it with the first
			}
			note(ref, []checks.Finding{f})
		}
	}

	// Guarded branches: the whole contract on the pushed commit.
	guarded := map[string]bool{}
	for _, b := range cfg.Branches {
		guarded[b] = true
	}
	commits := map[string]string{} // ref -> commit, for the header line
	for _, u := range updates {
		if u.Deleted() || !guarded[u.Ref] {
			continue
		}
		fs, err := checkCommit(ctx, contract, cfg, store, u.New)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", u.Ref, err)
		}
		commits[u.Ref] = u.New
		note(u.Ref, fs)
	}

	msg := &message{out: out}
	for _, ref := range order {
		fs := byRef[ref]
		if len(fs) == 0 {
			continue
		}
		v.Findings = append(v.Findings, fs...)
		errs, warns, _ := checks.Count(fs)
		v.Errors += errs
		v.Warnings += warns
		if errs > 0 {
			v.Refused = append(v.Refused, ref)
			for i := range fs {
				if v.First == nil && fs[i].Severity == checks.SeverityError {
					v.First = &fs[i]
				}
			}
		}
		head := ref
		if c, ok := commits[ref]; ok {
			head += " at " + c[:min(12, len(c))]
		}
		if err := msg.Post(ctx, &checks.Result{Service: head, OK: errs == 0, Findings: fs}); err != nil {
			return nil, err
		}
	}
	msg.finish()
	v.Accept = v.Errors == 0 || cfg.Mode == Warn
	switch {
	case v.Errors == 0:
	case cfg.Mode == Warn:
		out.para("", "  ", fmt.Sprintf("contractbot: warn mode: accepting the push despite %s in %s.", plural(v.Errors, "error"), plural(len(v.Refused), "ref")))
	default:
		msg := fmt.Sprintf("contractbot: push refused: %s in %d of %s.", plural(v.Errors, "error"), len(v.Refused), plural(len(updates), "pushed ref"))
		if len(v.Refused) < len(updates) {
			msg += " The other refs are refused too: a pre-receive hook accepts or refuses a push as a whole."
		}
		out.para("", "  ", msg+" Fix the errors and push again.")
	}
	return v, out.err
}

// isPaaSTA reports whether a name is a PaaSTA ref or looks enough like one
// that the grammar judges it.
func isPaaSTA(name string) bool {
	r, err := gitref.Parse(name)
	return err != nil || r.Kind != gitref.Other
}

// constSOA is a FallbackSOA that gives the soa tree fsys, or none when
// fsys is nil.
func constSOA(fsys fs.FS) func(context.Context) (*soa.Cache, error) {
	if fsys == nil {
		return nil
	}
	return func(context.Context) (*soa.Cache, error) { return soa.NewCache(fsys, nil, soa.DefaultLimits()), nil }
}

// checkCommit runs the contract rules on one commit.
func checkCommit(ctx context.Context, engine *checks.Engine, cfg Config, store *gitobj.Store, commit string) ([]checks.Finding, error) {
	info, err := store.Info(commit)
	if err != nil {
		return nil, err
	}
	if info.Type != "commit" {
		return nil, nil // git only lets commits onto branches
	}
	repo, err := store.FS(commit)
	if err != nil {
		return nil, err
	}
	t, err := checks.Prepare(ctx, repo, checks.Options{Service: cfg.Service, DefaultService: cfg.RepoName})
	if err != nil {
		return nil, err
	}
	res, err := engine.Run(ctx, t)
	if err != nil {
		return nil, err
	}
	return res.Findings, nil
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// refTargets answers ref.target and ref.image from the pushed updates and
// the object store.
type refTargets struct {
	store *gitobj.Store
	ref   map[string]string
}

func (t refTargets) RefTarget(_ context.Context, ref string) (string, string, error) {
	oid, ok := t.ref[ref]
	if !ok {
		return "", "", fmt.Errorf("%s is not part of this push", ref)
	}
	info, err := t.store.Info(oid)
	if errors.Is(err, gitobj.ErrMissing) {
		return oid, "missing", nil
	}
	if err != nil {
		return "", "", err
	}
	return oid, info.Type, nil
}

// DefaultBranch returns the branch HEAD points at in the repository at
// gitDir, such as refs/heads/main, reading HEAD directly (no extra git
// process on every push).
func DefaultBranch(gitDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(gitDir, "HEAD"))
	if err != nil {
		return "", fmt.Errorf("read HEAD: %w", err)
	}
	ref, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "ref: ")
	if !ok || !strings.HasPrefix(ref, "refs/heads/") {
		return "", fmt.Errorf("HEAD does not name a branch")
	}
	return ref, nil
}
