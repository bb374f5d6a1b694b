package checks

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/contractbot/contractbot/internal/soa"
)

func soaMonitoringRule() *Rule {
	return &Rule{
		ID: "soa.monitoring", Severity: SeverityError, Needs: NeedsService,
		Title: "alerts for the service have no team",
		Doc: "PaaSTA routes a service's alerts to the team named in monitoring.yaml (or service.yaml); with no " +
			"team nobody is paged. `paasta validate` requires monitoring.yaml of every service with a " +
			"service.yaml, a team for every tron job and a monitoring team for every flink job: those are errors. " +
			"A monitoring.yaml that names no team is flagged only by `paasta check` (sensu_check): a warning. Add " +
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
