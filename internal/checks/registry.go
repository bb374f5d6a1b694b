package checks

import "slices"

// All returns every rule contractbot knows, in documentation order. Each
// area keeps its rules in its own file; this is the one place that lists the
// areas.
func All() []*Rule {
	return slices.Concat(
		makefileRules(),
		dockerfileRules(),
		soaRules(),
		refRules(),
		configRules(),
	)
}
