package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contractbot/contractbot/internal/app"
)

const testPEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n"

func settings(kv ...string) func(string) string {
	m := map[string]string{}
	vals := map[string]*string{}
	serveTable(vals)
	for name, v := range vals {
		m[name] = *v
	}
	m["app-id"], m["private-key"], m["webhook-secret"] = "42", testPEM, "s3cret"
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestServeConfig_RefusesWhatWouldMakeTheAppUnsafeOrUnusable(t *testing.T) {
	for _, tc := range []struct {
		name    string
		get     func(string) string
		wantErr string
	}{
		{"an empty webhook secret", settings("webhook-secret", ""), "CONTRACTBOT_WEBHOOK_SECRET is empty"},
		{"a webhook secret of only commas", settings("webhook-secret", " , ,"), "CONTRACTBOT_WEBHOOK_SECRET is empty"},
		{"no app id", settings("app-id", ""), "CONTRACTBOT_APP_ID"},
		{"an app id that is no number", settings("app-id", "contractbot"), "CONTRACTBOT_APP_ID"},
		{"no private key", settings("private-key", ""), "CONTRACTBOT_PRIVATE_KEY_FILE or CONTRACTBOT_PRIVATE_KEY"},
		{"both a key and a key file", settings("private-key-file", "/k.pem"), "not both"},
		{"a missing key file", settings("private-key", "", "private-key-file", "/nonexistent/k.pem"), "CONTRACTBOT_PRIVATE_KEY_FILE"},
		{"a soa repository without owner", settings("soa-repo", "yelpsoa-configs"), "CONTRACTBOT_SOA_REPO"},
		{"an unknown log format", settings("log-format", "xml"), "CONTRACTBOT_LOG_FORMAT"},
		{"an unknown log level", settings("log-level", "loud"), "CONTRACTBOT_LOG_LEVEL"},
		{"no workers", settings("workers", "0"), "CONTRACTBOT_WORKERS"},
		{"a queue lease that is no duration", settings("queue-lease", "15"), "CONTRACTBOT_QUEUE_LEASE"},
		{"a queue lease under a second", settings("queue-lease", "10ms"), "CONTRACTBOT_QUEUE_LEASE"},
		{"an unknown deploy-ref action", settings("deploy-ref-action", "shout"), "CONTRACTBOT_DEPLOY_REF_ACTION"},
		{"a registry that is no URL", settings("registry", "registry.example.com"), "CONTRACTBOT_REGISTRY"},
		{"a redelivery interval too short to be kind to GitHub", settings("redelivery-interval", "1s"), "CONTRACTBOT_REDELIVERY_INTERVAL"},
		{"a redelivery look-back beyond GitHub's three days", settings("redelivery-lookback", "96h"), "CONTRACTBOT_REDELIVERY_LOOKBACK"},
		{"a GitHub timeout that is no duration", settings("github-timeout", "10"), "CONTRACTBOT_GITHUB_TIMEOUT"},
		{"no redeliveries per pass", settings("redelivery-max", "0"), "CONTRACTBOT_REDELIVERY_MAX"},
		{"an unknown way to cut the soa repository's fix pull requests", settings("soa-fix-pull-requests", "per-commit"), "CONTRACTBOT_SOA_FIX_PULL_REQUESTS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := serveConfig(tc.get, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), "\n") {
				t.Errorf("err = %v, want one line containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestServeConfig_ReadsSecretsForRotationAndKeysWithEscapedNewlines(t *testing.T) {
	cfg, err := serveConfig(settings("webhook-secret", "old, new", "private-key", strings.ReplaceAll(testPEM, "\n", `\n`), "soa-repo", "acme/yelpsoa-configs"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.WebhookSecrets) != 2 || string(cfg.WebhookSecrets[0]) != "old" || string(cfg.WebhookSecrets[1]) != "new" {
		t.Errorf("secrets = %q, want old and new", cfg.WebhookSecrets)
	}
	if string(cfg.PrivateKeyPEM) != testPEM {
		t.Errorf("key = %q, want the PEM with real newlines", cfg.PrivateKeyPEM)
	}
	if cfg.AppID != 42 || cfg.SOARepo != "acme/yelpsoa-configs" {
		t.Errorf("app id %d, soa repo %q", cfg.AppID, cfg.SOARepo)
	}
	if cfg.Listen != app.DefaultListen || cfg.APIURL != app.DefaultAPIURL || cfg.DataDir != app.DefaultDataDir || cfg.Workers != app.DefaultWorkers {
		t.Errorf("defaults: listen %q, api %q, data %q, workers %d", cfg.Listen, cfg.APIURL, cfg.DataDir, cfg.Workers)
	}
}

func TestRunServe_TakesItsSettingsFromTheEnvironmentAndFlagsWin(t *testing.T) {
	t.Setenv("CONTRACTBOT_APP_ID", "")
	t.Setenv("CONTRACTBOT_WEBHOOK_SECRET", "")
	_, err := runCmd(t, runServe)
	if err == nil || !strings.Contains(err.Error(), "CONTRACTBOT_APP_ID") {
		t.Fatalf("no settings: err = %v, want one naming CONTRACTBOT_APP_ID", err)
	}
	t.Setenv("CONTRACTBOT_APP_ID", "42")
	t.Setenv("CONTRACTBOT_PRIVATE_KEY", testPEM)
	t.Setenv("CONTRACTBOT_PRIVATE_KEY_FILE", "")
	t.Setenv("CONTRACTBOT_WEBHOOK_SECRET", "s3cret")
	_, err = runCmd(t, runServe, "--webhook-secret", "", "--listen", "127.0.0.1:0")
	if err == nil || !strings.Contains(err.Error(), "CONTRACTBOT_WEBHOOK_SECRET is empty") {
		t.Fatalf("--webhook-secret \"\": err = %v, want the flag to override the environment and be refused", err)
	}
}

func TestServeConfig_RefusesAKeyFileOthersCanReplace(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		mode    os.FileMode
		wantErr string
	}{
		{0o600, ""},
		{0o644, ""}, // Kubernetes' default for secret volumes
		{0o664, "writable by other users (mode 0664)"},
		{0o602, "writable by other users (mode 0602)"},
	} {
		path := filepath.Join(dir, fmt.Sprintf("key-%o.pem", tc.mode))
		if err := os.WriteFile(path, []byte(testPEM), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, tc.mode); err != nil {
			t.Fatal(err)
		}
		_, err := serveConfig(settings("private-key", "", "private-key-file", path), io.Discard)
		if tc.wantErr == "" && err != nil && strings.Contains(err.Error(), "writable") {
			t.Errorf("mode %04o refused: %v", tc.mode, err)
		}
		if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("mode %04o: err = %v, want %q", tc.mode, err, tc.wantErr)
		}
	}
}

// Console logs are coloured only on a terminal: a file, a pipe or a
// buffer gets plain text, never escape codes.
func TestConsoleLogsHaveNoColourOutsideATerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "serve.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var buf bytes.Buffer
	for _, w := range []io.Writer{f, &buf} {
		logger, err := newLogger(w, "console", "info")
		if err != nil {
			t.Fatal(err)
		}
		logger.Info().Str("repo", "web").Msg("check run published")
	}
	data, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"a file": string(data), "a buffer": buf.String()} {
		if !strings.Contains(out, "check run published") || strings.Contains(out, "\x1b[") {
			t.Errorf("%s: %q", name, out)
		}
	}
	if null, err := os.Open(os.DevNull); err == nil {
		defer null.Close()
		if colorTerminal(null) {
			t.Errorf("%s counts as a terminal", os.DevNull)
		}
	}
}
