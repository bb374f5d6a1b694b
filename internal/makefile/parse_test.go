package makefile

import (
	"fmt"
	"go/token"
	"strings"
	"testing"
)

// describe renders statements compactly, without positions, so that table
// entries read like the makefile they came from.
func describe(stmts []Stmt) string {
	var out []string
	for _, s := range stmts {
		switch s := s.(type) {
		case *Assign:
			mods := ""
			if s.Override {
				mods += "override "
			}
			if s.Export {
				mods += "export "
			}
			if s.Private {
				mods += "private "
			}
			if s.Define {
				mods += "define "
			}
			out = append(out, fmt.Sprintf("assign(%s%q %s %q)", mods, s.Name, s.Op, s.Value))
		case *RuleLine:
			r := fmt.Sprintf("rule(%q", s.Text)
			if s.Semi.IsValid() {
				r += fmt.Sprintf(" ; %q", s.Recipe)
			}
			if s.Indent != "" {
				r += fmt.Sprintf(" indent=%q", s.Indent)
			}
			out = append(out, r+")")
		case *Recipe:
			out = append(out, fmt.Sprintf("recipe(%q)", s.Text))
		case *Include:
			out = append(out, fmt.Sprintf("include(optional=%v %q)", s.Optional, s.Names))
		case *Export:
			out = append(out, fmt.Sprintf("export(unexport=%v %q)", s.Unexport, s.Names))
		case *Undefine:
			out = append(out, fmt.Sprintf("undefine(%q)", s.Name))
		case *Directive:
			out = append(out, fmt.Sprintf("directive(%s %q)", s.Name, s.Args))
		case *Cond:
			var bs []string
			for _, b := range s.Branches {
				bs = append(bs, fmt.Sprintf("%s %q {%s}", b.Kind, b.Arg, describe(b.Body)))
			}
			out = append(out, "cond("+strings.Join(bs, " else ")+")")
		}
	}
	return strings.Join(out, "; ")
}

// fileTests: several inputs that must parse to the same statements.
var fileTests = []struct {
	name   string
	inputs []string
	want   string
}{
	{"a recursive assignment", []string{"A = b", "A=b", "A   =   b", "  A = b\n"}, `assign("A" = "b")`},
	{"every assignment operator", []string{"A := b\nA ::= b\nA :::= b\nA ?= b\nA += b\nA != b"},
		`assign("A" := "b"); assign("A" ::= "b"); assign("A" :::= "b"); assign("A" ?= "b"); assign("A" += "b"); assign("A" != "b")`},
	{"a value keeps blanks before a comment", []string{"A = b # c", "A = b \\\n # c"}, `assign("A" = "b ")`},
	{"modifiers in any order", []string{"override export A = 1", "export override A = 1"}, `assign(override export "A" = "1")`},
	{"a variable may be named like a directive", []string{"export = 1"}, `assign("export" = "1")`},
	{"a computed variable name", []string{"$(X)_Y = 1"}, `assign("$(X)_Y" = "1")`},
	{"a define block", []string{"define A\nline 1\n\tline 2\nendef", "define A =\nline 1\n\tline 2\nendef # done"}, `assign(define "A" = "line 1\n\tline 2")`},
	{"a nested define", []string{"define A :=\ndefine B\nendef\nendef"}, `assign(define "A" := "define B\nendef")`},
	{"a rule and its recipe", []string{"a: b\n\techo $@\n\n# comment\n\techo done"}, `rule("a: b"); recipe("echo $@"); recipe("echo done")`},
	{"a recipe line keeps its continuation", []string{"a:\n\techo 1 \\\n\techo 2"}, `rule("a:"); recipe("echo 1 \\\necho 2")`},
	{"an inline recipe", []string{"a: b ; echo # not a comment"}, `rule("a: b " ; "echo # not a comment")`},
	{"a comment ends a rule line", []string{"a: b # c ; d"}, `rule("a: b ")`},
	{"a target-specific assignment is a rule line", []string{"a: X = 1"}, `rule("a: X = 1")`},
	{"a tab line before any rule is not a recipe", []string{"\tA = 1"}, `assign("A" = "1")`},
	{"an assignment ends a rule", []string{"a:\nA = 1\n\techo"}, `rule("a:"); assign("A" = "1"); rule("echo" indent="\t")`},
	{"a space-indented line after a rule", []string{"a:\n    echo hi"}, `rule("a:"); rule("echo hi" indent="    ")`},
	{"continuations collapse", []string{"a: b \\\n   c\\\n\td"}, `rule("a: b c d")`},
	{"a comment continues over a backslash-newline", []string{"# x \\\nA = 1"}, ``},
	{"an escaped hash", []string{"A = a\\#b"}, `assign("A" = "a#b")`},
	{"includes", []string{"include a.mk b.mk\n-include c.mk\nsinclude d.mk"},
		`include(optional=false "a.mk b.mk"); include(optional=true "c.mk"); include(optional=true "d.mk")`},
	{"export and unexport directives", []string{"export A B\nunexport C\nexport"}, `export(unexport=false "A B"); export(unexport=true "C"); export(unexport=false "")`},
	{"undefine", []string{"undefine A", "override undefine A"}, `undefine("A")`},
	{"vpath and load", []string{"vpath %.c src\nload x.so"}, `directive(vpath "%.c src"); directive(load "x.so")`},
	{"a conditional with else-if and else", []string{"ifeq (a,b)\nA = 1\nelse ifdef B\nA = 2\nelse\nA = 3\nendif"},
		`cond(ifeq "(a,b)" {assign("A" = "1")} else ifdef "B" {assign("A" = "2")} else  "" {assign("A" = "3")})`},
	{"nested conditionals", []string{"ifdef A\nifndef B\nX = 1\nendif\nendif", "ifdef A\n  ifndef B\n    X = 1\n  endif\nendif"},
		`cond(ifdef "A" {cond(ifndef "B" {assign("X" = "1")})})`},
	{"recipe lines inside a conditional after a rule", []string{"a:\nifdef X\n\techo x\nendif\n\techo y"},
		`rule("a:"); cond(ifdef "X" {recipe("echo x")}); recipe("echo y")`},
	{"a recipe prefix from .RECIPEPREFIX", []string{".RECIPEPREFIX = >\na:\n> echo hi"}, `assign(".RECIPEPREFIX" = ">"); rule("a:"); recipe(" echo hi")`},
	{"crlf line endings", []string{"A = 1\r\na:\r\n\techo\r\n"}, `assign("A" = "1"); rule("a:"); recipe("echo")`},
	{"a line that is only a reference", []string{"$(RULE)"}, `rule("$(RULE)")`},
}

func TestParseFiles(t *testing.T) {
	for _, tt := range fileTests {
		for i, in := range tt.inputs {
			t.Run(fmt.Sprintf("%s/%d", tt.name, i), func(t *testing.T) {
				fset := token.NewFileSet()
				f, err := ParseFile(fset, "Makefile", []byte(in), KeepComments(true))
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if got := describe(f.Stmts); got != tt.want {
					var b strings.Builder
					DebugPrint(&b, fset, f)
					t.Errorf("input %q\n got %s\nwant %s\ntree:\n%s", in, got, tt.want, b.String())
				}
				checkPositions(t, fset, f, []byte(in))
			})
		}
	}
}

// checkPositions checks that every position field of every node points at
// the token it is named after, in the style of mvdan/sh's sanityChecker.
func checkPositions(t *testing.T, fset *token.FileSet, f *File, src []byte) {
	t.Helper()
	at := func(p token.Pos, want string, what string) {
		t.Helper()
		if !p.IsValid() {
			return
		}
		off := fset.Position(p).Offset
		if off < 0 || off+len(want) > len(src) || string(src[off:off+len(want)]) != want {
			t.Errorf("%s at offset %d: want %q, found %q", what, off, want, string(src[off:min(len(src), off+len(want)+5)]))
		}
	}
	for n := range Preorder(f) {
		if n.End() < n.Pos() {
			t.Errorf("%T ends before it starts", n)
		}
		switch n := n.(type) {
		case *Assign:
			if !strings.Contains(n.Name, "\n") && !n.Define {
				at(n.NamePos, n.Name, "Assign.NamePos")
			}
			if !n.Define {
				at(n.OpPos, string(n.Op), "Assign.OpPos")
			}
			at(n.Endef, "endef", "Assign.Endef")
		case *Branch:
			at(n.Keyword, n.Kind, "Branch.Keyword")
			at(n.Else, "else", "Branch.Else")
		case *Cond:
			at(n.Endif, "endif", "Cond.Endif")
		case *Include:
			kw := "include"
			if n.Optional {
				kw = string(src[fset.Position(n.Directive).Offset])
			}
			at(n.Directive, kw, "Include.Directive")
		case *RuleLine:
			at(n.Semi, ";", "RuleLine.Semi")
		}
	}
	for _, c := range f.Comments {
		at(c.Hash, "#", "Comment.Hash")
	}
}

// errorCases map an input to the exact errors, one "line:col: message" per
// line.
var errorCases = []struct {
	in   string
	want string
}{
	{"ifdef A\nX = 1\n", "1:1: missing 'endif': reached end of file inside this ifdef"},
	{"A = 1\n  ifeq (a,b)\nifdef B\nendif\n", "2:3: missing 'endif': reached end of file inside this ifeq"},
	{"endif\n", "1:1: extraneous 'endif'"},
	{"else\n", "1:1: extraneous 'else'"},
	{"ifdef A\nelse\nelse\nendif\n", "3:1: only one 'else' per conditional"},
	{"define X\nA = 1\n", "1:1: missing 'endef', unterminated 'define'"},
	{"endef\n", "1:1: extraneous 'endef'"},
	{"ifdef\nendif\n", "1:1: invalid syntax in conditional: ifdef needs an argument"},
	{"override foo\n", "1:1: invalid 'override' directive"},
	{"= 1\n", "1:1: empty variable name"},
	{"endif\nifdef A\n", "1:1: extraneous 'endif'\n2:1: missing 'endif': reached end of file inside this ifdef"},
}

func TestParseErr(t *testing.T) {
	for i, tt := range errorCases {
		t.Run(fmt.Sprintf("%02d", i), func(t *testing.T) {
			_, err := ParseFile(token.NewFileSet(), "", []byte(tt.in))
			if err == nil {
				t.Fatalf("no error for %q", tt.in)
			}
			var lines []string
			for _, e := range err.(ErrorList) {
				lines = append(lines, e.Error())
			}
			if got := strings.Join(lines, "\n"); got != tt.want {
				t.Errorf("input %q\n got %s\nwant %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseRefusesHugeFiles(t *testing.T) {
	src := make([]byte, MaxFileSize+1)
	_, err := ParseFile(token.NewFileSet(), "Makefile", src)
	if err == nil || !strings.Contains(err.Error(), "larger than 4 MiB") {
		t.Fatalf("err = %v", err)
	}
}
