package checks

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/contractbot/contractbot/internal/soa"
	"github.com/contractbot/contractbot/internal/soa/soatest"
)

var updateSOA = flag.Bool("update-soa", false, "rewrite testdata/soa/*.golden from the current findings")

const soaFixtures = "../../fixtures/yelpsoa-configs"

func soaEngine(t *testing.T) *Engine {
	t.Helper()
	e, err := NewEngine(soaRules())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func runSOA(t *testing.T, e *Engine, target Target) []Finding {
	t.Helper()
	res, err := e.Run(context.Background(), target)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res.Findings
}

func TestSOARulesAreValidAndDocumented(t *testing.T) {
	rules := soaRules()
	if err := Validate(rules); err != nil {
		t.Fatal(err)
	}
	want := []string{"soa.service-dir", "soa.deploy-yaml", "soa.jenkins-yaml", "soa.yaml-syntax", "soa.schema",
		"soa.deploy-group", "soa.instance-name", "soa.smartstack", "soa.healthcheck", "soa.proxy-port",
		"soa.monitoring", "soa.container-port", "soa.instance-config", "soa.secrets"}
	for i, id := range want {
		if i >= len(rules) || rules[i].ID != id {
			t.Fatalf("rule %d: want %s (ids are stable and documented in this order)", i, id)
		}
	}
}

func TestGoodSOAServicesHaveNoFindings(t *testing.T) {
	e := soaEngine(t)
	root := filepath.Join(soaFixtures, "good")
	for _, svc := range []string{"web", "worker", "nightly"} {
		t.Run(svc, func(t *testing.T) {
			// With the system configuration, so that soa.system-config
			// has nothing to say either.
			fs := runSOA(t, e, Target{SOA: os.DirFS(root), Service: svc, PaastaConfig: os.DirFS(filepath.Join(soaFixtures, "..", "paasta-config"))})
			for _, f := range fs {
				t.Errorf("unexpected finding: %s", f)
			}
		})
	}
}

// Each bad tree breaks one rule; its golden file lists every finding
// contractbot reports for the tree's services (path:line: severity:
// message [rule]), and must contain the rule it is named after.
func TestBadSOATreesReportTheirRule(t *testing.T) {
	e := soaEngine(t)
	cases := []struct {
		rule     string
		services []string
		repo     string // the service repository, for Dockerfile checks
	}{
		{"soa.service-dir", []string{"svc", "leaky", "empty"}, ""},
		{"soa.deploy-yaml", []string{"svc", "nosec"}, ""},
		{"soa.jenkins-yaml", []string{"svc"}, ""},
		{"soa.yaml-syntax", []string{"svc"}, ""},
		{"soa.schema", []string{"svc"}, ""},
		{"soa.deploy-group", []string{"svc"}, ""},
		{"soa.instance-name", []string{"svc"}, ""},
		{"soa.smartstack", []string{"svc", "empty"}, ""},
		{"soa.healthcheck", []string{"svc"}, ""},
		{"soa.proxy-port", []string{"alpha", "beta", "gamma"}, ""},
		{"soa.monitoring", []string{"svc", "nomon", "tronsvc"}, ""},
		{"soa.container-port", []string{"svc"}, "container-port.repo"},
		{"soa.instance-config", []string{"svc"}, ""},
		{"soa.secrets", []string{"svc"}, ""},
	}
	for _, tc := range cases {
		name := strings.TrimPrefix(tc.rule, "soa.")
		t.Run(name, func(t *testing.T) {
			root := filepath.Join(soaFixtures, "bad", name)
			var got strings.Builder
			found := false
			for _, svc := range tc.services {
				target := Target{SOA: os.DirFS(root), Service: svc}
				if tc.repo != "" {
					target.Repo = os.DirFS(filepath.Join(soaFixtures, "bad", tc.repo))
				}
				for _, f := range runSOA(t, e, target) {
					got.WriteString(f.String() + "\n")
					found = found || f.RuleID == tc.rule
				}
			}
			if !found {
				t.Errorf("the bad tree for %s does not trigger it", tc.rule)
			}
			golden := filepath.Join("testdata", "soa", name+".golden")
			if *updateSOA {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestBadSOATrees -update-soa to create it)", err)
			}
			if got.String() != string(want) {
				t.Errorf("findings differ from %s:\ngot:\n%s\nwant:\n%s", golden, got.String(), want)
			}
		})
	}
}

func TestSOADeployGroupGradesUnusedStepsAsWarnings(t *testing.T) {
	e := soaEngine(t)
	fs := runSOA(t, e, Target{SOA: os.DirFS(filepath.Join(soaFixtures, "bad", "deploy-group")), Service: "svc"})
	var unused, missing int
	for _, f := range fs {
		if f.RuleID != "soa.deploy-group" {
			continue
		}
		switch {
		case strings.Contains(f.Message, "is not the deploy group of any instance"):
			unused++
			if f.Severity != SeverityWarning {
				t.Errorf("unused step reported as %s, want warning: %s", f.Severity, f)
			}
		default:
			missing++
			if f.Severity != SeverityError {
				t.Errorf("mismatch reported as %s, want error: %s", f.Severity, f)
			}
		}
	}
	if unused == 0 || missing == 0 {
		t.Errorf("want both unused steps (%d) and missing groups (%d)", unused, missing)
	}
}

func TestSOADeployGroupFixAddsTheMissingStep(t *testing.T) {
	e := soaEngine(t)
	soaFS := fstest.MapFS{
		"svc/deploy.yaml":          {Data: []byte("pipeline:\n  - step: itest\n  - step: prod.main\n")},
		"svc/kubernetes-prod.yaml": {Data: []byte("main:\n  cpus: 1\n  mem: 512\ncanary:\n  cpus: 1\n  mem: 512\n")},
	}
	var fixed int
	for _, f := range runSOA(t, e, Target{SOA: soaFS, Service: "svc"}) {
		if f.RuleID != "soa.deploy-group" || f.Severity != SeverityError {
			continue
		}
		fix, _ := f.Fix()
		edit, ok := fix.LineEdit()
		if !ok || edit.Path != "svc/deploy.yaml" {
			t.Fatalf("no fix on deploy.yaml for %s", f)
		}
		after := runSOA(t, e, Target{SOA: withFixApplied(t, soaFS, edit), Service: "svc"})
		for _, g := range after {
			if g.RuleID == f.RuleID && g.Path == f.Path && g.Line == f.Line {
				t.Errorf("after the fix %q, still: %s", edit.NewText, g)
			}
		}
		fixed++
	}
	if fixed != 1 {
		t.Fatalf("%d deploy-group errors with a fix, want 1 (canary's default group prod.canary)", fixed)
	}
}

func TestSOADeployGroupOffersNoFixInsideAMultiLineStep(t *testing.T) {
	e := soaEngine(t)
	soaFS := fstest.MapFS{
		"svc/deploy.yaml":          {Data: []byte("pipeline:\n  - step: prod.main\n    trigger_next_step_manually: true\n")},
		"svc/kubernetes-prod.yaml": {Data: []byte("canary:\n  cpus: 1\n  mem: 512\n")},
	}
	for _, f := range runSOA(t, e, Target{SOA: soaFS, Service: "svc"}) {
		if _, ok := f.Fix(); f.RuleID == "soa.deploy-group" && ok {
			t.Errorf("a fix that would split a step's keys: %+v", f.SuggestedFixes)
		}
	}
}

func TestSOAProxyPortAcrossTheWholeRepository(t *testing.T) {
	e := soaEngine(t)
	root := os.DirFS(filepath.Join(soaFixtures, "bad", "proxy-port"))
	// With no service, the rule checks every namespace of the repository.
	fs := runSOA(t, e, Target{SOA: root})
	var lines []string
	for _, f := range fs {
		lines = append(lines, f.String())
	}
	got := strings.Join(lines, "\n")
	for _, want := range []string{
		"alpha/smartstack.yaml:2: warning: proxy_port 20301 of alpha.main is also used by beta.alt (beta/smartstack.yaml:4)",
		"beta/smartstack.yaml:4: warning: proxy_port 20301 of beta.alt is also used by alpha.main (alpha/smartstack.yaml:2)",
		"gamma/smartstack.yaml:2: error: proxy_port 18000 of namespace main is outside SmartStack's range 19000-21000",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	for _, f := range fs {
		if f.Path == "alpha/smartstack.yaml" && strings.Contains(f.Message, "also used") {
			if len(f.Related) != 1 || f.Related[0].Path != "beta/smartstack.yaml" || f.Related[0].Line != 4 {
				t.Errorf("related positions %+v, want beta/smartstack.yaml:4", f.Related)
			}
		}
	}
}

// countingFS counts the opens of each file, so a test can tell how often
// something was read; it also hides the type of the FS it wraps, as any
// wrapper (fs.Sub, a caching layer) does.
type countingFS struct {
	fs.FS
	mu    sync.Mutex
	opens map[string]int
}

func (c *countingFS) Open(name string) (fs.File, error) {
	c.mu.Lock()
	c.opens[name]++
	c.mu.Unlock()
	return c.FS.Open(name)
}

func (c *countingFS) count(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.opens[name]
}

func TestSOARulesOfSeveralRunsShareTheIndexOfTheirCacheThroughAWrappedFS(t *testing.T) {
	e := soaEngine(t)
	tree := &countingFS{FS: os.DirFS(filepath.Join(soaFixtures, "bad", "proxy-port")), opens: map[string]int{}}
	cache := soa.NewCache(tree, nil, soa.DefaultLimits())
	for _, svc := range []string{"alpha", "beta"} {
		// Without --paasta-config soa.system-config notes the clusters
		// it did not check; the port clash is what this test is about.
		fs := slices.DeleteFunc(runSOA(t, e, Target{SOA: tree, SOACache: cache, Service: svc}),
			func(f Finding) bool { return f.RuleID == SystemConfigRuleID })
		if len(fs) != 1 || fs[0].RuleID != "soa.proxy-port" {
			t.Errorf("%s: findings %v, want the one port clash", svc, fs)
		}
	}
	// gamma is checked by neither run: only building the index reads it.
	if n := tree.count("gamma/smartstack.yaml"); n != 1 {
		t.Errorf("gamma/smartstack.yaml was read %d times by two runs over one cache, want 1 (one index)", n)
	}
}

func TestSOAHostileInputGivesFindingsNotFailures(t *testing.T) {
	big := strings.Repeat("# padding line for a file that is far too large\n", 110000) // > 4 MiB
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	fsys := fstest.MapFS{
		"svc/service.yaml":          {Data: []byte("description: d\nexternal_link: e\n")},
		"svc/deploy.yaml":           {Data: []byte("pipeline:\n- step: security-check\n- step: prod\n")},
		"svc/kubernetes-big.yaml":   {Data: []byte(big)},
		"svc/kubernetes-deep.yaml":  {Data: []byte(deep)},
		"svc/kubernetes-list.yaml":  {Data: []byte("- main\n- canary\n")},
		"svc/kubernetes-bytes.yaml": {Data: []byte("main: \xff\xfe\n")},
		"svc/smartstack.yaml":       {Data: []byte("main: &a {proxy_port: 20001, x: *a}\n")},
	}
	fs := runSOA(t, soaEngine(t), Target{SOA: fsys, Service: "svc"})
	want := map[string]string{
		"svc/kubernetes-big.yaml":   "soa.yaml-syntax",
		"svc/kubernetes-deep.yaml":  "soa.yaml-syntax",
		"svc/kubernetes-list.yaml":  "soa.schema",
		"svc/kubernetes-bytes.yaml": "soa.yaml-syntax",
		"svc/smartstack.yaml":       "soa.yaml-syntax",
	}
	for _, f := range fs {
		if want[f.Path] == f.RuleID {
			delete(want, f.Path)
		}
	}
	for p, rule := range want {
		t.Errorf("%s: no %s finding; got %v", p, rule, fs)
	}
}

func TestSOAServiceWithThousandsOfFiles(t *testing.T) {
	fsys := fstest.MapFS{
		"svc/service.yaml": {Data: []byte("description: d\nexternal_link: e\n")},
	}
	for i := range 5000 {
		fsys[filepath.Join("svc", "autotuned_defaults", "kubernetes-c"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+strconv.Itoa(i)+".yaml")] = &fstest.MapFile{Data: []byte("main: {cpus: 1}\n")}
	}
	fs := runSOA(t, soaEngine(t), Target{SOA: fsys, Service: "svc"})
	found := false
	for _, f := range fs {
		if f.RuleID == "soa.service-dir" && strings.Contains(f.Message, "more than") {
			found = true
		}
	}
	if !found {
		t.Errorf("no finding about the file limit in %d findings", len(fs))
	}
}

var _ fs.FS = fstest.MapFS{}

// BenchmarkSOAServiceWith20InstanceFiles checks one service of 25 files,
// 20 of them instance files (19 kubernetes clusters and a tron file), with
// every rule, as `contractbot check --soa-dir` does.
func BenchmarkSOAServiceWith20InstanceFiles(b *testing.B) {
	dir := b.TempDir()
	if err := soatest.WriteService(dir, "svc", 20001, 25); err != nil {
		b.Fatal(err)
	}
	e, err := NewEngine(All())
	if err != nil {
		b.Fatal(err)
	}
	fsys := os.DirFS(dir)
	b.ReportAllocs()
	for b.Loop() {
		res, err := e.Run(context.Background(), Target{SOA: fsys, Service: "svc"})
		if err != nil || !res.OK || len(res.Findings) != 0 {
			b.Fatalf("err=%v findings=%v", err, res.Findings)
		}
	}
}

// TestSOAOnThePaastaExampleTrees runs the soa rules over the reference
// example trees copied from PaaSTA and compares every finding, with its
// file and line, with testdata/soa-examples.golden. The README of the
// reference data says what paasta validate reports for each tree; the
// golden agrees (e.g. fake_invalid_service's "oops" key on line 7).
func TestSOAOnThePaastaExampleTrees(t *testing.T) {
	examples := filepath.Join("..", "..", "..", "shared", "reference", "paasta", "examples")
	if _, err := os.Stat(examples); err != nil {
		if os.Getenv("CONTRACTBOT_REQUIRE_ITEST") == "1" {
			t.Fatal("CONTRACTBOT_REQUIRE_ITEST=1 but ../shared/reference/paasta/examples is missing")
		}
		t.Skip("../shared/reference/paasta/examples is not there")
	}
	trees := []struct{ root, service string }{
		{"validate_itest_soa", "fake_valid_service"},
		{"validate_itest_soa", "fake_invalid_service"},
		{"fsm_itest_soa", "paasta_service"},
		{"local_run_itest_soa", "fake_simple_service"},
		{"deployments_json_itest_soa", "fake_deployments_json_service"},
		{"tron_itest_soa", "fake_simple_service"},
		{"package_itest_soa", "fake_service_uno"},
		{"package_itest_soa", "fake_service_dos"},
		{"k8s_itest_soa_template", "compute-infra-test-service"},
		{"fsm_cookiecutter_template", "cookiecutter_service"},
		{"example_cluster_k8s/example-services-k8s", "hello-world"},
		{"example_cluster_legacy_marathon/example-services", "hello-world"},
	}
	e := soaEngine(t)
	var got strings.Builder
	for _, tr := range trees {
		got.WriteString("# " + tr.root + " " + tr.service + "\n")
		for _, f := range runSOA(t, e, Target{SOA: os.DirFS(filepath.Join(examples, tr.root)), Service: tr.service}) {
			got.WriteString(f.String() + "\n")
		}
	}
	golden := filepath.Join("testdata", "soa-examples.golden")
	if *updateSOA {
		if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != string(want) {
		t.Errorf("findings differ from %s:\n%s", golden, got.String())
	}
}

func TestAPortSharedManyWaysNamesOnlyAFewOfItsOtherUsers(t *testing.T) {
	var smartstack strings.Builder
	for i := range 200 {
		fmt.Fprintf(&smartstack, "ns%03d:\n  proxy_port: 20000\n", i)
	}
	soaFS := fstest.MapFS{"svc/smartstack.yaml": {Data: []byte(smartstack.String())}}
	var n int
	for _, f := range runSOA(t, soaEngine(t), Target{SOA: soaFS, Service: "svc"}) {
		if f.RuleID != "soa.proxy-port" {
			continue
		}
		n++
		if !strings.Contains(f.Message, fmt.Sprintf(", %d more; each namespace needs its own port", 199-maxPortUsersNamed)) {
			t.Fatalf("the message does not cut the list of the other 199 users: %s", f.Message)
		}
		if got := strings.Count(f.Message, "svc.ns"); got != 1+maxPortUsersNamed {
			t.Fatalf("the message names %d namespaces, want the finding's own and %d others: %s", got, maxPortUsersNamed, f.Message)
		}
	}
	if n != 200 {
		t.Errorf("%d soa.proxy-port findings, want one per namespace (200)", n)
	}
}

// TestTheSyntheticServicesKeepTheContract holds soatest to its word: the
// benchmarks fail on any finding, but benchmarks do not run in go test.
func TestTheSyntheticServicesKeepTheContract(t *testing.T) {
	dir := t.TempDir()
	if err := soatest.WriteRepo(dir, 3, 8); err != nil {
		t.Fatal(err)
	}
	e, err := NewEngine(All())
	if err != nil {
		t.Fatal(err)
	}
	for _, svc := range []string{"svc0000", "svc0001", "svc0002"} {
		if fs := runSOA(t, e, Target{SOA: os.DirFS(dir), Service: svc, PaastaConfig: soatest.SystemConfig()}); len(fs) > 0 {
			t.Errorf("%s: %v", svc, fs)
		}
	}
}
