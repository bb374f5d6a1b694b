package githubfake

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// webhookEvents are the events the App subscribes to; [Payload] serves
// real example payloads of each.
var webhookEvents = []string{"push", "pull_request", "check_suite", "check_run", "installation", "create", "delete", "ping"}

// Payload returns the real GitHub webhook payload
// ../shared/reference/github/webhooks/<name>.json (name like
// "push.branch-created.1" or "pull_request.synchronize"), after edit (if
// not nil) has changed the decoded JSON. The test is skipped when the
// reference data is missing, or fails with CONTRACTBOT_REQUIRE_ITEST=1.
//
// Real payloads carry numbers and fields contractbot must accept as they
// are, so edit only what a test needs, usually with [Retarget].
func Payload(t testing.TB, name string, edit func(map[string]any)) []byte {
	t.Helper()
	dir := requireReference(t, WebhooksRelPath)
	b, err := os.ReadFile(filepath.Join(dir, name+".json"))
	if err != nil {
		t.Fatalf("githubfake: webhook payload %s: %v", name, err)
	}
	if edit == nil {
		return b
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("githubfake: webhook payload %s: %v", name, err)
	}
	edit(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatalf("githubfake: webhook payload %s: %v", name, err)
	}
	return out
}

// Target says where a re-targeted payload points. Zero fields are left as
// they are in the real payload.
type Target struct {
	Owner          string
	Repo           string
	InstallationID int64
	// SHA is the new head: push "after" and head_commit.id, pull request
	// head.sha, check suite and check run head_sha.
	SHA string
	// Before is push "before" (the previous head).
	Before string
	// Ref is push "ref" ("refs/heads/main"), or create/delete "ref" as a
	// short name.
	Ref string
	// CloneURL is the repositories' clone_url, usually the fake's own
	// ([Server.CloneURL]) so that a client can fetch over git from it.
	CloneURL string
}

// Retarget returns an edit for [Payload] that points a real payload at
// another repository, installation and commit, everywhere the payload names
// them (repository, installation, head SHAs, the embedded pull request and
// check suite).
func Retarget(tg Target) func(map[string]any) {
	return func(m map[string]any) {
		if tg.Owner != "" || tg.Repo != "" {
			retargetRepo(m["repository"], tg)
			for _, k := range []string{"pull_request", "check_suite", "check_run"} {
				if obj, ok := m[k].(map[string]any); ok {
					for _, side := range []string{"head", "base"} {
						if s, ok := obj[side].(map[string]any); ok {
							retargetRepo(s["repo"], tg)
						}
					}
				}
			}
			if tg.Owner != "" {
				if o, ok := m["organization"].(map[string]any); ok {
					o["login"] = tg.Owner
				}
			}
		}
		if tg.InstallationID != 0 {
			if inst, ok := m["installation"].(map[string]any); ok {
				inst["id"] = tg.InstallationID
			} else {
				m["installation"] = map[string]any{"id": tg.InstallationID, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u"}
			}
		}
		if tg.SHA != "" {
			if _, ok := m["after"]; ok {
				m["after"] = tg.SHA
				if hc, ok := m["head_commit"].(map[string]any); ok {
					hc["id"] = tg.SHA
					hc["tree_id"] = tg.SHA
				}
			}
			if pr, ok := m["pull_request"].(map[string]any); ok {
				if h, ok := pr["head"].(map[string]any); ok {
					h["sha"] = tg.SHA
				}
			}
			for _, k := range []string{"check_suite", "check_run"} {
				if obj, ok := m[k].(map[string]any); ok {
					obj["head_sha"] = tg.SHA
					if cs, ok := obj["check_suite"].(map[string]any); ok {
						cs["head_sha"] = tg.SHA
					}
				}
			}
		}
		if tg.Before != "" {
			if _, ok := m["before"]; ok {
				m["before"] = tg.Before
			}
		}
		if tg.Ref != "" {
			if _, ok := m["ref"]; ok {
				m["ref"] = tg.Ref
			}
		}
	}
}

func retargetRepo(v any, tg Target) {
	r, ok := v.(map[string]any)
	if !ok {
		return
	}
	owner, name := tg.Owner, tg.Repo
	if full, ok := r["full_name"].(string); ok {
		o, n, _ := strings.Cut(full, "/")
		if owner == "" {
			owner = o
		}
		if name == "" {
			name = n
		}
	}
	r["name"] = name
	r["full_name"] = owner + "/" + name
	if tg.CloneURL != "" {
		r["clone_url"] = tg.CloneURL
	}
	if o, ok := r["owner"].(map[string]any); ok {
		o["login"] = owner
		if _, has := o["name"]; has { // push payloads carry owner.name too
			o["name"] = owner
		}
	}
}
