package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/contractbot/contractbot/internal/app"
	"github.com/contractbot/contractbot/internal/registry"
	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
)

// serveTable is the settings table of `contractbot serve`: each a flag
// whose default comes from an environment variable, so that a container is
// configured by its environment and a developer by flags. Values are
// strings here; serveConfig parses them into an [app.Config], once.
func serveTable(vals map[string]*string) []setting {
	var ss []setting
	for _, s := range []struct{ flag, env, def, usage string }{
		{"app-id", "CONTRACTBOT_APP_ID", "", "the GitHub App's numeric id"},
		{"private-key-file", "CONTRACTBOT_PRIVATE_KEY_FILE", "", "file holding the App's private key (PEM)"},
		{"private-key", "CONTRACTBOT_PRIVATE_KEY", "", "the App's private key itself (PEM), instead of a file"},
		{"webhook-secret", "CONTRACTBOT_WEBHOOK_SECRET", "", "webhook secret; several, comma-separated, during a rotation (required)"},
		{"github-api-url", "CONTRACTBOT_GITHUB_API_URL", app.DefaultAPIURL, "GitHub REST API root; GitHub Enterprise: https://HOST/api/v3/"},
		{"listen", "CONTRACTBOT_LISTEN", app.DefaultListen, "address to serve webhooks, /healthz, /readyz and /metrics on"},
		{"data-dir", "CONTRACTBOT_DATA_DIR", app.DefaultDataDir, "directory of the durable webhook queue"},
		{"queue-url", "CONTRACTBOT_QUEUE_URL", "", "postgres://… URL of a webhook queue shared by several replicas (default: a file in the data directory, one replica)"},
		{"redelivery-interval", "CONTRACTBOT_REDELIVERY_INTERVAL", "5m", "how often GitHub's delivery log is read for deliveries the queue never stored, which are then redelivered: the longest a missed delivery stays missed"},
		{"redelivery-lookback", "CONTRACTBOT_REDELIVERY_LOOKBACK", "72h", "how far back the reconciler reads GitHub's delivery log when it has no record of a completed pass (a new queue), and the most it ever reads back after an outage; GitHub keeps 3 days"},
		{"redelivery-max", "CONTRACTBOT_REDELIVERY_MAX", "100", "most redeliveries one reconciler pass asks GitHub for; the rest wait for the next pass (raise it to recover a long outage faster, within GitHub's rate limits)"},
		{"github-timeout", "CONTRACTBOT_GITHUB_TIMEOUT", "10s", "bound on one attempt of a GitHub API request, headers and body"},
		{"queue-lease", "CONTRACTBOT_QUEUE_LEASE", "15m", "with --queue-url: how long a replica holds a task before another may take it over (a killed replica's tasks wait this long); checks are cut off at half of it, 5m at most"},
		{"soa-repo", "CONTRACTBOT_SOA_REPO", "", "owner/name of the yelpsoa-configs repository (optional)"},
		{"git-cache-bytes", "CONTRACTBOT_GIT_CACHE_BYTES", app.DefaultGitCacheBytes, "disk for the git mirrors in the data directory's git/, like 2GiB (the least recently used mirror is deleted beyond it); 0: no mirrors, every file is read through the REST API"},
		{"paasta-config", "CONTRACTBOT_PAASTA_CONFIG", "", "PaaSTA's system configuration, a directory laid out as a PaaSTA host's /etc, for the checks that need it (optional)"},
		{"sweep-interval", "CONTRACTBOT_SWEEP_INTERVAL", "24h", "how often every installation's repositories are re-checked at the head of their default branch (0: never), so that status stays true after rule or schema changes and missed events"},
		{"service-repos", "CONTRACTBOT_SERVICE_REPOS", "", "service=owner/repo,… for services whose repository neither service.yaml's git_url nor the service's name finds; a soa push re-checks a changed service's repository"},
		{"log-format", "CONTRACTBOT_LOG_FORMAT", "json", "log format: json or console"},
		{"log-level", "CONTRACTBOT_LOG_LEVEL", "info", "log level: debug, info, warn or error"},
		{"workers", "CONTRACTBOT_WORKERS", strconv.Itoa(app.DefaultWorkers), "checks run at once"},
		{"deploy-ref-action", "CONTRACTBOT_DEPLOY_REF_ACTION", app.RefActionReport, "what to do with a malformed PaaSTA deploy tag: report (a failing check run) or delete (also delete it; needs contents: write)"},
		{"registry", "CONTRACTBOT_REGISTRY", "", "Docker registry URL; when set, a deploy tag must name an image that exists there"},
		{"dashboard", "CONTRACTBOT_DASHBOARD", "on", "on or off: the dashboard issue in the soa repository (PaaSTA contract dashboard), edited in place with the fleet's status; needs issues: write"},
		{"dashboard-interval", "CONTRACTBOT_DASHBOARD_INTERVAL", app.DefaultDashboardInterval.String(), "the least time between two edits of the dashboard issue"},
		{"fix-pull-requests", "CONTRACTBOT_FIX_PULL_REQUESTS", "false", "open a pull request with the mechanical fixes when a default branch fails, in every repository whose .contractbot.yaml does not say fix_pull_requests: false (needs contents: write and pull_requests: write)"},
		{"fix-pull-requests-per-hour", "CONTRACTBOT_FIX_PULL_REQUESTS_PER_HOUR", strconv.Itoa(app.DefaultFixPRsPerHour), "fix pull request jobs one installation may run an hour, after a burst of 10, so that a rollout cannot spend the installation's API budget"},
		{"soa-fix-pull-requests", "CONTRACTBOT_SOA_FIX_PULL_REQUESTS", app.SOAFixPerService, "how the soa repository's fix pull requests are cut: per-service (one per service directory, branch contractbot/fix-SERVICE) or per-push (one rolling pull request, branch contractbot/fix, for every service the pushes broke)"},
	} {
		v := s.def
		vals[s.flag] = &v
		ss = append(ss, setting{Flag: s.flag, Env: s.env, Usage: s.usage, Value: stringValue{&v}})
	}
	return ss
}

func runServe(ctx context.Context, io stdio, args []string) error {
	flags := newFlags(io, "serve", "serve [flags] (every flag can also be set by the environment variable named in its help)")
	vals := map[string]*string{}
	if err := register(flags, serveTable(vals), os.LookupEnv); err != nil {
		return err
	}
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("takes no arguments, got %q", flags.Arg(0))
	}
	cfg, err := serveConfig(func(name string) string { return *vals[name] }, io.err)
	if err != nil {
		return err
	}
	return app.Serve(ctx, cfg)
}

// serveConfig turns the settings into an [app.Config], reading the key file
// and building the logger. Errors are one line and name the setting.
func serveConfig(get func(flag string) string, logOut io.Writer) (app.Config, error) {
	cfg := app.Config{
		APIURL:       get("github-api-url"),
		Listen:       get("listen"),
		DataDir:      get("data-dir"),
		QueueURL:     strings.TrimSpace(get("queue-url")),
		SOARepo:      strings.TrimSpace(get("soa-repo")),
		ServiceRepos: get("service-repos"),
		PaastaConfig: strings.TrimSpace(get("paasta-config")),
		UserAgent:    "contractbot/" + version,
	}
	if s := strings.TrimSpace(get("app-id")); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return cfg, fmt.Errorf("CONTRACTBOT_APP_ID (--app-id) is %q; want the App's numeric id", s)
		}
		cfg.AppID = id
	}
	switch key, file := get("private-key"), get("private-key-file"); {
	case key != "" && file != "":
		return cfg, fmt.Errorf("set CONTRACTBOT_PRIVATE_KEY or CONTRACTBOT_PRIVATE_KEY_FILE, not both")
	case file != "":
		if err := checkKeyFileMode(file); err != nil {
			return cfg, fmt.Errorf("CONTRACTBOT_PRIVATE_KEY_FILE: %w", err)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return cfg, fmt.Errorf("CONTRACTBOT_PRIVATE_KEY_FILE: %w", err)
		}
		cfg.PrivateKeyPEM = b
	case key != "":
		// Some secret stores and .env files keep a PEM on one line with
		// literal \n; turn them back into newlines.
		if !strings.Contains(key, "\n") {
			key = strings.ReplaceAll(key, `\n`, "\n")
		}
		cfg.PrivateKeyPEM = []byte(key)
	}
	for _, s := range strings.Split(get("webhook-secret"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			cfg.WebhookSecrets = append(cfg.WebhookSecrets, []byte(s))
		}
	}
	if s := strings.TrimSpace(get("workers")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return cfg, fmt.Errorf("CONTRACTBOT_WORKERS (--workers) is %q; want a positive number", s)
		}
		cfg.Workers = n
	}
	if s := strings.TrimSpace(get("sweep-interval")); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || (d != 0 && d < 10*time.Second) {
			return cfg, fmt.Errorf("CONTRACTBOT_SWEEP_INTERVAL (--sweep-interval) is %q; want 0 or a duration of at least 10s, like 24h", s)
		}
		cfg.SweepInterval = d
	}
	switch s := strings.TrimSpace(get("dashboard")); s {
	case "", "on":
	case "off":
		cfg.DashboardOff = true
	default:
		return cfg, fmt.Errorf("CONTRACTBOT_DASHBOARD (--dashboard) is %q; want on or off", s)
	}
	if s := strings.TrimSpace(get("dashboard-interval")); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < time.Second {
			return cfg, fmt.Errorf("CONTRACTBOT_DASHBOARD_INTERVAL (--dashboard-interval) is %q; want a duration of at least 1s, like 5m", s)
		}
		cfg.DashboardInterval = d
	}
	if s := strings.TrimSpace(get("redelivery-interval")); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 10*time.Second {
			return cfg, fmt.Errorf("CONTRACTBOT_REDELIVERY_INTERVAL (--redelivery-interval) is %q; want a duration of at least 10s, like 5m", s)
		}
		cfg.RedeliveryInterval = d
	}
	if s := strings.TrimSpace(get("redelivery-lookback")); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < time.Minute || d > 72*time.Hour {
			return cfg, fmt.Errorf("CONTRACTBOT_REDELIVERY_LOOKBACK (--redelivery-lookback) is %q; want a duration from 1m to 72h (GitHub keeps deliveries 3 days), like 72h", s)
		}
		cfg.RedeliveryLookback = d
	}
	if s := strings.TrimSpace(get("redelivery-max")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return cfg, fmt.Errorf("CONTRACTBOT_REDELIVERY_MAX (--redelivery-max) is %q; want a positive number", s)
		}
		cfg.RedeliveryMax = n
	}
	if s := strings.TrimSpace(get("github-timeout")); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 100*time.Millisecond {
			return cfg, fmt.Errorf("CONTRACTBOT_GITHUB_TIMEOUT (--github-timeout) is %q; want a duration of at least 100ms, like 10s", s)
		}
		cfg.GitHubTimeout = d
	}
	if s := strings.TrimSpace(get("git-cache-bytes")); s != "" {
		n, err := parseBytes(s)
		if err != nil {
			return cfg, fmt.Errorf("CONTRACTBOT_GIT_CACHE_BYTES (--git-cache-bytes) is %q; want a size like 2GiB, 500MiB or 0", s)
		}
		cfg.GitCacheBytes = n
	}
	if s := strings.TrimSpace(get("queue-lease")); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < time.Second {
			return cfg, fmt.Errorf("CONTRACTBOT_QUEUE_LEASE (--queue-lease) is %q; want a duration of at least 1s, like 15m", s)
		}
		cfg.QueueLease = d
	}
	cfg.DeployRefAction = strings.TrimSpace(get("deploy-ref-action"))
	if s := strings.TrimSpace(get("fix-pull-requests")); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return cfg, fmt.Errorf("CONTRACTBOT_FIX_PULL_REQUESTS (--fix-pull-requests) is %q; want true or false", s)
		}
		cfg.FixPullRequests = b
	}
	if s := strings.TrimSpace(get("fix-pull-requests-per-hour")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return cfg, fmt.Errorf("CONTRACTBOT_FIX_PULL_REQUESTS_PER_HOUR (--fix-pull-requests-per-hour) is %q; want a positive number", s)
		}
		cfg.FixPRsPerHour = n
	}
	cfg.SOAFixPullRequests = strings.TrimSpace(get("soa-fix-pull-requests"))
	if u := strings.TrimSpace(get("registry")); u != "" {
		images, err := registry.New(u, registry.Options{})
		if err != nil {
			return cfg, fmt.Errorf("CONTRACTBOT_REGISTRY (--registry): %w", err)
		}
		cfg.Images = images
	}
	logger, err := newLogger(logOut, get("log-format"), get("log-level"))
	if err != nil {
		return cfg, err
	}
	cfg.Logger = logger
	return cfg, cfg.Validate()
}

// newLogger returns the server's logger: JSON lines (the default, for log
// collectors) or human-readable console output.
func newLogger(w io.Writer, format, level string) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(strings.ToLower(strings.TrimSpace(level)))
	if err != nil || lvl == zerolog.NoLevel {
		return zerolog.Logger{}, fmt.Errorf("CONTRACTBOT_LOG_LEVEL (--log-level) is %q; want debug, info, warn or error", level)
	}
	switch strings.ToLower(strings.TrimSpace(format)) {
	case "json", "":
	case "console":
		// Colour only for a person at a terminal: in a log file or a
		// collector the escape codes are noise (NO_COLOR turns it off).
		w = zerolog.ConsoleWriter{Out: w, NoColor: !colorTerminal(w)}
	default:
		return zerolog.Logger{}, fmt.Errorf("CONTRACTBOT_LOG_FORMAT (--log-format) is %q; want json or console", format)
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Str("service", "contractbot").Logger(), nil
}

// colorTerminal reports whether w is a terminal that wants colour: not a
// file, a pipe or /dev/null, and NO_COLOR unset (https://no-color.org).
func colorTerminal(w io.Writer) bool {
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		return false
	}
	f, ok := w.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}

// checkKeyFileMode refuses a private key file that other users can modify:
// whoever can replace the key can act as the App on every installation.
// Group- or world-readable files are accepted, since Kubernetes mounts
// secrets 0644 by default and the container runs one user; restrict them
// where you can (chmod 0600, or the secret volume's defaultMode).
func checkKeyFileMode(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("%s is writable by other users (mode %04o): chmod go-w %s", path, perm, path)
	}
	return nil
}
