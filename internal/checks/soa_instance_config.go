package checks

import (
	"context"
	"io/fs"
	"regexp"

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
			"ticket, e.g. `# override-cpu-setting (PERF-123 needs fixed cpus)`; tron spark actions take no cpus or " +
			"mem (tron schedules are soa.tron-schedule's). Fix the value or add the comment.",
		Source: "paasta validate: InstanceConfig.validate's cpus/mem (V3), validate_tron's spark resources (V2), validate_autoscaling_configs (V5), validate_min_max_instances (V7) and validate_cpu_burst (V9) (errors)",
		Run:    runInstanceConfig,
	}
}

func runInstanceConfig(ctx context.Context, p *Pass) error {
	svc, err := loadedService(p)
	if svc == nil || err != nil {
		return err
	}
	templated := map[string]bool{}
	for _, inst := range svc.Instances() {
		if unknownCluster(p, inst) {
			continue // paasta validate's instance checks skip it (soa.deploy-group warns)
		}
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
