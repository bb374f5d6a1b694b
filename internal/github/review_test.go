package github_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/githubfake"
)

const baseMakefile = "test:\n\ttrue\nitest:\n\ttrue\n# 1\n# 2\n# 3\n# 4\n# 5\n# 6\n# 7\n# 8\nend:\n\ttrue\n"

func openPull(t *testing.T, gh *githubfake.Server) (head string, number int) {
	t.Helper()
	gh.AddInstallation(7, "acme")
	gh.Push("acme", "svc", "main", map[string]string{"Makefile": baseMakefile, "README": "hi\n"})
	gh.Push("acme", "svc", "feature", map[string]string{"Makefile": baseMakefile, "README": "hi\n"})
	head = gh.Push("acme", "svc", "feature", map[string]string{
		"Makefile": "DOCKER_TAG := x\n" + baseMakefile, "README": "hi\n", "new.txt": "a\nb\n",
	})
	return head, gh.OpenPull("acme", "svc", "main", "feature")
}

func TestClient_PullFilesCarryTheHunksOfTheRealDiff(t *testing.T) {
	gh := githubfake.New(t)
	head, n := openPull(t, gh)
	_, c := newClient(t, gh)
	files, err := c.PullFiles(context.Background(), "acme", "svc", n)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || files[0].Path != "Makefile" || files[1].Path != "new.txt" || files[1].Status != "added" {
		t.Fatalf("files = %+v", files)
	}
	mk := files[0].Hunks
	for line, want := range map[int]bool{1: true, 4: true, 5: false, 14: false} {
		if _, ok := mk.RightLine(line); ok != want {
			t.Errorf("Makefile line %d in a hunk = %v, want %v", line, ok, want)
		}
	}
	if !mk.AddedLine(1) || mk.AddedLine(2) {
		t.Errorf("line 1 should be the only added line")
	}
	sha, open, err := c.PullHead(context.Background(), "acme", "svc", n)
	if err != nil || sha != head || !open {
		t.Fatalf("PullHead = %s, %v, %v; want %s, open", sha, open, err, head)
	}
}

func TestClient_AReviewCommentOutsideTheHunksIs422AndNothingIsPosted(t *testing.T) {
	gh := githubfake.New(t)
	head, n := openPull(t, gh)
	_, c := newClient(t, gh)
	ctx := context.Background()
	_, err := c.CreateReview(ctx, "acme", "svc", n, github.Review{CommitID: head, Body: "contractbot", Comments: []github.LineComment{
		{Path: "Makefile", Line: 1, Body: "ok"},
		{Path: "Makefile", Line: 14, Body: "outside the hunk"},
	}})
	var apiErr *github.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("CreateReview outside the diff: %v, want a 422", err)
	}
	if got := gh.ReviewComments("acme", "svc", n); len(got) != 0 {
		t.Fatalf("a refused review left comments: %+v", got)
	}
	_, err = c.CreateFileComment(ctx, "acme", "svc", n, head, "README", "not changed")
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("file comment on an unchanged file: %v, want a 422", err)
	}
}

func TestClient_AReviewAFileCommentAndAReplyAreReadBack(t *testing.T) {
	gh := githubfake.New(t)
	head, n := openPull(t, gh)
	_, c := newClient(t, gh)
	ctx := context.Background()
	if _, err := c.CreateReview(ctx, "acme", "svc", n, github.Review{CommitID: head, Body: "contractbot", Comments: []github.LineComment{
		{Path: "Makefile", Line: 1, Body: "line one"},
		{Path: "new.txt", StartLine: 1, Line: 2, Body: "two lines"},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateFileComment(ctx, "acme", "svc", n, head, "Makefile", "whole file"); err != nil {
		t.Fatal(err)
	}
	got, err := c.ReviewComments(ctx, "acme", "svc", n)
	if err != nil || len(got) != 3 {
		t.Fatalf("ReviewComments = %+v, %v", got, err)
	}
	if got[0].Line != 1 || got[0].Path != "Makefile" || got[2].Line != 0 || got[0].User != "contractbot-fake[bot]" {
		t.Fatalf("comments = %+v", got)
	}
	if _, err := c.ReplyToComment(ctx, "acme", "svc", n, head, "Makefile", got[0].ID, "Fixed in abc"); err != nil {
		t.Fatal(err)
	}
	got, _ = c.ReviewComments(ctx, "acme", "svc", n)
	if len(got) != 4 || got[3].InReplyTo != got[0].ID || got[3].Body != "Fixed in abc" {
		t.Fatalf("reply = %+v", got[len(got)-1])
	}
	if rv := gh.Reviews("acme", "svc", n); len(rv) < 1 || rv[0].Event != "COMMENT" {
		t.Fatalf("reviews = %+v", rv)
	}
}

func TestClient_RefTargetAndDeleteRef(t *testing.T) {
	gh := githubfake.New(t)
	gh.AddInstallation(7, "acme")
	sha := gh.Push("acme", "svc", "main", map[string]string{"a": "b"})
	gh.PushTag("acme", "svc", "paasta-prod-20260101T000000-deploy", sha)
	tagObj := gh.PushAnnotatedTag("acme", "svc", "v1", sha)
	_, c := newClient(t, gh)
	ctx := context.Background()
	for ref, want := range map[string][2]string{
		"refs/tags/paasta-prod-20260101T000000-deploy": {sha, "commit"},
		"refs/tags/v1":      {tagObj, "tag"},
		"refs/tags/missing": {"", "missing"},
		"refs/heads/main":   {sha, "commit"},
	} {
		got, typ, err := c.RefTarget(ctx, "acme", "svc", ref)
		if err != nil || got != want[0] || typ != want[1] {
			t.Errorf("RefTarget(%s) = %s %s %v, want %v", ref, got, typ, err, want)
		}
	}
	// Deleting needs contents: write, which the App does not have by default.
	var apiErr *github.APIError
	if err := c.DeleteRef(ctx, "acme", "svc", "refs/tags/paasta-prod-20260101T000000-deploy"); !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusForbidden {
		t.Fatalf("delete without contents: write: %v, want a 403", err)
	}
	gh.GrantPermission(7, "contents", "write")
	if err := c.DeleteRef(ctx, "acme", "svc", "refs/tags/paasta-prod-20260101T000000-deploy"); err != nil {
		t.Fatal(err)
	}
	if _, ok := gh.Tags("acme", "svc")["paasta-prod-20260101T000000-deploy"]; ok {
		t.Fatal("tag still there")
	}
	if err := c.DeleteRef(ctx, "acme", "svc", "refs/tags/paasta-prod-20260101T000000-deploy"); err == nil {
		t.Fatal("deleting a missing ref succeeded")
	}
}

func TestClient_CreateRulesetRefusesARegexRE2CannotCompile(t *testing.T) {
	gh := githubfake.New(t, githubfake.RecordViolations())
	gh.AddInstallation(7, "acme")
	gh.Push("acme", "svc", "main", map[string]string{"a": "b"})
	gh.GrantPermission(7, "administration", "write")
	_, c := newClient(t, gh)
	ctx := context.Background()
	body := func(pattern string) json.RawMessage {
		b, _ := json.Marshal(map[string]any{
			"name": "r" + pattern, "target": "tag", "enforcement": "active",
			"conditions": map[string]any{"ref_name": map[string]any{"include": []string{"refs/tags/paasta-*"}, "exclude": []string{}}},
			"rules":      []any{map[string]any{"type": "tag_name_pattern", "parameters": map[string]any{"operator": "regex", "pattern": pattern, "negate": false}}},
		})
		return b
	}
	if _, err := c.CreateRuleset(ctx, "acme", "svc", body(`^paasta-(?=x)`)); err == nil || !strings.Contains(err.Error(), "422") {
		t.Fatalf("a lookahead (not RE2) was accepted: %v", err)
	}
	id, err := c.CreateRuleset(ctx, "acme", "svc", body(`^paasta-x$`))
	if err != nil || id == 0 {
		t.Fatal(err)
	}
	list, err := c.Rulesets(ctx, "acme", "svc")
	if err != nil || len(list) != 1 || list[0].ID != id || list[0].Target != "tag" {
		t.Fatalf("Rulesets = %+v, %v", list, err)
	}
	if v := gh.Violations(); len(v) != 0 {
		t.Fatalf("violations: %v", v)
	}
}

// Rulesets read one page of 100: a repository with more had the rest
// taken for missing, and `contractbot rulesets` would create one it has.
func TestClient_RulesetsListsEveryPage(t *testing.T) {
	gh := githubfake.New(t)
	gh.AddInstallation(7, "acme")
	gh.Push("acme", "svc", "main", map[string]string{"a": "b"})
	gh.GrantPermission(7, "administration", "write")
	_, c := newClient(t, gh)
	ctx := context.Background()
	for i := range 101 {
		b, _ := json.Marshal(map[string]any{
			"name": fmt.Sprintf("r%d", i), "target": "tag", "enforcement": "active",
			"conditions": map[string]any{"ref_name": map[string]any{"include": []string{"refs/tags/paasta-*"}, "exclude": []string{}}},
			"rules":      []any{map[string]any{"type": "deletion"}},
		})
		if _, err := c.CreateRuleset(ctx, "acme", "svc", b); err != nil {
			t.Fatal(err)
		}
	}
	list, err := c.Rulesets(ctx, "acme", "svc")
	if err != nil || len(list) != 101 || list[100].Name != "r100" {
		t.Fatalf("Rulesets listed %d, %v; want all 101", len(list), err)
	}
}
