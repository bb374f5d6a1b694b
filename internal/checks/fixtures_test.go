package checks_test

import (
	"testing"

	"github.com/contractbot/contractbot/internal/checks"
	"github.com/contractbot/contractbot/internal/checks/checktest"
)

// TestRulesAgainstTheirFixtures runs every testdata/<rule-id>/ fixture,
// whose expected findings are # want markers in its files (see
// checktest and docs/contributing.md).
func TestRulesAgainstTheirFixtures(t *testing.T) {
	checktest.RunAll(t, "testdata", checks.All())
}
