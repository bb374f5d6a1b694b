package checks

import (
	"context"
	"strings"

	"github.com/contractbot/contractbot/internal/soa"
)

func soaRWVolumeRule() *Rule {
	return &Rule{
		ID: "soa.rw-volume", Severity: SeverityWarning, Needs: NeedsService,
		Title: "an instance mounts a host directory read-write",
		Doc: "The contract's services keep no state on the host they run on: PaaSTA may stop an instance " +
			"and start it on any other host at every bounce, so what it writes to a host directory stays behind, " +
			"and two replicas on one host write to the same files. An `extra_volumes` entry with `mode: RW` " +
			"mounts a host path read-write into the container; PaaSTA allows it, the contract discourages it. " +
			"Mount it `mode: RO`, or keep the state in a service built for it (a database, S3), or silence the " +
			"finding with the reason the service needs it.",
		Source: "contract (State): services should be stateless, state lives outside the container (warning); no PaaSTA check covers it",
		Run:    runRWVolume,
	}
}

func runRWVolume(ctx context.Context, p *Pass) error {
	svc, err := loadedService(p)
	if svc == nil || err != nil {
		return err
	}
	for _, inst := range svc.Instances() {
		if unknownCluster(p, inst) {
			continue // PaaSTA never deploys it; soa.deploy-group says so once
		}
		vols := inst.Config.Get("extra_volumes")
		if vols == nil || vols.Kind != soa.KindSeq {
			continue // the schema's, when it is not a list
		}
		for _, v := range vols.Items {
			mode, ok := v.Get("mode").Str()
			if !ok || !strings.EqualFold(mode, "RW") {
				continue
			}
			host, _ := v.Get("hostPath").Str()
			if host == "" {
				host = "a host path"
			}
			p.Reportf(inst.File.Path, line(v.Get("mode")), "instance %s mounts %s read-write (extra_volumes, mode: %s): the contract discourages state on the host, "+
				"which stays behind when PaaSTA moves the instance and is shared by replicas on one host; use mode: RO or keep the state elsewhere", inst.Name, host, mode)
		}
	}
	return nil
}
