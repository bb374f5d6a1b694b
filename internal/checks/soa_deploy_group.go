package checks

import (
	"context"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"

	"github.com/contractbot/contractbot/internal/soa"
)

func soaDeployGroupRule() *Rule {
	return &Rule{
		ID: "soa.deploy-group", Severity: SeverityError, Needs: NeedsService,
		Title: "instances and deploy.yaml disagree on deploy groups",
		Doc: "PaaSTA deploys an instance from its deploy_group (by default <cluster>.<instance>), which must be a " +
			"deploy step of deploy.yaml's pipeline, or the instance never receives a version. Build steps " +
			"(itest, security-check, push-to-registry, command-*) are never deploy groups. Add the missing step " +
			"or set deploy_group; a step no instance uses is reported as a warning: delete it. With --paasta-config, " +
			"a kubernetes or eks file of a cluster PaaSTA does not know is one warning instead, as PaaSTA ignores its " +
			"instances (paasta validate checks only its schema); without it, every cluster counts as known. No step is called " +
			"unused while an instance file cannot be loaded or is a symbolic link (PaaSTA loads a linked one's instances, " +
			"contractbot does not follow it). " + deployGroupFixDoc,
		Source: "paasta validate: InstanceConfig.validate's deploy_group check (V3, error); paasta check: deployments_check (C12) for steps no instance uses (warning); get_soa_cluster_deploy_files (S0): with --paasta-config, a kubernetes or eks file of a cluster PaaSTA does not know is ignored by both (warning)",
		Run:    runDeployGroup,
	}
}

func runDeployGroup(ctx context.Context, p *Pass) error {
	svc, err := loadedService(p)
	if svc == nil || err != nil {
		return err
	}
	d := deployOf(p, svc, "which deploy groups it deploys")
	if d == nil {
		return nil
	}
	groups := d.DeployGroups()
	used := map[string]bool{}
	for _, inst := range svc.Instances() {
		if unknownCluster(p, inst) {
			reportUnknownCluster(p, inst) // PaaSTA ignores its deploy groups
			continue
		}
		group, at, ok := inst.DeployGroup()
		if !ok {
			if at != nil && !schemaChecks(p, inst.File.Rel) {
				p.Reportf(inst.File.Path, line(at), "%s instance %s has deploy_group %s, which must be a string: set it to one of %s", inst.Type, inst.Name, at.Describe(), quoteList(groups))
			}
			if at == nil && inst.Type == "tron" {
				executor, isStr := inst.Config.Get("executor").Str()
				if !isStr {
					executor = "paasta"
				}
				if executor == "paasta" || executor == "spark" {
					p.Reportf(inst.File.Path, inst.Line(), "tron action %s has no deploy_group (neither the action nor its job sets one), which paasta validate requires for executor %s: set deploy_group to one of %s", inst.Name, executor, quoteList(groups))
				}
			}
			continue
		}
		used[group] = true
		if slices.Contains(groups, group) {
			continue
		}
		where := fmt.Sprintf("deploy_group %q", group)
		ln := line(at)
		if at == nil {
			where = fmt.Sprintf("the default deploy group %q (<cluster>.<instance>, as it sets no deploy_group)", group)
			ln = inst.Line()
		}
		switch {
		case d.HasStep(group):
			p.Reportf(inst.File.Path, ln, "%s instance %s uses %s, but %s is a build step of deploy.yaml, never a deploy group: set deploy_group to one of %s", inst.Type, inst.Name, where, group, quoteList(groups))
		default:
			p.Report(Finding{Path: inst.File.Path, Line: ln, SuggestedFixes: append(deployGroupTypoFix(p, inst.File.Path, at, groups), addStepFix(p, d, group)...),
				Message: fmt.Sprintf("%s instance %s uses %s, which is not a step of %s's pipeline, so it is never deployed: add `- step: %s` to deploy.yaml or set deploy_group to one of %s", inst.Type, inst.Name, where, d.Path, group, quoteList(groups))})
		}
	}
	for _, f := range svc.Files {
		if typ, _ := soa.InstanceFile(f.Rel); typ != "" && f.Err != nil {
			// An instance file that cannot be loaded may use any step:
			// soa.yaml-syntax reports it, and no step is called unused.
			return nil
		}
	}
	for _, sk := range svc.Skipped {
		if sk.Symlink && isInstanceFile(sk.Path, p.Service) {
			// PaaSTA follows a linked instance file when it loads
			// instances, so its deploy groups are used; contractbot does
			// not read it (soa.service-dir says so) and cannot tell which.
			return nil
		}
	}
	for _, s := range d.Steps {
		if s.DeployGroup && !used[s.Name] {
			p.Report(Finding{Path: d.Path, Line: s.Line, Severity: SeverityWarning,
				Message: fmt.Sprintf("deploy step %q is not the deploy group of any instance, so deploying to it does nothing: delete the step or point an instance's deploy_group at it", s.Name)})
			used[s.Name] = true // report a repeated step once
		}
	}
	return nil
}

type deployLinesKey struct{}

// stepLine matches a pipeline item written on one line: "  - step: prod".
var stepLine = regexp.MustCompile(`^(\s*)- step: *([^\s#]+) *$`)

// addStepFix is the edit that appends "- step: group" to deploy.yaml's
// pipeline, after its last step, in the same indentation. It is offered
// only when that last step is a one-line item, so the edit cannot land in
// the middle of a step's other keys.
func addStepFix(p *Pass, d *soa.Deploy, group string) []SuggestedFix {
	if len(d.Steps) == 0 {
		return nil
	}
	last := d.Steps[len(d.Steps)-1]
	// Every instance of a missing group gets this fix: read the file once.
	lines, err := Memo(p, deployLinesKey{}, func() ([]string, error) {
		data, err := fs.ReadFile(p.SOA, d.Path)
		return strings.Split(string(data), "\n"), err
	})
	if err != nil {
		return nil
	}
	if last.Line < 1 || last.Line > len(lines) {
		return nil
	}
	m := stepLine.FindStringSubmatch(strings.TrimSuffix(lines[last.Line-1], "\r"))
	if m == nil || m[2] != last.Name {
		return nil
	}
	if last.Line < len(lines) {
		next := lines[last.Line]
		if trimmed := strings.TrimLeft(next, " "); trimmed != "" && len(next)-len(trimmed) > len(m[1]) {
			return nil // the last step has more keys on the lines below
		}
	}
	return []SuggestedFix{LineFix(fmt.Sprintf("add deploy group %s to the pipeline", group), d.Path, last.Line, last.Line,
		lines[last.Line-1]+"\n"+m[1]+"- step: "+group+"\n")}
}
