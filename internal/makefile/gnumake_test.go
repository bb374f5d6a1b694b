package makefile

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// gnuCase is one makefile (plus included files) that the analyser and GNU
// make must agree on. diverge lists the facts on which they are known to
// disagree, each with the reason; the test fails if they start agreeing,
// so the list stays true.
type gnuCase struct {
	name    string
	files   map[string]string
	diverge map[string]string
}

func mk(s string) map[string]string { return map[string]string{"Makefile": s} }

// gnuCases cover each construct the analyser claims to understand.
var gnuCases = []gnuCase{
	{name: "the canonical contract makefile", files: mk("DOCKER_TAG ?= svc-$(USER)-dev\n.PHONY: test itest cook-image\ntest:\n\techo test\ncook-image:\n\tdocker build -t $(DOCKER_TAG) .\nitest: cook-image\n\techo itest\n")},
	{name: "a plain assignment is not conditional", files: mk("DOCKER_TAG = x\ntest:\n\t@true\n")},
	{name: "a simple assignment is not conditional", files: mk("DOCKER_TAG := x\n")},
	{name: "a posix simple assignment", files: mk("DOCKER_TAG ::= x\n")},
	{name: "an append to an undefined variable", files: mk("DOCKER_TAG += x\n")},
	{name: "an append after a conditional assignment", files: mk("DOCKER_TAG ?= x\nDOCKER_TAG += y\n")},
	{name: "a conditional assignment after a plain one keeps the first", files: mk("DOCKER_TAG = a\nDOCKER_TAG ?= b\n")},
	{name: "ifndef makes an assignment conditional", files: mk("ifndef DOCKER_TAG\nDOCKER_TAG := abc\nendif\n")},
	{name: "ifeq on origin makes an assignment conditional", files: mk("ifeq ($(origin DOCKER_TAG),undefined)\nDOCKER_TAG = o\nendif\n")},
	{name: "ifeq on the empty value makes an assignment conditional", files: mk("ifeq ($(DOCKER_TAG),)\nDOCKER_TAG = e\nendif\n")},
	{name: "ifneq with quotes", files: mk("X = 1\nifneq \"$(X)\" '1'\nDOCKER_TAG = no\nelse\nDOCKER_TAG = yes\nendif\n")},
	{name: "else ifeq chains", files: mk("X = b\nifeq ($(X),a)\nDOCKER_TAG = A\nelse ifeq ($(X),b)\nDOCKER_TAG = B\nelse\nDOCKER_TAG = C\nendif\n")},
	{name: "nested conditionals", files: mk("X = 1\nifdef X\n  ifndef Y\n    ifeq (a,a)\nDOCKER_TAG = deep\n    endif\n  endif\nendif\n")},
	{name: "ifdef is false for an empty variable", files: mk("E =\nifdef E\nDOCKER_TAG = set\nelse\nDOCKER_TAG = unset\nendif\n")},
	{name: "override beats the environment", files: mk("override DOCKER_TAG = forced\n")},
	{name: "an overridden tag used by a recipe", files: mk("override DOCKER_TAG = o\nitest:\n\tdocker build -t $(DOCKER_TAG) .\n"),
		diverge: map[string]string{"uses.itest": "the oracle passes DOCKER_TAG on the command line, which override beats; the recipe still refers to $(DOCKER_TAG), which is the fact"}},
	{name: "export with an assignment", files: mk("export DOCKER_TAG ?= exp\n")},
	{name: "export of a name defined later", files: mk("export DOCKER_TAG\nDOCKER_TAG = later\n")},
	{name: "export of an undefined name defines it empty", files: mk("export DOCKER_TAG\n")},
	{name: "unexport after export", files: mk("export DOCKER_TAG = a\nunexport DOCKER_TAG\n")},
	{name: "export-all special target", files: mk(".EXPORT_ALL_VARIABLES:\nDOCKER_TAG = all\n")},
	{name: "export with no names", files: mk("export\nDOCKER_TAG = all2\n")},
	{name: "define blocks", files: mk("define DOCKER_TAG\nmulti\nendef\ndefine RULE :=\nfoo\nendef\n")},
	{name: "define with a nested define", files: mk("define OUTER\ndefine INNER\nx\nendef\nendef\nDOCKER_TAG = $(words $(OUTER))\n")},
	{name: "line continuations collapse to one space", files: mk("DOCKER_TAG = a \\\n    b\\\n c\n")},
	{name: "a comment keeps the trailing blank of a value", files: mk("DOCKER_TAG ?= v # the tag\n")},
	{name: "an escaped hash is not a comment", files: mk("DOCKER_TAG = a\\#b\n")},
	{name: "a comment continues over a backslash-newline", files: mk("# comment \\\nDOCKER_TAG = hidden\n")},
	{name: "recipe prefix can be changed", files: mk(".RECIPEPREFIX = >\ntest:\n> echo $(DOCKER_TAG)\nDOCKER_TAG = rp\n")},
	{name: "targets produced by expansion", files: mk("TARGETS = test itest\n$(TARGETS):\n\techo $@ $(DOCKER_TAG)\nDOCKER_TAG ?= t\n")},
	{name: "a rule line produced entirely by a variable", files: mk("R = test: dep\n$(R)\ndep:\n\techo dep\n")},
	{name: "multiple targets share a recipe", files: mk("test itest cook-image:\n\techo $@\n")},
	{name: "double-colon rules", files: mk("test::\n\techo one\ntest::\n\techo two $(DOCKER_TAG)\nDOCKER_TAG = dc\n")},
	{name: "static pattern rules", files: mk("test itest: %: %.stamp\n\techo $* $(DOCKER_TAG)\n%.stamp:\n\techo stamp\nDOCKER_TAG = sp\n")},
	{name: "a pattern rule defines a target", files: mk("%-image:\n\tdocker build -t $(DOCKER_TAG) .\nDOCKER_TAG = pat\n")},
	{name: "a match-anything rule defines every target", files: mk("%:\n\techo $@\n")},
	{name: "a match-anything rule is not searched for phony targets", files: mk(".PHONY: test\n%:\n\techo $@\n")},
	{name: "a pattern rule needs its prerequisites", files: mk("%: %.c\n\tcc $<\n")},
	{name: "a pattern rule chains through another", files: mk("%: %.mid\n\techo $@\n%.mid: %.src\n\techo mid\ntest.src:\n\techo src\n")},
	{name: "a target only in .PHONY", files: mk(".PHONY: test itest cook-image\n")},
	{name: "an empty explicit rule", files: mk("test:\n")},
	{name: "a target only mentioned as a prerequisite", files: mk("all: test\n\techo all\n")},
	{name: "target-specific variables", files: mk("itest: DOCKER_TAG = specific\nitest:\n\techo $(DOCKER_TAG)\nDOCKER_TAG ?= global\n")},
	{name: "target-specific variables reach prerequisites", files: mk("IMG = x\nitest: IMG = $(DOCKER_TAG)\nitest: cook-image\ncook-image:\n\tdocker build -t $(IMG) .\n")},
	{name: "a recipe using the shell variable", files: mk("export DOCKER_TAG ?= sh\nitest:\n\t./run-itest --tag \"$$DOCKER_TAG\"\ntest:\n\techo ${DOCKER_TAG}\n")},
	{name: "a recipe using the tag through another variable", files: mk("IMAGE = reg/svc:$(DOCKER_TAG)\nDOCKER_TAG ?= v\ncook-image:\n\tdocker build -t $(IMAGE) .\nitest: cook-image\n\techo run\n")},
	{name: "itest that builds nothing tagged", files: mk("DOCKER_TAG ?= v\nitest:\n\tpytest tests/itest\ncook-image:\n\tdocker build -t svc .\n")},
	{name: "itest through a sub-make", files: mk("DOCKER_TAG ?= v\nitest:\n\t$(MAKE) cook-image\ncook-image:\n\tdocker build -t $(DOCKER_TAG) .\n")},
	{name: "an inline recipe after a semicolon", files: mk("test: ; echo $(DOCKER_TAG) # not a comment\nDOCKER_TAG = semi\n")},
	{name: "recipe lines across conditionals", files: mk("itest:\n\techo a\nifdef CI\n\techo ci\nendif\n\techo $(DOCKER_TAG)\nDOCKER_TAG = rc\n")},
	{name: "string functions", files: mk("W = a.c b.o c.c  d\nDOCKER_TAG = $(subst .,-,$(strip $(patsubst %.c,%.x,$(filter %.c %.o,$(W)))))|$(filter-out %.c,$(W))|$(findstring b,$(W))|$(sort z a z b)|$(word 2,$(W))|$(words $(W))|$(wordlist 2,3,$(W))|$(firstword $(W))|$(lastword $(W))\n")},
	{name: "file name functions", files: mk("F = src/a.c dir/b.tar.gz c\nDOCKER_TAG = $(dir $(F))|$(notdir $(F))|$(suffix $(F))|$(basename $(F))|$(addsuffix .x,$(F))|$(addprefix p/,$(F))|$(join a b c,1 2)\n")},
	{name: "conditional functions", files: mk("E =\nDOCKER_TAG = $(if $(E),yes,no)|$(or $(E),,first,second)|$(and a,b,c)|$(and a,$(E),c)|$(if x,then)\n")},
	{name: "foreach and call", files: mk("pair = $(1)=$(2)\nDOCKER_TAG = $(foreach x,a b c,<$(x)>)|$(call pair,k,v)|$(call pair,only)\n")},
	{name: "a recursive call", files: mk("rev = $(if $(1),$(call rev,$(wordlist 2,$(words $(1)),$(1))) $(firstword $(1)))\nDOCKER_TAG = $(strip $(call rev,a b c))\n")},
	{name: "value, origin and flavor", files: mk("A = $(B)\nB := b\nDOCKER_TAG = $(value A)|$(origin A)|$(origin B)|$(origin NOPE)|$(flavor A)|$(flavor B)|$(flavor NOPE)|$(origin MAKE)\n")},
	{name: "eval defines variables and rules", files: mk("define TMPL\n$(1):\n\techo $(1) $$(DOCKER_TAG)\nendef\n$(foreach t,test itest,$(eval $(call TMPL,$(t))))\n$(eval DOCKER_TAG ?= evald)\n")},
	{name: "info and warning print and expand to nothing", files: mk("DOCKER_TAG = a$(info hello)b$(warning careful)c\n")},
	{name: "substitution references", files: mk("S = a.c b.c\nDOCKER_TAG = $(S:.c=.o)|$(S:%.c=x%)\n")},
	{name: "computed variable names", files: mk("which = TAG\nv_TAG = computed\nDOCKER_TAG = $(v_$(which))\n")},
	{name: "single-letter references and dollar escapes", files: mk("x = X\nDOCKER_TAG = $x$$y${x}\n")},
	{name: "include reads another file", files: map[string]string{"Makefile": "include mk/docker.mk\ntest:\n\techo\n", "mk/docker.mk": "DOCKER_TAG ?= from-include\ncook-image:\n\tdocker build -t $(DOCKER_TAG) .\n"}},
	{name: "an optional include of a missing file", files: mk("-include missing.mk\nsinclude also-missing.mk\nDOCKER_TAG ?= x\n")},
	{name: "include with a wildcard", files: map[string]string{"Makefile": "include mk/*.mk\n", "mk/a.mk": "DOCKER_TAG ?= a\n", "mk/b.mk": "DOCKER_TAG += b\n"}},
	{name: "wildcard sees the files", files: map[string]string{"Makefile": "DOCKER_TAG = $(wildcard *.txt)|$(wildcard nope*)\n", "b.txt": "", "a.txt": ""}},
	{name: "shell output is unknown", files: mk("DOCKER_TAG ?= $(shell echo from-shell)\n"), diverge: map[string]string{"docker_tag.default": "make runs the shell; contractbot never does and reports the default as unknown"}},
	{name: "bang-equals output is unknown", files: mk("DOCKER_TAG != echo bang\n"), diverge: map[string]string{"docker_tag.default": "make runs the shell; contractbot never does"}},
	{name: "a conditional on shell output", files: mk("ifeq ($(shell :; echo x),x)\nDOCKER_TAG = shelly\nendif\ntest:\n\t@true\n"),
		diverge: map[string]string{"docker_tag.defined": "the branch taken depends on the shell's output; contractbot evaluates $(shell) as empty and marks only what the taken branch assigns as shell-dependent"}},
	{name: "undefine removes a variable", files: mk("DOCKER_TAG = x\nundefine DOCKER_TAG\n")},
	{name: "private and override modifiers", files: mk("override private DOCKER_TAG = po\n")},
	{name: "variable names that look like directives", files: mk("export = e\nifdef = i\nDOCKER_TAG = $(export)$(ifdef)\n")},
	{name: "a later recipe overrides an earlier one", files: mk("itest:\n\techo $(DOCKER_TAG)\nitest:\n\techo plain\n")},
	{name: "prerequisites accumulate over several rules", files: mk("itest: a\nitest: b\n\techo itest\nb:\n\techo $(DOCKER_TAG)\n")},
	{name: "prerequisites added to one of several targets stay its own", files: mk("itest cook-image: a\nitest: b\ncook-image:\n\t@true\nitest:\n\t@true\na:\n\t@true\nb:\n\techo $(DOCKER_TAG)\n")},
	{name: "order-only prerequisites", files: mk("itest: | cook-image\n\techo it\ncook-image:\n\tdocker build -t $(DOCKER_TAG) .\n")},
	{name: "automatic variables in recipes", files: mk("itest: $(DOCKER_TAG)\n\techo $@ $< $^\nDOCKER_TAG = dep\ndep:\n\ttrue\n")},
	{name: "mixed implicit and normal rules are all explicit", files: mk("test %.o: b\n\techo $(DOCKER_TAG)\nb:\n\ttrue\n")},
	{name: "grouped targets", files: mk("test itest &:\n\techo both\n")},
	{name: "a DEFAULT rule answers every target", files: mk(".DEFAULT:\n\techo default $@\n")},
	{name: "a cancelled pattern rule", files: mk("%:\n\techo any\n%:\n")},
	{name: "a tab-indented assignment before any rule", files: mk("\tDOCKER_TAG = tabbed\ntest:\n\t@true\n")},
	{name: "spaces-indented recipe read as a rule", files: mk("itest:\n    docker build -t x:$(DOCKER_TAG) .\n")},
	{name: "crlf line endings", files: mk("DOCKER_TAG ?= crlf\r\ntest:\r\n\techo hi\r\n")},
	{name: "a recursive variable with an append", files: mk("A = 1\nDOCKER_TAG = $(A)\nDOCKER_TAG += 2\nA = 3\n")},
	{name: "a simple variable with an append expands immediately", files: mk("A = 1\nDOCKER_TAG := $(A)\nDOCKER_TAG += $(A)\nA = 3\n")},
	{name: "a directory-relative pattern rule", files: mk("%.out: %.in\n\tcp $< $@\nitest: sub/x.out\nsub/x.in:\n\ttouch $@\n")},
	{name: "ifeq with spaces around arguments", files: mk("A = x\nifeq ( $(A) , x )\nDOCKER_TAG = spaced-equal\nelse\nDOCKER_TAG = spaced-differ\nendif\nifeq ($(A), x)\nDOCKER_TAG += second\nendif\n")},
	{name: "abspath and realpath under the working directory", files: map[string]string{"Makefile": "DOCKER_TAG = $(notdir $(abspath sub/../file.txt))|$(notdir $(realpath file.txt))|$(realpath nope)\n", "file.txt": ""}},
	{name: "a canned recipe from a define", files: mk("define BUILD\ndocker build -t $(DOCKER_TAG) .\nendef\nitest:\n\t$(BUILD)\n")},
	{name: "a recipe continuation line refers to the tag", files: mk("itest:\n\tdocker build \\\n\t  -t $(DOCKER_TAG) .\n")},
	{name: "conditionals indented with spaces inside a recipe", files: mk("itest:\n\techo a\n  ifdef X\n\techo b\n  else\n\techo $(DOCKER_TAG)\n  endif\n")},
	{name: "nested parentheses in ifeq", files: mk("X = a b\nifeq ($(filter a,$(X)),a)\nDOCKER_TAG = nested\nendif\n")},
	{name: "a computed ifdef", files: mk("N = DOCKER_TAG\nifdef $(N)\nelse\nDOCKER_TAG = computed-ifdef\nendif\n")},
	{name: "assignments without blanks", files: mk("DOCKER_TAG?=nb\nX:=1\nY+=2\n")},
	{name: "trailing blanks are part of a value", files: mk("DOCKER_TAG = trail  \n")},
	{name: "a tab inside an assignment", files: mk("DOCKER_TAG =\tx\ty\n")},
	{name: "a target-specific export", files: mk("itest: export DOCKER_TAG = ts\nitest:\n\t./run \"$$DOCKER_TAG\"\n")},
	{name: "a target-specific append reaches prerequisites", files: mk("FLAGS = -q\nitest: FLAGS += -t $(DOCKER_TAG)\nitest: cook-image\ncook-image:\n\tdocker build $(FLAGS) .\n")},
	{name: "unexport with no names", files: mk(".EXPORT_ALL_VARIABLES:\nDOCKER_TAG = x\nunexport\n")},
	{name: "an include that exists through -include", files: map[string]string{"Makefile": "-include local.mk\nDOCKER_TAG ?= main\n", "local.mk": "DOCKER_TAG = local\n"}},
	{name: "a wildcard with a ./ prefix", files: map[string]string{"Makefile": "DOCKER_TAG = $(wildcard ./*.txt)\n", "a.txt": ""}},
	{name: "a function in a rule's targets", files: mk("$(subst :,-,te:st): ; echo $(DOCKER_TAG)\n$(if x,itest): ; echo it\n")},
	{name: "built-in variables", files: map[string]string{"Makefile": "include b.mk\nfirst: ; @true\nDOCKER_TAG := [$(MAKEFILE_LIST)] [$(origin MAKE)] [$(flavor MAKEFILE_LIST)] [$(origin .RECIPEPREFIX)] [$(.DEFAULT_GOAL)] [$(origin .DEFAULT_GOAL)] [$(SHELL)]\n", "b.mk": "X = 1\n"}},
	{name: "the default goal variable", files: mk(".DEFAULT_GOAL := itest\nitest:\n\techo $(.DEFAULT_GOAL)\n")},
	{name: "an override append", files: mk("override DOCKER_TAG = a\noverride DOCKER_TAG += b\nDOCKER_TAG += c\n")},
	{name: "a comment after else and endif", files: mk("ifdef NOPE # c\nDOCKER_TAG = no\nelse # c\nDOCKER_TAG = yes\nendif # c\n")},
	{name: "suffix list and vpath directives", files: mk(".SUFFIXES:\nvpath %.c src\ntest:\n\t@true\n")},
	{name: "a private target-specific variable", files: mk("itest: private DOCKER_TAG = p\nitest: cook-image\ncook-image:\n\techo $(DOCKER_TAG)\n")},
	{name: "an escaped percent in patsubst", files: mk("DOCKER_TAG = $(patsubst a\\%%,x%,a%b a%c)|$(filter 100\\%,100% 50%)\n")},
	{name: "a rule in a branch not taken", files: mk("ifdef NOPE\nfoo:\nendif\n\tDOCKER_TAG = after\n")},
	{name: "a tab line after an assignment that follows a rule", files: mk("a:\n\t@true\nX = 1\n\tDOCKER_TAG = tabbed\n")},
	{name: "the self-documenting help idiom", files: mk(".DEFAULT_GOAL := help\nhelp: ## show this help\n\t@grep -E '^[a-zA-Z_-]+:.*?## .*$$' $(MAKEFILE_LIST) | awk 'BEGIN {FS = \":.*?## \"}; {printf \"%-20s %s\\n\", $$1, $$2}'\ntest: ## run tests\n\tgo test ./...\nitest: cook-image ## system tests\ncook-image: ## build\n\tdocker build -t \"$(DOCKER_TAG)\" .\nDOCKER_TAG ?= h\n")},
	{name: "an optional .env file exported", files: map[string]string{"Makefile": "ifneq (,$(wildcard ./.env))\n    include .env\n    export\nendif\nDOCKER_TAG ?= dflt\n", ".env": "DOCKER_TAG=from-dotenv\n"}},
	{name: "a catch-all rule swallowing unknown goals", files: mk("%:\n\t@:\ntest:\n\tgo test\n")},
	{name: "shell and path settings", files: mk("SHELL := /bin/bash\n.SHELLFLAGS := -eu -o pipefail -c\nMAKEFLAGS += --no-print-directory\n.ONESHELL:\nexport PATH := $(CURDIR)/bin:$(PATH)\nDOCKER_TAG ?= $(firstword $(subst /, ,x/y))\n")},
	{name: "special characters in the value", files: mk("DOCKER_TAG = it's \"quoted\" \\ back\n")},
	// Issue 14: T is the contract in three lines.
	{name: "itest needs a cook-image that has no rule", files: mk("DOCKER_TAG ?= v\ntest: ; @echo t\nitest: cook-image ; @echo i $(DOCKER_TAG)\n")},
	{name: "a test prerequisite that is no file and has no rule", files: mk("test: requirements-dev.txt ; @echo t\n")},
	{name: "a test prerequisite that is a file", files: map[string]string{"Makefile": "test: requirements-dev.txt ; @echo t\n", "requirements-dev.txt": ""}},
	{name: "a prerequisite a built-in rule makes from a file", files: map[string]string{"Makefile": "test: tool ; @echo t\n", "tool.c": "int main(){}\n"}},
	{name: "a hard include of a file that has a rule", files: mk("include gen.mk\ngen.mk: ; @echo X = 1 > $@\n" + issueT)},
	{name: "an error call in the test recipe", files: mk("DOCKER_TAG ?= v\n" + strings.Replace(issueT, "@echo t", "$(error no tests)", 1))},
	{name: "a pattern-specific DOCKER_TAG", files: mk("DOCKER_TAG ?= v\n%: DOCKER_TAG = forced\n" + issueT),
		diverge: map[string]string{"docker_tag.default": "the oracle's probe target is matched by % and sees the pattern-specific value; the analysis reports the global one and lists the pattern-specific assignment (TargetAssignments)",
			"docker_tag.conditional": "as for the default"}},
	{name: "a target-specific export alone is no rule", files: mk("DOCKER_TAG ?= v\ntest: ; @echo t\nitest: export FOO = 1\ncook-image: ; @echo $(DOCKER_TAG)\n")},
	{name: "DOCKER_TAG set only target-specifically", files: mk("itest cook-image: DOCKER_TAG ?= v\n" + issueT)},
	{name: "a tag reached through a simple variable", files: mk("DOCKER_TAG ?= v\nIMAGE := reg/svc:$(DOCKER_TAG)\ntest: ; @echo t\nitest: ; @echo docker build -t $(IMAGE) .\ncook-image: ; @echo docker build -t $(IMAGE) .\n")},
	{name: "a tag used by a sub-make in another directory", files: map[string]string{"Makefile": "DOCKER_TAG ?= v\nexport DOCKER_TAG\ntest: ; @echo t\nitest: ; $(MAKE) -C sub itest\ncook-image: ; $(MAKE) -C sub cook-image\n",
		"sub/Makefile": "itest cook-image: ; @echo docker build -t $(DOCKER_TAG) .\n"}},
	{name: "a UTF-8 byte order mark", files: mk("\ufeffDOCKER_TAG ?= v\n" + issueT)},
	{name: "a line of NUL bytes", files: mk("DOCKER_TAG ?= v\n\x00\x00\x00\n" + issueT)},
	{name: "a NUL in the middle of a line joins the next one", files: mk("DOCKER_TAG ?= v\x00junk\n-x\n" + issueT)},
	{name: "a DOCKER_TAG set by eval", files: mk("$(eval DOCKER_TAG = x)\n" + issueT)},
	// make expands a target-specific := (and a += onto an earlier
	// target-specific :=) at once, in that target's own variables.
	{name: "a target-specific simple assignment sees the target's earlier variables", files: mk("DOCKER_TAG ?= v\nA = g\ncook-image: A = $(DOCKER_TAG)\ncook-image: X := $(A)\n" + tagThroughX)},
	{name: "a target-specific simple assignment sees the target's earlier append", files: mk("DOCKER_TAG ?= v\nA = g\ncook-image: A += $(DOCKER_TAG)\ncook-image: X := $(A)\n" + tagThroughX)},
	{name: "a target-specific append onto a target-specific simple variable expands at once", files: mk("DOCKER_TAG ?= v\ncook-image: X := x\ncook-image: X += $(G)\nG = $(DOCKER_TAG)\n" + tagThroughX)},
	{name: "a pattern-specific append to a global simple variable that refers to itself", files: mk("DOCKER_TAG ?= v\nB := y z\n%-image: B += $(A)-$(B)\ntest: ; @echo t\nitest: cook-image ; @echo i\ncook-image: ; @echo docker build -t $(DOCKER_TAG) $(B) .\n")},
	{name: "a target-specific append to a global simple variable that refers to itself", files: mk("DOCKER_TAG ?= v\nB := y z\ncook-image: B += $(B)\ntest: ; @echo t\nitest: cook-image ; @echo i\ncook-image: ; @echo docker build -t $(DOCKER_TAG) $(B) .\n")},
	{name: "a private conditional DOCKER_TAG", files: mk("private DOCKER_TAG ?= v\n" + issueT)},
	{name: "an exported conditional DOCKER_TAG", files: mk("export DOCKER_TAG ?= v\n" + issueT)},
	{name: "an override conditional DOCKER_TAG", files: mk("override DOCKER_TAG ?= v\n" + issueT)},
	{name: "a private appended DOCKER_TAG", files: mk("private DOCKER_TAG += v\n" + issueT)},
	{name: "a private simple DOCKER_TAG", files: mk("private DOCKER_TAG := v\n" + issueT)},
	{name: "a private DOCKER_TAG made public by a plain assignment", files: mk("private DOCKER_TAG ?= v\nDOCKER_TAG ?= w\n" + issueT)},
	{name: "a DOCKER_TAG of its own origin", files: mk("DOCKER_TAG ?= $(origin DOCKER_TAG)\n" + issueT)},
	{name: "an override DOCKER_TAG of its own origin", files: mk("override DOCKER_TAG += $(origin DOCKER_TAG)\n" + issueT)},
	{name: "a pattern-specific DOCKER_TAG over a private global", files: mk("private DOCKER_TAG = v\n%-image: DOCKER_TAG ?= w\n" + issueT)},
	{name: "a pattern-specific append to a private DOCKER_TAG", files: mk("private DOCKER_TAG = v\n%-image: DOCKER_TAG += w\n" + issueT)},
	{name: "a target-specific DOCKER_TAG refers to itself through a pattern", files: mk("DOCKER_TAG = v\n%-image: DOCKER_TAG += $(DOCKER_TAG)\n" + issueT)},
	{name: "a target-specific simple DOCKER_TAG of a private global", files: mk("private DOCKER_TAG = v\ncook-image: DOCKER_TAG := $(DOCKER_TAG)\n" + issueT)},
	{name: "a conditional target-specific DOCKER_TAG in a conditional", files: mk("ifdef DOCKER_TAG\nDOCKER_TAG = y\nelse\ncook-image: DOCKER_TAG ?= z\nendif\n" + issueT)},
	{name: "an exported DOCKER_TAG made of a private one", files: mk("private A = x\nexport DOCKER_TAG ?= $(A)\n" + issueT)},
	{name: "a DOCKER_TAG that stops make once the pipeline sets it", files: mk("ifndef DOCKER_TAG\nDOCKER_TAG = y z\nelse\nDOCKER_TAG += $(A)-$(B)\nA += $(A)-$(B)\nendif\n" + issueT)},
	{name: "a pattern-specific append make never sets up", files: mk("DOCKER_TAG ?= v\nt%: A := y z\ntest: | a\nB += $(A)-$(B)\nt%: A += $(A)-$(B)\nitest: cook-image ; @echo i\ncook-image: ; @echo docker build -t $(DOCKER_TAG) .\n")},
	{name: "a pattern-specific append that stops a recipe", files: mk("DOCKER_TAG ?= v\nB += $(A)-$(B)\n%-image: A := y z\n%-image: A += $(B)\n" + issueT)},
	// make considers the prerequisites of a rule with a recipe first, so
	// a target both need inherits the variables of that rule's target.
	{name: "a rule with a recipe puts its prerequisites first", files: mk("DOCKER_TAG ?= v\nitest: A += $(A)-$(B)\na: | itest\ncook-image: a\n\t@echo $(A)\ncook-image: b\n\t@echo docker build -t $(DOCKER_TAG) .\nitest: | b\nb:\n\t@echo $(A)\ntest: ; @echo t\n")},
	// A target's ?= is decided when make reads it, whatever the target
	// inherits when it is built; a pattern's looks at the patterns'
	// variables and the global ones only.
	{name: "a target-specific conditional assignment defines what the target inherits", files: mk("DOCKER_TAG ?= v\nitest: X = $(X)\ncook-image: X ?= y\n" + tagThroughX)},
	{name: "a target-specific conditional assignment before the global one defines the variable", files: mk("cook-image: X ?= $(DOCKER_TAG)\nX = g\nDOCKER_TAG ?= v\n" + tagThroughX)},
	{name: "a pattern-specific conditional assignment defines what the target inherits", files: mk("DOCKER_TAG ?= v\nitest: X = $(X)\ncook-%: X ?= y\n" + tagThroughX)},
	{name: "a target-specific append after a conditional assignment that found the global", files: mk("DOCKER_TAG ?= v\nX := g\ncook-image: X ?= y\ncook-image: X += $(G)\nG = $(DOCKER_TAG)\n" + tagThroughX)},
	// A target's ?= that finds a global variable gives it the line's
	// flags: export and private.
	{name: "a target-specific conditional assignment takes a global variable out of the environment", files: mk("DOCKER_TAG ?= v\nexport DOCKER_TAG\nb: DOCKER_TAG ?= x\n" + issueT)},
	{name: "a target-specific exported conditional assignment exports a global variable", files: mk("DOCKER_TAG ?= v\nb: export DOCKER_TAG ?= x\n" + issueT)},
	{name: "a target-specific private conditional assignment makes a global variable private", files: mk("DOCKER_TAG ?= v\nb: private DOCKER_TAG ?= x\n" + issueT)},
	{name: "an exported self-referencing variable stops no recipe once a target's conditional assignment unexports it", files: mk("DOCKER_TAG ?= v\nexport B += $(A)-$(B)\nb: B ?= y z\n" + issueT)},
	// A private global is no parent of any target (variable.c
	// lookup_variable skips it, variable_append too).
	{name: "a target-specific simple assignment does not see a private global", files: mk("DOCKER_TAG ?= v\nprivate A = $(DOCKER_TAG)\ncook-image: X := $(A)\n" + tagThroughX)},
	{name: "a target-specific append does not append to a private global", files: mk("DOCKER_TAG ?= v\nprivate X = $(DOCKER_TAG)\ncook-image: X += x\n" + tagThroughX)},
	{name: "a target-specific conditional assignment sets a variable only a private global has", files: mk("DOCKER_TAG ?= v\nprivate X = g\ncook-image: X ?= $(DOCKER_TAG)\n" + tagThroughX)},
	{name: "a pattern-specific conditional assignment makes a private global visible", files: mk("DOCKER_TAG ?= v\nprivate X = g\ncook-%: X ?= $(DOCKER_TAG)\n" + tagThroughX)},
	{name: "a pattern-specific append does not append to a private global", files: mk("DOCKER_TAG ?= v\nprivate X = $(DOCKER_TAG)\ncook-%: X += x\n" + tagThroughX)},
	{name: "a target-specific append onto a global simple variable expands late", files: mk("DOCKER_TAG ?= v\nX := x\ncook-image: X += $(G)\nG = $(DOCKER_TAG)\n" + tagThroughX)},
}

// tagThroughX is issueT with cook-image's tag reached only through X.
const tagThroughX = "test: ; @echo t\nitest: cook-image ; @echo i\ncook-image: ; @echo docker build -t $(X) .\n"

// issueT is issue 14's "T": the contract in three lines.
const issueT = "test: ; @echo t\nitest: cook-image ; @echo i\ncook-image: ; @echo docker build -t $(DOCKER_TAG) .\n"

// gnuMakeFailCases are makefiles make refuses; the analyser must report an
// error for each.
var gnuMakeFailCases = []gnuCase{
	{name: "missing separator", files: mk("test:\n  echo hi\n")},
	{name: "missing separator with eight spaces", files: mk("test:\n        echo hi\n")},
	{name: "recipe before first target", files: mk("A = 1\n\techo hi\n")},
	{name: "recursive variable referencing itself", files: mk("DOCKER_TAG = $(DOCKER_TAG)-x\nX := $(DOCKER_TAG)\n")},
	{name: "error function at read time", files: mk("ifndef DOCKER_TAG\n$(error DOCKER_TAG is not set)\nendif\n")},
	{name: "missing endif", files: mk("ifdef X\nA = 1\n")},
	{name: "missing endef", files: mk("define X\nA = 1\n")},
	{name: "extraneous endif", files: mk("endif\n")},
	{name: "a hard include of a missing file", files: mk("include nope.mk\n")},
	{name: "a stray endif after the contract", files: mk("DOCKER_TAG ?= v\nendif\n" + issueT)},
	{name: "an unterminated define after the contract", files: mk("DOCKER_TAG ?= v\n" + issueT + "define X\nbody\n")},
	{name: "a top-level error call", files: mk("DOCKER_TAG ?= v\n$(error boom)\n" + issueT)},
	{name: "a hard include of a missing file before the contract", files: mk("DOCKER_TAG ?= v\ninclude nothere.mk\n" + issueT)},
	{name: "a self-referencing variable in DOCKER_TAG", files: mk("A = $(A)\nDOCKER_TAG ?= $(A)\n" + issueT)},
	{name: "unterminated variable reference", files: mk("A = $(B\nX := $(A)\n")},
	{name: "a private exported DOCKER_TAG is still expanded into the environment", files: mk("export DOCKER_TAG = y z\nprivate DOCKER_TAG += $(A)-$(B)\nA += $(A)-$(B)\n" + issueT)},
	{name: "a refused simple assignment to an override variable still expands its value", files: mk("override A += $(A)-$(B)\nA := $(A)\n" + issueT)},
	{name: "a refused append to a simple override variable still expands its value", files: mk("override A := x\nA += $(error boom)\n" + issueT)},
	{name: "a target-specific simple assignment through the target's self-referencing append", files: mk("b: A += $(A)-$(B)\nb: A := $(A)\n" + issueT)},
}

type makeFacts struct {
	failed  string
	dt      varFacts
	targets map[string]string // name -> how ("explicit|phony-only" when make cannot tell)
	uses    map[string]*bool
	builds  map[string]bool // make -n target gets through
}

// probeMakefile is read after the makefile under test and prints what make
// knows about DOCKER_TAG. The ": ;" makes make run the line through
// /bin/sh (whose printf is a builtin): the environment has no PATH.
const probeMakefile = `.RECIPEPREFIX :=
__contractbot_probe:
	@: ; printf '%s\n' 'origin=$(origin DOCKER_TAG)'
	@: ; printf 'exported=%s\n' "$${DOCKER_TAG+yes}"
	@: ; printf 'value=%s|\n' '$(subst ','\'',$(DOCKER_TAG))'
`

func findMake(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("make")
	if err != nil {
		if os.Getenv("CONTRACTBOT_REQUIRE_ITEST") == "1" {
			t.Fatal("GNU make is required (CONTRACTBOT_REQUIRE_ITEST=1) but not installed: apt-get install make")
		}
		t.Skip("GNU make is not installed")
	}
	return p
}

// runMake runs GNU make in dir with exactly env as its environment (env -i).
func runMake(t testing.TB, makePath, dir string, env []string, args ...string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, makePath, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{}, env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("make %v timed out", args)
	}
	return o.String(), e.String(), err
}

// askMake derives the facts from GNU make's own answers.
func askMake(t testing.TB, makePath, dir, makefile string) makeFacts {
	var f makeFacts
	if err := os.WriteFile(filepath.Join(dir, "__probe.mk"), []byte(probeMakefile), 0o644); err != nil {
		t.Fatal(err)
	}
	probe := func(env []string) (kv map[string]string, stdout, stderr string, err error) {
		out, serr, err := runMake(t, makePath, dir, env, "-p", "-f", makefile, "-f", "__probe.mk", "__contractbot_probe")
		kv = map[string]string{}
		for _, l := range strings.Split(out, "\n") {
			if k, v, ok := strings.Cut(l, "="); ok && (k == "origin" || k == "exported") {
				kv[k] = v
			}
		}
		if i := strings.Index(out, "value="); i >= 0 {
			if j := strings.Index(out[i:], "|\n"); j >= 0 {
				kv["value"] = out[i+len("value=") : i+j]
			}
		}
		return kv, out, serr, err
	}
	kv, db, serr, err := probe(nil)
	if err != nil {
		f.failed = serr
		return f
	}
	origin := kv["origin"]
	f.dt.Defined = origin == "file" || origin == "override"
	if f.dt.Defined {
		v := kv["value"]
		f.dt.Default = &v
		f.dt.Exported = kv["exported"] == "yes"
		// A makefile that make stops on once DOCKER_TAG comes from the
		// environment does not accept the pipeline's value either.
		kvEnv, _, _, err := probe([]string{"DOCKER_TAG=fromenv"})
		f.dt.Conditional = err == nil && kvEnv["value"] == "fromenv"
	}
	entries := parseDatabase(db)
	f.targets = map[string]string{}
	f.uses = map[string]*bool{}
	f.builds = map[string]bool{}
	for _, name := range []string{TargetTest, TargetItest, TargetCookImage} {
		_, serr, err := runMake(t, makePath, dir, nil, "-n", "-f", makefile, name)
		f.builds[name] = err == nil
		if strings.Contains(serr, "No rule to make target '"+name+"'") {
			f.targets[name] = HowNone
			continue
		}
		e, ok := entries[name]
		switch {
		case ok && e.target && e.phony && !e.hasRecipe && !e.hasDeps:
			f.targets[name] = HowExplicit + "|" + HowPhonyOnly
		case ok && e.target:
			f.targets[name] = HowExplicit
		case ok && e.phony:
			f.targets[name] = HowPhonyOnly
		default:
			f.targets[name] = HowPattern
		}
		out, _, _ := runMake(t, makePath, dir, nil, "-n", "-f", makefile, name, "DOCKER_TAG=__SENTINEL__")
		u := strings.Contains(out, "__SENTINEL__") || strings.Contains(out, "$DOCKER_TAG") || strings.Contains(out, "${DOCKER_TAG}")
		f.uses[name] = &u
	}
	return f
}

type dbEntry struct{ target, phony, hasRecipe, hasDeps bool }

// parseDatabase reads the "# Files" section of make -p.
func parseDatabase(db string) map[string]dbEntry {
	out := map[string]dbEntry{}
	lines := strings.Split(db, "\n")
	in := false
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if l == "# Files" {
			in = true
			continue
		}
		if strings.HasPrefix(l, "# files hash-table stats") {
			break
		}
		if !in || l == "" || l[0] == '#' || l[0] == '\t' {
			continue
		}
		k := strings.IndexByte(l, ':')
		if k <= 0 {
			continue
		}
		name := l[:k]
		e := dbEntry{target: !(i > 0 && lines[i-1] == "# Not a target:")}
		e.hasDeps = strings.TrimSpace(strings.TrimLeft(l[k:], ":")) != ""
		for j := i + 1; j < len(lines) && lines[j] != ""; j++ {
			if strings.HasPrefix(lines[j], "#  Phony target") {
				e.phony = true
			}
			if strings.HasPrefix(lines[j], "\t") {
				e.hasRecipe = true
			}
		}
		out[name] = e
	}
	return out
}

func writeCase(t testing.TB, files map[string]string) string {
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// diffFacts lists the facts on which make and the analysis disagree.
func diffFacts(m makeFacts, a *probed) map[string]string {
	d := map[string]string{}
	dt := a.Var
	str := func(p *string) string {
		if p == nil {
			return "null"
		}
		b, _ := json.Marshal(*p)
		return string(b)
	}
	if m.dt.Defined != dt.Defined {
		d["docker_tag.defined"] = "make " + boolStr(m.dt.Defined) + ", analysis " + boolStr(dt.Defined)
	}
	if m.dt.Defined && dt.Defined {
		if m.dt.Conditional != dt.Conditional {
			d["docker_tag.conditional"] = "make " + boolStr(m.dt.Conditional) + ", analysis " + boolStr(dt.Conditional)
		}
		if str(m.dt.Default) != str(dt.Default) {
			d["docker_tag.default"] = "make " + str(m.dt.Default) + ", analysis " + str(dt.Default)
		}
		if m.dt.Exported != dt.Exported {
			d["docker_tag.exported"] = "make " + boolStr(m.dt.Exported) + ", analysis " + boolStr(dt.Exported)
		}
	}
	for name, how := range m.targets {
		got := a.Targets[name].How
		if !slices.Contains(strings.Split(how, "|"), got) {
			d["targets."+name] = "make " + how + ", analysis " + got
		}
		if m.builds[name] != a.Targets[name].Builds {
			d["builds."+name] = "make " + boolStr(m.builds[name]) + ", analysis " + boolStr(a.Targets[name].Builds)
		}
		gotUses := a.Targets[name].Uses
		if !m.builds[name] {
			// make -n stops before printing the recipes: it cannot say
			// what they refer to.
			continue
		}
		if (m.uses[name] == nil) != (gotUses == nil) || (gotUses != nil && *gotUses != *m.uses[name]) {
			d["uses."+name] = "make " + ptrStr(m.uses[name]) + ", analysis " + ptrStr(gotUses)
		}
	}
	return d
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func ptrStr(b *bool) string {
	if b == nil {
		return "null"
	}
	return boolStr(*b)
}

func TestAgainstGNUMake(t *testing.T) {
	if testing.Short() && os.Getenv("CONTRACTBOT_REQUIRE_ITEST") != "1" {
		t.Skip("slow: runs GNU make")
	}
	makePath := findMake(t)
	check := func(t *testing.T, c gnuCase, dir string) {
		m := askMake(t, makePath, dir, "Makefile")
		a := probe(t, context.Background(), Config{FS: os.DirFS(dir), Dir: dir}, "Makefile")
		if m.failed != "" {
			t.Fatalf("GNU make refused the makefile:\n%s", m.failed)
		}
		if lim := a.DB.Errors.Limits(); len(lim) > 0 && len(lim) == len(a.DB.Errors) {
			// One of contractbot's own bounds, which make does not have:
			// the analysis says it stopped (makefile.incomplete fails
			// closed) and claims no facts past it.
			t.Logf("analysis stopped at a bound make does not have: %v", lim)
			return
		}
		if len(a.DB.Errors) > 0 {
			t.Errorf("analysis reports errors make does not: %v", a.DB.Errors)
		}
		got := diffFacts(m, a)
		for k, why := range c.diverge {
			if _, ok := got[k]; !ok {
				t.Errorf("known divergence %s (%s) no longer diverges: remove it from the table", k, why)
			}
			delete(got, k)
		}
		for k, v := range got {
			t.Errorf("%s: %s", k, v)
		}
	}
	for _, c := range append(slices.Clone(gnuCases), generatedCases()...) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			check(t, c, writeCase(t, c.files))
		})
	}
	for _, c := range gnuMakeFailCases {
		t.Run("fails/"+c.name, func(t *testing.T) {
			t.Parallel()
			dir := writeCase(t, c.files)
			m := askMake(t, makePath, dir, "Makefile")
			if m.failed == "" {
				t.Fatalf("GNU make accepted the makefile")
			}
			a := probe(t, context.Background(), Config{FS: os.DirFS(dir), Dir: dir}, "Makefile")
			if !a.fails() {
				t.Errorf("make fails but the analysis reports no error; make said:\n%s", lastLines(m.failed, 3))
			}
		})
	}
	fixtures, _ := filepath.Glob(filepath.Join("..", "..", "fixtures", "services", "*", "Makefile"))
	for _, mf := range fixtures {
		dir := filepath.Dir(mf)
		t.Run("fixture/"+filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			tmp := t.TempDir()
			if err := os.CopyFS(tmp, os.DirFS(dir)); err != nil {
				t.Fatal(err)
			}
			m := askMake(t, makePath, tmp, "Makefile")
			if m.failed != "" {
				a := probe(t, context.Background(), Config{FS: os.DirFS(tmp), Dir: tmp}, "Makefile")
				if !a.fails() {
					t.Errorf("make fails but the analysis reports no error; make said:\n%s", lastLines(m.failed, 3))
				}
				return
			}
			check(t, gnuCase{}, tmp)
		})
	}
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(l[max(0, len(l)-n):], "\n")
}

// generatedCases cross every way of assigning DOCKER_TAG with every way of
// wrapping the assignment, and every way of defining itest with every way
// of referring to the tag from a recipe.
func generatedCases() []gnuCase {
	var out []gnuCase
	ops := []string{"=", ":=", "::=", "?=", "+="}
	values := map[string]string{"literal": "svc-dev", "user": "svc-$(USER)-dev", "empty": "", "later": "$(LATER)"}
	wrappers := map[string]func(assign string) string{
		"plain":        func(a string) string { return a + "\n" },
		"ifndef":       func(a string) string { return "ifndef DOCKER_TAG\n" + a + "\nendif\n" },
		"ifeq origin":  func(a string) string { return "ifeq ($(origin DOCKER_TAG),undefined)\n  " + a + "\nendif\n" },
		"override":     func(a string) string { return "override " + a + "\n" },
		"export":       func(a string) string { return "export " + a + "\n" },
		"continued":    func(a string) string { return strings.Replace(a, " ", " \\\n  ", 1) + "\n" },
		"included":     func(a string) string { return "include tag.mk\n" },
		"after a rule": func(a string) string { return "x:\n\t@true\n" + a + "\n" },
	}
	for _, op := range ops {
		for vname, v := range values {
			for wname, wrap := range wrappers {
				assign := "DOCKER_TAG " + op + " " + v
				files := map[string]string{"Makefile": wrap(assign) + "LATER = later\n"}
				if wname == "included" {
					files["tag.mk"] = assign + "\n"
				}
				out = append(out, gnuCase{name: fmt.Sprintf("generated/assign %s %s %s", wname, op, vname), files: files})
			}
		}
	}
	defs := map[string]string{
		"explicit":       "itest:\n\t%s\n",
		"double-colon":   "itest::\n\t@true\nitest::\n\t%s\n",
		"static":         "itest: %%: %%.in\n\t%s\n%%.in:\n\t@true\n",
		"pattern":        "%%test:\n\t%s\n",
		"match-anything": "%%:\n\t%s\n",
		"phony-only":     ".PHONY: itest\nunused:\n\t%s\n",
		"eval":           "define R\nitest:\n\t%s\nendef\n$(eval $(value R))\n",
		"inline":         "itest: ; %s\n",
		"prerequisite":   "itest: cook-image\ncook-image:\n\t%s\n",
		"order-only":     "itest: | cook-image\n\t@true\ncook-image:\n\t%s\n",
		"none":           "other:\n\t%s\n",
	}
	refs := map[string]string{
		"parens":       "docker build -t $(DOCKER_TAG) .",
		"braces":       "docker build -t ${DOCKER_TAG} .",
		"shell var":    "./itest.sh \"$$DOCKER_TAG\"",
		"shell braces": "echo $${DOCKER_TAG}",
		"indirect":     "docker build -t $(IMAGE) .",
		"computed":     "docker build -t $($(WHICH)) .",
		"sub-make":     "$(MAKE) build-image",
		"nothing":      "pytest tests",
		"other var":    "docker build -t $(DOCKER_TAGS) .",
	}
	for dname, d := range defs {
		for rname, r := range refs {
			src := "DOCKER_TAG ?= t\nIMAGE = reg/x:$(DOCKER_TAG)\nWHICH = DOCKER_TAG\n" + fmt.Sprintf(d, r) +
				"build-image:\n\tdocker build -t $(DOCKER_TAG) .\n"
			out = append(out, gnuCase{name: fmt.Sprintf("generated/itest %s %s", dname, rname), files: mk(src)})
		}
	}
	return out
}

// genMakefile turns fuzz input into a small makefile of constructs the
// analyser claims to model: assignments of every flavour (plain, override,
// export), conditionals, rules with prerequisites and recipes, .PHONY and
// target- and pattern-specific assignments (never a pattern matching the
// oracle's probe target, __contractbot_probe). It never generates $(shell),
// != or $(file), and recipes only echo: make runs with -q and -n.
func genMakefile(in []byte) string {
	vars := []string{"A", "B", tagVar}
	values := []string{"x", "$(A)", "$(B)", "", "y z", "$(A)-$(B)", "$(filter x%,$(A) xy)", "$(origin " + tagVar + ")"}
	ops := []string{"=", ":=", "?=", "+="}
	targets := []string{TargetTest, TargetItest, TargetCookImage, "a", "b"}
	pick := func(i int, list []string) string { return list[i%len(list)] }
	var b strings.Builder
	depth := 0
	for len(in) >= 3 && b.Len() < 2000 {
		k, x, y := int(in[0]), int(in[1]), int(in[2])
		in = in[3:]
		switch k % 10 {
		case 0, 1:
			fmt.Fprintf(&b, "%s %s %s\n", pick(x, vars), pick(y, ops), pick(y/4, values))
		case 2:
			mod := pick(x, []string{"override", "export", "private"})
			fmt.Fprintf(&b, "%s %s %s %s\n", mod, pick(x/3, vars), pick(y, ops), pick(y/4, values))
		case 3:
			fmt.Fprintf(&b, "%s: %s\n\t@echo %s\n", pick(x, targets), pick(y, targets), pick(y/5, values))
		case 4:
			fmt.Fprintf(&b, "%s:\n\t@echo %s\n", pick(x, targets), pick(y, values))
		case 5:
			fmt.Fprintf(&b, ".PHONY: %s\n", pick(x, targets))
		case 6:
			fmt.Fprintf(&b, "%s: %s %s %s\n", pick(x, append([]string{"t%", "%-image"}, targets...)), pick(x/7, vars), pick(y, ops), pick(y/4, values))
		case 7:
			if depth < 3 {
				depth++
				fmt.Fprintf(&b, "%s\n", pick(x, []string{"ifdef " + pick(y, vars), "ifndef " + pick(y, vars), "ifeq ($(" + pick(y, vars) + ")," + pick(y/3, values) + ")"}))
			}
		case 8:
			if depth > 0 {
				b.WriteString(pick(x, []string{"endif\n", "else\n"}))
				if strings.HasSuffix(b.String(), "endif\n") {
					depth--
				}
			}
		case 9:
			fmt.Fprintf(&b, "%s: | %s\n", pick(x, targets), pick(y, targets))
		}
	}
	for ; depth > 0; depth-- {
		b.WriteString("endif\n")
	}
	return b.String()
}

// FuzzAgainstGNUMake runs generated makefiles through the analyser and GNU
// make (`make -p -q` and `make -n` in a temporary directory) and compares
// what each says: whether make stops, which targets are defined and how,
// whether they build, and DOCKER_TAG's facts. scripts/fuzz runs it in CI.
func FuzzAgainstGNUMake(f *testing.F) {
	if testing.Short() && os.Getenv("CONTRACTBOT_REQUIRE_ITEST") != "1" {
		f.Skip("slow: runs GNU make")
	}
	makePath := findMake(f)
	f.Add([]byte{0, 2, 8, 3, 1, 0, 4, 2, 1, 5, 0, 0})
	f.Add([]byte{6, 0, 0, 7, 2, 1, 0, 2, 0, 8, 1, 0, 3, 1, 4})
	f.Add([]byte{2, 2, 1, 9, 1, 2, 4, 2, 2, 6, 3, 8})
	f.Fuzz(func(t *testing.T, in []byte) {
		src := genMakefile(in)
		dir := writeCase(t, mk(src))
		m := askMake(t, makePath, dir, "Makefile")
		a := probe(t, context.Background(), Config{FS: os.DirFS(dir), Dir: dir}, "Makefile")
		if m.failed != "" {
			if !a.fails() {
				t.Fatalf("make stops, the analysis does not:\n%s\nmake said:\n%s", src, lastLines(m.failed, 3))
			}
			return
		}
		if len(a.DB.Errors) > 0 {
			t.Fatalf("the analysis reports errors make does not: %v\n%s", a.DB.Errors, src)
		}
		for k, v := range diffFacts(m, a) {
			t.Errorf("%s: %s", k, v)
		}
		if t.Failed() {
			t.Logf("makefile:\n%s", src)
		}
	})
}
