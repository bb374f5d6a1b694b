package checks

import (
	"context"
	"errors"
	"path"

	"github.com/contractbot/contractbot/internal/soa"
)

func soaYAMLSyntaxRule() *Rule {
	return &Rule{
		ID: "soa.yaml-syntax", Severity: SeverityError, Needs: NeedsService,
		Title: "a soa config file is not loadable YAML",
		Doc: "PaaSTA reads its config files with yaml.safe_load; a file it cannot load breaks `paasta validate` " +
			"(\"Failed to read file\") and every tool that reads the service: an error. jenkins.yaml (read by " +
			"Jenkins) and Mesos-era marathon and chronos files, which no PaaSTA of today reads, only warn. validate " +
			"reads kubernetes and eks files with ruamel.yaml instead, which also refuses a tab between tokens " +
			"(`main:<TAB># comment`, `cpus: 1<TAB>`) that yaml.safe_load skips: an error too. Fix " +
			"the YAML at the reported line; files must be UTF-8, hold one document, stay under 4 MiB and not " +
			"expand aliases without bound.",
		Source: "paasta validate: validate_schema's yaml.safe_load, \"Failed to read file\" (V1, error), and its ruamel.yaml round-trip loader for kubernetes and eks files (error); files PaaSTA never reads (jenkins.yaml, marathon, chronos) warn",
		Run:    runYAMLSyntax,
	}
}

func runYAMLSyntax(ctx context.Context, p *Pass) error {
	svc, err := loadedService(p)
	if svc == nil || err != nil {
		return err
	}
	for _, f := range svc.Files {
		if f.Err == nil {
			continue
		}
		var se *soa.SyntaxError
		kind := soa.FileKind(f.Rel)
		switch {
		case errors.As(f.Err, &se) && kind != "monitoring" && unreadByValidate[kind]:
			warnf(p, f.Path, se.Line, "%s cannot be loaded (%s): %s", path.Base(f.Path), se.Msg, unreadBy(kind))
		case errors.As(f.Err, &se) && se.Limit:
			p.Reportf(f.Path, se.Line, "%s is not checked: %s", path.Base(f.Path), se.Msg)
		case errors.As(f.Err, &se) && se.Ruamel:
			p.Reportf(f.Path, se.Line, "%s cannot be loaded by paasta validate (%s), which then fails with a traceback: replace the tab with spaces", path.Base(f.Path), se.Msg)
		case errors.As(f.Err, &se):
			p.Reportf(f.Path, se.Line, "%s cannot be loaded (%s); PaaSTA's yaml.safe_load fails on it too: fix the YAML at this line", path.Base(f.Path), se.Msg)
		default:
			p.Reportf(f.Path, 1, "%s cannot be read: %v", path.Base(f.Path), f.Err)
		}
	}
	return nil
}

// unreadBy says who reads a file kind paasta validate does not load.
func unreadBy(kind string) string {
	if kind == "jenkins" {
		return "paasta validate does not read it, but Jenkins does, to set up the service's jobs: fix the YAML at this line"
	}
	return "no PaaSTA of today reads this Mesos-era file: delete it, or fix the YAML at this line"
}
