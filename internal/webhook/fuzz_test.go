package webhook_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"unicode/utf8"

	"github.com/contractbot/contractbot/internal/webhook"
)

// FuzzIntake throws arbitrary methods, headers and bodies at the intake. It
// must never panic, never answer a 5xx other than 503, store a delivery only
// when it answers 202, and answer 202 only for a correctly signed delivery.
func FuzzIntake(f *testing.F) {
	type seed struct {
		method, event, id, contentType, sig string
		sign, failStore                     bool
		body                                []byte
	}
	for _, s := range []seed{
		{"POST", "push", guid, "application/json", "", true, false, pushBody},
		{"POST", "ping", guid, "application/json", "", true, false, []byte(`{"zen":"x"}`)},
		{"POST", "push", guid, "application/json; charset=utf-8", "", true, true, pushBody},
		{"POST", "push", guid, "application/json", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", false, false, []byte("Hello, World!")},
		{"POST", "push", guid, "application/json", "sha1=0123", false, false, pushBody},
		{"POST", "", "", "", "", false, false, nil},
		{"GET", "push", guid, "application/json", "", true, false, pushBody},
		{"POST", "push", "../x", "text/plain", "sha256=zz", false, false, []byte{0xff, 0}},
		{"POST", "pu\nsh", guid, "application/json; =", "", true, false, bytes.Repeat([]byte("{"), 300)},
	} {
		f.Add(s.method, s.event, s.id, s.contentType, s.sig, s.sign, s.failStore, s.body)
	}
	f.Fuzz(func(t *testing.T, method, event, id, contentType, sig string, sign, failStore bool, body []byte) {
		q := &memEnqueuer{}
		if failStore {
			q.err = errors.New("store down")
		}
		in, err := webhook.NewIntake([][]byte{secret, otherSecret}, q, webhook.WithMaxBodyBytes(256))
		if err != nil {
			t.Fatal(err)
		}
		if !validMethod(method) {
			method = "POST"
		}
		r := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
		r.Method = method
		// Header values are set raw, as a hostile client could send them
		// (net/http's server would refuse some, the handler must not care).
		r.Header[webhook.HeaderEvent] = []string{event}
		r.Header[webhook.HeaderDelivery] = []string{id}
		r.Header["Content-Type"] = []string{contentType}
		if sign {
			sig = webhook.Sign(secret, body)
		}
		r.Header[webhook.HeaderSignature] = []string{sig}

		w := httptest.NewRecorder()
		in.ServeHTTP(w, r)

		switch w.Code {
		case http.StatusOK, http.StatusAccepted, http.StatusBadRequest, http.StatusUnauthorized,
			http.StatusMethodNotAllowed, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType,
			http.StatusServiceUnavailable:
		default:
			t.Fatalf("unexpected status %d", w.Code)
		}
		stored := q.stored()
		if w.Code != http.StatusAccepted && len(stored) != 0 {
			t.Fatalf("status %d but %d tasks stored", w.Code, len(stored))
		}
		if w.Code == http.StatusAccepted {
			if len(stored) != 1 {
				t.Fatalf("202 but %d tasks stored", len(stored))
			}
			if webhook.Sign(secret, body) != sig && webhook.Sign(otherSecret, body) != sig {
				t.Fatalf("202 for a body not signed with a configured secret (sig %q)", sig)
			}
			d, err := webhook.DecodeDelivery(stored[0])
			if err != nil {
				t.Fatalf("stored delivery does not decode: %v", err)
			}
			if d.ID != id || d.Event != event || !bytes.Equal(d.Payload, body) {
				t.Fatalf("stored delivery %+v differs from the request", d)
			}
		}
		if w.Code == http.StatusServiceUnavailable && !failStore {
			t.Fatal("503 although the store works")
		}
	})
}

// validMethod keeps fuzzed methods to tokens net/http would accept; the
// intake only compares the method with POST.
func validMethod(m string) bool {
	if m == "" || len(m) > 16 {
		return false
	}
	for _, c := range []byte(m) {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

// FuzzDecodeDelivery checks that a stored delivery reads back exactly, and
// that an arbitrary (corrupt) task payload is refused without a panic.
func FuzzDecodeDelivery(f *testing.F) {
	f.Add(guid, "push", pushBody, []byte("contractbot-delivery/1\n{}\n"))
	f.Add("", "", []byte{}, []byte("contractbot-delivery/1\n"))
	f.Add("a\nb", "x\"y", []byte("\n\n"), []byte("garbage"))
	f.Fuzz(func(t *testing.T, id, event string, body, raw []byte) {
		tk, err := webhook.Delivery{ID: id, Event: event, Payload: body}.Task()
		if err != nil {
			t.Fatal(err)
		}
		d, err := webhook.DecodeDelivery(tk)
		if err != nil {
			t.Fatalf("round trip: %v", err)
		}
		// encoding/json replaces invalid UTF-8; the intake only stores
		// validated ASCII IDs and events, so compare those cases only.
		if utf8.ValidString(id) && utf8.ValidString(event) && (d.ID != id || d.Event != event) {
			t.Fatalf("round trip changed header: %q %q -> %q %q", id, event, d.ID, d.Event)
		}
		if !bytes.Equal(d.Payload, body) {
			t.Fatalf("round trip changed the body")
		}
		_, _ = webhook.DecodeDelivery(webhook.Task{ID: "x", Key: "k", Kind: webhook.KindDelivery, Payload: raw})
	})
}
