package checks

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Rules live one per file beside their docs (issue 11): a file of
// internal/checks that grows past maxRuleFileLines holds more than one job.
func TestNoFileOfTheRulesIsOver400Lines(t *testing.T) {
	const maxRuleFileLines = 400
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if n := bytes.Count(data, []byte("\n")); n > maxRuleFileLines {
			t.Errorf("%s has %d lines, more than %d: split it (one rule per file, shared helpers apart)", name, n, maxRuleFileLines)
		}
	}
}

// Every soa rule says where it comes from (issue 13): the contract
// sentence or the PaaSTA function, which decides its severity.
func TestEverySOARuleNamesItsSource(t *testing.T) {
	for _, r := range soaRules() {
		if len(r.Source) < 20 {
			t.Errorf("%s: Source %q must name the contract sentence or the PaaSTA function behind the rule", r.ID, r.Source)
		}
	}
}
