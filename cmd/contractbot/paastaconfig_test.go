package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTronSOA writes a one-service soa tree whose tron job names a Sensu team
// and returns its directory.
func writeTronSOA(t *testing.T, team string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"svc/service.yaml":    "description: x\nexternal_link: x\n",
		"svc/monitoring.yaml": "team: " + team + "\n",
		"svc/deploy.yaml":     "pipeline:\n  - step: itest\n  - step: security-check\n  - step: push-to-registry\n  - step: prod\n",
		"svc/jenkins.yaml":    "{}\n",
		"svc/tron-prod.yaml":  "nightly:\n  deploy_group: prod\n  schedule: cron 0 4 * * *\n  actions:\n    run:\n      command: ./run\n",
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func writeEtc(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCheckSOAWithPaastaConfigChecksTheTeamsSensuKnows(t *testing.T) {
	etc := writeEtc(t, map[string]string{
		"paasta/clusters.json": `{"clusters": ["prod"]}`,
		"sensu/team_data.json": `{"team_data": {"batch": {}}}`,
		"tron/MASTER.yaml":     "nodes: [paasta]\n",
	})
	code, out, errs := runSOACmd(t, "check-soa", "--paasta-config", etc, writeTronSOA(t, "nobody"), "svc")
	if code != exitFindings || !strings.Contains(out, `has the monitoring team "nobody", which is not a team Sensu knows`) {
		t.Errorf("exit %d, stderr %q, stdout:\n%s", code, errs, out)
	}
	code, out, errs = runSOACmd(t, "check-soa", "--paasta-config", etc, writeTronSOA(t, "batch"), "svc")
	if code != exitOK || strings.Contains(out, "Sensu") {
		t.Errorf("a team Sensu knows: exit %d, stderr %q, stdout:\n%s", code, errs, out)
	}
}

func TestAPaastaConfigDirectoryPaastaCouldNotUseFailsAtOnce(t *testing.T) {
	for name, etc := range map[string]string{
		"no paasta/":             writeEtc(t, map[string]string{"sensu/team_data.json": `{}`}),
		"a broken paasta/*.json": writeEtc(t, map[string]string{"paasta/a.json": `{`}),
	} {
		for _, cmd := range []string{"check", "check-soa"} {
			args := []string{cmd, "--paasta-config", etc, writeTronSOA(t, "batch")}
			if code, _, errs := runSOACmd(t, args...); code == exitOK || code == exitFindings || !strings.Contains(errs, "--paasta-config") {
				t.Errorf("%s with %s: exit %d, stderr %q", cmd, name, code, errs)
			}
		}
	}
}
