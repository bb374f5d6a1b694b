package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	ghclient "github.com/contractbot/contractbot/internal/github"
	"github.com/contractbot/contractbot/internal/gitref"
)

// runRulesets prints (or, with --apply, creates) the GitHub rulesets that
// make GitHub itself refuse malformed PaaSTA deploy refs at push time,
// which no webhook can do.
func runRulesets(ctx context.Context, io stdio, args []string) error {
	const usage = "rulesets [--repo OWNER/NAME | --org ORG] [--branches=false] [--json] [--apply]"
	flags := newFlags(io, "rulesets", usage)
	repoFlag := flags.String("repo", "", "repository the rulesets are for (needed by --apply)")
	org := flags.String("org", "", "print organisation rulesets covering every repository of ORG instead")
	branches := flags.Bool("branches", true, "also refuse branch names paasta-<x> (without /) whose <x> is not a deploy group")
	asJSON := flags.Bool("json", false, "print only a JSON array of the ruleset bodies")
	apply := flags.Bool("apply", false, "create the rulesets through the API with the App's credentials (needs administration: write)")
	env := func(name, def string) string {
		if v, ok := os.LookupEnv(name); ok {
			return v
		}
		return def
	}
	appID := flags.String("app-id", env("CONTRACTBOT_APP_ID", ""), "the GitHub App's id, for --apply (env CONTRACTBOT_APP_ID)")
	keyFile := flags.String("private-key-file", env("CONTRACTBOT_PRIVATE_KEY_FILE", ""), "the App's private key, for --apply (env CONTRACTBOT_PRIVATE_KEY_FILE)")
	apiURL := flags.String("github-api-url", env("CONTRACTBOT_GITHUB_API_URL", ghclient.DefaultBaseURL), "GitHub REST API root (env CONTRACTBOT_GITHUB_API_URL)")
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("takes no arguments, got %q", flags.Arg(0))
	}
	if *repoFlag != "" && *org != "" {
		return errors.New("use --repo or --org, not both")
	}
	owner, name, _ := strings.Cut(*repoFlag, "/")
	if *repoFlag != "" && (owner == "" || name == "" || strings.Contains(name, "/")) {
		return fmt.Errorf("--repo is %q; want OWNER/NAME", *repoFlag)
	}
	isOrg := *org != ""
	sets := []gitref.Ruleset{gitref.TagRuleset(isOrg)}
	if *branches {
		sets = append(sets, gitref.BranchRuleset(isOrg))
	}
	if *apply {
		if isOrg {
			return errors.New("--apply creates repository rulesets only; create an organisation ruleset with the printed body: " +
				"gh api -X POST orgs/ORG/rulesets --input FILE")
		}
		if *repoFlag == "" {
			return errors.New("--apply needs --repo OWNER/NAME")
		}
		return applyRulesets(ctx, io, sets, owner, name, *appID, *keyFile, *apiURL)
	}
	if *asJSON {
		enc := json.NewEncoder(io.out)
		enc.SetIndent("", "  ")
		return enc.Encode(sets)
	}
	endpoint := "repos/OWNER/NAME/rulesets"
	switch {
	case isOrg:
		endpoint = "orgs/" + *org + "/rulesets"
	case *repoFlag != "":
		endpoint = "repos/" + owner + "/" + name + "/rulesets"
	}
	fmt.Fprintln(io.out, "# GitHub rulesets that refuse malformed PaaSTA deploy refs at push time.")
	fmt.Fprintln(io.out, "# Create each one with: gh api -X POST "+endpoint+" --input FILE")
	if !isOrg {
		fmt.Fprintln(io.out, "# or: contractbot rulesets --apply --repo OWNER/NAME (with the App's credentials).")
	}
	for _, line := range wrap(gitref.RulesetLimits, 100) {
		fmt.Fprintln(io.out, "# "+line)
	}
	for _, rs := range sets {
		b, err := json.MarshalIndent(rs, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(io.out, "\n# %s\n%s\n", rs.Name, b)
	}
	return nil
}

// applyRulesets creates the rulesets that owner/name does not have yet (by
// name), as the App's installation on it.
func applyRulesets(ctx context.Context, io stdio, sets []gitref.Ruleset, owner, name, appID, keyFile, apiURL string) error {
	id, err := strconv.ParseInt(strings.TrimSpace(appID), 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("--apply needs CONTRACTBOT_APP_ID (--app-id), the App's numeric id; got %q", appID)
	}
	if keyFile == "" {
		return errors.New("--apply needs CONTRACTBOT_PRIVATE_KEY_FILE (--private-key-file)")
	}
	key, err := os.ReadFile(keyFile)
	if err != nil {
		return fmt.Errorf("private key: %w", err)
	}
	apps, err := ghclient.NewApps(id, key, apiURL, ghclient.WithUserAgent("contractbot/"+version))
	if err != nil {
		return err
	}
	inst, err := apps.RepoInstallation(ctx, owner, name)
	if err != nil {
		return err
	}
	client, err := apps.Installation(ctx, inst)
	if err != nil {
		return err
	}
	existing, err := client.Rulesets(ctx, owner, name)
	if err != nil {
		return err
	}
	for _, rs := range sets {
		if i := slices.IndexFunc(existing, func(r ghclient.RulesetInfo) bool { return r.Name == rs.Name }); i >= 0 {
			fmt.Fprintf(io.out, "%s/%s: ruleset %q exists (id %d); left as it is\n", owner, name, rs.Name, existing[i].ID)
			continue
		}
		body, err := json.Marshal(rs)
		if err != nil {
			return err
		}
		rid, err := client.CreateRuleset(ctx, owner, name, body)
		if err != nil {
			return err
		}
		fmt.Fprintf(io.out, "%s/%s: created ruleset %q (id %d)\n", owner, name, rs.Name, rid)
	}
	return nil
}
