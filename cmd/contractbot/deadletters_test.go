package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/contractbot/contractbot/internal/app"
	"github.com/contractbot/contractbot/internal/webhook"
)

func TestDeadLettersListRequeueAndDiscard(t *testing.T) {
	dir := t.TempDir()
	q, err := webhook.OpenBolt(filepath.Join(dir, app.QueueFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"check-1", "check-2"} {
		if _, err := q.Enqueue(t.Context(), webhook.Task{ID: id, Key: "acme/web@" + id, Kind: "check"}); err != nil {
			t.Fatal(err)
		}
		if _, err := q.Claim(t.Context(), 1); err != nil {
			t.Fatal(err)
		}
		if err := q.DeadLetter(t.Context(), id, errors.New("GitHub answered 422:\nbad request")); err != nil {
			t.Fatal(err)
		}
	}

	cmd := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		code := run(context.Background(), stdio{strings.NewReader(""), &out, &errb}, append([]string{"dead-letters", "--data-dir", dir}, args...))
		return out.String(), errb.String(), code
	}
	if _, stderr, code := cmd("list"); code != exitUsage || !strings.Contains(stderr, "in use by a running contractbot serve") {
		t.Fatalf("list while the file is held: exit %d, %q", code, stderr)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}

	out, _, code := cmd("list")
	if code != exitOK || !strings.Contains(out, "check-1") || !strings.Contains(out, "GitHub answered 422: bad request") || !strings.Contains(out, "2 dead-lettered task(s)") {
		t.Fatalf("list: exit %d\n%s", code, out)
	}
	if out, _, code := cmd("requeue", "check-1"); code != exitOK || out != "requeued check-1\n" {
		t.Fatalf("requeue: exit %d %q", code, out)
	}
	if out, _, code := cmd("discard", "check-2"); code != exitOK || out != "discarded check-2\n" {
		t.Fatalf("discard: exit %d %q", code, out)
	}
	if _, stderr, code := cmd("discard", "check-2"); code != exitFindings || !strings.Contains(stderr, "not dead-lettered") {
		t.Fatalf("second discard: exit %d %q", code, stderr)
	}
	if _, stderr, code := cmd("shout"); code != exitUsage || !strings.Contains(stderr, `unknown action "shout"`) {
		t.Fatalf("unknown action: exit %d %q", code, stderr)
	}

	q, err = webhook.OpenBolt(filepath.Join(dir, app.QueueFile))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	s, err := q.Stats(t.Context())
	if err != nil || s.Pending != 1 || s.Dead != 0 {
		t.Fatalf("queue after requeue and discard = %+v, %v; want one pending task", s, err)
	}
}

func TestDeadLettersNeedsAQueue(t *testing.T) {
	var out, errb bytes.Buffer
	code := run(context.Background(), stdio{strings.NewReader(""), &out, &errb}, []string{"dead-letters", "--data-dir", filepath.Join(t.TempDir(), "none"), "list"})
	if code != exitUsage || !strings.Contains(errb.String(), "no queue at") {
		t.Fatalf("exit %d %q", code, errb.String())
	}
}

func TestOneLine_ShortensOnACharacterBoundary(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"a short error is kept, its line breaks folded", "422:\nbad", "422: bad"},
		{"a long ASCII error is cut", strings.Repeat("x", 12), strings.Repeat("x", 9) + "…"},
		{"a cut never splits a character", "Makefileé line 3", "Makefile…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := oneLine(tc.in, 10)
			if got != tc.want || !utf8.ValidString(got) {
				t.Errorf("oneLine(%q, 10) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
