package checks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"path"
	"strings"

	"github.com/contractbot/contractbot/internal/soa"
)

// The soa.* rules check a service's directory in yelpsoa-configs the way
// `paasta check` and `paasta validate` do (see PaaSTA's CATALOGUE: C1-C14,
// V0-V12, S0-S12), statically and with file and line. Paths in findings
// are relative to the soa root ("web/kubernetes-norcal.yaml").

type soaServiceKey struct{}
type soaSchemasKey struct{}
type soaIndexKey struct{}

// soaService loads the service directory once per run.
func soaService(p *Pass) (*soa.Service, error) {
	return Memo(p, soaServiceKey{}, func() (*soa.Service, error) {
		return p.SOACache.LoadService(p.Service)
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
		return p.SOACache.Index(ctx)
	})
}

func soaSchemas(p *Pass) (soa.Schemas, error) {
	return Memo(p, soaSchemasKey{}, func() (soa.Schemas, error) {
		s, err := p.SOACache.Schemas()
		if err != nil {
			return nil, fmt.Errorf("--paasta-schemas: %w", err)
		}
		return s, nil
	})
}

// warnf reports a finding graded warning, below the rule's severity: by
// the severity policy (docs/rules.md), a problem only `paasta check`
// flags, or the contract calls a SHOULD, warns while the rule's errors
// fail the build.
func warnf(p *Pass, path string, line int, format string, args ...any) {
	p.Report(Finding{Path: path, Line: line, Severity: SeverityWarning, Message: fmt.Sprintf(format, args...)})
}

// unloadable is what a rule does with a file it needs that could not be
// loaded: soa.yaml-syntax reports the file, and when that rule does not
// run, the rule says it could not check the file rather than pass it.
func unloadable(p *Pass, f *soa.File, what string) {
	if p.Enabled("soa.yaml-syntax") {
		return
	}
	ln, why := 1, f.Err.Error()
	var se *soa.SyntaxError
	if errors.As(f.Err, &se) {
		ln, why = se.Line, se.Msg
	}
	p.Reportf(f.Path, ln, "%s cannot be loaded (%s), so %s is not checked: fix the file", path.Base(f.Path), why, what)
}

// schemaChecks reports whether soa.schema checks the file rel (relative to
// the service directory) in this run, so that a rule can leave a value of
// the wrong type there to it.
func schemaChecks(p *Pass, rel string) bool {
	if !p.Enabled("soa.schema") {
		return false
	}
	schemas, err := soaSchemas(p)
	if err != nil {
		return false // soa.schema fails the run with this error
	}
	for _, t := range schemaTypes(rel) {
		if schemas[t] != nil {
			return true
		}
	}
	return false
}

// deployOf returns the service's parsed deploy.yaml, or nil when it is
// missing or cannot be loaded. soa.deploy-yaml reports a missing one; when
// that rule does not run, a missing deploy.yaml is an empty pipeline, so
// that every instance's deploy group is reported as undeployable.
func deployOf(p *Pass, svc *soa.Service, what string) *soa.Deploy {
	f := svc.File("deploy.yaml")
	switch {
	case f == nil && p.Enabled("soa.deploy-yaml"):
		return nil
	case f == nil:
		return &soa.Deploy{Path: path.Join(p.Service, "deploy.yaml")}
	case f.Err != nil:
		unloadable(p, f, what)
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

// soaRules are the soa.* rules in documentation order; each is defined in
// its own file, soa_<name>.go, next to its code.
func soaRules() []*Rule {
	return []*Rule{
		soaServiceDirRule(),
		soaDeployYAMLRule(),
		soaJenkinsYAMLRule(),
		soaYAMLSyntaxRule(),
		soaSchemaRule(),
		soaDeployGroupRule(),
		soaInstanceNameRule(),
		soaSmartstackRule(),
		soaHealthcheckRule(),
		soaProxyPortRule(),
		soaMonitoringRule(),
		soaContainerPortRule(),
		soaInstanceConfigRule(),
		soaSecretsRule(),
		soaDependenciesRule(),
		soaTronScheduleRule(),
		soaTronJobRule(),
		soaTronActionsRule(),
		soaHostPortRule(),
		soaRWVolumeRule(),
		soaSystemConfigRule(),
		soaChangedServicesRule(),
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

// readRepoFile reads a regular file of at most limit bytes, refusing
// symbolic links.
func readRepoFile(fsys fs.FS, name string, limit int64) ([]byte, error) {
	entries, err := fs.ReadDir(fsys, path.Dir(name))
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.Name() != path.Base(name) {
			continue
		}
		// Said as what it is, for the finding that quotes it.
		switch t := e.Type(); {
		case t.IsDir():
			return nil, fmt.Errorf("%s is a directory", name)
		case t&fs.ModeSymlink != 0:
			return nil, fmt.Errorf("%s is a symbolic link, which contractbot does not follow", name)
		case !t.IsRegular():
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

// contractPort is the port the contract says HTTP/TCP services bind
// ($PAASTA_PORT, PaaSTA's DEFAULT_CONTAINER_PORT).
const contractPort = 8888

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
