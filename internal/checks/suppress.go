package checks

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/contractbot/contractbot/internal/soa"
	"github.com/contractbot/contractbot/internal/suggest"
)

// Inline suppressions: a comment in a file contractbot reads (Makefile,
// Dockerfile, YAML: all comment with #) that silences one finding where it
// is, with a reason, as `//lint:ignore` and `# hadolint ignore=` do:
//
//	DOCKER_TAG = fixed-tag  # contractbot:ignore makefile.docker-tag -- the image is pinned on purpose
//
//	# contractbot:ignore soa.container-port,soa.healthcheck -- legacy port, INFRA-123
//	  container_port: 8080
//
//	# contractbot:ignore-file soa.monitoring -- alerts go to the platform team
//
// A directive after code covers findings on its own line; one alone on its
// line covers its line and the next; ignore-file covers the whole file.
// The reason after "--" is required. A directive that is malformed, names
// an unknown rule or suppresses nothing (its rule ran and found nothing
// there) is itself a config.unused-ignore notice. The engine applies them
// after every rule has run, so that every face (the CLI, the App, the hook)
// honours them the same way; they never change what a rule sees.

// UnusedIgnoreRule is the id of the notice about a suppression that does
// nothing.
const UnusedIgnoreRule = "config.unused-ignore"

// maxSuppressFileBytes bounds a file read for directives (the soa limit):
// a bigger file has none, and its findings stay.
const maxSuppressFileBytes = 4 << 20

// maxDirectivesPerFile bounds the directives honoured in one file, so that
// a file of nothing but directives cannot produce a million notices.
const maxDirectivesPerFile = 1000

const directiveMarker = "contractbot:ignore"

// directive is one contractbot:ignore comment.
type directive struct {
	line, col, endCol int // the comment's line and byte columns (end exclusive)
	file              bool
	ownLine           bool // nothing but the comment on its line: it covers the next line too
	rules             []string
	problem           string // why the directive is malformed, or ""
	used              []bool // per rule
}

// covers reports whether d suppresses a finding of rule at line.
func (d *directive) covers(rule string, line int) (int, bool) {
	if d.problem != "" {
		return 0, false
	}
	i := slices.Index(d.rules, rule)
	if i < 0 {
		return 0, false
	}
	return i, d.file || line == d.line || (d.ownLine && line == d.line+1)
}

// parseDirectives finds the contractbot:ignore comments of a file.
func parseDirectives(data []byte) []*directive {
	if !bytes.Contains(data, []byte(directiveMarker)) {
		return nil
	}
	var out []*directive
	for n, line := range strings.Split(string(data), "\n") {
		if len(out) == maxDirectivesPerFile {
			break
		}
		if d := parseDirective(strings.TrimSuffix(line, "\r")); d != nil {
			d.line = n + 1
			out = append(out, d)
		}
	}
	return out
}

// parseDirective parses the directive in line, if it holds one: a # (with
// only blanks before the marker) followed by contractbot:ignore or
// contractbot:ignore-file, rule ids separated by commas, "--" and a reason.
func parseDirective(line string) *directive {
	at := strings.Index(line, directiveMarker)
	if at < 0 {
		return nil
	}
	hash := strings.LastIndexByte(line[:at], '#')
	if hash < 0 || strings.Trim(line[hash+1:at], " \t") != "" {
		return nil
	}
	rest := line[at+len(directiveMarker):]
	d := &directive{col: hash + 1, endCol: len(line) + 1, ownLine: strings.Trim(line[:hash], " \t") == ""}
	if r, ok := strings.CutPrefix(rest, "-file"); ok {
		d.file, rest = true, r
	}
	if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
		return nil // contractbot:ignored, or some other word
	}
	ids, reason, hasReason := strings.Cut(rest, "--")
	for _, id := range strings.Split(ids, ",") {
		if id = strings.TrimSpace(id); id != "" {
			d.rules = append(d.rules, id)
		}
	}
	d.used = make([]bool, len(d.rules))
	form := "# " + directiveMarker
	if d.file {
		form += "-file"
	}
	switch {
	case len(d.rules) == 0:
		d.problem = fmt.Sprintf("names no rule: write `%s RULE[,RULE] -- reason`", form)
	case !hasReason || strings.TrimSpace(reason) == "":
		d.problem = fmt.Sprintf("gives no reason, so it suppresses nothing: write why after --, e.g. `%s %s -- generated file, see TICKET-123`", form, strings.Join(d.rules, ","))
	}
	return d
}

// source is a file that may hold directives: where to read it, and how its
// findings name it.
type source struct {
	fsys  fs.FS
	name  string // in fsys
	path  string // Finding.Path
	inSOA bool
}

// suppress drops the findings that a directive of their file covers and
// adds a config.unused-ignore notice for each directive that does nothing.
// It reads the files through the target's file systems only, each once and
// bounded; a file it cannot read suppresses nothing (its findings stay).
func (e *Engine) suppress(ctx context.Context, t Target, cfg *Config, sh *shared) error {
	type key struct {
		inSOA bool
		path  string
	}
	files := map[key][]*directive{}
	read := func(src source) ([]*directive, error) {
		k := key{src.inSOA, src.path}
		if ds, ok := files[k]; ok {
			return ds, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var ds []*directive
		if src.fsys != nil && fs.ValidPath(src.name) {
			if data, err := readRepoFile(src.fsys, src.name, maxSuppressFileBytes); err == nil {
				ds = parseDirectives(data)
			}
		}
		files[k] = ds
		return ds, nil
	}
	sourceOf := func(f Finding) source {
		if f.inSOA {
			return source{t.SOA, f.Path, f.Path, true}
		}
		return source{t.Repo, f.Path, f.Path, false}
	}

	kept := sh.findings[:0]
	for _, f := range sh.findings {
		if f.Path == "" || f.RuleID == "config.invalid" {
			kept = append(kept, f)
			continue
		}
		ds, err := read(sourceOf(f))
		if err != nil {
			return err
		}
		suppressed := false
		for _, d := range ds {
			if i, ok := d.covers(f.RuleID, f.Line); ok {
				d.used[i], suppressed = true, true
			}
		}
		if !suppressed {
			kept = append(kept, f)
		}
	}
	sh.findings = kept

	// Unused directives are reported in the files this run's rules read
	// as a whole (its Makefile, its service's soa files), where a rule that
	// ran and found nothing means the directive is stale. A file read only
	// for a finding elsewhere (another service's file, in a cross-service
	// rule) may hold directives for rules of that other service's run.
	rule := e.byID[UnusedIgnoreRule]
	if rule == nil || cfg.severityOf(rule) == SeverityOff {
		return nil
	}
	for _, src := range e.checkedFiles(t, sh) {
		ds, err := read(src)
		if err != nil {
			return err
		}
		for _, d := range ds {
			for _, msg := range e.unused(d, sh.enabled) {
				sh.findings = append(sh.findings, Finding{
					RuleID: rule.ID, Severity: cfg.severityOf(rule),
					Path: src.path, Line: d.line, Column: d.col, EndLine: d.line, EndColumn: d.endCol,
					Message: msg, inSOA: src.inSOA,
				})
			}
		}
	}
	return nil
}

// unused says what is wrong with each part of d that suppresses nothing.
func (e *Engine) unused(d *directive, enabled func(string) bool) []string {
	if d.problem != "" {
		return []string{"this contractbot:ignore " + d.problem}
	}
	var out []string
	where := "on this line"
	switch {
	case d.file:
		where = "in this file"
	case d.ownLine:
		where = "on this line or the next"
	}
	for i, id := range d.rules {
		switch {
		case d.used[i]:
		case id == UnusedIgnoreRule || id == "config.invalid":
			out = append(out, fmt.Sprintf("%s cannot be suppressed inline: set its severity in .contractbot.yaml instead, and remove it from this contractbot:ignore", id))
		case e.byID[id] == nil && !isRuleID(id):
			msg := fmt.Sprintf("contractbot:ignore names no rule %q", id)
			if near, _ := suggest.Closest(id, e.ruleIDs()); near != "" {
				msg += fmt.Sprintf(": did you mean %s?", near)
			} else {
				msg += ": `contractbot rules` lists them"
			}
			out = append(out, msg)
		case enabled(id):
			out = append(out, fmt.Sprintf("contractbot:ignore %s suppresses nothing: no %s finding %s; remove it (or the rule's id) from the comment", id, id, where))
		}
	}
	return out
}

// ruleIDs lists the engine's rule ids, then those of every other rule
// contractbot knows.
func (e *Engine) ruleIDs() []string {
	var ids []string
	for _, r := range e.rules {
		ids = append(ids, r.ID)
	}
	for _, id := range allRuleIDs() {
		if e.byID[id] == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// isRuleID reports whether id is a rule contractbot knows, whether or not
// this engine runs it (the hook's deploy-ref engine runs the ref rules only).
func isRuleID(id string) bool { return slices.Contains(allRuleIDs(), id) }

func allRuleIDs() []string {
	all := All()
	ids := make([]string, len(all))
	for i, r := range all {
		ids[i] = r.ID
	}
	return ids
}

// checkedFiles lists the files this run's rules read as a whole: the
// Makefile the makefile rules analysed, the service's soa files when soa
// rules ran. No rule reads the Dockerfile's text (only whether it exists),
// so it is not read for stale directives either: on the App that read
// would be one more API request per push. Its directives still suppress
// the findings in it.
func (e *Engine) checkedFiles(t Target, sh *shared) []source {
	var out []source
	if in, ok := sh.memo[makefileKey{}].v.(*makefileInput); ok && in.Path != "" && t.Repo != nil {
		out = append(out, source{t.Repo, in.Path, in.Path, false})
	}
	if t.SOA == nil || t.Service == "" || !e.ran(t, sh, NeedsService) {
		return out
	}
	// The soa rules loaded the service's files once (its directory, with
	// subdirectories such as autotuned_defaults/); without that, its top.
	var names []string
	if svc, ok := sh.memo[soaServiceKey{}].v.(*soa.Service); ok && svc != nil {
		for _, f := range svc.Files {
			names = append(names, f.Path)
		}
	} else if entries, err := fs.ReadDir(t.SOA, t.Service); err == nil {
		for _, en := range entries {
			if en.Type().IsRegular() && strings.HasSuffix(en.Name(), ".yaml") {
				names = append(names, path.Join(t.Service, en.Name()))
			}
		}
	}
	for _, name := range names {
		if t.SOAPrefix != "" {
			p := path.Join(t.SOAPrefix, name)
			out = append(out, source{t.Repo, p, p, false})
		} else {
			out = append(out, source{t.SOA, name, name, true})
		}
	}
	return out
}

// ran reports whether a rule that reads need ran in this run.
func (e *Engine) ran(t Target, sh *shared, need Needs) bool {
	for _, r := range e.rules {
		if r.ID == UnusedIgnoreRule || r.ID == "config.invalid" {
			continue // the engine's own findings, not a rule over the files
		}
		if r.Needs&need == need && sh.enabled(r.ID) {
			return true
		}
	}
	return false
}

func unusedIgnoreRule() *Rule {
	return &Rule{
		ID:       UnusedIgnoreRule,
		Severity: SeverityNotice,
		Needs:    NeedsRepo,
		Title:    "a contractbot:ignore comment suppresses nothing",
		Doc: "A finding can be silenced where it is, with a reason, by a comment in the file it points at " +
			"(Makefile, Dockerfile and YAML all comment with #): `# contractbot:ignore RULE[,RULE] -- reason` " +
			"after the code on the finding's line, or alone on the line above it, and " +
			"`# contractbot:ignore-file RULE -- reason` anywhere in the file for every finding of RULE in it. " +
			"The reason is required. Every face (the CLI, the App, the pre-receive hook) honours them. A " +
			"directive that has no reason, names a rule contractbot does not have, or covers no finding of " +
			"its rule (the rule ran and found nothing there, for instance once the problem was fixed) is " +
			"reported at the comment so that stale suppressions do not pile up: fix the rule id, add the " +
			"reason, or delete the comment. (Stale directives are looked for in the files the rules read " +
			"whole: the Makefile and the service's soa files.) To silence a rule in the whole repository, set its severity to " +
			"off in .contractbot.yaml instead. PaaSTA's own acknowledgement comments " +
			"(`# override-cpu-setting (TICKET-123 …)`) are unaffected.",
		Source: "contractbot's own suppression comments: a stale one is a notice, it breaks nothing",
		// Engine.Run applies suppressions and reports this notice itself,
		// after every other rule has run: there is nothing for it to read.
		Run: func(context.Context, *Pass) error { return nil },
	}
}
