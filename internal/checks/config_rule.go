package checks

import (
	"context"
)

func configRules() []*Rule {
	return []*Rule{{
		ID:       "config.invalid",
		Severity: SeverityError,
		Needs:    NeedsRepo,
		Title:    "the repository's .contractbot.yaml cannot be used",
		Doc: "A .contractbot.yaml that does not parse, names an unknown key or an unknown rule id, gives a " +
			"severity other than error, warning, notice or off, a soa_dir outside the repository or a service " +
			"that is not a plain name is refused as a whole: a silently ignored typo would be a rule silently " +
			"not applied. Every face reports it as this one finding, at the offending line, and checks nothing " +
			"else until the file is fixed: the CLI exits 1, the pre-receive hook refuses the push, the App's " +
			"check run fails. Fix the line the message names (`contractbot rules` lists the rule ids).",
		// Engine.Run reports a configuration's problem itself, before any
		// rule runs: there is nothing for this rule to read.
		Source: "contractbot's own configuration: a typo silently ignored would be a rule silently not applied (error)",
		Run:    func(context.Context, *Pass) error { return nil },
	}, unusedIgnoreRule()}
}

// configFinding is the config.invalid finding of a configuration problem.
func configFinding(ce *ConfigError) Finding {
	line := max(ce.Line, 1)
	return Finding{RuleID: "config.invalid", Severity: SeverityError, Path: ConfigFile, Line: line, EndLine: line, Message: ce.Msg}
}
