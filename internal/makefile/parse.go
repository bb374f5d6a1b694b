package makefile

import (
	"bytes"
	"fmt"
	"go/token"
	"strings"
)

// MaxFileSize is the largest makefile the parser reads. GNU make has no such
// limit; contractbot has one so that a hostile repository cannot make it
// allocate without bound.
const MaxFileSize = 4 << 20

// Option configures [ParseFile].
type Option func(*parser)

// KeepComments makes the parser record comments in [File.Comments].
func KeepComments(keep bool) Option { return func(p *parser) { p.keepComments = keep } }

// RecipePrefix sets the recipe prefix in force when the file starts (a tab,
// unless an including file set .RECIPEPREFIX).
func RecipePrefix(c byte) Option { return func(p *parser) { p.prefix = c } }

// ParseFile parses one makefile. It returns the statements it could read
// and an [ErrorList] of every syntax error, sorted; it never stops at the
// first error. The file is added to fset, so positions of several files
// (a makefile and what it includes) share one space.
//
// Parsing does not expand anything. Whether a line is a recipe line depends
// on whether a rule precedes it, which make decides while reading; the
// parser decides the same way from the text (see [RuleLine]), and follows
// literal .RECIPEPREFIX assignments.
//
// ParseFile is safe for concurrent use with distinct file sets.
func ParseFile(fset *token.FileSet, name string, src []byte, opts ...Option) (*File, error) {
	p := &parser{prefix: '\t', name: name}
	for _, o := range opts {
		o(p)
	}
	if len(src) > MaxFileSize {
		f := fset.AddFile(name, -1, 0)
		p.file = f
		p.errs.addLimit(token.Position{Filename: name, Line: 1, Column: 1}, fmt.Sprintf("file is larger than %d MiB; not read", MaxFileSize>>20))
		return &File{Name: name, FileStart: f.Pos(0), FileEnd: f.Pos(0)}, p.errs.Err()
	}
	src = readLikeMake(src, p)
	p.file = fset.AddFile(name, -1, len(src))
	p.src = src
	p.file.SetLinesForContent(src)
	// make skips a UTF-8 byte order mark at the start of a makefile.
	if bytes.HasPrefix(src, utf8BOM) {
		p.off = len(utf8BOM)
	}
	f := p.parse()
	f.Warnings = append(p.nulWarnings, f.Warnings...)
	f.Name = name
	p.errs.Sort()
	return f, p.errs.Err()
}

var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// readLikeMake returns src as make's line reader sees it when it holds NUL
// bytes (make reads lines with fgets and measures them with strlen): a
// line that starts with NUL is ignored with a warning; a NUL later in a
// line cuts it there and the line break goes with the rest, so the next
// line is joined on. Line numbers after such a join are one lower than in
// the file.
func readLikeMake(src []byte, p *parser) []byte {
	if bytes.IndexByte(src, 0) < 0 {
		return src
	}
	out := make([]byte, 0, len(src))
	line := 1
	for len(src) > 0 {
		nl := bytes.IndexByte(src, '\n')
		var l []byte
		if nl < 0 {
			l, src = src, nil
		} else {
			l, src = src[:nl+1], src[nl+1:]
		}
		k := bytes.IndexByte(l, 0)
		switch {
		case k < 0:
			out = append(out, l...)
		case k == 0 && (len(out) == 0 || out[len(out)-1] == '\n'):
			p.nulWarnings.Add(token.Position{Filename: p.name, Line: line, Column: 1}, "NUL character seen; rest of line ignored")
			if nl >= 0 {
				out = append(out, '\n')
			}
		default:
			out = append(out, l[:k]...)
		}
		line++
	}
	return out
}

type parser struct {
	name         string
	nulWarnings  ErrorList
	file         *token.File
	src          []byte
	off          int
	prefix       byte
	keepComments bool
	inRule       bool
	errs         ErrorList
	warnings     ErrorList
	comments     []*Comment
	stack        []*Cond
	out          *File
	capture      *[]Stmt // when set, add collects statements here
	ruleInCond   bool    // the rule that started the recipe context is in a conditional
}

// alternative parses a recipe-prefixed line as the ordinary line make reads
// when no rule precedes it after all (the rule was in a conditional branch
// not taken). Lines that would open or close a block have no alternative:
// they would change the file's structure.
func (p *parser) alternative(start, end int) Stmt {
	collapsed, _ := collapse(string(p.src[start:end]))
	text, _ := stripComment(collapsed)
	t := strings.TrimLeft(text, " \t")
	if t == "" {
		return nil
	}
	if a := parseAssignment(t); a != nil && a.define {
		return nil
	}
	if a := parseAssignment(t); a == nil {
		switch w, _, _ := firstWord(t); w {
		case "ifeq", "ifneq", "ifdef", "ifndef", "else", "endif", "endef":
			return nil
		}
	}
	inRule, prefix, nerr, nwarn, ncom := p.inRule, p.prefix, len(p.errs), len(p.warnings), len(p.comments)
	var got []Stmt
	p.capture = &got
	p.inRule = false
	p.line(start, end)
	p.capture = nil
	p.inRule, p.prefix = inRule, prefix
	p.errs, p.warnings, p.comments = p.errs[:nerr], p.warnings[:nwarn], p.comments[:ncom]
	if len(got) != 1 {
		return nil
	}
	return got[0]
}

func (p *parser) pos(off int) token.Pos { return p.file.Pos(off) }

func (p *parser) errorf(off int, format string, args ...any) {
	p.errs.Add(p.file.Position(p.pos(off)), fmt.Sprintf(format, args...))
}

func (p *parser) warnf(off int, format string, args ...any) {
	p.warnings.Add(p.file.Position(p.pos(off)), fmt.Sprintf(format, args...))
}

// readLine returns the next logical line, [start, end) in src, with its
// backslash-newlines, and moves past its newline. ok is false at EOF.
func (p *parser) readLine() (start, end int, ok bool) {
	if p.off >= len(p.src) {
		return 0, 0, false
	}
	start = p.off
	i := p.off
	for {
		nl := indexByteFrom(p.src, i, '\n')
		if nl < 0 {
			end = len(p.src)
			p.off = len(p.src)
			break
		}
		e := nl
		if e > i && p.src[e-1] == '\r' {
			e--
		}
		bs := 0
		for j := e - 1; j >= start && p.src[j] == '\\'; j-- {
			bs++
		}
		if bs%2 == 1 && nl+1 < len(p.src) {
			i = nl + 1
			continue
		}
		end = e
		p.off = nl + 1
		break
	}
	if end > start && p.src[end-1] == '\r' {
		end--
	}
	return start, end, true
}

func indexByteFrom(b []byte, from int, c byte) int {
	for i := from; i < len(b); i++ {
		if b[i] == c {
			return i
		}
	}
	return -1
}

func (p *parser) add(s Stmt) {
	if p.capture != nil {
		*p.capture = append(*p.capture, s)
		return
	}
	if n := len(p.stack); n > 0 {
		b := p.stack[n-1].Branches[len(p.stack[n-1].Branches)-1]
		b.Body = append(b.Body, s)
		return
	}
	p.out.Stmts = append(p.out.Stmts, s)
}

func (p *parser) parse() *File {
	p.out = &File{FileStart: p.pos(0), FileEnd: p.pos(len(p.src))}
	for {
		start, end, ok := p.readLine()
		if !ok {
			break
		}
		p.line(start, end)
	}
	for i := len(p.stack) - 1; i >= 0; i-- {
		c := p.stack[i]
		c.EndPos = p.pos(len(p.src))
		c.Branches[len(c.Branches)-1].EndPos = c.EndPos
		p.errs.Add(p.file.Position(c.Branches[0].Keyword), fmt.Sprintf("missing 'endif': reached end of file inside this %s", c.Branches[0].Kind))
	}
	p.out.Comments = p.comments
	p.out.Warnings = p.warnings
	return p.out
}

// line handles one logical line.
func (p *parser) line(start, end int) {
	raw := string(p.src[start:end])
	if p.inRule && len(raw) > 0 && raw[0] == p.prefix {
		r := &Recipe{Prefix: p.pos(start), Text: recipeText(raw[1:], p.prefix), EndPos: p.pos(end)}
		if p.ruleInCond {
			// Only a rule inside a conditional can turn out not to
			// have been read.
			r.Alt = p.alternative(start, end)
		}
		p.add(r)
		return
	}
	collapsed, cmap := collapse(raw)
	text, hash := stripComment(collapsed)
	if hash >= 0 && p.keepComments {
		p.comments = append(p.comments, &Comment{Hash: p.pos(start + mapOff(cmap, hash)), Text: collapsed[hash+1:], EndPos: p.pos(end)})
	}
	indentLen := 0
	for indentLen < len(text) && isBlank(text[indentLen]) {
		indentLen++
	}
	t := text[indentLen:]
	if strings.TrimSpace(t) == "" {
		return
	}
	off := func(i int) token.Pos { return p.pos(start + mapOff(cmap, indentLen+i)) }
	if a := parseAssignment(t); a != nil {
		p.assignment(a, off, start, end)
		return
	}
	word, rest, restOff := firstWord(t)
	switch word {
	case "ifeq", "ifneq", "ifdef", "ifndef":
		c := &Cond{}
		c.Branches = append(c.Branches, &Branch{Keyword: off(0), Kind: word, Arg: rest})
		if rest == "" {
			p.errorf(start+indentLen, "invalid syntax in conditional: %s needs an argument", word)
		}
		p.add(c)
		p.stack = append(p.stack, c)
		return
	case "else":
		if len(p.stack) == 0 {
			p.errorf(start+indentLen, "extraneous 'else'")
			return
		}
		c := p.stack[len(p.stack)-1]
		last := c.Branches[len(c.Branches)-1]
		last.EndPos = off(0)
		if last.Kind == "" {
			p.errorf(start+indentLen, "only one 'else' per conditional")
		}
		b := &Branch{Else: off(0)}
		w2, rest2, _ := firstWord(rest)
		switch w2 {
		case "":
		case "ifeq", "ifneq", "ifdef", "ifndef":
			b.Keyword, b.Kind, b.Arg = off(restOff), w2, rest2
		default:
			p.warnf(start+indentLen, "extraneous text after 'else' directive")
		}
		c.Branches = append(c.Branches, b)
		return
	case "endif":
		if len(p.stack) == 0 {
			p.errorf(start+indentLen, "extraneous 'endif'")
			return
		}
		if rest != "" {
			p.warnf(start+indentLen, "extraneous text after 'endif' directive")
		}
		c := p.stack[len(p.stack)-1]
		p.stack = p.stack[:len(p.stack)-1]
		c.Endif = off(0)
		c.EndPos = p.pos(end)
		c.Branches[len(c.Branches)-1].EndPos = off(0)
		return
	case "include", "-include", "sinclude":
		p.inRule = false
		p.add(&Include{Directive: off(0), Optional: word != "include", Names: rest, EndPos: p.pos(end)})
		return
	case "export", "unexport":
		p.inRule = false
		p.add(&Export{Directive: off(0), Unexport: word == "unexport", Names: rest, EndPos: p.pos(end)})
		return
	case "undefine", "override":
		override := word == "override"
		name := rest
		if override {
			w2, rest2, _ := firstWord(rest)
			if w2 != "undefine" {
				p.errorf(start+indentLen, "invalid 'override' directive")
				return
			}
			name = rest2
		}
		p.inRule = false
		p.add(&Undefine{Directive: off(0), Override: override, Name: strings.TrimSpace(name), EndPos: p.pos(end)})
		return
	case "vpath", "load", "-load":
		p.inRule = false
		p.add(&Directive{Keyword: off(0), Name: word, Args: rest, EndPos: p.pos(end)})
		return
	case "endef":
		p.errorf(start+indentLen, "extraneous 'endef'")
		return
	}
	// A rule, or nothing, or "missing separator": decided after expansion.
	// The ';' of an inline recipe is searched in the text with its
	// comment, since a '#' after the ';' belongs to the recipe.
	r := &RuleLine{Start: p.pos(start), Indent: text[:indentLen], EndPos: p.pos(end)}
	body := collapsed[indentLen:]
	if i := findSemiOrHash(body); i >= 0 && body[i] == ';' {
		r.Text = body[:i]
		r.Semi = off(i)
		r.Recipe = body[i+1:]
		for len(r.Recipe) > 0 && isBlank(r.Recipe[0]) {
			r.Recipe = r.Recipe[1:]
		}
	} else {
		r.Text = t
	}
	p.inRule = true
	p.ruleInCond = len(p.stack) > 0
	p.add(r)
}

func (p *parser) assignment(a *assignment, off func(int) token.Pos, start, end int) {
	p.inRule = false
	s := &Assign{Start: off(0), Override: a.override, Export: a.export, Private: a.private,
		Name: a.name, NamePos: off(a.nameOff), Op: a.op, Value: a.value, ValuePos: off(a.valueOff), EndPos: p.pos(end)}
	if a.op != "" {
		s.OpPos = off(a.opOff)
	}
	if a.define {
		s.Define = true
		if s.Op == "" {
			s.Op = OpRecursive
		}
		p.defineBody(s, start)
	}
	if s.Name == "" {
		p.errorf(start, "empty variable name")
		return
	}
	if s.Name == ".RECIPEPREFIX" && !strings.Contains(s.Value, "$") && (s.Op == OpRecursive || s.Op == OpSimple || s.Op == OpPOSIXSimple || s.Op == OpImmediate) {
		if s.Value == "" {
			p.prefix = '\t'
		} else {
			p.prefix = s.Value[0]
		}
	}
	p.add(s)
}

// defineBody reads the lines of a define block up to its endef.
func (p *parser) defineBody(s *Assign, defStart int) {
	var body []string
	depth := 1
	first := true
	for {
		start, end, ok := p.readLine()
		if !ok {
			p.errorf(defStart, "missing 'endef', unterminated 'define'")
			s.EndPos = p.pos(len(p.src))
			break
		}
		raw := string(p.src[start:end])
		if first {
			s.ValuePos = p.pos(start)
			first = false
		}
		if len(raw) == 0 || raw[0] != p.prefix {
			t := strings.TrimLeft(raw, " \t")
			w, rest, _ := firstWord(t)
			switch w {
			case "define":
				depth++
			case "endef":
				depth--
				if depth == 0 {
					s.Endef = p.pos(start + len(raw) - len(t))
					s.EndPos = p.pos(end)
					if r, _ := stripComment(rest); strings.TrimSpace(r) != "" {
						p.warnf(start, "extraneous text after 'endef' directive")
					}
					s.Value = strings.Join(body, "\n")
					return
				}
			}
		}
		body = append(body, raw)
	}
	s.Value = strings.Join(body, "\n")
}

type assignment struct {
	override, export, private, define bool
	name                              string
	op                                Op
	value                             string
	nameOff, opOff, valueOff          int
}

// parseAssignment recognises "[override|export|private]... NAME OP VALUE"
// and "[...] define NAME [OP]" in t (no leading blanks, no comment), as make
// does before it looks for directives, so that a variable may be called
// "export" or "ifdef".
func parseAssignment(t string) *assignment {
	var a assignment
	base := 0
	for {
		if name, op, opOff, valOff, ok := parseVarDef(t[base:]); ok {
			a.name, a.op = name, op
			a.nameOff, a.opOff = base, base+opOff
			a.valueOff = base + valOff
			a.value = t[min(len(t), base+valOff):]
			return &a
		}
		w, _, restOff := firstWord(t[base:])
		switch w {
		case "override":
			a.override = true
		case "export":
			a.export = true
		case "private":
			a.private = true
		case "define":
			rest := strings.TrimRight(t[base+restOff:], " \t")
			a.define = true
			a.nameOff = base + restOff
			for _, op := range []Op{OpImmediate, OpPOSIXSimple, OpSimple, OpAppend, OpConditional, OpShell, OpRecursive} {
				if strings.HasSuffix(rest, string(op)) {
					a.op = op
					a.opOff = base + restOff + len(rest) - len(op)
					rest = strings.TrimRight(rest[:len(rest)-len(op)], " \t")
					break
				}
			}
			a.name = rest
			return &a
		default:
			return nil
		}
		if restOff >= len(t[base:]) {
			return nil
		}
		base += restOff
	}
}

// parseVarDef finds NAME OP in s: the name ends at the operator or at a
// blank after which the operator must follow. References like $(x) may
// appear in the name.
func parseVarDef(s string) (name string, op Op, opOff, valueOff int, ok bool) {
	depth := 0
	var closeStack []byte
	nameEnd := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		if depth > 0 {
			switch c {
			case '(', '{':
				if c == '(' {
					closeStack = append(closeStack, ')')
				} else {
					closeStack = append(closeStack, '}')
				}
				depth++
			case ')', '}':
				if c == closeStack[len(closeStack)-1] {
					closeStack = closeStack[:len(closeStack)-1]
					depth--
				}
			}
			continue
		}
		if c == '$' && i+1 < len(s) && (s[i+1] == '(' || s[i+1] == '{') {
			if s[i+1] == '(' {
				closeStack = append(closeStack, ')')
			} else {
				closeStack = append(closeStack, '}')
			}
			depth++
			i++
			continue
		}
		if nameEnd < 0 && isBlank(c) {
			nameEnd = i
			for i+1 < len(s) && isBlank(s[i+1]) {
				i++
			}
			// The operator must come next.
			if o, n := opAt(s, i+1); n > 0 {
				return s[:nameEnd], o, i + 1, skipBlanks(s, i+1+n), true
			}
			return "", "", 0, 0, false
		}
		if o, n := opAt(s, i); n > 0 {
			return strings.TrimRight(s[:i], " \t"), o, i, skipBlanks(s, i+n), true
		}
		if c == ':' || c == '=' || c == ';' {
			return "", "", 0, 0, false
		}
	}
	return "", "", 0, 0, false
}

func skipBlanks(s string, i int) int {
	for i < len(s) && isBlank(s[i]) {
		i++
	}
	return i
}

// opAt returns the assignment operator starting at s[i], if any.
func opAt(s string, i int) (Op, int) {
	r := s[i:]
	switch {
	case strings.HasPrefix(r, ":::="):
		return OpImmediate, 4
	case strings.HasPrefix(r, "::="):
		return OpPOSIXSimple, 3
	case strings.HasPrefix(r, ":="):
		return OpSimple, 2
	case strings.HasPrefix(r, "+="):
		return OpAppend, 2
	case strings.HasPrefix(r, "?="):
		return OpConditional, 2
	case strings.HasPrefix(r, "!="):
		return OpShell, 2
	case strings.HasPrefix(r, "="):
		return OpRecursive, 1
	}
	return "", 0
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// firstWord splits t (no leading blanks) at the first blank; rest has its
// leading blanks removed and starts at restOff in t.
func firstWord(t string) (word, rest string, restOff int) {
	i := 0
	for i < len(t) && !isBlank(t[i]) {
		i++
	}
	j := skipBlanks(t, i)
	return t[:i], t[j:], j
}

// collapse joins a logical line's physical lines as make does outside
// recipes: each backslash-newline, the blanks before it and the blanks at
// the start of the next line become one space. cmap maps each offset of the
// result to an offset of raw; it is nil when nothing moved.
func collapse(raw string) (string, []int) {
	if !strings.Contains(raw, "\n") {
		return raw, nil
	}
	// The line is built in place: a continuation trims the blanks before
	// it by truncating buf, never by copying what came before (which was
	// quadratic in the number of continuation lines).
	buf := make([]byte, 0, len(raw))
	cmap := make([]int, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		if raw[i] == '\n' {
			// raw[i-1] is the continuation backslash (or \r then backslash).
			j := len(buf)
			if j > 0 && buf[j-1] == '\r' {
				j--
			}
			j-- // the backslash
			for j > 0 && isBlank(buf[j-1]) {
				j--
			}
			j = max(j, 0)
			buf, cmap = append(buf[:j], ' '), append(cmap[:j], i)
			for i+1 < len(raw) && isBlank(raw[i+1]) {
				i++
			}
			continue
		}
		buf = append(buf, raw[i])
		cmap = append(cmap, i)
	}
	return string(buf), cmap
}

func mapOff(cmap []int, i int) int {
	if cmap == nil {
		return i
	}
	if i < len(cmap) {
		return cmap[i]
	}
	if len(cmap) == 0 {
		return 0
	}
	return cmap[len(cmap)-1] + 1
}

// stripComment removes an unescaped '#' and what follows. A backslash
// before '#' escapes it (and is removed); pairs of backslashes before a
// comment '#' are halved, as in make. hash is the comment's offset in s,
// or -1.
func stripComment(s string) (text string, hash int) {
	i := strings.IndexByte(s, '#')
	if i < 0 {
		return s, -1
	}
	var b strings.Builder
	last := 0
	for i >= 0 {
		bs := 0
		for j := i - 1; j >= last && s[j] == '\\'; j-- {
			bs++
		}
		if bs%2 == 1 {
			// Escaped: keep (bs-1)/2 backslashes and the '#'.
			b.WriteString(s[last : i-bs])
			b.WriteString(strings.Repeat("\\", bs/2))
			b.WriteByte('#')
			last = i + 1
			n := strings.IndexByte(s[last:], '#')
			if n < 0 {
				b.WriteString(s[last:])
				return b.String(), -1
			}
			i = last + n
			continue
		}
		b.WriteString(s[last : i-bs])
		b.WriteString(strings.Repeat("\\", bs/2))
		return b.String(), i
	}
	return b.String(), -1
}

// findSemiOrHash returns the offset of the first ';' or '#' in a rule line
// that is outside variable references and not escaped, or -1.
func findSemiOrHash(s string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i++
		case c == '$' && i+1 < len(s) && (s[i+1] == '(' || s[i+1] == '{'):
			depth++
			i++
		case depth > 0 && (c == ')' || c == '}'):
			depth--
		case depth > 0 && (c == '(' || c == '{'):
			depth++
		case depth == 0 && (c == ';' || c == '#'):
			return i
		}
	}
	return -1
}

// recipeText removes, as make does, the recipe prefix at the start of each
// continuation line of a recipe line; the backslash-newlines stay.
func recipeText(s string, prefix byte) string {
	if !strings.Contains(s, "\n") {
		return s
	}
	lines := strings.Split(s, "\n")
	for i := 1; i < len(lines); i++ {
		if len(lines[i]) > 0 && lines[i][0] == prefix {
			lines[i] = lines[i][1:]
		}
	}
	return strings.Join(lines, "\n")
}
