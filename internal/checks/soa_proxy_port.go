package checks

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/contractbot/contractbot/internal/soa"
)

func soaProxyPortRule() *Rule {
	return &Rule{
		ID: "soa.proxy-port", Severity: SeverityError, Needs: NeedsSOA,
		Title: "a proxy_port is out of range or used twice",
		Doc: "Every SmartStack namespace in the whole soa repository needs its own proxy_port between 19000 and " +
			"21000. A port out of range is an error (PaaSTA's smartstack schema); a port two namespaces of the " +
			"repository share is a warning, because paasta validate compares ports only with /etc/services, yet " +
			"the two namespaces send one service's traffic to the other. Pick a free port in range for the " +
			"namespace.",
		Source: "PaaSTA's smartstack schema: proxy_port 19000-21000 (S-rules, error); a port shared within the repository passes validate, which compares with /etc/services only (warning)",
		Run:    runProxyPort,
	}
}

func runProxyPort(ctx context.Context, p *Pass) error {
	index, err := soaIndex(ctx, p)
	if err != nil {
		return err
	}
	if p.Service == "" {
		ports := make([]int64, 0, len(index.Ports()))
		for port := range index.Ports() {
			ports = append(ports, port)
		}
		slices.Sort(ports)
		for _, port := range ports {
			reportPort(p, index, index.PortUsers(port))
		}
		return nil
	}
	svc, err := loadedService(p)
	if svc == nil || err != nil {
		return err
	}
	f := svc.File("smartstack.yaml")
	var uses []soa.PortUse
	for _, ns := range soa.Namespaces(f) {
		if at, port, ok := ns.ProxyPort(); ok {
			uses = append(uses, soa.PortUse{Service: p.Service, Namespace: ns.Name, Path: f.Path, Line: line(at), Port: port})
		}
	}
	reportPort(p, index, uses)
	return nil
}

// maxPortUsersNamed is how many other users of a proxy_port a finding names.
const maxPortUsersNamed = 5

// reportPort reports each of uses that is out of range or whose port
// another namespace of the repository also uses.
func reportPort(p *Pass, index *soa.RepoIndex, uses []soa.PortUse) {
	for _, u := range uses {
		if u.Port < 19000 || u.Port > 21000 {
			p.Reportf(u.Path, u.Line, "proxy_port %d of namespace %s is outside SmartStack's range 19000-21000: pick a free port in range", u.Port, u.Namespace)
		}
		// Name a few of the others: every user of a port shared n ways
		// gets a finding, so listing them all would be n² in size.
		var others []string
		var related []Related
		more := 0
		for _, o := range index.PortUsers(u.Port) {
			switch {
			case o.Service == u.Service && o.Namespace == u.Namespace:
			case len(others) == maxPortUsersNamed:
				more++
			default:
				others = append(others, fmt.Sprintf("%s.%s (%s:%d)", o.Service, o.Namespace, p.SOAPath(o.Path), o.Line))
				related = append(related, Related{Position: Position{Path: o.Path, Line: o.Line, EndLine: o.Line},
					Message: fmt.Sprintf("%s.%s also uses proxy_port %d", o.Service, o.Namespace, u.Port)})
			}
		}
		if more > 0 {
			others = append(others, fmt.Sprintf("%d more", more))
		}
		if len(others) > 0 {
			p.Report(Finding{Path: u.Path, Line: u.Line, Related: related, Severity: SeverityWarning,
				Message: fmt.Sprintf("proxy_port %d of %s.%s is also used by %s; each namespace needs its own port: pick a free one", u.Port, u.Service, u.Namespace, strings.Join(others, ", "))})
		}
	}
}
