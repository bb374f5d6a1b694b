package githubfake

import (
	"bytes"
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Delivery is one attempt in the fake's webhook delivery log, what GitHub
// shows under the App's "Advanced" tab and serves at /app/hook/deliveries.
type Delivery struct {
	ID          int64
	GUID        string
	Event       string
	Action      string
	Redelivery  bool
	StatusCode  int // 0 when the receiver could not be reached
	Status      string
	DeliveredAt time.Time
	payload     []byte
}

// SetWebhook makes the fake send webhooks, as GitHub sends an App's, to url
// signed with secret (X-Hub-Signature-256).
func (s *Server) SetWebhook(url string, secret []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hookURL, s.hookSecret = url, bytes.Clone(secret)
}

// Deliver sends one webhook to the configured URL and records the attempt
// in the delivery log, as GitHub does: a new GUID, the receiver's status
// code, and no retry of its own when it fails. It returns the GUID and the
// status code (0 when the receiver could not be reached).
func (s *Server) Deliver(event string, payload []byte) (guid string, status int) {
	s.mu.Lock()
	s.nextID++
	guid = fmt.Sprintf("%08x-0000-4000-8000-%012x", s.nextID, s.nextID)
	s.mu.Unlock()
	return guid, s.send(guid, event, payload, false)
}

// LogFailedDelivery records, without sending anything, a delivery of event
// that GitHub tried at time at and could not deliver (the receiver was
// down: status code 0), and returns its new GUID. Tests build an outage
// of any length with it, hours or days back, and the reconciler has to
// find the attempts and ask for them again. GitHub keeps the log for three
// days; the fake keeps whatever it is given.
func (s *Server) LogFailedDelivery(event string, payload []byte, at time.Time) (guid string) {
	d := &Delivery{Event: event, DeliveredAt: at.UTC(), payload: bytes.Clone(payload),
		Status: "We couldn't deliver this payload: failed to connect to host"}
	if a, ok := jsonField(payload, "action"); ok {
		d.Action = a
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	d.GUID = fmt.Sprintf("%08x-0000-4000-8000-%012x", s.nextID, s.nextID)
	s.nextID++
	d.ID = s.nextID
	s.deliveries = append(s.deliveries, d)
	return d.GUID
}

// Deliveries returns the delivery log, oldest first.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Delivery, len(s.deliveries))
	for i, d := range s.deliveries {
		out[i] = *d
	}
	return out
}

// send posts one attempt and logs it.
func (s *Server) send(guid, event string, payload []byte, redelivery bool) int {
	s.mu.Lock()
	hookURL, secret := s.hookURL, s.hookSecret
	s.mu.Unlock()
	d := &Delivery{GUID: guid, Event: event, Redelivery: redelivery, DeliveredAt: time.Now().UTC(), payload: payload}
	if a, ok := jsonField(payload, "action"); ok {
		d.Action = a
	}
	if hookURL == "" {
		d.Status = "No webhook URL configured"
	} else {
		mac := hmac.New(sha256.New, secret)
		mac.Write(payload)
		req, err := http.NewRequest(http.MethodPost, hookURL, bytes.NewReader(payload))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("User-Agent", "GitHub-Hookshot/fake")
			req.Header.Set("X-GitHub-Event", event)
			req.Header.Set("X-GitHub-Delivery", guid)
			req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
			client := &http.Client{Timeout: 10 * time.Second} // GitHub's own delivery timeout
			var resp *http.Response
			if resp, err = client.Do(req); err == nil {
				resp.Body.Close()
				d.StatusCode = resp.StatusCode
				d.Status = strconv.Itoa(resp.StatusCode) + " " + http.StatusText(resp.StatusCode)
				if d.StatusCode/100 == 2 {
					d.Status = "OK"
				}
			}
		}
		if err != nil {
			d.Status = "We couldn't deliver this payload: failed to connect to host"
		}
	}
	s.mu.Lock()
	s.nextID++
	d.ID = s.nextID
	s.deliveries = append(s.deliveries, d)
	s.mu.Unlock()
	return d.StatusCode
}

// listDeliveries serves GET /app/hook/deliveries: newest first, paginated
// by an opaque cursor announced in the Link header.
func (s *Server) listDeliveries(req *http.Request) reply {
	q := req.URL.Query()
	perPage := 30
	if n, err := strconv.Atoi(q.Get("per_page")); err == nil && n > 0 {
		perPage = min(n, 100)
	}
	s.mu.Lock()
	newestFirst := make([]*Delivery, 0, len(s.deliveries))
	for i := len(s.deliveries) - 1; i >= 0; i-- {
		newestFirst = append(newestFirst, s.deliveries[i])
	}
	s.mu.Unlock()
	// By time, newest first, as GitHub lists them: attempts logged out of
	// order (LogFailedDelivery) take their place by when they happened.
	newer := func(a, b *Delivery) int {
		if c := b.DeliveredAt.Compare(a.DeliveredAt); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	}
	slices.SortStableFunc(newestFirst, newer)
	// The cursor names the last attempt of the previous page, so a page
	// goes on after it however many attempts were logged since, as
	// GitHub's cursor does (an offset would shift).
	start := 0
	if c := q.Get("cursor"); c != "" {
		var at, id int64
		if _, err := fmt.Sscanf(c, "%d.%d", &at, &id); err != nil {
			return errReply(http.StatusBadRequest, "Invalid cursor")
		}
		last := &Delivery{ID: id, DeliveredAt: time.Unix(0, at)}
		start, _ = slices.BinarySearchFunc(newestFirst, last, newer)
		if start < len(newestFirst) && newestFirst[start].ID == id {
			start++
		}
	}
	items := []any{}
	end := min(start+perPage, len(newestFirst))
	for _, d := range newestFirst[min(start, end):end] {
		var action any
		if d.Action != "" {
			action = d.Action
		}
		items = append(items, map[string]any{
			"id": d.ID, "guid": d.GUID, "delivered_at": d.DeliveredAt.Format(time.RFC3339),
			"redelivery": d.Redelivery, "duration": 0.01, "status": d.Status, "status_code": d.StatusCode,
			"event": d.Event, "action": action, "installation_id": nil, "repository_id": nil,
		})
	}
	rep := ok(items)
	if end < len(newestFirst) {
		last := newestFirst[end-1]
		next := *req.URL
		v := next.Query()
		v.Set("cursor", fmt.Sprintf("%d.%d", last.DeliveredAt.UnixNano(), last.ID))
		v.Set("per_page", strconv.Itoa(perPage))
		next.RawQuery = v.Encode()
		rep.header = http.Header{"Link": {fmt.Sprintf("<%s>; rel=\"next\"", s.apiURL("app/hook/deliveries?"+next.RawQuery))}}
	}
	return rep
}

// redeliver serves POST /app/hook/deliveries/{id}/attempts: it answers 202
// and sends the original payload again with the original GUID, in the
// background as GitHub does.
func (s *Server) redeliver(idStr string) reply {
	id, err := strconv.ParseInt(idStr, 10, 64)
	var orig *Delivery
	s.mu.Lock()
	for _, d := range s.deliveries {
		if d.ID == id {
			orig = d
		}
	}
	s.mu.Unlock()
	if err != nil || orig == nil {
		return errReply(http.StatusNotFound, "Not Found")
	}
	s.redeliveries.Add(1)
	go s.send(orig.GUID, orig.Event, orig.payload, true)
	return reply{status: http.StatusAccepted, body: map[string]any{}}
}

// Redeliveries counts the redeliveries asked for.
func (s *Server) Redeliveries() int { return int(s.redeliveries.Load()) }

func jsonField(payload []byte, field string) (string, bool) {
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		return "", false
	}
	v, ok := m[field].(string)
	return v, ok
}

// IssuedTokens returns every installation token the fake has handed out,
// so that tests can check that none of them ends up in a log.
func (s *Server) IssuedTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.tokens))
	for tok := range s.tokens {
		out = append(out, tok)
	}
	return out
}
