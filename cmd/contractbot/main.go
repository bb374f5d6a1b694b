// Command contractbot checks a service against the PaaSTA contract: as a
// CLI, as a GitHub App and as a git pre-receive hook.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"
)

// Exit codes, shared by every subcommand.
const (
	exitOK       = 0 // nothing to report, or only warnings
	exitFindings = 1 // the contract is broken (or a hook refused a push)
	exitUsage    = 2 // bad usage or an internal error
)

// stdio is where a command reads and writes; tests substitute buffers.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// command is one subcommand. run returns nil for exit 0, an *exitError for a
// chosen code, or any other error for exit 2 with a one-line message.
//
// verbs lists the verbs of a command whose first argument is one, with
// flags of its own (hook pre-receive, ref check, inspect makefile): their
// help keeps the verb. drains is set for a command that stops gracefully on a signal by
// itself, however long that takes (serve gives running checks 25 s).
type command struct {
	name, usage, summary string
	run                  func(ctx context.Context, io stdio, args []string) error
	verbs                []string
	drains               bool
}

// commands is the table of subcommands, in the order `contractbot help`
// lists them. Each lives in its own file.
func commands() []command {
	return []command{
		{name: "check", usage: "check [flags] [PATH]", summary: "check a service repository (and its yelpsoa-configs) against the contract", run: runCheck},
		{name: "fix", usage: fixUsage, summary: "apply the mechanical fixes to a service repository (and its yelpsoa-configs), then check again", run: runFix},
		{name: "check-soa", usage: "check-soa [flags] SOA_DIR [SERVICE...]", summary: "check a whole yelpsoa-configs repository", run: runCheckSOA},
		{name: "report", usage: "report [flags] [--soa-dir DIR] [--repos DIR]", summary: "check every service of a soa tree and its checkouts, and print the fleet view", run: runReport},
		{name: "rules", usage: "rules [--format text|markdown] [ID...]", summary: "explain the rules (or the named ones): ids, severities, why and how to fix", run: runRules},
		{name: "ref", usage: refUsage, summary: "check PaaSTA deploy ref names", run: runRef, verbs: []string{"check"}},
		{name: "serve", usage: "serve [flags]", summary: "run the GitHub App: webhooks in, check runs out", run: runServe, drains: true},
		{name: "dead-letters", usage: deadLettersUsage, summary: "list, requeue or discard the App's tasks that kept failing", run: runDeadLetters},
		{name: "queue", usage: queueUsage, summary: "check the queue file of a single serve, or salvage the tasks it can still read into a new file", run: runQueue},
		{name: "app-manifest", usage: "app-manifest [--url URL]", summary: "print the GitHub App manifest to register contractbot", run: runAppManifest},
		{name: "rulesets", usage: "rulesets [--repo OWNER/NAME] [--apply]", summary: "print (or create) GitHub rulesets that refuse malformed deploy refs", run: runRulesets},
		{name: "hook", usage: "hook pre-receive [flags]", summary: "git server-side hook: refuse malformed deploy refs and contract-breaking pushes", run: runHook, verbs: []string{"pre-receive", "update"}},
		{name: "inspect", usage: inspectUsage, summary: "print what contractbot knows about a Makefile", run: runInspect, verbs: []string{"makefile"}},
		{name: "version", usage: "version", summary: "print the version (also: contractbot --version)", run: runVersion},
	}
}

// exitError ends the program with a code and no further message (the
// command has already printed what it had to say).
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	os.Exit(runWithSignals(stdio{os.Stdin, os.Stdout, os.Stderr}, os.Args[1:]))
}

// interruptGrace is how long a command has, after the first SIGINT or
// SIGTERM, to stop by itself (its work watches the context) before
// contractbot exits anyway: a read blocked on a FIFO or a hung network
// file system never returns. A second signal exits at once.
const interruptGrace = 2 * time.Second

// interrupted is the cancellation cause of a run stopped by a signal.
type interrupted struct{ sig os.Signal }

func (i interrupted) Error() string { return "interrupted" }

// code is the exit status a shell gives a command killed by the signal:
// 130 for SIGINT, 143 for SIGTERM.
func (i interrupted) code() int {
	if s, ok := i.sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 130
}

// runWithSignals is [run] under SIGINT and SIGTERM: the first cancels the
// run's context with an [interrupted] cause, and the run ends with
// "interrupted" and exit 130 (143 for SIGTERM) once the command returns,
// or after [interruptGrace] if it does not. A command marked drains (serve)
// is waited for: it shuts down gracefully by itself.
func runWithSignals(io stdio, args []string) int {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	done := make(chan int, 1)
	go func() { done <- run(ctx, io, args) }()
	var sig os.Signal
	select {
	case code := <-done:
		return code
	case sig = <-sigs:
	}
	cause := interrupted{sig}
	cancel(cause)
	var grace <-chan time.Time
	if c, ok := lookup(args); !ok || !c.drains {
		t := time.NewTimer(interruptGrace)
		defer t.Stop()
		grace = t.C
	}
	select {
	case code := <-done:
		return code
	case <-sigs:
	case <-grace:
	}
	fmt.Fprintf(io.err, "%s: interrupted\n", prefix(args))
	return cause.code()
}

// lookup returns the command args name.
func lookup(args []string) (command, bool) {
	if len(args) > 0 {
		for _, c := range commands() {
			if c.name == args[0] {
				return c, true
			}
		}
	}
	return command{}, false
}

// prefix is how messages about a run of args begin: "contractbot check".
func prefix(args []string) string {
	if c, ok := lookup(args); ok {
		return "contractbot " + c.name
	}
	return "contractbot"
}

// run dispatches args to a subcommand and turns its error into an exit code.
// DefaultRunTimeout bounds one CLI run (CONTRACTBOT_TIMEOUT; 0: none):
// long enough for check-soa over thousands of services on a small
// machine, short enough that a run that cannot finish says so.
const DefaultRunTimeout = 30 * time.Minute

// errRunTimeout is the cause of a run's context when its time ran out.
var errRunTimeout = errors.New("the run's time limit ran out")

func run(ctx context.Context, io stdio, args []string) int {
	if len(args) == 0 {
		usage(io.out)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			// contractbot help CMD is contractbot CMD --help.
			if _, ok := lookup(args[1:]); ok {
				return run(ctx, io, []string{args[1], "--help"})
			}
		}
		usage(io.out)
		return exitOK
	case "-version", "--version":
		args = []string{"version"}
	}
	c, ok := lookup(args)
	if !ok {
		fmt.Fprintf(io.err, "contractbot: unknown command %q (contractbot help lists them)\n", args[0])
		return exitUsage
	}
	rest := args[1:]
	if wantsHelp(rest) {
		// -h anywhere asks for help and does nothing else: `dead-letters
		// requeue --help` must not requeue a task named --help.
		if len(rest) > 1 && slices.Contains(c.verbs, rest[0]) {
			rest = []string{rest[0], "--help"}
		} else {
			rest = []string{"--help"}
		}
	}
	// Every run but serve's has a time limit, so that no input can keep
	// a CI job or a terminal waiting for ever: it fails closed with a
	// line that says which limit ran out. (The hook has its own, 3 s.)
	limit := DefaultRunTimeout
	if v, ok := os.LookupEnv("CONTRACTBOT_TIMEOUT"); ok {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			fmt.Fprintf(io.err, "contractbot: CONTRACTBOT_TIMEOUT=%q: want a duration such as 10m, or 0 for none\n", v)
			return exitUsage
		}
		limit = d
	}
	if c.drains || c.name == "hook" {
		limit = 0
	}
	if limit > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, limit, errRunTimeout)
		defer cancel()
	}
	err := c.run(ctx, io, rest)
	var ee *exitError
	var in interrupted
	switch {
	case err != nil && errors.Is(context.Cause(ctx), errRunTimeout):
		fmt.Fprintf(io.err, "contractbot %s: gave up after %s (CONTRACTBOT_TIMEOUT): nothing was decided, so treat it as a failure\n", c.name, limit)
		return exitUsage
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case ctx.Err() != nil && errors.As(context.Cause(ctx), &in):
		// Whatever failed after the signal failed because of it.
		fmt.Fprintf(io.err, "contractbot %s: interrupted\n", c.name)
		return in.code()
	default:
		fmt.Fprintf(io.err, "contractbot %s: %v\n", c.name, err)
		return exitUsage
	}
}

// wantsHelp reports whether args ask for help: -h, -help or --help before
// a "--" that ends the flags.
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "contractbot checks services against the PaaSTA contract.")
	fmt.Fprintln(w, "\nUsage:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  contractbot %-40s %s\n", c.usage, c.summary)
	}
	fmt.Fprintln(w, "\nExit status: 0 no errors, 1 contract broken, 2 usage or internal error.")
}

// newFlags returns a flag set for a subcommand. Parse errors come back as
// one line (run prints it); -h prints the usage on stdout.
func newFlags(io stdio, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(io.out, "Usage: contractbot %s\n", usage)
		fs.SetOutput(io.out)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args. The flag package would print an error and the
// usage itself; it is silenced here so that a bad flag is one line on
// stderr and -h prints the usage once.
func parseFlags(fs *flag.FlagSet, args []string) error {
	usage := fs.Usage
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.Usage = usage
	if errors.Is(err, flag.ErrHelp) {
		usage()
	}
	return err
}
