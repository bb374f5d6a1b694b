package app

import (
	"context"
	"encoding/json"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/webhook"
)

// editedPayload is a real payload with some top-level fields replaced.
func editedPayload(t *testing.T, file string, set map[string]any) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(realPayload(t, file), &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range set {
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRefGuardHandlers_NewPaastaTagsAreGuardedAndNothingElse(t *testing.T) {
	const sha = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
	tag := "paasta-prod.main-2026-01-01-deploy"
	for _, tc := range []struct {
		name, event string
		payload     func(t *testing.T) []byte
		wantKinds   []string
	}{
		{"a created PaaSTA tag is guarded", "create",
			func(t *testing.T) []byte {
				return editedPayload(t, "create.tag.1.json", map[string]any{"ref": tag, "installation": map[string]any{"id": 5}})
			},
			[]string{KindRefGuard}},
		{"a pushed PaaSTA tag is guarded, not checked", "push",
			func(t *testing.T) []byte {
				return editedPayload(t, "push.tag-created.json", map[string]any{"ref": "refs/tags/" + tag, "installation": map[string]any{"id": 5}})
			},
			[]string{KindRefGuard}},
		{"an ordinary tag is not guarded", "create",
			func(t *testing.T) []byte { return realPayload(t, "create.tag.1.json") }, nil},
		{"a deleted PaaSTA tag is not guarded", "push",
			func(t *testing.T) []byte {
				return editedPayload(t, "push.tag-deleted.1.json", map[string]any{"ref": "refs/tags/" + tag, "installation": map[string]any{"id": 5}})
			}, nil},
		{"a branch named paasta- is not guarded", "push",
			func(t *testing.T) []byte {
				return editedPayload(t, "push.branch-created.2.json", map[string]any{"ref": "refs/heads/paasta-prod"})
			}, []string{KindCheck}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := &Base{state: newState()}
			h, err := NewHandler(&Checker{Base: base}, PushHandler{base}, RefGuardHandler{base})
			if err != nil {
				t.Fatal(err)
			}
			task, err := webhook.Delivery{ID: "d1", Event: tc.event, Payload: tc.payload(t)}.Task()
			if err != nil {
				t.Fatal(err)
			}
			var q recorder
			if err := h.Handle(context.Background(), task, &q); err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, task := range q.tasks {
				kinds = append(kinds, task.Kind)
				if task.Kind == KindRefGuard {
					var j refGuardJob
					if err := json.Unmarshal(task.Payload, &j); err != nil || j.Ref != "refs/tags/"+tag || j.Installation == 0 {
						t.Fatalf("job %+v, %v", j, err)
					}
					if tc.event == "push" && j.Commit != sha {
						t.Fatalf("push job without the tagged commit: %+v", j)
					}
				}
			}
			if len(kinds) != len(tc.wantKinds) || (len(kinds) > 0 && kinds[0] != tc.wantKinds[0]) {
				t.Fatalf("enqueued %v, want %v", kinds, tc.wantKinds)
			}
		})
	}
}

func TestNewRefGuard_RefusesAnUnknownAction(t *testing.T) {
	if _, err := NewRefGuard(&Checker{}, "remove", nil, nil); err == nil {
		t.Fatal("accepted action remove")
	}
	g, err := NewRefGuard(&Checker{}, "", nil, nil)
	if err != nil || g.Action != RefActionReport {
		t.Fatalf("default action %q, %v", g.Action, err)
	}
}

func TestRefGuard_AnAnnotatedTagOfARepositoryWithASOADirIsJudgedWithoutItsTree(t *testing.T) {
	now := time.Unix(1700000000, 0)
	head := strings.Repeat("a", 40)
	c := &fakeClient{
		trees: map[string]fs.FS{head: tree(checks.ConfigFile, "soa_dir: soa\n", "soa/web/deploy.yaml", "pipeline:\n- step: prod.main\n")},
		heads: map[string]string{"acme/web": head},
	}
	ch := newTestChecker(t, c, &now)
	ch.SOARepo = "acme/yelpsoa-configs" // a soa repository too: the in-repository soa_dir wins
	g, err := NewRefGuard(ch, "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A create event names no commit, and an annotated tag points at a tag
	// object: the tagged commit, and so the soa_dir, are unknown.
	ref := "refs/tags/paasta-prod.main-20260102T030405-deploy"
	j := refGuardJob{Installation: 1, Owner: "acme", Repo: "web", Ref: ref, Event: "create", Delivery: "d1"}
	if _, err := g.judge(context.Background(), c, j, knownTarget{ref, strings.Repeat("b", 40), "tag"}, ""); err != nil {
		t.Fatalf("judge: %v", err)
	}
}

func TestCheckRunHandler_AReRunOfTheDeployRefRunIsNotAContractCheck(t *testing.T) {
	var m map[string]any
	if err := json.Unmarshal(realPayload(t, "check_run.rerequested.1.json"), &m); err != nil {
		t.Fatal(err)
	}
	m["check_run"].(map[string]any)["name"] = RefCheckName
	payload, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	base := &Base{AppID: 2, state: newState()}
	var q recorder
	if err := (CheckRunHandler{base}).Handle(context.Background(), "check_run", "d1", payload, &q); err != nil {
		t.Fatal(err)
	}
	if len(q.tasks) != 0 {
		t.Fatalf("enqueued %+v for a re-run of %q, want nothing", q.tasks, RefCheckName)
	}
}
