package checks

import (
	"fmt"
	"strings"

	"github.com/contractbot/contractbot/internal/makefile"
)

// targetRule is a rule requiring the Makefile to answer `make target`;
// makefile.test, makefile.itest and makefile.cook-image are made by it,
// each in its own file.
func targetRule(id, target string, sev Severity, must, why, what string) *Rule {
	return &Rule{
		ID:       id,
		Severity: sev,
		Needs:    NeedsRepo,
		Title:    fmt.Sprintf("the Makefile %s answer make %s", must, target),
		Doc: fmt.Sprintf("The PaaSTA contract says the Makefile %s answer `make %s`: %s. Every prerequisite of the target must have a rule or be a file in the repository, and its recipe must expand "+
			"without error, or `make %s` stops. A target that is only listed in "+
			".PHONY does nothing, and so does one missing from .PHONY when a file or directory of the same name exists. Add a rule for it "+
			"(`%s:`) whose recipe %s, and list it in .PHONY. %s", strings.ToUpper(must), target, why, target, target, what, targetFixDoc(target)),
		Source: targetSource(target, must),
		Run: withMakefile(withCompleteMakefile(func(p *Pass, in *makefileInput) error {
			t := in.Analysis.Targets[target]
			switch t.How {
			case makefile.HowNone:
				p.Report(Finding{Path: in.Path, Line: 1, SuggestedFixes: missingTargetFix(p, in, target), Message: fmt.Sprintf("the Makefile has no %s target, so `make %s` fails with \"No rule to make target\": add a rule for it (`%s:`) whose recipe %s",
					target, target, target, what)})
			case makefile.HowPhonyOnly:
				p.Report(Finding{Path: t.Path, Line: t.Line, SuggestedFixes: missingTargetFix(p, in, target), Message: fmt.Sprintf("%s is only listed in .PHONY and has no rule, so `make %s` does nothing: add a rule for it (`%s:`) whose recipe %s",
					target, target, target, what)})
			}
			if t.UpToDateFile {
				f := Finding{Path: t.Path, Line: t.Line, Message: fmt.Sprintf("the repository has a file or directory named %s and the %s target is not "+
					".PHONY, so `make %s` answers \"'%s' is up to date\" and runs nothing: declare it with `.PHONY: %s`", target, target, target, target, target)}
				if text := in.Analysis.DB.Line(t.Path, t.Line); text != "" {
					f.SuggestedFixes = []SuggestedFix{LineFix("declare the target phony", t.Path, t.Line, t.Line, ".PHONY: "+target+"\n"+text)}
				}
				p.Report(f)
			}
			if e := t.BuildError; e != nil {
				path, line := errorPlace(in, e)
				p.Reportf(path, line, "`make %s` stops with %q: give every prerequisite of %s a rule or a file in the repository, "+
					"and fix the recipe line that fails to expand", target, e.Msg, target)
			}
			return nil
		})),
	}
}

// targetSource is a target rule's Source: the contract's word for it, and
// the paasta check function that asks make the same question.
func targetSource(target, must string) string {
	sev := "error"
	if must != "must" {
		sev = "warning"
	}
	return fmt.Sprintf("contract: the Makefile %s answer `make %s` (%s); paasta check: makefile_responds_to(%q) (C9-C11) runs `make --question`, which contractbot never runs", strings.ToUpper(must), target, sev, target)
}
