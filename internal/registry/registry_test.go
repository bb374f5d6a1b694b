package registry_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/contractbot/contractbot/internal/registry"
	"github.com/contractbot/contractbot/internal/registry/registrytest"
)

const sha = "0123456789abcdef0123456789abcdef01234567"

func TestHasImageAgainstARealRegistry(t *testing.T) {
	srv := registrytest.Start(t)
	srv.Push(t, "services-web", "paasta-"+sha)
	c, err := registry.New(srv.URL, registry.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tests := []struct {
		name, repo, tag string
		want            bool
	}{
		{"an uploaded image exists", "services-web", "paasta-" + sha, true},
		{"a commit with no image does not", "services-web", "paasta-" + strings.Repeat("f", 40), false},
		{"an image version that was not pushed does not", "services-web", "paasta-" + sha + "-v2", false},
		{"another service's repository does not", "services-api", "paasta-" + sha, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.HasImage(ctx, tt.repo, tt.tag)
			if err != nil || got != tt.want {
				t.Fatalf("HasImage = %v, %v; want %v", got, err, tt.want)
			}
		})
	}

	srv.Stop()
	t.Run("a stopped registry fails closed with a clear message", func(t *testing.T) {
		ok, err := c.HasImage(ctx, "services-web", "paasta-"+sha)
		if ok || err == nil || !strings.Contains(err.Error(), "refusing (fail-closed)") {
			t.Fatalf("HasImage = %v, %v", ok, err)
		}
	})
	t.Run("a stopped registry fails open with a warning", func(t *testing.T) {
		var warned string
		open, err := registry.New(srv.URL, registry.Options{Timeout: time.Second, FailOpen: true, Warn: func(m string) { warned = m }})
		if err != nil {
			t.Fatal(err)
		}
		ok, err := open.HasImage(ctx, "services-web", "paasta-"+sha)
		if !ok || err != nil || !strings.Contains(warned, "accepting (fail-open)") {
			t.Fatalf("HasImage = %v, %v, warning %q", ok, err, warned)
		}
	})
}

func TestHasImageGivesUpWithinTheTimeout(t *testing.T) {
	// A listener that accepts and never answers: a hung registry.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	c, err := registry.New("http://"+l.Addr().String(), registry.Options{Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.HasImage(context.Background(), "services-web", "paasta-"+sha)
	if err == nil || !strings.Contains(err.Error(), "no answer within 200ms") {
		t.Fatalf("err = %v", err)
	}
	// Not a timing assertion: a hung registry must not hang the hook.
	if d := time.Since(start); d > 30*time.Second {
		t.Fatalf("took %s", d)
	}
}

func TestNewRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"", "registry:5000", "ftp://x", "http://"} {
		if _, err := registry.New(u, registry.Options{}); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
}
