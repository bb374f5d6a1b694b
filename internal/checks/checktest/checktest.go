// Package checktest runs contractbot's rules over fixture trees whose
// expected findings are written in the fixtures themselves, as
// golang.org/x/tools/go/analysis/analysistest does with `// want`.
//
// A fixture of rule <id> is a directory testdata/<id>/<case>/ (or
// testdata/<id>/ itself, for a rule with one case) holding
//
//   - soa/: a soa tree (yelpsoa-configs); every directory at its top is a
//     service, checked in a run of its own;
//   - repo/: the service repository, optional;
//   - .contractbot.yaml: the configuration, optional (else repo/'s);
//   - etc/: PaaSTA's system configuration (--paasta-config), optional.
//
// Every rule runs, as it does for users, but only the findings of rule <id>
// are compared. A finding is expected by a comment in any file of the
// fixture (YAML, Makefile and Dockerfile comments all start with #):
//
//	cpus: lots    # want "must be a number"
//	# want+1 "regexp"               the line below (want-1: the line above)
//	# want warning "regexp"         the finding's severity too
//	# want @soa/svc/deploy.yaml:1 "no deploy.yaml"
//
// The last form names the position itself (relative to the fixture), for a
// finding about a missing file or a file that cannot hold comments. Each
// quoted regexp (Go syntax, "..." or `...`) must match the message of one
// finding at that line, and every finding must be matched by one regexp:
// an unexpected finding and an unmatched expectation both fail the test.
package checktest

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/soa"
)

// RunAll runs [Run] for each directory of dir that is named after a rule
// (a dotted id, e.g. testdata/soa.secrets/); a dotted directory that names
// no rule of rules fails, so a renamed rule cannot leave its fixtures
// unrun.
func RunAll(t *testing.T, dir string, rules []*checks.Rule) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, r := range rules {
		known[r.ID] = true
	}
	ran := 0
	for _, e := range entries {
		if !e.IsDir() || !strings.Contains(e.Name(), ".") {
			continue
		}
		if !known[e.Name()] {
			t.Errorf("%s: no rule %s: rename the directory after the rule it tests", filepath.Join(dir, e.Name()), e.Name())
			continue
		}
		ran++
		Run(t, filepath.Join(dir, e.Name()), rules, e.Name())
	}
	if ran == 0 {
		t.Errorf("%s holds no fixture directory named after a rule", dir)
	}
}

// Run checks every case of rule id's fixture directory dir.
func Run(t *testing.T, dir string, rules []*checks.Rule, id string) {
	t.Helper()
	e, err := checks.NewEngine(rules)
	if err != nil {
		t.Fatal(err)
	}
	if e.Rule(id) == nil {
		t.Fatalf("%s: no rule %s", dir, id)
	}
	cases, err := caseDirs(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		name := id
		if c != dir {
			name += "/" + filepath.Base(c)
		}
		t.Run(name, func(t *testing.T) {
			got, err := runCase(e, c, id)
			if err != nil {
				t.Fatal(err)
			}
			wants, err := readWants(c)
			if err != nil {
				t.Fatal(err)
			}
			for _, problem := range match(c, got, wants) {
				t.Error(problem)
			}
		})
	}
}

// caseDirs returns dir when it is a case itself, else its subdirectories.
func caseDirs(dir string) ([]string, error) {
	if isCase(dir) {
		return []string{dir}, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && isCase(filepath.Join(dir, e.Name())) {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no case (a directory with soa/ or repo/)", dir)
	}
	return out, nil
}

func isCase(dir string) bool {
	for _, sub := range []string{"soa", "repo"} {
		if fi, err := os.Stat(filepath.Join(dir, sub)); err == nil && fi.IsDir() {
			return true
		}
	}
	return false
}

// located is a finding with the fixture paths it may point at: soa
// findings are relative to soa/, repository findings to repo/.
type located struct {
	checks.Finding
	paths []string
}

// runCase runs the engine once per service of the case's soa tree and
// returns the findings of rule id, each once.
func runCase(e *checks.Engine, dir, id string) ([]located, error) {
	var repo, soaTree fs.FS
	if fi, err := os.Stat(filepath.Join(dir, "repo")); err == nil && fi.IsDir() {
		repo = os.DirFS(filepath.Join(dir, "repo"))
	}
	services := []string{"svc"}
	if fi, err := os.Stat(filepath.Join(dir, "soa")); err == nil && fi.IsDir() {
		soaTree = os.DirFS(filepath.Join(dir, "soa"))
		entries, err := os.ReadDir(filepath.Join(dir, "soa"))
		if err != nil {
			return nil, err
		}
		services = services[:0]
		for _, en := range entries {
			if en.IsDir() && !strings.HasPrefix(en.Name(), "_") && !strings.HasPrefix(en.Name(), ".") {
				services = append(services, en.Name())
			}
		}
	}
	cfgFrom := repo
	if _, err := os.Stat(filepath.Join(dir, checks.ConfigFile)); err == nil {
		cfgFrom = os.DirFS(dir)
	}
	cfg, err := checks.LoadConfig(cfgFrom)
	if err != nil {
		return nil, err
	}
	var etc fs.FS
	if fi, err := os.Stat(filepath.Join(dir, "etc")); err == nil && fi.IsDir() {
		etc = os.DirFS(filepath.Join(dir, "etc"))
	}
	var cache *soa.Cache
	if soaTree != nil {
		cache = soa.NewCache(soaTree, nil, soa.DefaultLimits())
	}
	var out []located
	seen := map[string]bool{}
	for _, svc := range services {
		res, err := e.Run(context.Background(), checks.Target{Repo: repo, SOA: soaTree, SOACache: cache, Service: svc, Config: cfg, PaastaConfig: etc})
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", svc, err)
		}
		for _, f := range res.Findings {
			key := f.String()
			if f.RuleID != id || seen[key] {
				continue
			}
			seen[key] = true
			// The engine says which tree a finding's path is in: a finding
			// at a repository path must not be taken for one in the soa
			// tree, where a face would show it (and its ignore comments
			// would be looked for).
			l := located{Finding: f}
			switch {
			case f.InSOA() && soaTree != nil:
				l.paths = []string{path.Join("soa", f.Path)}
			case !f.InSOA() && repo != nil:
				l.paths = []string{path.Join("repo", f.Path)}
			}
			out = append(out, l)
		}
	}
	return out, nil
}

// want is one expected finding: a regexp at a fixture path and line.
type want struct {
	path     string // relative to the case directory, slash-separated
	line     int
	severity string // "" for any
	re       *regexp.Regexp
	at       string // where the marker is written, for messages
	matched  bool
}

var wantMarker = regexp.MustCompile(`#\s*want([+-][0-9]+)?(?:\s+@(\S+):([0-9]+))?(?:\s+(error|warning|notice))?\s+(.*)$`)

// readWants collects the want markers of every file of the case.
func readWants(dir string) ([]*want, error) {
	var out []*want
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		for i, text := range strings.Split(string(data), "\n") {
			ws, err := parseMarker(rel, i+1, text)
			if err != nil {
				return err
			}
			out = append(out, ws...)
		}
		return nil
	})
	return out, err
}

// parseMarker returns the expectations a line's want marker holds, or none.
func parseMarker(file string, line int, text string) ([]*want, error) {
	m := wantMarker.FindStringSubmatch(text)
	if m == nil {
		return nil, nil
	}
	at := fmt.Sprintf("%s:%d", file, line)
	target, targetLine := file, line
	if m[1] != "" {
		off, _ := strconv.Atoi(m[1])
		targetLine += off
	}
	if m[2] != "" {
		if m[1] != "" {
			return nil, fmt.Errorf("%s: a want marker takes an offset or an @position, not both", at)
		}
		target = m[2]
		targetLine, _ = strconv.Atoi(m[3])
	}
	rest := strings.TrimSpace(m[5])
	var out []*want
	for rest != "" {
		q, err := strconv.QuotedPrefix(rest)
		if err != nil {
			return nil, fmt.Errorf("%s: want expects quoted regexps, found %q", at, rest)
		}
		s, _ := strconv.Unquote(q)
		re, err := regexp.Compile(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", at, err)
		}
		out = append(out, &want{path: target, line: targetLine, severity: m[4], re: re, at: at})
		rest = strings.TrimSpace(rest[len(q):])
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: want without a quoted regexp", at)
	}
	return out, nil
}

// match pairs findings with expectations and describes what is left over
// on either side, and findings at a line their file does not have.
func match(dir string, got []located, wants []*want) []string {
	var problems []string
	for _, f := range got {
		if p := positionProblem(dir, f); p != "" {
			problems = append(problems, p)
		}
		i := slices.IndexFunc(wants, func(w *want) bool {
			return !w.matched && w.line == f.Line && slices.Contains(f.paths, w.path) &&
				(w.severity == "" || w.severity == f.Severity.String()) && w.re.MatchString(f.Message)
		})
		if i < 0 {
			problems = append(problems, fmt.Sprintf("unexpected finding %s:%d: %s: %s (add a want marker for it, or fix the rule)", firstOr(f.paths, f.Path), f.Line, f.Severity, f.Message))
			continue
		}
		wants[i].matched = true
	}
	for _, w := range wants {
		if !w.matched {
			sev := ""
			if w.severity != "" {
				sev = " " + w.severity
			}
			problems = append(problems, fmt.Sprintf("%s: no%s finding at %s:%d matching %q", w.at, sev, w.path, w.line, w.re))
		}
	}
	return problems
}

// positionProblem reports a finding at a line past the end of an existing
// file: every finding must point at a place that exists. Line 1 is also
// the position of the file as a whole ([checks.Position]), which every
// file has, a missing or an empty one too (an empty file has no line).
func positionProblem(dir string, f located) string {
	for _, p := range f.paths {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			continue
		}
		lines := strings.Count(string(data), "\n")
		if len(data) > 0 && !strings.HasSuffix(string(data), "\n") {
			lines++
		}
		if f.Line > max(lines, 1) {
			return fmt.Sprintf("finding %s:%d is past the end of the file (%d lines): %s", p, f.Line, lines, f.Message)
		}
	}
	return ""
}

func firstOr(ss []string, def string) string {
	if len(ss) > 0 {
		return ss[0]
	}
	return def
}
