package tron

import (
	"errors"
	"strings"
	"time"
	_ "time/tzdata" // the same answers wherever contractbot runs
	"unicode"
)

// CheckTimeZone checks a time zone name as Tron reads one (with pytz): an
// IANA zone or link name such as "America/Los_Angeles" or "US/Pacific",
// in any case, or UTC. "Mars/Olympus_Mons" and "PST" are not zones, and
// offsets such as "+02:00" are not names.
//
// The zones are Go's copy of the IANA database. pytz ignores case; Go
// does not, so a name is tried as written and in the usual capitalised
// forms. A name found in none of them is reported as unknown when it is
// capitalised the way IANA names are; an all-lower-case name that may be
// a zone with unusual capitals ("america/port-au-prince") gives
// ErrUndecided instead.
func CheckTimeZone(name string) error {
	if strings.EqualFold(name, "UTC") {
		return nil
	}
	for _, r := range name {
		if r > unicode.MaxASCII {
			return errorf("%q is not a time zone: zone names are ASCII", name)
		}
	}
	if name == "" || name == "Local" || strings.HasPrefix(name, "posix/") || strings.HasPrefix(name, "right/") ||
		name == "posixrules" || name == "localtime" || strings.Contains(name, "..") {
		return errorf("%q is not an IANA time zone name", name)
	}
	name = strings.ReplaceAll(strings.ReplaceAll(name, "_plus_", "+"), "_minus_", "-") // pytz's spelling for signs
	for _, v := range zoneSpellings(name) {
		if _, err := time.LoadLocation(v); err == nil {
			return nil
		}
	}
	if name == strings.ToLower(name) && strings.ContainsAny(name, "/_-") {
		return ErrUndecided
	}
	return errorf("%q is not an IANA time zone name: use one such as \"America/Los_Angeles\" or \"UTC\"", name)
}

// ErrUndecided is CheckTimeZone's answer for a name it can neither find
// nor rule out.
var ErrUndecided = errors.New("no zone has this name in the capitals contractbot tried, but pytz ignores case, so it may be one")

// zoneSpellings are the forms a zone name is tried in: as written, then
// each part between slashes capitalised word by word (words split at _
// and -) or in upper case.
func zoneSpellings(name string) []string {
	out := []string{name}
	parts := strings.Split(name, "/")
	if len(parts) > 3 {
		return out
	}
	forms := make([][]string, len(parts))
	for i, p := range parts {
		forms[i] = []string{titleWords(p), strings.ToUpper(p), p}
	}
	var walk func(i int, acc []string)
	walk = func(i int, acc []string) {
		if i == len(parts) {
			out = append(out, strings.Join(acc, "/"))
			return
		}
		for _, f := range forms[i] {
			walk(i+1, append(acc, f))
		}
	}
	walk(0, nil)
	return out
}

// titleWords capitalises each word of s, words being separated by _ or -:
// "los_angeles" becomes "Los_Angeles".
func titleWords(s string) string {
	b := []byte(strings.ToLower(s))
	start := true
	for i, c := range b {
		if start && c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
		start = c == '_' || c == '-'
	}
	return string(b)
}
