package makefile

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"go/token"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
)

// Markers used while probing: values no makefile can produce (they hold NUL
// bytes, which make never reads from a file).
const (
	envSentinel      = "\x00contractbot-environment-value\x00"
	varMarker        = "\x00contractbot-variable\x00"
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

// Lines is a range of source lines: 1-based, inclusive, with their text
// (each line ending in "\n").
type Lines struct {
	Path          string
	Line, EndLine int
	Text          string
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

// TargetAssignment is a target-specific assignment as written, or with
// Pattern a pattern-specific one, whose Target is the pattern.
type TargetAssignment struct {
	Assignment
	Target  string
	Pattern bool
}

// Applies reports whether the assignment applies to target's recipe.
func (ta TargetAssignment) Applies(target string) bool {
	if !ta.Pattern {
		return ta.Target == target
	}
	_, ok := matchPattern(ta.Target, target)
	return ok
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

// EnvironmentWins reports whether a value of variable in make's
// environment would still be its value after reading the makefiles: true
// after "?=", or an assignment guarded by ifndef or $(origin ...); false
// after a plain assignment or an override. The makefiles are read again
// (from the parse cache) with variable set in the environment. When make
// would stop only then (while reading, expanding the variable, or
// expanding the exported variables into a recipe's environment), stop is
// that error and wins is false: the value is not accepted either.
func (db *Database) EnvironmentWins(ctx context.Context, variable string) (wins bool, stop *Error, err error) {
	cfg := db.ev.cfg
	cfg.Env = maps.Clone(cfg.Env)
	if cfg.Env == nil {
		cfg.Env = map[string]string{}
	}
	cfg.Env[variable] = envSentinel
	other, err := read(ctx, cfg, db.Files[0], db.Fset, db.ev.cache, db.ev.functions)
	if err != nil {
		return false, nil, err
	}
	if !db.stops() {
		for _, e := range other.Errors {
			if !e.Limit {
				c := *e
				return false, &c, nil
			}
		}
	}
	val, _, xerr := other.ev.finalErr("$(" + variable + ")")
	var me *Error
	if errors.As(xerr, &me) && !me.Limit {
		c := *me
		return false, &c, nil
	}
	if e := other.exportError(); e != nil && db.exportError() == nil {
		return false, e, nil
	}
	return val == envSentinel, nil, nil
}

// stops says whether make stops reading the makefiles as they are.
func (db *Database) stops() bool {
	for _, e := range db.Errors {
		if !e.Limit {
			return true
		}
	}
	return false
}

// final expands s after reading, as a recipe or the shell would see it;
// failed is true when make would stop with an error.
func (e *evaluator) final(s string) (val string, tainted, failed bool) {
	val, tainted, err := e.finalErr(s)
	return val, tainted, err != nil
}

// finalErr is final with the first error make would stop on.
func (e *evaluator) finalErr(s string) (val string, tainted bool, err error) {
	n := len(e.db.Errors)
	e.stopped = false
	e.steps, e.written = 0, 0
	e.inRecipe = true
	val, tainted = e.expandT(s)
	e.inRecipe = false
	switch {
	case len(e.db.Errors) > n:
		err = e.db.Errors[n]
	case e.stopped:
		err = cmp.Or(e.ctx.Err(), ErrBudget)
	}
	e.db.Errors = e.db.Errors[:n]
	e.stopped = false
	return val, tainted, err
}

// ExpandErr is [Database.Expand] that also returns the error make would
// stop on while expanding s (a recursive variable that refers to itself,
// $(error ...), a limit), as an [*Error] when it has a position.
func (db *Database) ExpandErr(s string) (val string, tainted bool, err error) {
	return db.ev.finalErr(s)
}

// Expand expands s in the database's final state, as make would when
// running a recipe. tainted is true when the value depends on $(shell ...)
// or another disabled feature.
func (db *Database) Expand(s string) (val string, tainted bool) {
	val, tainted, _ = db.ev.final(s)
	return val, tainted
}

func (db *Database) lines(p token.Pos, end token.Pos) Lines {
	start := db.position(p)
	stop := db.position(end)
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

// Assignment returns the last assignment that set variable, or nil when no
// assignment in the makefiles did. With plain, only an assignment that
// replaces the value outright counts (=, :=, ::=, :::=, !=): the line that
// keeps the environment from setting the variable.
func (db *Database) Assignment(variable string, plain bool) *Assignment {
	v := db.Vars[variable]
	if v == nil {
		return nil
	}
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

// TargetAssignments lists the target-specific assignments of variable that
// replace whatever the environment says (=, :=, ::=, :::=), in target name
// order.
func (db *Database) TargetAssignments(variable string) []TargetAssignment {
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
			out = append(out, db.targetAssignment(name, false, tv))
		}
	}
	for _, pv := range db.PatternVars {
		switch pv.Op {
		case OpRecursive, OpSimple, OpPOSIXSimple, OpImmediate:
		default:
			continue
		}
		if pv.Name == variable {
			out = append(out, db.targetAssignment(pv.Pattern, true, &pv.TargetVar))
		}
	}
	slices.SortFunc(out, func(a, b TargetAssignment) int { return strings.Compare(a.Target, b.Target) })
	return out
}

func (db *Database) targetAssignment(target string, pattern bool, tv *TargetVar) TargetAssignment {
	p := db.position(tv.Pos)
	ta := TargetAssignment{Target: target, Pattern: pattern, Assignment: Assignment{Op: tv.Op, Override: tv.Override, Sole: true,
		Editable: db.srcs[p.Filename] != nil && !db.isEval(tv.Pos)}}
	ta.Lines = Lines{Path: p.Filename, Line: p.Line, EndLine: p.Line, Text: db.Line(p.Filename, p.Line)}
	return ta
}

// ValueFor returns variable's value as target's recipe sees it, with the
// target- and pattern-specific assignments that apply to it, and whether
// the variable is set there at all.
func (db *Database) ValueFor(target, variable string) (val string, set bool) {
	scope := db.recipeOf(target, nil).scope
	e := db.ev
	e.scopes = append(e.scopes[:0], scope)
	defer func() { e.scopes = e.scopes[:0] }()
	if e.lookup(variable) == nil {
		return "", false
	}
	val, _, _ = e.final("$(" + variable + ")")
	return val, true
}

// TabProblems lists the lines that GNU make misreads or stops at because a
// recipe line is not indented with the recipe prefix, in file and line
// order.
func (db *Database) TabProblems() []TabProblem {
	var out []TabProblem
	seen := map[token.Position]bool{}
	errAt := make(map[token.Position]string, len(db.Errors))
	for _, e := range db.Errors {
		errAt[e.Pos] = e.Msg // the last error at a position wins
	}
	for _, r := range db.SpaceIndented {
		l := db.lines(r.Pos(), r.End())
		if db.srcs[l.Path] == nil || db.isEval(r.Pos()) {
			continue
		}
		p := db.Fset.Position(r.Pos())
		seen[p] = true
		out = append(out, TabProblem{Lines: l, SpaceIndented: true, MakeError: errAt[p]})
	}
	for _, e := range db.Errors {
		if seen[e.Pos] || db.srcs[e.Pos.Filename] == nil || e.inEval {
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
// (see [Database.UpToDateFile]).
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

// Where returns how make finds a rule for target (see [Database.How]) and
// the line that defines it: the rule line, or for a phony-only target the
// .PHONY line. The position is the zero Position when there is no such
// line in a makefile that was read.
func (db *Database) Where(target string) (how string, pos token.Position) {
	how, p, _ := db.how(target)
	if p.IsValid() {
		if q := db.position(p); db.srcs[q.Filename] != nil {
			pos = q
		}
	}
	return how, pos
}

// UpToDateFile reports whether make would answer "'target' is up to date"
// and run nothing: a file or directory of that name exists in the tree,
// and the target has an explicit single-colon rule, no prerequisites, and
// is not .PHONY.
func (db *Database) UpToDateFile(target string) bool {
	t := db.Targets[target]
	if t == nil || !t.IsTarget || t.Phony || t.DoubleColon || !db.exists(target) {
		return false
	}
	for _, r := range t.Rules {
		if len(r.Prereqs) > 0 {
			return false
		}
	}
	return true
}

// References reports whether building target would run a recipe line that
// refers to variable (as $(VAR), ${VAR}, through other variables, or as
// the shell variable $$VAR): the target's recipe, its prerequisites'
// recipes, and targets of $(MAKE) sub-makes in them. The makefiles are
// read again with variable set on the command line, as a marker, so that
// a simple variable made of it (IMAGE := reg/x:$(VAR)) carries it too. A
// sub-make run with -C DIR is followed into DIR's makefile; one that reads
// a makefile the analysis cannot find (-f, a computed directory) counts as
// a reference, since what it runs cannot be known.
func (db *Database) References(target, variable string) bool {
	return db.references(target, variable, 0)
}

// maxSubMakeDepth bounds how deep References follows $(MAKE) -C DIR.
const maxSubMakeDepth = 4

func (db *Database) references(target, variable string, depth int) bool {
	probe := db.probeFor(variable)
	if probe == nil {
		return false
	}
	found := false
	probe.walkRecipes(target, map[string]string{variable: varMarker, "MAKE": subMakeMarker}, true, func(_ *RecipeLine, out string, _ *Error) bool {
		if strings.Contains(out, varMarker) || strings.Contains(out, "$"+variable) || strings.Contains(out, "${"+variable+"}") {
			found = true
			return false
		}
		for _, sub := range subMakes(out) {
			switch {
			case sub.dir == "" && !sub.other:
				// A plain $(MAKE) goal: walkRecipes follows it.
			case sub.other || depth >= maxSubMakeDepth || db.subReferences(sub, variable, depth):
				found = true
				return false
			}
		}
		return true
	})
	return found
}

// subReferences reads the makefile of a sub-make run with -C dir and asks
// whether its goals refer to variable; an unreadable one counts as a
// reference.
func (db *Database) subReferences(sub subMake, variable string, depth int) bool {
	dir, ok := db.ev.fsName(sub.dir)
	if !ok || db.ev.cfg.FS == nil {
		return true
	}
	fsys, err := fs.Sub(db.ev.cfg.FS, dir)
	if err != nil {
		return true
	}
	name, err := FindMakefile(fsys)
	if err != nil {
		return true
	}
	cfg := db.ev.cfg
	cfg.FS, cfg.Dir = fsys, ""
	if db.ev.cfg.Dir != "" {
		cfg.Dir = db.ev.cfg.Dir + "/" + dir
	}
	other, err := Read(db.ev.ctx, cfg, name)
	if err != nil {
		return true
	}
	goals := sub.goals
	if len(goals) == 0 {
		goals = []string{other.DefaultGoal}
	}
	for _, g := range goals {
		if other.references(g, variable, depth+1) {
			return true
		}
	}
	return false
}

// probeFor returns the makefiles read again with variable on the command
// line (see References), once per variable; nil when ctx ended.
func (db *Database) probeFor(variable string) *Database {
	if p, ok := db.probes[variable]; ok {
		return p
	}
	p, err := readWith(db.ev.ctx, db.ev.cfg, db.Files[0], db.Fset, db.ev.cache, db.ev.functions, map[string]string{variable: varMarker})
	if err != nil {
		p = nil
	}
	if db.probes == nil {
		db.probes = map[string]*Database{}
	}
	db.probes[variable] = p
	return p
}

// walkRecipes expands, in the order make would run them (prerequisites
// before the targets that need them), the recipe lines that building
// target runs, with cmdline as command-line variables, and calls f with
// each line and its expansion until f returns false. With followMake,
// goals of plain $(MAKE) sub-makes are walked too. Errors raised while
// expanding are not kept. One budget covers the whole walk.
func (db *Database) walkRecipes(target string, cmdline map[string]string, followMake bool, f func(r *RecipeLine, out string, err *Error) bool) {
	e := db.ev
	saved := e.cmdline
	e.cmdline = cmdline
	e.noEval, e.inRecipe = true, true
	nerr, nwarn, nshell := len(db.Errors), len(db.Warnings), len(db.ShellCalls)
	defer func() {
		e.cmdline, e.noEval, e.inRecipe = saved, false, false
		db.Errors, db.Warnings, db.ShellCalls = db.Errors[:nerr], db.Warnings[:nwarn], db.ShellCalls[:nshell]
	}()
	e.stopped, e.steps, e.written = false, 0, 0
	defer func() { e.stopped = false }()

	visited := map[string]bool{}
	var visit func(name string, parent map[string]*Var) bool
	visit = func(name string, parent map[string]*Var) bool {
		if visited[name] || len(visited) >= maxUsesVisited || e.stopped {
			return !e.stopped
		}
		visited[name] = true
		tr := db.recipeOf(name, parent)
		recipes, prereqs, orderOnly, stem, scope := tr.recipes, tr.prereqs, tr.orderOnly, tr.stem, tr.scope
		if tr.varErr != nil && len(recipes) > 0 {
			f(recipes[0], "", tr.varErr)
			return false
		}
		for _, d := range tr.deps {
			if !visit(d.name, scope) {
				return false
			}
		}
		auto := map[string]*Var{}
		set := func(n, v string) { auto[n] = &Var{Name: n, Flavor: Simple, Value: v, Origin: OriginAutomatic} }
		set("@", name)
		if len(prereqs) > 0 {
			set("<", prereqs[0])
		}
		set("^", strings.Join(slices.Compact(slices.Clone(prereqs)), " "))
		set("+", strings.Join(prereqs, " "))
		set("?", strings.Join(prereqs, " "))
		set("|", strings.Join(orderOnly, " "))
		set("*", stem)
		var subs []string
		for _, r := range recipes {
			if e.stopped {
				return false
			}
			e.scopes = append(e.scopes[:0], scope, auto)
			e.evalPos = db.position(r.Pos)
			n := len(db.Errors)
			out := e.expand(r.Text)
			e.scopes = e.scopes[:0]
			var lineErr *Error
			if len(db.Errors) > n {
				lineErr = db.Errors[n]
			}
			if !f(r, out, lineErr) || e.stopped {
				return false
			}
			if followMake {
				for _, sub := range subMakes(out) {
					if sub.dir == "" && !sub.other {
						subs = append(subs, sub.goals...)
					}
				}
			}
		}
		for _, s := range subs {
			if !visit(s, nil) {
				return false
			}
		}
		return true
	}
	visit(target, nil)
}

// BuildError returns the first error make would stop on while building
// target, in the order make works (prerequisites first, depth first): a
// prerequisite that has no rule, is no file in the tree and that no
// built-in rule could make ("No rule to make target 'x', needed by 't'"),
// or a recipe line whose expansion fails ($(error ...), a recursive
// variable that refers to itself). It returns nil when make would get
// through, as far as can be known without running recipes. Whether target
// itself has a rule is [Database.How]'s question.
func (db *Database) BuildError(target string) *Error {
	if err := db.missingPrereq(target, map[string]bool{}); err != nil {
		return err
	}
	var first *Error
	ran := false
	db.walkRecipes(target, nil, false, func(_ *RecipeLine, _ string, err *Error) bool {
		ran = true
		if err != nil && !err.Limit {
			first = err
			return false
		}
		return true
	})
	if first == nil && ran {
		// To run a recipe line make expands every exported variable into
		// the environment: one that cannot be expanded stops it.
		first = db.exportError()
	}
	if first != nil {
		c := *first
		return &c
	}
	return nil
}

// exportError returns the error make stops on when it expands the
// exported variables for a recipe's environment, or nil.
func (db *Database) exportError() *Error {
	names := slices.Sorted(maps.Keys(db.Vars))
	for _, n := range names {
		v := db.Vars[n]
		exported := v.Export != nil && *v.Export ||
			v.Export == nil && db.ExportAll && (v.Origin == OriginFile || v.Origin == OriginOverride)
		if !exported || v.Flavor != Recursive || !strings.Contains(v.Value, "$") {
			continue
		}
		// make expands the variable's own value, private or not (a
		// private exported variable is in the environment though
		// $(NAME) is empty in a recipe), with it under expansion.
		v.expanding = true
		_, _, err := db.ev.finalErr(v.Value)
		v.expanding = false
		if err != nil {
			var me *Error
			if errors.As(err, &me) && !me.Limit {
				c := *me
				if as := db.Assignment(n, false); as != nil {
					c.Pos = token.Position{Filename: as.Path, Line: as.Line, Column: 1}
				}
				return &c
			}
		}
	}
	return nil
}

func (db *Database) missingPrereq(name string, visited map[string]bool) *Error {
	if visited[name] || len(visited) >= maxUsesVisited {
		return nil
	}
	visited[name] = true
	tr := db.recipeOf(name, nil)
	_, pos, _ := db.how(name)
	for _, d := range tr.deps {
		p := d.name
		if db.How(p) == HowNone && !db.exists(p) && !db.builtinMightMake(p) {
			return &Error{Pos: db.position(pos), Msg: fmt.Sprintf("No rule to make target '%s', needed by '%s'", p, name)}
		}
		if err := db.missingPrereq(p, visited); err != nil {
			return err
		}
	}
	return nil
}

// builtinSources are the suffixes of files GNU make's built-in rules make
// other files from (make -p lists the rules). contractbot does not model
// the rules themselves; a prerequisite that one of them might make from a
// file in the tree is not reported as unmakeable.
var builtinSources = []string{".c", ".cc", ".C", ".cpp", ".p", ".f", ".F", ".m", ".r", ".s", ".S", ".mod", ".sym", ".def", ".h",
	".info", ".dvi", ".tex", ".texinfo", ".texi", ".txinfo", ".w", ".ch", ".web", ".sh", ".elc", ".el", ".o", ".l", ".ln", ".y"}

func (db *Database) builtinMightMake(name string) bool {
	dir, file := "", name
	if k := strings.LastIndexByte(name, '/'); k >= 0 {
		dir, file = name[:k+1], name[k+1:]
	}
	for _, src := range []string{name + ",v", dir + "RCS/" + file + ",v", dir + "RCS/" + file, dir + "s." + file, dir + "SCCS/s." + file} {
		if db.exists(src) {
			return true
		}
	}
	stem := name
	if k := strings.LastIndexByte(file, '.'); k > 0 {
		stem = dir + file[:k]
	}
	for _, ext := range builtinSources {
		if db.exists(stem+ext) || db.exists(name+ext) {
			return true
		}
	}
	return false
}

// targetRecipe is what make would run for a target.
type targetRecipe struct {
	recipes []*RecipeLine
	// deps are the prerequisites, order-only ones included, in the
	// order make considers them (RuleEntry.deps).
	deps               []dep
	prereqs, orderOnly []string // deps split, each in that order
	stem               string
	scope              map[string]*Var // the target-specific variables in force
	// varErr is the error make stops on when it sets up those
	// variables (a pattern's += onto its own := expanded then), which
	// it does only once it expands one of the target's recipes.
	varErr *Error
}

type dep struct {
	name      string
	orderOnly bool
}

// recipeOf returns what make would run for name, and the target-specific
// variables in force (inherited from the target that needed it).
func (db *Database) recipeOf(name string, parent map[string]*Var) targetRecipe {
	var tr targetRecipe
	tr.scope = maps.Clone(parent)
	if tr.scope == nil {
		tr.scope = map[string]*Var{}
	}
	scope := tr.scope
	nerr, stopped := len(db.Errors), db.ev.stopped
	// make keeps the pattern-specific variables that match a target in
	// one set and the target's own in another, over the parent's.
	patSet := map[string]bool{}
	for _, pv := range db.PatternVars {
		if _, ok := matchPattern(pv.Pattern, name); ok {
			db.applyTargetVar(scope, &pv.TargetVar, true, patSet)
		}
	}
	t := db.Targets[name]
	if t != nil {
		ownSet := map[string]bool{}
		for _, tv := range t.Vars {
			db.applyTargetVar(scope, tv, false, ownSet)
		}
	}
	if len(db.Errors) > nerr {
		c := *db.Errors[nerr]
		tr.varErr = &c
		db.Errors = db.Errors[:nerr]
		db.ev.stopped = stopped
	}
	defer func() {
		for _, d := range tr.deps {
			if d.orderOnly {
				tr.orderOnly = append(tr.orderOnly, d.name)
			} else {
				tr.prereqs = append(tr.prereqs, d.name)
			}
		}
	}()
	if t != nil && t.IsTarget {
		for _, r := range t.Rules {
			tr.recipes = append(tr.recipes, r.Recipe...)
			tr.deps = append(tr.deps, r.deps...)
			tr.stem = r.Stem
		}
		if len(tr.recipes) > 0 || t.DoubleColon || t.Phony {
			return tr
		}
	}
	if t != nil && t.Phony {
		return tr
	}
	if _, _, m := db.how(name); m != nil {
		tr.recipes = append(tr.recipes, m.rule.Recipe...)
		for _, p := range m.prereqs {
			tr.deps = append(tr.deps, dep{name: p})
		}
		if tr.stem == "" {
			tr.stem = m.stem
		}
	}
	return tr
}

// applyTargetVar applies tv, pattern-specific or not, to scope, the
// variables of the target it applies to; set holds the names tv's own
// variable set (the target's, or the matching patterns') defines so far.
func (db *Database) applyTargetVar(scope map[string]*Var, tv *TargetVar, pattern bool, set map[string]bool) {
	inSet := set[tv.Name]
	if tv.Op == OpConditional {
		if db.applyConditional(scope, tv, pattern, inSet) {
			set[tv.Name] = true
		}
		return
	}
	set[tv.Name] = true
	base := scope[tv.Name]
	if base == nil {
		// A private global is no target's parent: a target's += starts
		// afresh (variable.c variable_append skips it).
		if g := db.Vars[tv.Name]; g != nil && !g.Private {
			base = g
		}
	}
	switch tv.Op {
	case OpAppend:
		v := &Var{Name: tv.Name, Flavor: Recursive, Value: tv.Value, Origin: OriginFile}
		if base != nil {
			v.Value = joinSpace(base.Value, tv.Value)
			v.ShellDependent = base.ShellDependent
			switch {
			case base.Flavor == Simple && inSet:
				// Appending to a simple variable of its own set, make
				// expands the addition at once.
				v.Flavor = Simple
				add := tv.Value
				if !tv.Expanded {
					add = db.ev.expand(tv.Value)
				}
				v.Value = joinSpace(base.Value, add)
			case base.Flavor == Simple:
				// A += onto a variable of an outer set stays an
				// append-type variable: when used, make takes the outer
				// value as it is and expands the addition then, with
				// the variable itself under expansion, so a reference
				// to itself stops make (variable.c variable_append).
				v.Value = joinSpace(strings.ReplaceAll(base.Value, "$", "$$"), tv.Value)
			}
		}
		scope[tv.Name] = v
	case OpSimple, OpPOSIXSimple:
		scope[tv.Name] = &Var{Name: tv.Name, Flavor: Simple, Value: tv.Value, Origin: OriginFile}
	default:
		scope[tv.Name] = &Var{Name: tv.Name, Flavor: Recursive, Value: tv.Value, Origin: OriginFile}
	}
}

// applyConditional applies a target- or pattern-specific ?=. Neither
// looks at what the target inherits from the targets that need it: an
// explicit target's was decided when make read it (TargetVar.Defines), and
// a pattern's looks only at the matching patterns' variables and the
// global ones (variable.c initialize_file_variables runs it with those
// current). It returns whether tv defined the variable in its set.
func (db *Database) applyConditional(scope map[string]*Var, tv *TargetVar, pattern, inSet bool) bool {
	if !pattern {
		if tv.Defines {
			scope[tv.Name] = &Var{Name: tv.Name, Flavor: Recursive, Value: tv.Value, Origin: OriginFile}
		}
		return tv.Defines
	}
	if inSet {
		return false
	}
	if g := db.Vars[tv.Name]; g != nil {
		if g.Private {
			// The pattern's ?= finds the private global, leaves it be
			// and then copies its own (absent) private flag onto it:
			// the target sees it.
			v := *g
			v.Private = false
			scope[tv.Name] = &v
		}
		return false
	}
	scope[tv.Name] = &Var{Name: tv.Name, Flavor: Recursive, Value: tv.Value, Origin: OriginFile}
	return true
}

// subMake is one $(MAKE) invocation in an expanded recipe line: its goals,
// the directory of -C DIR, and whether it reads another makefile in a way
// that cannot be followed (-f, --file, a combined short flag).
type subMake struct {
	goals []string
	dir   string
	other bool
}

// subMakes returns the $(MAKE) invocations in an expanded recipe line.
func subMakes(line string) []subMake {
	var out []subMake
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
		var sm subMake
		ws := fields(args)
		for i := 0; i < len(ws); i++ {
			w := strings.Trim(ws[i], `"'`)
			switch {
			case w == "-C" && i+1 < len(ws):
				i++
				sm.dir = path.Join(sm.dir, strings.Trim(ws[i], `"'`))
			case strings.HasPrefix(w, "--directory="):
				sm.dir = path.Join(sm.dir, strings.TrimPrefix(w, "--directory="))
			case strings.HasPrefix(w, "-C") && len(w) > 2 && !strings.HasPrefix(w, "--"):
				sm.dir = path.Join(sm.dir, w[2:])
			case w == "-C" || w == "-f" || strings.HasPrefix(w, "--directory") || strings.HasPrefix(w, "--file") || strings.HasPrefix(w, "--makefile") ||
				(strings.HasPrefix(w, "-") && !strings.HasPrefix(w, "--") && strings.ContainsAny(w, "Cf")):
				sm.other = true
			case strings.HasPrefix(w, "-") || strings.Contains(w, "="):
			default:
				sm.goals = append(sm.goals, w)
			}
		}
		if sm.dir == "." {
			sm.dir = ""
		}
		if strings.Contains(sm.dir, "$") {
			sm.other = true
		}
		out = append(out, sm)
	}
}
