package githubfake

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v4"
)

// appJWT signs claims like a GitHub App would, with key.
func appJWT(t *testing.T, key *rsa.PrivateKey, iss string, iat, exp time.Time) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"iss": iss, "iat": iat.Unix(), "exp": exp.Unix()})
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func do(t *testing.T, s *Server, method, path, auth string, body any) (int, map[string]any, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.URL()+path, rd)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m, resp.Header
}

// installToken mints an installation token through the API.
func installToken(t *testing.T, s *Server, id int64) string {
	t.Helper()
	now := time.Now()
	st, m, _ := do(t, s, "POST", fmt.Sprintf("app/installations/%d/access_tokens", id),
		"Bearer "+appJWT(t, s.key, strconv.FormatInt(s.appID, 10), now.Add(-30*time.Second), now.Add(2*time.Minute)), map[string]any{})
	if st != 201 {
		t.Fatalf("access_tokens: %d %v", st, m)
	}
	return "token " + m["token"].(string)
}

func TestServer_AuthenticatesLikeGitHub(t *testing.T) {
	s := New(t)
	s.AddInstallation(1, "acme")
	s.AddInstallation(2, "other")
	sha := s.Push("acme", "svc", "main", map[string]string{"a": "1"})
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	now := time.Now()
	app := strconv.FormatInt(s.AppID(), 10)
	good := installToken(t, s, 1)
	tests := []struct {
		name, method, path, auth string
		want                     int
	}{
		{"a valid App JWT reads /app", "GET", "app", "Bearer " + appJWT(t, s.key, app, now, now.Add(time.Minute)), 200},
		{"a JWT signed with another key is refused", "GET", "app", "Bearer " + appJWT(t, other, app, now, now.Add(time.Minute)), 401},
		{"an expired JWT is refused", "GET", "app", "Bearer " + appJWT(t, s.key, app, now.Add(-20*time.Minute), now.Add(-10*time.Minute)), 401},
		{"a JWT living over ten minutes is refused", "GET", "app", "Bearer " + appJWT(t, s.key, app, now, now.Add(11*time.Minute)), 401},
		{"a JWT of another App is refused", "GET", "app", "Bearer " + appJWT(t, s.key, "1", now, now.Add(time.Minute)), 401},
		{"an installation token cannot call /app", "GET", "app", good, 401},
		{"no credentials on a repository is 401", "GET", "repos/acme/svc/git/trees/" + sha, "", 401},
		{"a made-up token is 401", "GET", "repos/acme/svc/git/trees/" + sha, "token ghs_madeup", 401},
		{"the installation's token reads its repository", "GET", "repos/acme/svc/git/trees/" + sha, good, 200},
		{"another account's installation sees 404", "GET", "repos/acme/svc/git/trees/" + sha, installToken(t, s, 2), 404},
		{"an unknown installation gets no token", "POST", "app/installations/99/access_tokens", "Bearer " + appJWT(t, s.key, app, now, now.Add(time.Minute)), 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body any
			if tc.method == "POST" {
				body = map[string]any{}
			}
			if st, m, _ := do(t, s, tc.method, tc.path, tc.auth, body); st != tc.want {
				t.Errorf("%s %s = %d %v, want %d", tc.method, tc.path, st, m, tc.want)
			}
		})
	}
	s.RemoveInstallation(1)
	if st, _, _ := do(t, s, "GET", "repos/acme/svc", "", nil); st != 401 {
		t.Errorf("after uninstall: %d, want 401", st)
	}
}

func TestServer_ServesGitObjects(t *testing.T) {
	s := New(t)
	s.AddInstallation(1, "acme")
	first := s.Push("acme", "svc", "main", map[string]string{"Makefile": "x\n", "deploy/a.yaml": "a: 1\n"})
	tok := installToken(t, s, 1)

	st, tree, _ := do(t, s, "GET", "repos/acme/svc/git/trees/"+first+"?recursive=1", tok, nil)
	if st != 200 {
		t.Fatalf("tree: %d %v", st, tree)
	}
	var paths []string
	var blob string
	for _, e := range tree["tree"].([]any) {
		m := e.(map[string]any)
		paths = append(paths, m["path"].(string)+":"+m["type"].(string))
		if m["path"] == "Makefile" {
			blob = m["sha"].(string)
		}
	}
	if got := strings.Join(paths, " "); got != "Makefile:blob deploy:tree deploy/a.yaml:blob" {
		t.Errorf("recursive tree = %s", got)
	}
	st, b, _ := do(t, s, "GET", "repos/acme/svc/git/blobs/"+blob, tok, nil)
	if st != 200 || b["content"] != "eAo=" || b["encoding"] != "base64" {
		t.Errorf("blob = %d %v", st, b)
	}
	st, ref, _ := do(t, s, "GET", "repos/acme/svc/git/ref/heads/main", tok, nil)
	if st != 200 || ref["object"].(map[string]any)["sha"] != first {
		t.Errorf("ref = %d %v", st, ref)
	}
	second := s.Push("acme", "svc", "main", map[string]string{"Makefile": "y\n"})
	if _, ref, _ = do(t, s, "GET", "repos/acme/svc/git/ref/heads/main", tok, nil); ref["object"].(map[string]any)["sha"] != second {
		t.Errorf("ref after second push = %v", ref)
	}
	_, repo, _ := do(t, s, "GET", "repos/acme/svc", tok, nil)
	if repo["default_branch"] != "main" || repo["full_name"] != "acme/svc" {
		t.Errorf("repo = %v %v", repo["default_branch"], repo["full_name"])
	}
	for _, p := range []string{
		"repos/acme/svc/git/trees/" + strings.Repeat("0", 40),
		"repos/acme/svc/git/blobs/" + strings.Repeat("0", 40),
		"repos/acme/svc/git/blobs/" + first, // a commit is not a blob
		"repos/acme/svc/git/ref/heads/nope",
		"repos/acme/nope",
	} {
		if st, _, _ := do(t, s, "GET", p, tok, nil); st != 404 {
			t.Errorf("GET %s = %d, want 404", p, st)
		}
	}
	calls := s.Calls()
	if calls["git/get-tree"] != 2 || calls["git/get-blob"] != 3 || calls["git/get-ref"] != 3 || calls["repos/get"] != 2 {
		t.Errorf("calls = %v", calls)
	}
}

func TestServer_AnswersRepeatedGETsWith304(t *testing.T) {
	s := New(t)
	s.AddInstallation(1, "acme")
	s.Push("acme", "svc", "main", map[string]string{"a": "1"})
	tok := installToken(t, s, 1)
	_, _, h := do(t, s, "GET", "repos/acme/svc", tok, nil)
	req, _ := http.NewRequest("GET", s.URL()+"repos/acme/svc", nil)
	req.Header.Set("Authorization", tok)
	req.Header.Set("If-None-Match", h.Get("ETag"))
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 304 || h.Get("X-Ratelimit-Remaining") == "" {
		t.Errorf("conditional GET = %d (etag %q, remaining %q)", resp.StatusCode, h.Get("ETag"), h.Get("X-Ratelimit-Remaining"))
	}
}

func annotations(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{"path": "Makefile", "start_line": i + 1, "end_line": i + 1, "annotation_level": "warning", "message": "m"}
	}
	return out
}

func TestServer_EnforcesCheckRunLimits(t *testing.T) {
	s := New(t, RecordViolations())
	s.AddInstallation(1, "acme")
	sha := s.Push("acme", "svc", "main", map[string]string{"a": "1"})
	tok := installToken(t, s, 1)
	out := func(summary string, ann []any) map[string]any {
		o := map[string]any{"title": "t", "summary": summary}
		if ann != nil {
			o["annotations"] = ann
		}
		return o
	}
	tests := []struct {
		name string
		body map[string]any
		want int
	}{
		{"50 annotations are accepted", map[string]any{"name": "c", "head_sha": sha, "output": out("s", annotations(50))}, 201},
		{"51 annotations are refused", map[string]any{"name": "c", "head_sha": sha, "output": out("s", annotations(51))}, 422},
		{"a 65535-character summary is accepted", map[string]any{"name": "c", "head_sha": sha, "output": out(strings.Repeat("é", 65535), nil)}, 201},
		{"a 65536-character summary is refused", map[string]any{"name": "c", "head_sha": sha, "output": out(strings.Repeat("é", 65536), nil)}, 422},
		{"head_sha is required", map[string]any{"name": "c"}, 422},
		{"an unknown head_sha is refused", map[string]any{"name": "c", "head_sha": strings.Repeat("1", 40)}, 422},
		{"completed needs a conclusion", map[string]any{"name": "c", "head_sha": sha, "status": "completed"}, 422},
		{"output needs a title", map[string]any{"name": "c", "head_sha": sha, "output": map[string]any{"summary": "s"}}, 422},
		{"columns need a single line", map[string]any{"name": "c", "head_sha": sha, "output": out("s", []any{
			map[string]any{"path": "a", "start_line": 1, "end_line": 2, "start_column": 1, "annotation_level": "notice", "message": "m"}})}, 422},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if st, m, _ := do(t, s, "POST", "repos/acme/svc/check-runs", tok, tc.body); st != tc.want {
				t.Errorf("status %d %v, want %d", st, m["message"], tc.want)
			}
		})
	}
	// Updates append annotations, 50 at a time.
	_, run, _ := do(t, s, "POST", "repos/acme/svc/check-runs", tok, map[string]any{"name": "big", "head_sha": sha, "status": "in_progress", "output": out("s", annotations(50))})
	id := strconv.FormatFloat(run["id"].(float64), 'f', 0, 64)
	if st, _, _ := do(t, s, "PATCH", "repos/acme/svc/check-runs/"+id, tok, map[string]any{"conclusion": "failure", "output": out("s2", annotations(20))}); st != 200 {
		t.Fatalf("update: %d", st)
	}
	if st, _, _ := do(t, s, "PATCH", "repos/acme/svc/check-runs/"+id, tok, map[string]any{"output": out("s3", annotations(51))}); st != 422 {
		t.Errorf("update with 51 annotations: %d, want 422", st)
	}
	var big CheckRunRecord
	for _, r := range s.CheckRuns("acme", "svc", sha) {
		if r.Name == "big" {
			big = r
		}
	}
	if len(big.Annotations) != 70 || big.Status != "completed" || big.Conclusion != "failure" || big.Summary != "s2" || big.Requests != 2 {
		t.Errorf("big run = %d annotations, %s/%s, summary %q, %d requests", len(big.Annotations), big.Status, big.Conclusion, big.Summary, big.Requests)
	}
	if len(s.Violations()) == 0 {
		t.Error("requests over the schema's limits were not reported as violations")
	}
}

func TestServer_FlagsResponsesThatDoNotMatchGitHub(t *testing.T) {
	s := New(t)
	route, params, ok := s.spec.route("GET", "/repos/o/r/git/trees/abc")
	if !ok || route.Operation.OperationID != "git/get-tree" {
		t.Fatalf("route = %v %v", route, ok)
	}
	req, _ := http.NewRequest("GET", s.URL()+"repos/o/r/git/trees/abc", nil)
	h := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	if err := s.spec.validateResponse(context.Background(), req, route, params, 200, h, []byte(`{"sha":"abc","url":"u","truncated":false}`)); err == nil {
		t.Error("a tree without \"tree\" passed response validation")
	}
	if err := s.spec.validateResponse(context.Background(), req, route, params, 418, h, []byte(`{}`)); err == nil {
		t.Error("an undocumented status passed response validation")
	}
}

func TestSpec_RoutesParametersThatContainSlashes(t *testing.T) {
	s := New(t)
	for path, want := range map[string]string{
		"/repos/o/r/git/ref/heads/feature/x": "heads/feature/x",
		"/repos/o/r/git/ref/heads/main":      "heads/main",
	} {
		_, params, ok := s.spec.route("GET", path)
		if !ok || params["ref"] != want {
			t.Errorf("%s: ref = %q (%v), want %q", path, params["ref"], ok, want)
		}
	}
}

func TestServer_InjectsFaults(t *testing.T) {
	s := New(t)
	s.AddInstallation(1, "acme")
	s.Push("acme", "svc", "main", map[string]string{"a": "1"})
	tok := installToken(t, s, 1)
	s.InjectFault(Fault{Kind: FaultServerError, Operation: "repos/get", Status: 502})
	s.InjectFault(Fault{Kind: FaultSecondaryRateLimit, RetryAfter: 3 * time.Second})
	s.InjectFault(Fault{Kind: FaultPrimaryRateLimit, Reset: time.Minute})
	if st, _, _ := do(t, s, "GET", "repos/acme/svc", tok, nil); st != 502 {
		t.Errorf("first: %d, want 502", st)
	}
	if st, _, h := do(t, s, "GET", "repos/acme/svc", tok, nil); st != 403 || h.Get("Retry-After") != "3" {
		t.Errorf("second: %d retry-after %q", st, h.Get("Retry-After"))
	}
	if st, _, h := do(t, s, "GET", "repos/acme/svc", tok, nil); st != 403 || h.Get("X-Ratelimit-Remaining") != "0" || h.Get("X-Ratelimit-Reset") == "" {
		t.Errorf("third: %d remaining %q", st, h.Get("X-Ratelimit-Remaining"))
	}
	if st, _, _ := do(t, s, "GET", "repos/acme/svc", tok, nil); st != 200 {
		t.Errorf("after the faults: %d", st)
	}
}

func TestServer_SpendsTheHourlyQuota(t *testing.T) {
	s := New(t, WithRateLimit(2))
	s.AddInstallation(1, "acme")
	s.Push("acme", "svc", "main", map[string]string{"a": "1"})
	tok := installToken(t, s, 1)
	for i, want := range []int{200, 200, 403} {
		st, _, h := do(t, s, "GET", "repos/acme/svc", tok, nil)
		if st != want {
			t.Errorf("request %d: %d (remaining %s), want %d", i+1, st, h.Get("X-Ratelimit-Remaining"), want)
		}
	}
}

// A fault with After set lets the request happen and loses the answer:
// the client sees a failure while the check run exists.
func TestServer_FaultsAfterHandlingCarryOutTheRequest(t *testing.T) {
	tests := []struct {
		name  string
		fault Fault
		// want is the status the client sees, or 0 for no answer
		want int
	}{
		{"a 502 from the front end", Fault{Kind: FaultServerError, Operation: "checks/create", After: true}, 502},
		{"a reset connection", Fault{Kind: FaultDisconnect, Operation: "checks/create", After: true}, 0},
		{"an answer slower than the client waits", Fault{Kind: FaultLatency, Operation: "checks/create", After: true, Latency: time.Second}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New(t)
			s.AddInstallation(1, "acme")
			sha := s.Push("acme", "svc", "main", map[string]string{"a": "1"})
			tok := installToken(t, s, 1)
			s.InjectFault(tc.fault)
			b, _ := json.Marshal(map[string]any{"name": "c", "head_sha": sha})
			req, _ := http.NewRequest("POST", s.URL()+"repos/acme/svc/check-runs", bytes.NewReader(b))
			req.Header.Set("Authorization", tok)
			req.Header.Set("Content-Type", "application/json")
			c := &http.Client{Timeout: 200 * time.Millisecond}
			resp, err := c.Do(req)
			got := 0
			if err == nil {
				got = resp.StatusCode
				resp.Body.Close()
			}
			if got != tc.want {
				t.Errorf("client saw status %d (%v), want %d", got, err, tc.want)
			}
			deadline := time.Now().Add(5 * time.Second)
			for len(s.CheckRuns("acme", "svc", sha)) == 0 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if n := len(s.CheckRuns("acme", "svc", sha)); n != 1 {
				t.Errorf("%d check runs, want the one the lost request created", n)
			}
		})
	}
}

// A truncated body keeps its headers and ETag; only the JSON is cut.
func TestServer_TruncatesABodyOnce(t *testing.T) {
	s := New(t, RecordViolations())
	s.AddInstallation(1, "acme")
	s.Push("acme", "svc", "main", map[string]string{"a": "1"})
	tok := installToken(t, s, 1)
	s.InjectFault(Fault{Kind: FaultTruncatedBody, Operation: "repos/get"})
	get := func() (int, string, []byte) {
		req, _ := http.NewRequest("GET", s.URL()+"repos/acme/svc", nil)
		req.Header.Set("Authorization", tok)
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("the cut-off body did not end cleanly: %v", err)
		}
		return resp.StatusCode, resp.Header.Get("ETag"), b
	}
	st1, etag1, cut := get()
	st2, etag2, whole := get()
	if st1 != 200 || st2 != 200 || etag1 == "" || etag1 != etag2 {
		t.Fatalf("statuses %d, %d, etags %q, %q: want 200 twice with one ETag", st1, st2, etag1, etag2)
	}
	if json.Valid(cut) || !json.Valid(whole) || !bytes.HasPrefix(whole, cut) {
		t.Errorf("first body (%d bytes) should be a cut-off prefix of the second (%d bytes)", len(cut), len(whole))
	}
}

// The delivery log can reach back days, newest first whatever the order
// the attempts were logged in.
func TestServer_ListsABackdatedDeliveryLogNewestFirst(t *testing.T) {
	s := New(t)
	now := time.Now()
	var want []string
	for _, age := range []time.Duration{50 * time.Hour, time.Hour, 3 * time.Minute} {
		want = append([]string{s.LogFailedDelivery("push", []byte(`{"action":"x"}`), now.Add(-age))}, want...)
	}
	tok := "Bearer " + appJWT(t, s.key, strconv.FormatInt(s.appID, 10), now.Add(-30*time.Second), now.Add(2*time.Minute))
	req, _ := http.NewRequest("GET", s.URL()+"app/hook/deliveries?per_page=100", nil)
	req.Header.Set("Authorization", tok)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var items []struct {
		GUID       string `json:"guid"`
		StatusCode int    `json:"status_code"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&items); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append(got, it.GUID)
		if it.StatusCode != 0 {
			t.Errorf("%s: status %d, want 0 (not delivered)", it.GUID, it.StatusCode)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("log = %v, want newest first %v", got, want)
	}
}

// checks/list-for-ref pages as GitHub's lists do (per_page default 30, at
// most 100; total_count counts them all), where the fake answered every
// run at once and so hid a client that reads the first page only.
func TestServer_ListsCheckRunsByPage(t *testing.T) {
	s := New(t)
	s.AddInstallation(1, "acme")
	sha := s.Push("acme", "svc", "main", map[string]string{"a": "1"})
	tok := installToken(t, s, 1)
	for i := range 35 {
		body := map[string]any{"name": "PaaSTA contract", "head_sha": sha, "external_id": strconv.Itoa(i)}
		if st, m, _ := do(t, s, "POST", "repos/acme/svc/check-runs", tok, body); st != 201 {
			t.Fatalf("create: %d %v", st, m)
		}
	}
	for _, tc := range []struct {
		query     string
		wantRuns  int
		wantFirst string // external_id of the first run listed: newest first
	}{
		{"", 30, "34"},
		{"?page=2", 5, "4"},
		{"?per_page=10&page=3", 10, "14"},
		{"?per_page=1000", 35, "34"},
		{"?per_page=20&page=3", 0, ""},
	} {
		st, m, _ := do(t, s, "GET", "repos/acme/svc/commits/"+sha+"/check-runs"+tc.query, tok, nil)
		runs, _ := m["check_runs"].([]any)
		if st != 200 || len(runs) != tc.wantRuns || m["total_count"] != float64(35) {
			t.Fatalf("%s: %d, %d runs of total_count %v; want %d of 35", tc.query, st, len(runs), m["total_count"], tc.wantRuns)
		}
		if len(runs) > 0 {
			if first := runs[0].(map[string]any)["external_id"]; first != tc.wantFirst {
				t.Errorf("%s: first run %v, want %s", tc.query, first, tc.wantFirst)
			}
		}
	}
	if v := s.Violations(); len(v) != 0 {
		t.Fatalf("answers outside GitHub's description: %v", v)
	}
}
