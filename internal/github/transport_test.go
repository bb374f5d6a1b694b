package github

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// fakeClock never sleeps: it records the waits and moves time forward.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	slept  []time.Duration
	cancel bool // Sleep fails as if the context ended
}

func (c *fakeClock) Now() time.Time                       { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Jitter(d time.Duration) time.Duration { return d }
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancel {
		return context.Canceled
	}
	c.slept = append(c.slept, d)
	c.now = c.now.Add(d)
	return ctx.Err()
}

func testChain(t *testing.T, timeout time.Duration) (http.RoundTripper, *fakeClock) {
	t.Helper()
	fc := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	m, err := newMetrics(nil)
	if err != nil {
		t.Fatal(err)
	}
	a := &Apps{cfg: config{base: http.DefaultTransport, timeout: timeout, maxAttempts: 4, maxWait: 30 * time.Second,
		clock: fc, log: zerolog.Nop()}, m: m, etags: newETagCache(1 << 20)}
	return a.chain("7"), fc
}

// scripted answers the n-th request with steps[n] (the last one repeats).
func scripted(t *testing.T, steps ...func(w http.ResponseWriter, r *http.Request)) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		steps[min(i, len(steps)-1)](w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func status(code int, headers ...string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, `{"message":"x"}`)
	}
}

func TestRetryTransport(t *testing.T) {
	reset := func(d time.Duration) string { return strconv.FormatInt(time.Unix(1_800_000_000, 0).Add(d).Unix(), 10) }
	tests := []struct {
		name      string
		steps     []func(http.ResponseWriter, *http.Request)
		wantCode  int
		wantErr   string
		wantCalls int
		wantSlept []time.Duration
	}{
		{"5xx are retried with growing backoff", []func(http.ResponseWriter, *http.Request){status(500), status(502), status(200)},
			200, "", 3, []time.Duration{250 * time.Millisecond, 500 * time.Millisecond}},
		{"5xx give up after the attempts", []func(http.ResponseWriter, *http.Request){status(503)},
			503, "", 4, []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second}},
		{"a secondary rate limit waits Retry-After", []func(http.ResponseWriter, *http.Request){status(403, "Retry-After", "5"), status(200)},
			200, "", 2, []time.Duration{5 * time.Second}},
		{"a 429 with a spent quota waits for the reset", []func(http.ResponseWriter, *http.Request){
			status(429, "X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", reset(10*time.Second)), status(200)},
			200, "", 2, []time.Duration{11 * time.Second}},
		{"a reset beyond the ceiling fails at once for rescheduling", []func(http.ResponseWriter, *http.Request){
			status(403, "X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", reset(time.Hour))},
			0, "primary rate limit (status 403): retry at 2027-01-15T09:00:01Z", 1, nil},
		{"a Retry-After beyond the ceiling fails at once", []func(http.ResponseWriter, *http.Request){status(403, "Retry-After", "120")},
			0, "secondary rate limit", 1, nil},
		{"a 429 without headers waits GitHub's minute, over the ceiling", []func(http.ResponseWriter, *http.Request){status(429)},
			0, "secondary rate limit", 1, nil},
		{"a 403 that is not a rate limit is returned", []func(http.ResponseWriter, *http.Request){status(403)},
			403, "", 1, nil},
		{"Retry-After: 0 forever gives up after the attempts", []func(http.ResponseWriter, *http.Request){status(429, "Retry-After", "0")},
			0, "secondary rate limit", 4, []time.Duration{0, 0, 0}},
		{"a 404 is returned", []func(http.ResponseWriter, *http.Request){status(404)}, 404, "", 1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt, fc := testChain(t, time.Second)
			srv, n := scripted(t, tc.steps...)
			req, _ := http.NewRequest("GET", srv.URL+"/x", nil)
			resp, err := rt.RoundTrip(req)
			switch {
			case tc.wantErr != "":
				var rl *RateLimitError
				if err == nil || !errors.As(err, &rl) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want a RateLimitError containing %q", err, tc.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			default:
				resp.Body.Close()
				if resp.StatusCode != tc.wantCode {
					t.Errorf("status = %d, want %d", resp.StatusCode, tc.wantCode)
				}
			}
			if int(n.Load()) != tc.wantCalls {
				t.Errorf("calls = %d, want %d", n.Load(), tc.wantCalls)
			}
			if !equalDurations(fc.slept, tc.wantSlept) {
				t.Errorf("slept %v, want %v", fc.slept, tc.wantSlept)
			}
		})
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRetryTransport_AHangingResponseTimesOutAndIsRetried(t *testing.T) {
	rt, _ := testChain(t, 50*time.Millisecond)
	release := make(chan struct{})
	defer close(release)
	srv, n := scripted(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}, status(200))
	req, _ := http.NewRequest("GET", srv.URL+"/x", nil)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || n.Load() != 2 {
		t.Errorf("status %d after %d calls", resp.StatusCode, n.Load())
	}
}

// A retried request carries its body again: a write refused by a rate
// limit (GitHub did nothing), and a POST that is safe to repeat (an
// installation token) after a 502. Other writes after a 502 are not
// retried at all (TestRetryTransport_NeverSendsAgainAWriteGitHubMayHaveCarriedOut).
func TestRetryTransport_ReplaysTheBody(t *testing.T) {
	for _, tc := range []struct {
		first func(http.ResponseWriter, *http.Request)
		path  string
	}{
		{status(502), "/app/installations/7/access_tokens"},
		{status(403, "Retry-After", "0"), "/x"},
	} {
		testReplay(t, tc.first, tc.path)
	}
}

func testReplay(t *testing.T, first func(http.ResponseWriter, *http.Request), path string) {
	rt, _ := testChain(t, time.Second)
	var bodies []string
	var mu sync.Mutex
	record := func(next func(http.ResponseWriter, *http.Request)) func(http.ResponseWriter, *http.Request) {
		return func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			bodies = append(bodies, string(b))
			mu.Unlock()
			next(w, r)
		}
	}
	srv, _ := scripted(t, record(first), record(status(201)))
	req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(`{"name":"c"}`))
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 || len(bodies) != 2 || bodies[0] != bodies[1] || bodies[1] != `{"name":"c"}` {
		t.Errorf("status %d, bodies %q", resp.StatusCode, bodies)
	}
}

// Issue 15: a POST or PATCH answered with a 5xx, cut off or timed out may
// have been carried out; the transport hands it back to its caller, which
// looks on GitHub before it writes again. A connection that was never made
// carried nothing and is retried.
func TestRetryTransport_NeverSendsAgainAWriteGitHubMayHaveCarriedOut(t *testing.T) {
	hang := func(w http.ResponseWriter, r *http.Request) { _, _ = io.ReadAll(r.Body); <-r.Context().Done() }
	tests := []struct {
		name, method string
		step         func(http.ResponseWriter, *http.Request)
	}{
		{"a POST answered 502", "POST", status(502)},
		{"a PATCH answered 500", "PATCH", status(500)},
		{"a POST whose answer never comes", "POST", hang},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt, fc := testChain(t, 50*time.Millisecond)
			srv, n := scripted(t, tc.step, status(201))
			req, _ := http.NewRequest(tc.method, srv.URL+"/repos/o/r/check-runs", strings.NewReader(`{}`))
			resp, err := rt.RoundTrip(req)
			if err == nil {
				resp.Body.Close()
			}
			if n.Load() != 1 || len(fc.slept) != 0 {
				t.Errorf("%d requests (slept %v), want 1 and no retry", n.Load(), fc.slept)
			}
		})
	}
	t.Run("a POST that could not connect", func(t *testing.T) {
		rt, fc := testChain(t, time.Second)
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		req, _ := http.NewRequest("POST", url+"/repos/o/r/check-runs", strings.NewReader(`{}`))
		if _, err := rt.RoundTrip(req); err == nil {
			t.Fatal("no error from a closed server")
		}
		if len(fc.slept) != 3 {
			t.Errorf("slept %v, want 3 backoffs: nothing was sent, so it is safe to try again", fc.slept)
		}
	})
}

func TestRetryTransport_ConnectionErrorsAreRetriedThenReturned(t *testing.T) {
	rt, fc := testChain(t, time.Second)
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	req, _ := http.NewRequest("GET", url+"/x", nil)
	if _, err := rt.RoundTrip(req); err == nil {
		t.Fatal("no error from a closed server")
	}
	if len(fc.slept) != 3 {
		t.Errorf("slept %v, want 3 backoffs", fc.slept)
	}
}

func TestRetryTransport_StopsWhenTheContextEnds(t *testing.T) {
	rt, fc := testChain(t, time.Second)
	fc.cancel = true
	srv, n := scripted(t, status(500))
	req, _ := http.NewRequest("GET", srv.URL+"/x", nil)
	if _, err := rt.RoundTrip(req); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if n.Load() != 1 {
		t.Errorf("calls = %d", n.Load())
	}
}

func TestETagTransport_RevalidatesRepeatedGETs(t *testing.T) {
	rt, _ := testChain(t, time.Second)
	var conditional atomic.Int32
	srv, _ := scripted(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			conditional.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		_, _ = io.WriteString(w, `{"default_branch":"main"}`)
	})
	for i := range 3 {
		// As doHeader does: the response is cached once it decoded.
		ctx, tok := withETagToken(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/repos/o/r", nil)
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		tok.commit()
		if resp.StatusCode != 200 || string(b) != `{"default_branch":"main"}` {
			t.Errorf("request %d: %d %q", i, resp.StatusCode, b)
		}
	}
	if conditional.Load() != 2 {
		t.Errorf("conditional requests = %d, want 2", conditional.Load())
	}
}

// Issue 12: an answer without Content-Length (chunked, as GitHub sends
// large ones) bigger than the cache's share is handed on whole, just not
// cached.
func TestETagTransport_HandsOnALargeChunkedAnswerWhole(t *testing.T) {
	rt, _ := testChain(t, time.Second) // a 1 MiB cache: 128 KiB per entry
	big := `{"tree":"` + strings.Repeat("x", 300<<10) + `"}`
	srv, n := scripted(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"big"`)
		for i := 0; i < len(big); i += 16 << 10 {
			_, _ = io.WriteString(w, big[i:min(i+16<<10, len(big))])
			w.(http.Flusher).Flush() // no Content-Length: chunked
		}
	})
	for i := range 2 {
		ctx, tok := withETagToken(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/repos/o/r/git/trees/x", nil)
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		tok.commit()
		if err != nil || string(b) != big {
			t.Fatalf("request %d: read %d of %d bytes (%v)", i+1, len(b), len(big), err)
		}
	}
	if n.Load() != 2 {
		t.Errorf("%d requests, want 2 (too big to cache)", n.Load())
	}
}
