package makefile

import (
	"fmt"
	"go/token"
	"io"
	"iter"
	"reflect"
	"strings"
)

// Node is a piece of a makefile. End is the position just after the node
// (exclusive), so a node's text is src[Pos:End].
type Node interface {
	Pos() token.Pos
	End() token.Pos
}

// Stmt is one logical line, or a block (define, conditional).
type Stmt interface {
	Node
	stmtNode()
}

// File is one parsed makefile.
type File struct {
	Name     string
	Stmts    []Stmt
	Comments []*Comment // only with KeepComments(true)
	// Warnings are problems make reports and reads past.
	Warnings           ErrorList
	FileStart, FileEnd token.Pos
}

// Comment is a "#" comment, from the hash to the end of its logical line.
type Comment struct {
	Hash   token.Pos
	Text   string // without the hash
	EndPos token.Pos
}

// Op is an assignment operator: "=", ":=", "::=", ":::=", "?=", "+=" or "!=".
type Op string

// Assignment operators.
const (
	OpRecursive   Op = "="
	OpSimple      Op = ":="
	OpPOSIXSimple Op = "::="
	OpImmediate   Op = ":::="
	OpConditional Op = "?="
	OpAppend      Op = "+="
	OpShell       Op = "!="
)

// Assign is a variable assignment, "[override] [export] [private] NAME OP
// VALUE", or a define block ("define NAME [OP]" ... "endef").
type Assign struct {
	Start    token.Pos // the first modifier, the name, or "define"
	Override bool
	Export   bool
	Private  bool
	Name     string // unexpanded
	NamePos  token.Pos
	Op       Op
	OpPos    token.Pos // NoPos for a define without operator
	Value    string    // unexpanded; comments removed, except in a define body
	ValuePos token.Pos
	Define   bool
	Endef    token.Pos // the "endef" of a define block
	EndPos   token.Pos
}

// RuleLine is a line that is neither an assignment nor a directive. After
// expansion it is a rule (targets, a colon, prerequisites, maybe a
// target-specific assignment), or nothing, or make's "missing separator".
type RuleLine struct {
	Start  token.Pos
	Text   string    // continuations collapsed, comment removed, up to the ';'
	Semi   token.Pos // the ';' starting an inline recipe, or NoPos
	Recipe string    // the inline recipe after ';'
	// Indent is the line's leading whitespace: a line indented with spaces
	// right after a rule is usually a recipe line missing its tab.
	Indent string
	EndPos token.Pos
}

// Recipe is a recipe line: it starts with the recipe prefix (a tab unless
// .RECIPEPREFIX says otherwise) and follows a rule.
type Recipe struct {
	Prefix token.Pos
	Text   string // without the prefix; backslash-newlines kept
	EndPos token.Pos
	// Alt is the line read as an ordinary line, for when make finds no
	// rule before it after all (the rule sat in a conditional branch not
	// taken); nil when that reading would open or close a block.
	Alt Stmt
}

// Include is "include", "-include" or "sinclude" with its unexpanded names.
type Include struct {
	Directive token.Pos
	Optional  bool
	Names     string
	EndPos    token.Pos
}

// Export is "export NAMES" or "unexport NAMES" without an assignment; with
// no names it exports (or stops exporting) every variable.
type Export struct {
	Directive token.Pos
	Unexport  bool
	Names     string
	EndPos    token.Pos
}

// Undefine is "[override] undefine NAME".
type Undefine struct {
	Directive token.Pos
	Override  bool
	Name      string
	EndPos    token.Pos
}

// Directive is a directive the evaluator does not interpret beyond
// recording it: vpath, load.
type Directive struct {
	Keyword token.Pos
	Name    string
	Args    string
	EndPos  token.Pos
}

// Cond is a conditional: an if branch, then any "else [if...]" branches,
// then "endif".
type Cond struct {
	Branches []*Branch
	Endif    token.Pos // NoPos when the file ended first
	EndPos   token.Pos
}

// Branch is one arm of a conditional. Kind is "ifeq", "ifneq", "ifdef" or
// "ifndef", or "" for a final plain "else".
type Branch struct {
	Else    token.Pos // the "else" keyword, NoPos for the first branch
	Keyword token.Pos // the "ifeq"/"ifdef"/... keyword, NoPos for plain else
	Kind    string
	Arg     string // unexpanded argument text
	Body    []Stmt
	EndPos  token.Pos
}

func (f *File) Pos() token.Pos      { return f.FileStart }
func (f *File) End() token.Pos      { return f.FileEnd }
func (c *Comment) Pos() token.Pos   { return c.Hash }
func (c *Comment) End() token.Pos   { return c.EndPos }
func (a *Assign) Pos() token.Pos    { return a.Start }
func (a *Assign) End() token.Pos    { return a.EndPos }
func (r *RuleLine) Pos() token.Pos  { return r.Start }
func (r *RuleLine) End() token.Pos  { return r.EndPos }
func (r *Recipe) Pos() token.Pos    { return r.Prefix }
func (r *Recipe) End() token.Pos    { return r.EndPos }
func (i *Include) Pos() token.Pos   { return i.Directive }
func (i *Include) End() token.Pos   { return i.EndPos }
func (e *Export) Pos() token.Pos    { return e.Directive }
func (e *Export) End() token.Pos    { return e.EndPos }
func (u *Undefine) Pos() token.Pos  { return u.Directive }
func (u *Undefine) End() token.Pos  { return u.EndPos }
func (d *Directive) Pos() token.Pos { return d.Keyword }
func (d *Directive) End() token.Pos { return d.EndPos }
func (c *Cond) Pos() token.Pos      { return c.Branches[0].Keyword }
func (c *Cond) End() token.Pos      { return c.EndPos }
func (b *Branch) Pos() token.Pos {
	if b.Else.IsValid() {
		return b.Else
	}
	return b.Keyword
}
func (b *Branch) End() token.Pos { return b.EndPos }

func (*Assign) stmtNode()    {}
func (*RuleLine) stmtNode()  {}
func (*Recipe) stmtNode()    {}
func (*Include) stmtNode()   {}
func (*Export) stmtNode()    {}
func (*Undefine) stmtNode()  {}
func (*Directive) stmtNode() {}
func (*Cond) stmtNode()      {}

// Walk traverses the tree in depth-first order, like [go/ast.Inspect]: it
// calls f(node); when f returns true it walks node's children and then calls
// f(nil).
func Walk(node Node, f func(Node) bool) {
	if node == nil || !f(node) {
		return
	}
	switch n := node.(type) {
	case *File:
		for _, s := range n.Stmts {
			Walk(s, f)
		}
	case *Cond:
		for _, b := range n.Branches {
			Walk(b, f)
		}
	case *Branch:
		for _, s := range n.Body {
			Walk(s, f)
		}
	}
	f(nil)
}

// Preorder returns an iterator over node and its descendants, parents first.
func Preorder(node Node) iter.Seq[Node] {
	return func(yield func(Node) bool) {
		ok := true
		Walk(node, func(n Node) bool {
			if n == nil || !ok {
				return false
			}
			ok = yield(n)
			return ok
		})
	}
}

// DebugPrint writes an indented dump of the tree to w, for test failures.
func DebugPrint(w io.Writer, fset *token.FileSet, node Node) {
	depth := 0
	Walk(node, func(n Node) bool {
		if n == nil {
			depth--
			return false
		}
		v := reflect.Indirect(reflect.ValueOf(n))
		var fields []string
		for i := 0; i < v.NumField(); i++ {
			fv := v.Field(i)
			switch fv.Kind() {
			case reflect.String, reflect.Bool:
				fields = append(fields, fmt.Sprintf("%s=%q", v.Type().Field(i).Name, fmt.Sprint(fv.Interface())))
			}
		}
		fmt.Fprintf(w, "%s%s @%s %s\n", strings.Repeat("  ", depth), v.Type().Name(), fset.Position(n.Pos()), strings.Join(fields, " "))
		depth++
		return true
	})
}
