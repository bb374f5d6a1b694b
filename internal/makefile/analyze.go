package makefile

import (
	"context"
	"errors"
	"go/token"
	"io/fs"
	"maps"
	"slices"
	"strings"
)

// Names the PaaSTA contract gives meaning to.
const (
	DockerTagVar     = "DOCKER_TAG"
	TargetTest       = "test"
	TargetItest      = "itest"
	TargetCookImage  = "cook-image"
	envSentinel      = "contractbot-environment-value"
	dockerTagMarker  = "\x00contractbot-docker-tag\x00"
	subMakeMarker    = "\x00contractbot-make\x00"
	maxUsesVisited   = 2000
	maxImplicitDepth = 4
	maxImplicitSteps = 20000
)

// How a target is defined: by an explicit rule, only by a pattern rule,
// only by being listed in .PHONY (make answers "Nothing to be done"), or
// not at all ("No rule to make target").
const (
	HowExplicit  = "explicit"
	HowPattern   = "pattern"
	HowPhonyOnly = "phony-only"
	HowNone      = "none"
)

// Facts is what contractbot knows about a Makefile, in the shape of
// `contractbot inspect makefile --format json`.
type Facts struct {
	Targets                map[string]TargetFact `json:"targets"`
	DockerTag              DockerTagFact         `json:"docker_tag"`
	ItestUsesDockerTag     *bool                 `json:"itest_uses_docker_tag"`
	CookImageUsesDockerTag *bool                 `json:"cook_image_uses_docker_tag"`
	MissingIncludes        []string              `json:"missing_includes"`
}

// TargetFact says whether `make TARGET` finds a rule, and how.
type TargetFact struct {
	Defined bool   `json:"defined"`
	How     string `json:"how"`
}

// DockerTagFact describes DOCKER_TAG with an empty environment.
type DockerTagFact struct {
	Defined bool `json:"defined"`
	// Conditional: a DOCKER_TAG in the environment replaces the
	// Makefile's value (?=, ifndef DOCKER_TAG, ...).
	Conditional bool `json:"conditional"`
	// Default is the expanded value; nil when undefined or shell-dependent.
	Default        *string `json:"default"`
	Exported       bool    `json:"exported"`
	ShellDependent bool    `json:"shell_dependent"`
}

// Analysis is the result of [Analyze]: the facts, and the positions rules
// need to point at.
type Analysis struct {
	// Path is the makefile read, relative to the FS root.
	Path  string
	Facts Facts
	// DB is make's database after reading with an empty environment.
	DB *Database
	// Targets has an entry for test, itest and cook-image.
	Targets map[string]TargetInfo
	// DockerTagAssign is the last plain assignment (=, :=, ::=, :::=, !=)
	// that gave DOCKER_TAG its value, or nil: the line that keeps the
	// environment from overriding it.
	DockerTagAssign *Assignment
	// DockerTagLast is the last assignment of DOCKER_TAG of any kind, or
	// nil when it is undefined.
	DockerTagLast *Assignment
	// DockerTagTargetAssigns are target-specific assignments of DOCKER_TAG
	// ("cook-image: DOCKER_TAG = latest") that the environment cannot
	// override, in target name order.
	DockerTagTargetAssigns []TargetAssignment
	// TabProblems are lines that GNU make misreads or stops at because a
	// recipe line is not indented with the recipe prefix.
	TabProblems []TabProblem
}

// Lines is a range of source lines: 1-based, inclusive, with their text
// (each line ending in "\n").
type Lines struct {
	Path          string
	Line, EndLine int
	Text          string
}

// TargetInfo is where a target of the contract is defined.
type TargetInfo struct {
	TargetFact
	// Path and Line locate the rule (for phony-only: the .PHONY line); for
	// an undefined target, the makefile's first line.
	Path string
	Line int
	// UsesDockerTag is nil when the target is undefined.
	UsesDockerTag *bool
	// UpToDateFile is true when a file or directory of the target's name
	// exists in the tree and the target is neither .PHONY nor has
	// prerequisites: make then answers "'test' is up to date" and runs
	// nothing.
	UpToDateFile bool
}

// Assignment is an assignment statement as written.
type Assignment struct {
	Lines
	Op       Op
	Override bool
	Define   bool
	// Editable is false when the assignment has no line of its own (it
	// came from $(eval ...)), so no fix can rewrite it.
	Editable bool
	// Sole is true when no other assignment (of any kind) set the
	// variable: rewriting this line alone then decides its value.
	Sole bool
}

// TargetAssignment is a target-specific assignment as written.
type TargetAssignment struct {
	Assignment
	Target string
}

// TabProblem is a line make reads wrongly because it is indented with
// spaces instead of the recipe prefix. MakeError is make's message when it
// stops there ("missing separator"), or "" when make silently reads the
// line as a rule.
type TabProblem struct {
	Lines
	MakeError string
	// SpaceIndented is true when the line starts with spaces, so the fix
	// is to replace them by a tab.
	SpaceIndented bool
}

// DefaultMakefileNames are the names GNU make tries, in order, when no -f
// is given.
func DefaultMakefileNames() []string { return []string{"GNUmakefile", "makefile", "Makefile"} }

// FindMakefile returns the makefile GNU make would read in fsys's root, or
// fs.ErrNotExist.
func FindMakefile(fsys fs.FS) (string, error) {
	for _, n := range DefaultMakefileNames() {
		st, err := fs.Stat(fsys, n)
		if err == nil && !st.IsDir() {
			return n, nil
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	}
	return "", fs.ErrNotExist
}

// Analyze reads the makefile name in fsys as GNU make would with an empty
// environment and no command-line variables, and derives the contract's
// facts. Nothing is executed: $(shell ...) and != make values
// shell-dependent. The error is only for a makefile that cannot be read or
// a cancelled ctx; problems in the makefile are in the result.
func Analyze(ctx context.Context, fsys fs.FS, name string) (*Analysis, error) {
	return AnalyzeConfig(ctx, Config{FS: fsys}, name)
}

// AnalyzeConfig is [Analyze] with explicit limits and working directory.
// cfg.Env is ignored: the analysis is of an empty environment.
func AnalyzeConfig(ctx context.Context, cfg Config, name string) (*Analysis, error) {
	fset := token.NewFileSet()
	cache := map[string]*parsed{}
	cfg.Env = nil
	funcs := builtinFunctions()
	db, err := read(ctx, cfg, name, fset, cache, funcs)
	if err != nil {
		return nil, err
	}
	// Read again with DOCKER_TAG in the environment: whether the
	// environment's value survives is what "conditional" means.
	cfg.Env = map[string]string{DockerTagVar: envSentinel}
	dbEnv, err := read(ctx, cfg, name, fset, cache, funcs)
	if err != nil {
		return nil, err
	}
	a := &Analysis{Path: name, DB: db, Targets: map[string]TargetInfo{}}
	a.Facts.Targets = map[string]TargetFact{}
	for _, t := range []string{TargetTest, TargetItest, TargetCookImage} {
		info := db.targetInfo(name, t)
		a.Targets[t] = info
		a.Facts.Targets[t] = info.TargetFact
	}
	a.Facts.ItestUsesDockerTag = a.Targets[TargetItest].UsesDockerTag
	a.Facts.CookImageUsesDockerTag = a.Targets[TargetCookImage].UsesDockerTag
	a.Facts.MissingIncludes = append([]string{}, db.MissingIncludes...)

	dt := &a.Facts.DockerTag
	if v := db.Vars[DockerTagVar]; v != nil && !v.Private && (v.Origin == OriginFile || v.Origin == OriginOverride) {
		dt.Defined = true
		val, tainted, failed := db.ev.final("$(" + DockerTagVar + ")")
		dt.ShellDependent = tainted || v.ShellDependent
		if !dt.ShellDependent && !failed {
			dt.Default = &val
		}
		if v.Export != nil {
			dt.Exported = *v.Export
		} else {
			dt.Exported = db.ExportAll
		}
		envVal, _, _ := dbEnv.ev.final("$(" + DockerTagVar + ")")
		dt.Conditional = envVal == envSentinel
		a.DockerTagAssign = db.assignment(v, true)
		a.DockerTagLast = db.assignment(v, false)
	}
	a.TabProblems = db.tabProblems()
	a.DockerTagTargetAssigns = db.targetAssignments(DockerTagVar)
	return a, nil
}

// final expands s after reading, as a recipe or the shell would see it;
// failed is true when make would stop with an error.
func (e *evaluator) final(s string) (val string, tainted, failed bool) {
	n := len(e.db.Errors)
	e.stopped = false
	e.steps, e.written = 0, 0
	e.inRecipe = true
	val, tainted = e.expandT(s)
	e.inRecipe = false
	failed = len(e.db.Errors) > n || e.stopped
	e.db.Errors = e.db.Errors[:n]
	return val, tainted, failed
}

// Expand expands s in the database's final state, as make would when
// running a recipe. tainted is true when the value depends on $(shell ...)
// or another disabled feature.
func (db *Database) Expand(s string) (val string, tainted bool) {
	val, tainted, _ = db.ev.final(s)
	return val, tainted
}

func (db *Database) lines(p token.Pos, end token.Pos) Lines {
	start := db.Fset.Position(p)
	stop := db.Fset.Position(end)
	l := Lines{Path: start.Filename, Line: start.Line, EndLine: max(stop.Line, start.Line)}
	if stop.Column == 1 && stop.Line > start.Line && stop.Offset > start.Offset {
		// End is exclusive: a position at the start of a line ends the
		// previous one.
		l.EndLine = stop.Line - 1
	}
	l.Text = db.sourceLines(l.Path, l.Line, l.EndLine)
	return l
}

// Line returns line n (1-based) of a makefile that was read, with its
// newline, or "" when there is no such line.
func (db *Database) Line(path string, n int) string {
	return db.sourceLines(path, n, n)
}

// sourceLines returns lines [from, to] of the makefile path, each ending
// in "\n". The line index of each file is built on first use: tabProblems
// quotes a line per problem, and scanning from the top each time made a
// Makefile of 100,000 bad lines take minutes.
func (db *Database) sourceLines(path string, from, to int) string {
	src := db.srcs[path]
	starts, ok := db.lineStarts[path]
	if !ok {
		starts = []int{0}
		for i, c := range src {
			if c == '\n' {
				starts = append(starts, i+1)
			}
		}
		if db.lineStarts == nil {
			db.lineStarts = map[string][]int{}
		}
		db.lineStarts[path] = starts
	}
	var b strings.Builder
	for l := max(from, 1); l <= to && l <= len(starts); l++ {
		end := len(src)
		if l < len(starts) {
			end = starts[l] - 1
		}
		b.Write(src[starts[l-1]:end])
		b.WriteByte('\n')
	}
	return b.String()
}

func (db *Database) assignment(v *Var, plain bool) *Assignment {
	for i := len(v.Sites) - 1; i >= 0; i-- {
		s := v.Sites[i]
		switch s.Stmt.Op {
		case OpRecursive, OpSimple, OpPOSIXSimple, OpImmediate, OpShell:
		default:
			if plain {
				continue
			}
		}
		a := &Assignment{Op: s.Stmt.Op, Override: s.Stmt.Override, Define: s.Stmt.Define, Editable: !s.Eval && db.srcs[s.Pos.Filename] != nil,
			Sole: len(v.Sites) == 1}
		a.Lines = db.lines(s.Stmt.Pos(), s.Stmt.End())
		return a
	}
	return nil
}

// targetAssignments lists target-specific assignments of variable that
// replace whatever the environment says (=, :=, ::=, :::=).
func (db *Database) targetAssignments(variable string) []TargetAssignment {
	var out []TargetAssignment
	for name, t := range db.Targets {
		for _, tv := range t.Vars {
			switch tv.Op {
			case OpRecursive, OpSimple, OpPOSIXSimple, OpImmediate:
			default:
				continue
			}
			if tv.Name != variable {
				continue
			}
			p := db.Fset.Position(tv.Pos)
			ta := TargetAssignment{Target: name, Assignment: Assignment{Op: tv.Op, Override: tv.Override, Sole: true,
				Editable: db.srcs[p.Filename] != nil && !strings.HasSuffix(p.Filename, "(eval)")}}
			ta.Lines = Lines{Path: p.Filename, Line: p.Line, EndLine: p.Line, Text: db.Line(p.Filename, p.Line)}
			out = append(out, ta)
		}
	}
	slices.SortFunc(out, func(a, b TargetAssignment) int { return strings.Compare(a.Target, b.Target) })
	return out
}

func (db *Database) tabProblems() []TabProblem {
	var out []TabProblem
	seen := map[token.Position]bool{}
	errAt := make(map[token.Position]string, len(db.Errors))
	for _, e := range db.Errors {
		errAt[e.Pos] = e.Msg // the last error at a position wins
	}
	for _, r := range db.SpaceIndented {
		l := db.lines(r.Pos(), r.End())
		if db.srcs[l.Path] == nil {
			continue
		}
		p := db.Fset.Position(r.Pos())
		seen[p] = true
		out = append(out, TabProblem{Lines: l, SpaceIndented: true, MakeError: errAt[p]})
	}
	for _, e := range db.Errors {
		if seen[e.Pos] || db.srcs[e.Pos.Filename] == nil {
			continue
		}
		if !strings.HasPrefix(e.Msg, "missing separator") && e.Msg != "recipe commences before first target" {
			continue
		}
		text := db.sourceLines(e.Pos.Filename, e.Pos.Line, e.Pos.Line)
		out = append(out, TabProblem{Lines: Lines{Path: e.Pos.Filename, Line: e.Pos.Line, EndLine: e.Pos.Line, Text: text},
			MakeError: e.Msg, SpaceIndented: strings.HasPrefix(text, " ")})
	}
	slices.SortFunc(out, func(a, b TabProblem) int {
		if a.Path != b.Path {
			return strings.Compare(a.Path, b.Path)
		}
		return a.Line - b.Line
	})
	return out
}

// How returns how make would find a rule for target: explicit, pattern,
// phony-only or none. Files that exist in the tree are not considered
// (a directory named "test" would make make answer "up to date").
func (db *Database) How(target string) string {
	how, _, _ := db.how(target)
	return how
}

func (db *Database) how(name string) (string, token.Pos, *implicitMatch) {
	t := db.Targets[name]
	if t != nil && t.IsTarget {
		return HowExplicit, t.Pos, nil
	}
	if t != nil && t.Phony {
		// make does not search implicit rules for phony targets.
		return HowPhonyOnly, t.PhonyPos, nil
	}
	if m := db.implicit(name, 0); m != nil {
		return HowPattern, m.rule.Pos, m
	}
	if d := db.Targets[".DEFAULT"]; d != nil && d.IsTarget && len(d.Rules) > 0 && len(d.Rules[0].Recipe) > 0 {
		return HowPattern, d.Pos, &implicitMatch{rule: &PatternRule{Pos: d.Pos, Recipe: d.Rules[0].Recipe}}
	}
	return HowNone, token.NoPos, nil
}

type implicitMatch struct {
	rule    *PatternRule
	stem    string
	prereqs []string
}

// effectivePatterns drops pattern rules cancelled by a later rule with the
// same targets and prerequisites and no recipe.
func (db *Database) effectivePatterns() []*PatternRule {
	if db.patterns != nil {
		return db.patterns
	}
	var out []*PatternRule
	for _, p := range db.Patterns {
		out = slices.DeleteFunc(out, func(q *PatternRule) bool {
			return slices.Equal(q.Targets, p.Targets) && slices.Equal(q.Prereqs, p.Prereqs)
		})
		if len(p.Recipe) > 0 {
			out = append(out, p)
		}
	}
	if out == nil {
		out = []*PatternRule{}
	}
	db.patterns = out
	return out
}

// implicit searches pattern rules for name, as make's implicit rule search
// does: shortest stem first, prerequisites must exist, be mentioned in the
// makefile, or be makeable by a further pattern rule.
func (db *Database) implicit(name string, depth int) *implicitMatch {
	key := implicitKey{name, depth}
	if m, ok := db.implicitMemo[key]; ok {
		return m
	}
	// Chains of pattern rules can branch widely; the search has a budget,
	// and a name that runs out of it counts as not makeable.
	if db.implicitSteps++; db.implicitSteps > maxImplicitSteps {
		return nil
	}
	m := db.searchImplicit(name, depth)
	if db.implicitMemo == nil {
		db.implicitMemo = map[implicitKey]*implicitMatch{}
	}
	db.implicitMemo[key] = m
	return m
}

type implicitKey struct {
	name  string
	depth int
}

func (db *Database) searchImplicit(name string, depth int) *implicitMatch {
	type cand struct {
		r       *PatternRule
		stem    string
		dir     string
		pattern string
	}
	var cands []cand
	for _, r := range db.effectivePatterns() {
		for _, tp := range r.Targets {
			w, dir := name, ""
			if !strings.Contains(tp, "/") {
				if k := strings.LastIndexByte(name, '/'); k >= 0 {
					dir, w = name[:k+1], name[k+1:]
				}
			}
			// The '%' of a pattern rule matches a non-empty stem.
			if stem, ok := matchPattern(tp, w); ok && stem != "" {
				if tp == "%" && depth > 0 && !r.Terminal {
					continue
				}
				cands = append(cands, cand{r, stem, dir, tp})
				break
			}
		}
	}
	slices.SortStableFunc(cands, func(a, b cand) int { return len(a.stem) - len(b.stem) })
	for _, c := range cands {
		ok := true
		var prereqs []string
		for _, p := range append(append([]string(nil), c.r.Prereqs...), c.r.OrderOnly...) {
			if strings.Contains(p, "%") {
				p = c.dir + strings.Replace(p, "%", c.stem, 1)
			}
			prereqs = append(prereqs, p)
			if db.exists(p) {
				continue
			}
			if t := db.Targets[p]; t != nil && !c.r.Terminal {
				continue
			}
			if !c.r.Terminal && depth < maxImplicitDepth && db.implicit(p, depth+1) != nil {
				continue
			}
			ok = false
			break
		}
		if ok {
			return &implicitMatch{rule: c.r, stem: c.dir + c.stem, prereqs: prereqs}
		}
	}
	return nil
}

func (db *Database) exists(name string) bool {
	n, ok := db.ev.fsName(name)
	if !ok || db.ev.cfg.FS == nil {
		return false
	}
	_, err := fs.Stat(db.ev.cfg.FS, n)
	return err == nil
}

func (db *Database) targetInfo(makefile, name string) TargetInfo {
	how, pos, _ := db.how(name)
	info := TargetInfo{TargetFact: TargetFact{Defined: how != HowNone, How: how}, Path: makefile, Line: 1}
	if pos.IsValid() {
		p := db.Fset.Position(pos)
		if db.srcs[p.Filename] != nil {
			info.Path, info.Line = p.Filename, p.Line
		}
	}
	if info.Defined {
		u := db.Uses(name, DockerTagVar)
		info.UsesDockerTag = &u
	}
	if t := db.Targets[name]; how == HowExplicit && !t.Phony && !t.DoubleColon && db.exists(name) {
		prereqs := 0
		for _, r := range t.Rules {
			prereqs += len(r.Prereqs)
		}
		info.UpToDateFile = prereqs == 0
	}
	return info
}

// Uses reports whether building target would run a recipe line that
// refers to variable (as $(VAR), ${VAR}, through other variables, or as
// the shell variable $$VAR): the target's recipe, its prerequisites'
// recipes, and targets of $(MAKE) sub-makes in them.
func (db *Database) Uses(target, variable string) bool {
	e := db.ev
	saved := e.cmdline
	e.cmdline = map[string]string{variable: dockerTagMarker, "MAKE": subMakeMarker}
	e.quiet, e.noEval, e.inRecipe = true, true, true
	defer func() { e.cmdline, e.quiet, e.noEval, e.inRecipe = saved, false, false, false }()
	shellRef := []string{"$" + variable, "${" + variable + "}"}
	// One budget for the whole walk: a limit hit while probing means "no
	// reference found", never an unbounded search.
	e.stopped, e.steps, e.written = false, 0, 0
	defer func() { e.stopped = false }()

	type item struct {
		name  string
		scope map[string]*Var
	}
	visited := map[string]bool{}
	queue := []item{{target, nil}}
	for len(queue) > 0 && len(visited) < maxUsesVisited && !e.stopped {
		it := queue[0]
		queue = queue[1:]
		if visited[it.name] {
			continue
		}
		visited[it.name] = true
		recipes, prereqs, orderOnly, stem, scope := db.recipeOf(it.name, it.scope)
		e.scopes = append(e.scopes[:0], scope)
		auto := map[string]*Var{}
		set := func(n, v string) { auto[n] = &Var{Name: n, Flavor: Simple, Value: v, Origin: OriginAutomatic} }
		set("@", it.name)
		if len(prereqs) > 0 {
			set("<", prereqs[0])
		}
		set("^", strings.Join(slices.Compact(slices.Clone(prereqs)), " "))
		set("+", strings.Join(prereqs, " "))
		set("?", strings.Join(prereqs, " "))
		set("|", strings.Join(orderOnly, " "))
		set("*", stem)
		e.scopes = append(e.scopes, auto)
		for _, r := range recipes {
			if e.stopped {
				break
			}
			e.evalPos = db.Fset.Position(r.Pos)
			out := e.expand(r.Text)
			if strings.Contains(out, dockerTagMarker) || strings.Contains(out, shellRef[0]) || strings.Contains(out, shellRef[1]) {
				e.scopes = e.scopes[:0]
				return true
			}
			for _, sub := range subMakeTargets(out) {
				queue = append(queue, item{sub, nil})
			}
		}
		e.scopes = e.scopes[:0]
		for _, p := range append(slices.Clone(prereqs), orderOnly...) {
			queue = append(queue, item{p, scope})
		}
	}
	return false
}

// recipeOf returns what make would run for name, and the target-specific
// variables in force (inherited from the target that needed it).
func (db *Database) recipeOf(name string, parent map[string]*Var) (recipes []*RecipeLine, prereqs, orderOnly []string, stem string, scope map[string]*Var) {
	scope = maps.Clone(parent)
	if scope == nil {
		scope = map[string]*Var{}
	}
	t := db.Targets[name]
	if t != nil {
		for _, tv := range t.Vars {
			db.applyTargetVar(scope, tv)
		}
	}
	if t != nil && t.IsTarget {
		for _, r := range t.Rules {
			recipes = append(recipes, r.Recipe...)
			prereqs = append(prereqs, r.Prereqs...)
			orderOnly = append(orderOnly, r.OrderOnly...)
			stem = r.Stem
		}
		if len(recipes) > 0 || t.DoubleColon || t.Phony {
			return
		}
	}
	if t != nil && t.Phony {
		return
	}
	if _, _, m := db.how(name); m != nil {
		recipes = append(recipes, m.rule.Recipe...)
		prereqs = append(prereqs, m.prereqs...)
		if stem == "" {
			stem = m.stem
		}
	}
	return
}

func (db *Database) applyTargetVar(scope map[string]*Var, tv *TargetVar) {
	base := scope[tv.Name]
	if base == nil {
		base = db.Vars[tv.Name]
	}
	switch tv.Op {
	case OpConditional:
		if base != nil {
			return
		}
		scope[tv.Name] = &Var{Name: tv.Name, Flavor: Recursive, Value: tv.Value, Origin: OriginFile}
	case OpAppend:
		v := &Var{Name: tv.Name, Flavor: Recursive, Value: tv.Value, Origin: OriginFile}
		if base != nil {
			v.Value = joinSpace(base.Value, tv.Value)
			v.ShellDependent = base.ShellDependent
			if base.Flavor == Simple {
				v.Flavor = Simple
				v.Value = joinSpace(base.Value, db.ev.expand(tv.Value))
			}
		}
		scope[tv.Name] = v
	case OpSimple, OpPOSIXSimple:
		scope[tv.Name] = &Var{Name: tv.Name, Flavor: Simple, Value: tv.Value, Origin: OriginFile}
	default:
		scope[tv.Name] = &Var{Name: tv.Name, Flavor: Recursive, Value: tv.Value, Origin: OriginFile}
	}
}

// subMakeTargets returns the goals of $(MAKE) invocations in an expanded
// recipe line; a sub-make with -C, -f or --directory/--file reads another
// makefile and is not followed.
func subMakeTargets(line string) []string {
	var out []string
	for {
		k := strings.Index(line, subMakeMarker)
		if k < 0 {
			return out
		}
		line = line[k+len(subMakeMarker):]
		end := strings.IndexAny(line, ";&|)\n")
		args := line
		if end >= 0 {
			args = line[:end]
		}
		var goals []string
		other := false
		for _, w := range fields(args) {
			switch {
			case w == "-C" || w == "-f" || strings.HasPrefix(w, "--directory") || strings.HasPrefix(w, "--file") || strings.HasPrefix(w, "--makefile") ||
				(strings.HasPrefix(w, "-") && !strings.HasPrefix(w, "--") && strings.ContainsAny(w, "Cf")):
				other = true
			case strings.HasPrefix(w, "-") || strings.Contains(w, "="):
			default:
				goals = append(goals, strings.Trim(w, `"'`))
			}
		}
		if !other {
			out = append(out, goals...)
		}
	}
}
