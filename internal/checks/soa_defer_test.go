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
// that other rule does not report it: turning one rule off, or a problem
// the other rule does not cover, never hides a problem. Most cases are
// fixtures (testdata/<rule>/*-off/); these need what a fixture cannot
// hold.
func TestAProblemLeftToAnotherRuleIsReportedWhenThatRuleIsOff(t *testing.T) {
	const (
		deploy     = "pipeline:\n  - step: itest\n  - step: security-check\n  - step: push-to-registry\n  - step: prod\n"
		smartstack = "main:\n  proxy_port: 20401\n"
	)
	tests := []struct {
		name string
		soa  fstest.MapFS
		repo fstest.MapFS
		cfg  *Config
		want string // "rule path:line" that must be among the findings
	}{
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
