package main

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"os"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestAppManifest_AppYmlIsWhatTheCommandPrints(t *testing.T) {
	data, err := os.ReadFile("../../app.yml")
	if err != nil {
		t.Fatal(err)
	}
	var fromFile appManifest
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&fromFile); err != nil {
		t.Fatalf("app.yml: %v", err)
	}
	if want := newAppManifest(manifestPlaceholderURL); !reflect.DeepEqual(fromFile, want) {
		t.Errorf("app.yml and `contractbot app-manifest` differ:\napp.yml: %+v\ncommand: %+v", fromFile, want)
	}
}

func TestAppManifest_ListsTheEventsAndLeastPermissionsTheAppNeeds(t *testing.T) {
	m := newAppManifest("https://bot.example.com")
	wantEvents := []string{"push", "pull_request", "check_suite", "check_run", "create", "delete"}
	if !reflect.DeepEqual(m.DefaultEvents, wantEvents) {
		t.Errorf("events = %q, want %q", m.DefaultEvents, wantEvents)
	}
	wantPerms := map[string]string{"checks": "write", "contents": "read", "pull_requests": "write", "issues": "write", "metadata": "read"}
	if !reflect.DeepEqual(m.DefaultPermissions, wantPerms) {
		t.Errorf("permissions = %v, want %v", m.DefaultPermissions, wantPerms)
	}
}

func TestAppManifest_FixPullRequestsAddContentsWriteAndNothingElse(t *testing.T) {
	out, err := runCmd(t, runAppManifest, "--fix-pull-requests")
	if err != nil {
		t.Fatal(err)
	}
	var m appManifest
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	// The default manifest's permissions, contents raised to write.
	wantPerms := newAppManifest(manifestPlaceholderURL).DefaultPermissions
	wantPerms["contents"] = "write"
	if !reflect.DeepEqual(m.DefaultPermissions, wantPerms) {
		t.Errorf("permissions = %v, want %v", m.DefaultPermissions, wantPerms)
	}
}

func runCmd(t *testing.T, f func(context.Context, stdio, []string) error, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := f(context.Background(), stdio{strings.NewReader(""), &out, &errOut}, args)
	return out.String(), err
}

func TestAppManifest_URLSetsTheWebhookAddress(t *testing.T) {
	out, err := runCmd(t, runAppManifest, "--url", "https://bot.example.com/gh/")
	if err != nil {
		t.Fatal(err)
	}
	var m appManifest
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if m.HookAttributes.URL != "https://bot.example.com/gh/webhook" || !m.HookAttributes.Active {
		t.Errorf("hook_attributes = %+v, want active https://bot.example.com/gh/webhook", m.HookAttributes)
	}
}

func TestAppManifest_FormPostsTheManifestToGitHub(t *testing.T) {
	out, err := runCmd(t, runAppManifest, "--url", "https://bot.example.com", "--form", "--org", "acme")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `action="https://github.com/organizations/acme/settings/apps/new?state=`) {
		t.Errorf("the form does not post to the organization's new-App page:\n%s", out)
	}
	i := strings.Index(out, `name="manifest" value="`)
	if i < 0 {
		t.Fatalf("no manifest field:\n%s", out)
	}
	rest := out[i+len(`name="manifest" value="`):]
	val := html.UnescapeString(rest[:strings.Index(rest, `"`)])
	var m appManifest
	if err := json.Unmarshal([]byte(val), &m); err != nil || m.HookAttributes.URL != "https://bot.example.com/webhook" {
		t.Errorf("manifest field = %q (%v), want the manifest with the webhook URL", val, err)
	}
}

func TestAppManifest_RejectsAURLThatIsNoAddress(t *testing.T) {
	for _, u := range []string{"bot.example.com", "ftp://bot.example.com", "https://", "https://bot.example.com/?x=1"} {
		if _, err := runCmd(t, runAppManifest, "--url", u); err == nil || !strings.Contains(err.Error(), "--url") {
			t.Errorf("--url %q: err = %v, want an error naming --url", u, err)
		}
	}
}
