package main

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// Every way of asking for help prints the command's usage on stdout and
// exits 0, and does nothing else: `dead-letters requeue --help` must not
// try to requeue a task named --help.
func TestEveryCommandsHelpExitsZero(t *testing.T) {
	var cases [][]string
	for _, c := range commands() {
		cases = append(cases, []string{c.name, "--help"}, []string{c.name, "-h"}, []string{"help", c.name})
		for _, v := range c.verbs {
			cases = append(cases, []string{c.name, v, "--help"}, []string{c.name, v, "-x", "y", "-h"})
		}
	}
	cases = append(cases,
		[]string{"dead-letters", "requeue", "--help"},
		[]string{"dead-letters", "list", "-h"},
		[]string{"check", "--format", "json", "some/dir", "--help"},
	)
	for _, args := range cases {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), stdio{strings.NewReader(""), &out, &errb}, args)
			name := args[0]
			if name == "help" {
				name = args[1]
			}
			if code != exitOK || !strings.Contains(out.String(), "Usage: contractbot "+name) || errb.Len() > 0 {
				t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
			}
			// A verb's help is the verb's own, with its flags.
			if c, _ := lookup(args); len(args) > 2 && slices.Contains(c.verbs, args[1]) && !strings.Contains(out.String(), "\n  -") {
				t.Errorf("help of %s %s lists no flags:\n%s", args[0], args[1], out.String())
			}
		})
	}
}

func TestVersionFlagPrintsTheVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"-version"}, {"version"}} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), stdio{nil, &out, &errb}, args); code != exitOK || !strings.HasPrefix(out.String(), "contractbot "+version+" ") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out.String(), errb.String())
		}
	}
}

// A run whose context was cancelled by a signal says "interrupted" (never
// go's "context canceled") and exits as a shell reports the signal.
func TestAnInterruptedRunSaysInterrupted(t *testing.T) {
	for _, tc := range []struct {
		sig  os.Signal
		code int
	}{{os.Interrupt, 130}, {syscall.SIGTERM, 143}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			ctx, cancel := context.WithCancelCause(context.Background())
			cancel(interrupted{tc.sig})
			var out, errb bytes.Buffer
			code := run(ctx, stdio{nil, &out, &errb}, []string{"check", "../../fixtures/services/web-api"})
			if code != tc.code || errb.String() != "contractbot check: interrupted\n" {
				t.Errorf("exit %d, stderr %q; want %d and \"contractbot check: interrupted\"", code, errb.String(), tc.code)
			}
		})
	}
}
