package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRefCheck(t *testing.T) {
	soa := t.TempDir()
	if err := os.MkdirAll(filepath.Join(soa, "web"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(soa, "web", "deploy.yaml"), []byte("pipeline:\n- step: itest\n- step: prod.main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		code     int
		out, err string
	}{
		{"a well-formed deploy tag is described", []string{"check", "refs/tags/paasta-prod.main+v2-20260102T030405-deploy"}, 0,
			"refs/tags/paasta-prod.main+v2-20260102T030405-deploy: ok: deploy tag for deploy group prod.main at 2026-01-02 03:04:05 UTC, image version v2\n", ""},
		{"a bad timestamp exits 1 with the reason", []string{"check", "refs/tags/paasta-prod.main-2026-01-01-deploy"}, 1,
			`refs/tags/paasta-prod.main-2026-01-01-deploy: error: bad timestamp "2026-01-01"`, ""},
		{"month 13 exits 1 with the reason", []string{"check", "refs/heads/main", "refs/tags/paasta-prod.main-20261301T000000-deploy"}, 1,
			"refs/heads/main: ok: not a PaaSTA ref\nrefs/tags/paasta-prod.main-20261301T000000-deploy: error: bad timestamp \"20261301T000000\": there is no month 13 (column 32)", ""},
		{"an unknown deploy group exits 1 with a soa dir", []string{"check", "--soa-dir", soa, "--service", "web", "refs/tags/paasta-canary-20260102T030405-deploy"}, 1,
			`deploy group "canary" is not a deploy step of web/deploy.yaml (deploy groups: prod.main)`, ""},
		{"a known deploy group passes with a soa dir", []string{"check", "--soa-dir", soa, "--service", "web", "refs/tags/paasta-prod.main-20260102T030405-deploy"}, 0,
			"ok: deploy tag", ""},
		{"no ref names is a usage error", []string{"check"}, 2, "", "want at least one REFNAME"},
		{"a soa dir without a service is a usage error", []string{"check", "--soa-dir", soa, "refs/heads/x"}, 2, "", "--soa-dir and --service go together"},
		{"a missing subcommand is a usage error", nil, 2, "", "want a subcommand"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), stdio{strings.NewReader(""), &out, &errb}, append([]string{"ref"}, tt.args...))
			if code != tt.code || !strings.Contains(out.String(), tt.out) || !strings.Contains(errb.String(), tt.err) {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out.String(), errb.String())
			}
		})
	}
}
