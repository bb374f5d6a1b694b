package checks

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"
)

// dockerfile.missing leaves a Dockerfile it cannot read to dockerfile.copy's
// notice; with that rule off, the notice is its own, so that a Dockerfile
// of which nothing is known never ends in "no problems". (A directory is
// a fixture, testdata/dockerfile.missing/; a 1 MiB line is too large for
// one.)
func TestADockerfileNotReadPastItsFirstLineIsSaidSoWithDockerfileCopyOff(t *testing.T) {
	e, err := NewEngine(dockerfileRules())
	if err != nil {
		t.Fatal(err)
	}
	repo := fstest.MapFS{"Dockerfile": {Data: []byte("# " + strings.Repeat("x", 1<<20-2))}}
	cfg := &Config{Rules: map[string]RuleSetting{"dockerfile.copy": {Severity: SeverityOff}}}
	res, err := e.Run(context.Background(), Target{Repo: repo, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	var notices []string
	for _, f := range res.Findings {
		if f.RuleID != "dockerfile.missing" || f.Severity != SeverityNotice || f.Path != DockerfilePath || f.Line != 1 {
			t.Errorf("unexpected finding %s", f)
			continue
		}
		notices = append(notices, f.Message)
	}
	if len(notices) != 1 || !strings.Contains(notices[0], "not read past line 1") || !strings.Contains(notices[0], "whether it has an instruction") {
		t.Errorf("findings %q, want one dockerfile.missing notice that the Dockerfile is not read past line 1", notices)
	}
}
