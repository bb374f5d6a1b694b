package checks

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/contractbot/contractbot/internal/soa"
	"github.com/contractbot/contractbot/internal/suggest"
	"github.com/contractbot/contractbot/internal/tron"
)

// The mechanical fixes of the soa.* rules. YAML is edited as text around
// the positions the loader recorded, never by writing the document out
// again, so comments, anchors, merges and key order stay as they are; a
// fix is offered only when the text at those positions is what the fix
// expects (a one-line "- step: x" item, a plain or quoted scalar).
//
// The heuristics, also in docs/rules.md:
//   - security-check missing: `- step: security-check` goes after the
//     pipeline's top-level itest step, else before its first step, so
//     that it runs before any deploy step.
//   - a deploy_group that is not a step: when exactly one deploy group of
//     the pipeline is nearest to it (at most 2 edits), the value is
//     replaced by that group; otherwise the step is added (addStepFix).
//   - a tron action's requires naming no action of its job: when exactly
//     one action is nearest to it (at most 2 edits) and requiring that
//     one makes no cycle, the name is replaced by it.
//   - monitoring.yaml missing: created with the team service.yaml names;
//     with no team known it stays a finding. A missing jenkins.yaml is
//     never created: its jobs are not known.

// soaFileLines returns the lines of a file of the soa tree, without
// their newlines, or nil.
func soaFileLines(p *Pass, name string) []string {
	data, err := fs.ReadFile(p.SOA, name)
	if err != nil {
		return nil
	}
	return strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
}

// stepItem matches a pipeline item written on one line, with an optional
// comment: "  - step: itest # build".
var stepItem = regexp.MustCompile(`^(\s*)- step: *([^\s#]+) *(#.*)?$`)

// oneLineStep returns the indentation of the pipeline item on line ln
// when it is written "- step: name" on one line with no keys below it.
func oneLineStep(lines []string, ln int, name string) (string, bool) {
	if ln < 1 || ln > len(lines) {
		return "", false
	}
	m := stepItem.FindStringSubmatch(lines[ln-1])
	if m == nil || m[2] != name {
		return "", false
	}
	if ln < len(lines) {
		next := lines[ln]
		if trimmed := strings.TrimLeft(next, " "); trimmed != "" && len(next)-len(trimmed) > len(m[1]) {
			return "", false
		}
	}
	return m[1], true
}

// securityCheckFix adds the security-check step to deploy.yaml's pipeline.
func securityCheckFix(p *Pass, f *soa.File) []SuggestedFix {
	pipeline := f.Root.Get("pipeline")
	if pipeline == nil || pipeline.Kind != soa.KindSeq || len(pipeline.Items) == 0 {
		return nil
	}
	lines := soaFileLines(p, f.Path)
	const msg = "add the security-check step to the pipeline"
	for _, item := range pipeline.Items {
		step := item.Get("step")
		if name, ok := step.Str(); ok && name == "itest" {
			if indent, ok := oneLineStep(lines, step.Line, name); ok {
				// The itest line is part of the edit, so that a step
				// appended after it (addStepFix) conflicts and comes
				// after security-check in the next round.
				return []SuggestedFix{LineFix(msg, f.Path, step.Line, step.Line, lines[step.Line-1]+"\n"+indent+"- step: security-check\n")}
			}
			return nil
		}
	}
	first := pipeline.Items[0].Get("step")
	name, ok := first.Str()
	if !ok || first.Line < 1 || first.Line > len(lines) {
		return nil
	}
	m := stepItem.FindStringSubmatch(lines[first.Line-1])
	if m == nil || m[2] != name {
		return nil
	}
	return []SuggestedFix{LineFix(msg, f.Path, first.Line, first.Line-1, m[1]+"- step: security-check\n")}
}

// plainGroup is a deploy group that YAML reads as the same string
// without quotes.
var plainGroup = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// deployGroupTypoFix replaces a deploy_group value that is not a step by
// the one deploy group nearest to it, when exactly one is.
func deployGroupTypoFix(p *Pass, file string, at *soa.Node, groups []string) []SuggestedFix {
	best, ok := closeMatch(at, groups, plainGroup)
	if !ok {
		return nil
	}
	return scalarFix(p, file, at, best, fmt.Sprintf("set deploy_group to %s", best))
}

// plainAction is a tron action name (Tron's identifier) that YAML reads as
// the same string without quotes.
var plainAction = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// tronRequiresTypoFix replaces the name in a tron action's requires that
// names no action of the job (at) by the one action nearest to it, when
// exactly one is and requiring it keeps the job valid (ok reports that:
// no cycle, no action requiring itself).
func tronRequiresTypoFix(p *Pass, file string, at *soa.Node, actions []string, ok func(string) bool) []SuggestedFix {
	best, found := closeMatch(at, actions, plainAction)
	if !found || !ok(best) {
		return nil
	}
	return scalarFix(p, file, at, best, fmt.Sprintf("require %s instead of %s", best, at.Text))
}

// registrationTypoFix replaces a registration of the service's own
// namespace that smartstack.yaml lacks (at, "svc.mian") by the one
// namespace nearest to it ("svc.main"), when exactly one is: the
// namespace of an HTTP/TCP service is, by convention, its instance's name.
func registrationTypoFix(p *Pass, file string, at *soa.Node, service string, namespaces []string) []SuggestedFix {
	full := make([]string, 0, len(namespaces))
	for _, ns := range namespaces {
		full = append(full, service+"."+ns)
	}
	best, ok := closeMatch(at, full, plainGroup)
	if !ok {
		return nil
	}
	return scalarFix(p, file, at, best, fmt.Sprintf("register as %s", best))
}

// closeMatch returns the one candidate at most two edits from at's text
// and nearer than every other, when there is exactly one and both are
// plain scalars of pattern plain.
func closeMatch(at *soa.Node, candidates []string, plain *regexp.Regexp) (string, bool) {
	if at == nil || !plain.MatchString(at.Text) {
		return "", false
	}
	best, bestD, ties := "", 3, 0
	for _, c := range candidates {
		switch d := suggest.Distance(at.Text, c); {
		case d == 0:
			return "", false // not a typo of c
		case d < bestD:
			best, bestD, ties = c, d, 1
		case d == bestD:
			ties++
		}
	}
	if best == "" || ties != 1 || !plain.MatchString(best) {
		return "", false
	}
	return best, true
}

// scalarFix replaces the scalar at (plain, or in one kind of quotes, in a
// block or a flow collection) by value, in place.
func scalarFix(p *Pass, file string, at *soa.Node, value, message string) []SuggestedFix {
	lines := soaFileLines(p, file)
	if at.Line < 1 || at.Line > len(lines) {
		return nil
	}
	l := lines[at.Line-1]
	start := at.Column - 1
	if start < 0 || start >= len(l) {
		return nil
	}
	// The scalar as written: plain, or in one kind of quotes.
	quote := ""
	if c := l[start]; c == '"' || c == '\'' {
		quote = string(c)
	}
	written := quote + at.Text + quote
	if !strings.HasPrefix(l[start:], written) {
		return nil
	}
	// What follows a plain scalar must end it: the line's end, a comment,
	// or (in a flow collection) a separator. (YAML reads "x#y" as one
	// scalar, so at.Text already holds a "#" without a space before it.)
	if rest := strings.TrimLeft(l[start+len(written):], " \t"); quote == "" && rest != "" &&
		!strings.HasPrefix(rest, "#") && !strings.HasPrefix(rest, ",") && !strings.HasPrefix(rest, "]") && !strings.HasPrefix(rest, "}") {
		return nil
	}
	return []SuggestedFix{{Message: message, Edits: []TextEdit{{
		Position: Position{Path: file, Line: at.Line, Column: start + 1 + len(quote), EndLine: at.Line, EndColumn: start + 1 + len(quote) + len(at.Text)},
		NewText:  value,
	}}}}
}

// plainTeam is a team name YAML reads as the same string unquoted.
var plainTeam = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]*$`)

// monitoringFileFix creates monitoring.yaml with the team service.yaml
// names.
func monitoringFileFix(p *Pass, service *soa.File) []SuggestedFix {
	if service == nil || service.Err != nil {
		return nil
	}
	team, ok := service.Root.Get("team").Str()
	if !ok || team == "" {
		team, ok = service.Root.Get("monitoring").Get("team").Str()
	}
	if !ok || !plainTeam.MatchString(team) {
		return nil
	}
	name := path.Join(p.Service, "monitoring.yaml")
	return []SuggestedFix{{Message: "add monitoring.yaml with the team service.yaml names", Edits: []TextEdit{{
		Position: Position{Path: name, Line: 1, EndLine: 0}, NewText: "team: " + team + "\n",
	}}}}
}

// The fix paragraphs of the soa rules' docs.
const (
	deployYAMLFixDoc = "`contractbot fix` adds `- step: security-check` after the pipeline's itest step, or first when " +
		"there is none, when those steps are one-line items; a missing deploy.yaml is not created (its deploy groups " +
		"are not known)."
	deployGroupFixDoc = "`contractbot fix` replaces a deploy_group that is at most two edits from exactly one deploy " +
		"group by that group (in place: comments, anchors and merges stay), and otherwise appends the missing step " +
		"after the pipeline's last one-line step."
	monitoringFixDoc = "`contractbot fix` creates a missing monitoring.yaml only when service.yaml names the team; it " +
		"never invents one."
	jenkinsYAMLFixDoc = "`contractbot fix` never creates jenkins.yaml, because what it should hold is not mechanical: " +
		"its jobs are built from the platform's own Jenkins job templates, which neither the service repository nor " +
		"yelpsoa-configs names, and a made-up file would silence this warning while Jenkins still builds nothing."
	registrationFixDoc = "`contractbot fix` replaces a registration of the service's own namespace that smartstack.yaml " +
		"lacks by the one namespace at most two edits from it, when exactly one is."
	tronRequiresFixDoc = "`contractbot fix` replaces a requires entry that names no action of the job by the one action " +
		"at most two edits from it, when exactly one is and requiring it makes no cycle (in place: comments and " +
		"flow lists stay)."
)

// requiresOK returns whether requiring candidate instead of e.Missing
// in e.Action leaves the job's requires with one error fewer: the name
// resolves, and no cycle appears.
func requiresOK(graph []tron.Action, e tron.RequiresError) func(candidate string) bool {
	return func(candidate string) bool {
		if candidate == e.Action {
			return false
		}
		fixed := make([]tron.Action, len(graph))
		for i, a := range graph {
			fixed[i] = tron.Action{Name: a.Name, Requires: slices.Clone(a.Requires)}
			if a.Name == e.Action {
				for k, r := range fixed[i].Requires {
					if r == e.Missing {
						fixed[i].Requires[k] = candidate
					}
				}
			}
		}
		return len(tron.CheckRequires(fixed)) == len(tron.CheckRequires(graph))-1
	}
}
