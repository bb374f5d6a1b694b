package soa

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The differential test runs contractbot's schema step and PaaSTA's (the
// reference schema_oracle.py: python3, PyYAML, jsonschema Draft4Validator
// over the upstream schemas) over the same files and requires the same
// valid/invalid verdict for each file. It covers the reference example
// trees and a few hundred generated mutations, against both the built-in
// definitions and the upstream schema files loaded with LoadSchemas (what
// --paasta-schemas does).

// sharedDir returns ../shared next to the repository root, or "" if absent.
func sharedDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
	shared := filepath.Join(dir, "..", "shared", "reference", "paasta")
	if _, err := os.Stat(filepath.Join(shared, "schema_oracle.py")); err != nil {
		return ""
	}
	return shared
}

// needOracle skips (or, under CONTRACTBOT_REQUIRE_ITEST=1, fails) when the
// reference data or python3 with jsonschema and PyYAML is missing.
func needOracle(t *testing.T) string {
	t.Helper()
	missing := func(why string) {
		if os.Getenv("CONTRACTBOT_REQUIRE_ITEST") == "1" {
			t.Fatalf("CONTRACTBOT_REQUIRE_ITEST=1 but %s", why)
		}
		t.Skip(why)
	}
	shared := sharedDir(t)
	if shared == "" {
		missing("../shared/reference/paasta is not there")
	}
	if out, err := exec.Command("python3", "-c", "import jsonschema, yaml").CombinedOutput(); err != nil {
		missing(fmt.Sprintf("python3 with jsonschema and PyYAML is not available: %v %s", err, out))
	}
	return shared
}

// oracleVerdicts runs schema_oracle.py's validate_service_dir over dirs in
// one python3 process and returns "dir\x00rel" -> ok.
func oracleVerdicts(t *testing.T, shared string, dirs []string) map[string]bool {
	t.Helper()
	const driver = `
import sys
sys.path.insert(0, sys.argv[1])
import schema_oracle
for d in sys.argv[2:]:
    print("DIR " + d, flush=True)
    schema_oracle.validate_service_dir(d, with_deploy=True)
    sys.stdout.flush()
`
	args := append([]string{"-c", driver, shared}, dirs...)
	cmd := exec.Command("python3", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("schema oracle failed: %v\n%s", err, stderr.String())
	}
	verdicts := map[string]bool{}
	cur := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "DIR "):
			cur = strings.TrimPrefix(line, "DIR ")
		case strings.HasPrefix(line, "OK "), strings.HasPrefix(line, "FAIL "):
			fields := strings.Fields(line)
			rel, typ := fields[1], strings.TrimSuffix(fields[2], ":")
			key := cur + "\x00" + rel + "\x00" + typ
			verdicts[key] = fields[0] == "OK"
		}
	}
	return verdicts
}

// ourVerdicts applies contractbot's schema step to a service directory the
// way paasta validate does: every non-hidden, non-linked *.yaml under it,
// against every schema type its relative path starts with, plus
// deploy.yaml against the deploy schema; a k8s/eks file must also have no
// instance name over 63 characters once sanitised.
func ourVerdicts(t *testing.T, schemas Schemas, dir string) (map[string]bool, map[string]string) {
	t.Helper()
	lim := DefaultLimits()
	lim.MaxFiles = 1 << 20 // mutation directories can be far larger than a real service
	svc, err := LoadService(os.DirFS(filepath.Dir(dir)), filepath.Base(dir), lim)
	if err != nil {
		t.Fatalf("loading %s: %v", dir, err)
	}
	verdicts, why := map[string]bool{}, map[string]string{}
	for _, f := range svc.Files {
		types := SchemaTypesFor(f.Rel)
		if f.Rel == "deploy.yaml" {
			types = append([]string{"deploy"}, types...)
		}
		for _, typ := range types {
			key := dir + "\x00" + f.Rel + "\x00" + typ
			s := schemas[typ]
			if s == nil {
				t.Fatalf("no schema %q", typ)
			}
			switch {
			case f.Err != nil:
				verdicts[key], why[key] = false, f.Err.Error()
			default:
				vs := Validate(s, f.Root)
				if len(vs) == 0 && (typ == "kubernetes" || typ == "eks") {
					for _, k := range f.Root.Keys {
						if name, ok := k.Str(); ok && !strings.HasPrefix(name, "_") && KubernetesNameLen(name) > MaxKubernetesName {
							vs = append(vs, Violation{Line: k.Line, Message: "instance name too long"})
						}
					}
				}
				verdicts[key] = len(vs) == 0
				if len(vs) > 0 {
					why[key] = vs[0].String()
				}
			}
		}
	}
	return verdicts, why
}

// serviceDirsUnder lists every directory under root that directly holds a
// *.yaml file, as the reference trees nest service directories at varying
// depths.
func serviceDirsUnder(t *testing.T, root string) []string {
	t.Helper()
	seen := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.IsDir() || !strings.HasSuffix(p, ".yaml"):
		case filepath.Base(filepath.Dir(p)) == "autotuned_defaults":
			seen[filepath.Dir(filepath.Dir(p))] = true
		default:
			seen[filepath.Dir(p)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for d := range seen {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	return dirs
}

func TestSchemaVerdictsMatchPaastaValidate(t *testing.T) {
	shared := needOracle(t)
	dirs := serviceDirsUnder(t, filepath.Join(shared, "examples"))
	mutRoot := t.TempDir()
	mutated := writeMutations(t, mutRoot)
	dirs = append(dirs, serviceDirsUnder(t, mutRoot)...)
	fixtures := filepath.Join("..", "..", "fixtures", "yelpsoa-configs")
	if _, err := os.Stat(fixtures); err == nil {
		abs, _ := filepath.Abs(fixtures)
		for _, d := range serviceDirsUnder(t, abs) {
			// The yaml-syntax fixtures hold a non-UTF-8 file, on which
			// PyYAML (and so paasta validate) raises instead of reporting.
			if !strings.Contains(d, filepath.Join("bad", "yaml-syntax")) {
				dirs = append(dirs, d)
			}
		}
	}

	oracle := oracleVerdicts(t, shared, dirs)
	if len(oracle) < 200+20 {
		t.Fatalf("the oracle judged only %d files; expected the examples plus at least 200 mutations", len(oracle))
	}
	builtin, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	upstream, err := LoadSchemas(os.DirFS(filepath.Join(shared, "schemas")))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		schemas Schemas
	}{{"built-in definitions", builtin}, {"upstream schema files", upstream}} {
		t.Run(tc.name, func(t *testing.T) {
			ours, why := map[string]bool{}, map[string]string{}
			for _, d := range dirs {
				v, w := ourVerdicts(t, tc.schemas, d)
				for k, ok := range v {
					ours[k] = ok
					why[k] = w[k]
				}
			}
			agree, invalid := 0, 0
			for k, want := range oracle {
				got, ok := ours[k]
				name := strings.ReplaceAll(k, "\x00", " ")
				switch {
				case !ok:
					t.Errorf("%s: paasta validate judged it, contractbot did not look at it", name)
				case got != want:
					t.Errorf("%s: contractbot says valid=%v (%s), paasta validate says valid=%v", name, got, why[k], want)
				default:
					agree++
				}
				if !want {
					invalid++
				}
			}
			for k := range ours {
				if _, ok := oracle[k]; !ok {
					t.Errorf("%s: contractbot judged it, paasta validate did not", strings.ReplaceAll(k, "\x00", " "))
				}
			}
			t.Logf("%d files compared (%d generated mutations, %d invalid per paasta validate): %d agree", len(oracle), mutated, invalid, agree)
		})
	}
}
