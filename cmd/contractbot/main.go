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
	"syscall"
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
type command struct {
	name, usage, summary string
	run                  func(ctx context.Context, io stdio, args []string) error
}

// commands is the table of subcommands, in the order `contractbot help`
// lists them. Each lives in its own file.
func commands() []command {
	return []command{
		{"check", "check [flags] [PATH]", "check a service repository (and its yelpsoa-configs) against the contract", runCheck},
		{"fix", fixUsage, "apply the mechanical fixes to a service repository (and its yelpsoa-configs), then check again", runFix},
		{"check-soa", "check-soa [flags] SOA_DIR [SERVICE...]", "check a whole yelpsoa-configs repository", runCheckSOA},
		{"rules", "rules [--format text|markdown]", "list the rules with their ids, severities and explanations", runRules},
		{"ref", "ref check [--soa-dir DIR --service NAME] REFNAME...", "check PaaSTA deploy ref names", runRef},
		{"serve", "serve [flags]", "run the GitHub App: webhooks in, check runs out", runServe},
		{"dead-letters", deadLettersUsage, "list, requeue or discard the App's tasks that kept failing", runDeadLetters},
		{"queue", queueUsage, "check the queue file of a single serve, or salvage the tasks it can still read into a new file", runQueue},
		{"app-manifest", "app-manifest [--url URL]", "print the GitHub App manifest to register contractbot", runAppManifest},
		{"rulesets", "rulesets [--repo OWNER/NAME] [--apply]", "print (or create) GitHub rulesets that refuse malformed deploy refs", runRulesets},
		{"hook", "hook pre-receive [flags]", "git server-side hook: refuse malformed deploy refs and contract-breaking pushes", runHook},
		{"inspect", "inspect makefile [--format text|json] PATH", "print what contractbot knows about a Makefile", runInspect},
		{"version", "version", "print the version", runVersion},
	}
}

// exitError ends the program with a code and no further message (the
// command has already printed what it had to say).
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, stdio{os.Stdin, os.Stdout, os.Stderr}, os.Args[1:])
	stop()
	os.Exit(code)
}

// run dispatches args to a subcommand and turns its error into an exit code.
func run(ctx context.Context, io stdio, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(io.out)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, io, args[1:])
		var ee *exitError
		switch {
		case err == nil:
			return exitOK
		case errors.As(err, &ee):
			return ee.code
		case errors.Is(err, flag.ErrHelp):
			return exitOK
		default:
			fmt.Fprintf(io.err, "contractbot %s: %v\n", c.name, err)
			return exitUsage
		}
	}
	fmt.Fprintf(io.err, "contractbot: unknown command %q (contractbot help lists them)\n", args[0])
	return exitUsage
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
