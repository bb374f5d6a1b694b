package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/contractbot/contractbot/internal/app"
	"github.com/contractbot/contractbot/internal/webhook"
)

const queueUsage = "queue [--data-dir DIR | --file PATH] check | salvage [--out PATH]"

// runQueue checks the bbolt queue file of a single contractbot serve, or
// copies the tasks it can still read into a new file. Neither writes to the
// file; both read it without bbolt, so a damaged file is reported, not a
// crash.
func runQueue(ctx context.Context, io stdio, args []string) error {
	flags := newFlags(io, "queue", queueUsage)
	dataDir := flags.String("data-dir", envOr("CONTRACTBOT_DATA_DIR", app.DefaultDataDir), "data directory of a single contractbot serve (env CONTRACTBOT_DATA_DIR); the queue is its "+app.QueueFile)
	file := flags.String("file", "", "the queue file itself, instead of --data-dir")
	out := flags.String("out", "", "with salvage: the new file to write (default: the queue file's name with .salvaged; it must not exist)")
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	if flags.NArg() != 1 || (flags.Arg(0) != "check" && flags.Arg(0) != "salvage") {
		return fmt.Errorf("want one action: check or salvage")
	}
	path := *file
	if path == "" {
		path = filepath.Join(*dataDir, app.QueueFile)
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no queue file at %s: %w", path, err)
	}
	const lockWait = 2 * time.Second
	inUse := func(err error) error {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return fmt.Errorf("%s is in use by a running contractbot serve: stop it first", path)
		}
		return err
	}

	if flags.Arg(0) == "check" {
		if *out != "" {
			return fmt.Errorf("--out is for salvage")
		}
		rep, err := webhook.CheckBolt(path, lockWait)
		if errors.Is(err, webhook.ErrDamaged) {
			fmt.Fprintf(io.err, "contractbot queue: %s\n", oneLine(err.Error(), 1000))
			fmt.Fprintf(io.err, "contractbot queue: `contractbot queue --file %s salvage` copies the tasks that can still be read into a new file\n", path)
			return &exitError{code: exitFindings}
		}
		if err != nil {
			return inUse(err)
		}
		fmt.Fprintf(io.out, "%s: sound: %d pending, %d left in flight, %d dead-lettered, %d task ids remembered (%d pages of %d bytes)\n",
			path, rep.Pending, rep.InFlight, rep.Dead, rep.Seen, rep.Pages, rep.PageSize)
		return nil
	}

	dst := *out
	if dst == "" {
		dst = path + ".salvaged"
	}
	rep, err := webhook.SalvageBolt(path, dst, lockWait)
	if err != nil {
		return inUse(err)
	}
	copied := rep.Pending + rep.Resumed + rep.Dead + rep.Rebuilt
	fmt.Fprintf(io.out, "salvaged %s into %s: %d tasks copied (%d pending, %d left in flight and now pending, %d dead-lettered, %d rebuilt from their delivery payloads), %d task ids remembered\n",
		path, dst, copied, rep.Pending, rep.Resumed, rep.Dead, rep.Rebuilt, rep.Seen)
	if rep.Superseded > 0 {
		fmt.Fprintf(io.out, "%d tasks left in flight were replaced by newer pending work of the same kind and key, as at any restart\n", rep.Superseded)
	}
	for _, d := range rep.Damage {
		fmt.Fprintf(io.out, "damaged: %s\n", oneLine(d, 300))
	}
	for _, l := range rep.Lost {
		fmt.Fprintf(io.out, "lost: %s\n", oneLine(l, 300))
	}
	if len(rep.Lost) == 0 && len(rep.Damage) == 0 {
		fmt.Fprintln(io.out, "nothing was lost")
	}
	fmt.Fprintf(io.out, "to use it, with contractbot serve stopped:\n  mv %s %s.damaged && mv %s %s\n", shellQuote(path), shellQuote(path), shellQuote(dst), shellQuote(path))
	if len(rep.Lost) > 0 || len(rep.Damage) > 0 {
		return &exitError{code: exitFindings}
	}
	return nil
}

// shellQuote quotes a path for a command line the operator copies.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
