package checks

import (
	"context"
	"slices"

	"github.com/contractbot/contractbot/internal/soa"
)

func soaDependenciesRule() *Rule {
	return &Rule{
		ID: "soa.dependencies", Severity: SeverityError, Needs: NeedsService,
		Title: "a dependencies_reference names no entry of dependencies",
		Doc: "An instance's dependencies_reference picks one entry of the service's dependencies mapping (the " +
			"instance's own `dependencies`, merged over service.yaml's): `paasta validate` rejects a reference " +
			"to an entry that does not exist, and a missing mapping counts as an empty one. Add the entry to " +
			"`dependencies` in service.yaml, or point dependencies_reference at an existing one, or remove it.",
		Source: "paasta validate: InstanceConfig.validate's dependencies_reference check (V3, error)",
		Run:    runDependencies,
	}
}

func runDependencies(ctx context.Context, p *Pass) error {
	svc, err := loadedService(p)
	if svc == nil || err != nil {
		return err
	}
	// PaaSTA merges service.yaml under every instance's config, mappings
	// key by key, so the entries are the instance's and service.yaml's.
	var general *soa.Node
	if f := svc.File("service.yaml"); f != nil && f.Err == nil {
		general = f.Root.Get("dependencies")
	}
	for _, inst := range svc.Instances() {
		if unknownCluster(p, inst) {
			continue // paasta validate's instance checks skip it (soa.deploy-group warns)
		}
		ref := inst.Config.Get("dependencies_reference")
		if ref == nil || ref.Kind == soa.KindNull {
			continue // None: nothing is referenced
		}
		name, ok := ref.Str()
		if !ok {
			if !schemaChecks(p, inst.File.Rel) {
				p.Reportf(inst.File.Path, line(ref), "instance %s: dependencies_reference must be the name of an entry of dependencies, found %s", inst.Name, ref.Describe())
			}
			continue
		}
		entries := mappingKeys(general)
		entries = append(entries, mappingKeys(inst.Config.Get("dependencies"))...)
		if slices.Contains(entries, name) {
			continue
		}
		have := "no dependencies at all (neither the instance nor service.yaml sets any)"
		if len(entries) > 0 {
			slices.Sort(entries)
			have = "dependencies with only " + quoteList(slices.Compact(entries))
		}
		p.Reportf(inst.File.Path, line(ref), "%s instance %s sets dependencies_reference %q, but the service has %s, so paasta validate rejects it: add %q to dependencies in service.yaml, or point dependencies_reference at an existing entry", inst.Type, inst.Name, name, have, name)
	}
	return nil
}

// mappingKeys returns the string keys of a mapping node, or none.
func mappingKeys(n *soa.Node) []string {
	if n == nil || n.Kind != soa.KindMap {
		return nil
	}
	var keys []string
	for _, k := range n.Keys {
		if s, ok := k.Str(); ok {
			keys = append(keys, s)
		}
	}
	return keys
}
