package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/diff"
	"github.com/contractbot/contractbot/internal/fix"
	"github.com/contractbot/contractbot/internal/report"
)

const fixUsage = "fix [--soa-dir DIR] [--service NAME] [--diff] [--rule ID]... [PATH]"

// ruleList is the value of a repeatable --rule flag (each value may also
// be a comma-separated list).
type ruleList []string

func (r *ruleList) String() string { return strings.Join(*r, ",") }

func (r *ruleList) Set(s string) error {
	for _, id := range strings.Split(s, ",") {
		if id = strings.TrimSpace(id); id != "" {
			*r = append(*r, id)
		}
	}
	return nil
}

// runFix applies every mechanical fix to the repository in PATH (and the
// soa tree of --soa-dir or soa_dir), then checks again and prints what is
// left, with check's exit codes. With --diff it prints the changes as a
// unified diff instead of writing them.
func runFix(ctx context.Context, io stdio, args []string) error {
	flags := newFlags(io, "fix", fixUsage)
	tf := addTargetFlags(flags)
	soaDir, service, schemas := tf.soaDir, tf.service, tf.schemas
	diffOnly := flags.Bool("diff", false, "print the fixes as a unified diff on stdout instead of writing them (what would be left goes to stderr)")
	var rules ruleList
	flags.Var(&rules, "rule", "apply only the fixes of this rule (repeatable, or comma-separated); every rule is still checked")
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	dir, err := onePath(flags)
	if err != nil {
		return err
	}
	engine, err := checks.NewEngine(checks.All())
	if err != nil {
		return err
	}
	for _, id := range rules {
		if engine.Rule(id) == nil {
			return fmt.Errorf("--rule %s: no such rule (contractbot rules lists them)", id)
		}
	}

	repoRoot, repo, err := openWritableTree(dir)
	if err != nil {
		return err
	}
	defer repoRoot.Close()
	var soaRoot *os.Root
	var soaFS fs.FS
	if *soaDir != "" {
		if soaRoot, soaFS, err = openWritableTree(*soaDir); err != nil {
			return err
		}
		defer soaRoot.Close()
	}
	var sysFS fs.FS
	if *tf.paastaConfig != "" {
		if sysFS, err = openSystemConfig(*tf.paastaConfig); err != nil {
			return err
		}
	}
	var schemasFS fs.FS
	if *schemas != "" {
		if schemasFS, err = openTree(*schemas); err != nil {
			return err
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	prepare := func(ctx context.Context, repo, soa fs.FS) (checks.Target, error) {
		return checks.Prepare(ctx, repo, checks.Options{Service: *service, DefaultService: filepath.Base(abs), SOA: soa, PaastaSchemas: schemasFS, PaastaConfig: sysFS})
	}
	out, err := fix.Run(ctx, fix.Options{Engine: engine, Prepare: prepare, Rules: rules}, repo, soaFS)
	if err != nil {
		return err
	}
	shown := func(soa bool, p string) string {
		if soa {
			return filepath.ToSlash(filepath.Join(*soaDir, p))
		}
		return filepath.ToSlash(filepath.Join(dir, p))
	}

	res := out.Result
	left := io.out
	if *diffOnly {
		if err := writeDiff(io.out, out, shown); err != nil {
			return err
		}
		left = io.err
	} else {
		written := 0
		for _, w := range []struct {
			root    *os.Root
			changes []fix.Change
			soa     bool
		}{{repoRoot, out.Repo, false}, {soaRoot, out.SOA, true}} {
			for _, c := range w.changes {
				if err := fix.Write(w.root, c); err != nil {
					return fmt.Errorf("%w (%d of %d files written)", err, written, len(out.Repo)+len(out.SOA))
				}
				written++
			}
		}
		// Check what is on disk now, not what the fixes meant to write.
		t, err := prepare(ctx, repo, soaFS)
		if err != nil {
			return err
		}
		if res, err = engine.Run(ctx, t); err != nil {
			return err
		}
	}

	verb := "fixed"
	if *diffOnly {
		verb = "would fix"
	}
	bw := bufio.NewWriter(left)
	for _, a := range out.Applied {
		fmt.Fprintf(bw, "%s %s: %s [%s]\n", verb, report.Escape(a.Finding.Where()), report.Escape(a.Fix.Message), a.Finding.RuleID)
	}
	for _, s := range out.Skipped {
		fmt.Fprintf(bw, "not fixed %s: %s [%s]\n", report.Escape(s.Finding.Where()), report.Escape(s.Err.Error()), s.Finding.RuleID)
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	sink, err := report.New(report.FormatText, left, report.Tool{Version: version, Rules: engine.Rules()})
	if err != nil {
		return err
	}
	if err := report.Publish(ctx, sink, res); err != nil {
		return err
	}
	if !res.OK {
		return &exitError{code: exitFindings}
	}
	return nil
}

// openWritableTree opens dir as a tree to read (links that leave it read
// as missing, as for check) and as an os.Root to write through.
func openWritableTree(dir string) (*os.Root, fs.FS, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot open %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, nil, fmt.Errorf("%s is not a directory", dir)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot open %s: %w", dir, err)
	}
	return root, rootFS{root, root.FS()}, nil
}

// writeDiff prints the changes as one unified diff that `git apply`
// takes from the current directory: "--- a/PATH" and "+++ b/PATH" headers
// (/dev/null for a created file), and git's marker after a line that has
// no newline.
func writeDiff(w io.Writer, out *fix.Outcome, shown func(soa bool, p string) string) error {
	bw := bufio.NewWriter(w)
	for _, set := range []struct {
		changes []fix.Change
		soa     bool
	}{{out.Repo, false}, {out.SOA, true}} {
		for _, c := range set.changes {
			name := shown(set.soa, c.Path)
			from := "a/" + name
			if c.Created {
				from = "/dev/null"
			}
			fmt.Fprintf(bw, "--- %s\n+++ b/%s\n", from, name)
			patch := diff.Unified(string(c.Old), string(c.New), diff.DefaultContext)
			if err := writeHunks(bw, patch, string(c.Old), string(c.New)); err != nil {
				return fmt.Errorf("diff %s: %w", name, err)
			}
		}
	}
	return bw.Flush()
}

// writeHunks prints patch, adding "\ No newline at end of file" after the
// last line of a side that has no final newline.
func writeHunks(w io.Writer, patch, oldText, newText string) error {
	f, err := diff.Parse(patch)
	if err != nil {
		return err
	}
	oldLast, newLast := 0, 0
	if oldText != "" && !strings.HasSuffix(oldText, "\n") {
		oldLast = len(diff.SplitLines(oldText))
	}
	if newText != "" && !strings.HasSuffix(newText, "\n") {
		newLast = len(diff.SplitLines(newText))
	}
	span := func(start, n int) string {
		if n == 1 {
			return fmt.Sprint(start)
		}
		return fmt.Sprintf("%d,%d", start, n)
	}
	for _, h := range f.Hunks {
		fmt.Fprintf(w, "@@ -%s +%s @@\n", span(h.OldStart, h.OldLines), span(h.NewStart, h.NewLines))
		for _, l := range h.Lines {
			fmt.Fprintf(w, "%c%s\n", l.Kind, l.Text)
			noOld := oldLast > 0 && l.OldLine == oldLast && l.Kind != diff.Added
			noNew := newLast > 0 && l.NewLine == newLast && l.Kind != diff.Deleted
			if noOld || noNew {
				fmt.Fprintln(w, `\ No newline at end of file`)
			}
		}
	}
	return nil
}
