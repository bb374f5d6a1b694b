package tron

import (
	"errors"
	"slices"
	"strings"
)

// Schedule is a parsed job schedule: exactly one of Cron, Daily and Groc
// is set, as Type says.
type Schedule struct {
	Type  string // "cron", "daily" or "groc daily"
	Cron  *Cron
	Daily *Daily
	Groc  *Groc
}

// MaxScheduleLength is the longest English schedule ParseGroc reads (in
// bytes); a longer one gives ErrTooLong. Tron has no limit, but no real
// schedule comes near it, and parsing costs memory in proportion.
const MaxScheduleLength = 64 << 10

// ErrTooLong is ParseGroc's answer for an expression over
// MaxScheduleLength, which it does not decide.
var ErrTooLong = errors.New("the schedule is too long for contractbot to read")

// ScheduleTypes are the values a schedule mapping's type may have.
var ScheduleTypes = []string{"cron", "daily", "groc daily"}

// ParseSchedule parses a schedule written as a string. Its first word
// picks the grammar: "cron" (the rest is a [ParseCron] expression),
// "daily" (the rest is a [ParseDaily] value), anything else makes the
// whole string a [ParseGroc] expression. Leading and trailing whitespace
// is ignored; the word is case-sensitive. "interval 10m" is not a
// schedule Tron knows.
func ParseSchedule(s string) (*Schedule, error) {
	rs := trim([]rune(s))
	i := 0
	for i < len(rs) && !isSpace(rs[i]) {
		i++
	}
	word, rest := string(rs[:i]), string(trim(rs[i:]))
	switch word {
	case "cron", "daily":
		return ParseTypedSchedule(word, rest)
	}
	g, err := ParseGroc(string(rs))
	if err != nil {
		return nil, err
	}
	return &Schedule{Type: "groc daily", Groc: g}, nil
}

// ParseTypedSchedule parses the value of a schedule written as a
// mapping, {type: T, value: V}, whose type is one of [ScheduleTypes].
func ParseTypedSchedule(typ, value string) (*Schedule, error) {
	switch typ {
	case "cron":
		c, err := ParseCron(value)
		if err != nil {
			return nil, err
		}
		return &Schedule{Type: typ, Cron: c}, nil
	case "daily":
		d, err := ParseDaily(value)
		if err != nil {
			return nil, err
		}
		return &Schedule{Type: typ, Daily: d}, nil
	case "groc daily":
		g, err := ParseGroc(value)
		if err != nil {
			return nil, err
		}
		return &Schedule{Type: typ, Groc: g}, nil
	}
	return nil, errorf("the schedule type %q is not one Tron knows: use cron, daily or \"groc daily\"", typ)
}

// CheckScheduleKeys checks the keys of a schedule mapping that has a
// type: type and value are required and jitter is the only other key.
// (A mapping without type is the old form, with start_time and days.)
func CheckScheduleKeys(keys []string) error {
	for _, k := range []string{"type", "value"} {
		if !slices.Contains(keys, k) {
			return errorf("a schedule mapping needs both type and value; %s is missing", k)
		}
	}
	for _, k := range keys {
		if k != "type" && k != "value" && k != "jitter" {
			return errorf("a schedule mapping has only type, value and jitter; %q is not allowed", k)
		}
	}
	return nil
}

// ParseLegacySchedule parses the old mapping form {start_time: T, days:
// D}: the daily schedule "T D", where T defaults to 00:00:00 and D to
// nothing.
func ParseLegacySchedule(startTime, days string) (*Schedule, error) {
	d, err := ParseDaily(startTime + " " + days)
	if err != nil {
		return nil, err
	}
	return &Schedule{Type: "daily", Daily: d}, nil
}

// Daily is a daily schedule: a time of day and the days of the week it
// runs on (0 is Sunday; none means every day).
type Daily struct {
	Hour, Minute, Second int
	Weekdays             []int
}

// dailyDays are the letters of a daily schedule's days, either case.
var dailyDays = map[rune]int{'u': 0, 'm': 1, 't': 2, 'w': 3, 'r': 4, 'f': 5, 's': 6}

// ParseDaily parses a daily schedule's value: a time of day H:MM or
// H:MM:SS (24-hour; 00:00:00 when the value is empty), then optionally
// the days as one word of day letters, U M T W R F S for Sunday to
// Saturday in either case ("MWF"). Words after the second are ignored, as
// Tron ignores them; "mon" is not a list of days (o and n are no day's
// letter).
func ParseDaily(value string) (*Daily, error) {
	words := fields([]rune(value))
	timeWord := []rune("00:00:00")
	var days []rune
	if len(words) > 0 {
		timeWord = words[0]
	}
	if len(words) > 1 {
		days = words[1]
	}
	h, m, sec, ok := parseClock(timeWord)
	if !ok {
		return nil, errorf("%q is not a time of day: write HH:MM or HH:MM:SS on a 24-hour clock (00:00 to 23:59:59)", string(timeWord))
	}
	d := &Daily{Hour: h, Minute: m, Second: sec}
	for _, r := range lowerASCII(days) {
		n, ok := dailyDays[r]
		if !ok {
			return nil, errorf("the days %q of a daily schedule must be day letters (U M T W R F S for Sunday to Saturday, e.g. MWF), and %q is none", string(days), string(r))
		}
		if !slices.Contains(d.Weekdays, n) {
			d.Weekdays = append(d.Weekdays, n)
		}
	}
	slices.Sort(d.Weekdays)
	return d, nil
}

// parseClock reads H:M or H:M:S as Python's strptime reads %H:%M and
// %H:%M:%S: an hour of one digit or two (00-23), a minute of one or two
// (00-59), a second of one or two (00-59), and nothing else.
func parseClock(s []rune) (h, m, sec int, ok bool) {
	i := 0
	if h, i, ok = clockField(s, i, hourDigits); !ok || i >= len(s) || s[i] != ':' {
		return 0, 0, 0, false
	}
	if m, i, ok = clockField(s, i+1, minuteDigits); !ok {
		return 0, 0, 0, false
	}
	if i == len(s) {
		return h, m, 0, true
	}
	if s[i] != ':' {
		return 0, 0, 0, false
	}
	if sec, i, ok = clockField(s, i+1, secondDigits); !ok || i != len(s) || sec > 59 {
		return 0, 0, 0, false // strptime reads 60 and 61, which datetime refuses
	}
	return h, m, sec, true
}

// The two-digit forms of strptime's fields: a first digit (ASCII) and
// the highest second digit (ASCII) it allows, or -1 for any decimal digit.
var (
	hourDigits   = [][2]int{{'2', '3'}, {'0', -1}, {'1', -1}}
	minuteDigits = [][2]int{{'0', -1}, {'1', -1}, {'2', -1}, {'3', -1}, {'4', -1}, {'5', -1}}
	secondDigits = [][2]int{{'6', '1'}, {'0', -1}, {'1', -1}, {'2', -1}, {'3', -1}, {'4', -1}, {'5', -1}}
)

// clockField reads one field of a strptime time at s[i]: two digits in
// one of the forms given, or else a single decimal digit.
func clockField(s []rune, i int, twoDigit [][2]int) (v, next int, ok bool) {
	if i >= len(s) || !isDigit(s[i]) {
		return 0, i, false
	}
	if i+1 < len(s) && isDigit(s[i+1]) {
		for _, f := range twoDigit {
			if s[i] == rune(f[0]) && (f[1] < 0 || s[i+1] >= '0' && s[i+1] <= rune(f[1])) {
				return int(s[i]-'0')*10 + digitValue(s[i+1]), i + 2, true
			}
		}
	}
	return digitValue(s[i]), i + 1, true
}

// Groc is a schedule in Tron's English form, such as "every day at 04:00"
// or "1st,3rd mon of jan,jul 09:00".
type Groc struct {
	// Every is set for "every ..."; otherwise Numbers are the ordinals
	// written first, which are days of the month when no day of the week
	// is named, and the n-th such weekday of the month otherwise.
	Every    bool
	Numbers  []int
	Weekdays []int // 0 is Sunday; none is every day
	Months   []int // 1 is January; none is every month
	Time     string
}

var grocDays = map[string]int{
	"sunday": 0, "monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6,
	"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6,
	"u": 0, "m": 1, "t": 2, "w": 3, "r": 4, "f": 5, "s": 6,
	"su": 0, "mo": 1, "tu": 2, "we": 3, "th": 4, "fr": 5, "sa": 6,
}

var grocMonths = map[string]int{
	"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
	"august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}

// ParseGroc parses Tron's English schedule form, ignoring case:
//
//	("every" | ORDINALS) [DAYS] [("of" | "in") MONTHS] [["at"] HH:MM]
//
// ORDINALS is a comma-separated list such as "1st,15th" (any number with
// any of the suffixes st, nd, rd, th), DAYS a comma-separated list of day
// names (monday, mon, mo, m, ..., with u and r for Sunday and Thursday)
// or the word day, MONTHS a comma-separated list of month names (january,
// jan, ...) or the word month, and HH:MM two digits, a colon and two
// digits (Tron checks no more of the time). The parts may be separated by
// whitespace or written together ("everyday"), "of"/"in" and "at" must
// be followed by whitespace, and the expression must start with "every"
// or an ordinal. A list may not end in a comma, and day and month are
// not list items.
func ParseGroc(expr string) (*Groc, error) {
	if len(expr) > MaxScheduleLength {
		return nil, ErrTooLong
	}
	s := lowerASCII([]rune(expr))
	g := &Groc{}
	bad := func(why string) error {
		return errorf("%q is not a schedule Tron knows: %s; write e.g. \"cron 0 4 * * *\", \"daily 04:00:00\" or \"every day at 04:00\"", expr, why)
	}
	// The first part: "every", or ordinals each with their comma.
	i := 0
	var ordinals [][]rune
	if hasPrefix(s, "every") {
		g.Every, i = true, len("every")
	} else {
		comma := false
		for {
			j := skipDigits(s, i)
			if j == i || !(hasPrefix(s[j:], "st") || hasPrefix(s[j:], "nd") || hasPrefix(s[j:], "rd") || hasPrefix(s[j:], "th")) {
				break
			}
			ordinals = append(ordinals, s[i:j])
			i, comma = j+2, false
			if i < len(s) && s[i] == ',' {
				i, comma = i+1, true
			}
		}
		if comma {
			ordinals = append(ordinals, nil) // a comma that no ordinal follows
		}
		if len(ordinals) == 0 {
			return nil, bad(`it must start with "every" or an ordinal such as "1st"`)
		}
	}
	i = skipSpace(s, i)
	// The days, then the months, each as long as the rest still parses.
	t := newGrocTables(s)
	daysFrom, daysTo := i, t.days[i]
	if daysTo < 0 {
		if !t.afterDays[i] {
			return nil, bad(grocHint(s, i))
		}
		daysTo = i
	}
	i = skipSpace(s, daysTo)
	monthsFrom, monthsTo := i, i
	if hasPrefix(s[i:], "in") || hasPrefix(s[i:], "of") {
		k := skipSpace(s, i+2)
		if k == i+2 || t.months[k] < 0 {
			return nil, bad(`"of" and "in" must be followed by month names such as jan or month`)
		}
		monthsFrom, monthsTo = k, t.months[k]
	}
	i = skipSpace(s, monthsTo)
	if hasPrefix(s[i:], "at") {
		i = skipSpace(s, i+2)
	}
	if i < len(s) {
		g.Time = string([]rune(expr)[i : i+5])
	}

	for _, o := range ordinals {
		if o == nil {
			return nil, bad("the list of ordinals ends in a comma")
		}
		n, _ := number(o, 1<<31)
		g.Numbers = append(g.Numbers, int(n))
	}
	if days := string(s[daysFrom:daysTo]); days != "" && days != "day" {
		for _, d := range strings.Split(days, ",") {
			n, ok := grocDays[d]
			if !ok {
				return nil, bad(listItemProblem("day", d))
			}
			g.Weekdays = append(g.Weekdays, n)
		}
	}
	if months := string(s[monthsFrom:monthsTo]); months != "" && months != "month" {
		for _, m := range strings.Split(months, ",") {
			n, ok := grocMonths[m]
			if !ok {
				return nil, bad(listItemProblem("month", m))
			}
			g.Months = append(g.Months, n)
		}
	}
	for _, l := range []*[]int{&g.Numbers, &g.Weekdays, &g.Months} {
		slices.Sort(*l)
		*l = slices.Compact(*l)
	}
	return g, nil
}

func listItemProblem(what, item string) string {
	switch item {
	case "":
		return "the list of " + what + "s has an empty item (a comma too many)"
	case what:
		return "\"" + what + "\" cannot be one item of a list"
	}
	return "the " + what + "s must be separated by commas, and " + strconvQuote(item) + " is no " + what + " name"
}

func strconvQuote(s string) string { return "\"" + strings.ReplaceAll(s, "\"", "\\\"") + "\"" }

// grocHint says where an expression that does not parse goes wrong,
// from i, where the days would begin.
func grocHint(s []rune, i int) string {
	// Skip what reads as days and months regardless of what follows.
	anything := func([]rune, int) bool { return true }
	if to, ok := longestList(s, i, grocDays, "day", func(s []rune, q int) bool { return q == len(s) || isSpace(s[q]) || !isLetter(s[q]) }); ok {
		i = to
	}
	i = skipSpace(s, i)
	if hasPrefix(s[i:], "in") || hasPrefix(s[i:], "of") {
		k := skipSpace(s, i+2)
		to, ok := longestList(s, k, grocMonths, "month", anything)
		if k == i+2 || !ok {
			return `"of" and "in" must be followed by month names such as jan or month`
		}
		i = skipSpace(s, to)
	}
	if hasPrefix(s[i:], "at") {
		return `"at" must be followed by a time HH:MM`
	}
	if i < len(s) && isDigit(s[i]) {
		return "the time must be HH:MM, two digits each"
	}
	return "it is not of the form (every | 1st,2nd,...) [days] [of months] [at HH:MM]"
}

func isLetter(r rune) bool { return r >= 'a' && r <= 'z' }

// grocTables says, for each position p of an expression, what may
// follow there: afterMonths[p] whether s[p:] is the optional time part,
// afterDays[p] whether it is the optional months and then the time part,
// and months[p] and days[p] the end of the longest list of month or day
// names starting at p that the rest accepts (-1 for none). Filled in from
// the end, they make parsing linear in the length of the expression.
type grocTables struct {
	afterMonths, afterDays []bool
	months, days           []int
}

func newGrocTables(s []rune) *grocTables {
	n := len(s)
	t := &grocTables{afterMonths: make([]bool, n+1), afterDays: make([]bool, n+1)}
	next := make([]int, n+1) // next[p]: the first position from p that is not whitespace
	next[n] = n
	for p := n - 1; p >= 0; p-- {
		next[p] = p
		if isSpace(s[p]) {
			next[p] = next[p+1]
		}
	}
	for p := n; p >= 0; p-- {
		t.afterMonths[p] = afterMonths(s, next[p], next)
	}
	t.months = longestLists(s, monthNames, t.afterMonths)
	for p := n; p >= 0; p-- {
		i := next[p]
		ok := t.afterMonths[i]
		if hasPrefix(s[i:], "in") || hasPrefix(s[i:], "of") {
			if k := next[i+2]; k > i+2 && t.months[k] >= 0 {
				ok = true
			}
		}
		t.afterDays[p] = ok
	}
	t.days = longestLists(s, dayNames, t.afterDays)
	return t
}

// afterMonths reports whether s[i:], where i is not whitespace, is
// optionally ["at" whitespace] HH:MM, then whitespace.
func afterMonths(s []rune, i int, next []int) bool {
	if i == len(s) {
		return true
	}
	j := i
	if hasPrefix(s[j:], "at") {
		j = next[j+2]
		if j == i+2 {
			return false
		}
	}
	if j+5 > len(s) || !isDigit(s[j]) || !isDigit(s[j+1]) || s[j+2] != ':' || !isDigit(s[j+3]) || !isDigit(s[j+4]) {
		return false
	}
	return next[j+5] == len(s)
}

// dayNames and monthNames are the words a list of days or months may be
// made of: the names, and the word that stands for all of them.
var (
	dayNames   = listWords(grocDays, "day")
	monthNames = listWords(grocMonths, "month")
)

func listWords(names map[string]int, whole string) []string {
	out := []string{whole}
	for n := range names {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// longestLists returns, for each start k, the end of the longest run of
// words (each optionally followed by a comma, at least one) that starts
// at k and ends where accept holds, or -1.
func longestLists(s []rune, words []string, accept []bool) []int {
	n := len(s)
	best := make([]int, n+1)
	best[n] = -1
	for k := n - 1; k >= 0; k-- {
		b := -1
		for _, w := range words {
			if !hasPrefix(s[k:], w) {
				continue
			}
			q := k + len(w)
			if accept[q] {
				b = max(b, q)
			}
			b = max(b, best[q])
			if q < n && s[q] == ',' {
				if accept[q+1] {
					b = max(b, q+1)
				}
				b = max(b, best[q+1])
			}
		}
		best[k] = b
	}
	return best
}

// longestList returns the end of the longest run of names (each from
// names or the word whole, each optionally followed by a comma, at least
// one) that starts at i and after which rest accepts the remaining text.
func longestList(s []rune, i int, names map[string]int, whole string, rest func([]rune, int) bool) (int, bool) {
	reach := make([]bool, len(s)+1) // reach[p]: one name or more end at p
	from := make([]bool, len(s)+1)  // a name may start at p
	from[i] = true
	for p := i; p < len(s); p++ {
		if !from[p] {
			continue
		}
		try := func(name string) {
			if hasPrefix(s[p:], name) {
				q := p + len(name)
				reach[q], from[q] = true, true
				if q < len(s) && s[q] == ',' {
					reach[q+1], from[q+1] = true, true
				}
			}
		}
		for name := range names {
			try(name)
		}
		try(whole)
	}
	for q := len(s); q > i; q-- {
		if reach[q] && rest(s, q) {
			return q, true
		}
	}
	return 0, false
}
