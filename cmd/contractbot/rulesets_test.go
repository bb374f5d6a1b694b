package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/contractbot/contractbot/internal/githubfake"
	"github.com/contractbot/contractbot/internal/gitref"
)

func runRulesetsCmd(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), stdio{strings.NewReader(""), &out, &errb}, args)
	return out.String(), errb.String(), code
}

func TestRulesets_JSONIsTwoRulesetsWhosePatternsDecideLikeTheParser(t *testing.T) {
	out, errOut, code := runRulesetsCmd(t, "rulesets", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var sets []gitref.Ruleset
	if err := json.Unmarshal([]byte(out), &sets); err != nil || len(sets) != 2 {
		t.Fatalf("output is not two rulesets: %v\n%s", err, out)
	}
	if sets[0].Target != "tag" || sets[1].Target != "branch" {
		t.Fatalf("targets %s, %s", sets[0].Target, sets[1].Target)
	}
	re := regexp.MustCompile(sets[0].Rules[0].Parameters.Pattern)
	for name, want := range map[string]bool{
		"paasta-prod.main-20260102T030405-deploy":   true,
		"paasta-prod.main-2026-01-02-deploy":        false,
		"paasta-prod.main-20260230T030405-deploy":   false,
		"paasta-norcal.main-20240229T000000-stop":   true,
		"paasta-paasta-prod-20260102T030405-deploy": false,
	} {
		if re.MatchString(name) != want {
			t.Errorf("pattern on %s = %v, want %v", name, !want, want)
		}
	}
}

func TestRulesets_TextNamesTheEndpointAndWhatAPatternCannotCheck(t *testing.T) {
	out, _, code := runRulesetsCmd(t, "rulesets", "--org", "acme", "--branches=false")
	if code != 0 || !strings.Contains(out, "orgs/acme/rulesets") || !strings.Contains(out, "deploy.yaml") ||
		!strings.Contains(out, `"~ALL"`) || strings.Contains(out, `"target": "branch"`) {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if _, errOut, code := runRulesetsCmd(t, "rulesets", "--apply", "--org", "acme"); code != exitUsage || !strings.Contains(errOut, "repository rulesets only") {
		t.Fatalf("--apply --org: exit %d %s", code, errOut)
	}
}

func TestRulesets_ApplyCreatesTheRulesetsOnceThroughTheAPI(t *testing.T) {
	gh := githubfake.New(t)
	gh.AddInstallation(9, "acme")
	gh.Push("acme", "svc", "main", map[string]string{"Makefile": "x\n"})
	key := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(key, gh.PrivateKeyPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"rulesets", "--apply", "--repo", "acme/svc", "--app-id", strconv.FormatInt(gh.AppID(), 10),
		"--private-key-file", key, "--github-api-url", gh.URL()}
	// Creating rulesets needs administration: write.
	if _, errOut, code := runRulesetsCmd(t, args...); code != exitUsage || !strings.Contains(errOut, "403 Resource not accessible by integration") {
		t.Fatalf("without administration: write: exit %d: %s", code, errOut)
	}
	gh.GrantPermission(9, "administration", "write")
	out, errOut, code := runRulesetsCmd(t, args...)
	if code != 0 || strings.Count(out, "created ruleset") != 2 {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	got := gh.Rulesets("acme", "svc")
	if len(got) != 2 || got[0].Target != "tag" || got[0].Rules[0]["type"] != "tag_name_pattern" {
		t.Fatalf("rulesets = %+v", got)
	}
	out, _, code = runRulesetsCmd(t, args...)
	if code != 0 || strings.Count(out, "exists") != 2 || len(gh.Rulesets("acme", "svc")) != 2 {
		t.Fatalf("second --apply: exit %d\n%s", code, out)
	}
}
