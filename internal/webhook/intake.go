package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// DefaultMaxInFlightBytes bounds the body bytes being received at once
// (256 MiB: ten maximal deliveries, or thousands of ordinary ones).
const DefaultMaxInFlightBytes = 256 << 20

// ErrOverloaded is the cause of a 503 answered because too many body bytes
// are being received at once.
var ErrOverloaded = errors.New("webhook intake overloaded")

// DefaultMaxBodyBytes is GitHub's cap on webhook payloads (25 MiB); larger
// deliveries are never sent, so a larger body is not from GitHub.
const DefaultMaxBodyBytes = 25 << 20

// Header names GitHub sets on every delivery.
const (
	HeaderEvent     = "X-GitHub-Event"
	HeaderDelivery  = "X-GitHub-Delivery"
	HeaderSignature = "X-Hub-Signature-256"
)

// enqueueTimeout bounds the durable write on the acknowledgement path: a
// stuck disk must give GitHub a 503 (a failed delivery that can be
// redelivered) well before its own 10 s timeout.
const enqueueTimeout = 5 * time.Second

// maxIDLen bounds delivery GUIDs and event names: GitHub's are far shorter
// (a UUID; a snake_case word), and both become store keys and log fields.
const maxIDLen = 128

// ValidationError says why a request was refused before anything was stored.
type ValidationError struct {
	EventType  string // X-GitHub-Event as sent, possibly empty
	DeliveryID string // X-GitHub-Delivery as sent, possibly empty
	Status     int    // the HTTP status answered
	Cause      error
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("webhook delivery %q (%s) refused: %v", e.DeliveryID, e.EventType, e.Cause)
}

func (e *ValidationError) Unwrap() error { return e.Cause }

// ErrSignature is the cause of a [ValidationError] for a missing, malformed or
// wrong X-Hub-Signature-256.
var ErrSignature = errors.New("signature does not match")

type intakeConfig struct {
	log         zerolog.Logger
	reg         prometheus.Registerer
	now         func() time.Time
	maxBody     int64
	maxInFlight int64
}

// Intake is the http.Handler for GitHub's webhook POSTs. It verifies a
// delivery, stores it with [Enqueuer.Enqueue] and only then answers 202.
//
// Answers, in the order they are checked: 405 for a method other than POST;
// 413 for a body over the cap; 400 without X-GitHub-Event or
// X-GitHub-Delivery; 415 for a Content-Type other than application/json; 401
// when X-Hub-Signature-256 is missing, is not "sha256=<64 hex>", or matches no
// secret (the SHA-1 X-Hub-Signature is never consulted); 200 for "ping"
// (nothing stored); 202 once stored, also for a delivery GUID seen before
// (not stored twice); 503 when the store fails, so the delivery shows as
// failed in GitHub and can be redelivered, and 503 with Retry-After when
// the bodies being received would exceed the in-flight body budget
// ([WithMaxInFlightBytes]; charged as bytes arrive, so a client that
// announces a large body and trickles it cannot hold the budget against
// signed deliveries).
type Intake struct {
	secrets     [][]byte
	q           Enqueuer
	log         zerolog.Logger
	now         func() time.Time
	maxBody     int64
	maxInFlight int64
	inFlight    atomic.Int64 // body bytes reserved by requests being served
	m           *intakeMetrics
}

// NewIntake returns an Intake that accepts deliveries signed with any of
// secrets (several during a rotation) and stores them in q. It refuses an
// empty list or an empty secret, since an empty secret would make every
// request look signed.
func NewIntake(secrets [][]byte, q Enqueuer, opts ...IntakeOption) (*Intake, error) {
	if len(secrets) == 0 {
		return nil, errors.New("webhook intake: no webhook secret configured")
	}
	cp := make([][]byte, len(secrets))
	for i, s := range secrets {
		if len(s) == 0 {
			return nil, fmt.Errorf("webhook intake: webhook secret %d is empty", i+1)
		}
		cp[i] = append([]byte(nil), s...)
	}
	if q == nil {
		return nil, errors.New("webhook intake: nil queue")
	}
	c := intakeConfig{log: zerolog.Nop(), now: time.Now, maxBody: DefaultMaxBodyBytes, maxInFlight: DefaultMaxInFlightBytes}
	for _, o := range opts {
		o.applyIntake(&c)
	}
	if c.maxBody <= 0 {
		return nil, fmt.Errorf("webhook intake: body cap must be positive, got %d", c.maxBody)
	}
	if c.maxInFlight < c.maxBody {
		return nil, fmt.Errorf("webhook intake: in-flight body budget %d is below the body cap %d", c.maxInFlight, c.maxBody)
	}
	return &Intake{
		secrets: cp, q: q, log: c.log, now: c.now, maxBody: c.maxBody, maxInFlight: c.maxInFlight,
		m: newIntakeMetrics(c.reg),
	}, nil
}

// ServeHTTP implements http.Handler.
func (in *Intake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	event := r.Header.Get(HeaderEvent)
	id := r.Header.Get(HeaderDelivery)
	log := in.log.With().Str("github_delivery_id", clip(id)).Str("github_event_type", clip(event)).Logger()

	status, result, err := in.serve(w, r, event, id)
	switch result {
	case "accepted", "duplicate", "ping", "unavailable":
	default:
		// Only verified deliveries name their event in the metric: an
		// unauthenticated caller must not be able to mint label values.
		event = "unverified"
	}
	in.m.deliveries.WithLabelValues(event, result).Inc()
	in.m.ack.WithLabelValues(result).Observe(time.Since(start).Seconds())

	switch {
	case status >= 500:
		log.Error().Err(err).Int("status", status).Msg("webhook delivery not stored")
	case err != nil:
		if errors.Is(err, ErrSignature) {
			in.m.sigFail.Inc()
		}
		log.Warn().Err(err).Int("status", status).Msg("webhook delivery refused")
	default:
		log.Info().Int("status", status).Str("result", result).Dur("elapsed", time.Since(start)).Msg("webhook delivery accepted")
	}
}

// serve writes the answer and returns its status, the metric result label and
// the reason for a refusal.
func (in *Intake) serve(w http.ResponseWriter, r *http.Request, event, id string) (int, string, error) {
	refuse := func(status int, cause error) (int, string, error) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", http.MethodPost)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, http.StatusText(status)+": "+cause.Error()+"\n")
		return status, strconv.Itoa(status), &ValidationError{EventType: clip(event), DeliveryID: clip(id), Status: status, Cause: cause}
	}

	if r.Method != http.MethodPost {
		return refuse(http.StatusMethodNotAllowed, errors.New("only POST is accepted"))
	}
	if r.ContentLength > in.maxBody {
		return refuse(http.StatusRequestEntityTooLarge, fmt.Errorf("body larger than %d bytes", in.maxBody))
	}
	if !validHeaderValue(event) {
		return refuse(http.StatusBadRequest, errors.New("missing or malformed "+HeaderEvent+" header"))
	}
	if !validHeaderValue(id) {
		return refuse(http.StatusBadRequest, errors.New("missing or malformed "+HeaderDelivery+" header"))
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return refuse(http.StatusUnsupportedMediaType, errors.New("content type must be application/json"))
	}
	want, ok := parseSignature(r.Header.Get(HeaderSignature))
	if !ok {
		return refuse(http.StatusUnauthorized, fmt.Errorf("%w: missing or malformed %s header", ErrSignature, HeaderSignature))
	}

	prefix, err := deliveryPrefix(id, event, in.now())
	if err != nil {
		return refuse(http.StatusBadRequest, err)
	}
	// The task payload is the prefix followed by the body, read in place.
	// The signature covers the whole body, so it can only be checked once
	// the body is in: the budget is charged as bytes arrive, never for
	// what Content-Length announces, so a client that announces 25 MiB and
	// trickles holds no more than it sent (see readBody).
	payload, reserved, err := in.readBody(w, r, prefix)
	defer in.release(reserved)
	if err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			return refuse(http.StatusRequestEntityTooLarge, fmt.Errorf("body larger than %d bytes", in.maxBody))
		case errors.Is(err, ErrOverloaded):
			w.Header().Set("Retry-After", "1")
			return refuse(http.StatusServiceUnavailable, err)
		}
		return refuse(http.StatusBadRequest, fmt.Errorf("read body: %w", err))
	}
	body := payload[len(prefix):]
	if !in.verify(body, want) {
		return refuse(http.StatusUnauthorized, ErrSignature)
	}

	if event == "ping" {
		w.WriteHeader(http.StatusOK)
		return http.StatusOK, "ping", nil
	}

	t := Task{ID: id, Key: DeliveryKey(id), Kind: KindDelivery, Payload: payload}
	ctx, cancel := context.WithTimeout(r.Context(), enqueueTimeout)
	dup, err := in.q.Enqueue(ctx, t)
	cancel()
	if err == nil {
		w.WriteHeader(http.StatusAccepted)
		if dup {
			return http.StatusAccepted, "duplicate", nil
		}
		return http.StatusAccepted, "accepted", nil
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = io.WriteString(w, "delivery not stored, please redeliver\n")
	return http.StatusServiceUnavailable, "unavailable", fmt.Errorf("enqueue: %w", err)
}

// firstChunk is what a request may hold of the in-flight budget before it
// has sent more: most deliveries (a push, a pull request) fit in it.
const firstChunk = 64 << 10

// readBody reads the request body after prefix, within the body cap, and
// returns the payload and the budget it holds (to release).
//
// The budget is charged for buffer space as the body arrives: up to the
// first 64 KiB (or the announced length, if smaller) at once, then in
// doublings as the buffer fills. Space beyond the first chunk may use only
// part of the budget (all but an eighth, or all but the body cap if that
// is less), so that large unverified bodies cannot starve small
// deliveries, whose signature is checked as soon as they are in. When the
// budget is spent the request fails with [ErrOverloaded] (a 503 GitHub
// records, and the reconciler has redelivered).
func (in *Intake) readBody(w http.ResponseWriter, r *http.Request, prefix []byte) (payload []byte, reserved int64, err error) {
	body := http.MaxBytesReader(w, r.Body, in.maxBody)
	first := int64(firstChunk)
	if r.ContentLength >= 0 {
		first = min(first, r.ContentLength+1) // +1: room to see the end
	}
	if !in.reserve(first, false) {
		return nil, 0, fmt.Errorf("%w: more than %d body bytes being received", ErrOverloaded, in.maxInFlight)
	}
	reserved = first
	buf := make([]byte, len(prefix), len(prefix)+int(first))
	copy(buf, prefix)
	for {
		if len(buf) == cap(buf) {
			grow := int64(cap(buf) - len(prefix))
			if r.ContentLength > int64(len(buf)-len(prefix)) {
				grow = min(grow, r.ContentLength+1-int64(len(buf)-len(prefix)))
			}
			grow = max(min(grow, in.maxBody+1-int64(len(buf)-len(prefix))), 1)
			if !in.reserve(grow, true) {
				return nil, reserved, fmt.Errorf("%w: more than %d body bytes being received", ErrOverloaded, in.maxInFlight)
			}
			reserved += grow
			nb := make([]byte, len(buf), cap(buf)+int(grow)) // exactly what was reserved
			copy(nb, buf)
			buf = nb
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, reserved, nil
		}
		if err != nil {
			return nil, reserved, err
		}
	}
}

// reserve takes n bytes of the in-flight body budget, or reports that the
// budget is exhausted. Bytes beyond a request's first chunk (more) leave a
// share of the budget to first chunks.
func (in *Intake) reserve(n int64, more bool) bool {
	limit := in.maxInFlight
	if more {
		limit -= min(in.maxInFlight/8, in.maxInFlight-in.maxBody)
	}
	for {
		cur := in.inFlight.Load()
		if cur+n > limit {
			return false
		}
		if in.inFlight.CompareAndSwap(cur, cur+n) {
			return true
		}
	}
}

func (in *Intake) release(n int64) { in.inFlight.Add(-n) }

// verify reports whether want is the HMAC-SHA256 of body under any secret.
// Every secret is tried (no early exit) so timing does not reveal which one
// matched; each comparison is constant-time.
func (in *Intake) verify(body, want []byte) bool {
	ok := false
	for _, s := range in.secrets {
		mac := hmac.New(sha256.New, s)
		mac.Write(body)
		if hmac.Equal(mac.Sum(nil), want) {
			ok = true
		}
	}
	return ok
}

// Sign returns the X-Hub-Signature-256 value GitHub sends for body signed with
// secret: "sha256=" and the hex HMAC-SHA256. Tests and replay tools use it.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// parseSignature decodes "sha256=<64 hex digits>".
func parseSignature(h string) ([]byte, bool) {
	hexSum, ok := strings.CutPrefix(h, "sha256=")
	if !ok || len(hexSum) != 2*sha256.Size {
		return nil, false
	}
	sum, err := hex.DecodeString(hexSum)
	if err != nil {
		return nil, false
	}
	return sum, true
}

// validHeaderValue accepts the short printable tokens GitHub sends as event
// names and delivery GUIDs, and nothing that could corrupt a store key, a
// log line or a metric label.
func validHeaderValue(v string) bool {
	if v == "" || len(v) > maxIDLen {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// clip keeps unvalidated header values short in logs and errors.
func clip(s string) string {
	if len(s) > maxIDLen {
		return s[:maxIDLen] + "..."
	}
	return s
}
