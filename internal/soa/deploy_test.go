package soa

import (
	"errors"
	"io/fs"
	"slices"
	"testing"
	"testing/fstest"
)

func TestLoadDeploy(t *testing.T) {
	fsys := fstest.MapFS{
		"web/deploy.yaml": {Data: []byte(`---
pipeline:
- step: itest
- step: security-check
- step: push-to-registry
- step: dev.everything
- parallel:
  - step: norcal-prod.main
  - step: command-notify
  - step: nova-prod.main
  step: ignored-because-parallel
- step: performance-check
- step: itest-and-push-to-registry
- step: dev.everything
`)},
		"broken/deploy.yaml": {Data: []byte("pipeline: x\n  step: y\n")},
	}
	d, err := LoadDeploy(fsys, "web")
	if err != nil {
		t.Fatal(err)
	}
	if d.Path != "web/deploy.yaml" {
		t.Errorf("Path = %q", d.Path)
	}
	want := []string{"dev.everything", "norcal-prod.main", "nova-prod.main", "performance-check"}
	if got := d.DeployGroups(); !slices.Equal(got, want) {
		t.Errorf("DeployGroups() = %q, want %q", got, want)
	}
	if d.Steps[3].Line != 6 || d.Steps[5].Name != "command-notify" || d.Steps[5].DeployGroup {
		t.Errorf("steps = %+v", d.Steps)
	}
	if _, err := LoadDeploy(fsys, "missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing deploy.yaml: err = %v, want fs.ErrNotExist", err)
	}
	var se *SyntaxError
	if _, err := LoadDeploy(fsys, "broken"); !errors.As(err, &se) || se.Line != 2 {
		t.Errorf("broken deploy.yaml: err = %v, want a SyntaxError on line 2", err)
	}
}
