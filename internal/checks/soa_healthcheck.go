package checks

import (
	"context"
	"fmt"
	"strings"

	"github.com/contractbot/contractbot/internal/soa"
)

func soaHealthcheckRule() *Rule {
	return &Rule{
		ID: "soa.healthcheck", Severity: SeverityError, Needs: NeedsService,
		Title: "an instance's healthcheck does not fit how it is reached",
		Doc: "Without a SmartStack namespace with a proxy_port an instance is a batch daemon: PaaSTA then runs no " +
			"healthcheck unless one is set, and an http/tcp healthcheck probes port 8888, restarting a daemon " +
			"that does not listen there. paasta validate rejects healthcheck_mode: cmd without healthcheck_cmd, " +
			"and healthcheck_cmd without healthcheck_mode: cmd (errors); it accepts an http/tcp healthcheck on a " +
			"daemon, which is therefore a warning. Daemons may use healthcheck_mode: cmd with healthcheck_cmd; " +
			"register HTTP/TCP services in smartstack.yaml.",
		Source: "paasta validate: the kubernetes schema's healthcheck_mode/healthcheck_cmd rules (errors); contract: only HTTP/TCP services are probed on $PAASTA_PORT (an http/tcp healthcheck on a daemon: warning)",
		Run:    runHealthcheck,
	}
}

func runHealthcheck(ctx context.Context, p *Pass) error {
	svc, err := loadedService(p)
	if svc == nil || err != nil {
		return err
	}
	for _, inst := range svc.Instances() {
		if !inst.LongRunning() {
			continue
		}
		modeNode := inst.Config.Get("healthcheck_mode")
		mode, _ := modeNode.Str()
		cmdNode := inst.Config.Get("healthcheck_cmd")
		switch {
		case mode == "cmd" && cmdNode == nil:
			p.Reportf(inst.File.Path, line(modeNode), "instance %s sets healthcheck_mode: cmd without healthcheck_cmd, which paasta validate rejects: add healthcheck_cmd with a command that exits 0 while the daemon is healthy", inst.Name)
			continue
		case cmdNode != nil && mode != "cmd" && mode != "":
			p.Report(Finding{Path: inst.File.Path, Line: line(cmdNode), Severity: SeverityWarning,
				Message: fmt.Sprintf("instance %s sets healthcheck_cmd but healthcheck_mode: %s, so PaaSTA ignores the command: drop healthcheck_cmd or set healthcheck_mode: cmd", inst.Name, mode)})
		case cmdNode != nil && mode == "":
			p.Reportf(inst.File.Path, line(cmdNode), "instance %s sets healthcheck_cmd without healthcheck_mode: cmd, which paasta validate rejects and PaaSTA would ignore: add healthcheck_mode: cmd", inst.Name)
		}
		// PaaSTA's effective mode: the instance's healthcheck_mode, else
		// its first registration's namespace's healthcheck_mode or mode
		// (http2 counting as http), else http when that namespace has a
		// proxy_port key (even a null one), else no healthcheck.
		where, at := "sets healthcheck_mode: "+mode, modeNode
		if mode == "" {
			mode, where, at = namespaceHealthcheck(p, svc, inst)
		}
		if mode != "http" && mode != "https" && mode != "tcp" {
			continue
		}
		_, registered, err := registeredPort(ctx, p, svc, inst)
		if err != nil {
			return err
		}
		if !registered {
			port := contractPort
			if cp := inst.Config.Get("container_port"); cp != nil && cp.Kind == soa.KindInt && cp.Int.IsInt64() {
				port = int(cp.Int.Int64())
			}
			ln := inst.Line()
			if at != nil {
				ln = line(at)
			}
			warnf(p, inst.File.Path, ln, "instance %s has no SmartStack namespace with a proxy_port but %s, so PaaSTA probes port %d over %s and restarts the container when nothing answers: a batch daemon should drop the healthcheck or use healthcheck_mode: cmd with healthcheck_cmd; an HTTP/TCP service must be registered in smartstack.yaml", inst.Name, where, port, mode)
		}
	}
	return nil
}

// namespaceHealthcheck derives an instance's healthcheck mode from its
// first registration's namespace in this service's smartstack.yaml, as
// PaaSTA does when the instance sets none. It returns "" when PaaSTA runs
// no healthcheck, and describes where the mode comes from.
func namespaceHealthcheck(p *Pass, svc *soa.Service, inst *soa.Instance) (mode, where string, at *soa.Node) {
	regs, _ := inst.Registrations(p.Service)
	if len(regs) == 0 {
		return "", "", nil
	}
	svcName, nsName, _ := strings.Cut(regs[0], ".")
	nsName, _, _ = strings.Cut(nsName, ".")
	if svcName != p.Service {
		return "", "", nil
	}
	ns, ok := localNamespaces(p, svc)[nsName]
	if !ok || ns.Config == nil {
		return "", "", nil
	}
	for _, key := range []string{"healthcheck_mode", "mode"} {
		if m, ok := ns.Config.Get(key).Str(); ok {
			if m == "http2" {
				m = "http"
			}
			return m, fmt.Sprintf("its namespace %s sets %s: %s", nsName, key, m), nil
		}
	}
	if ns.Config.KeyNode("proxy_port") != nil {
		return "http", fmt.Sprintf("its namespace %s has a (null) proxy_port key, which makes PaaSTA default to an http healthcheck", nsName), nil
	}
	return "", "", nil
}
