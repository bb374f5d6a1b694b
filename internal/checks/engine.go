package checks

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/contractbot/contractbot/internal/soa"
)

// Target is what one run checks. Faces build it with [Prepare]; tests of
// single rules may write one out.
type Target struct {
	Repo    fs.FS    // the service's code repository, or nil
	SOA     fs.FS    // the soa repository root, or nil
	Service string   // the service name ("" to check only repository-wide soa rules)
	Refs    []string // full ref names being pushed or created, or nil
	Config  *Config  // nil means the defaults

	// SOAPrefix is where SOA lives inside Repo ("yelpsoa-configs" for
	// soa_dir: yelpsoa-configs), or "" when the soa tree is a repository
	// of its own. The engine puts it in front of the paths of the soa
	// rules' findings, so that they name files of the checked repository.
	SOAPrefix string

	// PaastaSchemas, when set, replaces the built-in PaaSTA schemas.
	PaastaSchemas fs.FS
	// PaastaConfig, when set, is PaaSTA's system configuration (the
	// clusters' vault environments, Sensu's teams, locations, Tron's
	// nodes), laid out as [soa.LoadSystemConfig] reads it. Without it the
	// checks that need it are skipped, and soa.system-config says so.
	PaastaConfig fs.FS
	// SOACache, when set, holds what runs over the same snapshot of SOA
	// share (the repository index, the compiled schemas): it must have
	// been built over that tree, and its schemas replace PaastaSchemas.
	// The face that knows how long a snapshot lives builds it once for
	// many runs; without it, each run builds its own.
	SOACache *soa.Cache

	// RefObjects and Images, when set, let the ref rules see what a pushed
	// ref points at (ref.target, ref.image) and ask a Docker registry
	// (ref.image). The pre-receive hook sets them; see ref.go.
	RefObjects RefObjects
	Images     Images
}

func (t Target) has(n Needs) bool {
	switch {
	case n&NeedsRepo != 0 && t.Repo == nil:
		return false
	case n&NeedsService != 0 && (t.SOA == nil || t.Service == ""):
		return false
	case n&NeedsSOA != 0 && t.SOA == nil:
		return false
	case n&NeedsRefs != 0 && len(t.Refs) == 0:
		return false
	}
	return true
}

// Result is the outcome of one run.
type Result struct {
	Service  string         `json:"service"`
	OK       bool           `json:"ok"`
	Findings []Finding      `json:"findings"`
	Facts    map[string]any `json:"facts"`
}

// Engine runs a fixed, validated rule set.
type Engine struct {
	rules []*Rule
	byID  map[string]*Rule
}

// NewEngine returns an engine over rules, or an error when the rule set is
// invalid (see [Validate]).
func NewEngine(rules []*Rule) (*Engine, error) {
	if err := Validate(rules); err != nil {
		return nil, err
	}
	e := &Engine{rules: rules, byID: make(map[string]*Rule, len(rules))}
	for _, r := range rules {
		e.byID[r.ID] = r
	}
	return e, nil
}

// Subset returns an engine of the rules keep accepts, in the same order
// (the deploy-ref checks run only the rules that read refs).
func (e *Engine) Subset(keep func(*Rule) bool) *Engine {
	sub := &Engine{byID: map[string]*Rule{}}
	for _, r := range e.rules {
		if keep(r) {
			sub.rules = append(sub.rules, r)
			sub.byID[r.ID] = r
		}
	}
	return sub
}

// ReadsRefs reports whether r reads the refs being pushed: the rules of a
// deploy-ref check.
func ReadsRefs(r *Rule) bool { return r.Needs&NeedsRefs != 0 }

// Rules returns the engine's rules in registration order.
func (e *Engine) Rules() []*Rule { return e.rules }

// Rule returns the rule with the given id, or nil.
func (e *Engine) Rule(id string) *Rule { return e.byID[id] }

// Run applies every rule whose inputs are present to t. Findings come back
// sorted; OK is true when none of them is an error. An error is returned only
// when a rule fails internally or ctx is cancelled, never for findings.
func (e *Engine) Run(ctx context.Context, t Target) (*Result, error) {
	cfg := t.Config
	if cfg == nil {
		cfg = &Config{}
	}
	if cfg.Problem != nil {
		// A configuration contractbot cannot use leaves nothing to check
		// by: its one finding, whatever the file says of config.invalid,
		// and whatever rule set this engine has.
		return &Result{Service: t.Service, Findings: []Finding{configFinding(cfg.Problem)}, Facts: map[string]any{}}, nil
	}
	if t.SOACache == nil && t.SOA != nil {
		t.SOACache = soa.NewCache(t.SOA, t.PaastaSchemas, soa.DefaultLimits())
	}
	sh := &shared{facts: map[string]any{}, memo: map[any]memoEntry{}}
	sh.enabled = func(id string) bool {
		r := e.byID[id]
		return r != nil && t.has(r.Needs) && cfg.severityOf(r) != SeverityOff
	}
	for _, r := range e.rules {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !t.has(r.Needs) || cfg.severityOf(r) == SeverityOff {
			continue
		}
		p := &Pass{Repo: t.Repo, SOA: t.SOA, Service: t.Service, Refs: t.Refs, PaastaSchemas: t.PaastaSchemas, PaastaConfig: t.PaastaConfig, SOACache: t.SOACache, RefObjects: t.RefObjects, Images: t.Images, Config: cfg, rule: r, shared: sh, soaPrefix: t.SOAPrefix}
		first := len(sh.findings)
		if err := r.Run(ctx, p); err != nil {
			return nil, fmt.Errorf("rule %s: %w", r.ID, err)
		}
		if r.readsSOA() {
			for i := first; i < len(sh.findings); i++ {
				if sh.findings[i].inRepo {
					continue
				}
				if t.SOAPrefix != "" {
					sh.findings[i].underDir(t.SOAPrefix)
				} else {
					sh.findings[i].inSOA = true
				}
			}
		}
	}
	if err := e.suppress(ctx, t, cfg, sh); err != nil {
		return nil, err
	}
	SortFindings(sh.findings)
	errs, _, _ := Count(sh.findings)
	if sh.findings == nil {
		sh.findings = []Finding{}
	}
	return &Result{Service: t.Service, OK: errs == 0, Findings: sh.findings, Facts: sh.facts}, nil
}
