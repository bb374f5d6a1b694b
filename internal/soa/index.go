package soa

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// The repository index of a soa head is derived from the previous head's
// index and the list of paths that differ between the two trees, so that a
// push re-reads the smartstack.yaml of the services it changed, not of all
// 4,000. The index reads nothing but the top-level service directories (a
// service is a top-level directory, see [ListServices], and its entry is
// its own smartstack.yaml), so a change can only affect the entry of the
// top-level name it lies under: re-reading those names, and dropping the
// ones that are no longer services, gives the index a full build would.

// readIndexEntry reads the index entry of one service: its namespaces
// (name -> has a proxy_port) and proxy_ports in file order. ok is false
// when the service has no readable smartstack.yaml (a missing, linked or
// broken file is left out: the per-service rules report it).
func readIndexEntry(fsys fs.FS, svc string, lim Limits) (nss map[string]bool, uses []PortUse, ok bool) {
	p := path.Join(svc, "smartstack.yaml")
	if link, err := isSymlink(fsys, p); err != nil || link {
		return nil, nil, false
	}
	f := loadFile(fsys, svc, "smartstack.yaml", lim)
	if f.Err != nil {
		return nil, nil, false
	}
	nss = map[string]bool{}
	for _, ns := range Namespaces(f) {
		nss[ns.Name] = ns.HasProxyPort()
		if at, port, isInt := ns.ProxyPort(); isInt {
			uses = append(uses, PortUse{Service: svc, Namespace: ns.Name, Path: p, Line: at.Line, Port: port})
		}
	}
	return nss, uses, true
}

// ChangedServices returns the top-level names under which the paths of
// changed lie ("web/smartstack.yaml" and "web" both name "web"), sorted
// and without repeats. whole is true when one of them names the root
// itself (".", "") or is not a valid path, meaning that the index cannot
// be derived and must be built from the whole tree.
func ChangedServices(changed []string) (names []string, whole bool) {
	for _, c := range changed {
		c = strings.TrimSuffix(c, "/")
		if c == "" || c == "." || !fs.ValidPath(c) {
			return nil, true
		}
		top, _, _ := strings.Cut(c, "/")
		names = append(names, top)
	}
	slices.Sort(names)
	return slices.Compact(names), false
}

// Derive returns the index of fsys, a tree that differs from the one x was
// built over only under the top-level names changed lists (see
// [ChangedServices]; a path that names the whole tree makes Derive build
// the index from scratch). Only the smartstack.yaml files of those names
// are read. The result equals [BuildRepoIndex] of fsys; x is not modified
// and the two share nothing that either will change, so x stays valid for
// the checks of its own tree still running.
func (x *RepoIndex) Derive(ctx context.Context, fsys fs.FS, changed []string, lim Limits) (*RepoIndex, error) {
	names, whole := ChangedServices(changed)
	if whole {
		return BuildRepoIndex(ctx, fsys, lim)
	}
	if len(names) == 0 {
		return x, nil // an index is never modified once built
	}
	isService, err := serviceTest(fsys)
	if err != nil {
		return nil, err
	}
	gone := make(map[string]bool, len(names))
	for _, n := range names {
		gone[n] = true
	}

	y := &RepoIndex{namespaces: make(map[string]map[string]bool, len(x.namespaces)), ports: make(map[int64][]PortUse, len(x.ports))}
	for svc, nss := range x.namespaces {
		if !gone[svc] {
			y.namespaces[svc] = nss // never modified once built: shared
		}
	}
	for port, users := range x.ports {
		if !slices.ContainsFunc(users, func(u PortUse) bool { return gone[u.Service] }) {
			y.ports[port] = users // shared, and clipped below before any append
			continue
		}
		kept := slices.DeleteFunc(slices.Clone(users), func(u PortUse) bool { return gone[u.Service] })
		if len(kept) > 0 {
			y.ports[port] = kept
		}
	}
	touched := map[int64]bool{}
	for _, svc := range names {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if ok, err := isService(svc); err != nil {
			return nil, err
		} else if !ok {
			continue // removed, or no longer a service directory
		}
		nss, uses, ok := readIndexEntry(fsys, svc, lim)
		if !ok {
			continue
		}
		y.namespaces[svc] = nss
		for _, u := range uses {
			// Clip, so that appending never writes into an array that x,
			// or another index derived from x, still reads.
			y.ports[u.Port] = append(slices.Clip(y.ports[u.Port]), u)
			touched[u.Port] = true
		}
	}
	// A full build lists each port's users in the order of the services'
	// listing, by name (fs.ReadDir's), and within a service in file order;
	// the findings name the first users, so the order must be the same.
	// The kept users are in that order already and the added ones in file
	// order per service: a stable sort by service restores it.
	for port := range touched {
		slices.SortStableFunc(y.ports[port], func(a, b PortUse) int { return strings.Compare(a.Service, b.Service) })
	}
	return y, nil
}

// serviceTest returns whether a top-level name is a service directory by
// [ListServices]' rule: a directory, not a link, not hidden or starting
// with "_". A tree that can Lstat answers per name; others are listed once,
// as a full build lists them (4,000 entries, which a changed service or two
// should not cost on a tree that can do better).
func serviceTest(fsys fs.FS) (func(name string) (bool, error), error) {
	skip := func(name string) bool { return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") }
	if rl, ok := fsys.(fs.ReadLinkFS); ok {
		return func(name string) (bool, error) {
			if skip(name) {
				return false, nil
			}
			fi, err := rl.Lstat(name)
			if errors.Is(err, fs.ErrNotExist) {
				return false, nil
			} else if err != nil {
				return false, fmt.Errorf("service directory %s: %w", name, err)
			}
			return fi.IsDir() && fi.Mode()&fs.ModeSymlink == 0, nil
		}, nil
	}
	listed, err := ListServices(fsys)
	if err != nil {
		return nil, err
	}
	slices.Sort(listed) // fs.ReadDir's order already, unless the tree breaks its contract
	return func(name string) (bool, error) {
		_, found := slices.BinarySearch(listed, name)
		return found, nil
	}, nil
}

// Services returns how many services have a readable smartstack.yaml in
// the index (for logs and benchmarks).
func (x *RepoIndex) Services() int { return len(x.namespaces) }

// String summarises the index (for test failures and logs).
func (x *RepoIndex) String() string {
	users := 0
	for _, u := range x.ports {
		users += len(u)
	}
	return fmt.Sprintf("index of %d services with smartstack.yaml, %d proxy_ports, %d port users", len(x.namespaces), len(x.ports), users)
}
