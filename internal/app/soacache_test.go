package app

import (
	"io/fs"
	"sync"
	"testing"
	"time"
)

// openCounter counts opens per file of the tree it wraps. Like any wrapper
// (fs.Sub, a caching layer) it hides the wrapped tree's type, which is how
// the App used to lose the shared soa index.
type openCounter struct {
	fs.FS
	mu    sync.Mutex
	opens map[string]int
}

func (c *openCounter) Open(name string) (fs.File, error) {
	c.mu.Lock()
	c.opens[name]++
	c.mu.Unlock()
	return c.FS.Open(name)
}

func TestChecker_TheServicesOfOneSOAPushShareOneRepositoryIndex(t *testing.T) {
	now := time.Unix(1700000000, 0)
	soaTree := &openCounter{opens: map[string]int{}, FS: tree(
		"alpha/smartstack.yaml", "main:\n  proxy_port: 20001\n",
		"beta/smartstack.yaml", "main:\n  proxy_port: 20002\n",
		"gamma/smartstack.yaml", "main:\n  proxy_port: 20003\n",
	)}
	c := &fakeClient{trees: map[string]fs.FS{"s": soaTree}}
	ch := newTestChecker(t, c, &now)
	if err := runJob(t, ch, checkJob{SHA: "s", DefaultSHA: "s", Event: "push", SOA: true, Services: []string{"alpha", "beta"}}); err != nil {
		t.Fatal(err)
	}
	if _, runs := c.take(); len(runs) != 1 || runs[0].Result == nil {
		t.Fatalf("published %+v", runs)
	}
	// Only building the index reads gamma, which the push did not change.
	soaTree.mu.Lock()
	defer soaTree.mu.Unlock()
	if n := soaTree.opens["gamma/smartstack.yaml"]; n != 1 {
		t.Errorf("gamma/smartstack.yaml read %d times while checking alpha and beta, want 1 (one index for the commit)", n)
	}
}

func TestChecker_ServicesCheckedAgainstTheCachedSOARepositoryShareOneIndex(t *testing.T) {
	now := time.Unix(1700000000, 0)
	soaTree := &openCounter{opens: map[string]int{}, FS: tree(
		"web/smartstack.yaml", "main:\n  proxy_port: 20001\n",
		"api/smartstack.yaml", "main:\n  proxy_port: 20002\n",
		"gamma/smartstack.yaml", "main:\n  proxy_port: 20003\n",
	)}
	service := tree("Makefile", goodMakefile, "Dockerfile", "FROM scratch\n")
	c := &fakeClient{trees: map[string]fs.FS{"soa1": soaTree, "w": service, "a": service},
		heads: map[string]string{"acme/yelpsoa-configs": "soa1"}}
	ch := newTestChecker(t, c, &now)
	ch.SOARepo = "acme/yelpsoa-configs"
	for _, j := range []checkJob{{SHA: "w", DefaultSHA: "w", Event: "push"}, {SHA: "a", DefaultSHA: "a", Event: "push"}} {
		if err := runJob(t, ch, j); err != nil {
			t.Fatal(err)
		}
	}
	if _, runs := c.take(); len(runs) != 2 {
		t.Fatalf("published %d runs, want 2", len(runs))
	}
	soaTree.mu.Lock()
	defer soaTree.mu.Unlock()
	if n := soaTree.opens["gamma/smartstack.yaml"]; n != 1 {
		t.Errorf("gamma/smartstack.yaml read %d times by two checks against one soa snapshot, want 1 (one index)", n)
	}
}
