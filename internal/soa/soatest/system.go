package soatest

import "testing/fstest"

// SystemConfig is a PaaSTA system configuration (--paasta-config) under
// which the generated services keep the contract without
// soa.system-config's notice: the clusters, vault environments and Tron
// master namespace they use, and every Sensu team they name.
func SystemConfig() fstest.MapFS {
	return fstest.MapFS{
		"paasta/clusters.json": {Data: []byte(`{"clusters": ["cluster00", "cluster01", "cluster02", "cluster03", "cluster04", "cluster05"]}` + "\n")},
		"sensu/team_data.json": {Data: []byte(`{"team_data": {"data": {}}}` + "\n")},
		"tron/MASTER.yaml":     {Data: []byte("nodes:\n  - name: paasta\n    hostname: localhost\n")},
	}
}
