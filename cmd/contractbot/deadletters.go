package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/contractbot/contractbot/internal/app"
	"github.com/contractbot/contractbot/internal/pgqueue"
	"github.com/contractbot/contractbot/internal/webhook"
)

const deadLettersUsage = "dead-letters [--data-dir DIR | --queue-url URL] list | requeue ID... | discard ID..."

// runDeadLetters lets an operator see the tasks that kept failing, and send
// them back to work once the cause is fixed, or drop them.
func runDeadLetters(ctx context.Context, io stdio, args []string) error {
	flags := newFlags(io, "dead-letters", deadLettersUsage)
	dataDir := flags.String("data-dir", envOr("CONTRACTBOT_DATA_DIR", app.DefaultDataDir), "data directory of a single contractbot serve (env CONTRACTBOT_DATA_DIR); stop that serve first, it holds the file's lock")
	queueURL := flags.String("queue-url", os.Getenv("CONTRACTBOT_QUEUE_URL"), "postgres://… URL of a shared queue (env CONTRACTBOT_QUEUE_URL); works while the replicas run")
	limit := flags.Int("limit", 100, "with list: how many to show at most")
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	if flags.NArg() == 0 {
		return fmt.Errorf("want an action: list, requeue ID or discard ID")
	}
	verb, ids := flags.Arg(0), flags.Args()[1:]
	switch {
	case verb == "list" && len(ids) > 0:
		return fmt.Errorf("list takes no IDs")
	case verb != "list" && verb != "requeue" && verb != "discard":
		return fmt.Errorf("unknown action %q (want list, requeue or discard)", verb)
	case verb != "list" && len(ids) == 0:
		return fmt.Errorf("%s needs at least one task ID (dead-letters list shows them)", verb)
	}

	q, err := openAdminQueue(ctx, *dataDir, *queueURL)
	if err != nil {
		return err
	}
	defer q.Close()
	admin, ok := q.(webhook.DeadLetterAdmin)
	if !ok {
		return fmt.Errorf("this queue cannot list its dead letters")
	}
	if verb == "list" {
		tasks, err := admin.DeadLetters(ctx, *limit)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(io.out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tKIND\tKEY\tATTEMPTS\tLAST ERROR")
		for _, t := range tasks {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", t.ID, t.Kind, t.Key, t.Attempts, oneLine(t.LastError, 100))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(io.out, "%d dead-lettered task(s)\n", len(tasks))
		return nil
	}
	var failed int
	for _, id := range ids {
		act := admin.Requeue
		if verb == "discard" {
			act = admin.Discard
		}
		err := act(ctx, id)
		if err != nil {
			failed++
			fmt.Fprintf(io.err, "contractbot dead-letters: %s %s: %v\n", verb, id, err)
			continue
		}
		fmt.Fprintf(io.out, "%s %s\n", map[string]string{"requeue": "requeued", "discard": "discarded"}[verb], id)
	}
	if failed > 0 {
		return &exitError{code: exitFindings}
	}
	return nil
}

// openAdminQueue opens the queue serve uses: PostgreSQL when a URL is given,
// otherwise the bbolt file in the data directory, which only one process
// may hold.
func openAdminQueue(ctx context.Context, dataDir, queueURL string) (webhook.Queue, error) {
	if queueURL != "" {
		return pgqueue.Open(ctx, queueURL)
	}
	path := filepath.Join(dataDir, app.QueueFile)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no queue at %s: %w", path, err)
	}
	q, err := webhook.OpenBolt(path, webhook.WithOpenTimeout(2*time.Second))
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("%s is in use by a running contractbot serve: stop it first (or use a shared queue, CONTRACTBOT_QUEUE_URL)", path)
	}
	return q, err
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// oneLine shortens s to one line of at most n bytes before the ellipsis,
// for a table cell, never cutting a character in two.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		k := n - 1
		for k > 0 && !utf8.RuneStart(s[k]) {
			k--
		}
		s = s[:k] + "…"
	}
	return s
}
