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
			"groups Jenkins deploys to, and `paasta check` also requires a security-check step. Add deploy.yaml " +
			"with a `pipeline:` of steps (itest, security-check, push-to-registry, then one step per deploy group).",
		Run: runDeployYAML,
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
		p.Reportf(name, 1, "no deploy.yaml, so the service cannot be deployed: add %s with a pipeline (itest, security-check, push-to-registry, then one step per deploy group)", p.SOAPath(name))
		return nil
	}
	if f.Err != nil {
		unloadable(p, f, "its security-check step")
		return nil
	}
	d := soa.DeployFromNode(f.Path, f.Root)
	if !d.HasStep("security-check") {
		at := f.Root.KeyNode("pipeline")
		p.Reportf(f.Path, line(at), "the pipeline has no security-check step, which paasta check requires: add `- step: security-check` after the itest step")
	}
	return nil
}
