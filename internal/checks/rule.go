package checks

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"github.com/contractbot/contractbot/internal/soa"
)

// Needs says which inputs a rule reads. The engine runs a rule only when
// every input it needs is present, so a rule never has to test for nil.
type Needs uint8

const (
	// NeedsRepo: the service's code repository (Makefile, Dockerfile, ...).
	NeedsRepo Needs = 1 << iota
	// NeedsService: the service's directory in the soa repository
	// (Target.SOA and Target.Service are both set).
	NeedsService
	// NeedsSOA: the soa repository as a whole (cross-service rules).
	NeedsSOA
	// NeedsRefs: git ref names being pushed or created (Target.Refs).
	NeedsRefs
)

// Rule is one clause of the PaaSTA contract.
//
// ID is stable once released: configuration, suppressions, documentation
// anchors and other tools refer to it. Title is a short lower-case phrase
// with no final period; Doc is one paragraph that says why the rule matters
// and how to fix a finding.
type Rule struct {
	ID       string
	Severity Severity // the default; .contractbot.yaml may override it
	Needs    Needs
	Title    string
	Doc      string
	// Source is where the rule comes from, which decides its severity
	// (docs/rules.md): the contract's sentence ("contract: ... MUST ...")
	// or the PaaSTA function it mirrors ("paasta validate:
	// validate_paasta_objects"), and which findings warn instead.
	Source string
	Run    func(ctx context.Context, pass *Pass) error
}

// readsSOA reports whether the paths of the rule's findings are relative to
// the soa tree rather than to the service repository: it reads the soa
// tree and not the repository.
func (r *Rule) readsSOA() bool {
	return r.Needs&(NeedsRepo|NeedsRefs) == 0 && r.Needs&(NeedsService|NeedsSOA) != 0
}

// DocsURL is where docs/rules.md is published: the source of every rule
// link (SARIF helpUri, review comments, check runs, the CLI).
const DocsURL = "https://github.com/contractbot/contractbot/blob/main/docs/rules.md"

// URL is the rule's documentation: its section of docs/rules.md.
func (r *Rule) URL() string { return RuleURL(r.ID) }

// RuleURL is the documentation of the rule with the given id.
func RuleURL(id string) string { return DocsURL + "#" + DocAnchor(id) }

// DocAnchor is the fragment GitHub gives the "## <id>" heading of a rule in
// docs/rules.md (it drops the dots), for links that only have the rule id.
func DocAnchor(id string) string { return strings.ReplaceAll(id, ".", "") }

var ruleIDPattern = regexp.MustCompile(`^[a-z]+\.[a-z0-9]+(-[a-z0-9]+)*$`)

// Validate rejects a rule set with duplicate or malformed IDs, missing
// documentation or no Run function. It is called from a test and at start-up.
func Validate(rules []*Rule) error {
	seen := make(map[string]bool, len(rules))
	for _, r := range rules {
		switch {
		case !ruleIDPattern.MatchString(r.ID):
			return fmt.Errorf("rule %q: id must look like area.name", r.ID)
		case seen[r.ID]:
			return fmt.Errorf("rule %q: defined twice", r.ID)
		case r.Severity == SeverityOff || r.Severity > SeverityError:
			return fmt.Errorf("rule %q: default severity must be error, warning or notice", r.ID)
		case r.Needs == 0:
			return fmt.Errorf("rule %q: declares no inputs", r.ID)
		case r.Title == "" || strings.HasSuffix(r.Title, ".") || r.Title != strings.ToLower(r.Title[:1])+r.Title[1:]:
			return fmt.Errorf("rule %q: title must be a lower-case phrase with no final period", r.ID)
		case len(r.Doc) < 40:
			return fmt.Errorf("rule %q: doc must explain why the rule matters and how to fix it", r.ID)
		case r.Run == nil:
			return fmt.Errorf("rule %q: no Run function", r.ID)
		}
		seen[r.ID] = true
	}
	return nil
}

// Pass is what a rule sees while it runs: its inputs and a way to report.
// A Pass is used by one rule at a time.
type Pass struct {
	// Repo is the service's code repository, or nil.
	Repo fs.FS
	// SOA is the root of the soa repository (yelpsoa-configs), or nil.
	SOA fs.FS
	// Service is the service name; with SOA set, SOA/Service is its directory.
	Service string
	// Refs are the full names of refs being pushed or created.
	Refs []string
	// PaastaSchemas, when set, holds a PaaSTA installation's JSON schemas
	// (*_schema.json) to validate against instead of the built-in ones.
	PaastaSchemas fs.FS
	// PaastaConfig is Target.PaastaConfig: read it with systemConfig.
	PaastaConfig fs.FS
	// SOACache is the soa tree's shared index and schemas (Target.SOACache,
	// or one built for this run); it is set whenever SOA is.
	SOACache *soa.Cache
	// RefObjects and Images are Target.RefObjects and Target.Images; either
	// may be nil, and the rules that use them then report nothing.
	RefObjects RefObjects
	Images     Images
	// Config is the repository's .contractbot.yaml, already validated.
	Config *Config

	rule      *Rule
	shared    *shared
	soaPrefix string
}

// Report records a finding of the running rule. The rule id and severity are
// filled in from the rule and the configuration; a Line below 1 becomes 1 and
// an EndLine before Line becomes Line. A rule may grade one finding below
// its severity by setting f.Severity (soa.deploy-group reports an unused
// deploy step as a warning next to its errors); it can never raise it.
func (p *Pass) Report(f Finding) {
	f.RuleID = p.rule.ID
	sev := p.Config.severityOf(p.rule)
	if f.Severity != SeverityOff && f.Severity < sev {
		sev = f.Severity
	}
	f.Severity = sev
	if f.Severity == SeverityOff {
		return
	}
	if f.Path != "" || f.Subject == "" {
		f.Line = max(f.Line, 1)
		f.EndLine = max(f.EndLine, f.Line)
	}
	p.shared.findings = append(p.shared.findings, f)
}

// ReportRepo is [Pass.Report] for a finding at a path of the checked
// repository (its Dockerfile) from a rule that reads the soa tree: the
// engine takes such a rule's findings for soa paths and moves them under
// the soa tree, where "yelpsoa-configs/Dockerfile" is no file.
func (p *Pass) ReportRepo(f Finding) {
	f.inRepo = true
	p.Report(f)
}

// SOAPath is the path a user sees for a file of the soa tree: under the
// repository's soa_dir when the soa tree lives in the checked repository
// (the engine moves the findings' paths there; messages that name a file
// use this), else the path in the soa repository.
func (p *Pass) SOAPath(name string) string {
	if p.soaPrefix == "" {
		return name
	}
	return path.Join(p.soaPrefix, name)
}

// Reportf reports a finding at path:line with a formatted message.
func (p *Pass) Reportf(path string, line int, format string, args ...any) {
	p.Report(Finding{Path: path, Line: line, Message: fmt.Sprintf(format, args...)})
}

// Enabled reports whether the rule with the given id runs in this run: it
// is in the engine's rule set, its inputs are present and the
// configuration does not set it off. A rule that leaves something to
// another rule asks this first, so that turning the other rule off (or
// running without it) never makes a problem disappear.
func (p *Pass) Enabled(id string) bool { return p.shared.enabled(id) }

// SetFact records a named fact for the JSON output ("facts": {name: v}).
func (p *Pass) SetFact(name string, v any) { p.shared.facts[name] = v }

// shared holds what all rules of one run share: their findings, their facts
// and inputs parsed once for several rules.
type shared struct {
	findings []Finding
	facts    map[string]any
	memo     map[any]memoEntry
	enabled  func(id string) bool
}

type memoEntry struct {
	v   any
	err error
}

// Memo computes an input once per run and shares it between rules: the
// Makefile analysis, the parsed soa tree. key should be an unexported type's
// value, as with context keys.
func Memo[T any](p *Pass, key any, compute func() (T, error)) (T, error) {
	if e, ok := p.shared.memo[key]; ok {
		v, _ := e.v.(T)
		return v, e.err
	}
	v, err := compute()
	p.shared.memo[key] = memoEntry{v, err}
	return v, err
}
