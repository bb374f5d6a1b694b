package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(context.Background(), stdio{strings.NewReader(""), &out, &errb}, args)
	return code, out.String(), errb.String()
}

func TestInspectMakefile(t *testing.T) {
	webAPI := filepath.Join("..", "..", "fixtures", "services", "web-api")
	t.Run("json output is the facts", func(t *testing.T) {
		code, out, errs := runCLI("inspect", "makefile", "--format", "json", webAPI)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		var facts struct {
			Targets map[string]struct {
				Defined bool   `json:"defined"`
				How     string `json:"how"`
			} `json:"targets"`
			DockerTag struct {
				Defined, Conditional, Exported bool
				Default                        *string `json:"default"`
			} `json:"docker_tag"`
			Itest     *bool    `json:"itest_uses_docker_tag"`
			CookImage *bool    `json:"cook_image_uses_docker_tag"`
			Missing   []string `json:"missing_includes"`
		}
		if err := json.Unmarshal([]byte(out), &facts); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if !facts.Targets["itest"].Defined || facts.Targets["itest"].How != "explicit" || !facts.DockerTag.Conditional ||
			facts.DockerTag.Default == nil || *facts.DockerTag.Default != "web-api--dev" || facts.Itest == nil || !*facts.Itest ||
			facts.Missing == nil {
			t.Errorf("unexpected facts:\n%s", out)
		}
	})
	t.Run("json output is what check records as the makefile fact", func(t *testing.T) {
		for _, svc := range []string{"web-api", "legacy-service", "bad-tabs"} {
			dir := filepath.Join("..", "..", "fixtures", "services", svc)
			_, inspected, _ := runCLI("inspect", "makefile", "--format", "json", dir)
			_, checked, errs := runCLI("check", "--format", "json", dir)
			var res struct {
				Facts map[string]json.RawMessage `json:"facts"`
			}
			if err := json.Unmarshal([]byte(checked), &res); err != nil {
				t.Fatalf("%s: %v\n%s%s", svc, err, checked, errs)
			}
			if canonical(t, []byte(inspected)) != canonical(t, res.Facts["makefile"]) {
				t.Errorf("%s: inspect and check disagree:\n%s\n%s", svc, inspected, res.Facts["makefile"])
			}
		}
	})
	t.Run("a Makefile path works like its directory", func(t *testing.T) {
		_, a, _ := runCLI("inspect", "makefile", "--format", "json", webAPI)
		_, b, _ := runCLI("inspect", "makefile", "--format", "json", filepath.Join(webAPI, "Makefile"))
		if a != b || a == "" {
			t.Errorf("directory and file disagree:\n%s\n%s", a, b)
		}
	})
	t.Run("text output names the places", func(t *testing.T) {
		code, out, _ := runCLI("inspect", "makefile", webAPI)
		for _, want := range []string{"cook-image  explicit   mk/docker.mk:5  uses DOCKER_TAG: yes", `default: "web-api--dev"`, "set at Makefile:8 (?=)"} {
			if code != 0 || !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("includes cannot leave the directory, even through a symlink", func(t *testing.T) {
		dir := t.TempDir()
		secret := filepath.Join(t.TempDir(), "secret.mk")
		os.WriteFile(secret, []byte("DOCKER_TAG ?= leaked\n"), 0o644)
		os.Symlink(secret, filepath.Join(dir, "link.mk"))
		os.WriteFile(filepath.Join(dir, "Makefile"), []byte("-include link.mk ../x.mk "+secret+"\n"), 0o644)
		code, out, errs := runCLI("inspect", "makefile", "--format", "json", dir)
		if code != 0 || strings.Contains(out, "leaked") || !strings.Contains(out, `"link.mk"`) {
			t.Errorf("exit %d, stderr %s, output:\n%s", code, errs, out)
		}
	})
	t.Run("usage errors exit 2 with one line", func(t *testing.T) {
		for _, args := range [][]string{
			{"inspect"},
			{"inspect", "dockerfile", "."},
			{"inspect", "makefile"},
			{"inspect", "makefile", "--format", "yaml", webAPI},
			{"inspect", "makefile", "/nonexistent/dir"},
			{"inspect", "makefile", filepath.Join("..", "..", "fixtures", "services", "no-makefile")},
		} {
			code, _, errs := runCLI(args...)
			if code != 2 || strings.Count(strings.TrimSpace(errs), "\n") != 0 || errs == "" {
				t.Errorf("%v: exit %d, stderr %q", args, code, errs)
			}
		}
	})
}

// canonical re-encodes JSON so that layout does not matter.
func canonical(t *testing.T, b []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	out, _ := json.Marshal(v)
	return string(out)
}
