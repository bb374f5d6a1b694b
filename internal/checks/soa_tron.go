package checks

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/contractbot/contractbot/internal/soa"
)

// The soa.tron-* rules check what tronfig, Tron's own configuration
// check, rejects in a tron-<cluster>.yaml: paasta validate runs it on
// every tron file (V2) after its schema. The grammars are internal/tron's.

// tronJob is one job of a tron file.
type tronJob struct {
	file *soa.File
	name string
	key  *soa.Node // the job's name in the file
	cfg  *soa.Node // the job's mapping
}

// tronJobs returns the service's tron jobs in file order: each top-level
// mapping of a tron-<cluster>.yaml whose (string) name does not start
// with _ (a template). A file that cannot be loaded is reported by
// unloadable, as checking what.
func tronJobs(p *Pass, svc *soa.Service, what string) []tronJob {
	var out []tronJob
	for _, f := range svc.Files {
		if typ, _ := soa.InstanceFile(f.Rel); typ != "tron" {
			continue
		}
		if f.Err != nil {
			unloadable(p, f, what)
			continue
		}
		if f.Root == nil || f.Root.Kind != soa.KindMap {
			continue
		}
		for i, k := range f.Root.Keys {
			name, ok := k.Str()
			if !ok {
				name = k.Text
			}
			if strings.HasPrefix(name, "_") || f.Root.Values[i].Kind != soa.KindMap {
				continue
			}
			out = append(out, tronJob{file: f, name: name, key: k, cfg: f.Root.Values[i]})
		}
	}
	return out
}

type tronSchemaKey struct{ path string }

// schemaRejects reports whether soa.schema reports the value at the
// dotted path (as soa.Violation names it: "job.actions.build.requires")
// of the tron file f, or something inside it, so that a rule does not
// report the same value twice.
func schemaRejects(p *Pass, f *soa.File, path string) bool {
	if !schemaChecks(p, f.Rel) {
		return false
	}
	paths, _ := Memo(p, tronSchemaKey{f.Path}, func() ([]string, error) {
		schemas, err := soaSchemas(p)
		if err != nil || schemas["tron"] == nil || f.Root == nil {
			return nil, err
		}
		var out []string
		for _, v := range soa.Validate(schemas["tron"], f.Root) {
			if v.Keyword == "required" && v.Missing != "" {
				out = append(out, strings.TrimPrefix(v.Path+"."+v.Missing, ".")) // the missing key's own path
				continue
			}
			out = append(out, v.Path)
		}
		return out, nil
	})
	for _, v := range paths {
		if v == path || strings.HasPrefix(v, path+".") || strings.HasPrefix(v, path+"[") {
			return true
		}
	}
	return false
}

// tronfigRejects is how the tron rules say who rejects a value.
const tronfigRejects = "which tronfig (run by paasta validate) rejects"

func nodeLine(n, fallback *soa.Node) int {
	if n != nil {
		return line(n)
	}
	return line(fallback)
}

func describeList(names []string) string {
	if len(names) == 0 {
		return "(none)"
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

type systemConfigKey struct{}

// systemConfig is PaaSTA's system configuration, loaded once per run, or
// nil when the run has none (soa.system-config then says which checks
// were skipped).
func systemConfig(p *Pass) (*soa.SystemConfig, error) {
	if p.PaastaConfig == nil {
		return nil, nil
	}
	return Memo(p, systemConfigKey{}, func() (*soa.SystemConfig, error) {
		c, err := soa.LoadSystemConfig(p.PaastaConfig)
		if err != nil {
			return nil, fmt.Errorf("--paasta-config: %w", err)
		}
		return c, nil
	})
}

type tronMasterKey struct{ cluster string }

// tronNodes returns the node names tronfig checks a cluster's jobs
// against: those of the soa tree's tron/<cluster>/MASTER.yaml, else of
// the system configuration's tron/MASTER.yaml; from says which, and ok is
// false when there is neither.
func tronNodes(p *Pass, cluster string) (nodes []string, from string, ok bool, err error) {
	type master struct {
		nodes []string
		found bool
	}
	m, err := Memo(p, tronMasterKey{cluster}, func() (master, error) {
		data, err := readRepoFile(p.SOA, soa.MasterPath(cluster), soa.DefaultLimits().MaxFileBytes)
		if errors.Is(err, fs.ErrNotExist) {
			return master{}, nil
		}
		if err != nil {
			return master{found: true}, nil // a link, or too large: not compared with
		}
		root, err := soa.Parse(data, soa.DefaultLimits())
		if err != nil {
			return master{found: true}, nil // tronfig cannot read it either; nothing to compare with
		}
		return master{nodes: soa.TronNodes(root), found: true}, nil
	})
	if err != nil || m.found {
		return m.nodes, p.SOAPath(soa.MasterPath(cluster)), m.found && m.nodes != nil, err
	}
	c, err := systemConfig(p)
	if err != nil || c == nil || c.TronNodes == nil {
		return nil, "", false, err
	}
	return c.TronNodes, "--paasta-config's tron/MASTER.yaml", true, nil
}
