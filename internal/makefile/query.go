package makefile

import (
	"cmp"
	"context"
	"errors"
	"go/token"
	"io/fs"
	"maps"
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

// EnvironmentWins reports whether a value of variable in make's
// environment would still be its value after reading the makefiles: true
// after "?=", or an assignment guarded by ifndef or $(origin ...); false
// after a plain assignment or an override. The makefiles are read again
// (from the parse cache) with variable set in the environment.
func (db *Database) EnvironmentWins(ctx context.Context, variable string) (bool, error) {
	cfg := db.ev.cfg
	cfg.Env = maps.Clone(cfg.Env)
	if cfg.Env == nil {
		cfg.Env = map[string]string{}
	}
	cfg.Env[variable] = envSentinel
	other, err := read(ctx, cfg, db.Files[0], db.Fset, db.ev.cache, db.ev.functions)
	if err != nil {
		return false, err
	}
	val, _, _ := other.ev.final("$(" + variable + ")")
	return val == envSentinel, nil
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
		if q := db.Fset.Position(p); db.srcs[q.Filename] != nil {
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
// recipes, and targets of $(MAKE) sub-makes in them.
func (db *Database) References(target, variable string) bool {
	e := db.ev
	saved := e.cmdline
	e.cmdline = map[string]string{variable: varMarker, "MAKE": subMakeMarker}
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
			if strings.Contains(out, varMarker) || strings.Contains(out, shellRef[0]) || strings.Contains(out, shellRef[1]) {
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
