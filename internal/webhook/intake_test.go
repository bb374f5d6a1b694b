package webhook_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"github.com/contractbot/contractbot/internal/webhook"
)

var (
	secret      = []byte("It's a Secret to Everybody")
	otherSecret = []byte("the next secret, during a rotation")
	pushBody    = []byte(`{"ref":"refs/heads/main","after":"0123456789abcdef0123456789abcdef01234567"}`)
)

const guid = "72d3162e-cc78-11e3-81ab-4c9367dc0958"

// memEnqueuer records what the intake stores.
type memEnqueuer struct {
	mu    sync.Mutex
	tasks []webhook.Task
	seen  map[string]bool
	err   error
}

func (m *memEnqueuer) Enqueue(_ context.Context, t webhook.Task) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return false, m.err
	}
	if m.seen == nil {
		m.seen = map[string]bool{}
	}
	if m.seen[t.ID] {
		return true, nil
	}
	m.seen[t.ID] = true
	m.tasks = append(m.tasks, t)
	return false, nil
}

func (m *memEnqueuer) stored() []webhook.Task {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]webhook.Task(nil), m.tasks...)
}

// signedRequest builds a delivery as GitHub sends it.
func signedRequest(event, id string, body []byte, key []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(webhook.HeaderEvent, event)
	r.Header.Set(webhook.HeaderDelivery, id)
	r.Header.Set(webhook.HeaderSignature, webhook.Sign(key, body))
	return r
}

func TestSign_MatchesGitHubsTestVector(t *testing.T) {
	// https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
	got := webhook.Sign([]byte("It's a Secret to Everybody"), []byte("Hello, World!"))
	want := "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	if got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

func TestIntake_AcceptsGitHubsTestVector(t *testing.T) {
	q := &memEnqueuer{}
	in, err := webhook.NewIntake([][]byte{secret}, q)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("Hello, World!")
	r := signedRequest("push", guid, body, secret)
	r.Header.Set(webhook.HeaderSignature, "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
	w := httptest.NewRecorder()
	in.ServeHTTP(w, r)
	if w.Code != http.StatusAccepted {
		t.Fatalf("status = %d (%s), want 202", w.Code, w.Body)
	}
}

func TestIntake_StatusCodes(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 129)
	for _, tc := range []struct {
		name   string
		req    func() *http.Request
		qErr   error
		status int
		stored int
		result string // deliveries_total result label
	}{
		{
			name:   "a signed push is stored and answered 202",
			req:    func() *http.Request { return signedRequest("push", guid, pushBody, secret) },
			status: http.StatusAccepted, stored: 1, result: "accepted",
		},
		{
			name:   "a delivery signed with the second configured secret is accepted",
			req:    func() *http.Request { return signedRequest("push", guid, pushBody, otherSecret) },
			status: http.StatusAccepted, stored: 1, result: "accepted",
		},
		{
			name: "a content type with a charset parameter is accepted",
			req: func() *http.Request {
				r := signedRequest("push", guid, pushBody, secret)
				r.Header.Set("Content-Type", "application/json; charset=utf-8")
				return r
			},
			status: http.StatusAccepted, stored: 1, result: "accepted",
		},
		{
			name:   "a body exactly at the cap is accepted",
			req:    func() *http.Request { return signedRequest("push", guid, big[:128], secret) },
			status: http.StatusAccepted, stored: 1, result: "accepted",
		},
		{
			name: "ping is answered 200 and not stored",
			req: func() *http.Request {
				return signedRequest("ping", guid, []byte(`{"zen":"Keep it logically awesome."}`), secret)
			},
			status: http.StatusOK, stored: 0, result: "ping",
		},
		{
			name: "GET is refused with 405",
			req: func() *http.Request {
				r := signedRequest("push", guid, pushBody, secret)
				r.Method = http.MethodGet
				return r
			},
			status: http.StatusMethodNotAllowed, result: "405",
		},
		{
			name:   "a body over the cap with a Content-Length is refused with 413",
			req:    func() *http.Request { return signedRequest("push", guid, big, secret) },
			status: http.StatusRequestEntityTooLarge, result: "413",
		},
		{
			name: "a chunked body over the cap is refused with 413",
			req: func() *http.Request {
				r := signedRequest("push", guid, big, secret)
				r.ContentLength = -1
				r.Body = io.NopCloser(bytes.NewReader(big))
				return r
			},
			status: http.StatusRequestEntityTooLarge, result: "413",
		},
		{
			name: "a missing X-GitHub-Event is refused with 400",
			req: func() *http.Request {
				r := signedRequest("push", guid, pushBody, secret)
				r.Header.Del(webhook.HeaderEvent)
				return r
			},
			status: http.StatusBadRequest, result: "400",
		},
		{
			name: "a missing X-GitHub-Delivery is refused with 400",
			req: func() *http.Request {
				r := signedRequest("push", guid, pushBody, secret)
				r.Header.Del(webhook.HeaderDelivery)
				return r
			},
			status: http.StatusBadRequest, result: "400",
		},
		{
			name:   "a delivery ID with a slash is refused with 400",
			req:    func() *http.Request { return signedRequest("push", "../../etc", pushBody, secret) },
			status: http.StatusBadRequest, result: "400",
		},
		{
			name:   "a delivery ID longer than 128 bytes is refused with 400",
			req:    func() *http.Request { return signedRequest("push", strings.Repeat("a", 129), pushBody, secret) },
			status: http.StatusBadRequest, result: "400",
		},
		{
			name: "a form-encoded delivery is refused with 415",
			req: func() *http.Request {
				r := signedRequest("push", guid, pushBody, secret)
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				return r
			},
			status: http.StatusUnsupportedMediaType, result: "415",
		},
		{
			name: "a missing content type is refused with 415",
			req: func() *http.Request {
				r := signedRequest("push", guid, pushBody, secret)
				r.Header.Del("Content-Type")
				return r
			},
			status: http.StatusUnsupportedMediaType, result: "415",
		},
		{
			name: "an unsigned delivery is refused with 401",
			req: func() *http.Request {
				r := signedRequest("push", guid, pushBody, secret)
				r.Header.Del(webhook.HeaderSignature)
				return r
			},
			status: http.StatusUnauthorized, result: "401",
		},
		{
			name: "a SHA-1 X-Hub-Signature alone is refused with 401",
			req: func() *http.Request {
				r := signedRequest("push", guid, pushBody, secret)
				r.Header.Del(webhook.HeaderSignature)
				r.Header.Set("X-Hub-Signature", "sha1=0123456789abcdef0123456789abcdef01234567")
				return r
			},
			status: http.StatusUnauthorized, result: "401",
		},
		{
			name: "a sha1= value in X-Hub-Signature-256 is refused with 401",
			req: func() *http.Request {
				r := signedRequest("push", guid, pushBody, secret)
				r.Header.Set(webhook.HeaderSignature, "sha1=0123456789abcdef0123456789abcdef01234567")
				return r
			},
			status: http.StatusUnauthorized, result: "401",
		},
		{
			name: "a signature that is not hex is refused with 401",
			req: func() *http.Request {
				r := signedRequest("push", guid, pushBody, secret)
				r.Header.Set(webhook.HeaderSignature, "sha256="+strings.Repeat("zz", 32))
				return r
			},
			status: http.StatusUnauthorized, result: "401",
		},
		{
			name:   "a delivery signed with an unknown secret is refused with 401",
			req:    func() *http.Request { return signedRequest("push", guid, pushBody, []byte("guess")) },
			status: http.StatusUnauthorized, result: "401",
		},
		{
			name: "a body changed after signing is refused with 401",
			req: func() *http.Request {
				r := signedRequest("push", guid, pushBody, secret)
				r.Body = io.NopCloser(strings.NewReader(strings.Replace(string(pushBody), "main", "evil", 1)))
				return r
			},
			status: http.StatusUnauthorized, result: "401",
		},
		{
			name:   "a store failure is answered 503 so GitHub shows the delivery as failed",
			req:    func() *http.Request { return signedRequest("push", guid, pushBody, secret) },
			qErr:   errors.New("disk full"),
			status: http.StatusServiceUnavailable, result: "unavailable",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := &memEnqueuer{err: tc.qErr}
			reg := prometheus.NewRegistry()
			in, err := webhook.NewIntake([][]byte{secret, otherSecret}, q, webhook.WithMaxBodyBytes(128), webhook.WithMetrics(reg))
			if err != nil {
				t.Fatal(err)
			}
			w := httptest.NewRecorder()
			in.ServeHTTP(w, tc.req())
			if w.Code != tc.status {
				t.Errorf("status = %d (%q), want %d", w.Code, w.Body, tc.status)
			}
			if got := len(q.stored()); got != tc.stored {
				t.Errorf("stored %d tasks, want %d", got, tc.stored)
			}
			event := "push"
			if tc.status < 500 && tc.status >= 400 {
				event = "unverified"
			}
			if tc.result == "ping" {
				event = "ping"
			}
			if got := testutil.ToFloat64(mustCounter(t, reg, webhook.MetricDeliveries, event, tc.result)); got != 1 {
				t.Errorf("%s{event=%q,result=%q} = %v, want 1", webhook.MetricDeliveries, event, tc.result, got)
			}
			sigFailures := testutil.ToFloat64(mustCounter(t, reg, webhook.MetricSignatureFailures))
			if want := float64(boolInt(tc.status == http.StatusUnauthorized)); sigFailures != want {
				t.Errorf("signature failures = %v, want %v", sigFailures, want)
			}
		})
	}
}

func TestIntake_StoresTheDeliveryItAcknowledges(t *testing.T) {
	q := &memEnqueuer{}
	received := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	in, err := webhook.NewIntake([][]byte{secret}, q, webhook.WithClock(func() time.Time { return received }))
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	in.ServeHTTP(w, signedRequest("pull_request", guid, pushBody, secret))
	if w.Code != http.StatusAccepted {
		t.Fatalf("status = %d", w.Code)
	}
	tasks := q.stored()
	if len(tasks) != 1 {
		t.Fatalf("stored %d tasks", len(tasks))
	}
	tk := tasks[0]
	if tk.ID != guid || tk.Kind != webhook.KindDelivery || tk.Key != webhook.DeliveryKey(guid) {
		t.Errorf("task = %+v, want ID %s, kind delivery, key delivery/<guid>", tk, guid)
	}
	d, err := webhook.DecodeDelivery(tk)
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != guid || d.Event != "pull_request" || !bytes.Equal(d.Payload, pushBody) || !d.ReceivedAt.Equal(received) {
		t.Errorf("decoded delivery = %+v", d)
	}
}

func TestIntake_RedeliveryIsAcceptedAndStoredOnce(t *testing.T) {
	q := openBolt(t, filepath.Join(t.TempDir(), "q.db"))
	reg := prometheus.NewRegistry()
	in, err := webhook.NewIntake([][]byte{secret}, q, webhook.WithMetrics(reg))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		w := httptest.NewRecorder()
		in.ServeHTTP(w, signedRequest("push", guid, pushBody, secret))
		if w.Code != http.StatusAccepted {
			t.Fatalf("delivery %d: status = %d", i+1, w.Code)
		}
	}
	s, err := q.Stats(t.Context())
	if err != nil || s.Pending != 1 {
		t.Fatalf("stats = %+v, %v; want one pending task", s, err)
	}
	if got := testutil.ToFloat64(mustCounter(t, reg, webhook.MetricDeliveries, "push", "duplicate")); got != 1 {
		t.Errorf("duplicate deliveries = %v, want 1", got)
	}
}

func TestIntake_AnswersAfterAClosedQueueWith503(t *testing.T) {
	q, err := webhook.OpenBolt(filepath.Join(t.TempDir(), "q.db"))
	if err != nil {
		t.Fatal(err)
	}
	q.Close()
	in, err := webhook.NewIntake([][]byte{secret}, q)
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	in.ServeHTTP(w, signedRequest("push", guid, pushBody, secret))
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("status = %d, want 503", w.Code)
	}
}

func TestNewIntake_RefusesMissingSecretsAndQueue(t *testing.T) {
	q := &memEnqueuer{}
	for _, tc := range []struct {
		name    string
		secrets [][]byte
		q       webhook.Enqueuer
		opts    []webhook.IntakeOption
	}{
		{"no secrets", nil, q, nil},
		{"an empty secret among others", [][]byte{secret, {}}, q, nil},
		{"no queue", [][]byte{secret}, nil, nil},
		{"a zero body cap", [][]byte{secret}, q, []webhook.IntakeOption{webhook.WithMaxBodyBytes(0)}},
		{"an in-flight budget below the body cap", [][]byte{secret}, q, []webhook.IntakeOption{webhook.WithMaxInFlightBytes(1 << 20)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := webhook.NewIntake(tc.secrets, tc.q, tc.opts...); err == nil {
				t.Fatal("NewIntake succeeded")
			}
		})
	}
}

func TestIntake_SecretsAreCopied(t *testing.T) {
	s := []byte("mutable")
	q := &memEnqueuer{}
	in, err := webhook.NewIntake([][]byte{s}, q)
	if err != nil {
		t.Fatal(err)
	}
	copy(s, "changed")
	w := httptest.NewRecorder()
	in.ServeHTTP(w, signedRequest("push", guid, pushBody, []byte("mutable")))
	if w.Code != http.StatusAccepted {
		t.Fatalf("status = %d after the caller changed its secret slice", w.Code)
	}
}

func TestDecodeDelivery_RefusesOtherTasks(t *testing.T) {
	for _, tk := range []webhook.Task{
		{ID: "a", Key: "k", Kind: "check", Payload: []byte("x")},
		{ID: "a", Key: "k", Kind: webhook.KindDelivery, Payload: []byte("garbage")},
		{ID: "a", Key: "k", Kind: webhook.KindDelivery, Payload: []byte("contractbot-delivery/1\n{not json}\n")},
	} {
		if _, err := webhook.DecodeDelivery(tk); !errors.Is(err, webhook.ErrNotDelivery) {
			t.Errorf("DecodeDelivery(%q) = %v, want ErrNotDelivery", tk.Payload, err)
		}
	}
}

func mustCounter(t *testing.T, reg *prometheus.Registry, name string, labels ...string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for i, lp := range m.GetLabel() {
				if i >= len(labels) || lp.GetValue() != labels[i] {
					continue metrics
				}
			}
			return constCounter(m.GetCounter().GetValue())
		}
	}
	return constCounter(0)
}

func constCounter(v float64) prometheus.Collector {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "x", Help: "x"})
	c.Add(v)
	return c
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestIntake_LogsWithGoGitHubAppFieldNames(t *testing.T) {
	logs := &syncBuffer{}
	in, err := webhook.NewIntake([][]byte{secret}, &memEnqueuer{}, webhook.WithLogger(zerolog.New(logs)))
	if err != nil {
		t.Fatal(err)
	}
	in.ServeHTTP(httptest.NewRecorder(), signedRequest("push", guid, pushBody, secret))
	in.ServeHTTP(httptest.NewRecorder(), signedRequest("push", "bad-sig", pushBody, []byte("wrong")))
	out := logs.String()
	for _, want := range []string{
		`"github_delivery_id":"` + guid + `"`, `"github_event_type":"push"`, `"status":202`,
		`"github_delivery_id":"bad-sig"`, `"status":401`, `"level":"warn"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
}

// zeros is an endless body that costs no memory.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestIntake_DefaultCapIsGitHubs25MiB(t *testing.T) {
	for _, tc := range []struct {
		name          string
		contentLength int64
	}{
		{"declared", webhook.DefaultMaxBodyBytes + 1},
		{"chunked", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := &memEnqueuer{}
			in, err := webhook.NewIntake([][]byte{secret}, q)
			if err != nil {
				t.Fatal(err)
			}
			r := signedRequest("push", guid, pushBody, secret)
			r.Body = io.NopCloser(io.LimitReader(zeros{}, webhook.DefaultMaxBodyBytes+1))
			r.ContentLength = tc.contentLength
			w := httptest.NewRecorder()
			in.ServeHTTP(w, r)
			if w.Code != http.StatusRequestEntityTooLarge {
				t.Fatalf("status = %d, want 413", w.Code)
			}
			if webhook.DefaultMaxBodyBytes != 25<<20 {
				t.Errorf("DefaultMaxBodyBytes = %d, want 25 MiB", webhook.DefaultMaxBodyBytes)
			}
		})
	}
}

func TestIntake_RefusesBodiesBeyondTheInFlightBudgetWith503(t *testing.T) {
	q := &memEnqueuer{}
	reg := prometheus.NewRegistry()
	in, err := webhook.NewIntake([][]byte{secret}, q, webhook.WithMaxBodyBytes(128), webhook.WithMaxInFlightBytes(128), webhook.WithMetrics(reg))
	if err != nil {
		t.Fatal(err)
	}
	// The first request declares 60 bytes and sends them slowly.
	pr, pw := io.Pipe()
	slow := signedRequest("push", "slow", pushBody[:60], secret)
	slow.Body, slow.ContentLength = pr, 60
	slowDone := make(chan int)
	go func() {
		w := httptest.NewRecorder()
		in.ServeHTTP(w, slow)
		slowDone <- w.Code
	}()
	if _, err := pw.Write(pushBody[:10]); err != nil { // the intake is now reading
		t.Fatal(err)
	}

	w := httptest.NewRecorder()
	in.ServeHTTP(w, signedRequest("push", guid, pushBody, secret)) // 60 + 76 bytes > 128
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Fatalf("status = %d, Retry-After %q; want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
	}
	if got := testutil.ToFloat64(mustCounter(t, reg, webhook.MetricDeliveries, "unverified", "503")); got != 1 {
		t.Errorf("overload not counted as an unverified 503: %v", got)
	}

	pw.Write(pushBody[10:60])
	pw.Close()
	if code := <-slowDone; code != http.StatusAccepted {
		t.Fatalf("slow request status = %d", code)
	}
	w = httptest.NewRecorder()
	in.ServeHTTP(w, signedRequest("push", guid, pushBody, secret))
	if w.Code != http.StatusAccepted {
		t.Fatalf("after the budget was released: status = %d, want 202", w.Code)
	}
}

// Issue 15, defect 6: clients that announce large bodies, carry a
// well-formed but wrong signature and then trickle their bodies must not
// hold the in-flight budget, which they used to reserve (and allocate)
// from Content-Length before the signature could be checked: signed
// deliveries got 503 for as long as they kept their connections open.
func TestIntake_SlowUnsignedSendersCannotStarveSignedDeliveries(t *testing.T) {
	const maxBody, budget = 1 << 20, 4 << 20 // 20 senders announce 5 times the budget
	q := &memEnqueuer{}
	in, err := webhook.NewIntake([][]byte{secret}, q, webhook.WithMaxBodyBytes(maxBody), webhook.WithMaxInFlightBytes(budget))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(in)
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	for i := range 20 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST /webhook HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nX-GitHub-Event: push\r\n"+
			"X-GitHub-Delivery: slow-%d\r\nX-Hub-Signature-256: sha256=%s\r\nContent-Length: %d\r\n\r\n{\"ref\":",
			addr, i, strings.Repeat("0", 64), maxBody)
	}
	time.Sleep(200 * time.Millisecond) // the slow requests are being read

	client := &http.Client{Timeout: 10 * time.Second}
	for i := range 20 {
		id := fmt.Sprintf("signed-%d", i)
		req := signedRequest("push", id, pushBody, secret)
		req.URL, req.RequestURI = mustURL(t, srv.URL+"/webhook"), ""
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		// A generous bound, not a benchmark: BENCHMARKS.md has the figure.
		if resp.StatusCode != http.StatusAccepted || time.Since(start) > 5*time.Second {
			t.Fatalf("signed delivery %d: status %d after %s, want 202 while 20 slow senders hold their connections", i, resp.StatusCode, time.Since(start))
		}
	}
	if n := len(q.stored()); n != 20 {
		t.Errorf("%d deliveries stored, want the 20 signed ones", n)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Bodies beyond their first chunk may use only part of the budget: even
// clients that send large bodies quickly and then stall before the last
// byte leave room for small deliveries.
func TestIntake_LargeStalledBodiesLeaveRoomForSmallDeliveries(t *testing.T) {
	const maxBody, budget = 1 << 20, 4 << 20
	q := &memEnqueuer{}
	in, err := webhook.NewIntake([][]byte{secret}, q, webhook.WithMaxBodyBytes(maxBody), webhook.WithMaxInFlightBytes(budget))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(in)
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	for i := range 8 { // 8 MiB announced and all but a byte sent
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST /webhook HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nX-GitHub-Event: push\r\n"+
			"X-GitHub-Delivery: big-%d\r\nX-Hub-Signature-256: sha256=%s\r\nContent-Length: %d\r\n\r\n",
			addr, i, strings.Repeat("0", 64), maxBody)
		go func() { _, _ = c.Write(bytes.Repeat([]byte(" "), maxBody-1)) }()
	}
	time.Sleep(500 * time.Millisecond)
	client := &http.Client{Timeout: 10 * time.Second}
	for i := range 10 {
		req := signedRequest("push", fmt.Sprintf("small-%d", i), pushBody, secret)
		req.URL, req.RequestURI = mustURL(t, srv.URL+"/webhook"), ""
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("small delivery %d: status %d, want 202", i, resp.StatusCode)
		}
	}
}
