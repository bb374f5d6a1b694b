package checks

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

// A rule that leaves a problem to another rule must still report it when
// that other rule does not run: turning one rule off never hides a problem
// another rule found.
func TestAProblemLeftToAnotherRuleIsReportedWhenThatRuleIsOff(t *testing.T) {
	const (
		deploy     = "pipeline:\n  - step: itest\n  - step: security-check\n  - step: push-to-registry\n  - step: prod\n"
		smartstack = "main:\n  proxy_port: 20401\n"
	)
	off := func(ids ...string) *Config {
		c := &Config{Rules: map[string]RuleSetting{}}
		for _, id := range ids {
			c.Rules[id] = RuleSetting{Severity: SeverityOff}
		}
		return c
	}
	tests := []struct {
		name string
		soa  fstest.MapFS
		repo fstest.MapFS
		cfg  *Config
		want string // "rule path:line" that must be among the findings
	}{
		{"a deploy.yaml that cannot be loaded is not passed by soa.deploy-yaml when soa.yaml-syntax is off",
			fstest.MapFS{"svc/deploy.yaml": {Data: []byte("pipeline: [\n")}},
			nil, off("soa.yaml-syntax"), "soa.deploy-yaml svc/deploy.yaml:1"},
		{"a deploy.yaml that cannot be loaded is not passed by soa.deploy-group when soa.yaml-syntax is off",
			fstest.MapFS{"svc/deploy.yaml": {Data: []byte("pipeline: [\n")}, "svc/kubernetes-prod.yaml": {Data: []byte("main:\n  deploy_group: prod\n")}},
			nil, off("soa.yaml-syntax", "soa.deploy-yaml"), "soa.deploy-group svc/deploy.yaml:1"},
		{"instances with no deploy.yaml at all are reported by soa.deploy-group when soa.deploy-yaml is off",
			fstest.MapFS{"svc/kubernetes-prod.yaml": {Data: []byte("main:\n  deploy_group: prod\n")}},
			nil, off("soa.deploy-yaml"), "soa.deploy-group svc/kubernetes-prod.yaml:2"},
		{"an instance file that cannot be loaded is not passed by soa.schema when soa.yaml-syntax is off",
			fstest.MapFS{"svc/kubernetes-prod.yaml": {Data: []byte("main:\n  cpus: [\n")}},
			nil, off("soa.yaml-syntax"), "soa.schema svc/kubernetes-prod.yaml:2"},
		{"a monitoring.yaml that cannot be loaded is not passed by soa.monitoring when soa.yaml-syntax is off",
			fstest.MapFS{"svc/service.yaml": {Data: []byte("description: d\n")}, "svc/monitoring.yaml": {Data: []byte("team: [\n")}},
			nil, off("soa.yaml-syntax"), "soa.monitoring svc/monitoring.yaml:1"},
		{"a container_port that is no number is reported by soa.container-port when soa.schema is off",
			fstest.MapFS{"svc/deploy.yaml": {Data: []byte(deploy)}, "svc/smartstack.yaml": {Data: []byte(smartstack)},
				"svc/kubernetes-prod.yaml": {Data: []byte("main:\n  deploy_group: prod\n  container_port: eighty\n")}},
			nil, off("soa.schema"), "soa.container-port svc/kubernetes-prod.yaml:3"},
		{"cpus that are no number are reported by soa.instance-config when soa.schema is off",
			fstest.MapFS{"svc/kubernetes-prod.yaml": {Data: []byte("main:\n  cpus: lots\n")}},
			nil, off("soa.schema"), "soa.instance-config svc/kubernetes-prod.yaml:2"},
		{"a deploy_group that is no string is reported by soa.deploy-group when soa.schema is off",
			fstest.MapFS{"svc/deploy.yaml": {Data: []byte(deploy)}, "svc/kubernetes-prod.yaml": {Data: []byte("main:\n  deploy_group: 5\n")}},
			nil, off("soa.schema"), "soa.deploy-group svc/kubernetes-prod.yaml:2"},
		{"an instance name with a dot is reported by soa.instance-name when soa.schema is off",
			fstest.MapFS{"svc/kubernetes-prod.yaml": {Data: []byte("main.x:\n  cpus: 1\n")}},
			nil, off("soa.schema"), "soa.instance-name svc/kubernetes-prod.yaml:1"},
		{"a Dockerfile that is a symbolic link is said to be unchecked by soa.container-port, which dockerfile.missing does not report",
			fstest.MapFS{"svc/deploy.yaml": {Data: []byte(deploy)}, "svc/smartstack.yaml": {Data: []byte(smartstack)},
				"svc/kubernetes-prod.yaml": {Data: []byte("main:\n  deploy_group: prod\n")}},
			fstest.MapFS{"Dockerfile": {Data: []byte("Dockerfile.real"), Mode: fs.ModeSymlink | 0o777}, "Dockerfile.real": {Data: []byte("FROM x\nEXPOSE 8080\n")}}, nil, "soa.container-port Dockerfile:1"},
	}
	e, err := NewEngine(All())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			target := Target{SOA: tc.soa, Service: "svc", Config: tc.cfg}
			if tc.repo != nil {
				target.Repo = tc.repo
			}
			var got []string
			for _, f := range runSOA(t, e, target) {
				if fmt.Sprintf("%s %s:%d", f.RuleID, f.Path, f.Line) == tc.want {
					return
				}
				got = append(got, f.String())
			}
			t.Errorf("no finding %q among:\n%s", tc.want, strings.Join(got, "\n"))
		})
	}
}

func TestADeployTagOnATreeIsReportedByRefImageWhenRefTargetIsOff(t *testing.T) {
	const tag = "refs/tags/paasta-prod.main-20260102T030405-deploy"
	e, err := NewEngine(refRules())
	if err != nil {
		t.Fatal(err)
	}
	target := Target{Refs: []string{tag}, Service: "web",
		RefObjects: fakeObjects{tag: {"0123456789abcdef0123", "tree"}}, Images: fakeImages{},
		Config: &Config{Rules: map[string]RuleSetting{"ref.target": {Severity: SeverityOff}}}}
	res, err := e.Run(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Findings {
		if f.RuleID == "ref.image" && f.Subject == tag {
			return
		}
	}
	t.Errorf("no ref.image finding for a deploy tag on a tree with ref.target off: %v", res.Findings)
}
