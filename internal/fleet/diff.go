package fleet

import (
	"cmp"
	"slices"
	"time"
)

// Changes is what changed between two views of a fleet.
type Changes struct {
	// Since is when the previous view was made (zero if unknown).
	Since time.Time `json:"since,omitzero"`
	// NewlyFailing services fail now and did not before (or were not in
	// the previous view); Fixed ones failed before and pass now.
	NewlyFailing []string `json:"newly_failing,omitempty"`
	Fixed        []string `json:"fixed,omitempty"`
	// Added services are new to the view; Removed ones have left it.
	Added   []string `json:"added,omitempty"`
	Removed []string `json:"removed,omitempty"`
	// Rules are the rules whose number of findings changed, the largest
	// change first.
	Rules []RuleChange `json:"rules,omitempty"`
}

// RuleChange is a rule's number of findings in the previous view and now.
type RuleChange struct {
	Rule   string `json:"rule"`
	Before int    `json:"before"`
	After  int    `json:"after"`
}

// Empty reports whether nothing changed.
func (c *Changes) Empty() bool {
	return c == nil || len(c.NewlyFailing)+len(c.Fixed)+len(c.Added)+len(c.Removed)+len(c.Rules) == 0
}

// Diff says what changed from prev to cur. Every list is sorted by name.
func Diff(prev, cur *View) *Changes {
	ch := &Changes{Since: prev.Updated}
	before := map[string]Service{}
	for _, s := range prev.Services {
		before[s.Name] = s
	}
	now := map[string]bool{}
	for _, s := range cur.Services {
		now[s.Name] = true
		old, seen := before[s.Name]
		if !seen {
			ch.Added = append(ch.Added, s.Name)
		}
		switch {
		case !s.OK && (!seen || old.OK):
			ch.NewlyFailing = append(ch.NewlyFailing, s.Name)
		case s.OK && seen && !old.OK:
			ch.Fixed = append(ch.Fixed, s.Name)
		}
	}
	for _, s := range prev.Services {
		if !now[s.Name] {
			ch.Removed = append(ch.Removed, s.Name)
		}
	}
	counts := map[string]*RuleChange{}
	get := func(id string) *RuleChange {
		if counts[id] == nil {
			counts[id] = &RuleChange{Rule: id}
		}
		return counts[id]
	}
	for _, r := range prev.Rules {
		get(r.Rule).Before = r.Findings()
	}
	for _, r := range cur.Rules {
		get(r.Rule).After = r.Findings()
	}
	for _, rc := range counts {
		if rc.Before != rc.After {
			ch.Rules = append(ch.Rules, *rc)
		}
	}
	slices.SortFunc(ch.Rules, func(a, b RuleChange) int {
		return cmp.Or(cmp.Compare(abs(b.After-b.Before), abs(a.After-a.Before)), cmp.Compare(a.Rule, b.Rule))
	})
	for _, l := range [][]string{ch.NewlyFailing, ch.Fixed, ch.Added, ch.Removed} {
		slices.Sort(l)
	}
	return ch
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
