package makefile

import (
	"slices"
	"strings"
)

// rule evaluates a line that is not an assignment or directive: after
// expansion it is a rule, a target-specific assignment, nothing, or an
// error ("missing separator").
func (e *evaluator) rule(r *RuleLine, afterRule bool) {
	// A probed command-line variable (see Database.References) stands for
	// a value in recipes and in variables made of it, not for names of
	// targets and prerequisites: the rule graph stays the makefile's own.
	probe := e.cmdline
	e.cmdline = nil
	defer func() { e.cmdline = probe }()
	text := r.Text
	e.rulePos = r.Start
	if afterRule && strings.HasPrefix(r.Indent, " ") {
		e.db.SpaceIndented = append(e.db.SpaceIndented, r)
	}
	if len(r.Indent) > 0 && r.Indent[0] == e.prefix {
		e.errorAt(e.evalPos, "recipe commences before first target")
		return
	}
	// Expand word by word until a colon shows up, as make does: what
	// follows the colon may be a target-specific assignment, whose value
	// must not be expanded yet.
	var buf strings.Builder
	colon := -1
	rest := ""
	i := 0
	for i < len(text) {
		for i < len(text) && isBlank(text[i]) {
			i++
		}
		if i >= len(text) {
			break
		}
		j := wordEnd(text, i)
		w := e.expand(text[i:j])
		if buf.Len() > 0 {
			buf.WriteByte(' ')
		}
		from := buf.Len()
		buf.WriteString(w)
		i = j
		if k := findColon(w); k >= 0 {
			colon = from + k
			rest = text[i:]
			break
		}
	}
	exp := buf.String()
	if colon < 0 {
		if strings.TrimSpace(exp) == "" && strings.TrimSpace(r.Recipe) == "" && !r.Semi.IsValid() {
			return // the line expands to nothing
		}
		msg := "missing separator"
		if strings.HasPrefix(r.Indent, "        ") {
			msg += " (did you mean TAB instead of 8 spaces?)"
		}
		e.errorAt(e.evalPos, "%s", msg)
		return
	}
	targetsText := exp[:colon]
	after := exp[colon+1:] + rest
	double := false
	if strings.HasPrefix(after, ":") && !strings.HasPrefix(after, ":=") {
		double = true
		after = after[1:]
	}
	targetsText = strings.TrimSuffix(strings.TrimRight(targetsText, " \t"), "&") // grouped targets
	targets := fields(targetsText)

	// Target-specific variable?
	if a := parseAssignment(strings.TrimLeft(after, " \t")); a != nil && !a.define {
		for _, t := range targets {
			tv := &TargetVar{Name: strings.TrimSpace(e.expand(a.name)), Op: a.op, Value: a.value, Override: a.override, Pos: r.Start}
			if strings.Contains(t, "%") {
				// A pattern-specific := is expanded now, in the global
				// variables (read.c record_target_var).
				if a.op == OpSimple || a.op == OpPOSIXSimple {
					e.cmdline = probe
					tv.Value = e.expand(a.value)
					e.cmdline = nil
				}
				e.db.PatternVars = append(e.db.PatternVars, &PatternVar{Pattern: t, TargetVar: *tv})
				continue
			}
			// A target-specific assignment alone is no rule: make still
			// answers "No rule to make target".
			tg := e.mention(t)
			if a.op == OpConditional {
				tv.Defines = e.conditionalTargetVar(tg, tv.Name, a.export, a.private)
			}
			e.expandTargetVar(tg, tv, probe)
			tg.Vars = append(tg.Vars, tv)
		}
		return
	}
	prereqText := e.expand(after)
	var tpat, ppat string
	static := false
	if k := findColon(prereqText); k >= 0 {
		static = true
		tpat = strings.TrimSpace(prereqText[:k])
		ppat = prereqText[k+1:]
	} else {
		ppat = prereqText
	}
	normal, orderOnly := splitOrderOnly(ppat)
	// Several targets share these slices; clipped, a later append to one
	// target's prerequisites cannot write into another's.
	normal, orderOnly = slices.Clip(normal), slices.Clip(orderOnly)
	if len(targets) == 0 {
		e.noTargets = true // its recipe lines are ignored
		return
	}
	e.noTargets = false
	recipe := func() []*RecipeLine {
		if r.Semi.IsValid() {
			return []*RecipeLine{{Pos: r.Semi, Text: r.Recipe}}
		}
		return nil
	}
	if static {
		for _, t := range targets {
			stem, ok := matchPattern(tpat, t)
			entry := &RuleEntry{Pos: r.Start, Recipe: recipe(), Stem: stem}
			if !ok {
				e.warnAt(e.evalPos, "target '%s' doesn't match the target pattern", t)
			} else {
				entry.Prereqs = substStem(normal, stem)
				entry.OrderOnly = substStem(orderOnly, stem)
			}
			e.addRule(t, entry, double)
		}
		return
	}
	npat := 0
	for _, t := range targets {
		if strings.Contains(t, "%") {
			npat++
		}
	}
	if npat > 0 && npat != len(targets) {
		// make 4.3 warns and reads every target as an explicit one.
		e.warnAt(e.evalPos, "mixed implicit and normal rules: deprecated syntax")
		npat = 0
	}
	if npat > 0 {
		pr := &PatternRule{Pos: r.Start, Targets: targets, Prereqs: normal, OrderOnly: orderOnly, Recipe: recipe(), Terminal: double}
		e.curPat = pr
		e.db.Patterns = append(e.db.Patterns, pr)
		return
	}
	for _, t := range targets {
		switch t {
		case ".PHONY":
			for _, p := range append(append([]string(nil), normal...), orderOnly...) {
				tg := e.mention(p)
				tg.Phony = true
				if !tg.PhonyPos.IsValid() {
					tg.PhonyPos = r.Start
				}
			}
		case ".EXPORT_ALL_VARIABLES":
			// make applies this special target after reading everything,
			// so a later bare "unexport" does not cancel it.
			e.exportAllTarget = true
		}
		if e.db.DefaultGoal == "" && (!strings.HasPrefix(t, ".") || strings.Contains(t, "/")) {
			e.db.DefaultGoal = t
			if v := e.db.Vars[".DEFAULT_GOAL"]; v == nil || v.Value == "" {
				e.db.Vars[".DEFAULT_GOAL"] = &Var{Name: ".DEFAULT_GOAL", Flavor: Simple, Value: t, Origin: OriginFile}
			}
		}
		e.addRule(t, &RuleEntry{Pos: r.Start, Prereqs: normal, OrderOnly: orderOnly, Recipe: recipe()}, double)
	}
}

// addRule records one rule line's entry for target name; recipe lines that
// follow are appended to it.
func (e *evaluator) addRule(name string, entry *RuleEntry, double bool) {
	t := e.target(name)
	for _, p := range entry.Prereqs {
		e.mention(p)
		entry.deps = append(entry.deps, dep{name: p})
	}
	for _, p := range entry.OrderOnly {
		e.mention(p)
		entry.deps = append(entry.deps, dep{name: p, orderOnly: true})
	}
	if double {
		if len(t.Rules) > 0 && !t.DoubleColon {
			e.errorAt(e.evalPos, "target file '%s' has both : and :: entries", name)
			return
		}
		t.DoubleColon = true
		t.Rules = append(t.Rules, entry)
		e.cur = append(e.cur, &ruleTarget{t: t, entry: entry})
		return
	}
	if t.DoubleColon {
		e.errorAt(e.evalPos, "target file '%s' has both : and :: entries", name)
		return
	}
	if len(t.Rules) == 0 {
		t.Rules = []*RuleEntry{entry}
		e.cur = append(e.cur, &ruleTarget{t: t, entry: entry})
		return
	}
	main := t.Rules[0]
	main.Prereqs = append(main.Prereqs, entry.Prereqs...)
	main.OrderOnly = append(main.OrderOnly, entry.OrderOnly...)
	main.deps = append(main.deps, entry.deps...)
	if entry.Stem != "" {
		main.Stem = entry.Stem
	}
	// A later recipe replaces an earlier one (make warns "overriding
	// recipe"): the first recipe line of this rule line starts afresh.
	rt := &ruleTarget{t: t, entry: main, fresh: true, pos: entry.Pos, this: entry.deps}
	for _, rl := range entry.Recipe {
		e.addRecipeLine(rt, rl)
	}
	e.cur = append(e.cur, rt)
}

func (e *evaluator) addRecipeLine(rt *ruleTarget, rl *RecipeLine) {
	if rt.fresh {
		rt.fresh = false
		if len(rt.entry.Recipe) > 0 {
			e.warnAt(e.evalPos, "overriding recipe for target '%s'", rt.t.Name)
		}
		rt.entry.Recipe = nil
		rt.entry.Pos = rt.pos
		rt.entry.frontDeps(rt.this)
	}
	rt.entry.Recipe = append(rt.entry.Recipe, rl)
}

// frontDeps moves this, the last of r's prerequisites, to the front: make
// puts the prerequisites of a rule line with a recipe before those of the
// target's other rule lines (read.c record_files), and considers them in
// that order, so a target both need inherits the variables of the one
// with the recipe (found by FuzzAgainstGNUMake).
func (r *RuleEntry) frontDeps(this []dep) {
	n := len(this)
	if n == 0 || n == len(r.deps) {
		return
	}
	r.deps = append(slices.Clone(this), r.deps[:len(r.deps)-n]...)
	r.Prereqs, r.OrderOnly = r.Prereqs[:0:0], r.OrderOnly[:0:0]
	for _, d := range r.deps {
		if d.orderOnly {
			r.OrderOnly = append(r.OrderOnly, d.name)
		} else {
			r.Prereqs = append(r.Prereqs, d.name)
		}
	}
}

func (e *evaluator) target(name string) *Target {
	t := e.mention(name)
	if !t.IsTarget {
		t.IsTarget = true
		t.Pos = e.rulePos
	}
	return t
}

// expandTargetVar expands what make expands of an explicit target's
// assignment while reading it: a := value, and a += value appended to a
// simple variable the target itself set before. make does so in the
// target's own variable set over the global one (read.c record_target_var,
// variable.c do_variable_definition with target_var), so the target's
// earlier assignments are seen, and one referring to itself stops make.
// probe is the probed command-line variable, as in rule.
func (e *evaluator) expandTargetVar(tg *Target, tv *TargetVar, probe map[string]string) {
	switch tv.Op {
	case OpSimple, OpPOSIXSimple:
	case OpAppend:
		// Appending to an append-type variable of the target, or to a
		// variable the target does not set, is resolved when used.
		if own, appendType := ownTargetVar(tg.Vars, tv.Name); !own || appendType {
			return
		}
	default:
		return
	}
	scope, set := map[string]*Var{}, map[string]bool{}
	for _, prev := range tg.Vars {
		e.db.applyTargetVar(scope, prev, false, set)
	}
	if tv.Op == OpAppend {
		if v := scope[tv.Name]; v == nil || v.Flavor != Simple {
			return
		}
		tv.Expanded = true
	}
	// The global variables are the target's parent there: private ones
	// are not seen, as in a recipe.
	inRecipe := e.inRecipe
	e.scopes = append(e.scopes, scope)
	e.cmdline, e.inRecipe = probe, true
	tv.Value = e.expand(tv.Value)
	e.cmdline, e.inRecipe = nil, inRecipe
	e.scopes = e.scopes[:len(e.scopes)-1]
}

// conditionalTargetVar does to the global variables what make does when
// it reads "t: [export] [private] NAME ?= v": the ?= looks NAME up from
// t (its own variables, then the global ones but a private one), and
// when it finds a global variable it leaves its value alone but gives
// it the line's flags (read.c record_target_var sets per_target,
// private_var and export on whatever variable try_variable_definition
// returns). So "t: V ?= x" takes an exported V out of every recipe's
// environment (found by FuzzAgainstGNUMake). It returns whether the ?=
// defines the variable for t: that is decided here, once, whatever t
// inherits from the targets that need it when it is built.
func (e *evaluator) conditionalTargetVar(tg *Target, name string, export, private bool) (defines bool) {
	if own, _ := ownTargetVar(tg.Vars, name); own {
		return false
	}
	g := e.db.Vars[name]
	if g == nil || g.Private {
		return true
	}
	g.Export = nil
	if export {
		t := true
		g.Export = &t
	}
	g.Private = private
	return false
}

// ownTargetVar says whether the target-specific assignments vars set name
// and whether that variable is still append-type: first set with +=, and
// not set again with = or := since (make then appends it to the value
// outside the target when it is used).
func ownTargetVar(vars []*TargetVar, name string) (own, appendType bool) {
	for _, tv := range vars {
		if tv.Name != name {
			continue
		}
		switch {
		case !own:
			own, appendType = true, tv.Op == OpAppend
		case tv.Op != OpAppend && tv.Op != OpConditional:
			appendType = false
		}
	}
	return own, appendType
}

func (e *evaluator) mention(name string) *Target {
	t := e.db.Targets[name]
	if t == nil {
		t = &Target{Name: name}
		e.db.Targets[name] = t
	}
	return t
}

// splitOrderOnly splits prerequisites at "|".
func splitOrderOnly(s string) (normal, orderOnly []string) {
	k := strings.IndexByte(s, '|')
	if k < 0 {
		return fields(s), nil
	}
	return fields(s[:k]), fields(s[k+1:])
}

// wordEnd returns the end of the word starting at s[i]: the next blank
// outside variable references.
func wordEnd(s string, i int) int {
	depth := 0
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '$' && i+1 < len(s) && (s[i+1] == '(' || s[i+1] == '{'):
			depth++
			i++
		case depth > 0 && (c == '(' || c == '{'):
			depth++
		case depth > 0 && (c == ')' || c == '}'):
			depth--
		case depth == 0 && isBlank(c):
			return i
		}
	}
	return i
}

// findColon returns the first colon not escaped by a backslash, or -1.
func findColon(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == ':' {
			return i
		}
	}
	return -1
}

// matchPattern matches a word against a pattern with at most one '%'
// (the first unescaped one) and returns the stem.
func matchPattern(pat, word string) (string, bool) {
	pre, suf, ok := splitPercent(pat)
	if !ok {
		return "", pre == word
	}
	if len(word) < len(pre)+len(suf) || !strings.HasPrefix(word, pre) || !strings.HasSuffix(word, suf) {
		return "", false
	}
	return word[len(pre) : len(word)-len(suf)], true
}

func substStem(pats []string, stem string) []string {
	out := make([]string, 0, len(pats))
	for _, p := range pats {
		out = append(out, strings.Replace(p, "%", stem, 1))
	}
	return out
}

// splitPercent splits a pattern at its first unescaped '%', as make's
// find_percent does: backslashes right before a '%' are halved, and an odd
// number of them makes that '%' literal. Without an active '%', pre is the
// unescaped pattern and ok is false.
func splitPercent(p string) (pre, suf string, ok bool) {
	if !strings.Contains(p, "\\") {
		if k := strings.IndexByte(p, '%'); k >= 0 {
			return p[:k], p[k+1:], true
		}
		return p, "", false
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			j := i
			for j < len(p) && p[j] == '\\' {
				j++
			}
			if j < len(p) && p[j] == '%' {
				n := j - i
				b.WriteString(strings.Repeat("\\", n/2))
				if n%2 == 1 {
					b.WriteByte('%')
					i = j
					continue
				}
				return b.String(), p[j+1:], true
			}
			b.WriteString(p[i:j])
			i = j - 1
		case '%':
			return b.String(), p[i+1:], true
		default:
			b.WriteByte(p[i])
		}
	}
	return b.String(), "", false
}
