package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/gitref"
)

const refUsage = "ref check [--soa-dir DIR --service NAME] REFNAME..."

// runRef implements `contractbot ref check`: each name is parsed as a
// PaaSTA ref and, with a soa directory, its deploy group is looked up in the
// service's deploy.yaml. Exit 1 when any name is refused.
func runRef(ctx context.Context, io stdio, args []string) error {
	if len(args) == 0 || args[0] != "check" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprintf(io.out, "Usage: contractbot %s\n", refUsage)
			return nil
		}
		return errors.New("want a subcommand: check (contractbot ref check --help)")
	}
	flags := newFlags(io, "ref check", refUsage)
	soaDir := flags.String("soa-dir", "", "yelpsoa-configs directory, to check deploy groups against <service>/deploy.yaml")
	service := flags.String("service", "", "service name (with --soa-dir)")
	if err := parseFlags(flags, args[1:]); err != nil {
		return err
	}
	if flags.NArg() == 0 {
		return errors.New("want at least one REFNAME (contractbot ref check --help)")
	}
	if (*soaDir == "") != (*service == "") {
		return errors.New("--soa-dir and --service go together")
	}
	o := checks.Options{Refs: flags.Args(), Service: *service}
	if *soaDir != "" {
		var err error
		if o.SOA, err = openTree(*soaDir); err != nil {
			return err
		}
	}
	t, err := checks.Prepare(ctx, nil, o)
	if err != nil {
		return err
	}
	engine, err := refEngine()
	if err != nil {
		return err
	}

	res, err := engine.Run(ctx, t)
	if err != nil {
		return err
	}
	byRef := map[string][]checks.Finding{}
	for _, f := range res.Findings {
		byRef[f.Subject] = append(byRef[f.Subject], f)
	}
	for _, name := range flags.Args() {
		if fs := byRef[name]; len(fs) > 0 {
			for _, f := range fs {
				fmt.Fprintf(io.out, "%s: %s: %s [%s]\n", name, f.Severity, f.Message, f.RuleID)
			}
			continue
		}
		fmt.Fprintf(io.out, "%s: ok: %s\n", name, describeRef(name))
	}
	if !res.OK {
		return &exitError{code: exitFindings}
	}
	return nil
}

// refEngine is the engine over the rules that judge ref names only.
func refEngine() (*checks.Engine, error) {
	var rules []*checks.Rule
	for _, r := range checks.All() {
		if r.Needs&checks.NeedsRefs != 0 {
			rules = append(rules, r)
		}
	}
	return checks.NewEngine(rules)
}

// describeRef says in words what a well-formed name asks PaaSTA to do.
func describeRef(name string) string {
	r, err := gitref.Parse(name)
	if err != nil {
		return err.Error()
	}
	switch r.Kind {
	case gitref.DeployTag:
		s := fmt.Sprintf("%s tag for deploy group %s at %s", r.State, r.DeployGroup, r.Time.Format(time.DateTime+" UTC"))
		if r.ImageVersion != "" {
			s += ", image version " + r.ImageVersion
		}
		return s
	case gitref.ControlTag:
		return fmt.Sprintf("%s tag for instance %s at %s", r.State, r.DeployGroup, r.Time.Format(time.DateTime+" UTC"))
	case gitref.LegacyBranch:
		return "legacy deploy branch for deploy group " + r.DeployGroup
	}
	return "not a PaaSTA ref"
}
