package githubfake

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// webhookSchema returns GitHub's schema for a payload from its index entry,
// through the OpenAPI subset's x-webhooks.
func webhookSchema(t *testing.T, s *Server, event, action string) *openapi3.Schema {
	t.Helper()
	key := strings.ReplaceAll(event, "_", "-")
	if action != "" {
		key += "-" + strings.ReplaceAll(action, "_", "-")
	}
	hooks, _ := s.spec.doc.Extensions["x-webhooks"].(map[string]any)
	h, ok := hooks[key].(map[string]any)
	if !ok {
		return nil
	}
	ref := h["post"].(map[string]any)["requestBody"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)["$ref"].(string)
	return s.spec.doc.Components.Schemas[strings.TrimPrefix(ref, "#/components/schemas/")].Value
}

func TestPayload_EveryEventTheAppUsesLoadsAndRetargets(t *testing.T) {
	s := New(t)
	dir := requireReference(t, WebhooksRelPath)
	var index struct {
		Files []struct {
			File   string  `json:"file"`
			Event  string  `json:"x_github_event"`
			Action *string `json:"action"`
		} `json:"files"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &index); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	const sha = "0123456789abcdef0123456789abcdef01234567"
	for _, f := range index.Files {
		if !strings.Contains(","+strings.Join(webhookEvents, ",")+",", ","+f.Event+",") {
			continue
		}
		name := strings.TrimSuffix(f.File, ".json")
		t.Run(name, func(t *testing.T) {
			raw := Payload(t, name, nil)
			edited := Payload(t, name, Retarget(Target{Owner: "acme", Repo: "svc", InstallationID: 77, SHA: sha, CloneURL: s.CloneURL("acme", "svc")}))
			var m map[string]any
			if err := json.Unmarshal(edited, &m); err != nil {
				t.Fatal(err)
			}
			if r, ok := m["repository"].(map[string]any); ok && r["full_name"] != "acme/svc" {
				t.Errorf("repository.full_name = %v", r["full_name"])
			}
			if r, ok := m["repository"].(map[string]any); ok && r["clone_url"] != s.CloneURL("acme", "svc") {
				t.Errorf("repository.clone_url = %v", r["clone_url"])
			}
			if inst := m["installation"].(map[string]any); inst["id"] != float64(77) {
				t.Errorf("installation.id = %v", inst["id"])
			}
			switch f.Event {
			case "push":
				if m["after"] != sha {
					t.Errorf("after = %v", m["after"])
				}
			case "pull_request":
				if m["pull_request"].(map[string]any)["head"].(map[string]any)["sha"] != sha {
					t.Error("pull_request.head.sha not retargeted")
				}
			case "check_suite", "check_run":
				if m[f.Event].(map[string]any)["head_sha"] != sha {
					t.Errorf("%s.head_sha not retargeted", f.Event)
				}
			}
			// Retargeting must not make a payload less valid against GitHub's
			// own schema than the real one is (see README "Known drift").
			action := ""
			if f.Action != nil {
				action = *f.Action
			}
			if sch := webhookSchema(t, s, f.Event, action); sch != nil {
				var before, after any
				_ = json.Unmarshal(raw, &before)
				_ = json.Unmarshal(edited, &after)
				errBefore := sch.VisitJSON(before, openapi3.MultiErrors())
				errAfter := sch.VisitJSON(after, openapi3.MultiErrors())
				if errBefore == nil && errAfter != nil {
					t.Errorf("the real payload matches GitHub's schema, the retargeted one does not: %v", errAfter)
				}
			}
			seen[f.Event]++
		})
	}
	for _, e := range webhookEvents {
		if seen[e] == 0 {
			t.Errorf("no real %s payload found", e)
		}
	}
}
