package soa

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// SystemConfig is the part of PaaSTA's system configuration (what a
// PaaSTA host has in /etc/paasta and beside it) that decides some of
// paasta validate's verdicts. A nil field means the file it comes from
// was not there, and the checks that need it cannot be made.
type SystemConfig struct {
	// Clusters are the clusters PaaSTA knows (paasta/*.json "clusters").
	Clusters []string
	// VaultClusterMap maps each cluster to its vault environment
	// (paasta/*.json "vault_cluster_map").
	VaultClusterMap map[string]string
	// SensuTeams are the teams Sensu knows (sensu/team_data.json).
	SensuTeams map[string]bool
	// LocationTypes, general first ("ecosystem", ..., "habitat"), and
	// Locations, how many locations of each "type:name" there are
	// (yelp_location/location_types.json and location_mapping.json).
	LocationTypes []string
	Locations     map[string]int
	// TronNodes are the node and node pool names of the Tron master
	// namespace used when the soa tree has no tron/<cluster>/MASTER.yaml
	// (tron/MASTER.yaml).
	TronNodes []string
}

// LoadSystemConfig reads a system configuration directory laid out as a
// PaaSTA host's /etc: paasta/*.json (merged in name order, later files
// winning, as PaaSTA merges them), sensu/team_data.json,
// yelp_location/location_types.json and location_mapping.json, and
// tron/MASTER.yaml. Each file is optional; one that is there but does not
// parse is an error.
func LoadSystemConfig(fsys fs.FS) (*SystemConfig, error) {
	c := &SystemConfig{}
	merged := map[string]json.RawMessage{}
	names, err := fs.Glob(fsys, "paasta/*.json")
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, errors.New("no paasta/*.json: name the directory that holds paasta/, sensu/ and the rest (a PaaSTA host's /etc)")
	}
	slices.Sort(names)
	for _, name := range names {
		var m map[string]json.RawMessage
		if err := readJSON(fsys, name, &m); err != nil {
			return nil, err
		}
		for k, v := range m {
			merged[k] = v
		}
	}
	if raw, ok := merged["clusters"]; ok {
		if err := json.Unmarshal(raw, &c.Clusters); err != nil {
			return nil, fmt.Errorf("paasta/*.json clusters: %w", err)
		}
	}
	if raw, ok := merged["vault_cluster_map"]; ok {
		if err := json.Unmarshal(raw, &c.VaultClusterMap); err != nil {
			return nil, fmt.Errorf("paasta/*.json vault_cluster_map: %w", err)
		}
	}
	var teams struct {
		TeamData map[string]json.RawMessage `json:"team_data"`
	}
	switch err := readJSON(fsys, "sensu/team_data.json", &teams); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		c.SensuTeams = map[string]bool{}
		for t := range teams.TeamData {
			c.SensuTeams[t] = true
		}
	}
	switch err := readJSON(fsys, "yelp_location/location_types.json", &c.LocationTypes); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		var mapping map[string]any
		if err := readJSON(fsys, "yelp_location/location_mapping.json", &mapping); err != nil {
			return nil, err
		}
		c.Locations = map[string]int{}
		countLocations(mapping, c.Locations)
	}
	switch data, err := fs.ReadFile(fsys, "tron/MASTER.yaml"); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		root, err := Parse(data, DefaultLimits())
		if err != nil {
			return nil, fmt.Errorf("tron/MASTER.yaml: %w", err)
		}
		c.TronNodes = TronNodes(root)
	}
	return c, nil
}

func readJSON(fsys fs.FS, name string, v any) error {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// countLocations counts the locations of a location mapping, whose keys
// are "<name>_<type>" ("uswest1-prod_region") nested from the most
// general type down, by "type:name".
func countLocations(m map[string]any, out map[string]int) {
	for k, v := range m {
		if i := strings.LastIndex(k, "_"); i > 0 {
			out[k[i+1:]+":"+k[:i]]++
		}
		if sub, ok := v.(map[string]any); ok {
			countLocations(sub, out)
		}
	}
}

// ValidLocation reports whether loc, "type:name", is one location of the
// mapping, and why not.
func (c *SystemConfig) ValidLocation(loc string) (bool, string) {
	typ, _, ok := strings.Cut(loc, ":")
	switch {
	case !ok:
		return false, "it is not <location type>:<location>"
	case !slices.Contains(c.LocationTypes, typ):
		return false, fmt.Sprintf("%q is not a location type (%s)", typ, strings.Join(c.LocationTypes, ", "))
	case c.Locations[loc] == 0:
		return false, "no such location is known"
	case c.Locations[loc] > 1:
		return false, "it names more than one location"
	}
	return true, ""
}

// TronNodes returns the names a Tron master namespace (a MASTER.yaml)
// gives its nodes and node pools: a node is a name, or a mapping whose
// name defaults to its hostname; a pool's name defaults to its nodes
// joined with _. Nodes and pools are lists or mappings from name.
func TronNodes(master *Node) []string {
	var out []string
	each := func(key string, name func(*Node) string) {
		switch v := master.Get(key); {
		case v == nil:
		case v.Kind == KindSeq:
			for _, it := range v.Items {
				if n := name(it); n != "" {
					out = append(out, n)
				}
			}
		case v.Kind == KindMap:
			for _, k := range v.Keys {
				if s, ok := k.Str(); ok {
					out = append(out, s)
				}
			}
		}
	}
	each("nodes", func(n *Node) string {
		if s, ok := n.Str(); ok {
			return s
		}
		if s, ok := n.Get("name").Str(); ok {
			return s
		}
		s, _ := n.Get("hostname").Str()
		return s
	})
	each("node_pools", func(n *Node) string {
		if s, ok := n.Get("name").Str(); ok {
			return s
		}
		var nodes []string
		list := n.Get("nodes")
		if n.Kind == KindSeq {
			list = n
		}
		if list != nil {
			for _, it := range list.Items {
				if s, ok := it.Str(); ok {
					nodes = append(nodes, s)
				}
			}
		}
		return strings.Join(nodes, "_")
	})
	return out
}

// MasterPath is where a soa tree keeps the Tron master namespace of a
// cluster, which tronfig checks jobs against.
func MasterPath(cluster string) string { return path.Join("tron", cluster, "MASTER.yaml") }
