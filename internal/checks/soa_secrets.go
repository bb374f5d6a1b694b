package checks

import (
	"context"
	"encoding/json"
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
			"`paasta secret add` or fix the name. With the system configuration (--paasta-config), the file must " +
			"also hold a ciphertext for the vault environment of each cluster that uses it.",
		Source: "paasta validate: validate_secrets (V6): the secret file must exist and, with --paasta-config, hold a ciphertext for the cluster's vault environment (errors)",
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
		if unknownCluster(p, inst) {
			continue // paasta validate's instance checks skip it (soa.deploy-group warns)
		}
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
				continue
			}
			if err := checkVaultEnvironment(p, inst, env.Values[i], k.Text, file); err != nil {
				return err
			}
		}
	}
	return nil
}

type secretFileKey struct{ path string }

// checkVaultEnvironment is the rest of validate_secrets: the cluster must
// have a vault environment (vault_cluster_map), and the secret file a
// ciphertext for it. Without the system configuration it is skipped, and
// soa.system-config says so.
func checkVaultEnvironment(p *Pass, inst *soa.Instance, at *soa.Node, key, file string) error {
	c, err := systemConfig(p)
	if err != nil {
		return err
	}
	if c == nil || c.VaultClusterMap == nil {
		skippedWithoutSystemConfig(p, vaultEnvironments, inst.File.Path, line(at))
		return nil
	}
	venv, ok := c.VaultClusterMap[inst.Cluster]
	if !ok {
		p.Reportf(inst.File.Path, line(at), "env %s of instance %s needs a secret in cluster %s, which has no vault environment in --paasta-config's vault_cluster_map, so paasta validate fails: add the cluster there or check the file's name", key, inst.Name, inst.Cluster)
		return nil
	}
	type secret struct {
		Environments map[string]map[string]any `json:"environments"`
		bad          string
	}
	s, _ := Memo(p, secretFileKey{file}, func() (secret, error) {
		var s secret
		data, err := readRepoFile(p.SOA, file, 1<<20)
		if err != nil {
			return secret{bad: err.Error()}, nil
		}
		if err := json.Unmarshal(data, &s); err != nil {
			return secret{bad: "it is not a JSON object of environments: " + err.Error()}, nil
		}
		return s, nil
	})
	switch {
	case s.bad != "":
		p.Reportf(inst.File.Path, line(at), "env %s of instance %s uses %s, which cannot be read (%s), so paasta validate fails: fix it with `paasta secret add`", key, inst.Name, file, s.bad)
	case !hasKey(s.Environments[venv], "ciphertext"):
		p.Reportf(inst.File.Path, line(at), "env %s of instance %s uses %s, which has no ciphertext for %s, the vault environment of cluster %s, so paasta validate fails and the instance would start without it: add it with `paasta secret add` for that environment", key, inst.Name, file, venv, inst.Cluster)
	}
	return nil
}

func hasKey(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
}
