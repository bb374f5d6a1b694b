package checks

import (
	"fmt"
	"path"
	"slices"

	"github.com/contractbot/contractbot/internal/soa"
)

// PaaSTA finds a service's clusters by matching its instance files against
// the clusters of the system configuration (get_soa_cluster_deploy_files):
// a kubernetes or eks file of a cluster it does not know is schema-checked
// by paasta validate and otherwise ignored, by validate's instance checks
// (V3-V9) and by paasta check's deployments_check alike. Only the system
// configuration says which clusters exist, so without --paasta-config
// every cluster counts as known, and soa.system-config names the check
// as skipped.

// unknownCluster reports whether the instance is a long-running one of a
// cluster the run's system configuration does not list. Without a list
// of clusters it records the check as skipped, at the instance's file as
// a whole (the file is what PaaSTA would ignore): every rule that asks
// decides something on the answer, so the question was really skipped.
func unknownCluster(p *Pass, inst *soa.Instance) bool {
	if !inst.LongRunning() {
		return false // tron files are read by tronfig whatever their cluster
	}
	c, err := systemConfig(p)
	if err != nil {
		return false
	}
	if c == nil || c.Clusters == nil {
		skippedWithoutSystemConfig(p, instanceFileClusters, inst.File.Path, 1)
		return false
	}
	return !slices.Contains(c.Clusters, inst.Cluster)
}

type unknownClusterKey struct{ path string }

// reportUnknownCluster warns once per file that PaaSTA ignores it.
func reportUnknownCluster(p *Pass, inst *soa.Instance) {
	reported, _ := Memo(p, unknownClusterKey{inst.File.Path}, func() (*bool, error) { return new(bool), nil })
	if *reported {
		return
	}
	*reported = true
	p.Report(Finding{Path: inst.File.Path, Line: 1, Severity: SeverityWarning, Message: fmt.Sprintf(
		"%s is for cluster %s, which PaaSTA does not know (not in --paasta-config's clusters), so paasta validate checks only its schema and PaaSTA deploys none of its instances: name it after a cluster PaaSTA knows, or delete it",
		path.Base(inst.File.Path), inst.Cluster)})
}
