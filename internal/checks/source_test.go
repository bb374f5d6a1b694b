package checks

import (
	"strings"
	"testing"
)

// Every rule says where it comes from, which decides its severity
// (docs/rules.md prints it; cmd/contractbot's TestRulesDocIsUpToDate keeps
// that file equal to the registry).
func TestEveryRuleNamesItsSource(t *testing.T) {
	for _, r := range All() {
		switch {
		case r.Source == "":
			t.Errorf("rule %s has no Source: say which contract sentence or PaaSTA function it follows", r.ID)
		case strings.HasSuffix(r.Source, "."):
			t.Errorf("rule %s: Source ends with a period (docs/rules.md adds one)", r.ID)
		case !strings.Contains(r.Source, "contract") && !strings.Contains(r.Source, "paasta") && !strings.Contains(r.Source, "PaaSTA"):
			t.Errorf("rule %s: Source %q names neither the contract nor PaaSTA", r.ID, r.Source)
		}
	}
}
