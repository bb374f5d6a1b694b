package checks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/contractbot/contractbot/internal/soa"
	"github.com/contractbot/contractbot/internal/tron"
)

func soaTronScheduleRule() *Rule {
	return &Rule{
		ID: "soa.tron-schedule", Severity: SeverityError, Needs: NeedsService,
		Title: "a tron job's schedule is not one Tron can read",
		Doc: "`paasta validate` runs Tron's own check (tronfig) on every tron-<cluster>.yaml, and reads cron " +
			"schedules once more to list their next runs; a schedule either of them cannot read fails the " +
			"build. Tron knows three forms: `cron 0 4 * * *` (five fields; Tron also reads @daily, but paasta validate " +
			"does not), " +
			"`daily 04:00:00` (a time, then day letters such as MWF) and English such as `every day at 04:00` " +
			"or `1st,3rd mon of jan 09:00`, each also as a mapping `{type: cron|daily|groc daily, value: ..., " +
			"jitter: 10m}`. `interval 10m`, `daily 25:00`, a cron with a sixth field or with both a day of month " +
			"and a day of week are rejected. Rewrite the schedule in one of the forms, as the message says.",
		Source: "paasta validate: validate_tron's tronfig (V2: Tron's schedule parsers) and get_upcoming_runs (V2a: croniter) (errors)",
		Run:    runTronSchedule,
	}
}

func runTronSchedule(ctx context.Context, p *Pass) error {
	svc, err := loadedService(p)
	if svc == nil || err != nil {
		return err
	}
	for _, j := range tronJobs(p, svc, "its tron schedules") {
		checkTronSchedule(p, j)
	}
	return nil
}

func checkTronSchedule(p *Pass, j tronJob) {
	path := j.name + ".schedule"
	sched := j.cfg.Get("schedule")
	at := nodeLine(sched, j.key)
	if schemaRejects(p, j.file, path) {
		return // soa.schema reports a missing schedule or one of the wrong type
	}
	bad := func(format string, args ...any) {
		p.Reportf(j.file.Path, at, "tron job %s has the schedule %s, %s: %s", j.name, describeSchedule(sched), tronfigRejects, fmt.Sprintf(format, args...))
	}
	var (
		parsed *tron.Schedule
		err    error
		cron   string // the expression croniter reads, for cron schedules
	)
	switch {
	case sched == nil:
		p.Reportf(j.file.Path, at, "tron job %s has no schedule, which Tron requires: add e.g. `schedule: \"cron 0 4 * * *\"`", j.name)
		return
	case sched.Kind == soa.KindString:
		parsed, err = tron.ParseSchedule(sched.Text)
		if parsed != nil && parsed.Type == "cron" {
			cron, _ = strings.CutPrefix(strings.TrimSpace(sched.Text), "cron")
		}
	case sched.Kind == soa.KindMap && sched.KeyNode("type") != nil:
		var keys []string
		for _, k := range sched.Keys {
			keys = append(keys, k.Text)
		}
		if err := tron.CheckScheduleKeys(keys); err != nil {
			bad("%v", err)
			return
		}
		typ, ok := sched.Get("type").Str()
		if !ok || !slices.Contains(tron.ScheduleTypes, typ) {
			bad("its type must be cron, daily or \"groc daily\", not %s", sched.Get("type").Describe())
			return
		}
		value, ok := sched.Get("value").Str()
		if !ok {
			bad("its value must be a string, not %s", sched.Get("value").Describe())
			return
		}
		if jit := sched.KeyNode("jitter"); jit != nil {
			if msg := tronDeltaProblem(sched.Get("jitter")); msg != "" {
				bad("its jitter %s", msg)
				return
			}
		}
		_, err = tron.ParseTypedSchedule(typ, value)
		if typ == "cron" {
			cron = value
		}
	case sched.Kind == soa.KindMap:
		// The old form, {start_time: "04:00:00", days: "MWF"}.
		if sched.KeyNode("start_time") == nil && sched.KeyNode("days") == nil {
			bad("a schedule mapping needs type and value, e.g. {type: cron, value: \"0 4 * * *\"}")
			return
		}
		start, days := "00:00:00", ""
		for key, v := range map[string]*string{"start_time": &start, "days": &days} {
			if n := sched.Get(key); sched.KeyNode(key) != nil {
				s, ok := n.Str()
				if !ok {
					bad("its %s must be a string, not %s", key, n.Describe())
					return
				}
				*v = s
			}
		}
		_, err = tron.ParseLegacySchedule(start, days)
	default:
		p.Reportf(j.file.Path, at, "tron job %s has the schedule %s, which must be a string or a mapping: write e.g. \"cron 0 4 * * *\"", j.name, sched.Describe())
		return
	}
	switch {
	case errors.Is(err, tron.ErrTooLong):
		p.Report(Finding{Path: j.file.Path, Line: at, Severity: SeverityNotice,
			Message: fmt.Sprintf("tron job %s has a schedule over %d bytes, which contractbot does not read, so it is not checked: shorten it", j.name, tron.MaxScheduleLength)})
		return
	case err != nil:
		bad("%v", err)
		return
	}
	if cron == "" {
		return
	}
	if why := cronProblem(strings.TrimSpace(cron)); why != "" {
		p.Reportf(j.file.Path, at, "tron job %s has the schedule %q, which paasta validate cannot parse: %s (see crontab.guru)", j.name, strings.TrimSpace(cron), why)
	}
}

// describeSchedule renders a schedule for a message: a string quoted, a
// mapping with its type and value.
func describeSchedule(n *soa.Node) string {
	if n != nil && n.Kind == soa.KindMap {
		var parts []string
		for i, k := range n.Keys {
			parts = append(parts, k.Text+": "+n.Values[i].Describe())
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return n.Describe()
}

// tronDeltaProblem says why Tron rejects a time delta value, or "".
func tronDeltaProblem(n *soa.Node) string {
	s, ok := n.Str()
	if !ok {
		return "must be a string such as \"10m\", not " + n.Describe()
	}
	if _, err := tron.ParseTimeDelta(s); err != nil {
		return "is not a duration Tron reads: " + err.Error()
	}
	return ""
}

// cronFields are the bounds of a cron expression's fields (croniter's:
// minute, hour, day of month, month, day of week, optional seconds).
var cronFields = []struct {
	name   string
	lo, hi int
}{{"minute", 0, 59}, {"hour", 0, 23}, {"day of month", 1, 31}, {"month", 1, 12}, {"day of week", 0, 7}, {"second", 0, 59}}

// cronNames are the month and weekday names croniter accepts.
var cronNames = map[string]bool{
	"jan": true, "feb": true, "mar": true, "apr": true, "may": true, "jun": true, "jul": true, "aug": true,
	"sep": true, "oct": true, "nov": true, "dec": true,
	"sun": true, "mon": true, "tue": true, "wed": true, "thu": true, "fri": true, "sat": true,
}

// cronProblem returns why croniter (paasta validate's V2a) would reject a
// cron expression, or "". Tron's own reading comes first, in internal/tron.
// It is deliberately lenient (L, W, # and ? pass): a finding must be a
// certain failure of paasta validate's schedule check (V2a).
func cronProblem(expr string) string {
	fields := strings.Fields(expr)
	if len(fields) < 5 || len(fields) > 6 {
		return fmt.Sprintf("a cron expression has 5 fields (minute hour day-of-month month day-of-week), found %d", len(fields))
	}
	for i, f := range fields {
		spec := cronFields[i]
		for _, part := range strings.Split(f, ",") {
			rng, step, hasStep := strings.Cut(part, "/")
			if hasStep {
				if n, err := strconv.Atoi(step); err != nil || n < 1 {
					return fmt.Sprintf("the %s field %q has a bad step %q", spec.name, f, step)
				}
			}
			if rng == "*" || rng == "?" {
				continue
			}
			for _, v := range strings.Split(rng, "-") {
				if v == "" {
					return fmt.Sprintf("the %s field %q is malformed", spec.name, f)
				}
				if n, err := strconv.Atoi(v); err == nil {
					if n < spec.lo || n > spec.hi {
						return fmt.Sprintf("the %s field %q is out of range %d-%d", spec.name, f, spec.lo, spec.hi)
					}
					continue
				}
				low := strings.ToLower(v)
				if cronNames[low] || strings.ContainsAny(v, "LW#") {
					continue
				}
				return fmt.Sprintf("the %s field %q is not a number, range, list or step", spec.name, f)
			}
		}
	}
	return ""
}
