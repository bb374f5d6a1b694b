package checks

import "context"

func makefileMissingRule() *Rule {
	return &Rule{
		ID:       "makefile.missing",
		Severity: SeverityError,
		Needs:    NeedsRepo,
		Title:    "the repository has no Makefile",
		Doc: "PaaSTA's build pipeline drives every service through its Makefile: Jenkins runs `make test`, " +
			"`make itest` and `make cook-image` at the repository root. Without a Makefile (GNU make also accepts " +
			"GNUmakefile or makefile) none of them can run. Add a Makefile with `test`, `itest` and `cook-image` " +
			"targets and a `DOCKER_TAG ?= ...` default. A Makefile only in a subdirectory passes `paasta check` (it searches " +
			"recursively) but not Jenkins: the finding names it.",
		Source: "contract: the repository MUST have a Makefile (error); paasta check: makefile_check (C6) searches recursively, and its subdirectory hit is named in the finding",
		Run: func(ctx context.Context, p *Pass) error {
			in, err := analyzeMakefile(ctx, p)
			if err != nil {
				return err
			}
			if in.Analysis == nil {
				if below := foundBelow(p.Repo, ".", "Makefile", "makefile", "GNUmakefile"); below != "" {
					p.Reportf(MakefilePath, 1, "no Makefile at the repository root: found only at %s, which paasta check's recursive search accepts, but Jenkins runs make at the root: move it there, or add a root Makefile with test, itest and cook-image targets", below)
					return nil
				}
				p.Reportf(MakefilePath, 1, "no Makefile at the repository root: add one with test, itest and cook-image targets "+
					"and a DOCKER_TAG default (`DOCKER_TAG ?= <service>-$(USER)-dev`)")
			}
			return nil
		},
	}
}
