package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/report"
	"github.com/contractbot/contractbot/internal/soa"
)

func runCheck(ctx context.Context, io stdio, args []string) error {
	flags := newFlags(io, "check", "check [--soa-dir DIR] [--service NAME] [--format text|json|sarif|github] [--sarif-file FILE] [PATH]")
	tf := addTargetFlags(flags)
	format := report.FormatText
	flags.Var(&format, "format", "output format: text, json, sarif or github")
	docs := rulesURLFlag(flags)
	sarifFile := flags.String("sarif-file", "", "also write the findings as SARIF to this file (for github/codeql-action/upload-sarif), whatever --format is")
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
	t, err := checkTarget(ctx, dir, *tf.soaDir, *tf.service, *tf.schemas, *tf.paastaConfig)
	if err != nil {
		return err
	}
	res, err := engine.Run(ctx, t)
	if err != nil {
		return err
	}
	tool := report.Tool{Version: version, Rules: engine.Rules(), Docs: *docs}
	sink, err := report.New(format, io.out, tool)
	if err != nil {
		return err
	}
	sink = report.Rebase(sink, outputBase(format, dir, *tf.soaDir))
	var sarif *os.File
	if *sarifFile != "" {
		if sarif, err = os.Create(*sarifFile); err != nil {
			return fmt.Errorf("--sarif-file: %w", err)
		}
		defer sarif.Close()
		// One run, two sinks, each with its own paths.
		sink = report.Multi(sink, report.Rebase(&report.SARIF{W: sarif, Tool: tool}, outputBase(report.FormatSARIF, dir, *tf.soaDir)))
	}
	if err := report.Publish(ctx, sink, res); err != nil {
		return err
	}
	if sarif != nil {
		if err := sarif.Close(); err != nil {
			return fmt.Errorf("--sarif-file: %w", err)
		}
	}
	if !res.OK {
		return &exitError{code: exitFindings}
	}
	return nil
}

// rulesURLFlag defines --rules-url, the base of the rule link that ends
// each text finding.
func rulesURLFlag(flags *flag.FlagSet) *string {
	return flags.String("rules-url", envOr("CONTRACTBOT_RULES_URL", report.DefaultDocs),
		"base of the rule link that ends each text finding, e.g. "+checks.DocsURL+" (env CONTRACTBOT_RULES_URL)")
}

// targetFlags are the flags of the commands that check one repository
// (check, fix): where its soa tree is, its service name and the PaaSTA
// installation to check against.
type targetFlags struct {
	soaDir, service, schemas, paastaConfig *string
}

func addTargetFlags(flags *flag.FlagSet) targetFlags {
	return targetFlags{
		soaDir:       flags.String("soa-dir", "", "yelpsoa-configs directory (default: soa_dir from .contractbot.yaml)"),
		service:      flags.String("service", "", "service name (default: service from .contractbot.yaml, else the directory name)"),
		schemas:      flags.String("paasta-schemas", "", "directory of an installed PaaSTA's *_schema.json files to validate against instead of the built-in schemas"),
		paastaConfig: flags.String("paasta-config", "", "PaaSTA's system configuration, a directory laid out as a PaaSTA host's /etc (paasta/*.json, sensu/, yelp_location/, tron/MASTER.yaml), for the checks that need it"),
	}
}

// onePath is a command's one optional PATH argument, "." when there is
// none.
func onePath(flags *flag.FlagSet) (string, error) {
	switch flags.NArg() {
	case 0:
		return ".", nil
	case 1:
		return flags.Arg(0), nil
	}
	return "", fmt.Errorf("want at most one PATH, got %d", flags.NArg())
}

// checkTarget assembles what `check` looks at: the repository in dir, its
// .contractbot.yaml, and the soa tree named by a flag or by the config
// (flags win over the config, the config over defaults: see
// [checks.Prepare]).
func checkTarget(ctx context.Context, dir, soaDir, service, schemas, paastaConfig string) (checks.Target, error) {
	repo, err := openTree(dir)
	if err != nil {
		return checks.Target{}, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return checks.Target{}, err
	}
	o := checks.Options{Service: service, DefaultService: filepath.Base(abs)}
	if soaDir != "" {
		if o.SOA, err = openTree(soaDir); err != nil {
			return checks.Target{}, err
		}
	}
	if schemas != "" {
		if o.PaastaSchemas, err = openTree(schemas); err != nil {
			return checks.Target{}, err
		}
	}
	if paastaConfig != "" {
		if o.PaastaConfig, err = openSystemConfig(paastaConfig); err != nil {
			return checks.Target{}, err
		}
	}
	return checks.Prepare(ctx, repo, o)
}

// openSystemConfig opens --paasta-config's directory and reads it once, so
// that a directory PaaSTA could not use fails at once, with its name.
func openSystemConfig(dir string) (fs.FS, error) {
	fsys, err := openTree(dir)
	if err != nil {
		return nil, err
	}
	if _, err := soa.LoadSystemConfig(fsys); err != nil {
		return nil, fmt.Errorf("--paasta-config %s: %w", dir, err)
	}
	return fsys, nil
}
