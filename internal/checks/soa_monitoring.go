package checks

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/contractbot/contractbot/internal/soa"
	"github.com/contractbot/contractbot/internal/suggest"
)

func soaMonitoringRule() *Rule {
	return &Rule{
		ID: "soa.monitoring", Severity: SeverityError, Needs: NeedsService,
		Title: "alerts for the service have no team",
		Doc: "PaaSTA routes a service's alerts to the team named in monitoring.yaml (or service.yaml); with no " +
			"team nobody is paged. `paasta validate` requires monitoring.yaml of every service with a " +
			"service.yaml, a team for every tron job and a monitoring team for every flink job: those are errors. " +
			"With --paasta-config, those teams must also be teams Sensu knows (sensu/team_data.json). A " +
			"monitoring.yaml that names no team is flagged only by `paasta check` (sensu_check): a warning. Add " +
			"monitoring.yaml with `team: <your team>`. " + monitoringFixDoc,
		Source: "paasta validate: check_monitoring_file_exists (V12), validate_tron's job team (V2) and validate_flink_monitoring_team (V11) (errors); paasta check: sensu_check (C13) for a monitoring.yaml without a team (warning)",
		Run:    runMonitoring,
	}
}

func runMonitoring(ctx context.Context, p *Pass) error {
	svc, err := loadedService(p)
	if svc == nil || err != nil {
		return err
	}
	checkFlinkTeams(p, svc)
	mon, service := svc.File("monitoring.yaml"), svc.File("service.yaml")
	if err := checkSensuTeams(p, svc, mon); err != nil {
		return err
	}
	if mon == nil {
		if service != nil {
			p.Report(Finding{Path: path.Join(p.Service, "monitoring.yaml"), Line: 1, SuggestedFixes: monitoringFileFix(p, service),
				Message: fmt.Sprintf("no monitoring.yaml, which paasta validate requires of every service so that alerts reach a team: add %s with `team: <your team>`", p.SOAPath(path.Join(p.Service, "monitoring.yaml")))})
		}
		return nil
	}
	if mon.Err != nil {
		unloadable(p, mon, "its team")
		return nil
	}
	team := func(n *soa.Node) bool {
		s, ok := n.Str()
		return ok && s != ""
	}
	if team(mon.Root.Get("team")) {
		return nil
	}
	// paasta validate requires a team for every tron job; the job's own
	// monitoring block may name it when monitoring.yaml does not.
	for _, f := range svc.Files {
		if typ, _ := soa.InstanceFile(f.Rel); typ != "tron" || f.Root == nil || f.Root.Kind != soa.KindMap {
			continue
		}
		for i, k := range f.Root.Keys {
			job, ok := k.Str()
			if !ok || strings.HasPrefix(job, "_") || f.Root.Values[i].Kind != soa.KindMap {
				continue
			}
			if !team(f.Root.Values[i].Get("monitoring").Get("team")) {
				p.Reportf(f.Path, line(k), "tron job %s has no monitoring team (neither its monitoring block nor monitoring.yaml names one), which paasta validate rejects: add `team:` to monitoring.yaml or to the job's monitoring", job)
			}
		}
	}
	if service != nil && service.Err == nil && (team(service.Root.Get("monitoring").Get("team")) || team(service.Root.Get("team"))) {
		return nil
	}
	warnf(p, mon.Path, 1, "monitoring.yaml names no team (nor does service.yaml), so PaaSTA cannot route the service's alerts (paasta check flags it): add `team: <your team>`")
	return nil
}

// checkFlinkTeams is paasta validate's validate_flink_monitoring_team
// (V11), as far as it can be known statically: every job of a flink
// instance needs a monitoring block with a team.
func checkFlinkTeams(p *Pass, svc *soa.Service) {
	for _, inst := range svc.Instances() {
		if inst.Type != "flink" && inst.Type != "flinkeks" {
			continue
		}
		jobs := inst.Config.Get("jobs")
		if jobs == nil || jobs.Kind != soa.KindMap {
			continue
		}
		for i, k := range jobs.Keys {
			if t, ok := jobs.Values[i].Get("monitoring").Get("team").Str(); !ok || t == "" {
				p.Reportf(inst.File.Path, line(k), "flink job %s of instance %s has no monitoring team, which paasta validate requires: add monitoring: {team: <your team>} to the job", k.Text, inst.Name)
			}
		}
	}
}

// checkSensuTeams is the rest of validate_tron's job team check (V2) and
// of validate_flink_monitoring_team (V11): the team must be one Sensu
// knows, which only the system configuration says (--paasta-config).
func checkSensuTeams(p *Pass, svc *soa.Service, mon *soa.File) error {
	c, err := systemConfig(p)
	if err != nil {
		return err
	}
	var fallback *soa.Node // monitoring.yaml's team, which tron jobs inherit
	if mon != nil && mon.Err == nil {
		fallback = mon.Root.Get("team")
	}
	reported := map[*soa.Node]bool{}
	check := func(n *soa.Node, path, what string) {
		t, ok := n.Str()
		if !ok || t == "" || reported[n] {
			return
		}
		if c == nil || c.SensuTeams == nil {
			skippedWithoutSystemConfig(p, sensuTeams, path, line(n))
			return
		}
		if c.SensuTeams[t] {
			return
		}
		reported[n] = true
		p.Reportf(path, line(n), "%s has the monitoring team %q, which is not a team Sensu knows (--paasta-config's sensu/team_data.json), so paasta validate rejects it: use the team's Sensu name%s", what, t, closestTeam(t, c.SensuTeams))
	}
	for _, j := range tronJobs(p, svc, "its tron jobs' teams") {
		if n := j.cfg.Get("monitoring").Get("team"); n != nil {
			check(n, j.file.Path, "tron job "+j.name)
		} else if fallback != nil {
			check(fallback, mon.Path, "monitoring.yaml, which tron job "+j.name+" inherits,")
		}
	}
	for _, inst := range svc.Instances() {
		if jobs := inst.Config.Get("jobs"); (inst.Type == "flink" || inst.Type == "flinkeks") && jobs != nil && jobs.Kind == soa.KindMap {
			for i, k := range jobs.Keys {
				check(jobs.Values[i].Get("monitoring").Get("team"), inst.File.Path, "flink job "+k.Text+" of instance "+inst.Name)
			}
		}
	}
	return nil
}

// closestTeam suggests the known team nearest to t, as ", e.g. ..." or "".
func closestTeam(t string, teams map[string]bool) string {
	names := make([]string, 0, len(teams))
	for n := range teams {
		names = append(names, n)
	}
	slices.Sort(names) // ties go to the first
	if s, _ := suggest.Closest(t, names); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}
