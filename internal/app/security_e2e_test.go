package app_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/contractbot/contractbot/internal/webhook"
)

// TestServe_SecretsNeverReachTheLogs runs the App at debug level through a
// good delivery, a badly signed one and a check run, then searches
// everything it logged for the webhook secrets, the private key and the
// installation tokens it was given.
func TestServe_SecretsNeverReachTheLogs(t *testing.T) {
	fake := newFake(t)
	b := startBot(t, fake)
	sha := fake.Push(e2eOwner, "web", "main", goodService())
	payload := pushPayload(t, "web", "main", zero, sha, "Makefile")
	if got := b.deliverAs(newGUID(t), "push", payload, webhook.Sign([]byte("guess"), payload)); got != http.StatusUnauthorized {
		t.Fatalf("badly signed delivery: status %d, want 401", got)
	}
	if got := b.deliver("push", payload); got != http.StatusAccepted {
		t.Fatalf("delivery: status %d, want 202", got)
	}
	waitCheckRuns(t, b, "web", sha, 1)

	logs := b.logs.String()
	type secret struct{ what, value string }
	secrets := []secret{
		{"the webhook secret", e2eSecret},
		{"the webhook secret being rotated out", "old-secret-being-rotated-out"},
	}
	for _, line := range strings.Split(string(fake.PrivateKeyPEM()), "\n") {
		if len(line) >= 32 && !strings.HasPrefix(line, "-----") {
			secrets = append(secrets, secret{"a line of the private key", line})
		}
	}
	tokens := fake.IssuedTokens()
	if len(tokens) == 0 {
		t.Fatal("the fake issued no installation token; the test would prove nothing")
	}
	for _, tok := range tokens {
		secrets = append(secrets, secret{"an installation token", tok})
	}
	for _, s := range secrets {
		if strings.Contains(logs, s.value) {
			t.Errorf("%s appears in the logs", s.what)
		}
	}
}
