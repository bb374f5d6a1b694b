package soa

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"
)

// sameIndex reports how two indexes differ, or "".
func sameIndex(got, want *RepoIndex) string {
	if !reflect.DeepEqual(got.namespaces, want.namespaces) {
		return fmt.Sprintf("namespaces:\n got %v\nwant %v", got.namespaces, want.namespaces)
	}
	if !reflect.DeepEqual(got.ports, want.ports) {
		return fmt.Sprintf("ports:\n got %v\nwant %v", got.ports, want.ports)
	}
	return ""
}

func stack(body string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(body)} }

// indexBase is the tree the table's mutations start from.
func indexBase() fstest.MapFS {
	return fstest.MapFS{
		"alpha/smartstack.yaml":   stack("main:\n  proxy_port: 20001\ncanary:\n  proxy_port: 20002\n"),
		"beta/smartstack.yaml":    stack("main:\n  proxy_port: 20001\nbatch:\n  proxy_port: null\n"),
		"gamma/smartstack.yaml":   stack("main:\n  proxy_port: 20003\n"),
		"delta/service.yaml":      stack("description: no smartstack\n"),
		"_shared/smartstack.yaml": stack("main:\n  proxy_port: 20009\n"),
		"README.md":               stack("soa\n"),
	}
}

func TestDerive_GivesTheIndexAFullBuildGives(t *testing.T) {
	ctx := context.Background()
	lim := DefaultLimits()
	tests := []struct {
		name    string
		mutate  func(fstest.MapFS)
		changed []string
		reads   []string // the smartstack.yaml files Derive may read
	}{
		{"a new service is added", func(m fstest.MapFS) {
			m["epsilon/smartstack.yaml"] = stack("main:\n  proxy_port: 20001\n")
		}, []string{"epsilon/smartstack.yaml"}, []string{"epsilon/smartstack.yaml"}},
		{"a removed service drops its namespaces and ports", func(m fstest.MapFS) {
			delete(m, "alpha/smartstack.yaml")
		}, []string{"alpha/smartstack.yaml"}, nil},
		{"a proxy_port moves from one service to another", func(m fstest.MapFS) {
			m["gamma/smartstack.yaml"] = stack("main:\n  proxy_port: 20004\n")
			m["delta/smartstack.yaml"] = stack("web:\n  proxy_port: 20003\n")
		}, []string{"gamma", "delta"}, []string{"gamma/smartstack.yaml", "delta/smartstack.yaml"}},
		{"a port taken by a service that sorts first keeps the users in listing order", func(m fstest.MapFS) {
			m["aardvark/smartstack.yaml"] = stack("x:\n  proxy_port: 20001\ny:\n  proxy_port: 20001\n")
		}, []string{"aardvark/smartstack.yaml"}, []string{"aardvark/smartstack.yaml"}},
		{"a broken smartstack.yaml leaves its service out", func(m fstest.MapFS) {
			m["beta/smartstack.yaml"] = stack("main: [\n")
		}, []string{"beta/smartstack.yaml"}, []string{"beta/smartstack.yaml"}},
		{"a service directory replaced by a file is no longer a service", func(m fstest.MapFS) {
			delete(m, "gamma/smartstack.yaml")
			m["gamma"] = stack("not a directory\n")
		}, []string{"gamma", "gamma/smartstack.yaml"}, nil},
		{"a service directory replaced by a link is no longer a service", func(m fstest.MapFS) {
			delete(m, "gamma/smartstack.yaml")
			m["gamma"] = &fstest.MapFile{Data: []byte("alpha"), Mode: fs.ModeSymlink | 0o777}
		}, []string{"gamma"}, nil},
		{"a linked smartstack.yaml is left out", func(m fstest.MapFS) {
			m["gamma/smartstack.yaml"] = &fstest.MapFile{Data: []byte("../alpha/smartstack.yaml"), Mode: fs.ModeSymlink | 0o777}
		}, []string{"gamma/smartstack.yaml"}, nil},
		{"a change below a service directory re-reads only that service", func(m fstest.MapFS) {
			m["beta/kubernetes-norcal.yaml"] = stack("main: {}\n")
		}, []string{"beta/kubernetes-norcal.yaml"}, []string{"beta/smartstack.yaml"}},
		{"an underscore directory never becomes a service", func(m fstest.MapFS) {
			m["_shared/smartstack.yaml"] = stack("main:\n  proxy_port: 20001\n")
		}, []string{"_shared/smartstack.yaml"}, nil},
		{"a root-level file changes nothing", func(m fstest.MapFS) {
			m["README.md"] = stack("changed\n")
		}, []string{"README.md"}, nil},
		{"a name in neither tree changes nothing", func(fstest.MapFS) {}, []string{"ghost/smartstack.yaml"}, nil},
		{"the whole tree named rebuilds it", func(m fstest.MapFS) {
			m["gamma/smartstack.yaml"] = stack("main:\n  proxy_port: 20001\n")
		}, []string{"."}, []string{"alpha/smartstack.yaml", "beta/smartstack.yaml", "gamma/smartstack.yaml"}},
		{"an empty list of changes keeps the index", func(fstest.MapFS) {}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := indexBase()
			base, err := BuildRepoIndex(ctx, before, lim)
			if err != nil {
				t.Fatal(err)
			}
			after := indexBase()
			tt.mutate(after)
			counted := &countOpens{FS: after, n: map[string]int{}}
			got, err := base.Derive(ctx, counted, tt.changed, lim)
			if err != nil {
				t.Fatal(err)
			}
			want, err := BuildRepoIndex(ctx, after, lim)
			if err != nil {
				t.Fatal(err)
			}
			if d := sameIndex(got, want); d != "" {
				t.Error(d)
			}
			for name, n := range counted.n {
				if strings.HasSuffix(name, "/smartstack.yaml") && !slices.Contains(tt.reads, name) {
					t.Errorf("Derive read %s (%d times); it may read only %v", name, n, tt.reads)
				}
			}
			again, _ := BuildRepoIndex(ctx, before, lim)
			if d := sameIndex(base, again); d != "" {
				t.Errorf("Derive modified the index it derived from: %s", d)
			}
		})
	}
}

func TestDerive_TwoIndexesDerivedFromOneNeverShareAWrite(t *testing.T) {
	ctx := context.Background()
	lim := DefaultLimits()
	// Three users of 20001: a slice grown by append to three has room for
	// a fourth, so that an append without a copy would let the second
	// derived index overwrite the first's.
	tree := func() fstest.MapFS {
		m := indexBase()
		m["gamma/smartstack.yaml"] = stack("main:\n  proxy_port: 20001\n")
		return m
	}
	before := tree()
	base, err := BuildRepoIndex(ctx, before, lim)
	if err != nil {
		t.Fatal(err)
	}
	if users := base.PortUsers(20001); cap(users) == len(users) {
		t.Fatalf("the base's users of 20001 %v leave no room to append: the test proves nothing", users)
	}
	one, two := tree(), tree()
	one["omega/smartstack.yaml"] = stack("one:\n  proxy_port: 20001\n")
	two["omega/smartstack.yaml"] = stack("two:\n  proxy_port: 20001\n")
	x1, err1 := base.Derive(ctx, one, []string{"omega"}, lim)
	x2, err2 := base.Derive(ctx, two, []string{"omega"}, lim)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	for _, c := range []struct {
		x    *RepoIndex
		tree fstest.MapFS
	}{{x1, one}, {x2, two}, {base, before}} {
		want, _ := BuildRepoIndex(ctx, c.tree, lim)
		if d := sameIndex(c.x, want); d != "" {
			t.Error(d)
		}
	}
}

func TestDerive_AStoppedContextIsAnError(t *testing.T) {
	base, _ := BuildRepoIndex(context.Background(), indexBase(), DefaultLimits())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := base.Derive(ctx, indexBase(), []string{"alpha"}, DefaultLimits()); err == nil {
		t.Error("Derive with a cancelled context: no error")
	}
}

func TestChangedServices_NamesTopLevelDirectoriesOrTheWholeTree(t *testing.T) {
	tests := []struct {
		name    string
		changed []string
		want    []string
		whole   bool
	}{
		{"paths below a directory name it once", []string{"web/a.yaml", "web/b/c.yaml", "web"}, []string{"web"}, false},
		{"names come back sorted", []string{"zeta/x", "alpha/"}, []string{"alpha", "zeta"}, false},
		{"the root is the whole tree", []string{"web", "."}, nil, true},
		{"an empty path is the whole tree", []string{""}, nil, true},
		{"a path leaving the tree is the whole tree", []string{"../web"}, nil, true},
		{"no changes name nothing", nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, whole := ChangedServices(tt.changed)
			if !slices.Equal(got, tt.want) || whole != tt.whole {
				t.Errorf("ChangedServices(%q) = %q, %v; want %q, %v", tt.changed, got, whole, tt.want, tt.whole)
			}
		})
	}
}

// genTree is a soa tree the property test mutates: each top-level name is
// a service with a smartstack.yaml, a service without one, a broken one,
// a file or a link.
type genTree map[string]string // name -> smartstack.yaml, or a marker below

const (
	genNoStack = "\x00none"
	genFile    = "\x00file"
	genLink    = "\x00link"
)

func (g genTree) fs() fstest.MapFS {
	m := fstest.MapFS{}
	for name, body := range g {
		switch body {
		case genNoStack:
			m[name+"/service.yaml"] = stack("description: d\n")
		case genFile:
			m[name] = stack("a file\n")
		case genLink:
			m[name] = &fstest.MapFile{Data: []byte("svc00"), Mode: fs.ModeSymlink | 0o777}
		default:
			m[name+"/smartstack.yaml"] = stack(body)
			m[name+"/service.yaml"] = stack("description: d\n")
		}
	}
	return m
}

// genStack writes a smartstack.yaml of one to three namespaces whose ports
// come from a small range, so that shared ports are common.
func genStack(r *rand.Rand) string {
	var b strings.Builder
	for i := range 1 + r.IntN(3) {
		fmt.Fprintf(&b, "ns%d:\n", i)
		switch r.IntN(6) {
		case 0:
			b.WriteString("  proxy_port: null\n")
		case 1:
			b.WriteString("  mode: http\n")
		default:
			fmt.Fprintf(&b, "  proxy_port: %d\n", 20000+r.IntN(8))
		}
	}
	return b.String()
}

// mutateTree applies one random change to g and returns the paths it
// touched, as git diff-tree would name them.
func mutateTree(r *rand.Rand, g genTree) []string {
	name := fmt.Sprintf("svc%02d", r.IntN(24))
	if r.IntN(10) == 0 {
		name = "_" + name // never a service, whatever it holds
	}
	switch r.IntN(8) {
	case 0: // add or replace a service
		g[name] = genStack(r)
	case 1: // remove one
		delete(g, name)
	case 2: // break its smartstack.yaml
		g[name] = "main: [\n"
	case 3: // move a proxy_port from another service to this one
		from := fmt.Sprintf("svc%02d", r.IntN(24))
		body, ok := g[from]
		if !ok || strings.HasPrefix(body, "\x00") || !strings.Contains(body, "proxy_port: 2") {
			g[name] = genStack(r)
			return []string{name + "/smartstack.yaml"}
		}
		i := strings.Index(body, "proxy_port: 2")
		port := body[i+len("proxy_port: ") : i+len("proxy_port: 20000")]
		g[from] = strings.Replace(body, "proxy_port: "+port, "proxy_port: 20999", 1)
		g[name] = "moved:\n  proxy_port: " + port + "\n"
		return []string{from + "/smartstack.yaml", name + "/smartstack.yaml"}
	case 4:
		g[name] = genNoStack
	case 5:
		g[name] = genFile
		return []string{name}
	case 6:
		g[name] = genLink
		return []string{name}
	case 7: // a change that leaves the smartstack.yaml alone
		return []string{name + "/kubernetes-norcal.yaml"}
	}
	return []string{name + "/smartstack.yaml", name + "/service.yaml"}
}

// checkDerivedChain applies steps random mutations to a random tree and,
// after each, compares the index derived through Cache.Next with a full
// build. Some snapshots never build their index, so that the next one
// derives across several changes.
func checkDerivedChain(t *testing.T, seed uint64, steps int) {
	t.Helper()
	ctx := context.Background()
	lim := DefaultLimits()
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	g := genTree{}
	for range 12 {
		mutateTree(r, g)
	}
	c := NewCache(g.fs(), nil, lim)
	for step := range steps {
		var changed []string
		for range 1 + r.IntN(3) {
			changed = append(changed, mutateTree(r, g)...)
		}
		if r.IntN(8) == 0 {
			changed = append(changed, "svc23/deploy.yaml") // a superset is harmless
		}
		var tree fs.FS = g.fs()
		if r.IntN(2) == 0 {
			// Hide Lstat and ReadDir: Derive then decides what is a
			// service from a listing of the root.
			tree = struct{ fs.FS }{tree}
		}
		prev := c
		c = prev.Next(tree, changed)
		if r.IntN(4) == 0 {
			// The previous snapshot's check builds its index only now,
			// after Next: the next Index derives from it all the same.
			if _, err := prev.Index(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if r.IntN(4) == 0 {
			continue // this snapshot is never checked
		}
		got, err := c.Index(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want, err := BuildRepoIndex(ctx, tree, lim)
		if err != nil {
			t.Fatal(err)
		}
		if d := sameIndex(got, want); d != "" {
			t.Fatalf("seed %d, step %d, changed %q: the derived index differs from a full build: %s", seed, step, changed, d)
		}
	}
}

func TestCacheNext_RandomMutationsDeriveTheIndexAFullBuildGives(t *testing.T) {
	for seed := range uint64(40) {
		checkDerivedChain(t, seed, 30)
	}
}

func FuzzCacheNext(f *testing.F) {
	for _, s := range []uint64{0, 1, 7, 1 << 40} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, seed uint64) {
		checkDerivedChain(t, seed, 20)
	})
}

func TestCacheNext_DerivesFromThePreviousIndexAndReadsOnlyTheChangedServices(t *testing.T) {
	ctx := context.Background()
	before := indexBase()
	c := NewCache(before, nil, DefaultLimits())
	x, err := c.Index(ctx)
	if err != nil {
		t.Fatal(err)
	}
	after := indexBase()
	after["beta/smartstack.yaml"] = stack("main:\n  proxy_port: 20003\n")
	counted := &countOpens{FS: after, n: map[string]int{}}
	next := c.Next(counted, []string{"beta/smartstack.yaml"})
	y, err := next.Index(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if users := y.PortUsers(20003); len(users) != 2 {
		t.Errorf("port 20003 users %v, want beta and gamma", users)
	}
	if users := x.PortUsers(20003); len(users) != 1 {
		t.Errorf("the previous index changed: port 20003 users %v, want gamma only", users)
	}
	for _, other := range []string{"alpha/smartstack.yaml", "gamma/smartstack.yaml"} {
		if counted.n[other] != 0 {
			t.Errorf("the next index read %s, which did not change", other)
		}
	}
	if unchanged := c.Next(before, nil); unchanged.FS() == nil {
		t.Fatal("Next returned a cache without a tree")
	} else if z, _ := unchanged.Index(ctx); z != x {
		t.Error("an empty list of changes did not share the index")
	}
	s1, _ := c.Schemas()
	s2, _ := next.Schemas()
	if reflect.ValueOf(s1).Pointer() != reflect.ValueOf(s2).Pointer() {
		t.Error("the next cache compiled the schemas again")
	}
}

func TestCacheNext_OfACacheThatNeverBuiltItsIndexBuildsFromScratch(t *testing.T) {
	ctx := context.Background()
	after := indexBase()
	after["beta/smartstack.yaml"] = stack("main:\n  proxy_port: 20003\n")
	next := NewCache(indexBase(), nil, DefaultLimits()).Next(after, []string{"beta"})
	got, err := next.Index(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := BuildRepoIndex(ctx, after, DefaultLimits())
	if d := sameIndex(got, want); d != "" {
		t.Error(d)
	}
}

func FuzzChangedServices(f *testing.F) {
	for _, s := range []string{"web/smartstack.yaml", "web", ".", "", "../x", "a/b\x00c/d", "web/", "//", "a\nb/c"} {
		f.Add(s, "other/deploy.yaml")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		names, whole := ChangedServices([]string{a, b})
		if whole {
			if names != nil {
				t.Fatalf("whole tree, yet names %q", names)
			}
			return
		}
		for i, n := range names {
			if n == "" || n == "." || n == ".." || strings.Contains(n, "/") || !fs.ValidPath(n) {
				t.Fatalf("ChangedServices(%q, %q) names %q, not one top-level name", a, b, n)
			}
			if i > 0 && names[i-1] >= n {
				t.Fatalf("names %q are not sorted and unique", names)
			}
		}
	})
}

func TestCacheIndexReads_NamesWhatTheFirstIndexReads(t *testing.T) {
	ctx := context.Background()
	c := NewCache(indexBase(), nil, DefaultLimits())
	if paths, all := c.IndexReads(); paths != nil || !all {
		t.Errorf("a new cache: IndexReads = %q, %v; want every smartstack.yaml", paths, all)
	}
	if _, err := c.Index(ctx); err != nil {
		t.Fatal(err)
	}
	if paths, all := c.IndexReads(); paths != nil || all {
		t.Errorf("a cache with its index: IndexReads = %q, %v; want nothing", paths, all)
	}
	next := c.Next(indexBase(), []string{"gamma/kubernetes-norcal.yaml", "beta/smartstack.yaml", "beta/deploy.yaml"})
	if paths, all := next.IndexReads(); !slices.Equal(paths, []string{"beta/smartstack.yaml", "gamma/smartstack.yaml"}) || all {
		t.Errorf("a derived cache: IndexReads = %q, %v; want beta's and gamma's smartstack.yaml", paths, all)
	}
	if paths, all := c.Next(indexBase(), nil).IndexReads(); len(paths) != 0 || all {
		t.Errorf("an unchanged tree: IndexReads = %q, %v; want nothing", paths, all)
	}
}

func TestCacheNext_DerivesFromAnIndexThePreviousCacheBuiltAfterNext(t *testing.T) {
	ctx := context.Background()
	c := NewCache(indexBase(), nil, DefaultLimits())
	after := indexBase()
	after["beta/smartstack.yaml"] = stack("main:\n  proxy_port: 20003\n")
	counted := &countOpens{FS: after, n: map[string]int{}}
	next := c.Next(counted, []string{"beta"})
	if _, err := c.Index(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := next.Index(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := BuildRepoIndex(ctx, after, DefaultLimits())
	if d := sameIndex(got, want); d != "" {
		t.Error(d)
	}
	if counted.n["alpha/smartstack.yaml"] != 0 || counted.n["gamma/smartstack.yaml"] != 0 {
		t.Errorf("the next index read unchanged services' files: %v", counted.n)
	}
	if next.prev != nil {
		t.Error("the next cache still holds the previous one after building its index")
	}
}

func TestCacheNext_AChainOfCachesWithoutIndexesHoldsOneOldCache(t *testing.T) {
	c0 := NewCache(indexBase(), nil, DefaultLimits())
	c1 := c0.Next(indexBase(), []string{"alpha"})
	c2 := c1.Next(indexBase(), []string{"beta"})
	if c1.prev != c0 || c2.prev != c0 {
		t.Fatalf("prev of c1 %p, of c2 %p; want both c0 %p", c1.prev, c2.prev, c0)
	}
	if !slices.Equal(c2.changed, []string{"alpha", "beta"}) {
		t.Errorf("c2's changes since c0 are %q, want alpha and beta", c2.changed)
	}
}

// gatedFS blocks the first read of one file until the gate opens, so that
// a test can hold an index build in progress.
type gatedFS struct {
	fs.FS
	name    string
	reached chan struct{}
	gate    chan struct{}
	once    sync.Once
}

func (g *gatedFS) Open(name string) (fs.File, error) {
	if name == g.name {
		g.once.Do(func() {
			close(g.reached)
			<-g.gate
		})
	}
	return g.FS.Open(name)
}

func TestCacheNext_DoesNotWaitForABuildInProgressButItsIndexDoes(t *testing.T) {
	ctx := context.Background()
	before := &gatedFS{FS: indexBase(), name: "beta/smartstack.yaml", reached: make(chan struct{}), gate: make(chan struct{})}
	c := NewCache(before, nil, DefaultLimits())
	built := make(chan error, 1)
	go func() {
		_, err := c.Index(ctx)
		built <- err
	}()
	<-before.reached // c's build is in progress, holding its build lock

	after := indexBase()
	after["beta/smartstack.yaml"] = stack("main:\n  proxy_port: 20003\n")
	counted := &countOpens{FS: after, n: map[string]int{}}
	nextc := make(chan *Cache, 1)
	go func() { nextc <- c.Next(counted, []string{"beta"}) }()
	var next *Cache
	select {
	case next = <-nextc:
	case <-time.After(time.Minute): // a deadlock detector, not a timing
		t.Fatal("Next waited for the previous cache's index build")
	}
	derived := make(chan error, 1)
	go func() {
		_, err := next.Index(ctx)
		derived <- err
	}()
	close(before.gate)
	if err := <-built; err != nil {
		t.Fatal(err)
	}
	if err := <-derived; err != nil {
		t.Fatal(err)
	}
	got, _ := next.Index(ctx)
	want, _ := BuildRepoIndex(ctx, after, DefaultLimits())
	if d := sameIndex(got, want); d != "" {
		t.Error(d)
	}
	if counted.n["alpha/smartstack.yaml"] != 0 {
		t.Errorf("the next index was built from the whole tree, not derived from the build it waited for: %v", counted.n)
	}
}
