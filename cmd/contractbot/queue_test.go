package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/contractbot/contractbot/internal/app"
	"github.com/contractbot/contractbot/internal/webhook"
)

func TestQueueCheckAndSalvage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, app.QueueFile)
	q, err := webhook.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		d := webhook.Delivery{ID: fmt.Sprintf("guid-%d", i), Event: "push", Payload: []byte(`{}`), ReceivedAt: time.Now()}
		task, _ := d.Task()
		if _, err := q.Enqueue(t.Context(), task); err != nil {
			t.Fatal(err)
		}
	}
	cmd := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		code := run(context.Background(), stdio{strings.NewReader(""), &out, &errb}, append([]string{"queue", "--data-dir", dir}, args...))
		return out.String(), errb.String(), code
	}
	if _, stderr, code := cmd("check"); code != exitUsage || !strings.Contains(stderr, "in use by a running contractbot serve") {
		t.Fatalf("check while the file is held: exit %d, %q", code, stderr)
	}
	q.Close()

	if out, _, code := cmd("check"); code != exitOK || !strings.Contains(out, "sound: 5 pending") {
		t.Fatalf("check of a sound file: exit %d, %q", code, out)
	}
	out, _, code := cmd("salvage")
	if code != exitOK || !strings.Contains(out, "5 tasks copied") || !strings.Contains(out, "nothing was lost") || !strings.Contains(out, "mv "+path) {
		t.Fatalf("salvage of a sound file: exit %d\n%s", code, out)
	}
	if _, stderr, code := cmd("salvage"); code != exitUsage || !strings.Contains(stderr, "exists") {
		t.Fatalf("salvage over an existing file: exit %d %q", code, stderr)
	}

	// The same file, emptied.
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := cmd("check")
	if code != exitFindings || !strings.Contains(stderr, path) || !strings.Contains(stderr, "empty") || !strings.Contains(stderr, "salvage") {
		t.Fatalf("check of an empty file: exit %d %q", code, stderr)
	}
	if _, stderr, code := cmd("frob"); code != exitUsage || !strings.Contains(stderr, "check or salvage") {
		t.Fatalf("unknown action: exit %d %q", code, stderr)
	}
}
