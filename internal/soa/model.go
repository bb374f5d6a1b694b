package soa

import (
	"context"
	"io/fs"
	"path"
	"strings"
)

// Instance is one PaaSTA instance of a service: a top-level entry of a
// <type>-<cluster>.yaml file, or for tron one action of a job
// ("<job>.<action>").
type Instance struct {
	Type    string // "kubernetes", "eks", "adhoc", "tron", ...
	Cluster string
	Name    string // for tron, "<job>.<action>"
	File    *File
	Key     *Node // where the instance is named (the action's name for tron)
	Config  *Node // the instance's mapping (the action's, for tron)
	Job     *Node // tron only: the job's mapping
}

// Line is where the instance is defined.
func (i *Instance) Line() int { return i.Key.lineOr(1) }

// DeployGroup returns the deploy group PaaSTA deploys the instance from:
// its deploy_group, else (not for tron) "<cluster>.<instance>". at is the
// deploy_group value's node, nil when defaulted; ok is false for a tron
// action without one, or a deploy_group that is not a string (the schema
// check reports those).
func (i *Instance) DeployGroup() (group string, at *Node, ok bool) {
	if dg := i.Config.Get("deploy_group"); dg != nil {
		s, isStr := dg.Str()
		return s, dg, isStr
	}
	if i.Type == "tron" {
		if dg := i.Job.Get("deploy_group"); dg != nil {
			s, isStr := dg.Str()
			return s, dg, isStr
		}
		return "", nil, false
	}
	return i.Cluster + "." + i.Name, nil, true
}

// LongRunning reports whether the instance is a long-running service
// (kubernetes or eks), the kind that can be registered in SmartStack.
func (i *Instance) LongRunning() bool { return i.Type == "kubernetes" || i.Type == "eks" }

// Registrations returns the SmartStack registrations of a long-running
// instance: the strings of its "registrations" list, else
// "<service>.<instance>". at[i] is the list item regs[i] was read from, so
// that a finding about a registration points at its own line even when
// items that are no string (the schema check reports those) come before
// it; at is nil when the registration is the default one.
func (i *Instance) Registrations(service string) (regs []string, at []*Node) {
	r := i.Config.Get("registrations")
	if r == nil || r.Kind != KindSeq {
		return []string{service + "." + i.Name}, nil
	}
	at = []*Node{} // not nil: the list is there, even with no string in it
	for _, it := range r.Items {
		if s, ok := it.Str(); ok {
			regs = append(regs, s)
			at = append(at, it)
		}
	}
	return regs, at
}

// Instances returns the service's instances in file order: every
// top-level mapping of an instance file not starting with "_" (templates),
// and every action of every tron job.
func (s *Service) Instances() []*Instance {
	var out []*Instance
	for _, f := range s.Files {
		typ, cluster := InstanceFile(f.Rel)
		if typ == "" || f.Root == nil || f.Root.Kind != KindMap {
			continue
		}
		for k, key := range f.Root.Keys {
			name, ok := key.Str()
			if !ok || strings.HasPrefix(name, "_") {
				continue
			}
			cfg := f.Root.Values[k]
			if cfg.Kind != KindMap {
				continue
			}
			if typ != "tron" {
				out = append(out, &Instance{Type: typ, Cluster: cluster, Name: name, File: f, Key: key, Config: cfg})
				continue
			}
			out = append(out, tronActions(cluster, name, f, key, cfg)...)
		}
	}
	return out
}

func tronActions(cluster, job string, f *File, jobKey, jobCfg *Node) []*Instance {
	var out []*Instance
	add := func(name string, key, cfg *Node) {
		if cfg == nil || cfg.Kind != KindMap {
			return
		}
		out = append(out, &Instance{Type: "tron", Cluster: cluster, Name: job + "." + name, File: f, Key: key, Config: cfg, Job: jobCfg})
	}
	switch actions := jobCfg.Get("actions"); {
	case actions == nil:
	case actions.Kind == KindMap:
		for i, k := range actions.Keys {
			if name, ok := k.Str(); ok {
				add(name, k, actions.Values[i])
			}
		}
	case actions.Kind == KindSeq:
		for _, a := range actions.Items {
			if name, ok := a.Get("name").Str(); ok {
				add(name, a.Get("name"), a)
			}
		}
	}
	if c := jobCfg.Get("cleanup_action"); c != nil {
		add("cleanup", jobCfg.KeyNode("cleanup_action"), c)
	}
	return out
}

// Namespace is one SmartStack namespace of smartstack.yaml.
type Namespace struct {
	Name   string
	Key    *Node
	Config *Node // nil when the namespace's value is not a mapping
}

// ProxyPort returns the namespace's proxy_port: the key's node (nil when
// absent), and the port when it is an integer.
func (n Namespace) ProxyPort() (at *Node, port int64, isInt bool) {
	at = n.Config.Get("proxy_port")
	if at == nil || at.Kind != KindInt || !at.Int.IsInt64() {
		return at, 0, false
	}
	return at, at.Int.Int64(), true
}

// HasProxyPort reports whether the namespace load-balances: a non-null
// proxy_port.
func (n Namespace) HasProxyPort() bool {
	at := n.Config.Get("proxy_port")
	return at != nil && at.Kind != KindNull
}

// Namespaces returns the namespaces of a loaded smartstack.yaml.
func Namespaces(f *File) []Namespace {
	if f == nil || f.Root == nil || f.Root.Kind != KindMap {
		return nil
	}
	var out []Namespace
	for i, k := range f.Root.Keys {
		name, ok := k.Str()
		if !ok {
			continue
		}
		ns := Namespace{Name: name, Key: k}
		if v := f.Root.Values[i]; v.Kind == KindMap {
			ns.Config = v
		}
		out = append(out, ns)
	}
	return out
}

// PortUse is one namespace's proxy_port, as the repository index keeps it.
type PortUse struct {
	Service, Namespace string
	Path               string // the smartstack.yaml, relative to the soa root
	Line               int    // the proxy_port's line
	Port               int64
}

// RepoIndex is what the cross-service rules need from the whole soa
// repository, read once: every service's SmartStack namespaces and
// proxy_ports. It keeps names and numbers, not parsed trees, so it stays
// small for thousands of services.
type RepoIndex struct {
	namespaces map[string]map[string]bool // service -> namespace -> has a proxy_port
	ports      map[int64][]PortUse
}

// HasNamespace reports whether <service>/smartstack.yaml defines ns.
func (x *RepoIndex) HasNamespace(service, ns string) bool {
	_, ok := x.namespaces[service][ns]
	return ok
}

// NamespaceHasPort reports whether <service>/smartstack.yaml's ns has a
// non-null proxy_port.
func (x *RepoIndex) NamespaceHasPort(service, ns string) bool {
	return x.namespaces[service][ns]
}

// HasSmartstack reports whether the service has a readable smartstack.yaml.
func (x *RepoIndex) HasSmartstack(service string) bool {
	_, ok := x.namespaces[service]
	return ok
}

// PortUsers returns the namespaces, across the repository, that use port.
func (x *RepoIndex) PortUsers(port int64) []PortUse { return x.ports[port] }

// Ports returns every proxy_port in use, with its users.
func (x *RepoIndex) Ports() map[int64][]PortUse { return x.ports }

// BuildRepoIndex reads every service's smartstack.yaml. Unreadable files
// are left out: the per-service rules report them.
func BuildRepoIndex(ctx context.Context, fsys fs.FS, lim Limits) (*RepoIndex, error) {
	services, err := ListServices(fsys)
	if err != nil {
		return nil, err
	}
	x := &RepoIndex{namespaces: map[string]map[string]bool{}, ports: map[int64][]PortUse{}}
	for _, svc := range services {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if nss, uses, ok := readIndexEntry(fsys, svc, lim); ok {
			x.namespaces[svc] = nss
			for _, u := range uses {
				x.ports[u.Port] = append(x.ports[u.Port], u)
			}
		}
	}
	return x, nil
}

// LinkOutside reports whether the symbolic link at name (relative to the
// root of fsys) points outside fsys, or cannot be read; a link inside the
// tree is merely not followed.
func LinkOutside(fsys fs.FS, name string) bool {
	target, err := fs.ReadLink(fsys, name)
	if err != nil {
		// A file system that cannot read links: trust it only if it
		// resolves the link itself (os.Root-based trees refuse links
		// that leave the root, so a successful Stat means inside).
		_, serr := fs.Stat(fsys, name)
		return serr != nil
	}
	if path.IsAbs(target) {
		return true
	}
	joined := path.Join(path.Dir(name), target)
	return joined == ".." || strings.HasPrefix(joined, "../")
}
