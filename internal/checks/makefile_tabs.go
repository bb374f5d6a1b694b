package checks

import (
	"fmt"
	"strings"
)

func makefileTabsRule() *Rule {
	return &Rule{
		ID:       "makefile.tabs",
		Severity: SeverityError,
		Needs:    NeedsRepo,
		Title:    "recipe lines must start with a tab",
		Doc: "GNU make only treats a line as part of a recipe when it starts with a tab (or the .RECIPEPREFIX " +
			"character). A recipe line indented with spaces either stops make with \"missing separator\", or, when " +
			"it contains a colon (`docker build -t img:$(DOCKER_TAG) .`), is silently read as a new rule and never " +
			"runs. Indent every recipe line with a tab; the suggested fix replaces the leading spaces.",
		Source: "contract: make test and make itest MUST work, and GNU make ignores recipe lines indented with spaces (error); paasta check: makefile_has_a_tab (C7) only looks for one tab anywhere",
		Run: withMakefile(func(p *Pass, in *makefileInput) error {
			for _, tp := range in.Analysis.TabProblems {
				f := Finding{Path: tp.Path, Line: tp.Line, EndLine: tp.EndLine}
				switch {
				case tp.SpaceIndented && tp.MakeError != "":
					f.Message = fmt.Sprintf("recipe line indented with spaces: make stops here with %q; indent it with a tab", tp.MakeError)
				case tp.SpaceIndented:
					f.Message = "line indented with spaces after a rule: make reads it as a new rule, not as part of the recipe, " +
						"so it never runs; indent recipe lines with a tab"
				default:
					f.Message = fmt.Sprintf("make stops here with %q: recipe lines must start with a tab and follow a rule; "+
						"other lines must be assignments, rules or directives", tp.MakeError)
				}
				if tp.SpaceIndented {
					first, rest, _ := strings.Cut(tp.Text, "\n")
					f.SuggestedFixes = []SuggestedFix{LineFix("indent the recipe line with a tab", tp.Path, tp.Line, tp.EndLine,
						"\t"+strings.TrimLeft(first, " \t")+"\n"+rest)}
				}
				p.Report(f)
			}
			return nil
		}),
	}
}
