package checks

import (
	"context"
	"path"
	"slices"
	"strings"

	"github.com/contractbot/contractbot/internal/soa"
)

// maxSchemaFindings bounds the soa.schema findings per file, so that a
// hostile or generated file cannot flood the output.
const maxSchemaFindings = 50

// mappingKinds are file kinds PaaSTA reads as a mapping but has no schema
// for; a list or scalar there breaks its loaders.
var mappingKinds = map[string]bool{
	"monitoring": true, "jenkins": true, "marathon": true, "chronos": true,
	"paasta_native": true, "flink": true, "flinkeks": true, "cassandracluster": true,
	"cassandraclustereks": true, "kafkacluster": true, "monkrelays": true,
	"nrtsearchservice": true, "nrtsearchserviceeks": true,
}

func soaSchemaRule() *Rule {
	return &Rule{
		ID: "soa.schema", Severity: SeverityError, Needs: NeedsService,
		Title: "a soa config file violates its PaaSTA schema",
		Doc: "`paasta validate` checks service.yaml, smartstack.yaml and the kubernetes-, eks-, adhoc-, tron-, " +
			"rollback- and autotuned_defaults/ files against PaaSTA's JSON schemas: unknown keys, wrong types, " +
			"bad enum values and out-of-range numbers are errors. deploy.yaml is checked against the deploy " +
			"schema PaaSTA's tooling uses, which validate never runs, and monitoring.yaml, jenkins.yaml and " +
			"Mesos-era files must be mappings though validate does not read them: those findings are warnings (a " +
			"typo in trigger_next_step_manually silently drops a manual gate). Fix the key at the reported line " +
			"as the message says; --paasta-schemas DIR checks against an installed PaaSTA's schemas instead of " +
			"the built-in ones.",
		Source: "paasta validate: validate_all_schemas (V1, S0-S12, errors); the deploy schema, which validate never runs, and files validate does not read warn",
		Run:    runSchema,
	}
}

// unreadByValidate are the file kinds paasta validate never loads:
// monitoring.yaml only has to exist, jenkins.yaml is Jenkins', and the
// Mesos-era marathon and chronos files are read by no PaaSTA of today.
var unreadByValidate = map[string]bool{"monitoring": true, "jenkins": true, "marathon": true, "chronos": true}

func runSchema(ctx context.Context, p *Pass) error {
	svc, err := loadedService(p)
	if svc == nil || err != nil {
		return err
	}
	schemas, err := soaSchemas(p)
	if err != nil {
		return err
	}
	for _, f := range svc.Files {
		types := schemaTypes(f.Rel)
		if f.Err != nil {
			if len(types) > 0 {
				unloadable(p, f, "its schema")
			}
			continue
		}
		if kind := soa.FileKind(f.Rel); len(types) == 0 && mappingKinds[kind] && f.Root.Kind != soa.KindMap && f.Root.Kind != soa.KindNull {
			if unreadByValidate[kind] {
				warnf(p, f.Path, line(f.Root), "%s must be a mapping, found %s: the tools that read it expect key: value pairs (paasta validate does not read it)", path.Base(f.Path), f.Root.Describe())
			} else {
				p.Reportf(f.Path, line(f.Root), "%s must be a mapping, found %s: PaaSTA reads it as key: value pairs", path.Base(f.Path), f.Root.Describe())
			}
		}
		if slices.Contains(types, "rollback") {
			checkRollbackBounds(p, f)
		}
		for _, t := range types {
			s := schemas[t]
			if s == nil {
				continue // an installed PaaSTA without this schema
			}
			vs := slices.DeleteFunc(soa.Validate(s, f.Root), func(v soa.Violation) bool { return coveredElsewhere(p, t, v) })
			// paasta validate never runs the deploy schema: a violation
			// there (a typo in trigger_next_step_manually silently
			// drops a manual gate) warns instead of failing the build.
			report := p.Reportf
			suffix := ""
			if t == "deploy" {
				report = func(path string, line int, format string, args ...any) { warnf(p, path, line, format, args...) }
				suffix = ", which paasta validate does not run"
			}
			for i, v := range vs {
				if i == maxSchemaFindings {
					report(f.Path, v.Line, "%d more violations of PaaSTA's %s schema in this file are not shown", len(vs)-i, t)
					break
				}
				report(f.Path, v.Line, "%s (PaaSTA's %s schema%s)", v.Message, t, suffix)
			}
		}
	}
	return nil
}

// coveredElsewhere reports whether a schema violation is one that a
// dedicated rule reports at the same place with a better message, so that
// the user sees one finding, not two. When that rule does not run, the
// schema's finding stands.
func coveredElsewhere(p *Pass, schemaType string, v soa.Violation) bool {
	switch {
	case schemaType == "smartstack" && (v.Keyword == "minimum" || v.Keyword == "maximum") &&
		(v.Path == "proxy_port" || strings.HasSuffix(v.Path, ".proxy_port")):
		return p.Enabled("soa.proxy-port") // outside SmartStack's range
	case v.Keyword == "required" && v.Missing == "healthcheck_cmd":
		return p.Enabled("soa.healthcheck") // healthcheck_mode: cmd without a command
	}
	return false
}

// schemaTypes are the PaaSTA schemas a service file (rel, relative to the
// service directory) is validated against.
func schemaTypes(rel string) []string {
	types := soa.SchemaTypesFor(rel)
	if rel == "deploy.yaml" {
		types = append(types, "deploy")
	}
	return types
}

// checkRollbackBounds is paasta validate's validate_rollback_bounds: every
// rollback condition needs a truthy lower_bound or upper_bound (0 counts
// as unset).
func checkRollbackBounds(p *Pass, f *soa.File) {
	conds := f.Root.Get("conditions")
	if conds == nil || conds.Kind != soa.KindMap {
		return
	}
	for i, src := range conds.Keys {
		list := conds.Values[i]
		if list.Kind != soa.KindSeq {
			continue
		}
		for _, q := range list.Items {
			if truthy(q.Get("lower_bound")) || truthy(q.Get("upper_bound")) {
				continue
			}
			query, _ := q.Get("query").Str()
			p.Reportf(f.Path, line(q), "%s rollback condition %q has neither a lower_bound nor an upper_bound (0 counts as none), which paasta validate rejects: set the bound the query must stay within", src.Text, query)
		}
	}
}
