package tron

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameLength is the longest job, action or node name Tron accepts.
const MaxNameLength = 255

// CleanupAction is the name Tron reserves for a job's cleanup_action.
const CleanupAction = "cleanup"

// CheckName checks a job, action or node name: an ASCII letter or _
// first, then letters, digits (of any script), _ and -, at most
// [MaxNameLength] in all. A dot is not allowed, so "report.v2" is not a
// job name.
func CheckName(name string) error {
	s := strings.TrimSuffix(name, "\n") // Python's $ matches before a final newline
	first, _ := utf8.DecodeRuneInString(s)
	switch {
	case s == "":
		return errorf("a name cannot be empty")
	case !(first == '_' || first >= 'a' && first <= 'z' || first >= 'A' && first <= 'Z'):
		return errorf("%q must start with an ASCII letter or _", name)
	case utf8.RuneCountInString(s) > MaxNameLength:
		return errorf("%q is longer than %d characters", name, MaxNameLength)
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || unicode.IsLetter(r) || unicode.IsNumber(r)) {
			return errorf("%q has %q, but a name has only letters, digits, _ and -", name, r)
		}
	}
	return nil
}

// CheckActionName checks an action's name, or a name in requires: a
// [CheckName] name other than [CleanupAction].
func CheckActionName(name string) error {
	if name == CleanupAction {
		return errorf("%q is the name Tron gives a job's cleanup_action: name the action otherwise", name)
	}
	return CheckName(name)
}
