package soa

import (
	"context"
	"errors"
	"io/fs"
	"sync"
	"testing"
	"testing/fstest"
)

type countOpens struct {
	fs.FS
	mu sync.Mutex
	n  map[string]int
}

func (c *countOpens) Open(name string) (fs.File, error) {
	c.mu.Lock()
	c.n[name]++
	c.mu.Unlock()
	return c.FS.Open(name)
}

func smallTree() *countOpens {
	return &countOpens{n: map[string]int{}, FS: fstest.MapFS{
		"a/smartstack.yaml": {Data: []byte("main:\n  proxy_port: 20001\n")},
		"b/smartstack.yaml": {Data: []byte("main:\n  proxy_port: 20001\n")},
	}}
}

func TestCache_ConcurrentCallersShareOneIndex(t *testing.T) {
	tree := smallTree()
	c := NewCache(tree, nil, DefaultLimits())
	var wg sync.WaitGroup
	got := make([]*RepoIndex, 8)
	for i := range got {
		wg.Go(func() {
			x, err := c.Index(context.Background())
			if err != nil {
				t.Error(err)
			}
			got[i] = x
		})
	}
	wg.Wait()
	for _, x := range got[1:] {
		if x != got[0] {
			t.Fatal("two different indexes from one cache")
		}
	}
	if n := tree.n["b/smartstack.yaml"]; n != 1 {
		t.Errorf("b/smartstack.yaml read %d times, want 1", n)
	}
	if users := got[0].PortUsers(20001); len(users) != 2 {
		t.Errorf("port 20001 users %v, want a and b", users)
	}
}

func TestCache_ABuildStoppedByItsContextIsNotRemembered(t *testing.T) {
	c := NewCache(smallTree(), nil, DefaultLimits())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Index(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Index with a cancelled context: %v, want context.Canceled", err)
	}
	x, err := c.Index(context.Background())
	if err != nil || x == nil {
		t.Fatalf("the next Index: %v, %v; want an index", x, err)
	}
}

func TestCache_LoadServiceSeesALinkedServiceDirectoryFromTheRootListing(t *testing.T) {
	tree := fstest.MapFS{
		"real/service.yaml": {Data: []byte("description: d\n")},
		"linked":            {Data: []byte("real"), Mode: fs.ModeSymlink | 0o777},
	}
	c := NewCache(tree, nil, DefaultLimits())
	if _, err := c.LoadService("linked"); !errors.Is(err, ErrSymlink) {
		t.Errorf("LoadService(linked) = %v, want ErrSymlink", err)
	}
	if _, err := c.LoadService("ghost"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadService(ghost) = %v, want fs.ErrNotExist", err)
	}
	if s, err := c.LoadService("real"); err != nil || s.File("service.yaml") == nil {
		t.Errorf("LoadService(real) = %v, %v", s, err)
	}
}

func TestCache_ABadSchemaDirectoryIsAnError(t *testing.T) {
	c := NewCache(fstest.MapFS{}, fstest.MapFS{"kubernetes_schema.json": {Data: []byte("{")}}, DefaultLimits())
	if _, err := c.Schemas(); err == nil {
		t.Error("Schemas of a broken schema file: no error")
	}
	if s, err := NewCache(fstest.MapFS{}, nil, DefaultLimits()).Schemas(); err != nil || s["kubernetes"] == nil {
		t.Errorf("built-in Schemas: %v, %v", s, err)
	}
}
