package app_test

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/contractbot/contractbot/internal/webhook"
)

// Issue 15, defect 6, end to end: 20 unauthenticated connections announce
// bodies that add up to the real binary's 256 MiB in-flight budget (ten of
// GitHub's largest, 25 MiB, and ten sharing the rest) and trickle them.
// Signed deliveries must still be acknowledged; they used to get 503 until
// the slow connections' 30 s read timeout.
func TestServe_SlowUnsignedSendersCannotStarveSignedDeliveries(t *testing.T) {
	fake := newFake(t)
	b := startBot(t, fake)
	rest := int64(webhook.DefaultMaxInFlightBytes - 10*webhook.DefaultMaxBodyBytes)
	for i := range 20 {
		declared := int64(webhook.DefaultMaxBodyBytes)
		if i >= 10 {
			declared = rest / 10
			if i == 19 {
				declared = rest - 9*(rest/10)
			}
		}
		c, err := net.Dial("tcp", b.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST /webhook HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nX-GitHub-Event: push\r\n"+
			"X-GitHub-Delivery: slow-%d\r\nX-Hub-Signature-256: sha256=%s\r\nContent-Length: %d\r\n\r\n{\"ref\":",
			b.addr, i, strings.Repeat("0", 64), declared)
	}
	time.Sleep(300 * time.Millisecond) // the slow requests are being read
	sha := fake.Push(e2eOwner, "starved", "main", goodService())
	payload := pushPayload(t, "starved", "main", zero, sha, "Makefile")
	for i := range 20 {
		start := time.Now()
		got := b.deliverAs(newGUID(t), "push", payload, webhook.Sign([]byte(e2eSecret), payload))
		if got != http.StatusAccepted || time.Since(start) > 5*time.Second {
			t.Fatalf("signed delivery %d: status %d after %s, want 202", i, got, time.Since(start))
		}
	}
	waitCheckRuns(t, b, "starved", sha, 1)
}
