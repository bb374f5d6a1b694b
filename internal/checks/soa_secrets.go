package checks

import (
	"context"
	"io/fs"
	"path"
	"regexp"

	"github.com/contractbot/contractbot/internal/soa"
)

// secretValue is PaaSTA's SECRET_REGEX.
var secretValue = regexp.MustCompile(`^(SHARED_)?SECRET\(([A-Za-z0-9_-]*)\)$`)

func soaSecretsRule() *Rule {
	return &Rule{
		ID: "soa.secrets", Severity: SeverityError, Needs: NeedsService,
		Title: "an env value names a secret that has no file",
		Doc: "An env value SECRET(name) (or SHARED_SECRET(name)) makes PaaSTA inject a vault secret from " +
			"<service>/secrets/<name>.json (or _shared/secrets/<name>.json); `paasta validate` fails when that " +
			"file does not exist, and the instance would start without the secret. Add the secret with " +
			"`paasta secret add` or fix the name.",
		Source: "paasta validate: validate_secrets (V6): the secret file must exist (error)",
		Run:    runSecrets,
	}
}

func runSecrets(ctx context.Context, p *Pass) error {
	svc, err := loadedService(p)
	if svc == nil || err != nil {
		return err
	}
	checked := map[string]bool{}
	for _, inst := range svc.Instances() {
		env := inst.Config.Get("env")
		if env == nil || env.Kind != soa.KindMap {
			continue
		}
		owner := p.Service
		if s, ok := inst.Config.Get("service").Str(); ok && s != "" {
			owner = s
		}
		for i, k := range env.Keys {
			v, ok := env.Values[i].Str()
			if !ok {
				continue
			}
			m := secretValue.FindStringSubmatch(v)
			if m == nil {
				continue
			}
			file := path.Join(owner, "secrets", m[2]+".json")
			if m[1] != "" {
				file = path.Join("_shared", "secrets", m[2]+".json")
			}
			ok, seen := checked[file]
			if !seen {
				_, err := fs.Stat(p.SOA, file)
				ok = err == nil
				checked[file] = ok
			}
			if !ok {
				p.Reportf(inst.File.Path, line(env.Values[i]), "env %s of instance %s uses %s, but %s does not exist, so paasta validate fails and the secret is never injected: add it with `paasta secret add` or fix the name", k.Text, inst.Name, v, file)
			}
		}
	}
	return nil
}
