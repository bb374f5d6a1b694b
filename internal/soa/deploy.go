package soa

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// Deploy is a service's deploy.yaml: its Jenkins pipeline.
type Deploy struct {
	// Path is relative to the soa root, e.g. "web/deploy.yaml".
	Path string
	// Steps are the pipeline's steps in order, with the entries of
	// "parallel:" blocks flattened in place (an entry with "parallel"
	// contributes its substeps, not its own step).
	Steps []Step
}

// Step is one pipeline step.
type Step struct {
	Name string
	Line int
	// DeployGroup is false for build steps (itest, security-check,
	// push-to-registry, itest-and-push-to-registry, command-*), which
	// PaaSTA never deploys to.
	DeployGroup bool
}

// nonDeploySteps are PaaSTA's DEPLOY_PIPELINE_NON_DEPLOY_STEPS.
var nonDeploySteps = map[string]bool{
	"itest":                      true,
	"itest-and-push-to-registry": true,
	"security-check":             true,
	"push-to-registry":           true,
}

// IsDeployStep reports whether PaaSTA treats a pipeline step name as a deploy
// group (utils.is_deploy_step).
func IsDeployStep(name string) bool {
	return !nonDeploySteps[name] && !strings.HasPrefix(name, "command-")
}

// DeployGroups returns the deploy groups of the pipeline, in order, without
// repeats.
func (d *Deploy) DeployGroups() []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range d.Steps {
		if s.DeployGroup && !seen[s.Name] {
			seen[s.Name] = true
			out = append(out, s.Name)
		}
	}
	return out
}

// HasStep reports whether the pipeline has a step of that name.
func (d *Deploy) HasStep(name string) bool {
	for _, s := range d.Steps {
		if s.Name == name {
			return true
		}
	}
	return false
}

// LoadDeploy reads <service>/deploy.yaml from the soa root fsys. A missing
// file gives an error wrapping fs.ErrNotExist; unparseable YAML gives an
// error wrapping a *SyntaxError.
func LoadDeploy(fsys fs.FS, service string) (*Deploy, error) {
	name := path.Join(service, "deploy.yaml")
	if link, err := isSymlink(fsys, name); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	} else if link {
		return nil, fmt.Errorf("%s %w", name, ErrSymlink)
	}
	f := loadFile(fsys, service, "deploy.yaml", DefaultLimits())
	if f.Err != nil {
		return nil, fmt.Errorf("%s: %w", name, f.Err)
	}
	return DeployFromNode(f.Path, f.Root), nil
}

// DeployFromNode reads the pipeline out of a loaded deploy.yaml. Entries
// that are not mappings or have no string "step" are skipped: the schema
// check reports them.
func DeployFromNode(p string, root *Node) *Deploy {
	d := &Deploy{Path: p}
	pipeline := root.Get("pipeline")
	if pipeline == nil || pipeline.Kind != KindSeq {
		return d
	}
	add := func(entry *Node) {
		step := entry.Get("step")
		if name, ok := step.Str(); ok {
			d.Steps = append(d.Steps, Step{Name: name, Line: step.Line, DeployGroup: IsDeployStep(name)})
		}
	}
	for _, e := range pipeline.Items {
		if par := e.Get("parallel"); par != nil {
			if par.Kind == KindSeq {
				for _, sub := range par.Items {
					add(sub)
				}
			}
			continue
		}
		add(e)
	}
	return d
}
