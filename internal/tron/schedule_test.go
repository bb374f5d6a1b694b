package tron

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// The verdicts in these tables are Tron 3.10.5's: each was checked
// against tronfig's own parsers.

func TestSchedulesTronAccepts(t *testing.T) {
	tests := []struct {
		name, in string
		want     *Schedule
	}{
		{"a cron expression", "cron 0 4 * * *", &Schedule{Type: "cron", Cron: &Cron{Minutes: []int{0}, Hours: []int{4}}}},
		{"a cron with month and day names", "cron 0 4 * jan mon-fri", &Schedule{Type: "cron", Cron: &Cron{Minutes: []int{0}, Hours: []int{4}, Months: []int{1}, Weekdays: []int{1, 2, 3, 4, 5}}}},
		{"a cron macro", "cron @daily", &Schedule{Type: "cron", Cron: &Cron{Minutes: []int{0}, Hours: []int{0}}}},
		{"a daily schedule with seconds", "daily 04:00:00", &Schedule{Type: "daily", Daily: &Daily{Hour: 4}}},
		{"a daily schedule with one-digit fields and days", "daily 4:5 MWF", &Schedule{Type: "daily", Daily: &Daily{Hour: 4, Minute: 5, Weekdays: []int{1, 3, 5}}}},
		{"a daily schedule without a time, at midnight", "daily", &Schedule{Type: "daily", Daily: &Daily{}}},
		{"a daily schedule whose third word Tron ignores", "daily 23:59:59 s whatever", &Schedule{Type: "daily", Daily: &Daily{Hour: 23, Minute: 59, Second: 59, Weekdays: []int{6}}}},
		{"every day at a time", "every day at 04:00", &Schedule{Type: "groc daily", Groc: &Groc{Every: true, Time: "04:00"}}},
		{"English written together", "everyday", &Schedule{Type: "groc daily", Groc: &Groc{Every: true}}},
		{"the first monday of the month", "1st monday of month 09:00", &Schedule{Type: "groc daily", Groc: &Groc{Numbers: []int{1}, Weekdays: []int{1}, Time: "09:00"}}},
		{"ordinals, days and months in lists", "1st,3rd mon,fri in jan,JULY at 23:00", &Schedule{Type: "groc daily", Groc: &Groc{Numbers: []int{1, 3}, Weekdays: []int{1, 5}, Months: []int{1, 7}, Time: "23:00"}}},
		{"days of the month without weekdays", "1st,15th 12:00", &Schedule{Type: "groc daily", Groc: &Groc{Numbers: []int{1, 15}, Time: "12:00"}}},
		{"a time Tron does not check", "every day 99:99", &Schedule{Type: "groc daily", Groc: &Groc{Every: true, Time: "99:99"}}},
		{"sat before at is Saturday", "every sat at 04:00", &Schedule{Type: "groc daily", Groc: &Groc{Every: true, Weekdays: []int{6}, Time: "04:00"}}},
		{"surrounding whitespace", "  daily 04:00  ", &Schedule{Type: "daily", Daily: &Daily{Hour: 4}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSchedule(tt.in)
			if err != nil {
				t.Fatalf("ParseSchedule(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseSchedule(%q) = %s, want %s", tt.in, dump(got), dump(tt.want))
			}
		})
	}
}

func TestSchedulesTronRejects(t *testing.T) {
	tests := []struct{ name, in, msg string }{
		{"a daily hour of 25", "daily 25:00:00", `"25:00:00" is not a time of day`},
		{"a daily second of 60", "daily 00:00:60", "not a time of day"},
		{"daily days written as a word", "daily 04:00 mon", `"o" is none`},
		{"an interval, which Tron has not had for years", "interval 10m", `"interval 10m" is not a schedule Tron knows`},
		{"a sentence that is no schedule", "every full moon", "not of the form"},
		{"English without every or an ordinal", "monday at 04:00", `must start with "every" or an ordinal`},
		{"a trailing comma after the ordinals", "1st, mon", "ends in a comma"},
		{"a trailing comma after the days", "every mon, at 04:00", "empty item"},
		{"day in a list of days", "every mon,day", `"day" cannot be one item`},
		{"days run together", "every mday", `"mday" is no day name`},
		{"of without months", "every day of 04:00", `"of" and "in" must be followed by month names`},
		{"at without a time", "every day at", `"at" must be followed by a time`},
		{"a time with one-digit hours", "every day at 4:00", "HH:MM"},
		{"the word cron in capitals", "Cron 0 4 * * *", "not a schedule Tron knows"},
		{"a cron minute of 61", "cron 61 4 * * *", "the minute field has 61, outside 0-59"},
		{"a cron with three fields", "cron 0 4 *", "five fields"},
		{"a cron with six fields", "cron 0 0 4 * * *", "day of week field"},
		{"a cron day of week of 8", "cron 0 4 * * 8", "outside 0-6"},
		{"a cron step of 0", "cron */0 * * * *", "step in \"*/0\" is 0"},
		{"a cron step beyond the field", "cron 0 */24 * * *", "step in \"*/24\" must be 1-23"},
		{"a cron macro Tron does not know", "cron @reboot", "cron macros"},
		{"a cron with both days", "cron 0 4 1 * mon", "both the day of month"},
		{"a cron day of week ? with a day of month", "cron 0 4 1 * ?", "both the day of month"},
		{"a cron L in lower case", "cron 0 4 l * *", `"l"`},
		{"an empty cron", "cron", "five fields (minute hour day-of-month month day-of-week), found 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSchedule(tt.in)
			if err == nil {
				t.Fatalf("ParseSchedule(%q) = %s, want an error", tt.in, dump(got))
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("ParseSchedule(%q): %v, want it to say %q", tt.in, err, tt.msg)
			}
		})
	}
}

func TestAScheduleTooLongToReadIsUndecided(t *testing.T) {
	if _, err := ParseSchedule("every" + strings.Repeat(" ", MaxScheduleLength) + "day"); !errors.Is(err, ErrTooLong) {
		t.Errorf("a schedule over MaxScheduleLength: %v, want ErrTooLong", err)
	}
}

func TestCronQuirksTronHas(t *testing.T) {
	tests := []struct {
		name, in string
		want     *Cron
	}{
		{"names run together are replaced in calendar order", "0 0 * janfeb *", &Cron{Minutes: []int{0}, Hours: []int{0}, Months: []int{12}}},
		{"every 7 of a day of week becomes 0, so 1-7 wraps to every day", "0 0 * * 1-7", &Cron{Minutes: []int{0}, Hours: []int{0}, Weekdays: seq(0, 6)}},
		{"a range that wraps around", "0 0 * * 5-1", &Cron{Minutes: []int{0}, Hours: []int{0}, Weekdays: []int{0, 1, 5, 6}}},
		{"*-N is every value", "*-5 0 * * *", &Cron{Minutes: seq(0, 59), Hours: []int{0}}},
		{"spaces after the day of week's commas", "0 0 * * 1, 3", &Cron{Minutes: []int{0}, Hours: []int{0}, Weekdays: []int{1, 3}}},
		{"the last day of the month", "0 0 L * *", &Cron{Minutes: []int{0}, Hours: []int{0}, Monthdays: []int{}, LastDay: true}},
		{"? as the day of week is every day", "0 0 * * ?", &Cron{Minutes: []int{0}, Hours: []int{0}, Weekdays: seq(0, 6)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCron(tt.in)
			if err != nil {
				t.Fatalf("ParseCron(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseCron(%q) = %+v, want %+v", tt.in, *got, *tt.want)
			}
		})
	}
}

func TestScheduleMappings(t *testing.T) {
	tests := []struct {
		name      string
		typ, val  string
		wantError string
	}{
		{"a daily mapping", "daily", "04:00:00", ""},
		{"a cron mapping with four fields", "cron", "0 4 * *", "five fields"},
		{"a weekly mapping, a type Tron does not have", "weekly", "mon 04:00", `schedule type "weekly"`},
		{"a groc mapping", "groc daily", "every day at 04:00", ""},
		{"a groc mapping whose value starts with a space", "groc daily", " every day", `must start with "every"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTypedSchedule(tt.typ, tt.val)
			switch {
			case tt.wantError == "" && err != nil:
				t.Errorf("ParseTypedSchedule(%q, %q): %v", tt.typ, tt.val, err)
			case tt.wantError != "" && (err == nil || !strings.Contains(err.Error(), tt.wantError)):
				t.Errorf("ParseTypedSchedule(%q, %q) = %v, want an error saying %q", tt.typ, tt.val, err, tt.wantError)
			}
		})
	}
	for _, keys := range [][]string{{"type", "value"}, {"type", "value", "jitter"}} {
		if err := CheckScheduleKeys(keys); err != nil {
			t.Errorf("CheckScheduleKeys(%q): %v", keys, err)
		}
	}
	for _, keys := range [][]string{{"type"}, {"value"}, {"type", "value", "at"}} {
		if err := CheckScheduleKeys(keys); err == nil {
			t.Errorf("CheckScheduleKeys(%q) accepts it", keys)
		}
	}
	if _, err := ParseLegacySchedule("04:00:00", "MWF"); err != nil {
		t.Errorf("the old {start_time, days} form: %v", err)
	}
	if _, err := ParseLegacySchedule("04:00:00", "mon"); err == nil {
		t.Error("the old form accepts days \"mon\"")
	}
}

func TestTimeDeltas(t *testing.T) {
	tests := []struct {
		in      string
		want    TimeDelta
		wantErr string
	}{
		{"10m", TimeDelta{10, "minutes"}, ""},
		{" 2 hours ", TimeDelta{2, "hours"}, ""},
		{"30\tsecs", TimeDelta{30, "seconds"}, ""},
		{"999999999 days", TimeDelta{999999999, "days"}, ""},
		{"1 fortnight", TimeDelta{}, `the unit "fortnight"`},
		{"10 M", TimeDelta{}, `the unit "M"`},
		{"1h30m", TimeDelta{}, "one count and one unit"},
		{"1.5h", TimeDelta{}, "one count and one unit"},
		{"soon", TimeDelta{}, "does not start with a number"},
		{"10", TimeDelta{}, "no unit"},
		{"1000000000 days", TimeDelta{}, "longer than"},
		{"24000000000 h", TimeDelta{}, "longer than"},
		{"", TimeDelta{}, "does not start with a number"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTimeDelta(tt.in)
			switch {
			case tt.wantErr == "" && (err != nil || got != tt.want):
				t.Errorf("ParseTimeDelta(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("ParseTimeDelta(%q) = %v, %v; want an error saying %q", tt.in, got, err, tt.wantErr)
			}
		})
	}
	if got := (TimeDelta{2, "hours"}).Seconds(); got != 7200 {
		t.Errorf("2 hours is %d seconds", got)
	}
}

func seq(lo, hi int) []int {
	var out []int
	for v := lo; v <= hi; v++ {
		out = append(out, v)
	}
	return out
}

func dump(s *Schedule) string {
	if s == nil {
		return "nil"
	}
	var b strings.Builder
	b.WriteString(s.Type)
	for _, v := range []any{s.Cron, s.Daily, s.Groc} {
		if !reflect.ValueOf(v).IsNil() {
			b.WriteString(" " + strings.TrimPrefix(strings.TrimPrefix(fmtAny(v), "&"), "*"))
		}
	}
	return b.String()
}
