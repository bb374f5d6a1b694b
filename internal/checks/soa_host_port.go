package checks

import (
	"context"

	"github.com/contractbot/contractbot/internal/soa"
)

func soaHostPortRule() *Rule {
	return &Rule{
		ID: "soa.host-port", Severity: SeverityWarning, Needs: NeedsService,
		Title: "an HTTP/TCP instance pins a port on the host",
		Doc: "The contract says an HTTP/TCP service binds only the port PaaSTA assigns it ($PAASTA_PORT, " +
			"once $MARATHON_PORT), which SmartStack routes to; a service that pins a port of the host it runs " +
			"on collides with every other instance there, and is reached on a port SmartStack does not know. " +
			"contractbot checks what the configuration pins: `host_port` on an HTTP/TCP kubernetes or eks " +
			"instance (one registered in SmartStack with a proxy_port). PaaSTA's `net` (host networking) exists " +
			"only for adhoc instances, one-off commands SmartStack never routes to, so it is not judged. Which " +
			"port the process really binds is in its code and command, which contractbot cannot judge " +
			"statically: listen on $PAASTA_PORT as the environment gives it. Remove host_port.",
		Source: "contract: an HTTP/TCP service binds only the port PaaSTA assigns ($PAASTA_PORT) (warning: the configuration can only pin a host port, not show what the code binds); no PaaSTA check covers it",
		Run:    runHostPort,
	}
}

func runHostPort(ctx context.Context, p *Pass) error {
	svc, err := loadedService(p)
	if svc == nil || err != nil {
		return err
	}
	for _, inst := range svc.Instances() {
		// Only kubernetes and eks instances are in SmartStack: an adhoc or
		// tron instance takes the default registration <service>.<name>
		// without being routed to, so a namespace of the same name must not
		// make it an HTTP/TCP service. (net: host, PaaSTA's host networking,
		// is an adhoc key only, so it never pins an HTTP/TCP service's port.)
		if !inst.LongRunning() || unknownCluster(p, inst) {
			continue // an unknown cluster's file is never deployed; soa.deploy-group says so once
		}
		hp := inst.Config.Get("host_port")
		if hp == nil || hp.Kind != soa.KindInt || hp.Int.Sign() == 0 {
			continue
		}
		reg, ok, err := registeredPort(ctx, p, svc, inst)
		if err != nil {
			return err
		}
		if !ok {
			continue // not an HTTP/TCP service: a fixed port is its own business
		}
		p.Reportf(inst.File.Path, line(hp), "instance %s is an HTTP/TCP service (registered as %s, which has a proxy_port) but pins host port %s: "+
			"SmartStack routes to the port PaaSTA assigns ($PAASTA_PORT), and a fixed host port collides with other instances on the host; remove host_port", inst.Name, reg, hp.Text)
	}
	return nil
}
