package checks

import (
	"context"
	"fmt"
	"strings"

	"github.com/contractbot/contractbot/internal/soa"
	"github.com/contractbot/contractbot/internal/tron"
)

func soaTronActionsRule() *Rule {
	return &Rule{
		ID: "soa.tron-actions", Severity: SeverityError, Needs: NeedsService,
		Title: "a tron job's actions are empty, a list, misnamed or require each other in a cycle",
		Doc: "A tron job's actions are a mapping from each action's name to its settings. `paasta validate` " +
			"fails on a job with no actions (`actions: {}`), on actions written as a list (the old Tron form, " +
			"which PaaSTA cannot read), on an action name that is not an identifier (an ASCII letter or _, then " +
			"letters, digits, _ and -; not `cleanup`, which names the cleanup_action; a dot also breaks PaaSTA's " +
			"<job>.<action> instance names), and, through Tron's own check, on a `requires` that names an action " +
			"the job does not have or that makes actions wait for each other in a cycle (an action requiring " +
			"itself included). Write the actions as a mapping, rename the action, or fix its requires. " + tronRequiresFixDoc,
		Source: "paasta validate: validate_tron's tronfig (V2: Tron's action names and dependency check) and TronJobConfig.get_actions (errors)",
		Run:    runTronActions,
	}
}

func runTronActions(ctx context.Context, p *Pass) error {
	svc, err := loadedService(p)
	if svc == nil || err != nil {
		return err
	}
	for _, j := range tronJobs(p, svc, "its tron actions") {
		checkTronActions(p, j)
	}
	return nil
}

func checkTronActions(p *Pass, j tronJob) {
	f := j.file
	path := j.name + ".actions"
	actions := j.cfg.Get("actions")
	switch {
	case schemaRejects(p, f, path) && (actions == nil || actions.Kind != soa.KindMap):
		return // missing, or of a type soa.schema reports
	case actions == nil:
		p.Reportf(f.Path, line(j.key), "tron job %s has no actions, which Tron requires: add actions with at least one action, e.g. `run: {command: ./run}`", j.name)
		return
	case actions.Kind == soa.KindSeq:
		p.Reportf(f.Path, line(j.cfg.KeyNode("actions")), "tron job %s writes its actions as a list, which paasta validate cannot read (it fails with a traceback): write actions as a mapping from each action's name to its settings", j.name)
		return
	case actions.Kind != soa.KindMap:
		p.Reportf(f.Path, line(actions), "tron job %s has actions %s, which must be a mapping from each action's name to its settings", j.name, actions.Describe())
		return
	case len(actions.Keys) == 0:
		p.Reportf(f.Path, line(actions), "tron job %s has no actions (actions: {}), %s: add at least one action, e.g. `run: {command: ./run}`", j.name, tronfigRejects)
		return
	}
	var (
		graph []tron.Action
		names []string
		items = map[[2]string]*soa.Node{} // (action, required) -> the requires item
	)
	for i, k := range actions.Keys {
		name, ok := k.Str()
		if !ok {
			p.Reportf(f.Path, line(k), "tron job %s has an action named by %s, but Tron's action names are strings: quote it or rename the action", j.name, k.Describe())
			continue
		}
		if err := tron.CheckActionName(name); err != nil {
			p.Reportf(f.Path, line(k), "tron job %s has the action name %q, %s: %v; rename the action", j.name, name, tronfigRejects, err)
		}
		names = append(names, name)
		a := tron.Action{Name: name}
		req := actions.Values[i].Get("requires")
		reqPath := path + "." + name + ".requires"
		switch {
		case req == nil || !truthy(req):
			// nothing required (Tron reads an empty or null requires as none)
		case req.Kind != soa.KindSeq:
			if !schemaRejects(p, f, reqPath) {
				p.Reportf(f.Path, line(req), "tron action %s.%s has requires %s, which must be a list of the job's action names", j.name, name, req.Describe())
			}
		default:
			for _, it := range req.Items {
				r, ok := it.Str()
				if !ok {
					if !schemaRejects(p, f, reqPath) {
						p.Reportf(f.Path, line(it), "tron action %s.%s requires %s, which must be the name of one of the job's actions", j.name, name, it.Describe())
					}
					continue
				}
				if r == tron.CleanupAction {
					p.Reportf(f.Path, line(it), "tron action %s.%s requires %q, %s: the cleanup_action runs after the others and cannot be required; remove it", j.name, name, r, tronfigRejects)
					continue
				}
				a.Requires = append(a.Requires, r)
				if _, seen := items[[2]string{name, r}]; !seen {
					items[[2]string{name, r}] = it
				}
			}
		}
		graph = append(graph, a)
	}
	for _, e := range tron.CheckRequires(graph) {
		switch {
		case e.Missing != "":
			at := items[[2]string{e.Action, e.Missing}]
			p.Report(Finding{Path: f.Path, Line: line(at), SuggestedFixes: tronRequiresTypoFix(p, f.Path, at, names, requiresOK(graph, e)),
				Message: fmt.Sprintf("tron action %s.%s requires %q, which job %s does not have, %s: require one of %s, or remove it", j.name, e.Action, e.Missing, j.name, tronfigRejects, describeList(names))})
		case len(e.Cycle) == 2:
			p.Reportf(f.Path, line(items[[2]string{e.Action, e.Action}]), "tron action %s.%s requires itself, %s: remove %q from its requires", j.name, e.Action, tronfigRejects, e.Action)
		default:
			last := e.Cycle[len(e.Cycle)-1]
			p.Reportf(f.Path, line(items[[2]string{e.Action, last}]), "the actions of tron job %s require each other in a cycle (%s), %s, as none of them could ever start: remove one of these requires", j.name, strings.Join(e.Cycle, " -> "), tronfigRejects)
		}
	}
}
