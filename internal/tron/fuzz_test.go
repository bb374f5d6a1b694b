package tron

import (
	"errors"
	"testing"
)

// FuzzParseSchedule checks that no schedule makes the parsers panic, that
// every rejection is an *Error with a message, and that what parses has
// values in range.
func FuzzParseSchedule(f *testing.F) {
	for _, s := range []string{
		"cron 0 4 * * *", "cron 0 4 * jan mon-fri", "cron @daily", "cron */0 * * * *", "cron 0 0 * * 1, 3",
		"daily 25:00:00", "daily 4:5 MWF", "daily", "every day at 04:00", "1st,3rd mon,fri in jan,july at 23:00",
		"every mon,", "1st,", "every full moon", "interval 10m", "every\u2003sat\x1cat ٠٤:٠٠", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sched, err := ParseSchedule(s)
		if errors.Is(err, ErrTooLong) {
			return
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Msg == "" {
				t.Fatalf("ParseSchedule(%q): %#v is not an *Error with a message", s, err)
			}
			return
		}
		switch {
		case sched.Cron != nil:
			for _, v := range sched.Cron.Minutes {
				if v < 0 || v > 59 {
					t.Fatalf("ParseSchedule(%q): minute %d", s, v)
				}
			}
			for _, v := range sched.Cron.Hours {
				if v < 0 || v > 23 {
					t.Fatalf("ParseSchedule(%q): hour %d", s, v)
				}
			}
		case sched.Daily != nil:
			if d := sched.Daily; d.Hour > 23 || d.Minute > 59 || d.Second > 59 {
				t.Fatalf("ParseSchedule(%q): time %+v", s, d)
			}
		case sched.Groc != nil:
			if g := sched.Groc; g.Every == (len(g.Numbers) > 0) && !(g.Every && len(g.Numbers) == 0) {
				t.Fatalf("ParseSchedule(%q): %+v is both every and ordinals", s, g)
			}
		default:
			t.Fatalf("ParseSchedule(%q) returned an empty schedule", s)
		}
	})
}

// FuzzParseTimeDelta checks that no time delta makes the parser panic or
// overflow, and that an accepted one is within Python's timedelta.
func FuzzParseTimeDelta(f *testing.F) {
	for _, s := range []string{"10m", " 2 hours ", "1 fortnight", "999999999 days", "1000000000 days", "٣ h", "1h30m", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseTimeDelta(s)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Msg == "" {
				t.Fatalf("ParseTimeDelta(%q): %#v is not an *Error with a message", s, err)
			}
			return
		}
		if d.N < 0 || d.Seconds() < 0 || d.Seconds() > maxDeltaSeconds {
			t.Fatalf("ParseTimeDelta(%q) = %+v, %d seconds", s, d, d.Seconds())
		}
	})
}
