package github_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/github"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func TestSummary_Golden(t *testing.T) {
	rules := []*checks.Rule{
		{ID: "makefile.itest", Title: "make itest builds and tests the image", Doc: "Add an itest target that builds $(DOCKER_TAG) and runs the system tests."},
		{ID: "soa.deploy-group", Title: "deploy groups name real instances", Doc: "Every deploy.yaml step must name an instance that exists, e.g. `kubernetes-norcal.main`."},
	}
	fs := []checks.Finding{
		{RuleID: "makefile.itest", Severity: checks.SeverityError, Path: "Makefile", Line: 12, EndLine: 12, Message: "itest does not build $(DOCKER_TAG): add `docker build -t $(DOCKER_TAG) .`"},
		{RuleID: "makefile.itest", Severity: checks.SeverityError, Path: "Makefile", Line: 14, EndLine: 15, Message: "itest does not build $(DOCKER_TAG): add `docker build -t $(DOCKER_TAG) .`"},
		{RuleID: "soa.deploy-group", Severity: checks.SeverityWarning, Path: "web/deploy.yaml", Line: 3, EndLine: 3, Message: "step norcal.canary | names no instance <b>canary</b>"},
		{RuleID: "ref.name", Severity: checks.SeverityNotice, Path: "", Line: 1, EndLine: 1, Message: "ref paasta-x is not a deploy ref"},
	}
	got := github.Summary(fs, rules, 0, github.DefaultMaxAnnotations)
	golden := filepath.Join("testdata", "summary.golden.md")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("summary differs from %s (rerun with -update and review the diff):\n%s", golden, got)
	}
}
