package makefile

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"
)

func readMap(t *testing.T, files map[string]string) *Database {
	t.Helper()
	fsys := fstest.MapFS{}
	for n, b := range files {
		fsys[n] = &fstest.MapFile{Data: []byte(b)}
	}
	db, err := Read(context.Background(), Config{FS: fsys, Dir: "/repo"}, "Makefile")
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestEvalValues(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		expr  string
		want  string
		shell bool
	}{
		{"recursive variables see later assignments", "A = $(B)\nB = 1\n", "$(A)", "1", false},
		{"simple variables do not", "A := $(B)\nB = 1\n", "$(A)", "", false},
		{"append keeps the flavor", "A := x\nA += $(B)\nB = 1\n", "$(A)", "x", false},
		{"an empty append changes nothing", "A = x\nA +=\n", "$(A)", "x", false},
		{"conditional assignment keeps the first", "A = 1\nA ?= 2\n", "$(A)", "1", false},
		{"a shell call is unknown", "A := $(shell date)\n", "$(A)", "", true},
		{"a value using an unknown one is unknown", "A != date\nB = x$(A)\n", "$(B)", "x", true},
		{"a shell call in an unused branch does not matter", "A = $(if ,$(shell date),ok)\n", "$(A)", "ok", false},
		{"assignments in a branch chosen by the shell are unknown", "ifeq ($(shell uname),)\nA = 1\nendif\n", "$(A)", "1", true},
		{"foreach binds its variable", "L = a b\n", "$(foreach v,$(L),[$(v)])", "[a] [b]", false},
		{"call binds arguments and hides outer ones", "f = $(1)-$(2)\ng = $(call f,$(1))\n", "$(call g,x,y)", "x-", false},
		{"eval defines rules and variables", "$(eval X = 1)\n", "$(X)", "1", false},
		{"subst with an empty pattern appends", "", "$(subst ,x,ab)", "abx", false},
		{"patsubst normalises blanks", "", "$(patsubst %.c,%.o,  a.c   b.h )", "a.o b.h", false},
		{"CURDIR is the working directory", "", "$(CURDIR)|$(abspath x/../y)", "/repo|/repo/y", false},
		{"wildcard reads the FS, sorted", "", "$(wildcard *.mk)", "", false},
		{"origin of a default variable", "", "$(origin MAKE)|$(origin CC)|$(origin nope)", "default|default|undefined", false},
		{"target-specific assignments are not global", "t: A = 1\n", "$(A)", "", false},
		{"a recipe prefix change affects later files", ".RECIPEPREFIX := >\n", "$(.RECIPEPREFIX)", ">", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := readMap(t, map[string]string{"Makefile": tt.src})
			if len(db.Errors) > 0 {
				t.Fatalf("errors: %v", db.Errors)
			}
			got, shell := db.Expand(tt.expr)
			if got != tt.want || shell != tt.shell {
				t.Errorf("Expand(%q) = %q, shell-dependent %v; want %q, %v", tt.expr, got, shell, tt.want, tt.shell)
			}
		})
	}
}

// evalErrorCases map a makefile to the exact errors GNU make would stop on
// (or that contractbot's limits raise), as "file:line:col: message".
var evalErrorCases = []struct {
	name, src, want string
}{
	{"missing separator", "a:\n  echo hi\n", "Makefile:2:1: missing separator"},
	{"missing separator with eight spaces", "a:\n        echo hi\n", "Makefile:2:1: missing separator (did you mean TAB instead of 8 spaces?)"},
	{"recipe before first target", "A = 1\n\techo hi\n", "Makefile:2:1: recipe commences before first target"},
	{"recursive self-reference", "A = $(B)\nB = $(A)\nC := $(A)\n", "Makefile:3:1: Recursive variable 'A' references itself (eventually)"},
	{"error function", "ifndef X\n$(error X is required)\nendif\n", "Makefile:2:1: X is required"},
	{"bad word argument", "A := $(word x,a b)\n", "Makefile:1:1: non-numeric first argument to 'word' function: 'x'"},
	{"zero word argument", "A := $(word 0,a b)\n", "Makefile:1:1: first argument to 'word' function must be greater than 0"},
	{"unterminated reference", "A := $(B\n", "Makefile:1:1: unterminated variable reference"},
	{"invalid conditional", "ifeq (a\nendif\n", "Makefile:1:1: invalid syntax in conditional"},
	{"include cycle", "include Makefile\n", "Makefile:1:1: include of Makefile nested more than 32 deep (an include cycle?)"},
	{"runaway recursion through call", "f = $(call f)\nA := $(call f)\n", "Makefile:2:1: evaluation budget exceeded: expansion nested more than 400 deep"},
	{"exponential expansion", "A0 = x x\nA1 = $(A0) $(A0)\nA2 = $(A1) $(A1) $(A1) $(A1)\nA3 = $(A2) $(A2) $(A2) $(A2) $(A2) $(A2) $(A2) $(A2)\n" +
		"A4 = $(A3)$(A3)$(A3)$(A3)$(A3)$(A3)$(A3)$(A3)\nA5 = $(A4)$(A4)$(A4)$(A4)$(A4)$(A4)$(A4)$(A4)\nA6 = $(A5)$(A5)$(A5)$(A5)$(A5)$(A5)$(A5)$(A5)\n" +
		"A7 = $(A6)$(A6)$(A6)$(A6)$(A6)$(A6)$(A6)$(A6)\nA8 = $(A7)$(A7)$(A7)$(A7)$(A7)$(A7)$(A7)$(A7)\nB := $(A8)\n",
		"Makefile:10:1: evaluation budget exceeded: an expansion is larger than 1048576 bytes"},
}

func TestEvalErr(t *testing.T) {
	for _, tt := range evalErrorCases {
		t.Run(tt.name, func(t *testing.T) {
			db := readMap(t, map[string]string{"Makefile": tt.src})
			var got []string
			for _, e := range db.Errors {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n") != tt.want {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), tt.want)
			}
		})
	}
}
