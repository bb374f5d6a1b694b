package checks

// FindingsInSOA reports whether the paths of rule r's findings (and of
// their fixes' edits) in a run over t name files of t.SOA rather than of
// t.Repo: r reads only the soa tree, and that tree is a directory of its
// own, not one inside the repository (whose findings the engine re-roots
// under Target.SOAPrefix). A face that applies fixes uses it to pick the
// tree to write.
func (t Target) FindingsInSOA(r *Rule) bool {
	return r != nil && t.SOA != nil && t.SOAPrefix == "" && r.readsSOA()
}
