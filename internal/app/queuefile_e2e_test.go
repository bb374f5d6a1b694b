package app_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/contractbot/contractbot/internal/webhook"
)

// Issue 15, defect 7, end to end: contractbot serve on a damaged queue
// file exits at once with one line that names the file and the cause
// (instead of starting an empty queue, or crashing in a loop); `contractbot
// queue check` says the same; `contractbot queue salvage` copies the tasks
// it can read into a new file, which checks sound.
func TestServe_RefusesADamagedQueueFileWithOneLineAndSalvageCopiesWhatIsLeft(t *testing.T) {
	bin := contractbotBinary(t)
	fake := newFake(t)
	files := goodService()
	sha := fake.Push(e2eOwner, "kept", "main", files)
	payload := pushPayload(t, "kept", "main", zero, sha, "Makefile")

	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, path string)
		cause  string
	}{
		{"an empty file", func(t *testing.T, path string) {
			if err := os.Truncate(path, 0); err != nil {
				t.Fatal(err)
			}
		}, "empty"},
		{"a file truncated inside its data", func(t *testing.T, path string) {
			db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			var used int64
			_ = db.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil })
			db.Close()
			if err := os.Truncate(path, used/2); err != nil {
				t.Fatal(err)
			}
		}, "truncated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dataDir := t.TempDir()
			path := filepath.Join(dataDir, "queue.db")
			// A queue with one delivery stored: what serve left behind.
			q, err := webhook.OpenBolt(path)
			if err != nil {
				t.Fatal(err)
			}
			d := webhook.Delivery{ID: newGUID(t), Event: "push", Payload: payload, ReceivedAt: time.Now()}
			task, _ := d.Task()
			if _, err := q.Enqueue(t.Context(), task); err != nil {
				t.Fatal(err)
			}
			for i := range 200 { // enough pages that half the file is data
				filler := webhook.Task{ID: fmt.Sprintf("filler-%d", i), Key: fmt.Sprintf("filler/%d", i), Kind: "filler", Payload: bytes.Repeat([]byte("x"), 2048)}
				if _, err := q.Enqueue(t.Context(), filler); err != nil {
					t.Fatal(err)
				}
			}
			q.Close()
			tc.damage(t, path)

			cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0")
			cmd.Env = append(os.Environ(), "CONTRACTBOT_APP_ID=1", "CONTRACTBOT_PRIVATE_KEY="+string(fake.PrivateKeyPEM()),
				"CONTRACTBOT_PRIVATE_KEY_FILE=", "CONTRACTBOT_WEBHOOK_SECRET=s", "CONTRACTBOT_GITHUB_API_URL="+fake.URL(),
				"CONTRACTBOT_DATA_DIR="+dataDir, "CONTRACTBOT_QUEUE_URL=", "CONTRACTBOT_LOG_FORMAT=json")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			done := make(chan error, 1)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				var ee *exec.ExitError
				if !errorsAs(err, &ee) || ee.ExitCode() != 2 {
					t.Fatalf("serve on a damaged queue: %v, want exit status 2\n%s", err, stderr.String())
				}
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("serve started on a damaged queue:\n%s", stderr.String())
			}
			line := strings.TrimSpace(stderr.String())
			if strings.Count(line, "\n") != 0 || !strings.Contains(line, path) || !strings.Contains(line, tc.cause) || !strings.Contains(line, "salvage") {
				t.Fatalf("serve's refusal is not one line naming the file, the cause and the way out:\n%s", stderr.String())
			}

			out, err := exec.Command(bin, "queue", "--data-dir", dataDir, "check").CombinedOutput()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), tc.cause) {
				t.Fatalf("queue check: %v\n%s", err, out)
			}
			out, _ = exec.Command(bin, "queue", "--data-dir", dataDir, "salvage").CombinedOutput()
			if !strings.Contains(string(out), "salvaged "+path) {
				t.Fatalf("queue salvage:\n%s", out)
			}
			t.Logf("queue salvage:\n%s", out)
			if err := os.Rename(path+".salvaged", path); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(bin, "queue", "--data-dir", dataDir, "check").CombinedOutput(); err != nil {
				t.Fatalf("queue check of the salvaged file: %v\n%s", err, out)
			}
		})
	}
}

func errorsAs(err error, target **exec.ExitError) bool {
	ee, ok := err.(*exec.ExitError)
	if ok {
		*target = ee
	}
	return ok
}
