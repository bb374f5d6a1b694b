package checks

func makefileIncompleteRule() *Rule {
	return &Rule{
		ID:       "makefile.incomplete",
		Severity: SeverityError,
		Needs:    NeedsRepo,
		Title:    "the Makefile must fit within contractbot's analysis limits",
		Doc: "contractbot reads the Makefile without running anything, within fixed bounds so that no repository " +
			"can make it hang: a file size of 4 MiB, 32 nested includes, 1,000 files read, a budget of expansion " +
			"steps and bytes. GNU make has none of these bounds, so when one is reached, what follows was not " +
			"analysed and a `DOCKER_TAG := forced` past it would go unseen. contractbot then fails closed: this " +
			"finding names the bound, and the other makefile.* rules stay silent about what they could not see. " +
			"Make the Makefile smaller or simpler (split a huge generated file, flatten deep include chains, avoid " +
			"exponential expansions).",
		Source: "contractbot's fail-closed policy: what its bounded analysis could not read cannot be said to meet the contract (error)",
		Run: withMakefile(func(p *Pass, in *makefileInput) error {
			for _, e := range in.Analysis.Limits {
				path, line := errorPlace(in, e)
				p.Reportf(path, line, "%s: contractbot stopped analysing the Makefile here, so its checks are incomplete; "+
					"keep the Makefile within the bound (smaller files, fewer nested includes, simpler expansions)",
					e.Msg)
			}
			return nil
		}),
	}
}

// withCompleteMakefile is withMakefile for rules that report something
// missing or unused: after a bound stopped the analysis they cannot know,
// and makefile.incomplete reports the bound instead. With that rule off,
// they report what the partial analysis shows.
func withCompleteMakefile(f func(p *Pass, in *makefileInput) error) func(p *Pass, in *makefileInput) error {
	return func(p *Pass, in *makefileInput) error {
		if in.Analysis.Incomplete() && p.Enabled("makefile.incomplete") {
			return nil
		}
		return f(p, in)
	}
}
