package checks_test

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/contractbot/contractbot/internal/checks"
)

// The differential test against PaaSTA itself: every tree of
// ../shared/reference/paasta/oracle/cases/ carries the real verdict of
// `paasta validate` and of each file-reading `paasta check` function
// (PaaSTA 1.60.3, Tron v3.10.5). contractbot must agree with validate's
// exit status under the severity policy of docs/rules.md, given the
// system configuration PaaSTA ran with (etc/, as --paasta-config): it fails a
// tree (has an error finding) exactly when validate does, except for the
// contract-only rules below, which may fail a tree validate passes.

// contractOnly are rules whose errors come from the PaaSTA contract, not
// from paasta validate: they may fail a tree validate accepts.
var contractOnly = map[string]string{
	"soa.container-port":  "the contract: HTTP/TCP services bind port 8888",
	"makefile.missing":    "the contract: the repository MUST have a Makefile",
	"makefile.tabs":       "the contract: make MUST answer test and itest",
	"makefile.test":       "the contract: make test MUST work",
	"makefile.itest":      "the contract: make itest MUST work",
	"makefile.docker-tag": "the contract: DOCKER_TAG MUST have an overridable default",
	"dockerfile.missing":  "the contract: one Dockerfile per repository",
	// Warnings, so they never fail a tree; listed because no PaaSTA check
	// has them.
	"soa.rw-volume":   "the contract's State: no read-write host mounts",
	"soa.host-port":   "the contract: an HTTP/TCP service binds only the port PaaSTA assigns",
	"dockerfile.copy": "the contract's Dependencies: the image is built from the repository",
}

// checkFunctions maps each `paasta check` function the oracle ran to the
// contractbot findings that correspond to it; a function with no
// counterpart is not compared.
var checkFunctions = map[string]func(f checks.Finding) bool{
	"deploy_check": func(f checks.Finding) bool {
		return f.RuleID == "soa.deploy-yaml" && strings.Contains(f.Message, "no deploy.yaml") && !foundBelow(f)
	},
	"docker_check": func(f checks.Finding) bool {
		return f.RuleID == "dockerfile.missing" && !foundBelow(f)
	},
	// makefile_check also fails a Makefile without a tab (makefile_has_a_tab)
	// or without `DOCKER_TAG ?=` (makefile_has_docker_tag); its make
	// --question checks were not run.
	"makefile_check": func(f checks.Finding) bool {
		return f.RuleID == "makefile.missing" && !foundBelow(f) || f.RuleID == "makefile.tabs" || f.RuleID == "makefile.docker-tag"
	},
	"deploy_has_security_check": func(f checks.Finding) bool {
		return f.RuleID == "soa.deploy-yaml"
	},
	// deployments_check fails on an instance whose deploy group is no
	// deploy step and on a step no instance uses: soa.deploy-group's
	// errors and its unused-step warnings.
	// It reads the top-level deploy.yaml only: a missing one fails it.
	"deployments_check": func(f checks.Finding) bool {
		return f.RuleID == "soa.deploy-group" && (strings.Contains(f.Message, "not a step of") || strings.Contains(f.Message, "is a build step of") || strings.Contains(f.Message, "is not the deploy group of any instance")) ||
			f.RuleID == "soa.deploy-yaml" && strings.HasPrefix(f.Message, "no deploy.yaml")
	},
	// sensu_check fails without a monitoring.yaml (searched recursively)
	// or without a team for it.
	"sensu_check": func(f checks.Finding) bool {
		return f.RuleID == "soa.monitoring" && (strings.HasPrefix(f.Message, "no monitoring.yaml") || strings.Contains(f.Message, "names no team"))
	},
	"service_dir_check": func(f checks.Finding) bool {
		return f.RuleID == "soa.service-dir" && strings.Contains(f.Message, "no directory")
	},
}

// foundBelow tells a missing-file finding that names a file of the same
// name in a subdirectory: paasta check's is_file_in_dir searches
// recursively and passes then, so it is not that function's failure.
func foundBelow(f checks.Finding) bool { return strings.Contains(f.Message, "found only at") }

type oracleVerdict struct {
	Service  string `json:"service"`
	Mutation string `json:"mutation"`
	Validate struct {
		Exit     int `json:"exit"`
		Failures []struct {
			Check string `json:"check"`
			Text  string `json:"text"`
		} `json:"failures"`
	} `json:"paasta_validate"`
	Check map[string]string `json:"paasta_check"`
}

// oracleDir is ../shared/reference/paasta/oracle beside the repository
// root, or "" when it is not there.
func oracleDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
	oracle := filepath.Join(dir, "..", "shared", "reference", "paasta", "oracle")
	if _, err := os.Stat(filepath.Join(oracle, "cases")); err != nil {
		return ""
	}
	return oracle
}

// oracleCase is one tree's verdicts: PaaSTA's and contractbot's.
type oracleCase struct {
	name     string
	verdict  oracleVerdict
	findings []checks.Finding
}

func (c oracleCase) errorRules(skip map[string]string) []string {
	var ids []string
	for _, f := range c.findings {
		if _, ok := skip[f.RuleID]; f.Severity == checks.SeverityError && !ok && !slices.Contains(ids, f.RuleID) {
			ids = append(ids, f.RuleID)
		}
	}
	sort.Strings(ids)
	return ids
}

func runOracle(t *testing.T) []oracleCase {
	t.Helper()
	oracle := oracleDir(t)
	if oracle == "" {
		if os.Getenv("CONTRACTBOT_REQUIRE_ITEST") == "1" {
			t.Fatal("CONTRACTBOT_REQUIRE_ITEST=1 but ../shared/reference/paasta/oracle is missing")
		}
		t.Skip("../shared/reference/paasta/oracle (the real paasta validate verdicts) is not beside the repository")
	}
	e, err := checks.NewEngine(checks.All())
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join(oracle, "cases"))
	if err != nil {
		t.Fatal(err)
	}
	var out []oracleCase
	for _, en := range entries {
		dir := filepath.Join(oracle, "cases", en.Name())
		data, err := os.ReadFile(filepath.Join(dir, "VERDICT.json"))
		if err != nil {
			t.Fatal(err)
		}
		c := oracleCase{name: en.Name()}
		if err := json.Unmarshal(data, &c.verdict); err != nil {
			t.Fatalf("%s: %v", en.Name(), err)
		}
		// PaaSTA ran with the system configuration in etc/ (--paasta-config).
		target := checks.Target{SOA: os.DirFS(filepath.Join(dir, "soa")), Service: c.verdict.Service, PaastaConfig: os.DirFS(filepath.Join(oracle, "etc"))}
		if _, err := os.Stat(filepath.Join(dir, "repo")); err == nil {
			target.Repo = os.DirFS(filepath.Join(dir, "repo"))
		}
		res, err := e.Run(context.Background(), target)
		if err != nil {
			t.Fatalf("%s: %v", en.Name(), err)
		}
		c.findings = res.Findings
		out = append(out, c)
	}
	return out
}

// TestAgreementWithPaastaValidate compares contractbot's verdict on every
// oracle tree with paasta validate's exit status. Run with -v to see the
// agreement figures.
func TestAgreementWithPaastaValidate(t *testing.T) {
	cases := runOracle(t)
	agree, agreeAll := 0, 0
	for _, c := range cases {
		cb := len(c.errorRules(contractOnly)) > 0
		pv := c.verdict.Validate.Exit != 0
		if len(c.errorRules(nil)) > 0 == pv {
			agreeAll++
		}
		if cb == pv {
			agree++
			continue
		}
		if why, ok := oracleExcused[c.name]; ok {
			t.Logf("%s (%s) excused: %s", c.name, c.verdict.Mutation, why)
			continue
		}
		var texts []string
		for _, f := range c.verdict.Validate.Failures {
			texts = append(texts, f.Text)
		}
		var fs []string
		for _, f := range c.findings {
			if f.Severity == checks.SeverityError {
				fs = append(fs, f.String())
			}
		}
		t.Errorf("%s (%s, %s): paasta validate exits %d, contractbot errors %v\n  paasta: %s\n  contractbot: %s",
			c.name, c.verdict.Service, c.verdict.Mutation, c.verdict.Validate.Exit, c.errorRules(contractOnly),
			strings.Join(texts, " | "), strings.Join(fs, "\n    "))
	}
	t.Logf("agreement with paasta validate: %d/%d trees (%.1f%%), counting every error: %d/%d (%.1f%%)",
		agree, len(cases), 100*float64(agree)/float64(len(cases)), agreeAll, len(cases), 100*float64(agreeAll)/float64(len(cases)))
}

// TestAgreementWithPaastaCheck compares, for each paasta check function
// with a contractbot counterpart, whether the function failed with whether
// contractbot reported the counterpart's findings.
func TestAgreementWithPaastaCheck(t *testing.T) {
	cases := runOracle(t)
	for _, fn := range slices.Sorted(maps.Keys(checkFunctions)) {
		match := checkFunctions[fn]
		agree, n := 0, 0
		for _, c := range cases {
			v, ok := c.verdict.Check[fn]
			if !ok || v == "crash" {
				continue
			}
			n++
			got := slices.ContainsFunc(c.findings, match)
			if got == (v == "fail") {
				agree++
				continue
			}
			if why, ok := oracleExcused[c.name+" "+fn]; ok {
				t.Logf("%s %s excused: %s", c.name, fn, why)
				continue
			}
			t.Errorf("%s (%s): paasta check's %s says %s, contractbot %s", c.name, c.verdict.Mutation, fn, v, map[bool]string{true: "reports it", false: "does not"}[got])
		}
		t.Logf("%s: %d/%d trees agree", fn, agree, n)
	}
}

// TestTheOracleExcusesOnlyDisagreements keeps oracleExcused honest: an
// excused tree that agrees now must leave the list.
func TestTheOracleExcusesOnlyDisagreements(t *testing.T) {
	cases := runOracle(t)
	for _, c := range cases {
		if _, ok := oracleExcused[c.name]; ok && (len(c.errorRules(contractOnly)) > 0) == (c.verdict.Validate.Exit != 0) {
			t.Errorf("%s agrees with paasta validate now: remove it from oracleExcused", c.name)
		}
		for fn, match := range checkFunctions {
			v, ok := c.verdict.Check[fn]
			if _, excused := oracleExcused[c.name+" "+fn]; excused && ok && slices.ContainsFunc(c.findings, match) == (v == "fail") {
				t.Errorf("%s %s agrees with paasta check now: remove it from oracleExcused", c.name, fn)
			}
		}
	}
}
