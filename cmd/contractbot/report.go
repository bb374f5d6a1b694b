package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/fleet"
	"github.com/contractbot/contractbot/internal/soa"
)

const reportUsage = "report [--soa-dir DIR] [--repos DIR] [--format markdown|html|csv|json] [--previous FILE] [--jobs N]"

// runReport checks a fleet of services from local checkouts and prints
// the fleet view (internal/fleet): every service of a soa tree, each
// with its repository from DIR/<service> when --repos names a directory
// of checkouts, and the repositories of that directory that the soa tree
// does not list.
func runReport(ctx context.Context, io stdio, args []string) error {
	flags := newFlags(io, "report", reportUsage)
	soaDir := flags.String("soa-dir", "", "yelpsoa-configs directory: every service of it is checked")
	reposDir := flags.String("repos", "", "directory of service repositories named after their services (DIR/<service>)")
	schemasDir := flags.String("paasta-schemas", "", "directory of an installed PaaSTA's *_schema.json files to validate against instead of the built-in schemas")
	previous := flags.String("previous", "", "a view written earlier by `report --format json`: the report says what changed since")
	jobs := flags.Int("jobs", runtime.GOMAXPROCS(0), "services checked in parallel")
	format := fleet.FormatMarkdown
	flags.Var(&format, "format", "output format: markdown (a GitHub issue body), html (one self-contained page), csv or json")
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	switch {
	case flags.NArg() > 0:
		return fmt.Errorf("unexpected argument %q (report takes flags only)", flags.Arg(0))
	case *soaDir == "" && *reposDir == "":
		return fmt.Errorf("want --soa-dir, --repos or both")
	case *jobs < 1:
		return fmt.Errorf("--jobs must be at least 1")
	}
	now, err := reportClock()
	if err != nil {
		return err
	}
	opts := fleet.Options{Format: format, W: io.out, Now: now}
	if *previous != "" {
		if opts.Previous, err = readView(*previous); err != nil {
			return err
		}
	}

	var cache *soa.Cache
	inSOA := map[string]bool{}
	var names []string
	if *soaDir != "" {
		tree, err := openTree(*soaDir)
		if err != nil {
			return err
		}
		var schemas fs.FS
		if *schemasDir != "" {
			if schemas, err = openTree(*schemasDir); err != nil {
				return err
			}
		}
		cache = soa.NewCache(tree, schemas, soa.DefaultLimits())
		if _, err := cache.Schemas(); err != nil {
			return fmt.Errorf("--paasta-schemas: %w", err)
		}
		if names, err = discoverServices(tree); err != nil {
			return err
		}
		for _, n := range names {
			inSOA[n] = true
		}
	} else if *schemasDir != "" {
		return fmt.Errorf("--paasta-schemas needs --soa-dir")
	}
	checkouts := map[string]bool{}
	if *reposDir != "" {
		dirs, err := listCheckouts(*reposDir)
		if err != nil {
			return err
		}
		for _, d := range dirs {
			checkouts[d] = true
			if !inSOA[d] {
				names = append(names, d)
			}
		}
	}
	slices.Sort(names)
	if len(names) == 0 {
		return fmt.Errorf("no services to check: the soa tree lists none and --repos holds no repositories")
	}

	engine, err := checks.NewEngine(checks.All())
	if err != nil {
		return err
	}
	opts.Rules = engine.Rules()
	collector := fleet.NewCollector(opts)
	results, err := checkFleet(ctx, *jobs, names, func(ctx context.Context, name string) (*checks.Result, fleet.Meta, error) {
		var meta fleet.Meta
		var repo fs.FS
		if checkouts[name] {
			var err error
			if repo, err = openTree(filepath.Join(*reposDir, name)); err != nil {
				return nil, meta, err
			}
			if !inSOA[name] && !looksLikeService(repo) {
				return nil, meta, nil
			}
		} else if *reposDir != "" {
			meta.Note = "no checkout in --repos: soa rules only"
		}
		t, err := checks.Prepare(ctx, repo, checks.Options{SOACache: cache, Service: name, DefaultService: name})
		if err != nil {
			return nil, meta, err
		}
		res, err := engine.Run(ctx, t)
		return res, meta, err
	})
	if err != nil {
		return err
	}
	failing := false
	for i, r := range results {
		if r.res == nil {
			collector.NotAService(names[i])
			continue
		}
		if err := collector.Add(r.res, r.meta); err != nil {
			return err
		}
		failing = failing || !r.res.OK
	}
	if err := collector.Flush(ctx); err != nil {
		return err
	}
	if failing {
		return &exitError{code: exitFindings}
	}
	return nil
}

// reportClock stamps the view: now, or SOURCE_DATE_EPOCH (seconds since
// 1970, the reproducible-builds convention) when set, so that a report
// can be reproduced byte for byte.
func reportClock() (func() time.Time, error) {
	s, ok := os.LookupEnv("SOURCE_DATE_EPOCH")
	if !ok || s == "" {
		return time.Now, nil
	}
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a number of seconds", s)
	}
	t := time.Unix(sec, 0).UTC()
	return func() time.Time { return t }, nil
}

func readView(path string) (*fleet.View, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--previous: %w", err)
	}
	defer f.Close()
	v, err := fleet.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("--previous %s: %w", path, err)
	}
	return v, nil
}

// listCheckouts lists the repositories of a --repos directory: its
// subdirectories (or links to directories), hidden ones left out.
func listCheckouts(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("--repos: %w", err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if st, err := os.Stat(filepath.Join(dir, e.Name())); err == nil && st.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// looksLikeService reports whether a repository the soa tree does not
// list is a PaaSTA service all the same: it has a Makefile (under any of
// the names GNU make reads), a Dockerfile or a .contractbot.yaml (which
// may name its soa directory), as the App's onboarding decides. The others
// (libraries, documentation) are listed as not services, not checked.
func looksLikeService(repo fs.FS) bool {
	for _, name := range []string{"Makefile", "makefile", "GNUmakefile", "Dockerfile", checks.ConfigFile} {
		if _, err := fs.Stat(repo, name); err == nil || !errors.Is(err, fs.ErrNotExist) {
			return true // present, or unreadable: check it rather than skip it
		}
	}
	return false
}

type fleetResult struct {
	res  *checks.Result
	meta fleet.Meta
}

// checkFleet runs check once per name, jobs at a time, and returns the
// results in the order of names; a nil result is a repository that is
// not a service. The first error cancels the rest.
func checkFleet(ctx context.Context, jobs int, names []string, check func(context.Context, string) (*checks.Result, fleet.Meta, error)) ([]fleetResult, error) {
	return forEach(ctx, jobs, names, func(ctx context.Context, name string) (fleetResult, error) {
		res, meta, err := check(ctx, name)
		return fleetResult{res, meta}, err
	})
}
