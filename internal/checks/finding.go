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

// Finding is one broken piece of the contract, at a place in one file.
//
// Conventions (the same in every sink): Path is slash-separated and relative
// to the root it was found under (the service repository, or the soa
// repository for yelpsoa-configs files, e.g. "web/kubernetes-norcal.yaml").
// Line and EndLine are 1-based and inclusive; a finding about a file as a
// whole, or about something missing from it, points at line 1. Message says
// what the contract requires and how to fix it.
type Finding struct {
	RuleID   string   `json:"rule"`
	Severity Severity `json:"severity"`
	Path     string   `json:"path"`
	Line     int      `json:"line"`
	EndLine  int      `json:"end_line"`
	Message  string   `json:"message"`
	Fix      *Fix     `json:"fix,omitempty"`
}

// Fix is a mechanical edit that resolves a finding: replace lines Line
// through EndLine (1-based, inclusive) of Path with Replacement. Replacement
// holds whole lines, each ending in "\n"; it becomes a GitHub suggestion
// block on a pull request. An empty Replacement deletes the lines.
//
// Example: the finding for "DOCKER_TAG = x" on line 3 carries
// Fix{Message: "make DOCKER_TAG overridable", Path: "Makefile", Line: 3,
// EndLine: 3, Replacement: "DOCKER_TAG ?= x\n"}.
type Fix struct {
	Message     string `json:"message"`
	Path        string `json:"path"`
	Line        int    `json:"line"`
	EndLine     int    `json:"end_line"`
	Replacement string `json:"replacement"`
}

// underDir moves the finding's paths under dir: a soa finding of a soa tree
// that lives at dir inside the checked repository.
func (f *Finding) underDir(dir string) {
	if f.Path != "" {
		f.Path = path.Join(dir, f.Path)
	}
	if f.Fix != nil {
		fix := *f.Fix
		fix.Path = path.Join(dir, fix.Path)
		f.Fix = &fix
	}
}

// String renders the finding as "path:line: severity: message [rule]".
func (f Finding) String() string {
	return fmt.Sprintf("%s:%d: %s: %s [%s]", f.Path, f.Line, f.Severity, f.Message, f.RuleID)
}

// SortFindings orders findings by path, line, rule and message, so that
// every sink prints them in the same, stable order.
func SortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			strings.Compare(a.Path, b.Path),
			cmp.Compare(a.Line, b.Line),
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
