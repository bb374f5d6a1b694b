package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"net/url"
	"strings"
)

// appManifest is a GitHub App manifest: what GitHub needs to register
// contractbot as an App. app.yml at the repository root is the same
// manifest for people and other tools; a test keeps the two equal.
// https://docs.github.com/en/apps/sharing-github-apps/registering-a-github-app-from-a-manifest
type appManifest struct {
	Name               string            `json:"name" yaml:"name"`
	URL                string            `json:"url" yaml:"url"`
	Description        string            `json:"description" yaml:"description"`
	HookAttributes     hookAttributes    `json:"hook_attributes" yaml:"hook_attributes"`
	RedirectURL        string            `json:"redirect_url,omitempty" yaml:"redirect_url,omitempty"`
	Public             bool              `json:"public" yaml:"public"`
	DefaultEvents      []string          `json:"default_events" yaml:"default_events"`
	DefaultPermissions map[string]string `json:"default_permissions" yaml:"default_permissions"`
}

type hookAttributes struct {
	URL    string `json:"url" yaml:"url"`
	Active bool   `json:"active" yaml:"active"`
}

// manifestPlaceholderURL is the App's public address in app.yml, to be
// replaced by the address where `contractbot serve` is reachable.
const manifestPlaceholderURL = "https://contractbot.example.com"

// newAppManifest returns the manifest for an App served at base (scheme and
// host, optionally a path prefix): webhooks go to base/webhook.
func newAppManifest(base string) appManifest {
	return newAppManifestFor(base, false)
}

// newAppManifestFor is [newAppManifest] that, with fixPRs, also asks for
// contents: write, which the fix pull requests need (they push branch
// contractbot/fix). It is not the default: most installations want an App
// that cannot write code, and without it the feature says it is off.
func newAppManifestFor(base string, fixPRs bool) appManifest {
	base = strings.TrimRight(base, "/")
	m := appManifest{
		Name:        "contractbot",
		URL:         "https://github.com/contractbot/contractbot",
		Description: "Checks services against the PaaSTA contract on every push and pull request, with the file, the line and the fix.",
		HookAttributes: hookAttributes{
			URL:    base + "/webhook",
			Active: true,
		},
		RedirectURL: base + "/",
		Public:      false,
		// create and delete are for the deploy-ref guard (paasta
		// mark-for-deployment pushes refs); check_suite and check_run make
		// the Re-run buttons work.
		DefaultEvents: []string{"push", "pull_request", "check_suite", "check_run", "create", "delete"},
		DefaultPermissions: map[string]string{
			"checks":        "write", // publish check runs with annotations
			"contents":      "read",  // read trees and files, never write
			"pull_requests": "write", // inline review comments with fixes
			"issues":        "write", // the dashboard issue in the soa repository
			"metadata":      "read",  // mandatory for every App
		},
	}
	if fixPRs {
		m.DefaultPermissions["contents"] = "write" // push contractbot/fix
	}
	return m
}

// manifestForm posts the manifest to GitHub's "register an App" page, the
// first step of the manifest flow.
var manifestForm = template.Must(template.New("form").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Register contractbot</title></head>
<body>
<form action="{{.Action}}" method="post">
<input type="hidden" name="manifest" value="{{.Manifest}}">
<p>Registers a GitHub App named contractbot with webhooks to {{.Hook}}.</p>
<input type="submit" value="Register contractbot on GitHub">
</form>
</body></html>
`))

func runAppManifest(_ context.Context, io stdio, args []string) error {
	flags := newFlags(io, "app-manifest", "app-manifest [--url URL] [--fix-pull-requests] [--form [--org ORG] [--github-url URL]]")
	base := flags.String("url", manifestPlaceholderURL, "public address of contractbot serve; webhooks go to URL/webhook")
	form := flags.Bool("form", false, "print an HTML page whose button registers the App on GitHub, instead of the JSON manifest")
	org := flags.String("org", "", "with --form: register the App for this organization (default: your user account)")
	ghURL := flags.String("github-url", "https://github.com", "with --form: GitHub's web address (GitHub Enterprise: https://HOST)")
	fixPRs := flags.Bool("fix-pull-requests", false, "also ask for contents: write, which fix pull requests need (the App then can push code)")
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("takes no arguments, got %q", flags.Arg(0))
	}
	u, err := url.Parse(*base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("--url %q: want the App's public address, like https://contractbot.example.com", *base)
	}
	m := newAppManifestFor(*base, *fixPRs)
	if !*form {
		enc := json.NewEncoder(io.out)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	action := strings.TrimRight(*ghURL, "/") + "/settings/apps/new"
	if *org != "" {
		action = strings.TrimRight(*ghURL, "/") + "/organizations/" + url.PathEscape(*org) + "/settings/apps/new"
	}
	// GitHub hands state back on the redirect with the code; comparing it
	// shows that the code comes from this registration (no forged redirect).
	var nonce [16]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return err
	}
	state := hex.EncodeToString(nonce[:])
	action += "?state=" + state
	fmt.Fprintf(io.err, "state %s: GitHub's redirect after registering must carry state=%s\n", state, state)
	return manifestForm.Execute(io.out, map[string]string{"Action": action, "Manifest": string(b), "Hook": m.HookAttributes.URL})
}
