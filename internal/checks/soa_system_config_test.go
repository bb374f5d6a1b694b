package checks

import (
	"strings"
	"testing"
)

func TestOneSystemConfigNoticeStandsForEveryServiceOfARun(t *testing.T) {
	notice := func(svc string) Finding {
		return Finding{RuleID: SystemConfigRuleID, Severity: SeverityNotice, Path: svc + "/tron-prod.yaml", Line: 1, Message: "without --paasta-config, …"}
	}
	other := Finding{RuleID: "soa.schema", Severity: SeverityError, Path: "b/kubernetes-prod.yaml", Line: 3, Message: "bad"}
	results := []*Result{
		{Service: "a", Findings: []Finding{notice("a")}},
		{Service: "b", Findings: []Finding{notice("b"), other}},
		{Service: "c", Findings: []Finding{notice("c")}},
		{Service: "d", Findings: []Finding{notice("d")}},
		{Service: "e", Findings: []Finding{notice("e")}},
	}
	OneSystemConfigNotice(results)
	var n int
	for _, r := range results {
		for _, f := range r.Findings {
			if f.RuleID == SystemConfigRuleID {
				n++
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d soa.system-config notices left, want one for the run", n)
	}
	if got := results[0].Findings[0].Message; !strings.HasSuffix(got, "(the same holds for 4 other services of this run: b, c, d and 1 more)") {
		t.Errorf("the kept notice does not say whom it stands for: %s", got)
	}
	if len(results[1].Findings) != 1 || results[1].Findings[0].RuleID != "soa.schema" {
		t.Errorf("other findings were touched: %v", results[1].Findings)
	}
}

func TestOneSystemConfigNoticeStandingForOneOtherServiceSaysService(t *testing.T) {
	notice := func(svc string) Finding {
		return Finding{RuleID: SystemConfigRuleID, Severity: SeverityNotice, Path: svc + "/kubernetes-prod.yaml", Line: 1, Message: "without --paasta-config, …"}
	}
	results := []*Result{{Findings: []Finding{notice("a")}}, {Findings: []Finding{notice("b")}}}
	OneSystemConfigNotice(results)
	if got := results[0].Findings[0].Message; !strings.HasSuffix(got, "(the same holds for 1 other service of this run: b)") {
		t.Errorf("the kept notice reads %q", got)
	}
}

func TestOneSystemConfigNoticeLeavesALoneNoticeAsItIs(t *testing.T) {
	f := Finding{RuleID: SystemConfigRuleID, Severity: SeverityNotice, Path: "a/smartstack.yaml", Line: 4, Message: "m"}
	results := []*Result{{Findings: []Finding{f}}, nil, {}}
	OneSystemConfigNotice(results)
	if got := results[0].Findings; len(got) != 1 || got[0].Message != "m" {
		t.Errorf("a single notice changed: %v", got)
	}
}

// soa.system-config reports what the checks before it in the same run
// skipped (skippedWithoutSystemConfig): run before one of them, it would
// miss what that check skips.
func TestTheSystemConfigNoticeRunsAfterTheChecksItSpeaksFor(t *testing.T) {
	for name, rules := range map[string][]*Rule{"soaRules": soaRules(), "All": All()} {
		at := map[string]int{}
		for i, r := range rules {
			at[r.ID] = i
		}
		// The last six ask unknownCluster, which records the clusters as skipped.
		for _, id := range []string{"soa.smartstack", "soa.monitoring", "soa.secrets", "soa.tron-job",
			"soa.deploy-group", "soa.dependencies", "soa.host-port", "soa.instance-config", "soa.rw-volume"} {
			if at[id] >= at[SystemConfigRuleID] {
				t.Errorf("%s: %s runs at %d, not before %s at %d", name, id, at[id], SystemConfigRuleID, at[SystemConfigRuleID])
			}
		}
	}
}
