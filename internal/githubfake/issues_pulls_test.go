package githubfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
)

// GitHub's REST API "considers every pull request an issue":
// issues/list-for-repo lists them too, each with a pull_request key, and
// a client that wants issues only must leave those out.
func TestServer_ListsPullRequestsAmongTheIssuesAsGitHubDoes(t *testing.T) {
	s := New(t)
	s.AddInstallation(1, "acme")
	s.Push("acme", "svc", "main", map[string]string{"a": "1"})
	s.Push("acme", "svc", "topic", map[string]string{"a": "2"})
	s.GrantPermission(1, "issues", "read")
	tok := installToken(t, s, 1)
	s.CreateIssueAs("acme", "svc", "octocat", "first", "an issue")
	pr := s.OpenPull("acme", "svc", "main", "topic")
	s.CreateIssueAs("acme", "svc", "octocat", "second", "another")

	req, _ := http.NewRequest("GET", s.URL()+"repos/acme/svc/issues?state=all&direction=asc", nil)
	req.Header.Set("Authorization", tok)
	req.Header.Set("Accept", "application/vnd.github+json")
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var items []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&items); err != nil || resp.StatusCode != 200 {
		t.Fatalf("list-for-repo: %d %v", resp.StatusCode, err)
	}
	if len(items) != 3 {
		t.Fatalf("listed %d items, want the 2 issues and the pull request", len(items))
	}
	// Oldest first, as created: the pull request between the two issues.
	mid := items[1]
	if n, _ := mid["number"].(float64); int(n) != pr || mid["pull_request"] == nil {
		t.Fatalf("second item %v, want pull request #%d marked with pull_request", mid, pr)
	}
	for _, i := range []int{0, 2} {
		if _, has := items[i]["pull_request"]; has {
			t.Errorf("issue %v carries pull_request", items[i]["number"])
		}
	}
}

// On GitHub every pull request is an issue: issues/get with a pull
// request's number answers its issue view, marked with pull_request, where
// the fake used to answer 404.
func TestServer_GetsAPullRequestAsAnIssueByItsNumber(t *testing.T) {
	s := New(t)
	s.AddInstallation(1, "acme")
	s.Push("acme", "svc", "main", map[string]string{"a": "1"})
	s.Push("acme", "svc", "topic", map[string]string{"a": "2"})
	s.GrantPermission(1, "issues", "read")
	tok := installToken(t, s, 1)
	pr := s.OpenPull("acme", "svc", "main", "topic")
	s.ClosePull("acme", "svc", pr)
	is := s.CreateIssueAs("acme", "svc", "octocat", "an issue", "")

	get := func(n int) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest("GET", fmt.Sprintf("%srepos/acme/svc/issues/%d", s.URL(), n), nil)
		req.Header.Set("Authorization", tok)
		req.Header.Set("Accept", "application/vnd.github+json")
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, m
	}
	status, m := get(pr)
	if n, _ := m["number"].(float64); status != 200 || int(n) != pr || m["state"] != "closed" {
		t.Fatalf("issues/get #%d: %d %v, want the closed pull request", pr, status, m)
	}
	if p, _ := m["pull_request"].(map[string]any); p == nil || p["url"] != s.URL()+fmt.Sprintf("repos/acme/svc/pulls/%d", pr) {
		t.Fatalf("pull_request = %v, want the pull request's links", m["pull_request"])
	}
	status, m = get(is)
	if _, has := m["pull_request"]; status != 200 || has {
		t.Fatalf("issues/get #%d: %d %v, want the issue without pull_request", is, status, m)
	}
	if status, _ := get(99); status != http.StatusNotFound {
		t.Fatalf("issues/get #99: %d, want 404", status)
	}
	if v := s.Violations(); len(v) != 0 {
		t.Fatalf("answers outside GitHub's description: %v", v)
	}
}
