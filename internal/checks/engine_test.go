package checks

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

func TestAllRulesAreValid(t *testing.T) {
	if err := Validate(All()); err != nil {
		t.Fatal(err)
	}
}

func TestValidate(t *testing.T) {
	run := func(context.Context, *Pass) error { return nil }
	good := func() *Rule {
		return &Rule{ID: "area.name", Severity: SeverityError, Needs: NeedsRepo, Title: "a title", Doc: strings.Repeat("doc ", 20), Run: run}
	}
	tests := []struct {
		name   string
		mutate func(*Rule)
		want   string
	}{
		{"a well-formed rule passes", func(*Rule) {}, ""},
		{"an id without an area is rejected", func(r *Rule) { r.ID = "name" }, "area.name"},
		{"a capitalised title is rejected", func(r *Rule) { r.Title = "A title" }, "lower-case"},
		{"a title with a period is rejected", func(r *Rule) { r.Title = "a title." }, "lower-case"},
		{"a short doc is rejected", func(r *Rule) { r.Doc = "short" }, "doc"},
		{"a rule with no inputs is rejected", func(r *Rule) { r.Needs = 0 }, "inputs"},
		{"a rule with severity off is rejected", func(r *Rule) { r.Severity = SeverityOff }, "severity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := good()
			tt.mutate(r)
			err := Validate([]*Rule{r})
			if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("Validate = %v, want error containing %q", err, tt.want)
			}
		})
	}
	if err := Validate([]*Rule{good(), good()}); err == nil {
		t.Fatal("duplicate ids were accepted")
	}
}

func TestEngineRun(t *testing.T) {
	boom := errors.New("boom")
	rules := []*Rule{
		{ID: "t.repo", Severity: SeverityWarning, Needs: NeedsRepo, Title: "repo rule", Doc: strings.Repeat("x", 40),
			Run: func(_ context.Context, p *Pass) error {
				p.Reportf("b", 0, "second")
				p.Report(Finding{Path: "a", Line: 3, EndLine: 1, Message: "first"})
				return nil
			}},
		{ID: "t.soa", Severity: SeverityError, Needs: NeedsService, Title: "soa rule", Doc: strings.Repeat("x", 40),
			Run: func(context.Context, *Pass) error { return boom }},
	}
	e, err := NewEngine(rules)
	if err != nil {
		t.Fatal(err)
	}
	repo := fstest.MapFS{}

	t.Run("rules whose inputs are missing do not run", func(t *testing.T) {
		res, err := e.Run(context.Background(), Target{Repo: repo})
		if err != nil {
			t.Fatal(err)
		}
		if !res.OK || len(res.Findings) != 2 {
			t.Fatalf("got %+v", res)
		}
		if f := res.Findings[0]; f.Path != "a" || f.Line != 3 || f.EndLine != 3 || f.RuleID != "t.repo" || f.Severity != SeverityWarning {
			t.Fatalf("first finding %+v", f)
		}
		if f := res.Findings[1]; f.Line != 1 || f.EndLine != 1 {
			t.Fatalf("line 0 was not clamped to 1: %+v", f)
		}
	})
	t.Run("configuration overrides a severity", func(t *testing.T) {
		cfg := &Config{Rules: map[string]RuleSetting{"t.repo": {Severity: SeverityError}}}
		res, err := e.Run(context.Background(), Target{Repo: repo, Config: cfg})
		if err != nil || res.OK || res.Findings[0].Severity != SeverityError {
			t.Fatalf("got %+v, %v", res, err)
		}
	})
	t.Run("a rule set to off does not run", func(t *testing.T) {
		cfg := &Config{Rules: map[string]RuleSetting{"t.soa": {Severity: SeverityOff}}}
		if _, err := e.Run(context.Background(), Target{Repo: repo, SOA: repo, Service: "s", Config: cfg}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("an internal rule error is returned with the rule id", func(t *testing.T) {
		_, err := e.Run(context.Background(), Target{SOA: repo, Service: "s"})
		if !errors.Is(err, boom) || !strings.Contains(err.Error(), "t.soa") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a configuration with a problem is one config.invalid finding and nothing else", func(t *testing.T) {
		cfg := &Config{Problem: &ConfigError{Path: ConfigFile, Line: 7, Msg: `unknown rule "t.nope"`}}
		res, err := e.Run(context.Background(), Target{Repo: repo, Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		if res.OK || len(res.Findings) != 1 || res.Findings[0].String() != `.contractbot.yaml:7: error: unknown rule "t.nope" [config.invalid]` {
			t.Fatalf("got %+v", res)
		}
	})
}

// A face that prints paths relative to somewhere else must know which tree
// each finding's paths are in: the repository, or a soa tree of its own.
// A soa tree inside the repository (soa_dir) has repository paths.
func TestFinding_InSOASaysWhichTreeThePathsAreIn(t *testing.T) {
	report := func(path string) func(context.Context, *Pass) error {
		return func(_ context.Context, p *Pass) error { p.Reportf(path, 1, "m"); return nil }
	}
	doc := strings.Repeat("x", 40)
	e, err := NewEngine([]*Rule{
		{ID: "t.repo", Severity: SeverityError, Needs: NeedsRepo, Title: "repo rule", Doc: doc, Run: report("Makefile")},
		{ID: "t.soa", Severity: SeverityError, Needs: NeedsService, Title: "soa rule", Doc: doc, Run: report("web/deploy.yaml")},
	})
	if err != nil {
		t.Fatal(err)
	}
	repo := fstest.MapFS{"Makefile": {Data: []byte("x\n")}, "soa/web/deploy.yaml": {Data: []byte("x\n")}}
	soaTree := fstest.MapFS{"web/deploy.yaml": {Data: []byte("x\n")}}
	for _, tt := range []struct {
		name   string
		target Target
		want   map[string]bool // path: InSOA
	}{
		{"a soa tree of its own", Target{Repo: repo, SOA: soaTree, Service: "web"}, map[string]bool{"Makefile": false, "web/deploy.yaml": true}},
		{"a soa tree inside the repository", Target{Repo: repo, SOA: soaTree, SOAPrefix: "soa", Service: "web"}, map[string]bool{"Makefile": false, "soa/web/deploy.yaml": false}},
		{"a soa tree alone", Target{SOA: soaTree, Service: "web"}, map[string]bool{"web/deploy.yaml": true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := e.Run(context.Background(), tt.target)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, f := range res.Findings {
				got[f.Path] = f.InSOA()
			}
			if len(got) != len(tt.want) {
				t.Fatalf("findings at %v, want %v", got, tt.want)
			}
			for p, w := range tt.want {
				if v, ok := got[p]; !ok || v != w {
					t.Errorf("%s: InSOA = %v (found %v), want %v", p, v, ok, w)
				}
			}
		})
	}
}
