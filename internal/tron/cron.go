package tron

import (
	"slices"
	"strconv"
	"strings"
)

// Cron is a parsed cron schedule. A nil set means every value ("*").
type Cron struct {
	Minutes, Hours, Monthdays, Months, Weekdays []int
	// LastDay is set when the day-of-month field lists L, the last day of
	// the month.
	LastDay bool
}

// cronMacros are the @-names Tron expands to a five-field expression.
var cronMacros = map[string]string{
	"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
	"@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}

type cronField struct {
	name   string
	lo, hi int // the values are lo..hi-1
}

var (
	minuteField   = cronField{"minute", 0, 60}
	hourField     = cronField{"hour", 0, 24}
	monthdayField = cronField{"day of month", 1, 32}
	monthField    = cronField{"month", 1, 13}
	weekdayField  = cronField{"day of week", 0, 7}
)

var (
	monthAbbrs   = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
	weekdayAbbrs = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
)

// ParseCron parses a cron expression as Tron's scheduler does:
//
//   - one of @yearly, @annually, @monthly, @weekly, @daily, @midnight,
//     @hourly (nothing else may follow it), or five fields separated by
//     whitespace: minute (0-59), hour (0-23), day of month (1-31, or L),
//     month (1-12 or jan..dec), day of week (0-6 with 7 for Sunday, or
//     sun..sat; ? means *);
//   - a field is * or a comma-separated list of N, N-M (wrapping around
//     when M < N), *-M (all values), each optionally followed by /STEP;
//     a step must be a value of the field and not 0;
//   - everything after the fourth field is the day of week, so a sixth
//     field is an error, except that spaces around the commas of the day
//     of week are allowed ("1, 3");
//   - a schedule cannot restrict both the day of month and the day of
//     week (one of them must be exactly *).
//
// Month and day names are replaced where they occur in a field, in
// calendar order and ignoring case, and every 7 of a day-of-week field
// becomes 0, exactly as Tron does: "janfeb" is month 12, "17" day 10.
func ParseCron(expr string) (*Cron, error) {
	line := string(trim([]rune(expr)))
	if strings.HasPrefix(line, "@") {
		m, ok := cronMacros[line]
		if !ok {
			return nil, errorf("%q is not one of Tron's cron macros (@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)", line)
		}
		line = m
	}
	rs := []rune(line)
	var parts [][]rune
	for len(parts) < 4 {
		i := skipSpace(rs, 0)
		j := i
		for j < len(rs) && !isSpace(rs[j]) {
			j++
		}
		if j == i {
			break
		}
		parts = append(parts, rs[i:j])
		rs = rs[j:]
	}
	if rest := trim(rs); len(parts) == 4 && len(rest) > 0 {
		parts = append(parts, rest)
	}
	if len(parts) < 5 {
		return nil, errorf("a cron expression has five fields (minute hour day-of-month month day-of-week), found %d", len(parts))
	}
	c := &Cron{}
	var err error
	if c.Minutes, err = parseCronField(minuteField, parts[0], nil); err != nil {
		return nil, err
	}
	if c.Hours, err = parseCronField(hourField, parts[1], nil); err != nil {
		return nil, err
	}
	if c.Monthdays, err = parseCronField(monthdayField, parts[2], &c.LastDay); err != nil {
		return nil, err
	}
	if c.Months, err = parseCronField(monthField, parts[3], nil); err != nil {
		return nil, err
	}
	if c.Weekdays, err = parseCronField(weekdayField, parts[4], nil); err != nil {
		return nil, err
	}
	if (c.Monthdays != nil || c.LastDay) && c.Weekdays != nil {
		return nil, errorf("the expression restricts both the day of month (%s) and the day of week (%s), which Tron does not support: make one of them *", string(parts[2]), string(parts[4]))
	}
	return c, nil
}

// normalizeCron rewrites one comma-separated piece of a field the way
// Tron does before reading it.
func normalizeCron(f cronField, piece []rune) string {
	s := string(trim(piece))
	switch f {
	case monthField:
		s = string(lowerASCII([]rune(s)))
		for i, name := range monthAbbrs {
			s = strings.ReplaceAll(s, name, strconv.Itoa(i+1))
		}
	case weekdayField:
		s = string(lowerASCII([]rune(s)))
		for i, name := range weekdayAbbrs {
			s = strings.ReplaceAll(s, name, strconv.Itoa(i))
		}
		s = strings.ReplaceAll(strings.ReplaceAll(s, "7", "0"), "?", "*")
	}
	return s
}

// parseCronField returns the field's sorted values, nil for "*". last,
// when not nil, accepts L (set to true) for the last day of the month.
func parseCronField(f cronField, src []rune, last *bool) ([]int, error) {
	if string(src) == "*" {
		return nil, nil
	}
	set := map[int]bool{}
	for _, piece := range strings.Split(string(src), ",") {
		s := normalizeCron(f, []rune(piece))
		if last != nil && s == "L" {
			*last = true
			continue
		}
		vals, err := cronRange(f, []rune(s), piece)
		if err != nil {
			return nil, err
		}
		for _, v := range vals {
			set[v] = true
		}
	}
	out := make([]int, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	slices.Sort(out)
	return out, nil
}

// cronRange reads N, N-M, * or *-M with an optional /STEP.
func cronRange(f cronField, s []rune, orig string) ([]int, error) {
	bad := func() error {
		return errorf("the %s field has %q, which is not a number, a range N-M or *, with an optional /step", f.name, strings.TrimSpace(orig))
	}
	var lo, hi, step int
	i := 0
	switch {
	case i < len(s) && s[i] == '*':
		i++
		lo, hi = f.lo, f.hi
		if i < len(s) && s[i] == '-' {
			j := skipDigits(s, i+1)
			if j == i+1 {
				return nil, bad()
			}
			i = j // Tron ignores the bound after *-
		}
	default:
		j := skipDigits(s, i)
		if j == i {
			return nil, bad()
		}
		v, err := f.value(s[i:j])
		if err != nil {
			return nil, err
		}
		lo, hi, i = v, v+1, j
		if i < len(s) && s[i] == '-' {
			j := skipDigits(s, i+1)
			if j == i+1 {
				return nil, bad()
			}
			w, err := f.value(s[i+1 : j])
			if err != nil {
				return nil, err
			}
			hi, i = w+1, j
		}
	}
	step = 1
	if i < len(s) && s[i] == '/' {
		j := skipDigits(s, i+1)
		if j == i+1 {
			return nil, bad()
		}
		v, err := f.value(s[i+1 : j])
		if err != nil {
			return nil, errorf("the %s field's step in %q must be %d-%d", f.name, strings.TrimSpace(orig), max(f.lo, 1), f.hi-1)
		}
		step, i = v, j
	}
	if i != len(s) {
		return nil, bad()
	}
	if step == 0 {
		return nil, errorf("the %s field's step in %q is 0: use a step of 1 or more", f.name, strings.TrimSpace(orig))
	}
	var out []int
	if lo < hi {
		for v := lo; v < hi; v += step {
			out = append(out, v)
		}
		return out, nil
	}
	// A range that wraps around, as Tron computes it (it can yield 0 for a
	// day of month or a month; Tron accepts that here).
	n := (f.hi - lo) + (hi - f.lo)
	for k := 0; k < n; k += step {
		out = append(out, (lo+k)%f.hi)
	}
	return out, nil
}

// value reads one number of the field and checks its bounds.
func (f cronField) value(digits []rune) (int, error) {
	v, ok := number(digits, 1<<31)
	if !ok || v < int64(f.lo) || v >= int64(f.hi) {
		return 0, errorf("the %s field has %s, outside %d-%d", f.name, string(digits), f.lo, f.hi-1)
	}
	return int(v), nil
}
