package checks

import (
	"fmt"
	"io/fs"
	"regexp"
	"strings"

	"github.com/contractbot/contractbot/internal/makefile"
)

// The mechanical fixes of the makefile.* rules that add or change a line,
// beyond rewriting one line in place (conditionalFix, the tab fix). Each
// is offered only when contractbot knows what GNU make would do with the
// result: make can read the Makefile (no errors, no missing include that
// could define the same names), and the recipe prefix is a tab.
//
// The heuristics, also in docs/rules.md:
//   - DOCKER_TAG undefined: `DOCKER_TAG ?= <service>-$(USER)-dev` goes
//     after the Makefile's leading comment block; an empty `DOCKER_TAG ?=`
//     gets that value.
//   - cook-image missing: appended as `docker build -t $(DOCKER_TAG) .`,
//     only when there is a Dockerfile at the root and DOCKER_TAG is
//     defined.
//   - itest building nothing tagged $(DOCKER_TAG): `itest:` gets
//     cook-image as its first prerequisite, only when cook-image exists
//     and uses DOCKER_TAG and the itest rule line names itest alone with
//     plain prerequisites.
//   - test or itest missing: a rule depending on the one "obvious
//     equivalent" target the Makefile defines explicitly (testEquivalents,
//     itestEquivalents); with none, or more than one, it stays a finding.

// testEquivalents and itestEquivalents are the target names taken to mean
// `make test` and `make itest` when the Makefile has exactly one of them.
var (
	testEquivalents  = []string{"tests", "unittest", "unittests", "unit-test", "unit-tests", "unit"}
	itestEquivalents = []string{"itests", "integration", "integration-test", "integration-tests", "system-test", "system-tests", "acceptance"}
)

// dockerTagDefault is the default the fixes write, as the rule's doc
// recommends.
func dockerTagDefault(service string) string { return service + "-$(USER)-dev" }

// makefileEditable reports whether fixes may add lines to the Makefile:
// make reads it without error, every include was found, and recipes start
// with a tab.
func makefileEditable(in *makefileInput) bool {
	db := in.Analysis.DB
	if len(db.Errors) > 0 || len(db.MissingIncludes) > 0 {
		return false
	}
	if v := db.Vars[".RECIPEPREFIX"]; v != nil {
		if val, _ := db.Expand("$(.RECIPEPREFIX)"); val != "" {
			return false
		}
	}
	return true
}

// makefileLines returns the Makefile's text split after each newline and
// its number of lines, or ok false when it cannot be read.
func makefileLines(p *Pass, name string) ([]string, int, bool) {
	data, err := fs.ReadFile(p.Repo, name)
	if err != nil {
		return nil, 0, false
	}
	ls := strings.SplitAfter(string(data), "\n")
	if ls[len(ls)-1] == "" {
		ls = ls[:len(ls)-1]
	}
	return ls, len(ls), true
}

// appendFix is a fix that adds text (whole lines) at the end of the
// Makefile, after a blank line.
func appendFix(p *Pass, name, message, text string) []SuggestedFix {
	_, n, ok := makefileLines(p, name)
	if !ok {
		return nil
	}
	return []SuggestedFix{LineFix(message, name, n+1, n, "\n"+text)}
}

// dockerTagMissingFix defines DOCKER_TAG after the Makefile's leading
// comments.
func dockerTagMissingFix(p *Pass, in *makefileInput) []SuggestedFix {
	if !servicePattern.MatchString(p.Service) || !makefileEditable(in) {
		return nil
	}
	ls, n, ok := makefileLines(p, in.Path)
	if !ok {
		return nil
	}
	at := 0
	for at < n {
		l := strings.TrimRight(ls[at], "\r\n")
		continued := at > 0 && strings.HasPrefix(ls[at-1], "#") && oddBackslashes(strings.TrimRight(ls[at-1], "\r\n"))
		if !strings.HasPrefix(l, "#") && !continued {
			break
		}
		at++
	}
	if at > 0 && oddBackslashes(strings.TrimRight(ls[at-1], "\r\n")) {
		return nil // the comment would swallow the new line
	}
	return []SuggestedFix{LineFix("define DOCKER_TAG with a default the environment can override", in.Path, at+1, at,
		DockerTagVar+" ?= "+dockerTagDefault(p.Service)+"\n")}
}

func oddBackslashes(s string) bool {
	n := 0
	for n < len(s) && s[len(s)-1-n] == '\\' {
		n++
	}
	return n%2 == 1
}

// emptyDefaultPattern is a conditional assignment of DOCKER_TAG with
// nothing after the operator but an optional comment.
var emptyDefaultPattern = regexp.MustCompile(`^((?:export\s+)?DOCKER_TAG\s*\?=)[ \t]*(#.*)?\n$`)

// dockerTagEmptyFix gives an empty `DOCKER_TAG ?=` the recommended
// default.
func dockerTagEmptyFix(p *Pass, as *makefile.Assignment) []SuggestedFix {
	if as == nil || !as.Editable || as.Define || !as.Sole || as.Op != makefile.OpConditional || !servicePattern.MatchString(p.Service) {
		return nil
	}
	m := emptyDefaultPattern.FindStringSubmatch(as.Text)
	if m == nil {
		return nil
	}
	text := m[1] + " " + dockerTagDefault(p.Service)
	if m[2] != "" {
		text += " " + m[2]
	}
	return []SuggestedFix{LineFix("give DOCKER_TAG a default", as.Path, as.Line, as.EndLine, text+"\n")}
}

// missingTargetFix adds a missing contract target: cook-image as the
// contract's own recipe, test and itest as a rule depending on their one
// obvious equivalent.
func missingTargetFix(p *Pass, in *makefileInput, target string) []SuggestedFix {
	a := in.Analysis
	if !makefileEditable(in) {
		return nil
	}
	phony := ".PHONY: " + target + "\n"
	if a.Targets[target].How == makefile.HowPhonyOnly {
		phony = ""
	}
	switch target {
	case TargetCookImage:
		if _, err := fs.Stat(p.Repo, DockerfilePath); err != nil || !a.Facts.DockerTag.Defined {
			return nil
		}
		return appendFix(p, in.Path, "add a cook-image target that builds the image tagged $(DOCKER_TAG)",
			phony+"cook-image:\n\tdocker build -t $(DOCKER_TAG) .\n")
	case TargetTest, TargetItest:
		cands := testEquivalents
		if target == TargetItest {
			cands = itestEquivalents
		}
		var found []string
		for _, c := range cands {
			if a.DB.How(c) == makefile.HowExplicit {
				found = append(found, c)
			}
		}
		if len(found) != 1 {
			return nil
		}
		prereqs := found[0]
		if ci := a.Targets[TargetCookImage]; target == TargetItest && !a.DB.References(found[0], DockerTagVar) {
			if ci.UsesDockerTag == nil || !*ci.UsesDockerTag {
				return nil // itest would build no image tagged $(DOCKER_TAG)
			}
			prereqs = TargetCookImage + " " + prereqs
		}
		article := "a"
		if target == TargetItest {
			article = "an"
		}
		return appendFix(p, in.Path, fmt.Sprintf("add %s %s target that runs %s", article, target, found[0]),
			phony+target+": "+prereqs+"\n")
	}
	return nil
}

// itestRuleLine is a rule line naming itest alone, with plain
// prerequisites and no recipe, variable or order-only part on it.
var itestRuleLine = regexp.MustCompile(`^itest[ \t]*:([ \t][^;=|#%\\:]*)?(#.*)?\r?\n$`)

// itestCookImageFix makes itest depend on cook-image.
func itestCookImageFix(in *makefileInput, t TargetInfo) []SuggestedFix {
	a := in.Analysis
	ci := a.Targets[TargetCookImage]
	if t.How != makefile.HowExplicit || ci.How != makefile.HowExplicit || ci.UsesDockerTag == nil || !*ci.UsesDockerTag || !makefileEditable(in) {
		return nil
	}
	text := a.DB.Line(t.Path, t.Line)
	if !itestRuleLine.MatchString(text) {
		return nil
	}
	i := strings.Index(text, ":")
	return []SuggestedFix{LineFix("make itest depend on cook-image", t.Path, t.Line, t.Line,
		text[:i+1]+" "+TargetCookImage+text[i+1:])}
}

// The fix paragraphs of the rules' docs: what `contractbot fix` changes,
// and when it leaves the finding to the user.
const (
	dockerTagFixDoc = "`contractbot fix` turns a plain assignment into `?=` (keeping its value as the default), gives an " +
		"empty `DOCKER_TAG ?=` the default `<service>-$(USER)-dev`, and adds that line after the Makefile's leading " +
		"comments when DOCKER_TAG is undefined; it changes nothing when make cannot read the Makefile, an include is " +
		"missing, or other assignments of DOCKER_TAG would change what the edit means."
	itestDockerTagFixDoc = "`contractbot fix` adds cook-image as itest's first prerequisite when cook-image exists and " +
		"tags the image with $(DOCKER_TAG) and the `itest:` line names itest alone with plain prerequisites; " +
		"otherwise the finding stays."
)

// targetFixDoc is the fix paragraph of makefile.test, makefile.itest and
// makefile.cook-image.
func targetFixDoc(target string) string {
	switch target {
	case TargetCookImage:
		return "`contractbot fix` appends the contract's `cook-image:` rule (`docker build -t $(DOCKER_TAG) .`) when " +
			"there is a Dockerfile at the root and DOCKER_TAG is defined, and declares a target shadowed by a file .PHONY."
	case TargetTest:
		return "When the Makefile defines exactly one of " + strings.Join(testEquivalents, ", ") + ", `contractbot fix` " +
			"adds `test: <that target>`; with none or several it does not guess. It declares a target shadowed by a file .PHONY."
	}
	return "When the Makefile defines exactly one of " + strings.Join(itestEquivalents, ", ") + ", `contractbot fix` adds " +
		"`itest: cook-image <that target>` (without cook-image when that target already uses DOCKER_TAG, and not at " +
		"all when neither does); with none or several it does not guess. It declares a target shadowed by a file .PHONY."
}
