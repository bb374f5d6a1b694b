package checks

import (
	"context"
	"path"

	"github.com/contractbot/contractbot/internal/soa"
)

func soaDeployYAMLRule() *Rule {
	return &Rule{
		ID: "soa.deploy-yaml", Severity: SeverityError, Needs: NeedsService,
		Title: "deploy.yaml is missing or has no security-check step",
		Doc: "The contract says yelpsoa-configs/<service>/ MUST contain deploy.yaml: its pipeline lists the deploy " +
			"groups Jenkins deploys to. A missing deploy.yaml, and a pipeline item that is not a mapping with a " +
			"step key (paasta validate fails on it with a traceback), are errors; a pipeline without a " +
			"security-check step is a warning, because only `paasta check` asks for one and PaaSTA deploys " +
			"without it. Add deploy.yaml with a `pipeline:` of steps (itest, security-check, push-to-registry, " +
			"then one step per deploy group); a deploy.yaml only in a subdirectory passes `paasta check`, which searches " +
			"recursively, but PaaSTA never reads it: the finding names it. " + deployYAMLFixDoc,
		Source: "contract: yelpsoa-configs/<service>/ MUST contain deploy.yaml (error); paasta validate: get_pipeline_deploy_groups fails on a step that is not a mapping with step (error); paasta check: deploy_has_security_check (C3, warning)",
		Run:    runDeployYAML,
	}
}

func runDeployYAML(ctx context.Context, p *Pass) error {
	svc, err := loadedService(p)
	if svc == nil || err != nil {
		return err
	}
	name := path.Join(p.Service, "deploy.yaml")
	f := svc.File("deploy.yaml")
	if f == nil {
		for _, sk := range svc.Skipped {
			if sk.Path == name {
				p.Reportf(name, 1, "deploy.yaml is a symbolic link, which contractbot does not follow: make it a regular file so that its pipeline can be checked")
				return nil
			}
		}
		if below := foundBelow(p.SOA, p.Service, "deploy.yaml"); below != "" {
			p.Reportf(name, 1, "no deploy.yaml at the top of the service directory: found only at %s, which paasta check's recursive search accepts, but PaaSTA reads the pipeline from %s alone, so the service cannot be deployed: move it there", p.SOAPath(below), p.SOAPath(name))
			return nil
		}
		p.Reportf(name, 1, "no deploy.yaml, so the service cannot be deployed: add %s with a pipeline (itest, security-check, push-to-registry, then one step per deploy group)", p.SOAPath(name))
		return nil
	}
	if f.Err != nil {
		unloadable(p, f, "its security-check step")
		return nil
	}
	checkPipelineItems(p, f)
	d := soa.DeployFromNode(f.Path, f.Root)
	if !d.HasStep("security-check") {
		at := f.Root.KeyNode("pipeline")
		p.Report(Finding{Path: f.Path, Line: line(at), Severity: SeverityWarning, SuggestedFixes: securityCheckFix(p, f),
			Message: "the pipeline has no security-check step, which paasta check asks for (paasta validate does not): add `- step: security-check` after the itest step"})
	}
	return nil
}

// checkPipelineItems reports pipeline items PaaSTA cannot read: it takes
// item["step"] of every item (and of every item of a parallel: list), so
// an item that is not a mapping, or has no step, makes paasta validate
// fail with a traceback.
func checkPipelineItems(p *Pass, f *soa.File) {
	pipeline := f.Root.Get("pipeline")
	if pipeline == nil || pipeline.Kind != soa.KindSeq {
		return // the deploy schema's (a warning): PaaSTA reads no steps then
	}
	var check func(items []*soa.Node, where string)
	check = func(items []*soa.Node, where string) {
		for _, it := range items {
			switch {
			case it.Kind != soa.KindMap:
				p.Reportf(f.Path, line(it), "%s item %s is not a mapping, which makes paasta validate fail with a traceback: write it as `- step: <name>`", where, it.Describe())
			case where == "pipeline" && it.Get("parallel") != nil:
				if par := it.Get("parallel"); par.Kind == soa.KindSeq {
					check(par.Items, "parallel")
				}
			case it.Get("step") == nil:
				p.Reportf(f.Path, line(it), "a %s item without a step key makes paasta validate fail with a traceback: give it `step: <name>`", where)
			}
		}
	}
	check(pipeline.Items, "pipeline")
}
