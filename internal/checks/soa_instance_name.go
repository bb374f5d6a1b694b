package checks

import (
	"context"
	"path"
	"strings"

	"github.com/contractbot/contractbot/internal/soa"
)

func soaInstanceNameRule() *Rule {
	return &Rule{
		ID: "soa.instance-name", Severity: SeverityError, Needs: NeedsService,
		Title: "an instance name is too long, invalid or duplicated",
		Doc: "Kubernetes object names are at most 63 characters, and PaaSTA derives them from service and " +
			"instance names after replacing _ with --; instance names with dots break job ids, a name defined " +
			"twice for one cluster makes `paasta validate` fail, and a key written twice in one file silently " +
			"loses the first definition. Rename or merge the instances.",
		Source: "paasta validate: validate_service_name (V0b), validate_instance_names (V1a) and validate_unique_instance_names (V4) (errors); duplicate keys, which PaaSTA silently merges, are errors of the contract's one definition per instance",
		Run:    runInstanceName,
	}
}

func runInstanceName(ctx context.Context, p *Pass) error {
	if n := soa.KubernetesNameLen(p.Service); n > soa.MaxKubernetesName {
		p.Reportf(p.Service, 1, "the service name %q is %d characters once sanitised for Kubernetes (_ becomes --), more than %d: paasta validate rejects it; choose a shorter name", p.Service, n, soa.MaxKubernetesName)
	}
	svc, err := loadedService(p)
	if svc == nil || err != nil {
		return err
	}
	type seen struct {
		path string
		line int
	}
	byCluster := map[string]map[string]seen{}
	for _, f := range svc.Files {
		typ, _ := soa.InstanceFile(f.Rel)
		if typ == "" || f.Root == nil || f.Root.Kind != soa.KindMap {
			continue
		}
		for _, dup := range f.Root.Dups {
			p.Reportf(f.Path, line(dup), "%s is defined twice in %s; PaaSTA silently keeps only the last definition: merge the two or rename one", dup.Describe(), path.Base(f.Path))
		}
		for _, k := range f.Root.Keys {
			name, ok := k.Str()
			if !ok || strings.HasPrefix(name, "_") {
				continue
			}
			if (typ == "kubernetes" || typ == "eks") && soa.KubernetesNameLen(name) > soa.MaxKubernetesName {
				p.Reportf(f.Path, line(k), "instance name %q is %d characters once sanitised for Kubernetes (_ becomes --), more than %d: paasta validate rejects it; shorten it", name, soa.KubernetesNameLen(name), soa.MaxKubernetesName)
			}
			if typ != "tron" && !schemaChecks(p, f.Rel) && strings.Contains(name, ".") {
				p.Reportf(f.Path, line(k), "instance name %q contains a dot, which breaks PaaSTA's <service>.<instance> job ids: use letters, digits, - and _", name)
			}
		}
	}
	for _, inst := range svc.Instances() {
		m := byCluster[inst.Cluster]
		if m == nil {
			m = map[string]seen{}
			byCluster[inst.Cluster] = m
		}
		if first, ok := m[inst.Name]; ok {
			if first.path != inst.File.Path {
				p.Reportf(inst.File.Path, inst.Line(), "instance %s is also defined for cluster %s in %s:%d; paasta validate rejects duplicate instance names per cluster: rename one", inst.Name, inst.Cluster, first.path, first.line)
			}
			continue
		}
		m[inst.Name] = seen{inst.File.Path, inst.Line()}
	}
	return nil
}
