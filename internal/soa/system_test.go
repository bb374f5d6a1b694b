package soa

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestASystemConfigIsReadFromAnEtcLikeDirectory(t *testing.T) {
	fsys := fstest.MapFS{
		"paasta/clusters.json":              {Data: []byte(`{"clusters": ["norcal-prod", "dev"]}`)},
		"paasta/vault.json":                 {Data: []byte(`{"vault_cluster_map": {"norcal-prod": "prod"}}`)},
		"paasta/zz-override.json":           {Data: []byte(`{"clusters": ["norcal-prod"]}`)},
		"sensu/team_data.json":              {Data: []byte(`{"team_data": {"data": {}, "web": {}}}`)},
		"yelp_location/location_types.json": {Data: []byte(`["ecosystem", "superregion", "region", "habitat"]`)},
		"yelp_location/location_mapping.json": {Data: []byte(`{"prod_ecosystem": {"nova-prod_superregion": {"useast1-prod_region": {"useast1a_habitat": {}}},
			"pnw-prod_superregion": {"useast1-prod_region": {}}}}`)},
		"tron/MASTER.yaml": {Data: []byte("nodes:\n  - name: paasta\n    hostname: localhost\n  - batch1\n  - hostname: batch2\nnode_pools:\n  - nodes: [batch1, batch2]\n  - name: pool\n    nodes: [batch1]\n")},
	}
	c, err := LoadSystemConfig(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Clusters, []string{"norcal-prod"}) {
		t.Errorf("clusters %q: the later file should win", c.Clusters)
	}
	if c.VaultClusterMap["norcal-prod"] != "prod" || !c.SensuTeams["data"] || c.SensuTeams["nobody"] {
		t.Errorf("vault %v, teams %v", c.VaultClusterMap, c.SensuTeams)
	}
	if want := []string{"paasta", "batch1", "batch2", "batch1_batch2", "pool"}; !slices.Equal(c.TronNodes, want) {
		t.Errorf("tron nodes %q, want %q", c.TronNodes, want)
	}
	for loc, want := range map[string]string{"region:useast1-prod": "more than one", "superregion:nova-prod": "", "region:atlantis-prod": "no such location", "zone:x": "not a location type", "uswest1": "not <location type>"} {
		ok, why := c.ValidLocation(loc)
		if ok != (want == "") || !strings.Contains(why, want) {
			t.Errorf("ValidLocation(%q) = %v, %q; want %q", loc, ok, why, want)
		}
	}
}

func TestASystemConfigNeedsItsPaastaDirectoryAndWellFormedFiles(t *testing.T) {
	if _, err := LoadSystemConfig(fstest.MapFS{"sensu/team_data.json": {Data: []byte(`{}`)}}); err == nil || !strings.Contains(err.Error(), "no paasta/*.json") {
		t.Errorf("a directory without paasta/: %v", err)
	}
	if _, err := LoadSystemConfig(fstest.MapFS{"paasta/a.json": {Data: []byte(`{`)}}); err == nil || !strings.Contains(err.Error(), "paasta/a.json") {
		t.Errorf("a broken paasta/a.json: %v", err)
	}
	c, err := LoadSystemConfig(fstest.MapFS{"paasta/a.json": {Data: []byte(`{}`)}})
	if err != nil || c.SensuTeams != nil || c.TronNodes != nil || c.Locations != nil || c.VaultClusterMap != nil {
		t.Errorf("only paasta/: %+v, %v; the missing parts should be nil", c, err)
	}
}
