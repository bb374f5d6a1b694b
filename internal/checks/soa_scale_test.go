package checks

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/contractbot/contractbot/internal/soa"
	"github.com/contractbot/contractbot/internal/soa/soatest"
)

// scaledSOA is issue 12's organisation in memory (soatest.BigRepo: 4,000
// services of 10 files, 1,800 in SmartStack), with edit applied to the
// files it names.
func scaledSOA(tb testing.TB, edit map[string]func(string) string) fs.FS {
	tb.Helper()
	files, err := soatest.BigRepo()
	if err != nil {
		tb.Fatal(err)
	}
	for i, f := range files {
		if e := edit[f.Path]; e != nil {
			files[i].Content = e(f.Content)
		}
	}
	return soatest.NewMemFS(files)
}

// smartstackServices returns the first n services of soatest.BigRepo with
// a smartstack.yaml, and their proxy_ports.
func smartstackServices(n int) (names []string, ports []int) {
	for i := 0; len(names) < n; i++ {
		if port, ok := soatest.HasSmartStack(i, soatest.BigServices, soatest.BigSmartStack); ok {
			names, ports = append(names, fmt.Sprintf("svc%04d", i)), append(ports, port)
		}
	}
	return names, ports
}

// checkChangedServices is the App's check of a soa push (internal/app
// checkSOA): every changed service checked against one cache, the
// repository-wide findings that several runs report kept once.
func checkChangedServices(ctx context.Context, tb testing.TB, e *Engine, cache *soa.Cache, services []string) []Finding {
	tb.Helper()
	seen := map[string]bool{}
	var out []Finding
	for _, s := range services {
		// The generated services' system configuration, as the App runs
		// with one: without it soa.system-config notes what is skipped.
		t, err := Prepare(ctx, nil, Options{Config: &Config{}, SOACache: cache, Service: s, PaastaConfig: soatest.SystemConfig()})
		if err != nil {
			tb.Fatal(err)
		}
		res, err := e.Run(ctx, t)
		if err != nil {
			tb.Fatalf("service %s: %v", s, err)
		}
		for _, f := range res.Findings {
			if k := f.String(); !seen[k] {
				seen[k] = true
				out = append(out, f)
			}
		}
	}
	SortFindings(out)
	return out
}

func serviceNames(n, step int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("svc%04d", (i*step)%4000)
	}
	return out
}

// TestCheckingEveryServiceOf4000FindsTheOneBrokenDeployGroup: issue 12's
// organisation, every service checked against one cache as check-soa and
// the App do; one canary's deploy group is not in its pipeline, and that
// is the only finding.
func TestCheckingEveryServiceOf4000FindsTheOneBrokenDeployGroup(t *testing.T) {
	if testing.Short() {
		t.Skip("checks 40,000 files")
	}
	const broken = "svc2345/kubernetes-cluster03.yaml"
	var line int
	tree := scaledSOA(t, map[string]func(string) string{broken: func(body string) string {
		// The canary names a deploy group no step of deploy.yaml has.
		before, after, ok := strings.Cut(body, "  deploy_group: canary\n")
		if !ok {
			t.Fatalf("%s has no canary deploy group: the generator changed, move the test's break", broken)
		}
		line = strings.Count(before, "\n") + 1
		return before + "  deploy_group: cluster03.nowhere\n" + after
	}})
	e, err := NewEngine(All())
	if err != nil {
		t.Fatal(err)
	}
	cache := soa.NewCache(tree, nil, soa.DefaultLimits())
	got := checkChangedServices(context.Background(), t, e, cache, serviceNames(4000, 1))
	if len(got) != 1 {
		t.Fatalf("%d findings, want 1; the first: %v", len(got), got[:min(len(got), 3)])
	}
	if f := got[0]; f.RuleID != "soa.deploy-group" || f.Path != broken || f.Line != line {
		t.Errorf("the finding is %s, want soa.deploy-group at %s:%d", f, broken, line)
	}
}

// BenchmarkCheckSOAChangedServices measures the App's check of a soa push
// (checkChangedServices) in issue 12's 4,000-service tree: one changed
// service against a fresh cache and against one derived from the previous
// head's (Cache.Next); and 200 and 2,000 changed services against a fresh
// cache, where, if a run's repository-wide work grew with the repository,
// the cost per service would grow with their number.
func BenchmarkCheckSOAChangedServices(b *testing.B) {
	fsys := scaledSOA(b, nil)
	e, err := NewEngine(All())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	// One changed service, its index derived from the previous head's
	// (what the App does with Cache.Next) or built afresh.
	svcs, _ := smartstackServices(1)
	prev := soa.NewCache(fsys, nil, soa.DefaultLimits())
	if _, err := prev.Index(ctx); err != nil {
		b.Fatal(err)
	}
	for _, derived := range []bool{false, true} {
		name := "1 changed, fresh index"
		if derived {
			name = "1 changed, derived index"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				cache := soa.NewCache(fsys, nil, soa.DefaultLimits())
				if derived {
					cache = prev.Next(fsys, []string{svcs[0] + "/smartstack.yaml"})
				}
				if fs := checkChangedServices(ctx, b, e, cache, svcs); len(fs) != 0 {
					b.Fatalf("%d findings; the first: %v", len(fs), fs[0])
				}
			}
		})
	}
	for _, n := range []int{200, 2000} {
		services := serviceNames(n, 4000/n)
		b.Run(fmt.Sprintf("%d changed", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				// A fresh cache per push: its index is part of the cost.
				cache := soa.NewCache(fsys, nil, soa.DefaultLimits())
				if fs := checkChangedServices(ctx, b, e, cache, services); len(fs) != 0 {
					b.Fatalf("%d findings; the first: %v", len(fs), fs[0])
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/service")
		})
	}
}

// TestAPortTakenFromAnotherServiceIsReportedThroughTheDerivedIndex: the
// next soa head's cache derives its index from the previous head's; a
// push that gives one service the proxy_port of another is reported at
// its line, naming the other, as a full build would.
func TestAPortTakenFromAnotherServiceIsReportedThroughTheDerivedIndex(t *testing.T) {
	ctx := context.Background()
	e, err := NewEngine(All())
	if err != nil {
		t.Fatal(err)
	}
	svcs, ports := smartstackServices(2)
	first := soa.NewCache(scaledSOA(t, nil), nil, soa.DefaultLimits())
	if fs := checkChangedServices(ctx, t, e, first, svcs); len(fs) != 0 {
		t.Fatalf("the first head has findings: %v", fs)
	}
	changed := svcs[0] + "/smartstack.yaml"
	next := first.Next(scaledSOA(t, map[string]func(string) string{changed: func(body string) string {
		return strings.Replace(body, fmt.Sprintf("proxy_port: %d\n", ports[0]), fmt.Sprintf("proxy_port: %d\n", ports[1]), 1)
	}}), []string{changed})
	got := checkChangedServices(ctx, t, e, next, svcs[:1])
	if len(got) != 1 {
		t.Fatalf("%d findings, want 1: %v", len(got), got)
	}
	other := fmt.Sprintf("%s.main (%s/smartstack.yaml:2)", svcs[1], svcs[1])
	if f := got[0]; f.RuleID != "soa.proxy-port" || f.Path != changed || f.Line != 2 || !strings.Contains(f.Message, other) {
		t.Errorf("the finding is %s, want soa.proxy-port at %s:2 naming %s", f, changed, other)
	}
	x, err := next.Index(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if users := x.PortUsers(int64(ports[0])); len(users) != 0 {
		t.Errorf("port %d is still in use in the derived index: %v", ports[0], users)
	}
}
