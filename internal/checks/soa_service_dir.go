package checks

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/contractbot/contractbot/internal/soa"
)

func soaServiceDirRule() *Rule {
	return &Rule{
		ID: "soa.service-dir", Severity: SeverityError, Needs: NeedsService,
		Title: "the service has no usable directory in yelpsoa-configs",
		Doc: "PaaSTA finds everything about a service in yelpsoa-configs/<service>/: without that directory " +
			"`paasta check` stops at once and nothing can be deployed. Create the directory (a real one, not a " +
			"symbolic link) with service.yaml, deploy.yaml and the instance files; keep it free of links that " +
			"point outside the repository and of thousands of stray files.",
		Source: "paasta check: service_dir_check (C1) and paasta validate: check_service_path (V0a) reject a missing or empty directory (errors); a link inside the tree is a notice (contractbot does not follow it, paasta validate skips it only in its schema check), one leading outside an error",
		Run:    runServiceDir,
	}
}

func runServiceDir(ctx context.Context, p *Pass) error {
	svc, err := soaService(p)
	switch {
	case errors.Is(err, soa.ErrSymlink):
		p.Reportf(p.Service, 1, "%s/ is a symbolic link; contractbot does not follow links (one could lead outside the repository): make it a real directory", p.Service)
		return nil
	case errors.Is(err, fs.ErrNotExist):
		p.Reportf(p.Service, 1, "no directory %s/ in the soa repository, so PaaSTA does not know the service: create yelpsoa-configs/%s/ with service.yaml, deploy.yaml and an instance file", p.Service, p.Service)
		return nil
	case err != nil:
		return err
	}
	if !svc.HasYAML {
		p.Reportf(p.Service, 1, "%s/ has no .yaml file at its top level, so paasta validate refuses it: add service.yaml, deploy.yaml and the instance files", p.Service)
	}
	for _, sk := range svc.Skipped {
		switch {
		case sk.Symlink && sk.Outside:
			p.Reportf(sk.Path, 1, "%s is a symbolic link pointing outside the soa repository: PaaSTA would read whatever it points at on the host it runs on, and contractbot never reads it: replace it with a regular file", sk.Path)
		case sk.Symlink && isInstanceFile(sk.Path, p.Service):
			// paasta validate skips links only in its schema check; the
			// instance loaders follow them, so the link's instances are
			// deployed and their deploy groups count.
			p.Report(Finding{Path: sk.Path, Line: 1, Severity: SeverityNotice,
				Message: fmt.Sprintf("%s is a symbolic link: paasta validate skips it when checking schemas but loads its instances, whose deploy groups must be deploy steps, and contractbot, which does not follow links, checks none of it: make it a regular file (or a YAML anchor) to have it checked", sk.Path)})
		case sk.Symlink:
			p.Report(Finding{Path: sk.Path, Line: 1, Severity: SeverityNotice,
				Message: fmt.Sprintf("%s is a symbolic link, which contractbot does not follow (paasta validate skips links when checking schemas): make it a regular file (or a YAML anchor) to have it checked", sk.Path)})
		default:
			p.Reportf(sk.Path, 1, "%s: %s; remove stray files from the service directory", sk.Path, sk.Reason)
		}
	}
	return nil
}

// isInstanceFile reports whether name (relative to the soa root) is an
// instance file of the service: <type>-<cluster>.yaml at its top level.
func isInstanceFile(name, service string) bool {
	rel, ok := strings.CutPrefix(name, service+"/")
	if !ok || strings.Contains(rel, "/") {
		return false
	}
	typ, _ := soa.InstanceFile(rel)
	return typ != ""
}
