package webhook_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/contractbot/contractbot/internal/webhook"
)

const crashChildEnv = "CONTRACTBOT_WEBHOOK_CRASH_CHILD"

// TestBoltQueue_AcknowledgedTasksSurviveSIGKILL runs a child process that
// enqueues from several goroutines and prints each ID once Enqueue has
// returned (the moment the intake would answer 202), kills it with SIGKILL
// mid-stream, and checks that every printed ID is in the reopened queue.
func TestBoltQueue_AcknowledgedTasksSurviveSIGKILL(t *testing.T) {
	if path := os.Getenv(crashChildEnv); path != "" {
		crashChild(path)
		return
	}
	path := filepath.Join(t.TempDir(), "q.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestBoltQueue_AcknowledgedTasksSurviveSIGKILL$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []string
	sc := bufio.NewScanner(out)
	for sc.Scan() && len(acked) < 300 {
		if id, ok := strings.CutPrefix(sc.Text(), "acked "); ok {
			acked = append(acked, id)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if len(acked) < 300 {
		t.Fatalf("child acknowledged only %d tasks before it ended", len(acked))
	}

	q := openBolt(t, path)
	for _, id := range acked {
		if dup, err := q.Enqueue(context.Background(), webhook.Task{ID: id, Key: "k-" + id, Kind: "x"}); err != nil || !dup {
			t.Fatalf("acknowledged task %s is not in the queue after SIGKILL (dup=%v, err=%v)", id, dup, err)
		}
	}
}

func crashChild(path string) {
	q, err := webhook.OpenBolt(path)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	acks := make(chan string, 64)
	for g := 0; g < 8; g++ {
		go func() {
			for i := 0; ; i++ {
				id := fmt.Sprintf("g%d-%d", g, i)
				if _, err := q.Enqueue(context.Background(), webhook.Task{ID: id, Key: "k-" + id, Kind: "x", Payload: []byte(id)}); err != nil {
					fmt.Println("error", err)
					os.Exit(1)
				}
				acks <- id
			}
		}()
	}
	w := bufio.NewWriter(os.Stdout)
	for id := range acks {
		fmt.Fprintln(w, "acked", id)
		w.Flush()
	}
}
