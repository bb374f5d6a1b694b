package checks

import "github.com/contractbot/contractbot/internal/makefile"

func makefileItestDockerTagRule() *Rule {
	return &Rule{
		ID:       "makefile.itest-docker-tag",
		Severity: SeverityWarning,
		Needs:    NeedsRepo,
		Title:    "make itest should build the image tagged DOCKER_TAG",
		Doc: "The contract's `make itest` builds the image tagged $(DOCKER_TAG) and runs the system tests against " +
			"it, so the image that passed is the image that gets pushed. When neither the itest recipe nor anything " +
			"it depends on refers to DOCKER_TAG, itest tests something else. Make itest depend on cook-image (whose " +
			"recipe runs `docker build -t $(DOCKER_TAG) .`) or use $(DOCKER_TAG) in its recipe. " + itestDockerTagFixDoc,
		Source: "contract: itest MUST build an image tagged $DOCKER_TAG (a warning: contractbot follows the prerequisites and recipes statically and cannot see what a script run by the recipe builds); no PaaSTA check covers it",
		Run: withMakefile(withCompleteMakefile(func(p *Pass, in *makefileInput) error {
			t := in.Analysis.Targets[TargetItest]
			// A phony-only itest is makefile.itest's finding; when make
			// cannot read the Makefile at all, recipes are not reliable.
			if t.How == makefile.HowPhonyOnly || len(in.Analysis.DB.Errors) > 0 || t.UsesDockerTag == nil || *t.UsesDockerTag {
				return nil
			}
			p.Report(Finding{Path: t.Path, Line: t.Line, SuggestedFixes: itestCookImageFix(in, t), Message: "make itest builds nothing tagged $(DOCKER_TAG): make itest depend on cook-image " +
				"(`itest: cook-image`, with cook-image running `docker build -t $(DOCKER_TAG) .`) or use $(DOCKER_TAG) in its recipe"})
			return nil
		})),
	}
}
