package checks

import (
	"context"
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"strings"

	"github.com/contractbot/contractbot/internal/soa"
)

func soaInstanceConfigRule() *Rule {
	return &Rule{
		ID: "soa.instance-config", Severity: SeverityError, Needs: NeedsService,
		Title: "an instance's resources or autoscaling are inconsistent",
		Doc: "`paasta validate` checks what the schemas cannot: min_instances must not exceed max_instances, " +
			"cpus and mem must be numbers, autoscaling metrics providers must fit their type (one of each, " +
			"bespoke alone, active-requests at setpoint 0.8, arbitrary-promql with a metrics_query), and a fixed " +
			"cpus on a CPU-autoscaled instance or a cpu_burst_add above 2 needs an acknowledging comment with a " +
			"ticket, e.g. `# override-cpu-setting (PERF-123 needs fixed cpus)`; tron cron schedules must parse and " +
			"spark actions take no cpus or mem. Fix the value or add the comment.",
		Source: "paasta validate: InstanceConfig.validate's cpus/mem (V3), validate_tron's cron schedules and spark resources (V2, V2a), validate_autoscaling_configs (V5), validate_min_max_instances (V7) and validate_cpu_burst (V9) (errors)",
		Run:    runInstanceConfig,
	}
}

func runInstanceConfig(ctx context.Context, p *Pass) error {
	svc, err := loadedService(p)
	if svc == nil || err != nil {
		return err
	}
	checkTronSchedules(p, svc)
	templated := map[string]bool{}
	for _, inst := range svc.Instances() {
		cfg, path := inst.Config, inst.File.Path
		if !schemaChecks(p, inst.File.Rel) {
			for _, key := range []string{"cpus", "mem"} {
				if v := cfg.Get(key); v != nil && v.Kind != soa.KindInt && v.Kind != soa.KindFloat {
					p.Reportf(path, line(v), "%s of instance %s must be a number, found %s", key, inst.Name, v.Describe())
				}
			}
		}
		if inst.Type == "tron" {
			executor, _ := cfg.Get("executor").Str()
			for _, key := range []string{"cpus", "mem"} {
				if v := cfg.Get(key); executor == "spark" && v != nil {
					p.Reportf(path, line(v), "tron action %s runs with executor spark, which sizes itself; paasta validate rejects %s here: remove it (set spark resources in the spark args)", inst.Name, key)
				}
			}
		}
		if inst.Type != "tron" {
			maxN := cfg.Get("max_instances")
			minN := cfg.Get("min_instances")
			lo, hi := 1.0, 0.0
			okHi := false
			if v, ok := number(minN); ok {
				lo = v
			}
			if minN == nil || minN.Kind == soa.KindInt || minN.Kind == soa.KindFloat {
				hi, okHi = number(maxN)
			}
			if okHi && hi < lo {
				p.Reportf(path, line(maxN), "instance %s has max_instances %s below min_instances %v, which paasta validate rejects: raise max_instances or lower min_instances", inst.Name, maxN.Text, lo)
			}
		}
		if !inst.LongRunning() {
			continue
		}
		key := inst.Type + "-" + inst.Cluster
		if _, ok := templated[key]; !ok {
			_, err := fs.Stat(p.SOA, p.Service+"/"+key+".in")
			templated[key] = err == nil
		}
		if templated[key] {
			continue // generated from a template: paasta validate skips V5 and V9
		}
		if burst := cfg.Get("cpu_burst_add"); burst != nil {
			if v, ok := number(burst); ok && v > cpuBurstThreshold && !overrideBurstAck.MatchString(burst.Comment) {
				p.Reportf(path, line(burst), "instance %s sets cpu_burst_add: %s, above the threshold of %d cores, without an acknowledgement: add `# override-cpu-burst (TICKET-123 why it needs the burst)` on that line or lower it", inst.Name, burst.Text, cpuBurstThreshold)
			}
		}
		if cfg.Get("max_instances") == nil {
			continue // autoscaling is off
		}
		checkAutoscaling(p, inst)
	}
	return nil
}

// PaaSTA's acknowledgement comments (validate.py).
var (
	overrideCPUAck   = regexp.MustCompile(`#\s*override-cpu-setting\s+\(.+[A-Z]+-[0-9]+.+\)`)
	overrideBurstAck = regexp.MustCompile(`#\s*override-cpu-burst\s+\(.+[A-Z]+-[0-9]+.+\)`)
)

// cpuBurstThreshold is PaaSTA's CPU_BURST_THRESHOLD (cores).
const cpuBurstThreshold = 2

// invalidAutoscalingFields is PaaSTA's INVALID_AUTOSCALING_FIELDS: keys a
// metrics provider type does not support.
func invalidAutoscalingField(typ, key string) bool {
	switch key {
	case "desired_active_requests_per_replica":
		return typ != "active-requests"
	case "metrics_query", "series_query", "target_type", "resources":
		return typ != "arbitrary-promql"
	}
	return false
}

func checkAutoscaling(p *Pass, inst *soa.Instance) {
	cfg, path := inst.Config, inst.File.Path
	as := cfg.Get("autoscaling")
	providers := as.Get("metrics_providers")
	type provider struct {
		typ, policy string
		node        *soa.Node
	}
	var list []provider
	if providers != nil && providers.Kind == soa.KindSeq {
		for _, pn := range providers.Items {
			if pn.Kind != soa.KindMap {
				continue
			}
			typ, _ := pn.Get("type").Str()
			policy, _ := pn.Get("decision_policy").Str()
			list = append(list, provider{typ, policy, pn})
		}
	} else {
		list = []provider{{typ: "cpu", policy: "proportional"}}
	}
	at := func(n *soa.Node) int {
		if n != nil {
			return line(n)
		}
		return inst.Line()
	}
	seen := map[string]bool{}
	for _, pr := range list {
		if pr.node != nil {
			for _, k := range pr.node.Keys {
				if name, _ := k.Str(); invalidAutoscalingField(pr.typ, name) {
					p.Reportf(path, line(k), "instance %s: metrics provider %s does not support %s: remove it", inst.Name, pr.typ, name)
				}
			}
		}
		if pr.policy == "bespoke" && len(list) > 1 {
			p.Reportf(path, at(pr.node), "instance %s: decision_policy bespoke cannot be combined with other metrics providers: keep only the bespoke one", inst.Name)
		}
		if seen[pr.typ] {
			p.Reportf(path, at(pr.node), "instance %s has two %s metrics providers: keep one", inst.Name, pr.typ)
		}
		seen[pr.typ] = true
		setpoint := pr.node.Get("setpoint")
		switch pr.typ {
		case "active-requests":
			if regs, _ := inst.Registrations(p.Service); len(regs) > 1 {
				p.Reportf(path, at(pr.node), "instance %s autoscales on active-requests but has %d registrations; PaaSTA supports one: keep a single registration", inst.Name, len(regs))
			}
			if v, ok := number(setpoint); ok && v != 0.8 {
				p.Reportf(path, line(setpoint), "instance %s: the active-requests provider's setpoint must be 0.8 (found %s); tune desired_active_requests_per_replica instead", inst.Name, setpoint.Text)
			}
		case "arbitrary-promql":
			if pr.node.Get("metrics_query") == nil {
				p.Reportf(path, at(pr.node), "instance %s: the arbitrary-promql provider needs a metrics_query", inst.Name)
			}
			if v, ok := number(setpoint); ok && v <= 0 {
				p.Reportf(path, line(setpoint), "instance %s: the arbitrary-promql provider's setpoint must be above 0, found %s", inst.Name, setpoint.Text)
			}
		case "cpu":
			if pr.policy == "bespoke" {
				continue
			}
			cpus := cfg.Get("cpus")
			switch {
			case cpus == nil && len(list) > 1:
				p.Reportf(path, at(pr.node), "instance %s autoscales on cpu with other providers but sets no cpus: set cpus explicitly (y/override-cpu-autotune)", inst.Name)
			case cpus != nil && !overrideCPUAck.MatchString(cpus.Comment):
				p.Reportf(path, line(cpus), "instance %s autoscales on cpu but fixes cpus: %s without an acknowledgement, so autotuning cannot size it: remove cpus or add `# override-cpu-setting (TICKET-123 why)` on that line", inst.Name, cpus.Text)
			}
		}
	}
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

// cronProblem returns why croniter would reject a cron expression, or "".
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

// checkTronSchedules reports tron jobs whose cron schedule paasta
// validate cannot parse (V2a).
func checkTronSchedules(p *Pass, svc *soa.Service) {
	for _, f := range svc.Files {
		if typ, _ := soa.InstanceFile(f.Rel); typ != "tron" || f.Root == nil || f.Root.Kind != soa.KindMap {
			continue
		}
		for i, k := range f.Root.Keys {
			job, ok := k.Str()
			if !ok || strings.HasPrefix(job, "_") || f.Root.Values[i].Kind != soa.KindMap {
				continue
			}
			sched := f.Root.Values[i].Get("schedule")
			var expr string
			if s, ok := sched.Str(); ok {
				rest, isCron := strings.CutPrefix(strings.TrimSpace(s), "cron ")
				if !isCron {
					continue
				}
				expr = rest
			} else if typ, _ := sched.Get("type").Str(); typ == "cron" {
				if expr, ok = sched.Get("value").Str(); !ok {
					continue
				}
			} else {
				continue
			}
			if why := cronProblem(expr); why != "" {
				p.Reportf(f.Path, line(sched), "tron job %s has the schedule %q, which paasta validate cannot parse: %s (see crontab.guru)", job, expr, why)
			}
		}
	}
}
