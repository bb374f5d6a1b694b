package checks

import (
	"context"
)

// ChangedServicesRuleID is the notice of a soa push whose changed
// services could not be determined; the App reports it (its engine runs
// know nothing of pushes), so the rule itself reads nothing.
const ChangedServicesRuleID = "soa.changed-services"

func soaChangedServicesRule() *Rule {
	return &Rule{
		ID: ChangedServicesRuleID, Severity: SeverityNotice, Needs: NeedsSOA,
		Title: "the services a soa push changed could not be determined",
		Doc: "The App checks a push to the soa repository for the services it changed, and re-checks those " +
			"services' own repositories. GitHub's push payload lists at most 20 commits, and no files for a push " +
			"that lists none, so for a larger push the payload cannot say which services changed. Through a git " +
			"mirror of the soa repository (the App's default, with git installed and CONTRACTBOT_GIT_CACHE_BYTES not 0) " +
			"contractbot computes them from git and checks every one. Without one it never guesses: the check of such " +
			"a push runs only the repository-wide rules, re-checks no service's repository, and says so with this " +
			"notice. Enable the git mirror to have them checked, or push fewer than 20 commits at a time; each " +
			"service's repository is checked again on its next push and by the daily sweep.",
		Source: "contractbot's App: a service it cannot name is a service it did not check, which it says rather than reporting no problems (notice); no PaaSTA check covers it",
		// The App adds the finding to the soa push's result.
		Run: func(context.Context, *Pass) error { return nil },
	}
}
