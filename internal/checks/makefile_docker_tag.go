package checks

import (
	"fmt"
	"strings"

	"github.com/contractbot/contractbot/internal/makefile"
)

func makefileDockerTagRule() *Rule {
	return &Rule{
		ID:       "makefile.docker-tag",
		Severity: SeverityError,
		Needs:    NeedsRepo,
		Title:    "the Makefile must give DOCKER_TAG a non-empty default the environment can override",
		Doc: "The pipeline sets DOCKER_TAG in the environment to name the image it builds, tests and pushes; " +
			"developers rely on the Makefile's default. A plain `DOCKER_TAG = x` or `:=` ignores the environment, " +
			"so Jenkins would test one image and push another name; an undefined or empty DOCKER_TAG makes " +
			"`docker build -t` fail. Write `DOCKER_TAG ?= <service>-$(USER)-dev`; the suggested fix turns a plain " +
			"assignment into `?=`. " + dockerTagFixDoc,
		Source: "contract: itest MUST build the image tagged $DOCKER_TAG, which SHOULD default to <service>-dev-$(USER) (error: the pipeline overrides it); paasta check: makefile_has_docker_tag (C8) only searches the text for `DOCKER_TAG ?=`",
		Run: withMakefile(withCompleteMakefile(func(p *Pass, in *makefileInput) error {
			a := in.Analysis
			dt := a.Facts.DockerTag
			switch {
			case !dt.Defined && taggedByTargets(a):
				// Every target that tags an image sets DOCKER_TAG for
				// itself ("itest cook-image: DOCKER_TAG ?= v").
			case !dt.Defined:
				p.Report(Finding{Path: in.Path, Line: 1, SuggestedFixes: dockerTagMissingFix(p, in), Message: "DOCKER_TAG is not defined: itest and cook-image must tag the image with $(DOCKER_TAG); " +
					"add `DOCKER_TAG ?= <service>-$(USER)-dev` near the top of the Makefile"})
			case a.DockerTagError != nil:
				f := Finding{Path: in.Path, Line: 1}
				if as := a.DockerTagLast; as != nil {
					f.Path, f.Line, f.EndLine = as.Path, as.Line, as.EndLine
				}
				f.Message = fmt.Sprintf("expanding DOCKER_TAG makes make stop with %q, so every recipe that tags the image fails: "+
					"give DOCKER_TAG a value that expands, e.g. `DOCKER_TAG ?= <service>-$(USER)-dev`", a.DockerTagError.Msg)
				p.Report(f)
			case a.DockerTagEnvStop != nil:
				// The makefile accepts the pipeline's value only to stop
				// on it: no ?= would help, so no fix is offered.
				stop := a.DockerTagEnvStop
				f := Finding{Path: in.Path, Line: 1}
				if stop.Pos.Filename != "" && stop.Pos.Line > 0 {
					f.Path, f.Line = stop.Pos.Filename, stop.Pos.Line
				}
				f.Message = fmt.Sprintf("with DOCKER_TAG set in the environment, as the pipeline sets it, make stops with %q, so `make itest` fails in the pipeline: "+
					"make the Makefile read and expand with any DOCKER_TAG value", stop.Msg)
				p.Report(f)
			case !dt.Conditional:
				f := Finding{Path: in.Path, Line: 1}
				if as := a.DockerTagAssign; as != nil {
					f.Path, f.Line, f.EndLine = as.Path, as.Line, as.EndLine
					f.SuggestedFixes = conditionalFix(as)
				}
				f.Message = "DOCKER_TAG is set so that the environment cannot override it (the pipeline sets DOCKER_TAG " +
					"to name the image it builds and pushes): assign the default with `?=`, e.g. `DOCKER_TAG ?= <service>-$(USER)-dev`"
				p.Report(f)
			case dt.Default != nil && strings.TrimSpace(*dt.Default) == "":
				f := Finding{Path: in.Path, Line: 1}
				if as := a.DockerTagLast; as != nil {
					f.Path, f.Line, f.EndLine = as.Path, as.Line, as.EndLine
				}
				f.SuggestedFixes = dockerTagEmptyFix(p, a.DockerTagLast)
				f.Message = "DOCKER_TAG defaults to an empty value, so `make itest` outside the pipeline runs " +
					"`docker build -t ''` and fails: give it a default such as `DOCKER_TAG ?= <service>-$(USER)-dev`"
				if as := a.DockerTagLast; as != nil && strings.Contains(as.Text, "$") {
					f.Message = "DOCKER_TAG's default is empty unless the environment sets the variables it is made of: " +
						"start it with the service name, e.g. `DOCKER_TAG ?= <service>-$(USER)-dev`"
				}
				p.Report(f)
			}
			for _, ta := range a.DockerTagTargetAssigns {
				f := Finding{Path: ta.Path, Line: ta.Line, EndLine: ta.EndLine, SuggestedFixes: conditionalFix(&ta.Assignment),
					Message: fmt.Sprintf("the %s target sets its own DOCKER_TAG, which the environment cannot override, so `make %s` "+
						"ignores the tag the pipeline asks for: use `?=` or drop the target-specific assignment", ta.Target, ta.Target)}
				if ta.Pattern {
					var hit []string
					for _, t := range ContractTargets() {
						if ta.Applies(t) {
							hit = append(hit, t)
						}
					}
					if len(hit) == 0 {
						continue
					}
					f.Message = fmt.Sprintf("the pattern-specific assignment for %s sets DOCKER_TAG for %s, which the environment cannot "+
						"override, so make ignores the tag the pipeline asks for: use `?=` or drop the assignment", ta.Target, strings.Join(hit, ", "))
				}
				if ta.Path == "" {
					f.Path, f.Line = in.Path, 1
				}
				p.Report(f)
			}
			return nil
		})),
	}
}

// taggedByTargets reports whether every contract target whose recipes use
// DOCKER_TAG (at least one) gets a non-empty value from target- or
// pattern-specific assignments, though DOCKER_TAG is not set globally.
func taggedByTargets(a *MakefileAnalysis) bool {
	n := 0
	for _, t := range ContractTargets() {
		info := a.Targets[t]
		if info.UsesDockerTag == nil || !*info.UsesDockerTag {
			continue
		}
		if v, ok := a.DB.ValueFor(t, DockerTagVar); !ok || strings.TrimSpace(v) == "" {
			return false
		}
		n++
	}
	return n > 0
}

// conditionalFix rewrites "[override] [export] DOCKER_TAG = x" (or :=,
// ::=) as "[export] DOCKER_TAG ?= x". It returns no fix when the assignment
// cannot be rewritten mechanically (define blocks, $(eval ...), !=), or
// when other assignments of DOCKER_TAG would change what the rewrite means.
func conditionalFix(as *makefile.Assignment) []SuggestedFix {
	if !as.Editable || as.Define || !as.Sole {
		return nil
	}
	switch as.Op {
	case makefile.OpRecursive, makefile.OpSimple, makefile.OpPOSIXSimple:
	default:
		return nil
	}
	text := as.Text
	k := strings.Index(text, DockerTagVar)
	if k < 0 {
		return nil
	}
	j := k + len(DockerTagVar)
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
	return []SuggestedFix{LineFix("make DOCKER_TAG overridable from the environment", as.Path, as.Line, as.EndLine,
		head+text[k:j]+string(makefile.OpConditional)+text[j+len(as.Op):])}
}
