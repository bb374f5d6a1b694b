package tron

import "strings"

// A TimeDelta is a duration as Tron writes one in max_runtime,
// expected_runtime, retries_delay, trigger_timeout and a schedule's
// jitter.
type TimeDelta struct {
	N    int64  // the count as written
	Unit string // "days", "hours", "minutes" or "seconds"
}

// Seconds is the duration in seconds.
func (d TimeDelta) Seconds() int64 { return d.N * unitSeconds[d.Unit] }

// deltaUnits maps each unit Tron accepts (case matters) to its name.
var deltaUnits = map[string]string{
	"d": "days", "day": "days", "days": "days",
	"h": "hours", "hr": "hours", "hrs": "hours", "hour": "hours", "hours": "hours",
	"m": "minutes", "min": "minutes", "mins": "minutes", "minute": "minutes", "minutes": "minutes",
	"s": "seconds", "sec": "seconds", "secs": "seconds", "second": "seconds", "seconds": "seconds",
}

var unitSeconds = map[string]int64{"days": 86400, "hours": 3600, "minutes": 60, "seconds": 1}

// maxDeltaSeconds bounds a duration: Python's timedelta holds at most
// 999999999 days and a remainder below one day, and a longer one makes
// tronfig fail.
const maxDeltaSeconds = 1_000_000_000*86400 - 1

// DeltaUnits lists the units ParseTimeDelta accepts, for messages.
const DeltaUnits = "d, day, days, h, hr, hrs, hour, hours, m, min, mins, minute, minutes, s, sec, secs, second or seconds"

// ParseTimeDelta parses a count and a unit: optional whitespace, decimal
// digits, optional whitespace, ASCII letters naming one of [DeltaUnits]
// exactly (lower case), optional whitespace. "10m", "1 hour" and " 30 s "
// are valid; "1h30m", "1.5h", "10 M" and "1 fortnight" are not.
func ParseTimeDelta(s string) (TimeDelta, error) {
	rs := []rune(s)
	i := skipSpace(rs, 0)
	j := skipDigits(rs, i)
	if j == i {
		return TimeDelta{}, errorf("%q does not start with a number: write a count and a unit, e.g. \"30m\" or \"2 hours\"", s)
	}
	digits := rs[i:j]
	k := skipSpace(rs, j)
	l := k
	for l < len(rs) && (rs[l] >= 'a' && rs[l] <= 'z' || rs[l] >= 'A' && rs[l] <= 'Z') {
		l++
	}
	if l == k && k < len(rs) {
		return TimeDelta{}, errorf("%q is not one count and one unit: Tron accepts a whole number with a unit, e.g. \"90m\"", s)
	}
	if l == k {
		return TimeDelta{}, errorf("%q has no unit after the number: add one of %s", s, DeltaUnits)
	}
	if skipSpace(rs, l) != len(rs) {
		return TimeDelta{}, errorf("%q is not one count and one unit: Tron accepts a single number with a unit, e.g. \"90m\", not %q", s, strings.TrimSpace(string(rs[l:])))
	}
	word := string(rs[k:l])
	unit, ok := deltaUnits[word]
	if !ok {
		return TimeDelta{}, errorf("%q has the unit %q, which Tron does not know: use one of %s", s, word, DeltaUnits)
	}
	n, ok := number(digits, maxDeltaSeconds/unitSeconds[unit])
	if !ok {
		return TimeDelta{}, errorf("%q is longer than Python's timedelta can hold (999999999 days)", s)
	}
	return TimeDelta{N: n, Unit: unit}, nil
}
