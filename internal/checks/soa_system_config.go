package checks

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/contractbot/contractbot/internal/soa"
)

func soaSystemConfigRule() *Rule {
	return &Rule{
		ID: "soa.system-config", Severity: SeverityNotice, Needs: NeedsService,
		Title: "checks that need PaaSTA's system configuration were skipped",
		Doc: "Some of what `paasta validate` rejects depends on the host's configuration, not on the soa tree: " +
			"the Tron nodes of MASTER.yaml, the teams Sensu knows, the vault environment of each cluster and the " +
			"Yelp locations. Given `--paasta-config DIR` (CONTRACTBOT_PAASTA_CONFIG for the App), a " +
			"directory laid out as a PaaSTA host's /etc (paasta/*.json, sensu/team_data.json, tron/MASTER.yaml, " +
			"yelp_location/), contractbot checks them as PaaSTA does. Without it, it never guesses: when the " +
			"service uses any of them, this one notice says which checks were skipped, at the first file that " +
			"needs one; a run over many services (check-soa, a soa push) gives one such notice for the whole run, " +
			"saying how many services it stands for. Pass --paasta-config to have them checked. (The pre-receive hook " +
			"needs none: the rules it runs, the repository's own and the deploy-ref rules, read no system configuration.)",
		Source: "paasta validate: validate_tron's nodes and teams (V2), validate_secrets' vault environments (V6), validate_flink_monitoring_team (V11) and validate_smartstack's locations (V10) read the system configuration; without it contractbot cannot decide them (notice)",
		Run:    runSystemConfig,
	}
}

func runSystemConfig(ctx context.Context, p *Pass) error {
	svc, err := loadedService(p)
	if svc == nil || err != nil {
		return err
	}
	c, err := systemConfig(p)
	if err != nil {
		return err
	}
	var (
		skipped []string
		at      string
		atLine  int
	)
	need := func(what, file string, ln int, have bool) {
		if have {
			return
		}
		for _, s := range skipped {
			if s == what {
				return
			}
		}
		skipped = append(skipped, what)
		if at == "" {
			at, atLine = file, ln
		}
	}
	for _, f := range svc.Files {
		if f.Err != nil || f.Root == nil {
			continue
		}
		typ, cluster := soa.InstanceFile(f.Rel)
		if typ == "tron" && f.Root.Kind == soa.KindMap && len(f.Root.Keys) > 0 {
			// A job without node runs on PaaSTA's default, paasta, which
			// PaaSTA's own MASTER namespace always defines: only a node
			// named in the file needs the namespace to be judged.
			if n := explicitTronNode(f.Root); n != nil {
				_, _, haveNodes, err := tronNodes(p, cluster)
				if err != nil {
					return err
				}
				need("tron nodes", f.Path, line(n), haveNodes)
			}
			need("Sensu teams", f.Path, 1, c != nil && c.SensuTeams != nil)
		}
		if f.Rel == "smartstack.yaml" && f.Root.Kind == soa.KindMap {
			for _, ns := range f.Root.Values {
				if ea := ns.KeyNode("extra_advertise"); ea != nil {
					need("extra_advertise locations", f.Path, line(ea), c != nil && c.Locations != nil)
					break
				}
			}
		}
	}
	for _, inst := range svc.Instances() {
		if inst.Type == "flink" || inst.Type == "flinkeks" {
			need("Sensu teams", inst.File.Path, inst.Line(), c != nil && c.SensuTeams != nil)
		}
		env := inst.Config.Get("env")
		if env == nil || env.Kind != soa.KindMap {
			continue
		}
		for _, v := range env.Values {
			if s, ok := v.Str(); ok && secretValue.MatchString(s) {
				need("vault environments", inst.File.Path, line(v), c != nil && c.VaultClusterMap != nil)
				break
			}
		}
	}
	if len(skipped) == 0 {
		return nil
	}
	given := "without --paasta-config"
	if p.PaastaConfig != nil {
		given = "as --paasta-config lacks the files"
	}
	p.Reportf(at, atLine, "%s, contractbot does not check the service's %s, which paasta validate checks against PaaSTA's system configuration: pass --paasta-config DIR (CONTRACTBOT_PAASTA_CONFIG for the App)", given, joinAnd(skipped))
	return nil
}

// explicitTronNode is the first node a tron file's jobs or actions name.
func explicitTronNode(root *soa.Node) *soa.Node {
	for _, job := range root.Values {
		if n := job.Get("node"); n != nil {
			return n
		}
		if acts := job.Get("actions"); acts != nil && acts.Kind == soa.KindMap {
			for _, a := range acts.Values {
				if n := a.Get("node"); n != nil {
					return n
				}
			}
		}
	}
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
	first.Message += fmt.Sprintf(" (the same holds for %d other services of this run: %s)", len(others), list)
}

// serviceOf names the service of a soa.system-config notice: the notice
// sits in a file at the top of the service's directory.
func serviceOf(p string) string {
	if d := path.Dir(p); d != "." {
		return path.Base(d)
	}
	return p
}
