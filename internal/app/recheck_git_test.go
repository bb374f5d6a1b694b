package app

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/contractbot/contractbot/internal/checks"
)

func TestAfterASOACheckTheServicesGitFoundAreReCheckedOnceAndFixed(t *testing.T) {
	const sha = "0123456789abcdef0123456789abcdef01234567"
	job := checkJob{Installation: 7, Owner: "Acme", Repo: "yelpsoa-configs", SHA: sha, DefaultSHA: sha, DefaultBranch: "master",
		SOA: true, Event: "push", Delivery: "d1"}
	for _, tc := range []struct {
		name        string
		payload     []string // the push payload's services
		git         []string // what the check's diff-tree found; nil: it could not say
		pushHandled []string // re-checks the push handler already enqueued
		wantRecheck []string
		wantFix     []string
	}{
		{name: "the services git found are re-checked and handed to the fix pull requests",
			git: []string{"api", "worker"}, wantRecheck: []string{"api", "worker"}, wantFix: []string{"api", "worker"}},
		{name: "a service the push handler already re-checked is enqueued once",
			payload: []string{"api"}, git: []string{"api", "worker"}, pushHandled: []string{"api"},
			wantRecheck: []string{"api", "worker"}, wantFix: []string{"api", "worker"}},
		{name: "when git could not say, nothing more is re-checked and the payload's services stay",
			payload: []string{"api"}, pushHandled: []string{"api"}, wantRecheck: []string{"api"}, wantFix: []string{"api"}},
		{name: "when neither could say, nothing is re-checked",
			wantRecheck: nil, wantFix: nil},
		{name: "a push that changed no service directory re-checks nothing",
			git: []string{}, wantRecheck: nil, wantFix: []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			q := &recorder{}
			for _, s := range tc.pushHandled {
				// As PushHandler.Handle enqueues them.
				if err := enqueueRecheck(ctx, q, recheckJob{Installation: 7, SOAOwner: "Acme", SOARepo: "yelpsoa-configs", SOASHA: sha, Service: s, Delivery: "d1"}); err != nil {
					t.Fatal(err)
				}
			}
			j := job
			j.Services = tc.payload
			c := &Checker{}
			// Twice: a check task retried after the first call enqueues
			// nothing new.
			for range 2 {
				fix, err := c.recheckGitServices(ctx, q, j, &checked{gitServices: tc.git})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(fix, tc.wantFix) || (fix == nil) != (tc.wantFix == nil) {
					t.Errorf("fix pull request services %#v, want %#v", fix, tc.wantFix)
				}
			}
			var got []string
			for _, task := range q.tasks {
				if task.Kind != KindRecheck {
					t.Errorf("task %s of kind %s", task.ID, task.Kind)
				}
				got = append(got, task.ID)
			}
			var want []string
			for _, s := range tc.wantRecheck {
				want = append(want, KindRecheck+"/acme/yelpsoa-configs@"+sha+"/"+s)
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("re-check tasks %q, want %q", got, want)
			}
		})
	}
}

func TestASweepsCheckOfTheSOAHeadIsNotTakenForAPushsWhoseServicesGitComputes(t *testing.T) {
	const sha, before = "0123456789abcdef0123456789abcdef01234567", "89abcdef0123456789abcdef0123456789abcdef"
	push := checkJob{Owner: "Acme", Repo: "yelpsoa-configs", SHA: sha, SOA: true, Before: before, Event: "push"}
	sweep := checkJob{Owner: "acme", Repo: "yelpsoa-configs", SHA: sha, SOA: true, Event: "sweep"}
	service := checkJob{Owner: "Acme", Repo: "web", SHA: sha, Before: before}
	if checkedKey(push) == checkedKey(sweep) {
		t.Errorf("the push's and the sweep's check share the key %q", checkedKey(push))
	}
	if got, want := checkedKey(service), "acme/web@"+sha; got != want {
		t.Errorf("a service repository's key %q, want %q (its before changes nothing)", got, want)
	}
}

func TestASOAPushWhoseServicesAreUnknownSaysSoInItsRun(t *testing.T) {
	const sha = "0123456789abcdef0123456789abcdef01234567"
	push := checkJob{Owner: "Acme", Repo: "yelpsoa-configs", SHA: sha, DefaultSHA: sha, SOA: true, Event: "push"}
	withRule := func(sev checks.Severity) *checks.Config {
		return &checks.Config{Rules: map[string]checks.RuleSetting{checks.ChangedServicesRuleID: {Severity: sev}}}
	}
	for _, tc := range []struct {
		name     string
		job      func(j checkJob) checkJob
		cfg      *checks.Config
		want     checks.Severity // 0: no finding
		recheck  bool            // the message says no repository was re-checked
		wantFail bool
	}{
		{name: "a default branch push that listed no files gets the notice", want: checks.SeverityNotice, recheck: true},
		{name: "a push to another branch gets it without the re-checks", job: func(j checkJob) checkJob { j.DefaultSHA = ""; return j }, want: checks.SeverityNotice},
		{name: "a push that listed its services gets none", job: func(j checkJob) checkJob { j.Services = []string{}; return j }},
		{name: "a check that is no push gets none", job: func(j checkJob) checkJob { j.Event = "sweep"; return j }},
		{name: "a repository that turns the rule off gets none", cfg: withRule(checks.SeverityOff)},
		{name: "a repository that makes it an error fails", cfg: withRule(checks.SeverityError), want: checks.SeverityError, recheck: true, wantFail: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := push
			if tc.job != nil {
				j = tc.job(j)
			}
			cfg := tc.cfg
			if cfg == nil {
				cfg = &checks.Config{}
			}
			res := &checks.Result{OK: true, Findings: []checks.Finding{}}
			addServicesUnknown(j, cfg, res)
			if tc.want == 0 {
				if len(res.Findings) != 0 {
					t.Errorf("findings %v, want none", res.Findings)
				}
				return
			}
			if len(res.Findings) != 1 || res.Findings[0].RuleID != checks.ChangedServicesRuleID || res.Findings[0].Severity != tc.want {
				t.Fatalf("findings %v, want one %s %s", res.Findings, tc.want, checks.ChangedServicesRuleID)
			}
			if got := strings.Contains(res.Findings[0].Message, "re-checked no service's repository"); got != tc.recheck {
				t.Errorf("message %q: says no re-check %v, want %v", res.Findings[0].Message, got, tc.recheck)
			}
			if res.OK == tc.wantFail {
				t.Errorf("result OK %v", res.OK)
			}
		})
	}
}
