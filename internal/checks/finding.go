package checks

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"
)

// Severity grades a finding. The zero value is [SeverityOff], which only
// appears in configuration: a rule set to off reports nothing.
//
// Severities map one to one onto every sink: SARIF error/warning/note, GitHub
// annotation failure/warning/notice, workflow command error/warning/notice.
type Severity uint8

// Severities, ordered so that a larger value is more severe.
const (
	SeverityOff Severity = iota
	SeverityNotice
	SeverityWarning
	SeverityError
)

var severityNames = [...]string{"off", "notice", "warning", "error"}

// String returns the lower-case name used in output and configuration.
func (s Severity) String() string {
	if int(s) < len(severityNames) {
		return severityNames[s]
	}
	return fmt.Sprintf("severity(%d)", s)
}

// ParseSeverity parses "error", "warning", "notice" or "off".
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if s == n {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want error, warning, notice or off)", s)
}

// MarshalText implements [encoding.TextMarshaler].
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements [encoding.TextUnmarshaler].
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Position is a range in one file of the checked repository.
//
// Conventions (the same in every sink, as in reviewdog's rdf): Path is
// slash-separated and relative to the repository's root ("Makefile",
// "yelpsoa-configs/web/kubernetes-norcal.yaml" for a soa tree inside the
// repository, "web/deploy.yaml" for a soa repository of its own). Line and
// EndLine are 1-based and inclusive. Column is the 1-based byte column of
// the range's start and EndColumn the byte column just after its end; a
// Column of 0 means whole lines. For example, "DOCKER_TAG := x" on line 3,
// with the range on ":=", is {Path: "Makefile", Line: 3, Column: 12,
// EndLine: 3, EndColumn: 14}. A finding about a file as a whole, or about
// something missing from it, points at its line 1, whole lines: that is
// the file-level position, also of a missing file and of an empty one,
// which has no line 1 of its own. It is the one every sink can carry:
// GitHub's annotations need a start_line of at least 1, SARIF's startLine
// is at least 1, the text form prints path:1, and the App's review, which
// finds no hunk holding line 1 of an empty file, posts it as a file-level
// comment. A path that holds no regular file (a directory, a symbolic
// link contractbot does not follow) is positioned the same way, at its
// own path's line 1: the entry exists in the repository's tree, every
// sink names that path, and the message says what is there ("Dockerfile
// is a directory"). A line of 0, or past the end of a file that has lines,
// is no position.
type Position struct {
	Path      string `json:"path"`
	Line      int    `json:"line"`
	Column    int    `json:"column,omitempty"`
	EndLine   int    `json:"end_line"`
	EndColumn int    `json:"end_column,omitempty"`
}

// Finding is one broken piece of the contract: at a position in a file,
// or about a ref being pushed (Subject), with a Message that says what the
// contract requires and how to fix it.
//
// Its place is a [Position] spelled out in fields of its own (Path, Line,
// Column, EndLine, EndColumn), so that findings stay plain struct
// literals; [Finding.Pos] returns it.
type Finding struct {
	RuleID    string   `json:"rule"`
	Severity  Severity `json:"severity"`
	Path      string   `json:"path"`
	Line      int      `json:"line"`
	Column    int      `json:"column,omitempty"`
	EndLine   int      `json:"end_line"`
	EndColumn int      `json:"end_column,omitempty"`
	// Subject is the full name of the ref the finding is about, for the
	// rules over deploy refs: Path is then empty, and Column, when set,
	// points into the name ("refs/tags/paasta-…").
	Subject string `json:"subject,omitempty"`
	Message string `json:"message"`
	// Related are other places that explain the finding (the other users
	// of a proxy_port), each with a short message.
	Related []Related `json:"related,omitempty"`
	// SuggestedFixes are alternative mechanical fixes, the preferred
	// first; each is a set of edits applied together.
	SuggestedFixes []SuggestedFix `json:"suggested_fixes,omitempty"`

	// inSOA is set by the engine when the finding's paths are relative to
	// the target's soa tree rather than to its repository: see
	// [Finding.InSOA].
	inSOA bool
	// inRepo is set by [Pass.ReportRepo]: the finding is at a path of the
	// checked repository although its rule reads the soa tree, so the
	// engine leaves its paths as they are.
	inRepo bool
}

// InSOA reports whether the finding's paths (its own, its related
// positions' and its edits') are relative to the root of the soa tree the
// run checked, a soa repository of its own (--soa-dir, check-soa, the App's
// soa repository), rather than to the checked repository. A soa tree inside
// the repository (soa_dir) has its findings at repository paths, so they
// are not InSOA. A face that prints paths relative to somewhere else (the
// CLI: the current directory) moves each finding by the tree it is in.
// Only the engine sets it; a finding decoded from JSON is never InSOA.
func (f Finding) InSOA() bool { return f.inSOA }

// Related is another place a finding refers to.
type Related struct {
	Position
	Message string `json:"message"`
}

// SuggestedFix is one way to resolve a finding: Message is a verb phrase
// ("make DOCKER_TAG overridable from the environment") and Edits are
// applied together; they never overlap.
type SuggestedFix struct {
	Message string     `json:"message"`
	Edits   []TextEdit `json:"edits"`
}

// TextEdit replaces a range of a file with NewText. With Column 0 it
// replaces whole lines: lines Line through EndLine become NewText, which
// holds whole lines each ending in "\n" ("" deletes the lines; an EndLine
// of Line-1 inserts NewText before line Line). With columns it replaces
// the bytes from Line:Column up to EndLine:EndColumn.
//
// Example: the fix for "DOCKER_TAG = x" on line 3 of the Makefile is
// TextEdit{Position: Position{Path: "Makefile", Line: 3, EndLine: 3},
// NewText: "DOCKER_TAG ?= x\n"}; on a pull request it becomes a
// suggestion block.
type TextEdit struct {
	Position
	NewText string `json:"new_text"`
}

// LineEdit returns the fix's one edit when the fix is a single whole-line
// replacement, the form a GitHub suggestion block can carry.
func (s SuggestedFix) LineEdit() (TextEdit, bool) {
	if len(s.Edits) != 1 || s.Edits[0].Column != 0 || s.Edits[0].EndColumn != 0 {
		return TextEdit{}, false
	}
	return s.Edits[0], true
}

// LineFix returns a fix of one whole-line edit of path: lines line through
// endLine become newText.
func LineFix(message, path string, line, endLine int, newText string) SuggestedFix {
	return SuggestedFix{Message: message, Edits: []TextEdit{{Position: Position{Path: path, Line: line, EndLine: endLine}, NewText: newText}}}
}

// Pos returns the finding's position.
func (f Finding) Pos() Position {
	return Position{Path: f.Path, Line: f.Line, Column: f.Column, EndLine: f.EndLine, EndColumn: f.EndColumn}
}

// Fix returns the preferred suggested fix, if the finding has one.
func (f Finding) Fix() (SuggestedFix, bool) {
	if len(f.SuggestedFixes) == 0 {
		return SuggestedFix{}, false
	}
	return f.SuggestedFixes[0], true
}

// underDir moves the finding's paths under dir: a soa finding of a soa tree
// that lives at dir inside the checked repository.
func (f *Finding) underDir(dir string) {
	under := func(p *Position) {
		if p.Path != "" {
			p.Path = path.Join(dir, p.Path)
		}
	}
	if f.Path != "" {
		f.Path = path.Join(dir, f.Path)
	}
	f.Related = slices.Clone(f.Related)
	for i := range f.Related {
		under(&f.Related[i].Position)
	}
	f.SuggestedFixes = slices.Clone(f.SuggestedFixes)
	for i := range f.SuggestedFixes {
		fix := &f.SuggestedFixes[i]
		fix.Edits = slices.Clone(fix.Edits)
		for j := range fix.Edits {
			under(&fix.Edits[j].Position)
		}
	}
}

// Where is the finding's place as compilers and editors write it:
// "path:line" or "path:line:column", or the ref name of a ref finding.
func (f Finding) Where() string {
	switch {
	case f.Path == "" && f.Subject != "":
		return f.Subject
	case f.Column > 0:
		return fmt.Sprintf("%s:%d:%d", f.Path, f.Line, f.Column)
	}
	return fmt.Sprintf("%s:%d", f.Path, f.Line)
}

// String renders the finding as "path:line: severity: message [rule]"
// (see [Finding.Where]).
func (f Finding) String() string {
	return fmt.Sprintf("%s: %s: %s [%s]", f.Where(), f.Severity, f.Message, f.RuleID)
}

// SortFindings orders findings by path, line, rule and message, so that
// every sink prints them in the same, stable order.
func SortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			strings.Compare(a.Path, b.Path),
			strings.Compare(a.Subject, b.Subject),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column),
			strings.Compare(a.RuleID, b.RuleID),
			strings.Compare(a.Message, b.Message),
		)
	})
}

// Count returns how many findings have each severity.
func Count(fs []Finding) (errors, warnings, notices int) {
	for _, f := range fs {
		switch f.Severity {
		case SeverityError:
			errors++
		case SeverityWarning:
			warnings++
		case SeverityNotice:
			notices++
		}
	}
	return errors, warnings, notices
}
