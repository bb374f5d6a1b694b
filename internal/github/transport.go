package github

import (
	"bytes"
	"container/list"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxErrorBody bounds how much of an error response is read for its message.
const maxErrorBody = 64 << 10

// maxResponseBody bounds a decoded JSON response (a recursive tree of a
// large repository is several MB; GitHub truncates trees at 7 MB).
const maxResponseBody = 64 << 20

// APIError is a GitHub API response with a non-2xx status.
type APIError struct {
	Method     string
	Path       string
	StatusCode int
	Message    string // GitHub's "message", if any
}

func (e *APIError) Error() string {
	msg := strings.ReplaceAll(e.Message, "\n", " ")
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	return fmt.Sprintf("%s /%s: %d %s", e.Method, e.Path, e.StatusCode, msg)
}

// IsNotFound reports whether err is a GitHub 404 (unknown repository, SHA
// or ref, or one the installation cannot see).
func IsNotFound(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.StatusCode == http.StatusNotFound
}

// RateLimitError is returned instead of sleeping when GitHub asks the client
// to wait longer than the configured ceiling ([WithMaxWait]). Callers
// reschedule the work for RetryAt.
type RateLimitError struct {
	RetryAt   time.Time
	Secondary bool // a secondary (abuse) limit rather than the hourly quota
	Status    int
}

func (e *RateLimitError) Error() string {
	kind := "primary"
	if e.Secondary {
		kind = "secondary"
	}
	return fmt.Sprintf("github %s rate limit (status %d): retry at %s", kind, e.Status, e.RetryAt.UTC().Format(time.RFC3339))
}

// RetryAt reports when work that failed with err may be tried again: the
// time GitHub's rate limit lifts, for a [*RateLimitError] anywhere in err's
// chain. Queue handlers reschedule with it instead of backing off blindly.
func RetryAt(err error) (time.Time, bool) {
	var rl *RateLimitError
	if errors.As(err, &rl) {
		return rl.RetryAt, true
	}
	return time.Time{}, false
}

// clock is time as the transport sees it; tests replace it so that no test
// really sleeps.
type clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
	// Jitter returns a random duration in [d/2, d].
	Jitter(d time.Duration) time.Duration
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (realClock) Jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// chain builds the transport every request goes through, innermost last:
// conditional GETs (ETag) -> retries and rate limits -> one attempt with a
// timeout, metrics and the rate-limit gauge -> the base transport.
// ghinstallation wraps it to add the installation token (or the App JWT).
func (a *Apps) chain(label string) http.RoundTripper {
	att := &attemptTransport{next: a.cfg.base, timeout: a.cfg.timeout, label: label, m: a.m, ua: a.cfg.userAgent}
	rt := &retryTransport{next: att, cfg: &a.cfg, label: label, m: a.m}
	return &etagTransport{next: rt, cache: a.etags, label: label, m: a.m}
}

// attemptTransport makes one attempt: a per-attempt timeout that also covers
// reading the body, request metrics and the rate-limit gauge.
type attemptTransport struct {
	next    http.RoundTripper
	timeout time.Duration
	label   string
	ua      string
	m       *metrics
}

func (t *attemptTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), t.timeout)
	r := req.Clone(ctx)
	if t.ua != "" && r.Header.Get("User-Agent") == "" {
		r.Header.Set("User-Agent", t.ua)
	}
	if r.Header.Get("X-GitHub-Api-Version") == "" {
		r.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	}
	start := time.Now()
	resp, err := t.next.RoundTrip(r)
	t.m.observe(req.Method, resp, err, time.Since(start))
	if err != nil {
		cancel()
		return nil, err
	}
	t.m.rateLimit(t.label, resp.Header)
	resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// retryTransport retries 5xx responses and connection errors with jittered
// exponential backoff, and waits out primary and secondary rate limits as
// GitHub documents (Retry-After, then x-ratelimit-reset), never sleeping
// more than cfg.maxWait in total for one request.
// https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#handle-rate-limit-errors-appropriately
type retryTransport struct {
	next  http.RoundTripper
	cfg   *config
	label string
	m     *metrics
}

const (
	retryBase     = 250 * time.Millisecond
	retryMaxDelay = 8 * time.Second
	// secondaryDefaultWait is GitHub's advice for a secondary rate limit with
	// neither Retry-After nor x-ratelimit-* headers: wait at least a minute.
	secondaryDefaultWait = time.Minute
)

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	// A write GitHub may have carried out is never sent again from here:
	// after a 5xx, a timeout or a reset only its caller can look whether
	// it landed ([UncertainError]). Rate limits are refusals, and a
	// connection that was never made carried nothing, so those are
	// retried for every request.
	safe := replaySafe(req)
	var waited time.Duration
	failures, limited := 0, 0
	for attempt := 0; ; attempt++ {
		r := req
		if attempt > 0 && req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			r = req.Clone(ctx)
			r.Body = body
		}
		resp, err := t.next.RoundTrip(r)
		var wait time.Duration
		var reason string
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, err
			}
			failures++
			if !replayable || failures >= t.cfg.maxAttempts || !safe && !notSent(err) {
				return nil, err
			}
			wait, reason = t.cfg.backoff(failures), "connection"
		default:
			rl, isRL := rateLimitWait(resp, t.cfg.clock.Now())
			switch {
			case isRL:
				wait, reason = rl.wait, "ratelimit"
				limited++
				// The attempt cap also stops a server that keeps answering
				// Retry-After: 0 from looping forever.
				if waited+wait > t.cfg.maxWait || !replayable || limited >= t.cfg.maxAttempts {
					drain(resp)
					t.m.retry(reason + "_giveup")
					return nil, &RateLimitError{RetryAt: t.cfg.clock.Now().Add(wait), Secondary: rl.secondary, Status: resp.StatusCode}
				}
			case resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented:
				failures++
				if !replayable || !safe || failures >= t.cfg.maxAttempts {
					return resp, nil
				}
				wait, reason = t.cfg.backoff(failures), "5xx"
				if ra, ok := retryAfter(resp.Header, t.cfg.clock.Now()); ok {
					wait = max(wait, ra)
				}
			default:
				return resp, nil
			}
			drain(resp)
		}
		if waited+wait > t.cfg.maxWait {
			wait = max(t.cfg.maxWait-waited, 0)
		}
		t.m.retry(reason)
		t.cfg.log.Debug().Str("github_installation_id", t.label).Str("reason", reason).
			Dur("wait", wait).Str("method", req.Method).Str("path", req.URL.Path).Msg("github request retry")
		if err := t.cfg.clock.Sleep(ctx, wait); err != nil {
			return nil, err
		}
		waited += wait
	}
}

// backoff is the jittered wait before the attempt after failures failed
// ones: 250 ms, doubling, at most 8 s.
func (c *config) backoff(failures int) time.Duration {
	d := retryBase << (max(failures, 1) - 1)
	if d > retryMaxDelay || d <= 0 {
		d = retryMaxDelay
	}
	return c.clock.Jitter(d)
}

// replaySafe reports whether req may be sent again when its outcome is
// unknown: reads, and the two POSTs whose repetition changes nothing that
// matters (a second installation token; a second redelivery, which the
// intake drops by its GUID). Every other write is looked up by its caller
// first.
func replaySafe(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	case http.MethodPost:
		p := req.URL.Path
		return strings.HasSuffix(p, "/access_tokens") ||
			strings.Contains(p, "/hook/deliveries/") && strings.HasSuffix(p, "/attempts")
	}
	return false
}

// notSent reports whether err means the request never left: the
// connection could not be made (refused, unreachable, no such host).
func notSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// UncertainError is a write whose outcome is unknown: GitHub may have
// carried it out although its answer was lost (a 5xx, a reset connection,
// a timeout, a 2xx whose body did not decode). The client never sends such
// a write again blindly: its callers look on GitHub first (a check run by
// its external_id, annotations by the run's count, a comment by its
// body), and [IsUncertain] tells task code that a retry must look too.
type UncertainError struct {
	Method, Path string
	Err          error
}

func (e *UncertainError) Error() string {
	return e.Err.Error() + " (GitHub may have carried out the request)"
}

func (e *UncertainError) Unwrap() error { return e.Err }

// IsUncertain reports whether err is, or wraps, an [*UncertainError].
func IsUncertain(err error) bool {
	var u *UncertainError
	return errors.As(err, &u)
}

type rlWait struct {
	wait      time.Duration
	secondary bool
}

// rateLimitWait decides from status and headers, never from message text,
// whether resp is a rate-limit rejection and how long to wait.
func rateLimitWait(resp *http.Response, now time.Time) (rlWait, bool) {
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusTooManyRequests {
		return rlWait{}, false
	}
	h := resp.Header
	if d, ok := retryAfter(h, now); ok {
		return rlWait{wait: d, secondary: true}, true
	}
	if h.Get("X-Ratelimit-Remaining") == "0" {
		if reset, err := strconv.ParseInt(h.Get("X-Ratelimit-Reset"), 10, 64); err == nil {
			// One second of slack: the reset is in whole seconds.
			return rlWait{wait: max(time.Unix(reset, 0).Sub(now), 0) + time.Second}, true
		}
		return rlWait{wait: secondaryDefaultWait}, true
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		return rlWait{wait: secondaryDefaultWait, secondary: true}, true
	}
	return rlWait{}, false // a 403 that is not a rate limit: permissions
}

func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := h.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	_ = resp.Body.Close()
}

// etagTransport makes repeated GETs conditional: it remembers each
// response's ETag and body and sends If-None-Match; GitHub answers 304 Not
// Modified, which does not count against the rate limit, and the cached
// body is replayed. Blobs are content-addressed and cached by SHA instead.
//
// A body is stored only once its caller decoded it ([etagToken]): an
// answer cut off mid-JSON that ended cleanly would otherwise be replayed
// on every 304, however well GitHub answered from then on. A replayed body
// that fails to decode is dropped. An answer larger than the cache's share
// (or without Content-Length and turning out larger) is handed on whole,
// just not cached.
type etagTransport struct {
	next  http.RoundTripper
	cache *etagCache
	label string
	m     *metrics
}

// etagToken connects one GET to its caller's decoder: the transport leaves
// the response to cache in it, the caller commits it after decoding, or
// forgets it (and a replayed entry) when decoding failed. Requests without
// a token are not cached.
type etagToken struct {
	cache    *etagCache
	pending  *etagEntry // stored on commit
	replayed string     // key of the entry a 304 replayed
}

type etagTokenKey struct{}

func withETagToken(ctx context.Context) (context.Context, *etagToken) {
	tok := &etagToken{}
	return context.WithValue(ctx, etagTokenKey{}, tok), tok
}

// commit stores the response that was decoded.
func (t *etagToken) commit() {
	if t.cache != nil && t.pending != nil {
		t.cache.put(t.pending)
	}
}

// forget drops what the response would have stored or had replayed.
func (t *etagToken) forget() {
	if t.cache != nil && t.replayed != "" {
		t.cache.remove(t.replayed)
	}
	t.pending = nil
}

func (t *etagTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, _ := req.Context().Value(etagTokenKey{}).(*etagToken)
	if req.Method != http.MethodGet || t.cache == nil || t.cache.max <= 0 || tok == nil ||
		req.Header.Get("If-None-Match") != "" || strings.Contains(req.URL.Path, "/git/blobs/") {
		return t.next.RoundTrip(req)
	}
	tok.cache = t.cache
	key := t.label + " " + req.Header.Get("Accept") + " " + req.URL.String()
	e := t.cache.get(key)
	r := req
	if e != nil {
		r = req.Clone(req.Context())
		r.Header.Set("If-None-Match", e.etag)
	}
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	if e != nil && resp.StatusCode == http.StatusNotModified {
		drain(resp)
		t.m.cache("etag", true)
		tok.replayed = key
		h := e.header.Clone()
		for k, v := range resp.Header { // fresh rate-limit and date headers
			if strings.HasPrefix(strings.ToLower(k), "x-ratelimit") || k == "Date" {
				h[k] = v
			}
		}
		return &http.Response{Status: "200 OK", StatusCode: http.StatusOK, Proto: resp.Proto, ProtoMajor: resp.ProtoMajor,
			ProtoMinor: resp.ProtoMinor, Header: h, Body: io.NopCloser(bytes.NewReader(e.body)),
			ContentLength: int64(len(e.body)), Request: req}, nil
	}
	share := t.cache.max / 8
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != http.StatusOK || etag == "" || resp.ContentLength > share {
		return resp, nil
	}
	t.m.cache("etag", false)
	body, err := io.ReadAll(io.LimitReader(resp.Body, share+1))
	if err != nil {
		resp.Body.Close()
		return nil, err
	}
	if int64(len(body)) > share {
		// Too big to cache after all: the rest follows what was read.
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
		return resp, nil
	}
	resp.Body.Close()
	tok.pending = &etagEntry{key: key, etag: etag, header: resp.Header.Clone(), body: body}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

type etagEntry struct {
	key    string
	etag   string
	header http.Header
	body   []byte
}

// etagCache is an LRU of responses bounded by body bytes.
type etagCache struct {
	mu   sync.Mutex
	max  int64
	size int64
	ll   *list.List
	m    map[string]*list.Element
}

func newETagCache(maxBytes int64) *etagCache {
	return &etagCache{max: maxBytes, ll: list.New(), m: map[string]*list.Element{}}
}

func (c *etagCache) get(key string) *etagEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[key]; ok {
		c.ll.MoveToFront(el)
		return el.Value.(*etagEntry)
	}
	return nil
}

func (c *etagCache) remove(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[key]; ok {
		c.size -= int64(len(el.Value.(*etagEntry).body))
		c.ll.Remove(el)
		delete(c.m, key)
	}
}

func (c *etagCache) put(e *etagEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[e.key]; ok {
		c.size -= int64(len(el.Value.(*etagEntry).body))
		c.ll.Remove(el)
	}
	c.m[e.key] = c.ll.PushFront(e)
	c.size += int64(len(e.body))
	for c.size > c.max && c.ll.Len() > 0 {
		old := c.ll.Remove(c.ll.Back()).(*etagEntry)
		delete(c.m, old.key)
		c.size -= int64(len(old.body))
	}
}

// do sends one JSON request to path (relative to the base URL) and decodes
// a 2xx response into out.
func (a *Apps) do(ctx context.Context, hc *http.Client, method, path string, in, out any) error {
	_, err := a.doHeader(ctx, hc, method, path, in, out)
	return err
}

// doHeader is [Apps.do] that also returns the response headers of a 2xx
// answer, for pagination links.
func (a *Apps) doHeader(ctx context.Context, hc *http.Client, method, path string, in, out any) (http.Header, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	u := a.baseURL.String() + path
	var tok *etagToken
	if method == http.MethodGet && out != nil {
		ctx, tok = withETagToken(ctx)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	// A write whose answer is lost may still have been carried out.
	uncertain := func(err error) error {
		if replaySafe(req) {
			return err
		}
		return &UncertainError{Method: method, Path: path, Err: err}
	}
	resp, err := hc.Do(req)
	if err != nil {
		var rl *RateLimitError
		if errors.As(err, &rl) {
			return nil, rl
		}
		if notSent(err) {
			return nil, err
		}
		return nil, uncertain(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		apiErr := &APIError{Method: method, Path: strings.TrimPrefix(req.URL.Path, a.baseURL.Path), StatusCode: resp.StatusCode}
		var e struct {
			Message string `json:"message"`
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		if json.Unmarshal(b, &e) == nil {
			apiErr.Message = e.Message
		}
		if resp.StatusCode >= 500 {
			return nil, uncertain(apiErr)
		}
		return nil, apiErr
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		return resp.Header, nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxResponseBody)).Decode(out); err != nil {
		if tok != nil {
			tok.forget()
		}
		return nil, uncertain(fmt.Errorf("%s /%s: decode response: %w", method, path, err))
	}
	if tok != nil {
		tok.commit()
	}
	return resp.Header, nil
}
