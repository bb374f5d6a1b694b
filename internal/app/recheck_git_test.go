package app

import (
	"context"
	"slices"
	"testing"
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
