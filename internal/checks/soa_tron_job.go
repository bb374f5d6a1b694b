package checks

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/contractbot/contractbot/internal/soa"
	"github.com/contractbot/contractbot/internal/tron"
)

func soaTronJobRule() *Rule {
	return &Rule{
		ID: "soa.tron-job", Severity: SeverityError, Needs: NeedsService,
		Title: "a tron job's name, time zone or durations are not ones Tron accepts",
		Doc: "`paasta validate` runs Tron's own check (tronfig) on every tron-<cluster>.yaml, which rejects a " +
			"job name that is not an identifier (an ASCII letter or _, then letters, digits, _ and -, at most " +
			"255: a dot also breaks PaaSTA's <job>.<action> instance names), a time_zone that is not an IANA " +
			"zone name such as America/Los_Angeles, and a max_runtime, expected_runtime, retries_delay or " +
			"trigger_timeout that is not one whole number and one unit (`90m`, `2 hours`; the units are d, h, " +
			"m, s and their longer forms), and a job or action node that Tron's master namespace does not define " +
			"(the soa tree's tron/<cluster>/MASTER.yaml, else --paasta-config's tron/MASTER.yaml; a job without " +
			"node runs on PaaSTA's default, paasta). Rename the job or write the value as the message says. A " +
			"time zone that may be a real zone written in other capitals (Tron ignores case) is a notice.",
		Source: "paasta validate: validate_tron's tronfig (V2: Tron's job name, node, time zone and time delta checks) and decompose_instance (errors)",
		Run:    runTronJob,
	}
}

// tronJobDurations and tronActionDurations are the time deltas PaaSTA
// hands to Tron for a job and for each action.
var (
	tronJobDurations    = []string{"max_runtime", "expected_runtime"}
	tronActionDurations = []string{"expected_runtime", "retries_delay", "trigger_timeout"}
)

func runTronJob(ctx context.Context, p *Pass) error {
	svc, err := loadedService(p)
	if svc == nil || err != nil {
		return err
	}
	for _, j := range tronJobs(p, svc, "its tron jobs") {
		f := j.file
		if j.key.Kind != soa.KindString {
			p.Reportf(f.Path, line(j.key), "tron job %s is named by %s, but Tron's job names are strings: quote it or rename the job", j.key.Describe(), kindName(j.key))
		} else if err := tron.CheckName(j.name); err != nil {
			p.Reportf(f.Path, line(j.key), "tron job %q has a name %s: %v; rename the job", j.name, tronfigRejects, err)
		}
		checkTronTimeZone(p, j)
		if err := checkTronNodes(p, j); err != nil {
			return err
		}
		checkDurations(p, f, j.cfg, j.name, "tron job "+j.name, tronJobDurations)
		if actions := j.cfg.Get("actions"); actions != nil && actions.Kind == soa.KindMap {
			for i, k := range actions.Keys {
				checkDurations(p, f, actions.Values[i], j.name+".actions."+k.Text, "tron action "+j.name+"."+k.Text, tronActionDurations)
			}
		}
		if c := j.cfg.Get("cleanup_action"); c != nil {
			checkDurations(p, f, c, j.name+".cleanup_action", "the cleanup_action of tron job "+j.name, tronActionDurations)
		}
	}
	return nil
}

func kindName(n *soa.Node) string {
	if n.Kind == soa.KindOther {
		return "a " + n.Tag
	}
	return "a " + n.Kind.String()
}

func checkTronTimeZone(p *Pass, j tronJob) {
	tz := j.cfg.Get("time_zone")
	if tz == nil || tz.Kind == soa.KindNull || schemaRejects(p, j.file, j.name+".time_zone") {
		return // none (Tron's default), or one soa.schema reports
	}
	name, ok := tz.Str()
	if !ok {
		p.Reportf(j.file.Path, line(tz), "tron job %s has the time_zone %s, which must be a zone name such as \"America/Los_Angeles\"", j.name, tz.Describe())
		return
	}
	switch err := tron.CheckTimeZone(name); {
	case errors.Is(err, tron.ErrUndecided):
		p.Report(Finding{Path: j.file.Path, Line: line(tz), Severity: SeverityNotice, Message: fmt.Sprintf(
			"tron job %s has the time_zone %q, and %v: write the zone as IANA spells it (e.g. \"America/Los_Angeles\") so that it can be checked", j.name, name, err)})
	case err != nil:
		p.Reportf(j.file.Path, line(tz), "tron job %s has the time_zone %q, %s (and paasta validate cannot list its runs): %v", j.name, name, tronfigRejects, err)
	}
}

// checkDurations reports the time deltas among keys of the mapping cfg
// (at the schema path at) that Tron cannot read.
func checkDurations(p *Pass, f *soa.File, cfg *soa.Node, at, what string, keys []string) {
	if cfg == nil || cfg.Kind != soa.KindMap {
		return
	}
	for _, key := range keys {
		v := cfg.Get(key)
		if v == nil || v.Kind == soa.KindNull || schemaRejects(p, f, at+"."+key) {
			continue // PaaSTA leaves out a null; soa.schema reports the wrong type or shape
		}
		if msg := tronDeltaProblem(v); msg != "" {
			p.Reportf(f.Path, line(v), "%s has the %s %s, %s: it %s", what, key, v.Describe(), tronfigRejects, msg)
		}
	}
}

// tronDefaultNode is the node PaaSTA gives a job that names none.
const tronDefaultNode = "paasta"

// checkTronNodes reports a job or action node that the Tron master
// namespace tronfig checks against does not define.
func checkTronNodes(p *Pass, j tronJob) error {
	_, cluster := soa.InstanceFile(j.file.Rel)
	nodes, from, ok, err := tronNodes(p, cluster)
	if err != nil {
		return err
	}
	check := func(n *soa.Node, at *soa.Node, what string) {
		name := tronDefaultNode
		if n != nil {
			s, isStr := n.Str()
			if !isStr {
				return // soa.schema reports a node that is not a name
			}
			name = s
		}
		if !ok {
			// Without a master namespace only PaaSTA's own node is known:
			// its MASTER namespace always defines it. Any other needs one.
			if name != tronDefaultNode {
				skippedWithoutSystemConfig(p, tronNodeNames, j.file.Path, nodeLine(n, at))
			}
			return
		}
		if slices.Contains(nodes, name) {
			return
		}
		how := ""
		if n == nil {
			how = " (PaaSTA's default, as it sets no node)"
		}
		p.Reportf(j.file.Path, nodeLine(n, at), "%s runs on node %q%s, which %s does not define, so tronfig (run by paasta validate) rejects it: use one of %s", what, name, how, from, describeList(nodes))
	}
	check(j.cfg.Get("node"), j.key, "tron job "+j.name)
	if actions := j.cfg.Get("actions"); actions != nil && actions.Kind == soa.KindMap {
		for i, k := range actions.Keys {
			if n := actions.Values[i].Get("node"); n != nil && n.Kind != soa.KindNull {
				check(n, k, "tron action "+j.name+"."+k.Text)
			}
		}
	}
	return nil
}
