package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/soa"
	"github.com/contractbot/contractbot/internal/soa/soatest"
)

func runSOACmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), stdio{strings.NewReader(""), &out, &errb}, args)
	return code, out.String(), errb.String()
}

const soaFixtureRoot = "../../fixtures/yelpsoa-configs"

// A clean soa repository is one line, as linters are silent on success;
// --verbose names each service with its verdict.
func TestCheckSOAGoodRepositoryExitsZero(t *testing.T) {
	// With the fixtures' system configuration, or soa.system-config notes
	// the checks it skips (a notice, exit 0 still).
	code, out, errs := runSOACmd(t, "check-soa", "--paasta-config", "../../fixtures/paasta-config", filepath.Join(soaFixtureRoot, "good"))
	if code != exitOK || out != "3 services checked: none breaks the contract\n" {
		t.Fatalf("exit %d, stderr %q, stdout:\n%s", code, errs, out)
	}
	code, out, errs = runSOACmd(t, "check-soa", "--verbose", "--paasta-config", "../../fixtures/paasta-config", filepath.Join(soaFixtureRoot, "good"))
	if code != exitOK {
		t.Fatalf("--verbose: exit %d, stderr %q, stdout:\n%s", code, errs, out)
	}
	for _, svc := range []string{"web", "worker", "nightly"} {
		if !strings.Contains(out, svc+" keeps the PaaSTA contract: no problems\n") {
			t.Errorf("--verbose: no verdict for %s in:\n%s", svc, out)
		}
	}
	if !strings.HasSuffix(out, "\n3 services checked: none breaks the contract\n") {
		t.Errorf("--verbose: no total at the end of:\n%s", out)
	}
}

func TestCheckSOAReportsCrossServicePortClashesAsJSON(t *testing.T) {
	code, out, errs := runSOACmd(t, "check-soa", "--format", "json", "--jobs", "3", filepath.Join(soaFixtureRoot, "bad", "proxy-port"))
	if code != exitFindings {
		t.Fatalf("exit %d, want %d; stderr %q", code, exitFindings, errs)
	}
	var doc struct {
		OK      bool `json:"ok"`
		Results []struct {
			Service  string `json:"service"`
			Findings []struct {
				Rule string `json:"rule"`
				Path string `json:"path"`
				Line int    `json:"line"`
			} `json:"findings"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("output is not the JSON report: %v\n%s", err, out)
	}
	if doc.OK || len(doc.Results) != 3 || doc.Results[0].Service != "alpha" || doc.Results[2].Service != "gamma" {
		t.Errorf("want ok=false and alpha, beta, gamma in order; got %+v", doc)
	}
	// JSON paths are relative to the root of the repository the soa tree
	// is in (here, contractbot's own checkout, when it is one).
	under := relTo(repoRootOf, filepath.Join(soaFixtureRoot, "bad", "proxy-port"))
	for _, want := range []string{`"` + path.Join(under, "alpha/smartstack.yaml") + `"`, `"` + path.Join(under, "beta/smartstack.yaml") + `"`, `"soa.proxy-port"`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
}

func TestCheckSOAChecksOnlyTheNamedServices(t *testing.T) {
	code, out, _ := runSOACmd(t, "check-soa", filepath.Join(soaFixtureRoot, "bad", "proxy-port"), "gamma")
	if code != exitFindings || strings.Contains(out, "alpha") || !strings.Contains(out, "gamma/smartstack.yaml:2") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
	code, out, _ = runSOACmd(t, "check-soa", filepath.Join(soaFixtureRoot, "bad", "service-dir"), "svc")
	if code != exitFindings || !strings.Contains(out, "svc:1: error: no directory svc/") {
		t.Errorf("a missing service: exit %d, output:\n%s", code, out)
	}
}

func TestCheckSOAUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no directory", []string{"check-soa"}, "want SOA_DIR"},
		{"missing directory", []string{"check-soa", "does-not-exist"}, "cannot open does-not-exist"},
		{"bad schemas directory", []string{"check-soa", "--paasta-schemas", soaFixtureRoot, filepath.Join(soaFixtureRoot, "good")}, "no *_schema.json"},
		{"zero jobs", []string{"check-soa", "--jobs", "0", soaFixtureRoot}, "--jobs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := runSOACmd(t, tc.args...)
			if code != exitUsage || !strings.Contains(errs, tc.want) || strings.Count(errs, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want exit %d and one line with %q", code, errs, exitUsage, tc.want)
			}
		})
	}
}

func TestCheckSOAWithInstalledPaastaSchemas(t *testing.T) {
	schemas := filepath.Join("..", "..", "..", "shared", "reference", "paasta", "schemas")
	if _, err := os.Stat(schemas); err != nil {
		if os.Getenv("CONTRACTBOT_REQUIRE_ITEST") == "1" {
			t.Fatal("CONTRACTBOT_REQUIRE_ITEST=1 but ../shared/reference/paasta/schemas is missing")
		}
		t.Skip("../shared/reference/paasta/schemas is not there")
	}
	code, out, errs := runSOACmd(t, "check-soa", "--paasta-schemas", schemas, filepath.Join(soaFixtureRoot, "bad", "schema"))
	if code != exitFindings || !strings.Contains(out, `svc/kubernetes-prod.yaml:3: error: the key "ram" in main is not allowed`) {
		t.Errorf("exit %d, stderr %q, output:\n%s", code, errs, out)
	}
}

// BenchmarkCheckSOA checks synthetic soa repositories of growing size
// (services x 10 files) in process, the way `contractbot check-soa` does,
// to show how the time grows with the repository.
func BenchmarkCheckSOA(b *testing.B) {
	for _, n := range []int{250, 500, 1000, 2000} {
		b.Run(fmt.Sprintf("services=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			if err := soatest.WriteRepo(dir, n, 10); err != nil {
				b.Fatal(err)
			}
			engine, err := checks.NewEngine(checks.All())
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				tree, err := openTree(dir)
				if err != nil {
					b.Fatal(err)
				}
				cache := soa.NewCache(tree, nil, soa.DefaultLimits())
				services, err := discoverServices(tree)
				if err != nil || len(services) != n {
					b.Fatalf("%d services, %v", len(services), err)
				}
				results, err := checkServices(context.Background(), engine, cache, services, runtime.GOMAXPROCS(0))
				if err != nil {
					b.Fatal(err)
				}
				for _, r := range results {
					// Run without --paasta-config: the one soa.system-config
					// notice per tron service is expected.
					others := slices.DeleteFunc(slices.Clone(r.Findings), func(f checks.Finding) bool { return f.RuleID == "soa.system-config" })
					if !r.OK || len(others) > 0 {
						b.Fatalf("%s: %v", r.Service, others)
					}
				}
			}
		})
	}
}
