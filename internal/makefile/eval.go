package makefile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/token"
	"io"
	"io/fs"
	"path"
	"strings"
)

// Flavor is how a variable expands: "recursive" (expanded at each use),
// "simple" (expanded once, at assignment) or "undefined".
type Flavor string

// Variable flavors, as $(flavor ...) names them.
const (
	Undefined Flavor = "undefined"
	Recursive Flavor = "recursive"
	Simple    Flavor = "simple"
)

// Origin is where a variable's value came from, as $(origin ...) names it.
type Origin string

// Variable origins.
const (
	OriginUndefined   Origin = "undefined"
	OriginDefault     Origin = "default"
	OriginEnvironment Origin = "environment"
	OriginFile        Origin = "file"
	OriginCommandLine Origin = "command line"
	OriginOverride    Origin = "override"
	OriginAutomatic   Origin = "automatic"
)

// Var is a variable after reading the makefiles.
type Var struct {
	Name   string
	Flavor Flavor
	// Value is the unexpanded text of a recursive variable, or the
	// expanded value of a simple one.
	Value  string
	Origin Origin
	// Export is true after "export NAME", false after "unexport NAME", nil
	// when neither was said.
	Export *bool
	// ShellDependent is true when the value came from $(shell), != or
	// another disabled feature, directly or through what it expanded.
	ShellDependent bool
	// Private variables are not inherited by targets: recipes do not see
	// them.
	Private bool
	// Sites are the assignments that set the variable, in the order make
	// read them (an append adds a site).
	Sites []Site

	expanding bool
}

// Site is where an assignment was read.
type Site struct {
	Stmt *Assign
	Pos  token.Position
	// Eval is true when the assignment came from $(eval ...): it has no
	// line of its own that a fix could rewrite.
	Eval bool
	// Cond is true when the assignment sits inside a conditional.
	Cond bool
}

// Config sets what an evaluation may see. Every capability is a field; a
// zero field disables it, and using a disabled feature marks the values
// derived from it as shell-dependent rather than pretending they are empty.
type Config struct {
	// FS holds the makefile and everything include, $(wildcard ...) and
	// $(realpath ...) may read. Names are resolved against its root and can
	// never leave it.
	FS fs.FS
	// Env is the environment make starts with. nil is an empty environment.
	Env map[string]string
	// Dir is the absolute directory make would run in (CURDIR,
	// $(abspath ...)). Empty means unknown: values using it are marked
	// shell-dependent.
	Dir string
	// Limits; zero means the defaults below.
	MaxIncludeDepth int // nested includes (default 32)
	MaxValueBytes   int // bytes one expansion may produce (default 1 MiB)
	MaxSteps        int // expansion and statement steps in total (default 2,000,000)
}

// Default limits.
const (
	DefaultMaxIncludeDepth = 32
	DefaultMaxValueBytes   = 1 << 20
	DefaultMaxSteps        = 2_000_000
	maxExpandDepth         = 400
	maxFilesRead           = 1000
	maxStoredBytes         = 64 << 20
	maxBytesRead           = 64 << 20
	maxWrittenBytes        = 256 << 20
)

// ErrBudget is recorded (as an [Error]) when an evaluation exceeds one of
// its limits; what was read until then is kept.
var ErrBudget = errors.New("evaluation budget exceeded")

// ErrNotRegular is returned for a makefile that is a named pipe, a device
// or a socket: it is never opened.
var ErrNotRegular = errors.New("not a regular file (a named pipe, device or socket): not read")

// Database is what make knows after reading the makefiles: variables,
// explicit targets, pattern rules, and the problems make would report.
type Database struct {
	Fset *token.FileSet
	// Files lists every makefile read, the first one first, as paths in
	// the FS.
	Files []string
	// MissingIncludes are names given to include, -include or sinclude
	// that could not be read inside the FS, in order, without duplicates.
	MissingIncludes []string
	// Errors are what would stop GNU make (missing separator, recursive
	// variable, $(error ...), ...), plus contractbot's own limits.
	Errors ErrorList
	// Warnings are what make reports and reads past, including
	// $(warning ...) and $(info ...) output.
	Warnings ErrorList
	// ShellCalls are the positions of $(shell ...), != and other disabled
	// features that were reached.
	ShellCalls []token.Position
	// SpaceIndented are rule-context lines indented with spaces (see
	// [RuleLine.Indent]): recipe lines missing their tab.
	SpaceIndented []*RuleLine
	// RuleLines maps each target to the rule lines that named it.
	Vars     map[string]*Var
	Targets  map[string]*Target
	Patterns []*PatternRule
	// PatternVars are the pattern-specific assignments, in order.
	PatternVars []*PatternVar
	ExportAll   bool
	// DefaultGoal is the first target, as make would build with no goal.
	DefaultGoal string

	srcs       map[string][]byte
	evalSites  map[string]token.Position // $(eval ...) text's name -> the call
	probes     map[string]*Database      // see probeFor
	lineStarts map[string][]int          // see sourceLines
	ev         *evaluator
	patterns   []*PatternRule

	implicitMemo  map[implicitKey]*implicitMatch
	implicitSteps int
}

// Target is an explicit target, or a file mentioned as a prerequisite.
type Target struct {
	Name        string
	IsTarget    bool // named before a colon, not only as a prerequisite
	Phony       bool
	PhonyPos    token.Pos // the .PHONY line naming it
	DoubleColon bool
	Pos         token.Pos // the first rule line naming it as a target
	Rules       []*RuleEntry
	Vars        []*TargetVar
}

// RuleEntry is one rule for a target: its prerequisites and recipe.
type RuleEntry struct {
	Pos       token.Pos
	Prereqs   []string
	OrderOnly []string
	Recipe    []*RecipeLine
	Stem      string // for a static pattern rule
	// deps is Prereqs and OrderOnly together in the order make
	// considers them (they interleave when rules merge).
	deps []dep
}

// RecipeLine is one unexpanded recipe line.
type RecipeLine struct {
	Pos  token.Pos
	Text string
}

// PatternRule is an implicit rule: "%.o: %.c", or "%:" (match-anything).
type PatternRule struct {
	Pos       token.Pos
	Targets   []string
	Prereqs   []string
	OrderOnly []string
	Recipe    []*RecipeLine
	Terminal  bool // "::"
	Vars      []*TargetVar
}

// PatternVar is a pattern-specific assignment ("%-image: X = v"): it
// applies to every target the pattern matches, before the target's own.
type PatternVar struct {
	Pattern string
	TargetVar
}

// TargetVar is a target- or pattern-specific assignment ("t: X = v").
type TargetVar struct {
	Name     string
	Op       Op
	Value    string // expanded when Op is := (simple) or Expanded, raw otherwise
	Expanded bool   // a += whose value make expanded when it read it
	Defines  bool   // an explicit target's ?= that found nothing when read
	Override bool
	Pos      token.Pos
}

// Read reads the makefile name in cfg.FS and everything it includes, and
// evaluates it as GNU make would with cfg's environment. Problems in the
// makefile are recorded in the Database, never returned; the error is only
// for a cancelled ctx or a makefile that cannot be opened.
func Read(ctx context.Context, cfg Config, name string) (*Database, error) {
	return read(ctx, cfg, name, token.NewFileSet(), map[string]*parsed{}, nil)
}

type parsed struct {
	file   *File
	err    error
	src    []byte
	prefix byte
}

func read(ctx context.Context, cfg Config, name string, fset *token.FileSet, cache map[string]*parsed, funcs map[string]function) (*Database, error) {
	return readWith(ctx, cfg, name, fset, cache, funcs, nil)
}

// readWith is read with command-line variables: every reference to one of
// them yields its value, whatever the makefiles assign.
func readWith(ctx context.Context, cfg Config, name string, fset *token.FileSet, cache map[string]*parsed, funcs map[string]function, cmdline map[string]string) (*Database, error) {
	e := newEvaluator(ctx, cfg, fset, cache)
	e.functions = funcs
	e.cmdline = cmdline
	src, err := e.readFile(name)
	if err != nil {
		return nil, err
	}
	e.evalFile(name, src, 0)
	e.flushRule()
	e.missingIncludes()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e.db.ExportAll = e.db.ExportAll || e.exportAllTarget
	e.db.Errors.Sort()
	return e.db, nil
}

// Evaluator state for one reading of the makefiles.
type evaluator struct {
	ctx   context.Context
	cfg   Config
	db    *Database
	cache map[string]*parsed

	prefix          byte
	cur             []*ruleTarget // targets of the rule whose recipe is being read
	curPat          *PatternRule
	scopes          []map[string]*Var
	cmdline         map[string]string // command-line variables (for recipe probing)
	steps           int
	depth           int
	stopped         bool // a limit was hit: stop expanding
	taint           bool // the current expansion reached a disabled feature
	condDeps        int  // nesting of conditionals whose test was shell-dependent
	inCond          int
	incStack        []string
	evalPos         token.Position // position of the statement being evaluated
	evals           int
	noEval          bool // $(eval ...) has no effect (recipe probing)
	rulePos         token.Pos
	functions       map[string]function
	quiet           bool // do not record errors (recipe probing)
	inRecipe        bool // expanding as for a recipe: private globals are hidden
	exportAllTarget bool
	noTargets       bool // the last rule line had no targets
	storedBytes     int
	written         int
	bytesRead       int // from the FS, in this reading: see maxBytesRead
	evalDepth       int // nesting of $(eval ...) being read
	hardMissing     []missingInclude
}

type ruleTarget struct {
	t     *Target
	entry *RuleEntry
	fresh bool      // the next recipe line replaces the entry's recipe
	pos   token.Pos // the rule line, which becomes the entry's position then
	// this is the rule line's own prerequisites, merged at the end of
	// entry's: make moves them to the front once the line has a recipe.
	this []dep
}

func newEvaluator(ctx context.Context, cfg Config, fset *token.FileSet, cache map[string]*parsed) *evaluator {
	if cfg.MaxIncludeDepth <= 0 {
		cfg.MaxIncludeDepth = DefaultMaxIncludeDepth
	}
	if cfg.MaxValueBytes <= 0 {
		cfg.MaxValueBytes = DefaultMaxValueBytes
	}
	if cfg.MaxSteps <= 0 {
		cfg.MaxSteps = DefaultMaxSteps
	}
	e := &evaluator{ctx: ctx, cfg: cfg, cache: cache, prefix: '\t',
		db: &Database{Fset: fset, Vars: map[string]*Var{}, Targets: map[string]*Target{}, srcs: map[string][]byte{}}}
	e.db.ev = e
	for k, v := range cfg.Env {
		e.db.Vars[k] = &Var{Name: k, Flavor: Recursive, Value: v, Origin: OriginEnvironment}
	}
	def := func(n, v string) { e.db.Vars[n] = &Var{Name: n, Flavor: Recursive, Value: v, Origin: OriginDefault} }
	def("MAKE", "make")
	def("SHELL", "/bin/sh")
	def(".SHELLFLAGS", "-c")
	def("RM", "rm -f")
	def("CC", "cc")
	def("CXX", "g++")
	def("MAKE_VERSION", "4.3")
	def(".RECIPEPREFIX", "")
	e.db.Vars["MAKEFILE_LIST"] = &Var{Name: "MAKEFILE_LIST", Flavor: Simple, Origin: OriginFile}
	curdir := &Var{Name: "CURDIR", Flavor: Simple, Value: cfg.Dir, Origin: OriginFile, ShellDependent: cfg.Dir == ""}
	e.db.Vars["CURDIR"] = curdir
	return e
}

func (e *evaluator) position(p token.Pos) token.Position { return e.db.position(p) }

// position resolves p as findings show it: text from $(eval ...) has no
// line of its own, so its positions are those of the $(eval ...) call.
func (db *Database) position(p token.Pos) token.Position {
	pos := db.Fset.Position(p)
	if site, ok := db.evalSites[pos.Filename]; ok {
		return site
	}
	return pos
}

// isEval reports whether p lies in text from $(eval ...).
func (db *Database) isEval(p token.Pos) bool {
	_, ok := db.evalSites[db.Fset.Position(p).Filename]
	return ok
}

func (e *evaluator) errorAt(p token.Position, format string, args ...any) {
	if e.quiet {
		return
	}
	e.db.Errors = append(e.db.Errors, &Error{Pos: p, Msg: fmt.Sprintf(format, args...), inEval: e.evalDepth > 0})
}

func (e *evaluator) warnAt(p token.Position, format string, args ...any) {
	if e.quiet {
		return
	}
	e.db.Warnings.Add(p, fmt.Sprintf(format, args...))
}

// step counts work and stops the evaluation when the budget is spent or
// ctx is cancelled.
func (e *evaluator) step(n int) bool {
	if e.stopped {
		return false
	}
	e.steps += n
	if e.steps > e.cfg.MaxSteps {
		e.stop(fmt.Sprintf("%v: more than %d steps", ErrBudget, e.cfg.MaxSteps))
		return false
	}
	if e.steps&1023 < n && e.ctx.Err() != nil {
		e.stopped = true
		return false
	}
	return true
}

func (e *evaluator) stop(msg string) {
	if !e.stopped {
		e.stopped = true
		if msg == "" {
			return
		}
		e.db.Errors.addLimit(e.evalPos, msg)
	}
}

// readFile reads name from the FS, refusing what is outside it or too big.
func (e *evaluator) readFile(name string) ([]byte, error) {
	if p, ok := e.cache[name]; ok {
		return p.src, nil // read already in this analysis
	}
	if e.cfg.FS == nil {
		return nil, fs.ErrNotExist
	}
	// Stat before opening: opening a named pipe blocks until something
	// writes to it, and a device may never end.
	if st, err := fs.Stat(e.cfg.FS, name); err != nil {
		return nil, err
	} else if !st.Mode().IsRegular() && !st.IsDir() {
		return nil, fmt.Errorf("%s: %w", name, ErrNotRegular)
	}
	f, err := e.cfg.FS.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a directory", name)
	}
	var buf bytes.Buffer
	if n := st.Size(); n > 0 && n <= MaxFileSize {
		buf.Grow(int(n) + bytes.MinRead)
	}
	_, err = buf.ReadFrom(io.LimitReader(f, MaxFileSize+1))
	// Every byte read counts, also those of a file refused as too big
	// (it is not cached, so each include of it reads it again): without
	// a total, 1,000 includes of 4 MiB files would read 4 GiB.
	if e.bytesRead += buf.Len(); e.bytesRead > maxBytesRead {
		e.stop(fmt.Sprintf("%v: makefiles read hold more than %d MiB", ErrBudget, maxBytesRead>>20))
		return nil, ErrBudget
	}
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// fsName maps a file name as make would see it (relative to its working
// directory, or absolute) to a name in the FS; ok is false for names
// outside it.
func (e *evaluator) fsName(name string) (string, bool) {
	if strings.HasPrefix(name, "/") {
		if e.cfg.Dir == "" {
			return "", false
		}
		rel := strings.TrimPrefix(name, strings.TrimSuffix(e.cfg.Dir, "/")+"/")
		if rel == name {
			return "", false
		}
		name = rel
	}
	name = path.Clean(name)
	if name == ".." || strings.HasPrefix(name, "../") || !fs.ValidPath(name) {
		return "", false
	}
	return name, true
}

func (e *evaluator) evalFile(name string, src []byte, depth int) {
	p, ok := e.cache[name]
	if !ok || p.prefix != e.prefix {
		f, err := ParseFile(e.db.Fset, name, src, RecipePrefix(e.prefix))
		p = &parsed{file: f, err: err, src: src, prefix: e.prefix}
		e.cache[name] = p
	}
	if len(e.db.Files) >= maxFilesRead {
		e.stop(fmt.Sprintf("%v: more than %d makefiles read", ErrBudget, maxFilesRead))
		return
	}
	e.db.Files = append(e.db.Files, name)
	e.db.srcs[name] = p.src
	if ml := e.db.Vars["MAKEFILE_LIST"]; ml != nil {
		ml.Value = strings.TrimLeft(ml.Value+" "+name, " ")
	}
	var el ErrorList
	if errors.As(p.err, &el) {
		e.db.Errors = append(e.db.Errors, el...)
	}
	e.db.Warnings = append(e.db.Warnings, p.file.Warnings...)
	e.incStack = append(e.incStack, name)
	e.stmts(p.file.Stmts)
	e.flushRule()
	e.incStack = e.incStack[:len(e.incStack)-1]
}

func (e *evaluator) stmts(list []Stmt) {
	for _, s := range list {
		if !e.step(1) {
			return
		}
		e.stmt(s)
	}
}

func (e *evaluator) stmt(s Stmt) {
	e.evalPos = e.position(s.Pos())
	switch s := s.(type) {
	case *Recipe:
		e.recipe(s)
	case *Assign:
		e.flushRule()
		e.assign(s)
	case *RuleLine:
		after := e.cur != nil || e.curPat != nil
		e.flushRule()
		e.rule(s, after)
	case *Include:
		e.flushRule()
		e.include(s)
	case *Export:
		e.flushRule()
		e.exportDirective(s)
	case *Undefine:
		e.flushRule()
		name := strings.TrimSpace(e.expand(s.Name))
		if v := e.db.Vars[name]; v != nil && (v.Origin != OriginOverride || s.Override) {
			delete(e.db.Vars, name)
		}
	case *Directive:
		e.flushRule()
		if s.Name != "vpath" {
			// load runs code from a shared object; contractbot never does.
			e.db.ShellCalls = append(e.db.ShellCalls, e.evalPos)
			e.warnAt(e.evalPos, "%s directive not evaluated: contractbot never loads code", s.Name)
		}
	case *Cond:
		e.cond(s)
	}
}

// flushRule ends the current rule: later recipe lines belong to no rule.
func (e *evaluator) flushRule() {
	e.cur = nil
	e.curPat = nil
}

func (e *evaluator) recipe(s *Recipe) {
	if e.noTargets {
		return // make ignores the recipe of a rule with no targets
	}
	if e.cur == nil && e.curPat == nil {
		// No rule was read before this line (it was skipped, or ended):
		// make reads it as an ordinary line.
		if s.Alt != nil {
			e.stmt(s.Alt)
		}
		return
	}
	rl := &RecipeLine{Pos: s.Prefix, Text: s.Text}
	if e.curPat != nil {
		e.curPat.Recipe = append(e.curPat.Recipe, rl)
		return
	}
	for _, rt := range e.cur {
		e.addRecipeLine(rt, rl)
	}
}

// lookup finds a variable, innermost scope first (foreach and call
// bindings, target-specific variables), then globally.
func (e *evaluator) lookup(name string) *Var {
	for i := len(e.scopes) - 1; i >= 0; i-- {
		if v, ok := e.scopes[i][name]; ok {
			return v
		}
	}
	v := e.db.Vars[name]
	if v != nil && v.Private && e.inRecipe {
		return nil
	}
	return v
}

func (e *evaluator) assign(s *Assign) {
	name := strings.TrimSpace(e.expand(s.Name))
	if name == "" {
		e.errorAt(e.evalPos, "empty variable name")
		return
	}
	site := Site{Stmt: s, Pos: e.evalPos, Eval: e.evalDepth > 0, Cond: e.inCond > 0}
	v, changed := e.setVar(e.db.Vars, name, s.Op, s.Value, s.Override, site)
	if v == nil {
		return
	}
	if s.Export {
		t := true
		v.Export = &t
	}
	// "private" sticks: make keeps the flag when a later assignment
	// without it sets the variable again, and an append to an undefined
	// variable defines it with its modifiers. Like "export", make sets it
	// on whatever variable the line names even when the assignment itself
	// has no effect ("private V ?= x" on a defined V, or on an override
	// or command-line V): read.c marks the variable that
	// try_variable_definition returns (all found by FuzzAgainstGNUMake).
	if s.Private {
		v.Private = true
	}
	if changed && name == ".RECIPEPREFIX" {
		val := e.expand(v.Value)
		if val == "" {
			e.prefix = '\t'
		} else {
			e.prefix = val[0]
		}
	}
}

// setVar applies "name op value" to set and returns the variable and
// whether the assignment took effect.
func (e *evaluator) setVar(set map[string]*Var, name string, op Op, value string, override bool, site Site) (*Var, bool) {
	old := set[name]
	origin := OriginFile
	if override {
		origin = OriginOverride
	}
	if old != nil && !override && (old.Origin == OriginOverride || old.Origin == OriginCommandLine) {
		// make computes the new value before define_variable_in_set
		// refuses it (variable.c do_variable_definition), so what it
		// expands at once is expanded all the same: a self-reference or
		// an $(error) there still stops make (found by FuzzAgainstGNUMake).
		switch {
		case op == OpSimple || op == OpPOSIXSimple || op == OpImmediate:
			e.expandT(value)
		case op == OpShell:
			e.expandT(value)
			e.db.ShellCalls = append(e.db.ShellCalls, site.Pos)
		case op == OpAppend && old.Flavor == Simple:
			e.expandT(value)
		}
		return old, false
	}
	shellDep := e.condDeps > 0
	switch op {
	case OpConditional:
		if old != nil {
			return old, false
		}
		v := &Var{Name: name, Flavor: Recursive, Value: value, Origin: origin, ShellDependent: shellDep}
		v.Sites = []Site{site}
		e.account(len(value))
		set[name] = v
		return v, true
	case OpAppend:
		if old == nil {
			v := &Var{Name: name, Flavor: Recursive, Value: value, Origin: origin, ShellDependent: shellDep, Sites: []Site{site}}
			set[name] = v
			return v, true
		}
		// As in make, an empty addition (after expansion, for a simple
		// variable) changes nothing, not even the origin.
		//
		// joinSpace copies the whole value: a step per KiB copied keeps
		// a file of 600,000 "V += x" lines from copying hundreds of GB.
		if !e.step(len(old.Value) >> 10) {
			return old, false
		}
		if old.Flavor == Simple {
			val, t := e.expandT(value)
			if val == "" {
				return old, false
			}
			e.account(len(val) + 1)
			old.Value = joinSpace(old.Value, val)
			old.ShellDependent = old.ShellDependent || t || shellDep
		} else {
			if value == "" {
				return old, false
			}
			e.account(len(value) + 1)
			old.Value = joinSpace(old.Value, value)
			old.ShellDependent = old.ShellDependent || shellDep
		}
		if old.Origin != OriginOverride {
			old.Origin = origin
		}
		old.Sites = append(old.Sites, site)
		return old, true
	}
	v := &Var{Name: name, Origin: origin, ShellDependent: shellDep, Sites: []Site{site}}
	if old != nil {
		v.Export, v.Private = old.Export, old.Private
	}
	switch op {
	case OpSimple, OpPOSIXSimple:
		val, t := e.expandT(value)
		v.Flavor, v.Value, v.ShellDependent = Simple, val, v.ShellDependent || t
	case OpImmediate:
		val, t := e.expandT(value)
		v.Flavor, v.Value, v.ShellDependent = Recursive, strings.ReplaceAll(val, "$", "$$"), v.ShellDependent || t
	case OpShell:
		// The command is expanded (its own $(shell) calls are just as
		// disabled) but never run: the value is unknown.
		e.expandT(value)
		e.db.ShellCalls = append(e.db.ShellCalls, site.Pos)
		v.Flavor, v.Value, v.ShellDependent = Recursive, "", true
	default:
		v.Flavor, v.Value = Recursive, value
	}
	e.account(len(v.Value))
	set[name] = v
	return v, true
}

// account charges bytes kept in variables against the budget: expansions
// are bounded one by one, and this bounds what they leave behind.
func (e *evaluator) account(n int) {
	e.storedBytes += n
	if e.storedBytes > maxStoredBytes {
		e.stop(fmt.Sprintf("%v: variables hold more than %d MiB", ErrBudget, maxStoredBytes>>20))
	}
}

func joinSpace(a, b string) string {
	if a == "" {
		return b
	}
	return a + " " + b
}

func (e *evaluator) exportDirective(s *Export) {
	// "export NAME = value" is an assignment; here only names remain.
	names := fields(e.expand(s.Names))
	if len(names) == 0 {
		e.db.ExportAll = !s.Unexport
		return
	}
	for _, n := range names {
		v := e.db.Vars[n]
		if v == nil {
			// make defines the variable, empty, to carry the flag.
			v = &Var{Name: n, Flavor: Simple, Origin: OriginFile, Sites: nil}
			e.db.Vars[n] = v
		}
		b := !s.Unexport
		v.Export = &b
	}
}

func (e *evaluator) include(s *Include) {
	names, t := e.expandT(s.Names)
	if t {
		e.warnAt(e.evalPos, "include names depend on $(shell ...); not followed")
	}
	for _, n := range fields(names) {
		var list []string
		if hasGlobMeta(n) {
			list = e.glob(n)
			if len(list) == 0 {
				list = []string{n}
			}
		} else {
			list = []string{n}
		}
		for _, n := range list {
			e.includeOne(s, n)
			if e.stopped {
				return
			}
		}
	}
}

func (e *evaluator) includeOne(s *Include, name string) {
	fn, ok := e.fsName(name)
	missing := func() {
		if !s.Optional {
			e.hardMissing = append(e.hardMissing, missingInclude{name: name, inTree: ok, pos: e.evalPos})
		}
		for _, m := range e.db.MissingIncludes {
			if m == name {
				return
			}
		}
		e.db.MissingIncludes = append(e.db.MissingIncludes, name)
	}
	if !ok {
		missing()
		return
	}
	if len(e.incStack) > e.cfg.MaxIncludeDepth {
		e.db.Errors.addLimit(e.evalPos, fmt.Sprintf("include of %s nested more than %d deep (an include cycle?)", name, e.cfg.MaxIncludeDepth))
		return
	}
	src, err := e.readFile(fn)
	if errors.Is(err, ErrBudget) {
		return
	}
	if errors.Is(err, ErrNotRegular) {
		e.errorAt(e.evalPos, "%s: %v", name, ErrNotRegular)
		return
	}
	if err != nil {
		missing()
		return
	}
	if len(src) > MaxFileSize {
		e.db.Errors.addLimit(e.evalPos, fmt.Sprintf("%s is larger than %d MiB; not read", name, MaxFileSize>>20))
		return
	}
	e.evalFile(fn, src, len(e.incStack))
}

// missingInclude is an include (not -include) of a file that could not be
// read; inTree is false for a name outside the FS.
type missingInclude struct {
	name   string
	inTree bool
	pos    token.Position
}

// missingIncludes decides, after reading, what make does about each
// include of a missing file: it looks for a rule to make the file (which
// may come later in the makefiles) and stops when there is none. A file
// outside the tree may exist where make runs, and one with a rule is made
// by running a recipe; neither can be known here.
func (e *evaluator) missingIncludes() {
	seen := map[string]bool{}
	for _, m := range e.hardMissing {
		if seen[m.name] {
			continue
		}
		seen[m.name] = true
		switch how, _, _ := e.db.how(m.name); {
		case !m.inTree:
			e.warnAt(m.pos, "%s: not read: include names a file outside the repository", m.name)
		case how != HowNone:
			e.warnAt(m.pos, "%s: not read: make would first make it with its rule, then read it", m.name)
		default:
			e.errorAt(m.pos, "%s: No such file or directory", m.name)
		}
	}
}

func (e *evaluator) cond(c *Cond) {
	e.inCond++
	defer func() { e.inCond-- }()
	for _, b := range c.Branches {
		take, tainted, ok := true, false, true
		if b.Kind != "" {
			e.evalPos = e.position(b.Keyword)
			take, tainted, ok = e.test(b.Kind, b.Arg)
			if !ok {
				e.errorAt(e.evalPos, "invalid syntax in conditional")
				return
			}
		}
		if take {
			if tainted {
				e.condDeps++
			}
			e.stmts(b.Body)
			if tainted {
				e.condDeps--
			}
			return
		}
	}
}

// test evaluates a conditional's test. ok is false for a syntax error.
func (e *evaluator) test(kind, arg string) (take, tainted, ok bool) {
	switch kind {
	case "ifdef", "ifndef":
		name, t := e.expandT(arg)
		name = strings.TrimSpace(name)
		if name == "" || strings.ContainsAny(name, " \t") {
			return false, t, false
		}
		v := e.lookup(name)
		def := v != nil && v.Value != ""
		if v != nil && v.ShellDependent {
			t = true
		}
		return def == (kind == "ifdef"), t, true
	}
	s1, s2, ok := splitCondArgs(arg)
	if !ok {
		return false, false, false
	}
	a, t1 := e.expandT(s1)
	b, t2 := e.expandT(s2)
	return (a == b) == (kind == "ifeq"), t1 || t2, true
}

// splitCondArgs splits the argument of ifeq/ifneq: "(a,b)", "'a' 'b'",
// "\"a\" \"b\"" and mixtures of the quoted forms, as make does.
func splitCondArgs(s string) (a, b string, ok bool) {
	s = strings.TrimRight(s, " \t")
	if s == "" {
		return "", "", false
	}
	if s[0] == '(' {
		depth := 0
		i := 1
		for ; i < len(s); i++ {
			if s[i] == '(' {
				depth++
			} else if s[i] == ')' {
				depth--
			} else if s[i] == ',' && depth <= 0 {
				break
			}
		}
		if i >= len(s) {
			return "", "", false
		}
		a = strings.TrimRight(s[1:i], " \t")
		rest := s[i+1:]
		rest = strings.TrimLeft(rest, " \t")
		depth = 0
		j := 0
		for ; j < len(rest); j++ {
			if rest[j] == '(' {
				depth++
			} else if rest[j] == ')' {
				if depth <= 0 {
					break
				}
				depth--
			}
		}
		if j >= len(rest) {
			return "", "", false
		}
		b = rest[:j]
		if strings.TrimSpace(rest[j+1:]) != "" {
			return "", "", false
		}
		return a, b, true
	}
	q := s[0]
	if q != '"' && q != '\'' {
		return "", "", false
	}
	end := strings.IndexByte(s[1:], q)
	if end < 0 {
		return "", "", false
	}
	a = s[1 : 1+end]
	rest := strings.TrimLeft(s[2+end:], " \t")
	if rest == "" || (rest[0] != '"' && rest[0] != '\'') {
		return "", "", false
	}
	q = rest[0]
	end = strings.IndexByte(rest[1:], q)
	if end < 0 || strings.TrimSpace(rest[2+end:]) != "" {
		return "", "", false
	}
	return a, rest[1 : 1+end], true
}

// fields splits s at make's whitespace.
func fields(s string) []string {
	var out []string
	i := 0
	for i < len(s) {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		j := i
		for j < len(s) && !isSpace(s[j]) {
			j++
		}
		if j > i {
			out = append(out, s[i:j])
		}
		i = j
	}
	return out
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}
