package checks

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/contractbot/contractbot/internal/soa"
)

func soaContainerPortRule() *Rule {
	return &Rule{
		ID: "soa.container-port", Severity: SeverityError, Needs: NeedsService,
		Title: "an HTTP/TCP service does not bind port 8888",
		Doc: "The contract says HTTP/TCP services (instances registered in SmartStack with a proxy_port) bind " +
			"port 8888, which PaaSTA passes as $PAASTA_PORT and routes traffic and healthchecks to. Remove a " +
			"container_port other than 8888, listen on 8888, and make the Dockerfile EXPOSE 8888.",
		Source: "contract: HTTP/TCP services bind port 8888, $PAASTA_PORT (error); no PaaSTA check covers it",
		Run:    runContainerPort,
	}
}

func runContainerPort(ctx context.Context, p *Pass) error {
	svc, err := loadedService(p)
	if svc == nil || err != nil {
		return err
	}
	// on8888 is the first HTTP/TCP instance on the contract's port, which
	// the Dockerfile's EXPOSE must agree with. An instance on another port
	// is already told to move to 8888; telling the Dockerfile to follow it
	// would contradict that.
	var on8888 *soa.Instance
	for _, inst := range svc.Instances() {
		if !inst.LongRunning() {
			continue
		}
		reg, ok, err := registeredPort(ctx, p, svc, inst)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if cp := inst.Config.Get("container_port"); cp != nil {
			if cp.Kind != soa.KindInt || !cp.Int.IsInt64() {
				if !schemaChecks(p, inst.File.Rel) {
					p.Reportf(inst.File.Path, line(cp), "instance %s sets container_port to %s, which must be a port number; the contract says HTTP/TCP services bind port %d: remove container_port", inst.Name, cp.Describe(), contractPort)
				}
				continue
			}
			if port := cp.Int.Int64(); port != contractPort {
				p.Reportf(inst.File.Path, line(cp), "instance %s is an HTTP/TCP service (registered as %s, which has a proxy_port) but sets container_port: %d; the contract says it binds port %d ($PAASTA_PORT): remove container_port and listen on %d", inst.Name, reg, port, contractPort, contractPort)
				continue
			}
		}
		if on8888 == nil {
			on8888 = inst
		}
	}
	if on8888 == nil || p.Repo == nil {
		return nil
	}
	data, err := repoDockerfile(p)
	switch {
	case errors.Is(err, fs.ErrNotExist) && p.Enabled("dockerfile.missing"):
		return nil
	case err != nil:
		dockerfileUnread(p, err, fmt.Sprintf("whether it EXPOSEs port %d, which instance %s serves on,", contractPort, on8888.Name))
		return nil
	}
	exposes, err := soa.DockerfileExposes(data)
	has8888 := slices.ContainsFunc(exposes, func(e soa.Expose) bool { return e.Port == contractPort })
	switch {
	case err != nil && !has8888:
		// An EXPOSE 8888 past the line that stopped the reader is not
		// seen: neither "no EXPOSE" nor "the wrong port" can be said.
		p.ReportRepo(Finding{Path: DockerfilePath, Line: 1, Severity: SeverityNotice,
			Message: fmt.Sprintf("the Dockerfile is not read past %v, so whether it EXPOSEs port %d, which instance %s serves on, is not checked: shorten that line", err, contractPort, on8888.Name)})
		return nil
	case len(exposes) == 0:
		return nil // EXPOSE is optional; nothing to compare
	}
	if !has8888 {
		list := make([]string, len(exposes)) // each port once
		for i, e := range exposes {
			list[i] = fmt.Sprint(e.Port)
		}
		p.ReportRepo(Finding{Path: DockerfilePath, Line: exposes[0].Line,
			Message: fmt.Sprintf("the Dockerfile EXPOSEs %s but instance %s (%s) serves HTTP/TCP on port %d: EXPOSE %d", strings.Join(list, ", "), on8888.Name, p.SOAPath(on8888.File.Path), contractPort, contractPort)})
	}
	return nil
}
