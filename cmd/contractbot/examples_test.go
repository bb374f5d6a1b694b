package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// PaaSTA's own example services (../shared/reference/paasta/examples/,
// copied from upstream's itests and example cluster) are not all valid:
// several are deliberately broken upstream (fake_invalid_service's oops,
// package_itest_soa's proxy_port 1111), others predate today's schemas or
// are unrendered cookiecutter templates. The decision (README, "PaaSTA's
// example services"): every example PaaSTA accepts passes contractbot
// check-soa with exit 0, and every example it rejects fails with an error
// naming the same cause. PaaSTA's verdict per example is recorded below,
// from schema_oracle.py (validate_all_schemas, V1) and, for the semantic
// checks it does not reproduce, the rule of the catalogue that fails:
// V3 (deploy_group not deployed to in deploy.yaml, which fails every
// instance of a service with no deploy.yaml) and V12 (no monitoring.yaml
// beside a service.yaml).
func TestPaastaExampleServicesGetPaastasVerdict(t *testing.T) {
	examples := filepath.Join("..", "..", "..", "shared", "reference", "paasta", "examples")
	if _, err := os.Stat(examples); err != nil {
		if os.Getenv("CONTRACTBOT_REQUIRE_ITEST") == "1" {
			t.Fatal("CONTRACTBOT_REQUIRE_ITEST=1 but ../shared/reference/paasta/examples is missing")
		}
		t.Skip("../shared/reference/paasta/examples is not beside the repository")
	}
	type cause struct{ rule, message string }
	tests := []struct {
		tree, service string
		paasta        string  // PaaSTA's verdict and where it comes from
		causes        []cause // contractbot errors that name PaaSTA's causes; none: exit 0
	}{
		{"validate_itest_soa", "fake_valid_service", "accepted: schema_oracle OK, deploy group fake_deploy_group in deploy.yaml, no service.yaml (V12 does not apply)", nil},
		{"validate_itest_soa", "fake_invalid_service", "rejected: V1 'oops' was unexpected; V3 test-cluster.main not in deploy.yaml",
			[]cause{{"soa.schema", `the key "oops" in main is not allowed`}, {"soa.deploy-group", `"test-cluster.main".*not a step`}}},
		{"fsm_itest_soa", "paasta_service", "rejected: V1 'nerve_ns' was unexpected; V3 no deploy.yaml",
			[]cause{{"soa.schema", `the key "nerve_ns" in canary is not allowed`}, {"soa.deploy-yaml", `^no deploy.yaml`}}},
		{"local_run_itest_soa", "fake_simple_service", "rejected: V1 adhoc 'instances' was unexpected, tron 'schedule' is a required property",
			[]cause{{"soa.schema", `the key "instances" in sample_adhoc_job is not allowed`}, {"soa.schema", `missing the required key "schedule"`}}},
		{"deployments_json_itest_soa", "fake_deployments_json_service", "rejected: V1 'ram' was unexpected (kubernetes and eks)",
			[]cause{{"soa.schema", `the key "ram" in test_instance is not allowed \(did you mean "mem"\?\) \(PaaSTA's kubernetes schema\)`}, {"soa.schema", `\(PaaSTA's eks schema\)`}}},
		{"tron_itest_soa", "fake_simple_service", "rejected: V1 tron 'schedule' is a required property",
			[]cause{{"soa.schema", `sample_tron_job is missing the required key "schedule"`}}},
		{"package_itest_soa", "fake_service_uno", "rejected: V1 'docker_image', 'iteration' were unexpected; smartstack 1111 is less than the minimum of 19000",
			[]cause{{"soa.schema", `the key "docker_image"`}, {"soa.schema", `the key "iteration"`}, {"soa.proxy-port", `proxy_port 1111 .* outside SmartStack's range 19000-21000`}}},
		{"package_itest_soa", "fake_service_dos", "rejected: V1 'docker_image', 'iteration' were unexpected; smartstack 0 is less than the minimum of 19000",
			[]cause{{"soa.schema", `the key "docker_image"`}, {"soa.proxy-port", `proxy_port 0 .* outside SmartStack's range`}}},
		{"k8s_itest_soa_template", "compute-infra-test-service", "rejected: V1 'setpoint' was unexpected, service.yaml None is not of type 'object'; V3 prod.main not in deploy.yaml; V12 no monitoring.yaml",
			[]cause{{"soa.schema", `the key "setpoint" in autoscaling.autoscaling is not allowed`}, {"soa.schema", `service.yaml|must be a mapping, found null`}, {"soa.deploy-group", `"prod.main", which is not a step`}, {"soa.monitoring", `^no monitoring.yaml`}}},
		{"fsm_cookiecutter_template", "cookiecutter_service", "rejected: V1 YAML parse error (unrendered {{cookiecutter.*}} placeholders: found unhashable key), 'nerve_ns' was unexpected",
			[]cause{{"soa.yaml-syntax", `service.yaml cannot be loaded \(found unhashable key`}, {"soa.yaml-syntax", `smartstack.yaml cannot be loaded`}, {"soa.schema", `"nerve_ns"`}}},
		{"example_cluster_k8s/example-services-k8s", "hello-world", "rejected: V1 'description' is a required property; V12 no monitoring.yaml; V3 no deploy.yaml",
			[]cause{{"soa.schema", `missing the required key "description"`}, {"soa.monitoring", `^no monitoring.yaml`}, {"soa.deploy-yaml", `^no deploy.yaml`}}},
		{"example_cluster_k8s/example-services", "hello-world", "rejected: V1 'description' is a required property; V12 no monitoring.yaml; V3 no deploy.yaml",
			[]cause{{"soa.schema", `missing the required key "description"`}, {"soa.monitoring", `^no monitoring.yaml`}}},
		{"example_cluster_legacy_marathon/example-services", "hello-world", "rejected: V1 'description' is a required property; V12 no monitoring.yaml",
			[]cause{{"soa.schema", `missing the required key "description"`}, {"soa.monitoring", `^no monitoring.yaml`}}},
	}
	for _, tt := range tests {
		t.Run(tt.tree+"/"+tt.service, func(t *testing.T) {
			code, out, errs := runSOACmd(t, "check-soa", "--format", "json", filepath.Join(examples, tt.tree), tt.service)
			// One service named: the JSON is that service's result.
			var res struct {
				Service  string
				Findings []struct {
					Rule, Severity, Message string
				}
			}
			if err := json.Unmarshal([]byte(out), &res); err != nil || res.Service != tt.service {
				t.Fatalf("exit %d, stderr %q, output not %s's JSON (%v):\n%s", code, errs, tt.service, err, out)
			}
			var errors []string
			for _, f := range res.Findings {
				if f.Severity == "error" {
					errors = append(errors, f.Rule+": "+f.Message)
				}
			}
			if len(tt.causes) == 0 {
				if code != exitOK || len(errors) > 0 {
					t.Fatalf("PaaSTA %s, but contractbot exits %d with errors:\n%s", tt.paasta, code, strings.Join(errors, "\n"))
				}
				return
			}
			if code != exitFindings {
				t.Errorf("PaaSTA %s, but contractbot exits %d", tt.paasta, code)
			}
			for _, c := range tt.causes {
				re := regexp.MustCompile(c.message)
				found := false
				for _, f := range res.Findings {
					found = found || f.Severity == "error" && f.Rule == c.rule && re.MatchString(f.Message)
				}
				if !found {
					t.Errorf("PaaSTA %s; no %s error matching %q among:\n%s", tt.paasta, c.rule, c.message, strings.Join(errors, "\n"))
				}
			}
		})
	}
}

// The example service repository has no test or itest target: paasta
// check's makefile_responds_to fails both (C10, C11), and the contract
// says MUST; contractbot check fails it for the same two reasons.
func TestPaastaExampleServiceRepositoryLacksTestAndItest(t *testing.T) {
	repo := filepath.Join("..", "..", "..", "shared", "reference", "paasta", "examples", "service_repo_fake_simple_service")
	if _, err := os.Stat(repo); err != nil {
		t.Skip("../shared/reference/paasta/examples is not beside the repository")
	}
	code, out, errs := runSOACmd(t, "check", repo)
	if code != exitFindings || !strings.Contains(out, "[makefile.test]") || !strings.Contains(out, "[makefile.itest]") {
		t.Errorf("exit %d, stderr %q, want makefile.test and makefile.itest errors:\n%s", code, errs, out)
	}
}
