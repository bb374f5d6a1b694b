package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/makefile"
)

const inspectUsage = "inspect makefile [--format text|json] PATH"

// runInspect prints what contractbot knows about a Makefile: the facts the
// makefile.* rules use, as text or as the JSON that `check --format json`
// embeds under "facts"."makefile". PATH is a Makefile or a directory holding
// one; includes are resolved inside that directory and cannot leave it.
func runInspect(ctx context.Context, io stdio, args []string) error {
	if len(args) == 0 || args[0] != "makefile" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprintf(io.out, "Usage: contractbot %s\n", inspectUsage)
			return nil
		}
		return fmt.Errorf("usage: contractbot %s", inspectUsage)
	}
	fset := newFlags(io, "inspect makefile", inspectUsage)
	format := fset.String("format", "text", "output format: text or json")
	if err := parseFlags(fset, args[1:]); err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		return fmt.Errorf("unknown format %q (want text or json)", *format)
	}
	if fset.NArg() != 1 {
		return fmt.Errorf("want exactly one PATH (usage: contractbot %s)", inspectUsage)
	}
	dir, name, err := makefileLocation(fset.Arg(0))
	if err != nil {
		return err
	}
	// The same confined tree as `check` (see openTree): an include can never
	// read outside dir, and inspect shows exactly what the rules see.
	fsys, err := openTree(dir)
	if err != nil {
		return err
	}
	if name == "" {
		name, err = makefile.FindMakefile(fsys)
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("no Makefile in %s (looked for %s)", dir, strings.Join(makefile.DefaultMakefileNames(), ", "))
		}
		if err != nil {
			return err
		}
	}
	a, err := checks.AnalyzeMakefile(ctx, fsys, name)
	if err != nil {
		return fmt.Errorf("read %s: %w", filepath.Join(dir, name), err)
	}
	if *format == "json" {
		enc := json.NewEncoder(io.out)
		enc.SetIndent("", "  ")
		return enc.Encode(a.Facts)
	}
	printInspect(io.out, a)
	return nil
}

// makefileLocation splits PATH into the directory to confine reads to and
// the makefile's name in it ("" to let GNU make's names decide).
func makefileLocation(p string) (dir, name string, err error) {
	st, err := os.Stat(p)
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", p, errors.Unwrap(err))
	}
	if st.IsDir() {
		return p, "", nil
	}
	return filepath.Dir(p), filepath.Base(p), nil
}

func printInspect(w io.Writer, a *checks.MakefileAnalysis) {
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	fmt.Fprintf(w, "makefile: %s\n", a.Path)
	if len(a.DB.Files) > 1 {
		fmt.Fprintf(w, "files read: %s\n", strings.Join(a.DB.Files, " "))
	}
	fmt.Fprintln(w, "targets:")
	for _, t := range checks.ContractTargets() {
		info := a.Targets[t]
		line := fmt.Sprintf("  %-11s %-10s", t, info.How)
		if info.Defined {
			line += fmt.Sprintf(" %s:%d", info.Path, info.Line)
		}
		if info.UsesDockerTag != nil {
			line += "  uses DOCKER_TAG: " + yes(*info.UsesDockerTag)
		}
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
	dt := a.Facts.DockerTag
	fmt.Fprintf(w, "DOCKER_TAG: defined: %s, conditional: %s, exported: %s, shell-dependent: %s\n",
		yes(dt.Defined), yes(dt.Conditional), yes(dt.Exported), yes(dt.ShellDependent))
	switch {
	case dt.Default != nil:
		fmt.Fprintf(w, "  default: %q\n", *dt.Default)
	case dt.Defined:
		fmt.Fprintln(w, "  default: unknown (depends on $(shell ...) or a make error)")
	}
	if as := a.DockerTagLast; as != nil {
		fmt.Fprintf(w, "  set at %s:%d (%s)\n", as.Path, as.Line, as.Op)
	}
	if len(a.Facts.MissingIncludes) > 0 {
		fmt.Fprintf(w, "missing includes: %s\n", strings.Join(a.Facts.MissingIncludes, " "))
	}
	for _, tp := range a.TabProblems {
		if tp.MakeError == "" {
			fmt.Fprintf(w, "indented with spaces, read as a rule: %s:%d\n", tp.Path, tp.Line)
		}
	}
	for _, e := range a.DB.Errors {
		fmt.Fprintf(w, "make would stop: %s\n", e)
	}
	for _, e := range a.DB.Warnings {
		fmt.Fprintf(w, "warning: %s\n", e)
	}
}
