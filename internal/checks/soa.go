package checks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math/big"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/contractbot/contractbot/internal/soa"
)

// The soa.* rules check a service's directory in yelpsoa-configs the way
// `paasta check` and `paasta validate` do (see PaaSTA's CATALOGUE: C1-C14,
// V0-V12, S0-S12), statically and with file and line. Paths in findings
// are relative to the soa root ("web/kubernetes-norcal.yaml").

// maxSchemaFindings bounds the soa.schema findings per file, so that a
// hostile or generated file cannot flood the output.
const maxSchemaFindings = 50

// contractPort is the port the contract says HTTP/TCP services bind
// ($PAASTA_PORT, PaaSTA's DEFAULT_CONTAINER_PORT).
const contractPort = 8888

type soaServiceKey struct{}
type soaSchemasKey struct{}
type soaIndexKey struct{}

// soaService loads the service directory once per run.
func soaService(p *Pass) (*soa.Service, error) {
	return Memo(p, soaServiceKey{}, func() (*soa.Service, error) {
		return soa.LoadService(p.SOA, p.Service, soa.DefaultLimits())
	})
}

// loadedService returns the service, or nil when its directory is missing
// or a link (soa.service-dir reports that; the other rules have nothing
// to check).
func loadedService(p *Pass) (*soa.Service, error) {
	svc, err := soaService(p)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, soa.ErrSymlink) {
		return nil, nil
	}
	return svc, err
}

func soaIndex(ctx context.Context, p *Pass) (*soa.RepoIndex, error) {
	return Memo(p, soaIndexKey{}, func() (*soa.RepoIndex, error) {
		return soa.IndexFor(ctx, p.SOA)
	})
}

func soaSchemas(p *Pass) (soa.Schemas, error) {
	return Memo(p, soaSchemasKey{}, func() (soa.Schemas, error) {
		s, err := soa.SchemasFor(p.PaastaSchemas)
		if err != nil {
			return nil, fmt.Errorf("--paasta-schemas: %w", err)
		}
		return s, nil
	})
}

// deployOf returns the service's parsed deploy.yaml, or nil when it is
// missing or unreadable (soa.deploy-yaml and soa.yaml-syntax report that).
func deployOf(svc *soa.Service) *soa.Deploy {
	f := svc.File("deploy.yaml")
	if f == nil || f.Err != nil {
		return nil
	}
	return soa.DeployFromNode(f.Path, f.Root)
}

func line(n *soa.Node) int {
	if n == nil || n.Line < 1 {
		return 1
	}
	return n.Line
}

func soaRules() []*Rule {
	return []*Rule{
		{
			ID: "soa.service-dir", Severity: SeverityError, Needs: NeedsService,
			Title: "the service has no usable directory in yelpsoa-configs",
			Doc: "PaaSTA finds everything about a service in yelpsoa-configs/<service>/: without that directory " +
				"`paasta check` stops at once and nothing can be deployed. Create the directory (a real one, not a " +
				"symbolic link) with service.yaml, deploy.yaml and the instance files; keep it free of links that " +
				"point outside the repository and of thousands of stray files.",
			Run: runServiceDir,
		},
		{
			ID: "soa.deploy-yaml", Severity: SeverityError, Needs: NeedsService,
			Title: "deploy.yaml is missing or has no security-check step",
			Doc: "The contract says yelpsoa-configs/<service>/ MUST contain deploy.yaml: its pipeline lists the deploy " +
				"groups Jenkins deploys to, and `paasta check` also requires a security-check step. Add deploy.yaml " +
				"with a `pipeline:` of steps (itest, security-check, push-to-registry, then one step per deploy group).",
			Run: runDeployYAML,
		},
		{
			ID: "soa.jenkins-yaml", Severity: SeverityWarning, Needs: NeedsService,
			Title: "jenkins.yaml is missing",
			Doc: "The contract says a service SHOULD have a jenkins.yaml, which sets up the Jenkins jobs that build, " +
				"itest and push the image and run the deploy pipeline. Add yelpsoa-configs/<service>/jenkins.yaml " +
				"(or jenkins.yaml at the root of the service repository).",
			Run: runJenkinsYAML,
		},
		{
			ID: "soa.yaml-syntax", Severity: SeverityError, Needs: NeedsService,
			Title: "a soa config file is not loadable YAML",
			Doc: "PaaSTA reads every config file with yaml.safe_load; a file it cannot load breaks `paasta validate` " +
				"(\"Failed to read file\") and every tool that reads the service. Fix the YAML at the reported line; " +
				"files must be UTF-8, hold one document, stay under 4 MiB and not expand aliases without bound.",
			Run: runYAMLSyntax,
		},
		{
			ID: "soa.schema", Severity: SeverityError, Needs: NeedsService,
			Title: "a soa config file violates its PaaSTA schema",
			Doc: "`paasta validate` checks service.yaml, smartstack.yaml and the kubernetes-, eks-, adhoc-, tron-, " +
				"rollback- and autotuned_defaults/ files against PaaSTA's JSON schemas (deploy.yaml against the " +
				"deploy schema PaaSTA's tooling uses): unknown keys, wrong types, bad enum values and out-of-range " +
				"numbers are rejected. Fix the key at the reported line as the message says; --paasta-schemas DIR " +
				"checks against an installed PaaSTA's schemas instead of the built-in ones.",
			Run: runSchema,
		},
		{
			ID: "soa.deploy-group", Severity: SeverityError, Needs: NeedsService,
			Title: "instances and deploy.yaml disagree on deploy groups",
			Doc: "PaaSTA deploys an instance from its deploy_group (by default <cluster>.<instance>), which must be a " +
				"deploy step of deploy.yaml's pipeline, or the instance never receives a version. Build steps " +
				"(itest, security-check, push-to-registry, command-*) are never deploy groups. Add the missing step " +
				"or set deploy_group; a step no instance uses is reported as a warning: delete it.",
			Run: runDeployGroup,
		},
		{
			ID: "soa.instance-name", Severity: SeverityError, Needs: NeedsService,
			Title: "an instance name is too long, invalid or duplicated",
			Doc: "Kubernetes object names are at most 63 characters, and PaaSTA derives them from service and " +
				"instance names after replacing _ with --; instance names with dots break job ids, a name defined " +
				"twice for one cluster makes `paasta validate` fail, and a key written twice in one file silently " +
				"loses the first definition. Rename or merge the instances.",
			Run: runInstanceName,
		},
		{
			ID: "soa.smartstack", Severity: SeverityError, Needs: NeedsService,
			Title: "smartstack.yaml or a registration is inconsistent",
			Doc: "SmartStack routes traffic to the namespaces in smartstack.yaml: a registration, proxied_through or " +
				"clb_proxy naming a namespace that does not exist registers nothing, names longer than Envoy's and " +
				"HAProxy's limits are rejected, and an empty smartstack.yaml fails `paasta validate`. Point " +
				"registrations at existing namespaces and keep <service>.<namespace> short.",
			Run: runSmartstack,
		},
		{
			ID: "soa.healthcheck", Severity: SeverityError, Needs: NeedsService,
			Title: "an instance's healthcheck does not fit how it is reached",
			Doc: "Without a SmartStack namespace with a proxy_port an instance is a batch daemon: PaaSTA then runs no " +
				"healthcheck unless one is set, and an http/tcp healthcheck probes port 8888, restarting a daemon " +
				"that does not listen there. Daemons may use healthcheck_mode: cmd, which needs healthcheck_cmd. " +
				"Register HTTP/TCP services in smartstack.yaml, or use a cmd healthcheck.",
			Run: runHealthcheck,
		},
		{
			ID: "soa.proxy-port", Severity: SeverityError, Needs: NeedsSOA,
			Title: "a proxy_port is out of range or used twice",
			Doc: "Every SmartStack namespace in the whole soa repository needs its own proxy_port between 19000 and " +
				"21000: two namespaces on one port send one service's traffic to the other. Pick a free port in " +
				"range for the namespace.",
			Run: runProxyPort,
		},
		{
			ID: "soa.monitoring", Severity: SeverityWarning, Needs: NeedsService,
			Title: "alerts for the service have no team",
			Doc: "PaaSTA routes a service's alerts to the team named in monitoring.yaml (or service.yaml); with no " +
				"team nobody is paged, and `paasta validate` requires monitoring.yaml for every service. Add " +
				"monitoring.yaml with `team: <your team>`.",
			Run: runMonitoring,
		},
		{
			ID: "soa.container-port", Severity: SeverityError, Needs: NeedsService,
			Title: "an HTTP/TCP service does not bind port 8888",
			Doc: "The contract says HTTP/TCP services (instances registered in SmartStack with a proxy_port) bind " +
				"port 8888, which PaaSTA passes as $PAASTA_PORT and routes traffic and healthchecks to. Remove a " +
				"container_port other than 8888, listen on 8888, and make the Dockerfile EXPOSE 8888.",
			Run: runContainerPort,
		},
		{
			ID: "soa.instance-config", Severity: SeverityError, Needs: NeedsService,
			Title: "an instance's resources or autoscaling are inconsistent",
			Doc: "`paasta validate` checks what the schemas cannot: min_instances must not exceed max_instances, " +
				"cpus and mem must be numbers, autoscaling metrics providers must fit their type (one of each, " +
				"bespoke alone, active-requests at setpoint 0.8, arbitrary-promql with a metrics_query), and a fixed " +
				"cpus on a CPU-autoscaled instance or a cpu_burst_add above 2 needs an acknowledging comment with a " +
				"ticket, e.g. `# override-cpu-setting (PERF-123 needs fixed cpus)`; tron cron schedules must parse and " +
				"spark actions take no cpus or mem. Fix the value or add the comment.",
			Run: runInstanceConfig,
		},
		{
			ID: "soa.secrets", Severity: SeverityError, Needs: NeedsService,
			Title: "an env value names a secret that has no file",
			Doc: "An env value SECRET(name) (or SHARED_SECRET(name)) makes PaaSTA inject a vault secret from " +
				"<service>/secrets/<name>.json (or _shared/secrets/<name>.json); `paasta validate` fails when that " +
				"file does not exist, and the instance would start without the secret. Add the secret with " +
				"`paasta secret add` or fix the name.",
			Run: runSecrets,
		},
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
			p.Reportf(sk.Path, 1, "%s is a symbolic link pointing outside the soa repository; neither contractbot nor paasta validate reads it: replace it with a regular file", sk.Path)
		case sk.Symlink:
			p.Report(Finding{Path: sk.Path, Line: 1, Severity: SeverityNotice,
				Message: fmt.Sprintf("%s is a symbolic link, which neither contractbot nor paasta validate checks: make it a regular file (or a YAML anchor) to have it checked", sk.Path)})
		default:
			p.Reportf(sk.Path, 1, "%s: %s; remove stray files from the service directory", sk.Path, sk.Reason)
		}
	}
	return nil
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
		p.Reportf(name, 1, "no deploy.yaml, so the service cannot be deployed: add %s with a pipeline (itest, security-check, push-to-registry, then one step per deploy group)", name)
		return nil
	}
	if f.Err != nil {
		return nil // soa.yaml-syntax
	}
	d := soa.DeployFromNode(f.Path, f.Root)
	if !d.HasStep("security-check") {
		at := f.Root.KeyNode("pipeline")
		p.Reportf(f.Path, line(at), "the pipeline has no security-check step, which paasta check requires: add `- step: security-check` after the itest step")
	}
	return nil
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
	p.Reportf(path.Join(p.Service, "jenkins.yaml"), 1, "no jenkins.yaml: the contract says the service should have one so that Jenkins builds, itests and pushes its image; add %s/jenkins.yaml", p.Service)
	return nil
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
		switch {
		case errors.As(f.Err, &se) && se.Limit:
			p.Reportf(f.Path, se.Line, "%s is not checked: %s", path.Base(f.Path), se.Msg)
		case errors.As(f.Err, &se):
			p.Reportf(f.Path, se.Line, "%s cannot be loaded (%s); PaaSTA's yaml.safe_load fails on it too: fix the YAML at this line", path.Base(f.Path), se.Msg)
		default:
			p.Reportf(f.Path, 1, "%s cannot be read: %v", path.Base(f.Path), f.Err)
		}
	}
	return nil
}

// mappingKinds are file kinds PaaSTA reads as a mapping but has no schema
// for; a list or scalar there breaks its loaders.
var mappingKinds = map[string]bool{
	"monitoring": true, "jenkins": true, "marathon": true, "chronos": true,
	"paasta_native": true, "flink": true, "flinkeks": true, "cassandracluster": true,
	"cassandraclustereks": true, "kafkacluster": true, "monkrelays": true,
	"nrtsearchservice": true, "nrtsearchserviceeks": true,
}

func runSchema(ctx context.Context, p *Pass) error {
	svc, err := loadedService(p)
	if svc == nil || err != nil {
		return err
	}
	schemas, err := soaSchemas(p)
	if err != nil {
		return err
	}
	on := map[string]bool{} // rule id -> not off, for coveredElsewhere
	for _, r := range soaRules() {
		on[r.ID] = p.Config.severityOf(r) != SeverityOff
	}
	for _, f := range svc.Files {
		if f.Err != nil {
			continue
		}
		types := soa.SchemaTypesFor(f.Rel)
		if f.Rel == "deploy.yaml" {
			types = append(types, "deploy")
		}
		if len(types) == 0 && mappingKinds[soa.FileKind(f.Rel)] && f.Root.Kind != soa.KindMap && f.Root.Kind != soa.KindNull {
			p.Reportf(f.Path, line(f.Root), "%s must be a mapping, found %s: PaaSTA reads it as key: value pairs", path.Base(f.Path), f.Root.Describe())
		}
		if slices.Contains(types, "rollback") {
			checkRollbackBounds(p, f)
		}
		for _, t := range types {
			s := schemas[t]
			if s == nil {
				continue // an installed PaaSTA without this schema
			}
			vs := slices.DeleteFunc(soa.Validate(s, f.Root), func(v soa.Violation) bool { return coveredElsewhere(on, t, v) })
			for i, v := range vs {
				if i == maxSchemaFindings {
					p.Reportf(f.Path, v.Line, "%d more violations of PaaSTA's %s schema in this file are not shown", len(vs)-i, t)
					break
				}
				p.Reportf(f.Path, v.Line, "%s (PaaSTA's %s schema)", v.Message, t)
			}
		}
	}
	return nil
}

// coveredElsewhere reports whether a schema violation is one that a
// dedicated rule reports at the same place with a better message, so that
// the user sees one finding, not two. When that rule is off (on[id] is
// false), the schema's finding stands.
func coveredElsewhere(on map[string]bool, schemaType string, v soa.Violation) bool {
	switch {
	case schemaType == "smartstack" && (v.Keyword == "minimum" || v.Keyword == "maximum") &&
		(v.Path == "proxy_port" || strings.HasSuffix(v.Path, ".proxy_port")):
		return on["soa.proxy-port"] // outside SmartStack's range
	case v.Keyword == "required" && v.Missing == "healthcheck_cmd":
		return on["soa.healthcheck"] // healthcheck_mode: cmd without a command
	}
	return false
}

func runDeployGroup(ctx context.Context, p *Pass) error {
	svc, err := loadedService(p)
	if svc == nil || err != nil {
		return err
	}
	d := deployOf(svc)
	if d == nil {
		return nil // soa.deploy-yaml or soa.yaml-syntax
	}
	groups := d.DeployGroups()
	used := map[string]bool{}
	for _, inst := range svc.Instances() {
		group, at, ok := inst.DeployGroup()
		if !ok {
			if at == nil && inst.Type == "tron" {
				executor, isStr := inst.Config.Get("executor").Str()
				if !isStr {
					executor = "paasta"
				}
				if executor == "paasta" || executor == "spark" {
					p.Reportf(inst.File.Path, inst.Line(), "tron action %s has no deploy_group (neither the action nor its job sets one), which paasta validate requires for executor %s: set deploy_group to one of %s", inst.Name, executor, quoteList(groups))
				}
			}
			continue
		}
		used[group] = true
		if slices.Contains(groups, group) {
			continue
		}
		where := fmt.Sprintf("deploy_group %q", group)
		ln := line(at)
		if at == nil {
			where = fmt.Sprintf("the default deploy group %q (<cluster>.<instance>, as it sets no deploy_group)", group)
			ln = inst.Line()
		}
		switch {
		case d.HasStep(group):
			p.Reportf(inst.File.Path, ln, "%s instance %s uses %s, but %s is a build step of deploy.yaml, never a deploy group: set deploy_group to one of %s", inst.Type, inst.Name, where, group, quoteList(groups))
		default:
			p.Report(Finding{Path: inst.File.Path, Line: ln, Fix: addStepFix(p, d, group),
				Message: fmt.Sprintf("%s instance %s uses %s, which is not a step of %s's pipeline, so it is never deployed: add `- step: %s` to deploy.yaml or set deploy_group to one of %s", inst.Type, inst.Name, where, d.Path, group, quoteList(groups))})
		}
	}
	for _, s := range d.Steps {
		if s.DeployGroup && !used[s.Name] {
			p.Report(Finding{Path: d.Path, Line: s.Line, Severity: SeverityWarning,
				Message: fmt.Sprintf("deploy step %q is not the deploy group of any instance, so deploying to it does nothing: delete the step or point an instance's deploy_group at it", s.Name)})
			used[s.Name] = true // report a repeated step once
		}
	}
	return nil
}

type deployLinesKey struct{}

// stepLine matches a pipeline item written on one line: "  - step: prod".
var stepLine = regexp.MustCompile(`^(\s*)- step: *([^\s#]+) *$`)

// addStepFix is the edit that appends "- step: group" to deploy.yaml's
// pipeline, after its last step, in the same indentation. It is offered
// only when that last step is a one-line item, so the edit cannot land in
// the middle of a step's other keys.
func addStepFix(p *Pass, d *soa.Deploy, group string) *Fix {
	if len(d.Steps) == 0 {
		return nil
	}
	last := d.Steps[len(d.Steps)-1]
	// Every instance of a missing group gets this fix: read the file once.
	lines, err := Memo(p, deployLinesKey{}, func() ([]string, error) {
		data, err := fs.ReadFile(p.SOA, d.Path)
		return strings.Split(string(data), "\n"), err
	})
	if err != nil {
		return nil
	}
	if last.Line < 1 || last.Line > len(lines) {
		return nil
	}
	m := stepLine.FindStringSubmatch(strings.TrimSuffix(lines[last.Line-1], "\r"))
	if m == nil || m[2] != last.Name {
		return nil
	}
	if last.Line < len(lines) {
		next := lines[last.Line]
		if trimmed := strings.TrimLeft(next, " "); trimmed != "" && len(next)-len(trimmed) > len(m[1]) {
			return nil // the last step has more keys on the lines below
		}
	}
	return &Fix{
		Message:     fmt.Sprintf("add deploy group %s to the pipeline", group),
		Path:        d.Path,
		Line:        last.Line,
		EndLine:     last.Line,
		Replacement: lines[last.Line-1] + "\n" + m[1] + "- step: " + group + "\n",
	}
}

func quoteList(ss []string) string {
	if len(ss) == 0 {
		return "(none: the pipeline has no deploy steps)"
	}
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
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
			if typ != "tron" && len(soa.SchemaTypesFor(f.Rel)) == 0 && strings.Contains(name, ".") {
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

// smartstack limits from PaaSTA's validate_smartstack.
const (
	maxEnvoyNameLen      = 118
	maxSmartstackNameLen = 55
)

func runSmartstack(ctx context.Context, p *Pass) error {
	svc, err := loadedService(p)
	if svc == nil || err != nil {
		return err
	}
	f := svc.File("smartstack.yaml")
	local := map[string]soa.Namespace{}
	if f != nil && f.Err == nil {
		if f.Root.Kind == soa.KindNull || (f.Root.Kind == soa.KindMap && len(f.Root.Keys) == 0) {
			p.Reportf(f.Path, 1, "smartstack.yaml is empty, which paasta validate rejects: remove the file if the service is not in the mesh, or add its namespaces")
		}
		for _, ns := range soa.Namespaces(f) {
			local[ns.Name] = ns
			if n := len(p.Service) + len(ns.Name); n > maxEnvoyNameLen {
				p.Reportf(f.Path, line(ns.Key), "namespace %q makes %s.%s %d characters, over Envoy's limit of %d: shorten the namespace", ns.Name, p.Service, ns.Name, n+1, maxEnvoyNameLen)
			} else if ns.HasProxyPort() && n > maxSmartstackNameLen {
				p.Reportf(f.Path, line(ns.Key), "namespace %q with a proxy_port makes %s%s %d characters, over HAProxy's socket name limit of %d: shorten the namespace", ns.Name, p.Service, ns.Name, n, maxSmartstackNameLen)
			}
			if ns.Config == nil {
				continue
			}
			discover, at := "region", ns.Config.Get("discover")
			if s, ok := at.Str(); ok {
				discover = s
			}
			advertise := []string{"region"}
			if adv := ns.Config.Get("advertise"); adv != nil && adv.Kind == soa.KindSeq {
				advertise = nil
				for _, it := range adv.Items {
					if s, ok := it.Str(); ok {
						advertise = append(advertise, s)
					}
				}
			}
			if ea := ns.Config.Get("extra_advertise"); ea != nil && ea.Kind == soa.KindMap {
				for j, k := range ea.Keys {
					locs := []*soa.Node{k}
					if v := ea.Values[j]; v.Kind == soa.KindSeq {
						locs = append(locs, v.Items...)
					}
					for _, loc := range locs {
						if s, ok := loc.Str(); ok && !strings.Contains(s, ":") {
							p.Reportf(f.Path, line(loc), "extra_advertise entry %q of namespace %q must be <location type>:<location>, e.g. region:uswest1-prod", s, ns.Name)
						}
					}
				}
			}
			if !slices.Contains(advertise, discover) {
				ln := line(at)
				if at == nil {
					ln = line(ns.Config.KeyNode("advertise"))
				}
				p.Reportf(f.Path, ln, "namespace %q discovers at %q but advertises only at %s, so clients cannot find it: add %q to advertise or change discover", ns.Name, discover, quoteList(advertise), discover)
			}
		}
	}
	exists := func(service, ns string) (bool, error) {
		if service == p.Service {
			_, ok := local[ns]
			return ok, nil
		}
		index, err := soaIndex(ctx, p) // built once per run
		if err != nil {
			return false, err
		}
		return index.HasNamespace(service, ns), nil
	}
	// proxied_through and clb_proxy name "<service>.<namespace>".
	for _, name := range slices.Sorted(maps.Keys(local)) {
		ns := local[name]
		for _, key := range []string{"proxied_through", "clb_proxy"} {
			v := ns.Config.Get(key)
			target, ok := v.Str()
			if !ok {
				continue
			}
			svcName, nsName, found := strings.Cut(target, ".")
			if !found || strings.Contains(nsName, ".") {
				p.Reportf(f.Path, line(v), "%s %q must be <service>.<namespace>", key, target)
				continue
			}
			ok, err := exists(svcName, nsName)
			if err != nil {
				return err
			}
			if !ok {
				p.Reportf(f.Path, line(v), "%s %q names namespace %q, which %s/smartstack.yaml does not define: point it at an existing namespace", key, target, nsName, svcName)
			}
		}
	}
	for _, inst := range svc.Instances() {
		if !inst.LongRunning() {
			continue
		}
		regs, at := inst.Registrations(p.Service)
		if at == nil {
			continue // the default registration may name no namespace (a batch daemon)
		}
		for i, reg := range regs {
			ln := line(at)
			if i < len(at.Items) {
				ln = line(at.Items[i])
			}
			parts := strings.Split(reg, ".")
			if len(parts) != 2 && len(parts) != 4 {
				p.Reportf(inst.File.Path, ln, "registration %q of instance %s must be <service>.<namespace>", reg, inst.Name)
				continue
			}
			ok, err := exists(parts[0], parts[1])
			if err != nil {
				return err
			}
			if !ok {
				p.Reportf(inst.File.Path, ln, "instance %s registers as %q, but %s/smartstack.yaml has no namespace %q, so no traffic reaches it: add the namespace or fix the registration", inst.Name, reg, parts[0], parts[1])
			}
		}
	}
	return nil
}

type localNamespacesKey struct{}

// localNamespaces is the service's smartstack.yaml by namespace name, built
// once per run: the rules look namespaces up per instance, and a scan per
// lookup would be quadratic in the size of the service's files.
func localNamespaces(p *Pass, svc *soa.Service) map[string]soa.Namespace {
	m, _ := Memo(p, localNamespacesKey{}, func() (map[string]soa.Namespace, error) {
		m := map[string]soa.Namespace{}
		for _, ns := range soa.Namespaces(svc.File("smartstack.yaml")) {
			m[ns.Name] = ns
		}
		return m, nil
	})
	return m
}

// registeredPort reports whether a long-running instance is an HTTP/TCP
// service: one of its registrations names a namespace with a proxy_port.
// It returns that registration.
func registeredPort(ctx context.Context, p *Pass, svc *soa.Service, inst *soa.Instance) (string, bool, error) {
	regs, _ := inst.Registrations(p.Service)
	local := localNamespaces(p, svc)
	for _, reg := range regs {
		parts := strings.Split(reg, ".")
		if len(parts) != 2 && len(parts) != 4 {
			continue
		}
		if parts[0] == p.Service {
			if ns, ok := local[parts[1]]; ok && ns.HasProxyPort() {
				return reg, true, nil
			}
			continue
		}
		index, err := soaIndex(ctx, p)
		if err != nil {
			return "", false, err
		}
		if index.NamespaceHasPort(parts[0], parts[1]) {
			return reg, true, nil
		}
	}
	return "", false, nil
}

func runHealthcheck(ctx context.Context, p *Pass) error {
	svc, err := loadedService(p)
	if svc == nil || err != nil {
		return err
	}
	for _, inst := range svc.Instances() {
		if !inst.LongRunning() {
			continue
		}
		modeNode := inst.Config.Get("healthcheck_mode")
		mode, _ := modeNode.Str()
		cmdNode := inst.Config.Get("healthcheck_cmd")
		switch {
		case mode == "cmd" && cmdNode == nil:
			p.Reportf(inst.File.Path, line(modeNode), "instance %s sets healthcheck_mode: cmd without healthcheck_cmd, which paasta validate rejects: add healthcheck_cmd with a command that exits 0 while the daemon is healthy", inst.Name)
			continue
		case cmdNode != nil && mode != "cmd" && mode != "":
			p.Report(Finding{Path: inst.File.Path, Line: line(cmdNode), Severity: SeverityWarning,
				Message: fmt.Sprintf("instance %s sets healthcheck_cmd but healthcheck_mode: %s, so PaaSTA ignores the command: drop healthcheck_cmd or set healthcheck_mode: cmd", inst.Name, mode)})
		case cmdNode != nil && mode == "":
			p.Reportf(inst.File.Path, line(cmdNode), "instance %s sets healthcheck_cmd without healthcheck_mode: cmd, which paasta validate rejects and PaaSTA would ignore: add healthcheck_mode: cmd", inst.Name)
		}
		// PaaSTA's effective mode: the instance's healthcheck_mode, else
		// its first registration's namespace's healthcheck_mode or mode
		// (http2 counting as http), else http when that namespace has a
		// proxy_port key (even a null one), else no healthcheck.
		where, at := "sets healthcheck_mode: "+mode, modeNode
		if mode == "" {
			mode, where, at = namespaceHealthcheck(p, svc, inst)
		}
		if mode != "http" && mode != "https" && mode != "tcp" {
			continue
		}
		_, registered, err := registeredPort(ctx, p, svc, inst)
		if err != nil {
			return err
		}
		if !registered {
			port := contractPort
			if cp := inst.Config.Get("container_port"); cp != nil && cp.Kind == soa.KindInt && cp.Int.IsInt64() {
				port = int(cp.Int.Int64())
			}
			ln := inst.Line()
			if at != nil {
				ln = line(at)
			}
			p.Reportf(inst.File.Path, ln, "instance %s has no SmartStack namespace with a proxy_port but %s, so PaaSTA probes port %d over %s and restarts the container when nothing answers: a batch daemon should drop the healthcheck or use healthcheck_mode: cmd with healthcheck_cmd; an HTTP/TCP service must be registered in smartstack.yaml", inst.Name, where, port, mode)
		}
	}
	return nil
}

// namespaceHealthcheck derives an instance's healthcheck mode from its
// first registration's namespace in this service's smartstack.yaml, as
// PaaSTA does when the instance sets none. It returns "" when PaaSTA runs
// no healthcheck, and describes where the mode comes from.
func namespaceHealthcheck(p *Pass, svc *soa.Service, inst *soa.Instance) (mode, where string, at *soa.Node) {
	regs, _ := inst.Registrations(p.Service)
	if len(regs) == 0 {
		return "", "", nil
	}
	svcName, nsName, _ := strings.Cut(regs[0], ".")
	nsName, _, _ = strings.Cut(nsName, ".")
	if svcName != p.Service {
		return "", "", nil
	}
	ns, ok := localNamespaces(p, svc)[nsName]
	if !ok || ns.Config == nil {
		return "", "", nil
	}
	for _, key := range []string{"healthcheck_mode", "mode"} {
		if m, ok := ns.Config.Get(key).Str(); ok {
			if m == "http2" {
				m = "http"
			}
			return m, fmt.Sprintf("its namespace %s sets %s: %s", nsName, key, m), nil
		}
	}
	if ns.Config.KeyNode("proxy_port") != nil {
		return "http", fmt.Sprintf("its namespace %s has a (null) proxy_port key, which makes PaaSTA default to an http healthcheck", nsName), nil
	}
	return "", "", nil
}

func runProxyPort(ctx context.Context, p *Pass) error {
	index, err := soaIndex(ctx, p)
	if err != nil {
		return err
	}
	if p.Service == "" {
		ports := make([]int64, 0, len(index.Ports()))
		for port := range index.Ports() {
			ports = append(ports, port)
		}
		slices.Sort(ports)
		for _, port := range ports {
			reportPort(p, index, index.PortUsers(port))
		}
		return nil
	}
	svc, err := loadedService(p)
	if svc == nil || err != nil {
		return err
	}
	f := svc.File("smartstack.yaml")
	var uses []soa.PortUse
	for _, ns := range soa.Namespaces(f) {
		if at, port, ok := ns.ProxyPort(); ok {
			uses = append(uses, soa.PortUse{Service: p.Service, Namespace: ns.Name, Path: f.Path, Line: line(at), Port: port})
		}
	}
	reportPort(p, index, uses)
	return nil
}

// maxPortUsersNamed is how many other users of a proxy_port a finding names.
const maxPortUsersNamed = 5

// reportPort reports each of uses that is out of range or whose port
// another namespace of the repository also uses.
func reportPort(p *Pass, index *soa.RepoIndex, uses []soa.PortUse) {
	for _, u := range uses {
		if u.Port < 19000 || u.Port > 21000 {
			p.Reportf(u.Path, u.Line, "proxy_port %d of namespace %s is outside SmartStack's range 19000-21000: pick a free port in range", u.Port, u.Namespace)
		}
		// Name a few of the others: every user of a port shared n ways
		// gets a finding, so listing them all would be n² in size.
		var others []string
		more := 0
		for _, o := range index.PortUsers(u.Port) {
			switch {
			case o.Service == u.Service && o.Namespace == u.Namespace:
			case len(others) == maxPortUsersNamed:
				more++
			default:
				others = append(others, fmt.Sprintf("%s.%s (%s:%d)", o.Service, o.Namespace, o.Path, o.Line))
			}
		}
		if more > 0 {
			others = append(others, fmt.Sprintf("%d more", more))
		}
		if len(others) > 0 {
			p.Reportf(u.Path, u.Line, "proxy_port %d of %s.%s is also used by %s; each namespace needs its own port: pick a free one", u.Port, u.Service, u.Namespace, strings.Join(others, ", "))
		}
	}
}

func runMonitoring(ctx context.Context, p *Pass) error {
	svc, err := loadedService(p)
	if svc == nil || err != nil {
		return err
	}
	checkFlinkTeams(p, svc)
	mon, service := svc.File("monitoring.yaml"), svc.File("service.yaml")
	if mon == nil {
		if service != nil {
			p.Reportf(path.Join(p.Service, "monitoring.yaml"), 1, "no monitoring.yaml, which paasta validate requires of every service so that alerts reach a team: add %s/monitoring.yaml with `team: <your team>`", p.Service)
		}
		return nil
	}
	if mon.Err != nil {
		return nil // soa.yaml-syntax
	}
	team := func(n *soa.Node) bool {
		s, ok := n.Str()
		return ok && s != ""
	}
	if team(mon.Root.Get("team")) {
		return nil
	}
	// paasta validate requires a team for every tron job; the job's own
	// monitoring block may name it when monitoring.yaml does not.
	for _, f := range svc.Files {
		if typ, _ := soa.InstanceFile(f.Rel); typ != "tron" || f.Root == nil || f.Root.Kind != soa.KindMap {
			continue
		}
		for i, k := range f.Root.Keys {
			job, ok := k.Str()
			if !ok || strings.HasPrefix(job, "_") || f.Root.Values[i].Kind != soa.KindMap {
				continue
			}
			if !team(f.Root.Values[i].Get("monitoring").Get("team")) {
				p.Reportf(f.Path, line(k), "tron job %s has no monitoring team (neither its monitoring block nor monitoring.yaml names one), which paasta validate rejects: add `team:` to monitoring.yaml or to the job's monitoring", job)
			}
		}
	}
	if service != nil && service.Err == nil && (team(service.Root.Get("monitoring").Get("team")) || team(service.Root.Get("team"))) {
		return nil
	}
	p.Reportf(mon.Path, 1, "monitoring.yaml names no team (nor does service.yaml), so PaaSTA cannot route the service's alerts: add `team: <your team>`")
	return nil
}

func runContainerPort(ctx context.Context, p *Pass) error {
	svc, err := loadedService(p)
	if svc == nil || err != nil {
		return err
	}
	// on8888 is the first HTTP/TCP instance on the contract's port, which
	// the Dockerfile's EXPOSE must agree with. An instance on another port
	// is already told to move to 8888; telling the Dockerfile to follow it
	// would contradict that.
	var on8888 *soa.Instance
	for _, inst := range svc.Instances() {
		if !inst.LongRunning() {
			continue
		}
		reg, ok, err := registeredPort(ctx, p, svc, inst)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if cp := inst.Config.Get("container_port"); cp != nil {
			if cp.Kind != soa.KindInt || !cp.Int.IsInt64() {
				continue // soa.schema
			}
			if port := cp.Int.Int64(); port != contractPort {
				p.Reportf(inst.File.Path, line(cp), "instance %s is an HTTP/TCP service (registered as %s, which has a proxy_port) but sets container_port: %d; the contract says it binds port %d ($PAASTA_PORT): remove container_port and listen on %d", inst.Name, reg, port, contractPort, contractPort)
				continue
			}
		}
		if on8888 == nil {
			on8888 = inst
		}
	}
	if on8888 == nil || p.Repo == nil {
		return nil
	}
	data, err := readRepoFile(p.Repo, DockerfilePath, 1<<20)
	if err != nil {
		return nil // dockerfile.missing reports a missing Dockerfile
	}
	exposes := soa.DockerfileExposes(data)
	if len(exposes) == 0 {
		return nil // EXPOSE is optional; nothing to compare
	}
	if !slices.ContainsFunc(exposes, func(e soa.Expose) bool { return e.Port == contractPort }) {
		list := make([]string, len(exposes)) // each port once
		for i, e := range exposes {
			list[i] = fmt.Sprint(e.Port)
		}
		p.Reportf(DockerfilePath, exposes[0].Line, "the Dockerfile EXPOSEs %s but instance %s (%s) serves HTTP/TCP on port %d: EXPOSE %d", strings.Join(list, ", "), on8888.Name, on8888.File.Path, contractPort, contractPort)
	}
	return nil
}

// readRepoFile reads a regular file of at most limit bytes, refusing
// symbolic links.
func readRepoFile(fsys fs.FS, name string, limit int64) ([]byte, error) {
	entries, err := fs.ReadDir(fsys, path.Dir(name))
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.Name() == path.Base(name) && !e.Type().IsRegular() {
			return nil, fmt.Errorf("%s is not a regular file", name)
		}
	}
	// Read through a limit rather than trusting a Stat made before the
	// read: the file can grow in between, and fs.ReadFile has no bound.
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, limit)
	}
	return data, nil
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

// truthy is Python's truth value of a loaded YAML value.
func truthy(n *soa.Node) bool {
	if n == nil {
		return false
	}
	switch n.Kind {
	case soa.KindNull:
		return false
	case soa.KindBool:
		return n.Bool
	case soa.KindInt:
		return n.Int.Sign() != 0
	case soa.KindFloat:
		return n.Float != 0
	case soa.KindString:
		return n.Text != ""
	case soa.KindMap:
		return len(n.Keys) > 0
	case soa.KindSeq:
		return len(n.Items) > 0
	}
	return true
}

// PaaSTA's acknowledgement comments (validate.py).
var (
	overrideCPUAck   = regexp.MustCompile(`#\s*override-cpu-setting\s+\(.+[A-Z]+-[0-9]+.+\)`)
	overrideBurstAck = regexp.MustCompile(`#\s*override-cpu-burst\s+\(.+[A-Z]+-[0-9]+.+\)`)
)

// cpuBurstThreshold is PaaSTA's CPU_BURST_THRESHOLD (cores).
const cpuBurstThreshold = 2

// invalidAutoscalingFields is PaaSTA's INVALID_AUTOSCALING_FIELDS: keys a
// metrics provider type does not support.
func invalidAutoscalingField(typ, key string) bool {
	switch key {
	case "desired_active_requests_per_replica":
		return typ != "active-requests"
	case "metrics_query", "series_query", "target_type", "resources":
		return typ != "arbitrary-promql"
	}
	return false
}

func number(n *soa.Node) (float64, bool) {
	switch {
	case n == nil:
		return 0, false
	case n.Kind == soa.KindInt:
		f, _ := new(big.Float).SetInt(n.Int).Float64()
		return f, true
	case n.Kind == soa.KindFloat:
		return n.Float, true
	}
	return 0, false
}

func runInstanceConfig(ctx context.Context, p *Pass) error {
	svc, err := loadedService(p)
	if svc == nil || err != nil {
		return err
	}
	checkTronSchedules(p, svc)
	templated := map[string]bool{}
	for _, inst := range svc.Instances() {
		cfg, path := inst.Config, inst.File.Path
		schemaChecked := len(soa.SchemaTypesFor(inst.File.Rel)) > 0
		if !schemaChecked {
			for _, key := range []string{"cpus", "mem"} {
				if v := cfg.Get(key); v != nil && v.Kind != soa.KindInt && v.Kind != soa.KindFloat {
					p.Reportf(path, line(v), "%s of instance %s must be a number, found %s", key, inst.Name, v.Describe())
				}
			}
		}
		if inst.Type == "tron" {
			executor, _ := cfg.Get("executor").Str()
			for _, key := range []string{"cpus", "mem"} {
				if v := cfg.Get(key); executor == "spark" && v != nil {
					p.Reportf(path, line(v), "tron action %s runs with executor spark, which sizes itself; paasta validate rejects %s here: remove it (set spark resources in the spark args)", inst.Name, key)
				}
			}
		}
		if inst.Type != "tron" {
			maxN := cfg.Get("max_instances")
			minN := cfg.Get("min_instances")
			lo, hi := 1.0, 0.0
			okHi := false
			if v, ok := number(minN); ok {
				lo = v
			}
			if minN == nil || minN.Kind == soa.KindInt || minN.Kind == soa.KindFloat {
				hi, okHi = number(maxN)
			}
			if okHi && hi < lo {
				p.Reportf(path, line(maxN), "instance %s has max_instances %s below min_instances %v, which paasta validate rejects: raise max_instances or lower min_instances", inst.Name, maxN.Text, lo)
			}
		}
		if !inst.LongRunning() {
			continue
		}
		key := inst.Type + "-" + inst.Cluster
		if _, ok := templated[key]; !ok {
			_, err := fs.Stat(p.SOA, p.Service+"/"+key+".in")
			templated[key] = err == nil
		}
		if templated[key] {
			continue // generated from a template: paasta validate skips V5 and V9
		}
		if burst := cfg.Get("cpu_burst_add"); burst != nil {
			if v, ok := number(burst); ok && v > cpuBurstThreshold && !overrideBurstAck.MatchString(burst.Comment) {
				p.Reportf(path, line(burst), "instance %s sets cpu_burst_add: %s, above the threshold of %d cores, without an acknowledgement: add `# override-cpu-burst (TICKET-123 why it needs the burst)` on that line or lower it", inst.Name, burst.Text, cpuBurstThreshold)
			}
		}
		if cfg.Get("max_instances") == nil {
			continue // autoscaling is off
		}
		checkAutoscaling(p, inst)
	}
	return nil
}

func checkAutoscaling(p *Pass, inst *soa.Instance) {
	cfg, path := inst.Config, inst.File.Path
	as := cfg.Get("autoscaling")
	providers := as.Get("metrics_providers")
	type provider struct {
		typ, policy string
		node        *soa.Node
	}
	var list []provider
	if providers != nil && providers.Kind == soa.KindSeq {
		for _, pn := range providers.Items {
			if pn.Kind != soa.KindMap {
				continue
			}
			typ, _ := pn.Get("type").Str()
			policy, _ := pn.Get("decision_policy").Str()
			list = append(list, provider{typ, policy, pn})
		}
	} else {
		list = []provider{{typ: "cpu", policy: "proportional"}}
	}
	at := func(n *soa.Node) int {
		if n != nil {
			return line(n)
		}
		return inst.Line()
	}
	seen := map[string]bool{}
	for _, pr := range list {
		if pr.node != nil {
			for _, k := range pr.node.Keys {
				if name, _ := k.Str(); invalidAutoscalingField(pr.typ, name) {
					p.Reportf(path, line(k), "instance %s: metrics provider %s does not support %s: remove it", inst.Name, pr.typ, name)
				}
			}
		}
		if pr.policy == "bespoke" && len(list) > 1 {
			p.Reportf(path, at(pr.node), "instance %s: decision_policy bespoke cannot be combined with other metrics providers: keep only the bespoke one", inst.Name)
		}
		if seen[pr.typ] {
			p.Reportf(path, at(pr.node), "instance %s has two %s metrics providers: keep one", inst.Name, pr.typ)
		}
		seen[pr.typ] = true
		setpoint := pr.node.Get("setpoint")
		switch pr.typ {
		case "active-requests":
			if regs, _ := inst.Registrations(p.Service); len(regs) > 1 {
				p.Reportf(path, at(pr.node), "instance %s autoscales on active-requests but has %d registrations; PaaSTA supports one: keep a single registration", inst.Name, len(regs))
			}
			if v, ok := number(setpoint); ok && v != 0.8 {
				p.Reportf(path, line(setpoint), "instance %s: the active-requests provider's setpoint must be 0.8 (found %s); tune desired_active_requests_per_replica instead", inst.Name, setpoint.Text)
			}
		case "arbitrary-promql":
			if pr.node.Get("metrics_query") == nil {
				p.Reportf(path, at(pr.node), "instance %s: the arbitrary-promql provider needs a metrics_query", inst.Name)
			}
			if v, ok := number(setpoint); ok && v <= 0 {
				p.Reportf(path, line(setpoint), "instance %s: the arbitrary-promql provider's setpoint must be above 0, found %s", inst.Name, setpoint.Text)
			}
		case "cpu":
			if pr.policy == "bespoke" {
				continue
			}
			cpus := cfg.Get("cpus")
			switch {
			case cpus == nil && len(list) > 1:
				p.Reportf(path, at(pr.node), "instance %s autoscales on cpu with other providers but sets no cpus: set cpus explicitly (y/override-cpu-autotune)", inst.Name)
			case cpus != nil && !overrideCPUAck.MatchString(cpus.Comment):
				p.Reportf(path, line(cpus), "instance %s autoscales on cpu but fixes cpus: %s without an acknowledgement, so autotuning cannot size it: remove cpus or add `# override-cpu-setting (TICKET-123 why)` on that line", inst.Name, cpus.Text)
			}
		}
	}
}

// secretValue is PaaSTA's SECRET_REGEX.
var secretValue = regexp.MustCompile(`^(SHARED_)?SECRET\(([A-Za-z0-9_-]*)\)$`)

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

// cronFields are the bounds of a cron expression's fields (croniter's:
// minute, hour, day of month, month, day of week, optional seconds).
var cronFields = []struct {
	name   string
	lo, hi int
}{{"minute", 0, 59}, {"hour", 0, 23}, {"day of month", 1, 31}, {"month", 1, 12}, {"day of week", 0, 7}, {"second", 0, 59}}

// cronNames are the month and weekday names croniter accepts.
var cronNames = map[string]bool{
	"jan": true, "feb": true, "mar": true, "apr": true, "may": true, "jun": true, "jul": true, "aug": true,
	"sep": true, "oct": true, "nov": true, "dec": true,
	"sun": true, "mon": true, "tue": true, "wed": true, "thu": true, "fri": true, "sat": true,
}

// cronProblem returns why croniter would reject a cron expression, or "".
// It is deliberately lenient (L, W, # and ? pass): a finding must be a
// certain failure of paasta validate's schedule check (V2a).
func cronProblem(expr string) string {
	fields := strings.Fields(expr)
	if len(fields) < 5 || len(fields) > 6 {
		return fmt.Sprintf("a cron expression has 5 fields (minute hour day-of-month month day-of-week), found %d", len(fields))
	}
	for i, f := range fields {
		spec := cronFields[i]
		for _, part := range strings.Split(f, ",") {
			rng, step, hasStep := strings.Cut(part, "/")
			if hasStep {
				if n, err := strconv.Atoi(step); err != nil || n < 1 {
					return fmt.Sprintf("the %s field %q has a bad step %q", spec.name, f, step)
				}
			}
			if rng == "*" || rng == "?" {
				continue
			}
			for _, v := range strings.Split(rng, "-") {
				if v == "" {
					return fmt.Sprintf("the %s field %q is malformed", spec.name, f)
				}
				if n, err := strconv.Atoi(v); err == nil {
					if n < spec.lo || n > spec.hi {
						return fmt.Sprintf("the %s field %q is out of range %d-%d", spec.name, f, spec.lo, spec.hi)
					}
					continue
				}
				low := strings.ToLower(v)
				if cronNames[low] || strings.ContainsAny(v, "LW#") {
					continue
				}
				return fmt.Sprintf("the %s field %q is not a number, range, list or step", spec.name, f)
			}
		}
	}
	return ""
}

// checkTronSchedules reports tron jobs whose cron schedule paasta
// validate cannot parse (V2a).
func checkTronSchedules(p *Pass, svc *soa.Service) {
	for _, f := range svc.Files {
		if typ, _ := soa.InstanceFile(f.Rel); typ != "tron" || f.Root == nil || f.Root.Kind != soa.KindMap {
			continue
		}
		for i, k := range f.Root.Keys {
			job, ok := k.Str()
			if !ok || strings.HasPrefix(job, "_") || f.Root.Values[i].Kind != soa.KindMap {
				continue
			}
			sched := f.Root.Values[i].Get("schedule")
			var expr string
			if s, ok := sched.Str(); ok {
				rest, isCron := strings.CutPrefix(strings.TrimSpace(s), "cron ")
				if !isCron {
					continue
				}
				expr = rest
			} else if typ, _ := sched.Get("type").Str(); typ == "cron" {
				if expr, ok = sched.Get("value").Str(); !ok {
					continue
				}
			} else {
				continue
			}
			if why := cronProblem(expr); why != "" {
				p.Reportf(f.Path, line(sched), "tron job %s has the schedule %q, which paasta validate cannot parse: %s (see crontab.guru)", job, expr, why)
			}
		}
	}
}

// checkFlinkTeams is paasta validate's validate_flink_monitoring_team
// (V11), as far as it can be known statically: every job of a flink
// instance needs a monitoring block with a team.
func checkFlinkTeams(p *Pass, svc *soa.Service) {
	for _, inst := range svc.Instances() {
		if inst.Type != "flink" && inst.Type != "flinkeks" {
			continue
		}
		jobs := inst.Config.Get("jobs")
		if jobs == nil || jobs.Kind != soa.KindMap {
			continue
		}
		for i, k := range jobs.Keys {
			if t, ok := jobs.Values[i].Get("monitoring").Get("team").Str(); !ok || t == "" {
				p.Reportf(inst.File.Path, line(k), "flink job %s of instance %s has no monitoring team, which paasta validate requires: add monitoring: {team: <your team>} to the job", k.Text, inst.Name)
			}
		}
	}
}
