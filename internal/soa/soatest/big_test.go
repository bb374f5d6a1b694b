package soatest_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/soa"
	"github.com/contractbot/contractbot/internal/soa/soatest"
)

func TestTheBigRepositoryHasTheSizeTheIssueNames(t *testing.T) {
	start := time.Now()
	files, err := soatest.BigRepo()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("generated %d files in %v", len(files), time.Since(start))
	if len(files) != soatest.BigServices*soatest.BigFilesPerService {
		t.Errorf("%d files, want %d", len(files), soatest.BigServices*soatest.BigFilesPerService)
	}
	dirs, smartstack := map[string]bool{}, 0
	ports := map[string]bool{}
	for _, f := range files {
		dir, name, _ := strings.Cut(f.Path, "/")
		dirs[dir] = true
		if name == "smartstack.yaml" {
			smartstack++
			port := strings.Fields(strings.SplitN(f.Content, "proxy_port:", 2)[1])[0]
			if ports[port] {
				t.Errorf("proxy_port %s used twice", port)
			}
			ports[port] = true
		}
	}
	if len(dirs) != soatest.BigServices || smartstack != soatest.BigSmartStack {
		t.Errorf("%d services, %d with smartstack.yaml; want %d and %d", len(dirs), smartstack, soatest.BigServices, soatest.BigSmartStack)
	}
	again, _ := soatest.BigRepo()
	again[0].Content = "changed by a caller"
	if third, _ := soatest.BigRepo(); third[0].Content == again[0].Content {
		t.Error("a caller's change to its copy reached the next caller")
	}
}

func TestHasSmartStackAgreesWithTheGeneratedFiles(t *testing.T) {
	files, err := soatest.Generate(50, 7, 23)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f.Path, "/smartstack.yaml") {
			have[strings.TrimSuffix(f.Path, "/smartstack.yaml")] = true
		}
	}
	n := 0
	for i := range 50 {
		name := "svc00" + string(rune('0'+i/10)) + string(rune('0'+i%10))
		port, ok := soatest.HasSmartStack(i, 50, 23)
		if ok != have[name] {
			t.Errorf("%s: HasSmartStack says %v, the files say %v", name, ok, have[name])
		}
		if ok {
			if port != 19000+n {
				t.Errorf("%s: port %d, want %d", name, port, 19000+n)
			}
			n++
		}
	}
	if n != 23 {
		t.Errorf("%d services with smartstack.yaml, want 23", n)
	}
}

// TestTheBigRepositoryKeepsTheContract checks services with and without
// SmartStack, and the repository-wide rules over the whole tree: the
// end-to-end tests count on a clean repository to see the one defect they
// plant.
func TestTheBigRepositoryKeepsTheContract(t *testing.T) {
	files, err := soatest.BigRepo()
	if err != nil {
		t.Fatal(err)
	}
	tree := fstest.MapFS{}
	for _, f := range files {
		tree[f.Path] = &fstest.MapFile{Data: []byte(f.Content), Mode: 0o644}
	}
	e, err := checks.NewEngine(checks.All())
	if err != nil {
		t.Fatal(err)
	}
	cache := soa.NewCache(tree, nil, soa.DefaultLimits())
	for _, svc := range []string{"svc0000", "svc0001", "svc0002", "svc0003", "svc1999", "svc3998", "svc3999"} {
		res, err := e.Run(context.Background(), checks.Target{SOA: tree, Service: svc, SOACache: cache, PaastaConfig: soatest.SystemConfig()})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range res.Findings {
			t.Errorf("%s: %s:%d: %s [%s]", svc, f.Path, f.Line, f.Message, f.RuleID)
		}
	}
}
