package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// actionFile is the part of action.yml the test reads.
type actionFile struct {
	Inputs map[string]struct {
		Default string `yaml:"default"`
	} `yaml:"inputs"`
	Runs struct {
		Using string `yaml:"using"`
		Steps []struct {
			Shell string            `yaml:"shell"`
			Env   map[string]string `yaml:"env"`
			Run   string            `yaml:"run"`
		} `yaml:"steps"`
	} `yaml:"runs"`
}

var expression = regexp.MustCompile(`^\$\{\{ (inputs\.[a-z-]+|github\.action_path|github\.action_ref) \}\}$`)

// The repository's GitHub Action runs its script on the bundled example as
// the runner would: the inputs reach the shell through the environment
// only, the script builds contractbot from the action's checkout with the
// local Go (no network: the module cache) and checks the workspace,
// annotating with workflow commands and writing SARIF at repository paths.
func TestActionChecksTheBundledExample(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not installed")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a actionFile
	if err := yaml.Unmarshal(data, &a); err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range a.Inputs {
		names = append(names, n)
	}
	slices.Sort(names)
	if a.Runs.Using != "composite" || !slices.Equal(names, []string{"format", "path", "sarif-file", "soa-dir"}) || a.Inputs["format"].Default != "github" {
		t.Fatalf("action.yml: using %q, inputs %v (format defaults to %q); want a composite action with path, soa-dir, format (github) and sarif-file",
			a.Runs.Using, names, a.Inputs["format"].Default)
	}

	sarif := filepath.Join(t.TempDir(), "contractbot.sarif")
	values := map[string]string{
		"inputs.path":        "fixtures/services/legacy-service",
		"inputs.soa-dir":     "fixtures/yelpsoa-configs/example",
		"inputs.format":      "github",
		"inputs.sarif-file":  sarif,
		"github.action_path": root,
		"github.action_ref":  "test",
	}
	var stdout, stderr bytes.Buffer
	code := 0
	for i, step := range a.Runs.Steps {
		if strings.Contains(step.Run, "${{") || step.Shell != "bash" {
			t.Fatalf("step %d: shell %q, run %q: a bash step whose code has no ${{ }} (inputs go through env)", i, step.Shell, step.Run)
		}
		cmd := exec.Command(bash, "-e", "-c", step.Run)
		cmd.Dir = root // the workspace: here, this repository's checkout
		cmd.Env = append(os.Environ(), "RUNNER_TEMP="+t.TempDir())
		for k, v := range step.Env {
			m := expression.FindStringSubmatch(v)
			if m == nil {
				t.Fatalf("step %d: env %s = %q: want one ${{ inputs.X }} or ${{ github.action_path }}", i, k, v)
			}
			cmd.Env = append(cmd.Env, k+"="+values[m[1]])
		}
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		var ee *exec.ExitError
		if err := cmd.Run(); errors.As(err, &ee) {
			code = ee.ExitCode()
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if code != exitFindings {
		t.Fatalf("exit %d, want %d (the example breaks the contract)\nstdout:\n%s\nstderr:\n%s", code, exitFindings, stdout.String(), stderr.String())
	}
	for _, want := range []string{
		"::error file=fixtures/services/legacy-service/Makefile,line=3,",
		"::error file=fixtures/yelpsoa-configs/example/legacy-service/kubernetes-norcal-prod.yaml,line=6,",
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("no %q in the step's output:\n%s", want, stdout.String())
		}
	}
	log, err := os.ReadFile(sarif)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Runs []struct {
			Results []struct {
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(log, &doc); err != nil || len(doc.Runs) != 1 || len(doc.Runs[0].Results) == 0 {
		t.Fatalf("sarif-file: %v\n%s", err, log)
	}
	if uri := doc.Runs[0].Results[0].Locations[0].PhysicalLocation.ArtifactLocation.URI; uri != "fixtures/services/legacy-service/Makefile" {
		t.Errorf("the SARIF file's first location is %q, want the Makefile at its repository path", uri)
	}
}
