package checks

import (
	"context"
	"fmt"
	"path"
	"strings"
)

func soaSystemConfigRule() *Rule {
	return &Rule{
		ID: "soa.system-config", Severity: SeverityNotice, Needs: NeedsService,
		Title: "checks that need PaaSTA's system configuration were skipped",
		Doc: "Some of what `paasta validate` rejects depends on the host's configuration, not on the soa tree: " +
			"the Tron nodes of MASTER.yaml, the teams Sensu knows, the vault environment of each cluster, the " +
			"Yelp locations and the clusters PaaSTA knows (it ignores the kubernetes and eks files of any other). Given `--paasta-config DIR` (CONTRACTBOT_PAASTA_CONFIG for the App), a " +
			"directory laid out as a PaaSTA host's /etc (paasta/*.json, sensu/team_data.json, tron/MASTER.yaml, " +
			"yelp_location/), contractbot checks them as PaaSTA does. Without it, it never guesses: when a check " +
			"needed one of them for the service's files (a tron node other than PaaSTA's own `paasta`, a monitoring " +
			"team of a tron or flink job, an env secret whose file exists, an extra_advertise location, the cluster " +
			"of a kubernetes or eks file), this one " +
			"notice says which checks were skipped, at the first place that needed one; nothing needing it, no " +
			"notice. A run over many services (check-soa, a soa push) gives one such notice for the whole run, " +
			"saying how many services it stands for. Pass --paasta-config to have them checked. (The pre-receive hook " +
			"needs none: the rules it runs, the repository's own and the deploy-ref rules, read no system configuration.)",
		Source: "paasta validate: validate_tron's nodes and teams (V2), validate_secrets' vault environments (V6), validate_flink_monitoring_team (V11), validate_smartstack's locations (V10) and get_soa_cluster_deploy_files' clusters (S0) read the system configuration; without it contractbot cannot decide them (notice)",
		Run:    runSystemConfig,
	}
}

// The parts of PaaSTA's system configuration a check can be skipped for,
// in the order soa.system-config's notice lists them.
const (
	extraAdvertiseLocations = "extra_advertise locations"
	tronNodeNames           = "tron nodes"
	sensuTeams              = "Sensu teams"
	vaultEnvironments       = "vault environments"
	instanceFileClusters    = "clusters of instance files"
)

// systemConfigSkips are the places of one run where a check needed a part
// of the system configuration the run lacks.
type systemConfigSkips struct{ at map[string]skipPlace }

type skipPlace struct {
	path string
	line int
}

type systemConfigSkipsKey struct{}

// skippedWithoutSystemConfig records that a check needed part (one of the
// constants above) of PaaSTA's system configuration to judge the value
// at path:line, and skipped it: the check itself decides, at the place it
// would have compared, so that soa.system-config's notice is given only
// when something was skipped (a tron job on node paasta, a secret whose
// file is missing need no configuration) and only for checks that ran.
func skippedWithoutSystemConfig(p *Pass, part, path string, line int) {
	s := systemConfigSkipsOf(p)
	if _, dup := s.at[part]; !dup {
		s.at[part] = skipPlace{path, line}
	}
}

// systemConfigSkipsOf returns the run's skips, the same for every rule.
func systemConfigSkipsOf(p *Pass) *systemConfigSkips {
	s, _ := Memo(p, systemConfigSkipsKey{}, func() (*systemConfigSkips, error) {
		return &systemConfigSkips{at: map[string]skipPlace{}}, nil
	})
	return s
}

// runSystemConfig reports what the checks before it skipped; soaRules
// runs it last for that reason.
func runSystemConfig(ctx context.Context, p *Pass) error {
	s := systemConfigSkipsOf(p)
	var (
		skipped []string
		at      skipPlace
	)
	for _, part := range []string{extraAdvertiseLocations, tronNodeNames, sensuTeams, vaultEnvironments, instanceFileClusters} {
		if place, ok := s.at[part]; ok {
			if skipped == nil {
				at = place
			}
			skipped = append(skipped, part)
		}
	}
	if len(skipped) == 0 {
		return nil
	}
	given := "without --paasta-config"
	if p.PaastaConfig != nil {
		given = "as --paasta-config lacks the files"
	}
	p.Reportf(at.path, at.line, "%s, contractbot does not check the service's %s, which paasta validate checks against PaaSTA's system configuration: pass --paasta-config DIR (CONTRACTBOT_PAASTA_CONFIG for the App)", given, joinAnd(skipped))
	return nil
}

// joinAnd lists a, b and c.
func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return fmt.Sprintf("%s and %s", strings.Join(items[:len(items)-1], ", "), items[len(items)-1])
}

// SystemConfigRuleID is the id of the notice that checks needing PaaSTA's
// system configuration were skipped.
const SystemConfigRuleID = "soa.system-config"

// OneSystemConfigNotice keeps, of the soa.system-config notices of a run
// over many services (check-soa, a soa push), only the first, and says in
// it how many services it stands for. The notice is about the run, not
// the service (the same --paasta-config is missing for all of them), and
// 2,000 copies of it would fill a check run's 500 annotations and push the
// real findings out. results is changed in place; each Result's Findings
// keep their order.
func OneSystemConfigNotice(results []*Result) {
	var first *Finding
	var others []string
	for _, r := range results {
		if r == nil {
			continue
		}
		kept := r.Findings[:0]
		for i := range r.Findings {
			f := r.Findings[i]
			if f.RuleID != SystemConfigRuleID {
				kept = append(kept, f)
				continue
			}
			if first == nil {
				kept = append(kept, f)
				first = &kept[len(kept)-1]
				continue
			}
			others = append(others, serviceOf(f.Path))
		}
		r.Findings = kept
	}
	if first == nil || len(others) == 0 {
		return
	}
	const named = 3
	list := strings.Join(others[:min(named, len(others))], ", ")
	if len(others) > named {
		list += fmt.Sprintf(" and %d more", len(others)-named)
	}
	services := "services"
	if len(others) == 1 {
		services = "service"
	}
	first.Message += fmt.Sprintf(" (the same holds for %d other %s of this run: %s)", len(others), services, list)
}

// serviceOf names the service of a soa.system-config notice: the notice
// sits in a file at the top of the service's directory.
func serviceOf(p string) string {
	if d := path.Dir(p); d != "." {
		return path.Base(d)
	}
	return p
}
