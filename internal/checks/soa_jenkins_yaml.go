package checks

import (
	"context"
	"io/fs"
	"path"
)

func soaJenkinsYAMLRule() *Rule {
	return &Rule{
		ID: "soa.jenkins-yaml", Severity: SeverityWarning, Needs: NeedsService,
		Title: "jenkins.yaml is missing",
		Doc: "The contract says a service SHOULD have a jenkins.yaml, which sets up the Jenkins jobs that build, " +
			"itest and push the image and run the deploy pipeline. Add yelpsoa-configs/<service>/jenkins.yaml " +
			"(or jenkins.yaml at the root of the service repository). " + jenkinsYAMLFixDoc,
		Source: "contract: a service SHOULD have a jenkins.yaml (warning); no PaaSTA check reads it",
		Run:    runJenkinsYAML,
	}
}

func runJenkinsYAML(ctx context.Context, p *Pass) error {
	svc, err := loadedService(p)
	if svc == nil || err != nil {
		return err
	}
	if svc.File("jenkins.yaml") != nil {
		return nil
	}
	if p.Repo != nil {
		if _, err := fs.Stat(p.Repo, "jenkins.yaml"); err == nil {
			return nil
		}
	}
	p.Reportf(path.Join(p.Service, "jenkins.yaml"), 1, "no jenkins.yaml: the contract says the service should have one so that Jenkins builds, itests and pushes its image; add %s", p.SOAPath(path.Join(p.Service, "jenkins.yaml")))
	return nil
}
