package makefile

import (
	"fmt"
	"go/token"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// expandT expands s and reports whether the result depends on a disabled
// feature ($(shell ...), an unknown directory, ...).
func (e *evaluator) expandT(s string) (string, bool) {
	saved := e.taint
	e.taint = false
	r := e.expand(s)
	t := e.taint
	e.taint = saved || t
	return r, t
}

// expand expands variable references and function calls in s.
func (e *evaluator) expand(s string) string {
	if strings.IndexByte(s, '$') < 0 {
		return s
	}
	var b strings.Builder
	e.expandTo(&b, s)
	return b.String()
}

func (e *evaluator) expandTo(b *strings.Builder, s string) {
	e.depth++
	defer func() { e.depth-- }()
	if e.depth > maxExpandDepth {
		e.stop(fmt.Sprintf("%v: expansion nested more than %d deep", ErrBudget, maxExpandDepth))
		return
	}
	for i := 0; i < len(s); {
		if !e.step(1) {
			return
		}
		before := b.Len()
		j := strings.IndexByte(s[i:], '$')
		if j < 0 {
			b.WriteString(s[i:])
			break
		}
		b.WriteString(s[i : i+j])
		i += j + 1
		if i >= len(s) {
			break
		}
		switch c := s[i]; c {
		case '$':
			b.WriteByte('$')
			i++
		case '(', '{':
			cl := byte(')')
			if c == '{' {
				cl = '}'
			}
			end := matchClose(s, i+1, c, cl)
			if end < 0 {
				e.errorAt(e.evalPos, "unterminated variable reference")
				return
			}
			inner := s[i+1 : end]
			i = end + 1
			if fn, args, ok := e.splitFunc(inner, c, cl); ok {
				e.call(b, fn, args)
			} else {
				e.varRef(b, inner)
			}
		default:
			b.WriteString(e.valueOf(string(c)))
			i++
		}
		if b.Len() > e.cfg.MaxValueBytes {
			e.stop(fmt.Sprintf("%v: an expansion is larger than %d bytes", ErrBudget, e.cfg.MaxValueBytes))
			return
		}
		// Every byte written counts, at every nesting level: this bounds
		// the total work and the memory held by nested expansions.
		if e.written += b.Len() - before; e.written > maxWrittenBytes {
			e.stop(fmt.Sprintf("%v: expansions wrote more than %d MiB", ErrBudget, maxWrittenBytes>>20))
			return
		}
	}
}

// matchClose finds the close delimiter matching an open one just before
// s[i], counting only delimiters of the same kind, as make does.
func matchClose(s string, i int, open, cl byte) int {
	depth := 0
	for ; i < len(s); i++ {
		switch s[i] {
		case open:
			depth++
		case cl:
			if depth == 0 {
				return i
			}
			depth--
		}
	}
	return -1
}

// varRef expands $(name) or $(name:a=b).
func (e *evaluator) varRef(b *strings.Builder, inner string) {
	name := inner
	if strings.IndexByte(inner, '$') >= 0 {
		name = e.expand(inner)
	}
	if colon := strings.IndexByte(name, ':'); colon >= 0 {
		if eq := strings.IndexByte(name[colon+1:], '='); eq >= 0 {
			val := e.valueOf(name[:colon])
			if val == "" {
				return
			}
			pat, rep := name[colon+1:colon+1+eq], name[colon+2+eq:]
			if !strings.Contains(pat, "%") {
				pat, rep = "%"+pat, "%"+rep
			}
			b.WriteString(patsubst(pat, rep, val))
			return
		}
	}
	b.WriteString(e.valueOf(name))
}

// valueOf returns a variable's expanded value.
func (e *evaluator) valueOf(name string) string {
	// Probing recipes: the probed variable always yields its marker, even
	// over an override, since the question is whether it is referenced.
	if v, ok := e.cmdline[name]; ok {
		// Unless make hides it there: a recipe does not see a private
		// global, command-line ones included.
		if g := e.db.Vars[name]; g != nil && g.Private && e.lookup(name) == nil {
			return ""
		}
		return v
	}
	v := e.lookup(name)
	if v == nil {
		return ""
	}
	if v.ShellDependent {
		e.taint = true
	}
	if v.Flavor == Simple || strings.IndexByte(v.Value, '$') < 0 {
		return v.Value
	}
	if v.expanding {
		e.errorAt(e.evalPos, "Recursive variable '%s' references itself (eventually)", name)
		e.stop("")
		return ""
	}
	v.expanding = true
	r := e.expand(v.Value)
	v.expanding = false
	return r
}

type function struct {
	name     string
	min, max int  // argument counts; max 0 means no limit
	lazy     bool // the function expands its own arguments
	fn       func(e *evaluator, b *strings.Builder, args []string)
}

// splitFunc recognises "name args" in a reference and splits the arguments
// at top-level commas (counting only the reference's own delimiters).
func (e *evaluator) splitFunc(inner string, open, cl byte) (function, []string, bool) {
	i := 0
	for i < len(inner) && (inner[i] >= 'a' && inner[i] <= 'z' || inner[i] == '-') {
		i++
	}
	if i == 0 || i >= len(inner) || !isBlank(inner[i]) {
		return function{}, nil, false
	}
	if e.functions == nil {
		e.functions = builtinFunctions()
	}
	f, ok := e.functions[inner[:i]]
	if !ok {
		return function{}, nil, false
	}
	rest := inner[skipBlanks(inner, i):]
	var args []string
	depth := 0
	start := 0
	for j := 0; j < len(rest); j++ {
		switch rest[j] {
		case open:
			depth++
		case cl:
			depth--
		case ',':
			if depth == 0 && (f.max == 0 || len(args) < f.max-1) {
				args = append(args, rest[start:j])
				start = j + 1
			}
		}
	}
	args = append(args, rest[start:])
	f.name = inner[:i]
	return f, args, true
}

func (e *evaluator) call(b *strings.Builder, f function, args []string) {
	if len(args) < f.min {
		e.errorAt(e.evalPos, "insufficient number of arguments (%d) to function '%s'", len(args), f.name)
		return
	}
	if !f.lazy {
		for i, a := range args {
			args[i] = e.expand(a)
		}
	}
	f.fn(e, b, args)
}

// builtinFunctions returns GNU make 4.3's built-in functions. shell and
// file are recognised so that they are not read as variable names, but they
// never run: they make the expansion shell-dependent.
func builtinFunctions() map[string]function {
	words := func(f func(e *evaluator, ws []string) []string) func(e *evaluator, b *strings.Builder, a []string) {
		return func(e *evaluator, b *strings.Builder, a []string) {
			b.WriteString(strings.Join(f(e, fields(a[len(a)-1])), " "))
		}
	}
	eachWord := func(f func(w string) (string, bool)) func(e *evaluator, b *strings.Builder, a []string) {
		return words(func(_ *evaluator, ws []string) []string {
			out := ws[:0:0]
			for _, w := range ws {
				if r, ok := f(w); ok {
					out = append(out, r)
				}
			}
			return out
		})
	}
	return map[string]function{
		"subst": {min: 3, max: 3, fn: func(e *evaluator, b *strings.Builder, a []string) {
			if a[0] == "" {
				b.WriteString(a[2] + a[1])
				return
			}
			b.WriteString(strings.ReplaceAll(a[2], a[0], a[1]))
		}},
		"patsubst": {min: 3, max: 3, fn: func(e *evaluator, b *strings.Builder, a []string) {
			b.WriteString(patsubst(a[0], a[1], a[2]))
		}},
		"strip": {min: 1, max: 1, fn: func(e *evaluator, b *strings.Builder, a []string) {
			b.WriteString(strings.Join(fields(a[0]), " "))
		}},
		"findstring": {min: 2, max: 2, fn: func(e *evaluator, b *strings.Builder, a []string) {
			if strings.Contains(a[1], a[0]) {
				b.WriteString(a[0])
			}
		}},
		"filter":     {min: 2, max: 2, fn: func(e *evaluator, b *strings.Builder, a []string) { b.WriteString(filter(a[0], a[1], true)) }},
		"filter-out": {min: 2, max: 2, fn: func(e *evaluator, b *strings.Builder, a []string) { b.WriteString(filter(a[0], a[1], false)) }},
		"sort": {min: 1, max: 1, fn: words(func(_ *evaluator, ws []string) []string {
			slices.Sort(ws)
			return slices.Compact(ws)
		})},
		"word": {min: 2, max: 2, fn: func(e *evaluator, b *strings.Builder, a []string) {
			n, ok := e.number(a[0], "first argument to 'word' function")
			if !ok {
				return
			}
			if n == 0 {
				e.errorAt(e.evalPos, "first argument to 'word' function must be greater than 0")
				return
			}
			if ws := fields(a[1]); n <= len(ws) {
				b.WriteString(ws[n-1])
			}
		}},
		"wordlist": {min: 3, max: 3, fn: func(e *evaluator, b *strings.Builder, a []string) {
			s, ok1 := e.number(a[0], "first argument to 'wordlist' function")
			t, ok2 := e.number(a[1], "second argument to 'wordlist' function")
			if !ok1 || !ok2 {
				return
			}
			if s == 0 {
				e.errorAt(e.evalPos, "invalid first argument to 'wordlist' function: '0'")
				return
			}
			ws := fields(a[2])
			if s > len(ws) || t < s {
				return
			}
			b.WriteString(strings.Join(ws[s-1:min(t, len(ws))], " "))
		}},
		"words": {min: 1, max: 1, fn: func(e *evaluator, b *strings.Builder, a []string) { b.WriteString(strconv.Itoa(len(fields(a[0])))) }},
		"firstword": {min: 1, max: 1, fn: func(e *evaluator, b *strings.Builder, a []string) {
			if ws := fields(a[0]); len(ws) > 0 {
				b.WriteString(ws[0])
			}
		}},
		"lastword": {min: 1, max: 1, fn: func(e *evaluator, b *strings.Builder, a []string) {
			if ws := fields(a[0]); len(ws) > 0 {
				b.WriteString(ws[len(ws)-1])
			}
		}},
		"dir": {min: 1, max: 1, fn: eachWord(func(w string) (string, bool) {
			if k := strings.LastIndexByte(w, '/'); k >= 0 {
				return w[:k+1], true
			}
			return "./", true
		})},
		"notdir": {min: 1, max: 1, fn: eachWord(func(w string) (string, bool) {
			return w[strings.LastIndexByte(w, '/')+1:], true
		})},
		"suffix": {min: 1, max: 1, fn: eachWord(func(w string) (string, bool) {
			k := strings.LastIndexByte(w, '.')
			if k < 0 || k < strings.LastIndexByte(w, '/') {
				return "", false
			}
			return w[k:], true
		})},
		"basename": {min: 1, max: 1, fn: eachWord(func(w string) (string, bool) {
			k := strings.LastIndexByte(w, '.')
			if k < 0 || k < strings.LastIndexByte(w, '/') {
				return w, true
			}
			return w[:k], true
		})},
		"addsuffix": {min: 2, max: 2, fn: func(e *evaluator, b *strings.Builder, a []string) {
			ws := fields(a[1])
			for i := range ws {
				ws[i] += a[0]
			}
			b.WriteString(strings.Join(ws, " "))
		}},
		"addprefix": {min: 2, max: 2, fn: func(e *evaluator, b *strings.Builder, a []string) {
			ws := fields(a[1])
			for i := range ws {
				ws[i] = a[0] + ws[i]
			}
			b.WriteString(strings.Join(ws, " "))
		}},
		"join": {min: 2, max: 2, fn: func(e *evaluator, b *strings.Builder, a []string) {
			x, y := fields(a[0]), fields(a[1])
			out := make([]string, max(len(x), len(y)))
			for i := range out {
				if i < len(x) {
					out[i] = x[i]
				}
				if i < len(y) {
					out[i] += y[i]
				}
			}
			b.WriteString(strings.Join(out, " "))
		}},
		"wildcard": {min: 1, max: 1, fn: func(e *evaluator, b *strings.Builder, a []string) {
			var out []string
			for _, p := range fields(a[0]) {
				out = append(out, e.glob(p)...)
			}
			b.WriteString(strings.Join(out, " "))
		}},
		"realpath": {min: 1, max: 1, fn: func(e *evaluator, b *strings.Builder, a []string) {
			var out []string
			for _, w := range fields(a[0]) {
				n, ok := e.fsName(w)
				if !ok {
					continue
				}
				if _, err := fs.Stat(e.cfg.FS, n); err != nil {
					continue
				}
				out = append(out, e.abs(n))
			}
			b.WriteString(strings.Join(out, " "))
		}},
		"abspath": {min: 1, max: 1, fn: func(e *evaluator, b *strings.Builder, a []string) {
			var out []string
			for _, w := range fields(a[0]) {
				out = append(out, e.abs(w))
			}
			b.WriteString(strings.Join(out, " "))
		}},
		"if": {min: 2, max: 3, lazy: true, fn: func(e *evaluator, b *strings.Builder, a []string) {
			if c := strings.TrimSpace(a[0]); c != "" && e.expand(c) != "" {
				e.expandTo(b, a[1])
			} else if len(a) > 2 {
				e.expandTo(b, a[2])
			}
		}},
		"or": {min: 1, lazy: true, fn: func(e *evaluator, b *strings.Builder, a []string) {
			for _, x := range a {
				if c := strings.TrimSpace(x); c != "" {
					if r := e.expand(c); r != "" {
						b.WriteString(r)
						return
					}
				}
			}
		}},
		"and": {min: 1, lazy: true, fn: func(e *evaluator, b *strings.Builder, a []string) {
			r := ""
			for _, x := range a {
				c := strings.TrimSpace(x)
				if c == "" {
					return
				}
				if r = e.expand(c); r == "" {
					return
				}
			}
			b.WriteString(r)
		}},
		"foreach": {min: 3, max: 3, lazy: true, fn: func(e *evaluator, b *strings.Builder, a []string) {
			name := strings.TrimSpace(e.expand(a[0]))
			list := fields(e.expand(a[1]))
			scope := map[string]*Var{}
			e.scopes = append(e.scopes, scope)
			defer func() { e.scopes = e.scopes[:len(e.scopes)-1] }()
			for i, w := range list {
				if !e.step(1) {
					return
				}
				scope[name] = &Var{Name: name, Flavor: Simple, Value: w, Origin: OriginAutomatic}
				if i > 0 {
					b.WriteByte(' ')
				}
				e.expandTo(b, a[2])
			}
		}},
		"call": {min: 1, fn: func(e *evaluator, b *strings.Builder, a []string) {
			name := strings.TrimSpace(a[0])
			v := e.lookup(name)
			if v == nil {
				return
			}
			scope := map[string]*Var{}
			for i := 0; i < len(a) || i < 10; i++ {
				val := ""
				if i < len(a) {
					val = a[i]
				}
				if i == 0 {
					val = name
				}
				scope[strconv.Itoa(i)] = &Var{Name: strconv.Itoa(i), Flavor: Simple, Value: val, Origin: OriginAutomatic}
			}
			e.scopes = append(e.scopes, scope)
			defer func() { e.scopes = e.scopes[:len(e.scopes)-1] }()
			if v.ShellDependent {
				e.taint = true
			}
			if v.Flavor == Simple {
				b.WriteString(v.Value)
				return
			}
			e.expandTo(b, v.Value)
		}},
		"value": {min: 1, max: 1, fn: func(e *evaluator, b *strings.Builder, a []string) {
			if v := e.lookup(strings.TrimSpace(a[0])); v != nil {
				b.WriteString(v.Value)
			}
		}},
		"origin": {min: 1, max: 1, fn: func(e *evaluator, b *strings.Builder, a []string) {
			name := strings.TrimSpace(a[0])
			if _, ok := e.cmdline[name]; ok {
				b.WriteString(string(OriginCommandLine))
				return
			}
			if v := e.lookup(name); v != nil {
				b.WriteString(string(v.Origin))
				return
			}
			b.WriteString(string(OriginUndefined))
		}},
		"flavor": {min: 1, max: 1, fn: func(e *evaluator, b *strings.Builder, a []string) {
			if v := e.lookup(strings.TrimSpace(a[0])); v != nil {
				b.WriteString(string(v.Flavor))
				return
			}
			b.WriteString(string(Undefined))
		}},
		"eval": {min: 1, max: 1, fn: func(e *evaluator, b *strings.Builder, a []string) { e.eval(a[0]) }},
		"error": {min: 1, max: 1, fn: func(e *evaluator, b *strings.Builder, a []string) {
			e.errorAt(e.evalPos, "%s", a[0])
		}},
		"warning": {min: 1, max: 1, fn: func(e *evaluator, b *strings.Builder, a []string) {
			e.warnAt(e.evalPos, "%s", a[0])
		}},
		"info": {min: 1, max: 1, fn: func(e *evaluator, b *strings.Builder, a []string) {
			e.warnAt(e.evalPos, "info: %s", a[0])
		}},
		"shell": {min: 1, max: 1, fn: func(e *evaluator, b *strings.Builder, a []string) { e.disabled() }},
		"file":  {min: 1, max: 2, fn: func(e *evaluator, b *strings.Builder, a []string) { e.disabled() }},
	}
}

// disabled records that a side effect was asked for and not performed:
// whatever is derived from this expansion is unknown.
func (e *evaluator) disabled() {
	e.taint = true
	if !e.quiet {
		e.db.ShellCalls = append(e.db.ShellCalls, e.evalPos)
	}
}

func (e *evaluator) number(s, what string) (int, bool) {
	s = strings.TrimSpace(s)
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		e.errorAt(e.evalPos, "non-numeric %s: '%s'", what, s)
		return 0, false
	}
	return n, true
}

// abs returns make's $(abspath name): name joined to the working directory
// and cleaned, without looking at the file system.
func (e *evaluator) abs(name string) string {
	if !strings.HasPrefix(name, "/") {
		if e.cfg.Dir == "" {
			e.taint = true
			return ""
		}
		name = e.cfg.Dir + "/" + name
	}
	return path.Clean(name)
}

// glob expands one $(wildcard ...) pattern inside the FS.
func (e *evaluator) glob(p string) []string {
	if e.cfg.FS == nil {
		return nil
	}
	prefix := ""
	for strings.HasPrefix(p, "./") {
		prefix += "./"
		p = p[2:]
	}
	n, ok := e.fsName(p)
	if !ok || strings.HasPrefix(p, "/") {
		return nil
	}
	if !hasGlobMeta(n) {
		if !e.step(1) {
			return nil
		}
		if _, err := fs.Stat(e.cfg.FS, n); err != nil {
			return nil
		}
		return []string{prefix + p}
	}
	m, err := fs.Glob(budgetFS{e}, n)
	if err != nil || e.stopped {
		return nil
	}
	e.step(len(m))
	slices.Sort(m)
	for i := range m {
		m[i] = prefix + m[i]
	}
	return m
}

// budgetFS is the evaluator's FS as $(wildcard) sees it: every directory
// entry listed costs a step, so a wildcard that matches nothing in a large
// tree, called in a long $(foreach ...), cannot list the tree without end.
// It has no Glob method: fs.Glob then lists through ReadDir.
type budgetFS struct{ e *evaluator }

func (b budgetFS) Open(name string) (fs.File, error) {
	if !b.e.step(1) {
		return nil, ErrBudget
	}
	return b.e.cfg.FS.Open(name)
}

func (b budgetFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if !b.e.step(1) {
		return nil, ErrBudget
	}
	es, err := fs.ReadDir(b.e.cfg.FS, name)
	if !b.e.step(len(es)) {
		return nil, ErrBudget
	}
	return es, err
}

func hasGlobMeta(s string) bool { return strings.ContainsAny(s, "*?[") }

// eval reads text as makefile statements, in place.
func (e *evaluator) eval(text string) {
	if e.noEval {
		return
	}
	e.evals++
	if e.evals > 10000 {
		e.stop(fmt.Sprintf("%v: more than 10000 $(eval ...) calls", ErrBudget))
		return
	}
	pos := e.evalPos
	name := fmt.Sprintf("%s:%d (eval)", pos.Filename, pos.Line)
	f, err := ParseFile(e.db.Fset, name, []byte(text), RecipePrefix(e.prefix))
	if e.db.evalSites == nil {
		e.db.evalSites = map[string]token.Position{}
	}
	e.db.evalSites[name] = pos
	var el ErrorList
	if asErrorList(err, &el) {
		for _, x := range el {
			if !e.quiet {
				e.db.Errors = append(e.db.Errors, &Error{Pos: pos, Msg: x.Msg, Limit: x.Limit, inEval: true})
			}
		}
	}
	for _, w := range f.Warnings {
		e.warnAt(pos, "%s", w.Msg)
	}
	cur, curPat := e.cur, e.curPat
	e.flushRule()
	e.evalDepth++
	e.stmts(f.Stmts)
	e.evalDepth--
	e.flushRule()
	e.cur, e.curPat = cur, curPat
	e.evalPos = pos
}

func asErrorList(err error, el *ErrorList) bool {
	l, ok := err.(ErrorList)
	if ok {
		*el = l
	}
	return ok
}

// patsubst replaces words of text matching pattern (with one '%') by
// replacement, whose first '%' takes the stem.
func patsubst(pattern, replacement, text string) string {
	ws := fields(text)
	ppre, psuf, patHas := splitPercent(pattern)
	rpre, rsuf, repHas := splitPercent(replacement)
	for i, w := range ws {
		// matchPattern, with the pattern split once for all the words.
		stem, ok := "", ppre == w
		if patHas {
			ok = len(w) >= len(ppre)+len(psuf) && strings.HasPrefix(w, ppre) && strings.HasSuffix(w, psuf)
			if ok {
				stem = w[len(ppre) : len(w)-len(psuf)]
			}
		}
		if ok {
			switch {
			case patHas && repHas:
				ws[i] = rpre + stem + rsuf
			default:
				ws[i] = rpre
			}
		}
	}
	return strings.Join(ws, " ")
}

func filter(patterns, text string, keep bool) string {
	// Literal patterns go in a set and each '%' pattern is split once, so
	// that $(filter-out $(A),$(A)) is linear in the number of words, as in
	// GNU make, instead of words times patterns.
	pats := fields(patterns)
	literal := make(map[string]bool, len(pats))
	type affix struct{ pre, suf string }
	var percent []affix
	for _, p := range pats {
		pre, suf, ok := splitPercent(p)
		if !ok {
			literal[pre] = true
			continue
		}
		percent = append(percent, affix{pre, suf})
	}
	ws := fields(text)
	out := ws[:0]
	for _, w := range ws {
		m := literal[w]
		for i := 0; !m && i < len(percent); i++ {
			a := percent[i]
			m = len(w) >= len(a.pre)+len(a.suf) && strings.HasPrefix(w, a.pre) && strings.HasSuffix(w, a.suf)
		}
		if m == keep {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}
