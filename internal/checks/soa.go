package checks

// soaRules lists the rules over yelpsoa-configs.
// TODO(soa): the soa.* rules.
func soaRules() []*Rule { return nil }
