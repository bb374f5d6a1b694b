package pgqueue

import (
	"sync/atomic"
	"testing"

	"github.com/contractbot/contractbot/internal/pgtest"
	"github.com/contractbot/contractbot/internal/webhook"
	"github.com/contractbot/contractbot/internal/webhook/queuetest"
)

func TestPostgresStateStore(t *testing.T) {
	srv := pgtest.Start(t)
	var n atomic.Int64
	var url string
	var last webhook.Queue
	queuetest.TestStateStore(t, func(t *testing.T) webhook.StateStore {
		url = newDatabase(t, srv, &n)
		last = open(t, url)
		return last.(webhook.StateStore)
	}, func(t *testing.T) webhook.StateStore {
		last.Close()
		srv.Restart()
		return open(t, url).(webhook.StateStore)
	})
}

// TestTwoReplicasSeeOneFleet: a record one replica writes, another
// sharing the database reads.
func TestTwoReplicasSeeOneFleet(t *testing.T) {
	srv := pgtest.Start(t)
	var n atomic.Int64
	url := newDatabase(t, srv, &n)
	a, b := open(t, url).(webhook.StateStore), open(t, url).(webhook.StateStore)
	if err := a.PutState(t.Context(), "fleet", "web", []byte("red")); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := b.GetState(t.Context(), "fleet", "web"); err != nil || !ok || string(got) != "red" {
		t.Fatalf("the other replica reads %q, %v, %v", got, ok, err)
	}
}
