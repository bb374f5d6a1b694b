package checks

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"
)

func TestPass_EnabledSaysWhetherAnotherRuleRunsInThisRun(t *testing.T) {
	doc := strings.Repeat("why it matters and how to fix it ", 2)
	noop := func(context.Context, *Pass) error { return nil }
	var asked map[string]bool
	asker := &Rule{ID: "test.asker", Severity: SeverityError, Needs: NeedsRepo, Title: "asks", Doc: doc,
		Run: func(_ context.Context, p *Pass) error {
			for _, id := range []string{"test.repo", "test.soa", "test.unknown", "test.asker"} {
				asked[id] = p.Enabled(id)
			}
			return nil
		}}
	rules := []*Rule{
		asker,
		{ID: "test.repo", Severity: SeverityWarning, Needs: NeedsRepo, Title: "repo", Doc: doc, Run: noop},
		{ID: "test.soa", Severity: SeverityWarning, Needs: NeedsSOA, Title: "soa", Doc: doc, Run: noop},
	}
	e, err := NewEngine(rules)
	if err != nil {
		t.Fatal(err)
	}
	repo := fstest.MapFS{"Makefile": {Data: []byte("x:\n")}}
	tests := []struct {
		name   string
		target Target
		want   map[string]bool
	}{
		{"a rule of the set whose inputs are present is enabled, one that lacks its inputs or is unknown is not",
			Target{Repo: repo},
			map[string]bool{"test.repo": true, "test.soa": false, "test.unknown": false, "test.asker": true}},
		{"a rule with its inputs present is enabled",
			Target{Repo: repo, SOA: fstest.MapFS{}},
			map[string]bool{"test.repo": true, "test.soa": true, "test.unknown": false, "test.asker": true}},
		{"a rule the configuration sets off is not enabled",
			Target{Repo: repo, SOA: fstest.MapFS{}, Config: &Config{Rules: map[string]RuleSetting{"test.soa": {Severity: SeverityOff}}}},
			map[string]bool{"test.repo": true, "test.soa": false, "test.unknown": false, "test.asker": true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			asked = map[string]bool{}
			if _, err := e.Run(context.Background(), tc.target); err != nil {
				t.Fatal(err)
			}
			for id, want := range tc.want {
				if asked[id] != want {
					t.Errorf("Enabled(%q) = %v, want %v", id, asked[id], want)
				}
			}
		})
	}
}
