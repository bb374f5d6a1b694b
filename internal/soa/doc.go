// Package soa loads yelpsoa-configs trees (PaaSTA's per-service
// configuration repository) for static checking.
//
// Files are parsed with gopkg.in/yaml.v3 and converted into [Node] trees
// that follow what PaaSTA itself sees, namely PyYAML's yaml.safe_load (YAML
// 1.1: yes/no/on/off are booleans, 0755 is octal, "<<" merges mappings),
// while keeping each value's line so that every finding can point at it.
//
// Loading is defensive because a soa repository is user input: file sizes,
// file counts per service and alias expansion are bounded, symlinks are never
// followed, and malformed input becomes an error value, never a panic.
//
// [Validate] is a JSON Schema draft-04 validator over [Node] trees. It runs
// contractbot's own definitions of PaaSTA's schemas ([Builtin]) or, with
// [LoadSchemas], the JSON schemas of an installed PaaSTA.
package soa
