package checks

import "github.com/contractbot/contractbot/internal/makefile"

func makefileParseRule() *Rule {
	return &Rule{
		ID:       "makefile.parse",
		Severity: SeverityError,
		Needs:    NeedsRepo,
		Title:    "the Makefile must be one GNU make can read",
		Doc: "When GNU make stops while reading the Makefile (a missing or stray `endif`, an unterminated `define`, " +
			"`$(error ...)` outside a recipe, an `include` of a file that neither exists nor has a rule, a recursive " +
			"variable that refers to itself, ...), every `make` command fails, so `make test`, `make itest` and " +
			"`make cook-image` all fail in the pipeline. The finding quotes make's own message at the line make " +
			"stops on; `make -n` shows the same error. Fix that line. (Lines indented with spaces instead of a tab " +
			"are makefile.tabs' findings.)",
		Source: "contract: make test and make itest MUST work, which they cannot when GNU make cannot read the Makefile (error); paasta check: makefile_responds_to (C9-C11) fails on make's exit 2 too",
		Run: withMakefile(func(p *Pass, in *makefileInput) error {
			for _, e := range in.Analysis.ReadErrors {
				path, line := errorPlace(in, e)
				p.Reportf(path, line, "GNU make stops reading the Makefile here with %q, so every make target fails: "+
					"fix this line (`make -n` shows the same error)", e.Msg)
			}
			return nil
		}),
	}
}

// errorPlace is where a finding about a makefile error points: the line
// make names, or the makefile's first line when that is no file in the
// repository.
func errorPlace(in *makefileInput, e *makefile.Error) (string, int) {
	if e.Pos.Filename == "" || in.Analysis.DB.Line(e.Pos.Filename, e.Pos.Line) == "" {
		return in.Path, 1
	}
	return e.Pos.Filename, e.Pos.Line
}
