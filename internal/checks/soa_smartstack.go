package checks

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/contractbot/contractbot/internal/soa"
)

// smartstack limits from PaaSTA's validate_smartstack.
const (
	maxEnvoyNameLen      = 118
	maxSmartstackNameLen = 55
)

func soaSmartstackRule() *Rule {
	return &Rule{
		ID: "soa.smartstack", Severity: SeverityError, Needs: NeedsService,
		Title: "smartstack.yaml or a registration is inconsistent",
		Doc: "SmartStack routes traffic to the namespaces in smartstack.yaml. paasta validate rejects an empty " +
			"smartstack.yaml, names longer than Envoy's and HAProxy's limits, a discover level not advertised, " +
			"an extra_advertise location that is not <type>:<location> or, with --paasta-config, not one Yelp " +
			"location of its yelp_location mapping, and a proxied_through or clb_proxy naming a namespace that " +
			"does not exist (errors); an instance " +
			"registration naming a missing namespace registers nothing but passes validate (a warning). Point " +
			"registrations at existing namespaces and keep <service>.<namespace> short. " + registrationFixDoc,
		Source: "paasta validate: validate_smartstack (V10, errors); a registration naming a missing namespace passes validate (warning)",
		Run:    runSmartstack,
	}
}

func runSmartstack(ctx context.Context, p *Pass) error {
	svc, err := loadedService(p)
	if svc == nil || err != nil {
		return err
	}
	sys, err := systemConfig(p) // for extra_advertise's locations
	if err != nil {
		return err
	}
	f := svc.File("smartstack.yaml")
	local := map[string]soa.Namespace{}
	if f != nil && f.Err == nil {
		if f.Root.Kind == soa.KindNull || (f.Root.Kind == soa.KindMap && len(f.Root.Keys) == 0) {
			p.Reportf(f.Path, 1, "smartstack.yaml is empty, which paasta validate rejects: remove the file if the service is not in the mesh, or add its namespaces")
		}
		for _, ns := range soa.Namespaces(f) {
			local[ns.Name] = ns
			if n := len(p.Service) + len(ns.Name); n > maxEnvoyNameLen {
				p.Reportf(f.Path, line(ns.Key), "namespace %q makes %s.%s %d characters, over Envoy's limit of %d: shorten the namespace", ns.Name, p.Service, ns.Name, n+1, maxEnvoyNameLen)
			} else if ns.HasProxyPort() && n > maxSmartstackNameLen {
				p.Reportf(f.Path, line(ns.Key), "namespace %q with a proxy_port makes %s%s %d characters, over HAProxy's socket name limit of %d: shorten the namespace", ns.Name, p.Service, ns.Name, n, maxSmartstackNameLen)
			}
			if ns.Config == nil {
				continue
			}
			discover, at := "region", ns.Config.Get("discover")
			if s, ok := at.Str(); ok {
				discover = s
			}
			advertise := []string{"region"}
			if adv := ns.Config.Get("advertise"); adv != nil && adv.Kind == soa.KindSeq {
				advertise = nil
				for _, it := range adv.Items {
					if s, ok := it.Str(); ok {
						advertise = append(advertise, s)
					}
				}
			}
			if ea := ns.Config.Get("extra_advertise"); ea != nil && ea.Kind == soa.KindMap {
				for j, k := range ea.Keys {
					locs := []*soa.Node{k}
					if v := ea.Values[j]; v.Kind == soa.KindSeq {
						locs = append(locs, v.Items...)
					}
					for _, loc := range locs {
						s, ok := loc.Str()
						switch {
						case ok && !strings.Contains(s, ":"):
							p.Reportf(f.Path, line(loc), "extra_advertise entry %q of namespace %q must be <location type>:<location>, e.g. region:uswest1-prod", s, ns.Name)
						case ok && sys != nil && sys.Locations != nil:
							if valid, why := sys.ValidLocation(s); !valid {
								p.Reportf(f.Path, line(loc), "extra_advertise entry %q of namespace %q is not a Yelp location (--paasta-config's yelp_location: %s), so paasta validate fails: name a location of the mapping, e.g. region:<region>", s, ns.Name, why)
							}
						case ok:
							skippedWithoutSystemConfig(p, extraAdvertiseLocations, f.Path, line(ns.Config.KeyNode("extra_advertise")))
						}
					}
				}
			}
			if !slices.Contains(advertise, discover) {
				ln := line(at)
				if at == nil {
					ln = line(ns.Config.KeyNode("advertise"))
				}
				p.Reportf(f.Path, ln, "namespace %q discovers at %q but advertises only at %s, so clients cannot find it: add %q to advertise or change discover", ns.Name, discover, quoteList(advertise), discover)
			}
		}
	}
	exists := func(service, ns string) (bool, error) {
		if service == p.Service {
			_, ok := local[ns]
			return ok, nil
		}
		index, err := soaIndex(ctx, p) // built once per run
		if err != nil {
			return false, err
		}
		return index.HasNamespace(service, ns), nil
	}
	// proxied_through and clb_proxy name "<service>.<namespace>".
	for _, name := range slices.Sorted(maps.Keys(local)) {
		ns := local[name]
		for _, key := range []string{"proxied_through", "clb_proxy"} {
			v := ns.Config.Get(key)
			target, ok := v.Str()
			if !ok {
				continue
			}
			svcName, nsName, found := strings.Cut(target, ".")
			if !found || strings.Contains(nsName, ".") {
				p.Reportf(f.Path, line(v), "%s %q must be <service>.<namespace>", key, target)
				continue
			}
			ok, err := exists(svcName, nsName)
			if err != nil {
				return err
			}
			if !ok {
				p.Reportf(f.Path, line(v), "%s %q names namespace %q, which %s/smartstack.yaml does not define: point it at an existing namespace", key, target, nsName, svcName)
			}
		}
	}
	for _, inst := range svc.Instances() {
		if !inst.LongRunning() {
			continue
		}
		regs, at := inst.Registrations(p.Service)
		if at == nil {
			continue // the default registration may name no namespace (a batch daemon)
		}
		for i, reg := range regs {
			ln := line(at[i])
			parts := strings.Split(reg, ".")
			if len(parts) != 2 && len(parts) != 4 {
				p.Reportf(inst.File.Path, ln, "registration %q of instance %s must be <service>.<namespace>", reg, inst.Name)
				continue
			}
			ok, err := exists(parts[0], parts[1])
			if err != nil {
				return err
			}
			if !ok {
				var fixes []SuggestedFix
				if parts[0] == p.Service && len(parts) == 2 {
					fixes = registrationTypoFix(p, inst.File.Path, at[i], p.Service, slices.Sorted(maps.Keys(local)))
				}
				p.Report(Finding{Path: inst.File.Path, Line: ln, Severity: SeverityWarning, SuggestedFixes: fixes,
					Message: fmt.Sprintf("instance %s registers as %q, but %s/smartstack.yaml has no namespace %q, so no traffic reaches it: add the namespace or fix the registration", inst.Name, reg, parts[0], parts[1])})
			}
		}
	}
	return nil
}
