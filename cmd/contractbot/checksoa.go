package main

import (
	"context"
	"fmt"
	"io/fs"
	"runtime"
	"strings"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/report"
	"github.com/contractbot/contractbot/internal/soa"
)

// runCheckSOA checks a whole yelpsoa-configs repository, or the named
// services of it: every soa rule per service, including the cross-service
// ones (proxy_port uniqueness) against one repository index built once.
func runCheckSOA(ctx context.Context, io stdio, args []string) error {
	flags := newFlags(io, "check-soa", "check-soa [--format text|json|sarif|github] [--verbose] [--paasta-schemas DIR] [--jobs N] SOA_DIR [SERVICE...]")
	schemasDir := flags.String("paasta-schemas", "", "directory of an installed PaaSTA's *_schema.json files to validate against instead of the built-in schemas")
	paastaConfig := flags.String("paasta-config", "", "PaaSTA's system configuration, a directory laid out as a PaaSTA host's /etc (paasta/*.json, sensu/, yelp_location/, tron/MASTER.yaml), for the checks that need it")
	jobs := flags.Int("jobs", runtime.GOMAXPROCS(0), "services checked in parallel")
	format := report.FormatText
	flags.Var(&format, "format", "output format: text, json, sarif or github")
	verbose := flags.Bool("verbose", false, "text: also name each service checked, with its verdict (by default only findings and a total are printed)")
	docs := rulesURLFlag(flags)
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	if flags.NArg() < 1 {
		return fmt.Errorf("want SOA_DIR [SERVICE...]")
	}
	if *jobs < 1 {
		return fmt.Errorf("--jobs must be at least 1")
	}
	tree, err := openTree(flags.Arg(0))
	if err != nil {
		return err
	}
	var schemas fs.FS
	if *schemasDir != "" {
		if schemas, err = openTree(*schemasDir); err != nil {
			return err
		}
	}
	// One cache for the whole run: every service shares its index and
	// schemas. Compile the schemas now, so a bad directory fails at once.
	cache := soa.NewCache(tree, schemas, soa.DefaultLimits())
	if _, err := cache.Schemas(); err != nil {
		return fmt.Errorf("--paasta-schemas: %w", err)
	}
	services := flags.Args()[1:]
	if len(services) == 0 {
		if services, err = discoverServices(tree); err != nil {
			return err
		}
		if len(services) == 0 {
			return fmt.Errorf("%s holds no service directories (directories with .yaml files)", flags.Arg(0))
		}
	}

	engine, err := checks.NewEngine(checks.All())
	if err != nil {
		return err
	}
	var sys fs.FS
	if *paastaConfig != "" {
		if sys, err = openSystemConfig(*paastaConfig); err != nil {
			return err
		}
	}
	results, err := checkServicesWith(ctx, engine, cache, sys, services, *jobs)
	if err != nil {
		return err
	}
	checks.OneSystemConfigNotice(results)
	// Text is quiet about clean services and ends with a total: 10,000
	// services are not 10,000 lines.
	var sink report.Sink = &report.Text{W: io.out, Docs: *docs, Total: true, Verbose: *verbose}
	if format != report.FormatText {
		if sink, err = report.New(format, io.out, report.Tool{Version: version, Rules: engine.Rules()}); err != nil {
			return err
		}
	}
	sink = report.Rebase(sink, outputBase(format, "", flags.Arg(0)))
	if err := report.Publish(ctx, sink, results...); err != nil {
		return err
	}
	for _, r := range results {
		if !r.OK {
			return &exitError{code: exitFindings}
		}
	}
	return nil
}

// discoverServices lists the service directories of a soa repository:
// those with a .yaml file at their top (so that tron/<cluster>/ and other
// non-service directories are left alone).
func discoverServices(repo fs.FS) ([]string, error) {
	dirs, err := soa.ListServices(repo)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range dirs {
		entries, err := fs.ReadDir(repo, d)
		if err != nil {
			continue // unreadable: not a service we can check
		}
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".yaml") && !strings.HasPrefix(e.Name(), ".") {
				out = append(out, d)
				break
			}
		}
	}
	return out, nil
}

// checkServices runs the engine once per service, jobs at a time, and
// returns the results in the order of services. The runs share cache: the
// repository index and the compiled schemas.
func checkServices(ctx context.Context, engine *checks.Engine, cache *soa.Cache, services []string, jobs int) ([]*checks.Result, error) {
	return checkServicesWith(ctx, engine, cache, nil, services, jobs)
}

// checkServicesWith is checkServices with PaaSTA's system configuration
// (--paasta-config), or nil.
func checkServicesWith(ctx context.Context, engine *checks.Engine, cache *soa.Cache, sys fs.FS, services []string, jobs int) ([]*checks.Result, error) {
	return forEach(ctx, jobs, services, func(ctx context.Context, service string) (*checks.Result, error) {
		t, err := checks.Prepare(ctx, nil, checks.Options{SOACache: cache, Service: service, PaastaConfig: sys})
		if err != nil {
			return nil, err
		}
		return engine.Run(ctx, t)
	})
}
