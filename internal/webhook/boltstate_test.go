package webhook_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/contractbot/contractbot/internal/webhook"
	"github.com/contractbot/contractbot/internal/webhook/queuetest"
)

func TestBoltQueueStateStore(t *testing.T) {
	var last *webhook.BoltQueue
	var path string
	queuetest.TestStateStore(t, func(t *testing.T) webhook.StateStore {
		path = filepath.Join(t.TempDir(), "queue.db")
		last = openBolt(t, path)
		return last
	}, func(t *testing.T) webhook.StateStore {
		if err := last.Close(); err != nil {
			t.Fatal(err)
		}
		last = openBolt(t, path)
		return last
	})
}

// TestBoltQueueSalvageKeepsTheStateRecords: the salvage of a queue file
// copies the App's state records with the tasks.
func TestBoltQueueSalvageKeepsTheStateRecords(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "queue.db")
	q := openBolt(t, src)
	if err := q.PutState(t.Context(), "fleet", "web", []byte(`{"ok":false}`)); err != nil {
		t.Fatal(err)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "salvaged.db")
	if _, err := webhook.SalvageBolt(src, dst, time.Second); err != nil {
		t.Fatal(err)
	}
	got, ok, err := openBolt(t, dst).GetState(t.Context(), "fleet", "web")
	if err != nil || !ok || string(got) != `{"ok":false}` {
		t.Fatalf("salvaged record: %q, %v, %v", got, ok, err)
	}
}
