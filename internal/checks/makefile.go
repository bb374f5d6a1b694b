package checks

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/contractbot/contractbot/internal/makefile"
)

// MakefilePath is where the contract expects the Makefile. GNU make reads
// GNUmakefile, then makefile, then Makefile; contractbot analyses whichever
// of them make would read, and reports a missing one as "Makefile".
const MakefilePath = "Makefile"

// makefileKey memoizes the Makefile analysis of one run.
type makefileKey struct{}

// makefileInput is the shared analysis; Analysis is nil without a Makefile.
type makefileInput struct {
	Path     string
	Analysis *makefile.Analysis
}

// analyzeMakefile analyses the repository's Makefile once per run and
// records the result as the "makefile" fact.
func analyzeMakefile(ctx context.Context, p *Pass) (*makefileInput, error) {
	return Memo(p, makefileKey{}, func() (*makefileInput, error) {
		name, err := makefile.FindMakefile(p.Repo)
		if errors.Is(err, fs.ErrNotExist) {
			return &makefileInput{}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("find the Makefile: %w", err)
		}
		a, err := makefile.Analyze(ctx, p.Repo, name)
		if err != nil {
			return nil, fmt.Errorf("analyse %s: %w", name, err)
		}
		p.SetFact("makefile", a.Facts)
		return &makefileInput{Path: name, Analysis: a}, nil
	})
}

// withMakefile wraps a rule body that only applies when there is a Makefile.
func withMakefile(f func(p *Pass, in *makefileInput) error) func(context.Context, *Pass) error {
	return func(ctx context.Context, p *Pass) error {
		in, err := analyzeMakefile(ctx, p)
		if err != nil || in.Analysis == nil {
			return err
		}
		return f(p, in)
	}
}

// makefileRules lists the rules over the service's Makefile.
func makefileRules() []*Rule {
	return []*Rule{
		{
			ID:       "makefile.missing",
			Severity: SeverityError,
			Needs:    NeedsRepo,
			Title:    "the repository has no Makefile",
			Doc: "PaaSTA's build pipeline drives every service through its Makefile: Jenkins runs `make test`, " +
				"`make itest` and `make cook-image` at the repository root. Without a Makefile (GNU make also accepts " +
				"GNUmakefile or makefile) none of them can run. Add a Makefile with `test`, `itest` and `cook-image` " +
				"targets and a `DOCKER_TAG ?= ...` default.",
			Run: func(ctx context.Context, p *Pass) error {
				in, err := analyzeMakefile(ctx, p)
				if err != nil {
					return err
				}
				if in.Analysis == nil {
					p.Reportf(MakefilePath, 1, "no Makefile at the repository root: add one with test, itest and cook-image targets "+
						"and a DOCKER_TAG default (`DOCKER_TAG ?= <service>-$(USER)-dev`)")
				}
				return nil
			},
		},
		{
			ID:       "makefile.tabs",
			Severity: SeverityError,
			Needs:    NeedsRepo,
			Title:    "recipe lines must start with a tab",
			Doc: "GNU make only treats a line as part of a recipe when it starts with a tab (or the .RECIPEPREFIX " +
				"character). A recipe line indented with spaces either stops make with \"missing separator\", or, when " +
				"it contains a colon (`docker build -t img:$(DOCKER_TAG) .`), is silently read as a new rule and never " +
				"runs. Indent every recipe line with a tab; the suggested fix replaces the leading spaces.",
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
						f.Fix = &Fix{Message: "indent the recipe line with a tab", Path: tp.Path, Line: tp.Line, EndLine: tp.EndLine,
							Replacement: "\t" + strings.TrimLeft(first, " \t") + "\n" + rest}
					}
					p.Report(f)
				}
				return nil
			}),
		},
		targetRule("makefile.test", makefile.TargetTest, SeverityError, "must",
			"`make test` runs the service's unit tests in Jenkins before anything is built or deployed",
			"runs the unit tests"),
		targetRule("makefile.itest", makefile.TargetItest, SeverityError, "must",
			"`make itest` builds the service's Docker image tagged $(DOCKER_TAG) and runs the system tests against it; "+
				"the pipeline promotes exactly that image",
			"builds the image tagged $(DOCKER_TAG) (usually by depending on cook-image) and runs the system tests"),
		targetRule("makefile.cook-image", makefile.TargetCookImage, SeverityWarning, "should",
			"`make cook-image` builds the service's Docker image tagged $(DOCKER_TAG) without testing it, which is how "+
				"developers and tools build the image alone",
			"runs `docker build -t $(DOCKER_TAG) .`"),
		{
			ID:       "makefile.docker-tag",
			Severity: SeverityError,
			Needs:    NeedsRepo,
			Title:    "the Makefile must give DOCKER_TAG a non-empty default the environment can override",
			Doc: "The pipeline sets DOCKER_TAG in the environment to name the image it builds, tests and pushes; " +
				"developers rely on the Makefile's default. A plain `DOCKER_TAG = x` or `:=` ignores the environment, " +
				"so Jenkins would test one image and push another name; an undefined or empty DOCKER_TAG makes " +
				"`docker build -t` fail. Write `DOCKER_TAG ?= <service>-$(USER)-dev`; the suggested fix turns a plain " +
				"assignment into `?=`.",
			Run: withMakefile(func(p *Pass, in *makefileInput) error {
				a := in.Analysis
				dt := a.Facts.DockerTag
				switch {
				case !dt.Defined:
					p.Reportf(in.Path, 1, "DOCKER_TAG is not defined: itest and cook-image must tag the image with $(DOCKER_TAG); "+
						"add `DOCKER_TAG ?= <service>-$(USER)-dev` near the top of the Makefile")
				case !dt.Conditional:
					f := Finding{Path: in.Path, Line: 1}
					if as := a.DockerTagAssign; as != nil {
						f.Path, f.Line, f.EndLine = as.Path, as.Line, as.EndLine
						f.Fix = conditionalFix(as)
					}
					f.Message = "DOCKER_TAG is set so that the environment cannot override it (the pipeline sets DOCKER_TAG " +
						"to name the image it builds and pushes): assign the default with `?=`, e.g. `DOCKER_TAG ?= <service>-$(USER)-dev`"
					p.Report(f)
				case dt.Default != nil && strings.TrimSpace(*dt.Default) == "":
					f := Finding{Path: in.Path, Line: 1}
					if as := a.DockerTagLast; as != nil {
						f.Path, f.Line, f.EndLine = as.Path, as.Line, as.EndLine
					}
					f.Message = "DOCKER_TAG defaults to an empty value, so `make itest` outside the pipeline runs " +
						"`docker build -t ''` and fails: give it a default such as `DOCKER_TAG ?= <service>-$(USER)-dev`"
					if as := a.DockerTagLast; as != nil && strings.Contains(as.Text, "$") {
						f.Message = "DOCKER_TAG's default is empty unless the environment sets the variables it is made of: " +
							"start it with the service name, e.g. `DOCKER_TAG ?= <service>-$(USER)-dev`"
					}
					p.Report(f)
				}
				for _, ta := range a.DockerTagTargetAssigns {
					f := Finding{Path: ta.Path, Line: ta.Line, EndLine: ta.EndLine, Fix: conditionalFix(&ta.Assignment),
						Message: fmt.Sprintf("the %s target sets its own DOCKER_TAG, which the environment cannot override, so `make %s` "+
							"ignores the tag the pipeline asks for: use `?=` or drop the target-specific assignment", ta.Target, ta.Target)}
					if ta.Path == "" {
						f.Path, f.Line = in.Path, 1
					}
					p.Report(f)
				}
				return nil
			}),
		},
		{
			ID:       "makefile.itest-docker-tag",
			Severity: SeverityWarning,
			Needs:    NeedsRepo,
			Title:    "make itest should build the image tagged DOCKER_TAG",
			Doc: "The contract's `make itest` builds the image tagged $(DOCKER_TAG) and runs the system tests against " +
				"it, so the image that passed is the image that gets pushed. When neither the itest recipe nor anything " +
				"it depends on refers to DOCKER_TAG, itest tests something else. Make itest depend on cook-image (whose " +
				"recipe runs `docker build -t $(DOCKER_TAG) .`) or use $(DOCKER_TAG) in its recipe.",
			Run: withMakefile(func(p *Pass, in *makefileInput) error {
				t := in.Analysis.Targets[makefile.TargetItest]
				// A phony-only itest is makefile.itest's finding; when make
				// cannot read the Makefile at all, recipes are not reliable.
				if t.How == makefile.HowPhonyOnly || len(in.Analysis.DB.Errors) > 0 || t.UsesDockerTag == nil || *t.UsesDockerTag {
					return nil
				}
				p.Reportf(t.Path, t.Line, "make itest builds nothing tagged $(DOCKER_TAG): make itest depend on cook-image "+
					"(`itest: cook-image`, with cook-image running `docker build -t $(DOCKER_TAG) .`) or use $(DOCKER_TAG) in its recipe")
				return nil
			}),
		},
	}
}

// targetRule is a rule requiring the Makefile to answer `make target`.
func targetRule(id, target string, sev Severity, must, why, what string) *Rule {
	return &Rule{
		ID:       id,
		Severity: sev,
		Needs:    NeedsRepo,
		Title:    fmt.Sprintf("the Makefile %s answer make %s", must, target),
		Doc: fmt.Sprintf("The PaaSTA contract says the Makefile %s answer `make %s`: %s. A target that is only listed in "+
			".PHONY does nothing, and so does one missing from .PHONY when a file or directory of the same name exists. Add a rule for it "+
			"(`%s:`) whose recipe %s, and list it in .PHONY.", strings.ToUpper(must), target, why, target, what),
		Run: withMakefile(func(p *Pass, in *makefileInput) error {
			t := in.Analysis.Targets[target]
			switch t.How {
			case makefile.HowNone:
				p.Reportf(in.Path, 1, "the Makefile has no %s target, so `make %s` fails with \"No rule to make target\": add a rule for it (`%s:`) whose recipe %s",
					target, target, target, what)
			case makefile.HowPhonyOnly:
				p.Reportf(t.Path, t.Line, "%s is only listed in .PHONY and has no rule, so `make %s` does nothing: add a rule for it (`%s:`) whose recipe %s",
					target, target, target, what)
			}
			if t.UpToDateFile {
				f := Finding{Path: t.Path, Line: t.Line, Message: fmt.Sprintf("the repository has a file or directory named %s and the %s target is not "+
					".PHONY, so `make %s` answers \"'%s' is up to date\" and runs nothing: declare it with `.PHONY: %s`", target, target, target, target, target)}
				if text := in.Analysis.DB.Line(t.Path, t.Line); text != "" {
					f.Fix = &Fix{Message: "declare the target phony", Path: t.Path, Line: t.Line, EndLine: t.Line,
						Replacement: ".PHONY: " + target + "\n" + text}
				}
				p.Report(f)
			}
			return nil
		}),
	}
}

// conditionalFix rewrites "[override] [export] DOCKER_TAG = x" (or :=,
// ::=) as "[export] DOCKER_TAG ?= x". It returns nil when the assignment
// cannot be rewritten mechanically (define blocks, $(eval ...), !=), or
// when other assignments of DOCKER_TAG would change what the rewrite means.
func conditionalFix(as *makefile.Assignment) *Fix {
	if !as.Editable || as.Define || !as.Sole {
		return nil
	}
	switch as.Op {
	case makefile.OpRecursive, makefile.OpSimple, makefile.OpPOSIXSimple:
	default:
		return nil
	}
	text := as.Text
	k := strings.Index(text, makefile.DockerTagVar)
	if k < 0 {
		return nil
	}
	j := k + len(makefile.DockerTagVar)
	for j < len(text) && (text[j] == ' ' || text[j] == '\t') {
		j++
	}
	if !strings.HasPrefix(text[j:], string(as.Op)) {
		return nil
	}
	head := text[:k]
	if as.Override {
		head = strings.Replace(head, "override ", "", 1)
	}
	return &Fix{
		Message:     "make DOCKER_TAG overridable from the environment",
		Path:        as.Path,
		Line:        as.Line,
		EndLine:     as.EndLine,
		Replacement: head + text[k:j] + string(makefile.OpConditional) + text[j+len(as.Op):],
	}
}
